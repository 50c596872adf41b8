"""The inbox page: my tasks and those I may claim, due first; filters with counts, search and sort; bulk claim /
release / assign with a per-task summary; a light state endpoint the page polls to refresh itself."""
from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import and_, or_, select

from processes import assignment, delegation, saved_filters
from processes.clock import now
from processes.inbox import DUE_CHOICES, SORT_CHOICES, WHO_CHOICES, InboxFilter, facets, filtered, state_token
from processes.inbox import inbox as inbox_query
from processes.models import RoleAssignment, User

from .extensions import db

bp = Blueprint("inbox", __name__)


def colleagues() -> list:
    """Whom I may hand tasks to from the inbox: active holders of a role I hold, in the unit I hold it in (each
    task's own unit and role are checked again by the core)."""
    pairs = sorted({(r.unit_id, r.role) for r in current_user.roles})
    if not pairs:
        return []
    held = or_(*[and_(RoleAssignment.unit_id == unit_id, RoleAssignment.role == role) for unit_id, role in pairs])
    # (id, full_name) rows: the list shows names, so no user object nor its roles is loaded
    return db.session.execute(select(User.id, User.full_name).where(User.active.is_(True), select(
        RoleAssignment.id).where(RoleAssignment.user_id == User.id, held).exists()).order_by(User.full_name, User.id)
    ).all()


@bp.get("/")
@login_required
def index():
    chosen = InboxFilter.from_args(request.args)
    number = request.args.get("page", 1, type=int)
    delegations = delegation.active_for_delegate(db.session, current_user)  # read once: the list and its counts
    page = (inbox_query(db.session, current_user, page=number, delegations=delegations) if chosen.empty
            else filtered(db.session, current_user, chosen, page=number, delegations=delegations))
    units = {r.unit_id: r.unit.display_name for r in current_user.roles}
    counts = facets(db.session, current_user, delegations)  # with the state token, in the same statement
    return render_template("inbox.html", page=page, now=now(), chosen=chosen,
                           facets=counts, due_choices=DUE_CHOICES,
                           who_choices=WHO_CHOICES, sort_choices=SORT_CHOICES,
                           saved=saved_filters.visible(db.session, current_user), units=units,
                           share_label=saved_filters.share_label, colleagues=colleagues(),
                           bulk_actions=assignment.BULK_ACTIONS, token=counts.token,
                           poll_ms=current_app.config.get("TDKT_INBOX_POLL_MS", 10000))


@bp.get("/inbox/state")
@login_required
def state():
    """What the open inbox polls: an ETag over which tasks it holds and who holds each (one aggregate statement);
    304 while nothing changed, so the page reloads its list only when a task arrived, left or changed hands."""
    token = state_token(db.session, current_user)
    response = jsonify({"token": token})
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(token)
    return response.make_conditional(request)


@bp.post("/inbox/bulk")
@login_required
def bulk():
    """Claim, release or assign the ticked tasks, each in its own transaction; one line per task says how it went."""
    ids = [int(v) for v in request.form.getlist("task") if v.isdigit() and len(v) < 10]
    assignee = request.form.get("assignee", "")
    results = assignment.bulk(db.session, current_user, request.form.get("action", ""), ids,
                              int(assignee) if assignee.isdigit() and len(assignee) < 10 else None)
    done = sum(r.ok for r in results)
    flash(f"{assignment.BULK_ACTIONS[request.form['action']]}: {done}/{len(results)} nhiệm vụ thành công.",
          "success" if done == len(results) else "warning")
    for r in results:
        label = f"#{r.task_id}" + (f" «{r.task_name}»" if r.task_name else "")
        flash(f"{label}: {r.message}", "success" if r.ok else "danger")
    return redirect(url_for("inbox.index", **InboxFilter.from_args(request.form).args()))


@bp.post("/inbox/filters")
@login_required
def save_filter():
    """Save the filter the inbox shows (its arguments come back with the form), for me or for a role I hold."""
    chosen = InboxFilter.from_args(request.form)
    share = request.form.get("share", "")  # "" or "unit_id:role"
    unit_id, _, role = share.partition(":")
    saved_filters.save_filter(db.session, current_user, request.form.get("name", ""), chosen,
                              int(unit_id) if unit_id.isdigit() else None, role)
    flash(f"Đã lưu bộ lọc «{request.form.get('name', '').strip()}».", "success")
    return redirect(url_for("inbox.index", **chosen.args()))


@bp.post("/inbox/filters/<int:filter_id>/delete")
@login_required
def delete_filter(filter_id: int):
    saved_filters.delete_filter(db.session, current_user, filter_id)
    flash("Đã xóa bộ lọc.", "info")
    return redirect(url_for("inbox.index"))
