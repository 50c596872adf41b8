"""What a change to a case tells whom: a listener of CaseMoved (processes/executor.py) that writes the notification
rows inside the change's own transaction — a notice exists exactly when its change does — with one INSERT … SELECT
for the whole change (a UNION ALL of one SELECT per role and unit), so nobody's rows are read first. E-mail goes
out after the commit, from the worker's pass."""
from __future__ import annotations

from sqlalchemy import insert, literal, select, union_all
from sqlalchemy.orm import Session

from .case_processor import CaseMoved
from .clock import format_date, now
from .contracts import CaseKind, CaseStatus, EmailStatus, Message
from .executor import Tx, listen
from .models import Case, Notification, OpenTask, RoleAssignment
from .notifications import mail_enabled

UNIT_LEADS = ("unit_head", "unit_staff")


class Notices:
    """The notifications of one change, written by one statement."""

    def __init__(self, case: Case):
        self.case = case
        self.selects = []

    def add(self, unit_id: int, roles: tuple[str, ...], kind: str, message: str, exclude: int | None) -> None:
        """A notification for every holder of `roles` in the unit (but `exclude`), without reading them first."""
        holders = select(RoleAssignment.user_id).where(RoleAssignment.unit_id == unit_id,
                                                       RoleAssignment.role.in_(roles)).distinct()
        if exclude is not None:
            holders = holders.where(RoleAssignment.user_id != exclude)
        holders = holders.subquery()
        self.selects.append(select(
            holders.c.user_id, literal(self.case.id), literal(kind), literal(message[:500]),
            literal(f"/cases/{self.case.id}"), literal(now()),
            literal((EmailStatus.PENDING if mail_enabled() else EmailStatus.NONE).value)))

    def write(self, session: Session) -> None:
        if self.selects:
            rows = self.selects[0] if len(self.selects) == 1 else union_all(*self.selects)
            session.execute(insert(Notification.__table__).from_select(
                ["user_id", "case_id", "kind", "message", "link", "created_at", "email_status"], rows))


def _wants(event: CaseMoved) -> bool:
    return bool(event.new_tasks or event.messages or event.ended)


def after_change(tx: Tx, event: CaseMoved) -> None:
    session, new_tasks, messages, actor_id = tx.session, event.new_tasks, event.messages, event.actor_id
    case = session.get(Case, event.case_id)  # in the identity map already: the verb holds it
    where = f"hồ sơ #{case.id} ({case.unit.display_name})"
    notices = Notices(case)
    if new_tasks:
        # A step comes back to people when they did it before, or when the decision just taken was a return
        # (council_decision / check_decision == "return") that sends the case to a step of its own, like the
        # supplement after the receiving level's check.
        sent_back = event.sent_back
        for task in new_tasks:
            returned = task["again"] or sent_back
            kind = "task_returned" if returned else "task_assigned"
            text = (f"Hồ sơ bị trả lại, cần «{task['name']}»: {where}" if returned
                    else f"Nhiệm vụ mới «{task['name']}»: {where}")
            notices.add(task["unit_id"], (task["role"],), kind, text, exclude=actor_id)
    if messages:
        _tell_messages(session, notices, messages, where)
    if event.ended and event.status == CaseStatus.COMPLETED:
        notices.add(case.unit_id, UNIT_LEADS, "decided", f"Đã có quyết định khen thưởng: {where}", exclude=actor_id)
    notices.write(session)


def _tell_messages(session: Session, notices: Notices, messages: list[str], where: str) -> None:
    """The notices of the messages the diagram threw: reminder, late, closed, review overdue."""
    case = notices.case
    campaign = case.campaign
    # The last day a dossier is received ("" without one); a consolidation case runs to the receiving level's own.
    deadline = format_date(campaign.upper_deadline_at if case.kind == CaseKind.CONSOLIDATION else campaign.deadline_at)
    above = ((case.unit.root().id, "supreme_reviewer") if case.kind == CaseKind.CONSOLIDATION
             else (campaign.receiving_unit_id, "provincial_reviewer"))
    for name in messages:
        if name == Message.REMINDER:
            notices.add(case.unit_id, UNIT_LEADS + ("unit_secretary", "unit_council"), "reminder",
                        f"Sắp đến hạn nộp hồ sơ ({deadline}): {where}", None)
        elif name == Message.LATE:
            text = f"Đã quá hạn nộp hồ sơ ({deadline}): {where}"
            notices.add(above[0], (above[1],), "late", text, None)
            notices.add(case.unit_id, UNIT_LEADS, "late", text, None)
        elif name == Message.NOT_SUBMITTED:
            notices.add(case.unit_id, UNIT_LEADS, "not_submitted",
                        f"Hồ sơ đã bị đóng vì không nộp đúng hạn: {where}", None)
        elif name == Message.REVIEW_OVERDUE:
            days = (case.data or {}).get("review_working_days", 10)
            for unit_id, role in session.execute(select(OpenTask.unit_id, OpenTask.role).where(
                    OpenTask.case_id == case.id, OpenTask.role.in_(("provincial_reviewer", "supreme_reviewer")))):
                notices.add(unit_id, (role,), "review_overdue",
                            f"Đã quá thời hạn xem xét ({days} ngày làm việc): {where}", None)


listen(CaseMoved, "notifications.case_moved", after_change, wants=_wants, after_commit=False)
