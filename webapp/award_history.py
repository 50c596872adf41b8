"""The award history page: who received which award, by which decision; search by name, kind and unit."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from processes import award_history

from .extensions import db

bp = Blueprint("awards", __name__)


@bp.get("/awards")
@login_required
def index():
    args = {"q": request.args.get("q", "").strip(), "kind": request.args.get("kind", ""),
            "unit_id": request.args.get("unit_id", type=int), "key": request.args.get("key", "").strip()}
    page = award_history.search(db.session, current_user, page=request.args.get("page", 1, type=int), **args)
    units = award_history.visible_units(db.session, current_user)
    return render_template("awards.html", page=page, units=units, kinds=award_history.KINDS, **args)
