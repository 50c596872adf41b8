"""What a change to a case tells whom: a listener of CaseMoved (processes/executor.py) that writes the notification
rows inside the change's own transaction — a notice exists exactly when its change does — with INSERT … SELECT
statements built once and run with parameters, so nobody's rows are read first. E-mail goes out after the commit,
from the worker's pass."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from .case_processor import CaseMoved
from .clock import format_date, now
from .contracts import CaseKind, CaseStatus, EmailStatus, Message
from .executor import Tx, listen
from .models import Case, Notification, OpenTask, RoleAssignment
from .notifications import mail_enabled

UNIT_LEADS = ("unit_head", "unit_staff")


_COLUMNS = ["user_id", "case_id", "kind", "message", "link", "created_at", "email_status"]


@lru_cache(maxsize=8)
def _statement(role_count: int):
    """INSERT … SELECT of one notice per holder of any of `role_count` roles in a unit (bar one user), built once
    per role count: the statement is data-free, so a change's notices run it with parameters only."""
    roles = [bindparam(f"role{i}") for i in range(role_count)]
    holders = (select(RoleAssignment.user_id).where(RoleAssignment.unit_id == bindparam("unit_id"),
                                                    RoleAssignment.role.in_(roles),
                                                    RoleAssignment.user_id != bindparam("exclude"))
               .distinct().subquery())
    columns = Notification.__table__.c  # typed parameters: PostgreSQL reads an untyped one in a SELECT as text
    return insert(Notification.__table__).from_select(_COLUMNS, select(
        holders.c.user_id, *(bindparam(name, type_=columns[name].type) for name in _COLUMNS[1:])))


class Notices:
    """The notifications of one change, gathered, then written by one statement per role count."""

    def __init__(self, case: Case):
        self.case = case
        self.rows: dict[int, list[dict]] = {}

    def add(self, unit_id: int, roles: tuple[str, ...], kind: str, message: str, exclude: int | None) -> None:
        """A notification for every holder of `roles` in the unit (but `exclude`), without reading them first."""
        self.rows.setdefault(len(roles), []).append(dict(
            {f"role{i}": role for i, role in enumerate(roles)}, unit_id=unit_id, exclude=exclude or 0,
            case_id=self.case.id, kind=kind, message=message[:500], link=f"/cases/{self.case.id}",
            created_at=now(), email_status=(EmailStatus.PENDING if mail_enabled() else EmailStatus.NONE).value))

    def write(self, session: Session) -> None:
        for role_count, rows in self.rows.items():
            session.execute(_statement(role_count), rows)


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
            if task.get("returned"):  # the reason travels with the notice, not only in the case log
                text += f". Lý do: {task['returned']['reason']}"
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
