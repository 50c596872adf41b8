"""Delegating my tasks while I am away: the page that lists my delegations (given and received), creates one for a
date range (dd/mm/yyyy, Việt Nam days) and ends one early."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from processes import clock, delegation
from processes.errors import ValidationFailed

from .extensions import db

bp = Blueprint("delegations", __name__)


def _page(form=None, errors=None, message=None, status=200):
    return render_template("delegations.html", lists=delegation.listed(db.session, current_user),
                           colleagues=delegation.colleagues(db.session, current_user), state_of=delegation.state_of,
                           state_labels=delegation.STATE_LABELS, form=form or {}, errors=errors or {},
                           message=message, today=delegation.today()), status


def _date(value: str):
    try:
        return clock.parse_vn_date(value or "")
    except ValueError:
        return None


@bp.get("/delegations")
@login_required
def index():
    return _page()


@bp.post("/delegations")
@login_required
def create():
    form = request.form
    scope, _, role = form.get("scope", "").partition(":")  # "unit_id:role", one of the roles I hold
    delegate = form.get("delegate", "")
    starts_on, ends_on = _date(form.get("starts_on")), _date(form.get("ends_on"))
    errors = {}
    if starts_on is None:
        errors["starts_on"] = ["Nhập ngày theo dạng dd/mm/yyyy."]
    if ends_on is None:
        errors["ends_on"] = ["Nhập ngày theo dạng dd/mm/yyyy."]
    if not scope.isdigit() or len(scope) > 9 or not role:
        errors["scope"] = ["Chọn vai trò và đơn vị cần ủy quyền."]
    if not delegate.isdigit() or len(delegate) > 9:
        errors["delegate"] = ["Chọn đồng nghiệp nhận ủy quyền."]
    try:
        if errors:
            raise ValidationFailed("Dữ liệu chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu.", errors)
        row = delegation.create(db.session, current_user, int(delegate), int(scope), role, starts_on, ends_on,
                                form.get("reason", ""))
    except ValidationFailed as exc:
        return _page(form, exc.field_errors, exc.message, 422)
    flash(f"Đã ủy quyền cho {row.delegate.full_name} từ {clock.format_date(row.starts_on)} đến "
          f"{clock.format_date(row.ends_on)}.", "success")
    return redirect(url_for("delegations.index"))


@bp.post("/delegations/<int:delegation_id>/end")
@login_required
def end(delegation_id: int):
    delegation.end(db.session, current_user, delegation_id)
    flash("Đã kết thúc ủy quyền.", "info")
    return redirect(url_for("delegations.index"))
