"""The inbox page: my tasks and those I may claim, due first."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from processes.clock import now
from processes.inbox import inbox as inbox_query

from .extensions import db

bp = Blueprint("inbox", __name__)


@bp.get("/")
@login_required
def index():
    page = inbox_query(db.session, current_user, page=request.args.get("page", 1, type=int))
    return render_template("inbox.html", page=page, now=now())
