"""The task page: the form of one user task; claim, release, complete."""
from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from processes import assignment, award_history, cases, delegation, form_registry, task_notes
from processes.access import may_do_task
from processes.documents.context import form_defaults
from processes.errors import Conflict, ValidationFailed
from processes.forms import campaign_choices, initial_data
from processes.models import User
from processes.rules import figures
from processes.rules.quotas import counters, unit_facts

from .extensions import db
from .formrender import build_fields, parse_form

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def form_of(task, name: str) -> dict:
    """A task's form (or UI schema) as its case's diagram version pinned it."""
    return form_registry.schema(db.session, task.case.diagram_version_id, name)


def _render(task, data, errors=None, status=200, message=None):
    schema = form_of(task, task.form)
    details = task.case.campaign.details or {}
    fields = build_fields(schema, form_of(task, task.ui_form), data, errors or {}, campaign_choices(details))
    quota_counters = (counters(details.get("quota") or [], unit_facts(task.case.unit), data.get("nominees") or [])
                      if "nominees" in (schema.get("properties") or {}) else [])
    acting_for = delegation.acting_for(db.session, current_user, task)
    may_act = may_do_task(current_user, task) or acting_for is not None
    may_assign = may_act or assignment.is_supervisor(current_user, task)
    return render_template("task.html", task=task, case=task.case, schema=schema, fields=fields,
                           may_act=may_act, message=message, acting_for=acting_for, may_assign=may_assign,
                           assignees=assignment.assignees_for(db.session, task) if may_assign else [],
                           instructions=task_notes.instructions(db.session, task),
                           returned=task.returned, quota_counters=quota_counters,
                           poll_ms=current_app.config.get("TDKT_TASK_POLL_MS", 15000),
                           rule_errors=(errors or {}).get("", []),
                           earlier=award_history.earlier_for_case(db.session, task.case, current_user),
                           **figures.for_case(task.case, editing=schema.get("properties"))), status


@bp.get("/<int:task_id>")
@login_required
def show(task_id: int):
    task = cases.get_task(db.session, current_user, task_id)
    return _render(task, initial_data(form_of(task, task.form), task.case.data or {}, form_defaults(task.case)))


@bp.post("/<int:task_id>")
@login_required
def complete(task_id: int):
    task = cases.get_task(db.session, current_user, task_id)
    schema = form_of(task, task.form)
    # read-only values (a campaign's thresholds) come from what the form was rendered with, not from the post
    data = parse_form(schema, request.form, initial_data(schema, task.case.data or {}))
    expected = request.form.get("case_version", type=int)
    try:
        case = cases.complete_task(db.session, current_user, task_id, data, expected_version=expected)
    except ValidationFailed as exc:
        return _render(task, data, exc.field_errors, 422, exc.message)
    flash(f"Đã hoàn thành «{task.name}». Hồ sơ chuyển sang: {case.current_step}.", "success")
    return redirect(url_for("inbox.index"))


@bp.post("/<int:task_id>/claim")
@login_required
def claim(task_id: int):
    task = cases.claim_task(db.session, current_user, task_id)
    flash(f"Bạn đã nhận xử lý «{task.name}».", "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<int:task_id>/release")
@login_required
def release(task_id: int):
    task = cases.release_task(db.session, current_user, task_id)
    flash(f"Đã trả «{task.name}» về hàng chờ của vai trò.", "info")
    return redirect(url_for("inbox.index"))


@bp.post("/<int:task_id>/assign")
@login_required
def assign(task_id: int):
    """Hand the task to a named colleague holding its role in its unit (the core checks who may, and whom)."""
    value = request.form.get("assignee", "")
    assignee_id = int(value) if value.isdigit() and len(value) < 10 else 0
    task = assignment.assign_task(db.session, current_user, task_id, assignee_id)
    # named from the hand-over, not the task read back: a colleague may have released it in between
    assignee = db.session.get(User, assignee_id)
    flash(f"Đã giao «{task.name}» cho {assignee.full_name}.", "success")
    return redirect(url_for("tasks.show", task_id=task_id) if assignee_id == current_user.id
                    else url_for("inbox.index"))


@bp.get("/<int:task_id>/state")
@login_required
def state(task_id: int):
    """What the open task page polls (ETag, so an unchanged task costs a 304): still open, who holds it, the case's
    version — the page warns when a colleague completed or claimed it while it was open."""
    try:
        task = cases.get_task(db.session, current_user, task_id)
    except Conflict as exc:  # completed or cancelled meanwhile; the words say by whom and when
        doc = {"open": False, "message": exc.message}
    else:
        doc = {"open": True, "assignee": task.assignee.full_name if task.assignee else None,
               "mine": task.assignee_id == current_user.id, "version": task.case.version}
    response = jsonify(doc)
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)
