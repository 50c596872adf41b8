"""Publishing BPMN documents as numbered, immutable versions of their process (the shipped ones and, later, the
process owners' own), after the engine's checks and the application's: the rules a task names exist, every lane
names a role."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .access import check_admin
from .clock import now
from .contracts import RULES_PROPERTY
from .engine.diagrams import LoadedDiagram, checksum, properties
from .executor import Command, execute
from .models import DiagramVersion, User
from . import roles
from .roles import role_for_lane
from .rules import CHECKS
from .workflows import BPMN_DIR, parse


def _named_rules_exist(spec, label: str):
    unknown = [n.strip() for n in properties(spec).get(RULES_PROPERTY, "").split(",")
               if n.strip() and n.strip() not in CHECKS]
    if unknown:
        yield f"nhiệm vụ «{label}» khai báo quy tắc không có: {', '.join(unknown)} (có: {', '.join(CHECKS)})"


def _lane_names_a_role(spec, label: str):
    if getattr(spec, "manual", False) and spec.lane and role_for_lane(spec.lane) is None:
        yield f"làn «{spec.lane}» của nhiệm vụ «{label}» không ứng với vai trò nào"


TASK_CHECKS = (_named_rules_exist, _lane_names_a_role)


def validate(xml: str) -> LoadedDiagram:
    """Everything publishing checks; DiagramError (422) listing each problem."""
    return parse(xml, task_checks=TASK_CHECKS)


class PublishDiagram(Command):
    name = "publish_diagram"

    def __init__(self, xml: str, note: str = ""):
        self.xml, self.note = xml, note

    def authorize(self, tx, target):
        check_admin(tx.actor, "Chỉ quản trị viên quy trình mới được xuất bản sơ đồ.")

    def run(self, tx, target):
        roles.load(tx.session)  # lanes are checked against the roles as they are now, not as this process last read them
        loaded = validate(self.xml)  # raises DiagramError before anything is written
        latest = tx.session.scalar(
            select(func.max(DiagramVersion.version)).where(DiagramVersion.process_id == loaded.process_id))
        version = DiagramVersion(
            process_id=loaded.process_id, version=(latest or 0) + 1, name=loaded.spec.description or "",
            bpmn_xml=self.xml, checksum=checksum(self.xml), published_at=now(),
            published_by_id=tx.actor_id, note=self.note,
        )
        tx.session.add(version)
        return version


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
