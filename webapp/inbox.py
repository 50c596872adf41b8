"""The inbox page: my tasks and those I may claim, due first; filters with counts, search and sort."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from processes import saved_filters

from processes.clock import now
from processes.inbox import DUE_CHOICES, SORT_CHOICES, WHO_CHOICES, InboxFilter, facets, filtered
from processes.inbox import inbox as inbox_query

from .extensions import db

bp = Blueprint("inbox", __name__)


@bp.get("/")
@login_required
def index():
    chosen = InboxFilter.from_args(request.args)
    number = request.args.get("page", 1, type=int)
    page = (inbox_query(db.session, current_user, page=number) if chosen.empty
            else filtered(db.session, current_user, chosen, page=number))
    units = {r.unit_id: r.unit.display_name for r in current_user.roles}
    return render_template("inbox.html", page=page, now=now(), chosen=chosen,
                           facets=facets(db.session, current_user), due_choices=DUE_CHOICES,
                           who_choices=WHO_CHOICES, sort_choices=SORT_CHOICES,
                           saved=saved_filters.visible(db.session, current_user), units=units,
                           share_label=saved_filters.share_label)


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
