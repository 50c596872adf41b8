"""What the engine raises. The domain maps these to its own errors; the engine knows nothing of HTTP or cases."""
from __future__ import annotations


class EngineError(Exception):
    """Base of the engine's errors."""


class TaskNotReady(EngineError):
    """The task is not a ready user task of this workflow (done meanwhile, or never one)."""


class WorkflowFailed(EngineError):
    """A script, condition or event in the diagram failed; the workflow object is left where it failed."""


class DiagramInvalid(EngineError):
    """A BPMN document that cannot be loaded or run; `problems` lists each thing wrong with it."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []
