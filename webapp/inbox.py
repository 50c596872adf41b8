"""The inbox page: my tasks and those I may claim, due first; filters with counts, search and sort."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

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
    return render_template("inbox.html", page=page, now=now(), chosen=chosen,
                           facets=facets(db.session, current_user), due_choices=DUE_CHOICES,
                           who_choices=WHO_CHOICES, sort_choices=SORT_CHOICES)
