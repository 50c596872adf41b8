"""Errors the core raises; the web layer maps each to one HTTP status and a Vietnamese message."""
from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    """Double submit, stale tab, two people at once: the first action stands."""
    code = "conflict"
    status = 409


class InvalidInput(DomainError):
    code = "invalid"
    status = 400


class ValidationFailed(DomainError):
    """Form data that fails the task's JSON Schema; `field_errors` maps a field path to its messages."""
    code = "validation_failed"
    status = 422

    def __init__(self, message: str, field_errors: dict[str, list[str]]):
        super().__init__(message, field_errors=field_errors)
        self.field_errors = field_errors


class DiagramError(DomainError):
    """A BPMN document that cannot be published or run: malformed, hostile or inconsistent."""
    code = "invalid_diagram"
    status = 422


class TooManyAttempts(DomainError):
    """Sign-in attempts beyond the throttle: wait and try again."""
    code = "too_many_attempts"
    status = 429
