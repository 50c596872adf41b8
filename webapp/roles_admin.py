"""Administering roles (/admin/roles): the roles lanes name, with their Vietnamese labels and scopes."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from processes import role_admin, roles
from processes.access import check_admin
from processes.errors import DomainError

from .extensions import db

bp = Blueprint("roles_admin", __name__, url_prefix="/admin/roles")


@bp.before_app_request
def refresh_roles():
    """Lanes and labels read this process's snapshot of the roles table; re-read it when it is old (another web
    worker or machine may have changed a role). At most one small query per REFRESH_SECONDS per process."""
    roles.refresh_if_stale(db.session)


@bp.get("")
@login_required
def index():
    check_admin(current_user, role_admin.ADMIN_ONLY)
    return _page()


@bp.post("")
@login_required
def save():
    form = {k: request.form.get(k, "") for k in ("code", "label", "scope")}
    try:
        role = role_admin.save_role(db.session, current_user, **form)
    except DomainError as exc:  # the page again, with what was typed and why it was refused
        return _page(form=form, error=exc.message, status=exc.status)
    flash(f"Đã lưu vai trò «{role.label}» ({role.code}).", "success")
    return redirect(url_for("roles_admin.index"))


@bp.post("/<code>/delete")
@login_required
def delete(code: str):
    try:
        role_admin.delete_role(db.session, current_user, code)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _page(error=exc.message, status=exc.status)
    flash(f"Đã xoá vai trò {code}.", "success")
    return redirect(url_for("roles_admin.index"))


def _page(form: dict | None = None, error: str | None = None, status: int = 200):
    edit = request.args.get("edit", "")
    rows = role_admin.list_roles(db.session)
    if form is None:
        current = next((r for r in rows if r.code == edit), None)
        form = {"code": current.code, "label": current.label, "scope": current.scope} if current else {}
    return render_template("admin_roles.html", rows=rows, form=form, error=error, editing=bool(form.get("code")),
                           scopes=role_admin.SCOPE_LABELS), status
