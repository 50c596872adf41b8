"""What the engine raises. The domain maps these to its own errors; the engine knows nothing of HTTP or cases."""
from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """Base of the engine's errors."""


class TaskNotReady(EngineError):
    """The task is not a ready user task of this workflow (done meanwhile, or never one)."""


class WorkflowFailed(EngineError):
    """A script, condition or event in the diagram failed; the workflow object is left where it failed."""


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a diagram, on the element it is drawn on (None: the document as a whole)."""
    element_id: str | None
    label: str  # the element's name as the owner sees it ("" when it has none)
    message: str  # Vietnamese, complete on its own


class DiagramInvalid(EngineError):
    """A BPMN document that cannot be loaded or run; `problems` lists each thing wrong with it, per element."""

    def __init__(self, message: str, problems: list[Finding] | None = None):
        super().__init__(message)
        self.problems = problems or [Finding(None, "", message)]
