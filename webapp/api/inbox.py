"""API routes of the inbox: assign a task, bulk claim / release / assign, delegations, comments on a case."""
from __future__ import annotations

from flask import g, jsonify, request

from processes import assignment, clock, comments, delegation
from processes.clock import now
from processes.errors import InvalidInput, ValidationFailed
from processes.models import CaseComment, Delegation

from ..extensions import db
from . import bp
from .serializers import iso, task_doc
from .views import _json_body


def _user_id(value) -> int:
    """An assignee or delegate named by id or username; 0 (nobody) when it names no one — the verb then refuses."""
    found = assignment.find_user(db.session, value)
    return found.id if found is not None else 0


def _delegation_doc(d: Delegation) -> dict:
    return {"id": d.id, "delegator": d.delegator.username, "delegator_name": d.delegator.full_name,
            "delegate": d.delegate.username, "delegate_name": d.delegate.full_name, "unit_id": d.unit_id,
            "role": d.role, "starts_on": d.starts_on.isoformat(), "ends_on": d.ends_on.isoformat(),
            "reason": d.reason, "state": delegation.state_of(d), "created_at": iso(d.created_at),
            "ended_at": iso(d.ended_at)}


def _comment_doc(c: CaseComment) -> dict:
    return {"id": c.id, "case_id": c.case_id, "author": c.author.username, "author_name": c.author.full_name,
            "body": c.body, "mention_ids": list(c.mentions or []), "created_at": iso(c.created_at)}


@bp.post("/tasks/<int:task_id>/assign")
def task_assign(task_id: int):
    body = _json_body()
    task = assignment.assign_task(db.session, g.api_user, task_id, _user_id(body.get("assignee")))
    return jsonify(task_doc(task, now()))


@bp.post("/tasks/bulk")
def task_bulk():
    body = _json_body()
    ids = body.get("task_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise InvalidInput("task_ids phải là danh sách số nguyên.")
    assignee = body.get("assignee")
    results = assignment.bulk(db.session, g.api_user, str(body.get("action") or ""), ids,
                              _user_id(assignee) if assignee not in (None, "") else None)
    return jsonify({"action": body.get("action"), "succeeded": sum(r.ok for r in results), "results": [
        {"task_id": r.task_id, "ok": r.ok, "message": r.message, "task_name": r.task_name} for r in results]})


@bp.get("/delegations")
def delegation_list():
    lists = delegation.listed(db.session, g.api_user)
    return jsonify({"given": [_delegation_doc(d) for d in lists.given],
                    "received": [_delegation_doc(d) for d in lists.received]})


@bp.post("/delegations")
def delegation_create():
    body = _json_body()
    errors, dates = {}, {}
    for key in ("starts_on", "ends_on"):
        try:
            dates[key] = clock.parse_vn_date(str(body.get(key) or ""))
        except ValueError:
            errors[key] = ["Ngày theo dạng yyyy-mm-dd hoặc dd/mm/yyyy."]
    unit_id, role = body.get("unit_id"), body.get("role")
    if not isinstance(unit_id, int) or isinstance(unit_id, bool) or not 0 < unit_id < 2 ** 31:
        errors["unit_id"] = ["Cần mã số đơn vị (số nguyên)."]
    if not isinstance(role, str) or not role or len(role) > 40:
        errors["role"] = ["Cần mã vai trò."]
    if errors:
        raise ValidationFailed("Dữ liệu chưa hợp lệ.", errors)
    reason = body.get("reason") or ""
    row = delegation.create(db.session, g.api_user, _user_id(body.get("delegate")), unit_id, role,
                            dates["starts_on"], dates["ends_on"], reason if isinstance(reason, str) else "")
    return jsonify(_delegation_doc(row)), 201


@bp.post("/delegations/<int:delegation_id>/end")
def delegation_end(delegation_id: int):
    return jsonify(_delegation_doc(delegation.end(db.session, g.api_user, delegation_id)))


@bp.get("/cases/<int:case_id>/comments")
def comment_list(case_id: int):
    return jsonify({"items": [_comment_doc(c) for c in comments.listed(db.session, g.api_user, case_id)]})


@bp.post("/cases/<int:case_id>/comments")
def comment_add(case_id: int):
    body = _json_body().get("body")  # not text: refused as empty, after the permission check
    return jsonify(_comment_doc(comments.add_comment(db.session, g.api_user, case_id, body if isinstance(body, str) else ""))), 201
