"""Logging in and out, and the personal API tokens a user manages."""
from __future__ import annotations

import secrets

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from processes import accounts, tokens
from processes.seeding import DEMO_ACCOUNTS, DEMO_PASSWORD
from processes.models import ApiToken, User
from processes.errors import TooManyAttempts
from processes.sign_in import sign_in

from .extensions import db, login_manager
from .redirects import same_site_path

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
login_manager.login_message_category = "warning"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user a session or remember-me cookie names, if that session is still theirs (see User.get_id)."""
    head = user_id.split(".", 1)[0]
    if not head.isdigit():
        return None
    user = accounts.load_actor(db.session, int(head))
    if user is None or not user.active or not accounts.session_matches(user, user_id):
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:150]
        try:
            user = sign_in(db.session, username, request.form.get("password", ""), request.remote_addr or "")
        except TooManyAttempts as exc:
            return render_template("login.html", error=exc.message, demo_accounts=_demo_accounts()), 429
        if user is not None:
            user.login_nonce = secrets.token_urlsafe(8)  # this login's own cookie, never a copy of another's
            login_user(user, remember=bool(request.form.get("remember")))
            return redirect(_safe_next(request.args.get("next")))
        error = "Tên đăng nhập hoặc mật khẩu không đúng."
    return render_template("login.html", error=error, demo_accounts=_demo_accounts()), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    accounts.end_sessions(db.session, current_user, current_user.id)  # every session and cookie of theirs, too
    logout_user()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def token_list():
    created = None
    if request.method == "POST":
        created = tokens.create(db.session, current_user, request.form.get("name", "").strip() or "Token")
    rows = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id, ApiToken.revoked.is_(False))
        .order_by(ApiToken.id.desc())
    ).all()
    return render_template("tokens.html", tokens=rows, created=created)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    tokens.revoke(db.session, current_user, token_id)
    flash("Đã thu hồi token.", "info")
    return redirect(url_for("auth.token_list"))


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an attacker's ?next=https://evil.example must not bounce a fresh login away.
    return same_site_path(target, url_for("inbox.index"))


def _demo_accounts():
    """On a demo (any environment but production), the sign-in page names a few accounts to try and their password."""
    if current_app.config.get("TDKT_ENV") == "production":
        return None
    return {"password": DEMO_PASSWORD, "accounts": DEMO_ACCOUNTS}
