"""API routes: thin wrappers over the core's verbs."""
from __future__ import annotations

from pathlib import Path

from flask import Response, after_this_request, current_app, g, jsonify, request
from sqlalchemy import select

from processes import cases, catalog, form_registry, notifications, task_notes, tokens
from processes.notifications import UNREAD_CAP
from processes.clock import now
from processes.errors import InvalidInput
from processes.documents.context import form_defaults
from processes.forms import initial_data
from processes.inbox import InboxFilter, filtered, inbox
from processes.models import Campaign

from ..errors import json_error
from ..extensions import db
from . import bp
from .serializers import campaign_doc, case_doc, case_summary_doc, notification_doc, task_doc, user_doc

OPENAPI = Path(__file__).with_name("openapi.json")
PUBLIC = {"api.openapi"}


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return json_error("unauthorized", "Cần token API (Authorization: Bearer …).", 401)
    row = tokens.authenticate(db.session, header[len("Bearer "):].strip())
    if row is None:
        return json_error("unauthorized", "Token API không hợp lệ hoặc đã bị thu hồi.", 401)
    g.api_user = row.user
    if tokens.needs_touch(row):
        _touch_after_response(row.id)
    return None


def _touch_after_response(token_id: int) -> None:
    """Record the token's use once the answer has gone out (its own small transaction), not before the verb."""
    app = current_app._get_current_object()

    @after_this_request
    def schedule(response):
        def touch():
            with app.app_context():
                try:
                    tokens.touch(db.session, token_id)
                finally:
                    db.session.remove()
        response.call_on_close(touch)
        return response


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Nội dung yêu cầu phải là một đối tượng JSON.")
    return body


@bp.get("/openapi.json")
def openapi():
    return Response(OPENAPI.read_bytes(), mimetype="application/json")


@bp.get("/me")
def me():
    return jsonify(user_doc(g.api_user))


@bp.get("/campaigns")
def campaign_list():
    rows = db.session.scalars(select(Campaign).order_by(Campaign.id)).all()
    return jsonify({"items": [campaign_doc(c) for c in rows]})


@bp.get("/tasks")
def task_list():
    chosen = InboxFilter.from_args(request.args)
    number, per_page = request.args.get("page", 1, type=int), request.args.get("per_page", 20, type=int)
    page = (inbox(db.session, g.api_user, page=number, per_page=per_page) if chosen.empty
            else filtered(db.session, g.api_user, chosen, page=number, per_page=per_page))
    at = now()
    held_for = page.delegated_from  # tasks I see because their holder delegated them to me: say whose
    items = [task_doc(t, at) | ({"delegated_from": held_for[t.assignee_id]} if t.assignee_id in held_for else {})
             for t in page.tasks]
    return jsonify({"items": items, "total": page.total,
                    "total_capped": page.capped, "page": page.page, "per_page": page.per_page, "pages": page.pages})


@bp.get("/tasks/<int:task_id>")
def task_detail(task_id: int):
    task = cases.get_task(db.session, g.api_user, task_id)
    version_id = task.case.diagram_version_id
    schema = form_registry.schema(db.session, version_id, task.form)
    doc = task_doc(task, now())
    doc.update(schema=schema, ui_schema=form_registry.schema(db.session, version_id, task.ui_form),
               data=initial_data(schema, task.case.data or {}, form_defaults(task.case)), case_version=task.case.version,
               instructions=task_notes.instructions(db.session, task))
    return jsonify(doc)


@bp.post("/tasks/<int:task_id>/claim")
def task_claim(task_id: int):
    return jsonify(task_doc(cases.claim_task(db.session, g.api_user, task_id), now()))


@bp.post("/tasks/<int:task_id>/release")
def task_release(task_id: int):
    return jsonify(task_doc(cases.release_task(db.session, g.api_user, task_id), now()))


@bp.post("/tasks/<int:task_id>/complete")
def task_complete(task_id: int):
    expected = request.headers.get("If-Match", "").strip('" ')
    done = cases.complete_task_listing(db.session, g.api_user, task_id, _json_body(),
                                       expected_version=int(expected) if expected.isdigit() else None)
    tasks = done.open_tasks if done.open_tasks is not None else cases.open_tasks_of(db.session, done.case)
    return jsonify(case_doc(done.case, tasks))  # the case as the verb left it


@bp.post("/cases")
def case_start():
    body = _json_body()
    try:
        campaign_id, unit_id = int(body.get("campaign_id")), int(body.get("unit_id"))
    except (TypeError, ValueError):
        return json_error("invalid", "Cần campaign_id và unit_id là số nguyên.", 400)
    case = cases.start_case(db.session, g.api_user, campaign_id, unit_id)
    view = cases.read_case(db.session, g.api_user, case.id)
    return jsonify(case_doc(view.case, view.open_tasks)), 201


@bp.get("/cases")
def case_list():
    """The cases the user may see, newest first (the case list's JSON), with a capped count."""
    page = catalog.visible_cases(db.session, g.api_user, q=request.args.get("q", "").strip()[:200],
                                 status=request.args.get("status", ""), page=request.args.get("page", 1, type=int),
                                 per_page=request.args.get("per_page", 20, type=int))
    return jsonify({"items": [case_summary_doc(c) for c in page.cases], "total": page.total,
                    "total_capped": page.capped, "page": page.page, "per_page": page.per_page, "pages": page.pages})


@bp.get("/cases/<int:case_id>")
def case_detail(case_id: int):
    view = cases.read_case(db.session, g.api_user, case_id)
    return jsonify(case_doc(view.case, view.open_tasks, view.events, view.timers))


@bp.get("/notifications")
def notification_list():
    page = notifications.page_for(db.session, g.api_user.id, page=request.args.get("page", 1, type=int),
                                  per_page=request.args.get("per_page", 20, type=int),
                                  unread_only=request.args.get("unread") in ("1", "true"))
    return jsonify({"items": [notification_doc(n) for n in page.items], "unread": min(page.unread, UNREAD_CAP),
                    "unread_capped": page.unread > UNREAD_CAP, "total": page.total, "page": page.page,
                    "per_page": page.per_page, "pages": page.pages})


@bp.post("/notifications/read")
def notification_read():
    body = request.get_json(silent=True) or {}
    ids = body.get("ids") if isinstance(body, dict) else None
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, int) for i in ids)):
        raise InvalidInput("ids phải là danh sách số nguyên (bỏ trống để đánh dấu tất cả).")
    marked = notifications.mark_read(db.session, g.api_user.id, ids)
    return jsonify({"marked": marked, "unread": notifications.unread_count(db.session, g.api_user.id)})
