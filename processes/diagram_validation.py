"""The one validator of a BPMN document, as a list of problems each naming the element it is about, so that the
modeler can draw them on the diagram and publishing can refuse them with the same words.

Interface shared by the editor (webapp) and publishing: `check(xml) -> list[Problem]`; an empty list means the
document may be published. A draft may be invalid; only a valid document publishes."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .diagram_versions import validate
from .errors import DiagramError


@dataclass(frozen=True)
class Problem:
    element_id: str | None  # the BPMN element the problem is drawn on; None for the document as a whole
    label: str              # the element's name as the owner sees it ("" when it has none)
    message: str            # Vietnamese, complete on its own

    def as_json(self) -> dict:
        return asdict(self)


def check(xml: str) -> list[Problem]:
    try:
        validate(xml)
    except DiagramError as exc:
        return [Problem(None, "", text) for text in (exc.details.get("problems") or [exc.message])]
    return []
