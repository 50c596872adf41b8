"""Models → JSON documents of the API (the shapes openapi.json describes)."""
from __future__ import annotations

import datetime as dt

from processes.clock import to_local
from processes.models import AuditEvent, Campaign, Case, CaseTimer, Notification, OpenTask, Unit, User
from processes.notifications import KIND_LABELS
from processes.roles import role_label


def iso(value):
    local = to_local(value)
    return local.isoformat() if local else None


def unit_doc(unit: Unit) -> dict:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "level": unit.level, "parent_id": unit.parent_id}


def user_doc(user: User) -> dict:
    return {
        "id": user.id, "username": user.username, "full_name": user.full_name, "is_admin": user.is_admin,
        "unit": unit_doc(user.unit),
        "roles": [{"role": r.role, "label": role_label(r.role), "unit_id": r.unit_id} for r in user.roles],
    }


def campaign_doc(c: Campaign) -> dict:
    return {
        "id": c.id, "code": c.code, "name": c.name, "document_number": c.document_number,
        "document_date": c.document_date.isoformat() if c.document_date else None,
        "issuer": unit_doc(c.issuer), "receiving_unit": unit_doc(c.receiving_unit),
        "deadline": c.deadline.isoformat() if c.deadline else None, "deadline_at": iso(c.deadline_at),
        "status": c.status,
    }


def task_doc(t: OpenTask, now=None) -> dict:
    return {
        "id": t.id, "case_id": t.case_id, "bpmn_id": t.bpmn_id, "name": t.name,
        "role": t.role, "role_label": role_label(t.role), "unit_id": t.unit_id,
        "assignee": t.assignee.username if t.assignee else None,
        "form": t.form, "created_at": iso(t.created_at), "due_at": iso(t.due_at),
        "overdue": bool(now and t.due_at and t.due_at < now),
        "campaign": t.case.campaign.name, "case_unit": t.case.unit.name,
        "returned": returned_doc(t.returned),
    }


def returned_doc(note: dict | None) -> dict | None:
    """Why a task was reached by a return, as the API and the pages show it; None when it was not."""
    if not note:
        return None
    doc = {k: note.get(k) for k in ("reason", "by", "by_username", "from_step")}
    try:  # kept as the clock's naive UTC instant; shown in Việt Nam's zone like every other time of the API
        doc["at"] = iso(dt.datetime.fromisoformat(note["at"]))
    except (KeyError, TypeError, ValueError):
        doc["at"] = None
    return doc


def audit_doc(e: AuditEvent) -> dict:
    return {"id": e.id, "at": iso(e.at), "action": e.action, "actor": e.actor.username if e.actor else None,
            "task_id": e.task_id, "task_bpmn_id": e.task_bpmn_id, "task_name": e.task_name, "details": e.details}


def case_doc(case: Case, tasks: list[OpenTask] | None = None, events: list[AuditEvent] | None = None,
             timers: list[CaseTimer] | None = None) -> dict:
    doc = {
        "id": case.id, "campaign_id": case.campaign_id, "campaign": case.campaign.name,
        "unit": unit_doc(case.unit), "status": case.status, "current_step": case.current_step,
        "version": case.version, "data": case.data, "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at), "completed_at": iso(case.completed_at), "late_at": iso(case.late_at),
        "kind": case.kind, "parent_id": case.parent_id,
    }
    if tasks is not None:
        doc["tasks"] = [task_doc(t) for t in tasks]
    if events is not None:
        doc["audit"] = [audit_doc(e) for e in events]
    if timers is not None:
        doc["timers"] = [timer_doc(t) for t in timers]
    return doc


def case_summary_doc(case: Case) -> dict:
    """A case as the case list shows it (without its data, tasks or trail)."""
    return {"id": case.id, "campaign_id": case.campaign_id, "campaign": case.campaign.name, "unit": unit_doc(case.unit),
            "status": case.status, "current_step": case.current_step, "kind": case.kind,
            "updated_at": iso(case.updated_at)}


def timer_doc(t: CaseTimer) -> dict:
    return {"timer": t.bpmn_id, "name": t.name, "fire_at": iso(t.fire_at), "status": t.status,
            "attempts": t.attempts, "error": t.last_error or None}


def notification_doc(n: Notification) -> dict:
    return {"id": n.id, "kind": n.kind, "label": KIND_LABELS.get(n.kind, n.kind), "message": n.message,
            "case_id": n.case_id, "link": n.link, "created_at": iso(n.created_at), "read_at": iso(n.read_at)}
