"""The diagram of a case as its page draws it: the XML of the case's own version and the state of each element —
the steps done (audit trail), where it waits (open tasks), its waiting timers and its incidents — from the indexed
rows kept beside the workflow, never from the deserialised workflow."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .access import check_may_read_case
from .clock import format_datetime
from .contracts import TimerStatus
from .models import AuditEvent, Case, CaseTimer, DiagramVersion, OpenTask, User
from .roles import role_label

# When several states meet on one element (a task done once and waiting again after a return), the page shows the
# most urgent one.
PRECEDENCE = ("incident", "active", "timer", "completed")


def case_diagram(session: Session, user: User, case_id: int) -> dict:
    case = session.get(Case, case_id)
    check_may_read_case(user, case)
    version = session.execute(
        select(DiagramVersion.process_id, DiagramVersion.version, DiagramVersion.bpmn_xml)
        .where(DiagramVersion.id == case.diagram_version_id)).one()
    elements: dict[str, dict] = {}

    def element(bpmn_id: str, name: str = "") -> dict:
        return elements.setdefault(bpmn_id, {"id": bpmn_id, "name": name, "completed": 0, "states": set(),
                                             "details": []})

    for bpmn_id, name, times in session.execute(
            select(AuditEvent.task_bpmn_id, func.max(AuditEvent.task_name), func.count())
            .where(AuditEvent.case_id == case_id, AuditEvent.action == "task_completed")
            .group_by(AuditEvent.task_bpmn_id)):
        e = element(bpmn_id, name)
        e["completed"] += times
        e["states"].add("completed")
    passed: list[tuple[str, str]] = []  # (element, name): the timers that fired, the end a completed case reached
    for action, details in session.execute(select(AuditEvent.action, AuditEvent.details).where(
            AuditEvent.case_id == case_id, AuditEvent.action.in_(("timer_fired", "case_completed")))):
        details = details or {}
        if action == "timer_fired" and details.get("timer"):
            passed.append((details["timer"], details.get("name") or ""))
        elif action == "case_completed":  # its end events are recorded with the completion
            passed += [(end, "") for end in details.get("ends") or []]
    for bpmn_id, name in passed:
        e = element(bpmn_id, name)
        e["completed"] += 1
        e["states"].add("completed")
    for task in session.execute(
            select(OpenTask.bpmn_id, OpenTask.name, OpenTask.role, OpenTask.due_at, User.full_name)
            .outerjoin(User, User.id == OpenTask.assignee_id).where(OpenTask.case_id == case_id)
            .order_by(OpenTask.id)):
        e = element(task.bpmn_id, task.name)
        e["states"].add("active")
        who = f"đang do {task.full_name} xử lý" if task.full_name else f"chờ {role_label(task.role)}"
        due = f", hạn {format_datetime(task.due_at)}" if task.due_at else ""
        e["details"].append(f"Đang chờ: {task.name} — {who}{due}")
    for timer in session.execute(
            select(CaseTimer.bpmn_id, CaseTimer.name, CaseTimer.fire_at, CaseTimer.status, CaseTimer.last_error)
            .where(CaseTimer.case_id == case_id).order_by(CaseTimer.fire_at)):
        e = element(timer.bpmn_id, timer.name)
        if timer.status == TimerStatus.INCIDENT:
            e["states"].add("incident")
            e["details"].append(f"Sự cố: {timer.last_error}")
        else:
            e["states"].add("timer")
            e["details"].append(format_datetime(timer.fire_at))
    items = []
    for e in elements.values():
        state = next(s for s in PRECEDENCE if s in e["states"])
        detail = "; ".join(e["details"]) or (f"Đã hoàn thành {e['completed']} lần" if e["completed"] > 1
                                              else "Đã hoàn thành")
        items.append({"id": e["id"], "name": e["name"], "state": state, "completed": e["completed"],
                      "detail": detail})
    return {"case_id": case.id, "process_id": version.process_id, "version": version.version,
            "xml": version.bpmn_xml, "elements": items}
