"""What a change to a case tells whom (called by `cases.persist` inside the same transaction)."""
from __future__ import annotations

from sqlalchemy import and_, insert, literal, select
from sqlalchemy.orm import Session

from .clock import format_date, now
from .models import AuditEvent, Case, Notification, OpenTask, RoleAssignment
from .notifications import mail_enabled

UNIT_LEADS = ("unit_head", "unit_staff")


def notify_roles(session: Session, unit_id: int, roles: tuple[str, ...], kind: str, message: str, case: Case,
                 exclude: int | None) -> None:
    """One INSERT … SELECT: a notification for every holder of `roles` in the unit, without reading them first."""
    holders = select(RoleAssignment.user_id).where(RoleAssignment.unit_id == unit_id,
                                                   RoleAssignment.role.in_(roles)).distinct()
    if exclude is not None:
        holders = holders.where(RoleAssignment.user_id != exclude)
    holders = holders.subquery()
    session.execute(insert(Notification).from_select(
        ["user_id", "case_id", "kind", "message", "link", "created_at", "email_status"],
        select(holders.c.user_id, literal(case.id), literal(kind), literal(message[:500]),
               literal(f"/cases/{case.id}"), literal(now()), literal("pending" if mail_enabled() else ""))))


def after_change(session: Session, case: Case, new_tasks: list[dict], messages: list[str],
                 actor_id: int | None) -> None:
    if not (new_tasks or messages or case.status in ("completed", "not_submitted")):
        return
    where = f"hồ sơ #{case.id} ({case.unit.display_name})"
    if new_tasks:
        done_before = set(session.scalars(select(AuditEvent.task_bpmn_id).where(and_(
            AuditEvent.case_id == case.id, AuditEvent.action == "task_completed",
            AuditEvent.task_bpmn_id.in_([t["bpmn_id"] for t in new_tasks]),
            AuditEvent.task_id.is_not(None)))))
        # A step comes back to people when they did it before, or when the decision just taken was a return
        # (council_decision / check_decision == "return") that sends the case to a step of its own, like the
        # supplement after the receiving level's check.
        last = session.scalar(select(AuditEvent.details).where(
            AuditEvent.case_id == case.id, AuditEvent.action == "task_completed").order_by(AuditEvent.id.desc()).limit(1))
        sent_back = any(key.endswith("_decision") and value == "return"
                        for key, value in ((last or {}).get("data") or {}).items())
        for task in new_tasks:
            returned = task["bpmn_id"] in done_before or sent_back
            kind = "task_returned" if returned else "task_assigned"
            text = (f"Hồ sơ bị trả lại, cần «{task['name']}»: {where}" if returned
                    else f"Nhiệm vụ mới «{task['name']}»: {where}")
            notify_roles(session, task["unit_id"], (task["role"],), kind, text, case, exclude=actor_id)
    # The last day a dossier is received ("" without one); a consolidation case runs to the receiving level's own.
    deadline = format_date(case.campaign.upper_deadline_at if case.kind == "consolidation"
                           else case.campaign.deadline_at)
    above = ((case.unit.root().id, "supreme_reviewer") if case.kind == "consolidation"
             else (case.campaign.receiving_unit_id, "provincial_reviewer"))
    for name in messages:
        if name == "tdkt.reminder":
            notify_roles(session, case.unit_id, UNIT_LEADS + ("unit_secretary", "unit_council"), "reminder",
                         f"Sắp đến hạn nộp hồ sơ ({deadline}): {where}", case, None)
        elif name == "tdkt.late":
            text = f"Đã quá hạn nộp hồ sơ ({deadline}): {where}"
            notify_roles(session, above[0], (above[1],), "late", text, case, None)
            notify_roles(session, case.unit_id, UNIT_LEADS, "late", text, case, None)
        elif name == "tdkt.not_submitted":
            notify_roles(session, case.unit_id, UNIT_LEADS, "not_submitted",
                         f"Hồ sơ đã bị đóng vì không nộp đúng hạn: {where}", case, None)
        elif name == "tdkt.review_overdue":
            days = (case.data or {}).get("review_working_days", 10)
            for unit_id, role in session.execute(select(OpenTask.unit_id, OpenTask.role).where(
                    OpenTask.case_id == case.id, OpenTask.role.in_(("provincial_reviewer", "supreme_reviewer")))):
                notify_roles(session, unit_id, (role,), "review_overdue",
                             f"Đã quá thời hạn xem xét ({days} ngày làm việc): {where}", case, None)
    if case.status == "completed":
        notify_roles(session, case.unit_id, UNIT_LEADS, "decided", f"Đã có quyết định khen thưởng: {where}",
                     case, exclude=actor_id)
