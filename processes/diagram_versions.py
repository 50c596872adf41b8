"""Publishing BPMN documents as numbered, immutable versions of their process (the shipped ones and the process
owners' own), after the one validator (`diagram_validation.check`) found nothing wrong."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import form_registry
from .access import check_process_owner
from .clock import now
from .diagram_validation import Problem, check_and_load
from .engine.diagrams import FORM_PROPERTY, UI_PROPERTY, LoadedDiagram, checksum, properties, user_tasks
from .errors import DiagramError
from .executor import Command, execute
from .models import DiagramVersion, User
from . import roles
from .workflows import BPMN_DIR


def refusal(problems: list[Problem]) -> DiagramError:
    """The 422 publishing answers: the validator's own words, one per problem."""
    return DiagramError("Sơ đồ chưa thể xuất bản: " + "; ".join(p.message for p in problems),
                        problems=[p.message for p in problems])


def validate(xml: str, session: Session | None = None) -> LoadedDiagram:
    """Everything publishing checks (`diagram_validation.check`); DiagramError (422) exactly when it answers
    problems, with the same words."""
    problems, loaded = check_and_load(xml, session)
    if problems:
        raise refusal(problems)
    return loaded


class PublishDiagram(Command):
    name = "publish_diagram"

    def __init__(self, xml: str, note: str = ""):
        self.xml, self.note = xml, note

    def authorize(self, tx, target):
        check_process_owner(tx.actor, "Chỉ quản trị viên quy trình mới được xuất bản sơ đồ.")

    def run(self, tx, target):
        roles.load(tx.session)  # lanes are checked against the roles as they are now, not as this process last read them
        loaded = validate(self.xml, tx.session)  # raises DiagramError before anything is written
        latest = tx.session.scalar(
            select(func.max(DiagramVersion.version)).where(DiagramVersion.process_id == loaded.process_id))
        version = DiagramVersion(
            process_id=loaded.process_id, version=(latest or 0) + 1, name=loaded.spec.description or "",
            bpmn_xml=self.xml, checksum=checksum(self.xml), published_at=now(),
            published_by_id=tx.actor_id, note=self.note,
        )
        tx.session.add(version)
        tx.session.flush()
        form_registry.pin_forms(tx.session, version.id, form_names(loaded), tx.actor_id)
        return version


def form_names(loaded: LoadedDiagram) -> set[str]:
    """The forms and UI schemas a diagram's user tasks name (what its version pins)."""
    return {properties(ts).get(key) for ts in user_tasks(loaded) for key in (FORM_PROPERTY, UI_PROPERTY)} - {None, ""}


def publish(session: Session, xml: str, *, user: User | None, note: str = "") -> DiagramVersion:
    """Validate a BPMN document and store it as the next version of its process. One transaction."""
    return execute(session, user, PublishDiagram(xml, note))


def publish_shipped(session: Session) -> list[DiagramVersion]:
    """Publish each diagram in bpmn/ whose current text is not yet the newest version (idempotent)."""
    published = []
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        xml = path.read_text(encoding="utf-8")
        exists = session.scalar(select(DiagramVersion.id).where(DiagramVersion.checksum == checksum(xml)))
        if exists is None:
            published.append(publish(session, xml, user=None, note=f"bpmn/{path.name}"))
    return published
