"""The bell: unread count on every page, the list of my notifications, marking them read."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from processes import notifications

from .extensions import db

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def bell():
    """One capped, indexed count per page for the navbar (nothing for anonymous pages)."""
    if not current_user.is_authenticated:
        return {}
    return {"unread_notifications": notifications.unread_count(db.session, current_user.id)}


@bp.get("/notifications")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    page = notifications.page_for(db.session, current_user.id, page=request.args.get("page", 1, type=int),
                                  unread_only=unread_only)
    return render_template("notifications.html", page=page, unread_only=unread_only,
                           labels=notifications.KIND_LABELS)


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    link = notifications.open_one(db.session, current_user.id, notification_id)
    return redirect(link or url_for("notifications.index"))


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    notifications.mark_read(db.session, current_user.id)
    return redirect(url_for("notifications.index"))
