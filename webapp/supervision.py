"""Supervisors' pages: the campaigns they watch, and one campaign's units with filters and bulk interventions."""
from __future__ import annotations

import click
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from processes import digest, interventions
from processes.clock import parse_vn_date
from processes.errors import InvalidInput
from processes.models import User
from processes.supervision import board, exports, overview, scope
from processes.supervision.flags import FLAG_LABELS, SEVERITY

from .api.supervision import download
from .extensions import db

bp = Blueprint("supervision", __name__, url_prefix="/supervision")
SHOWN_FAILURES = 10  # the flash message says how many failed and why for the first few (a cookie holds it)


def _filters() -> dict:
    return dict(flag=request.args.get("flag", ""), step=request.args.get("step", ""),
                q=request.args.get("q", "").strip()[:200])


@bp.get("")
@login_required
def index():
    page = overview.overview(db.session, current_user, page=request.args.get("page", 1, type=int))
    return render_template("supervision.html", page=page, labels=FLAG_LABELS, order=SEVERITY)


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def campaign(campaign_id: int):
    result = board.board(db.session, current_user, campaign_id, sort=request.args.get("sort", "urgency"),
                         page=request.args.get("page", 1, type=int), **_filters())
    step_counts = board.step_counts(result.everything)
    return render_template("supervision_campaign.html", board=result, campaign=result.campaign, steps=step_counts,
                           labels=FLAG_LABELS, order=SEVERITY, sorts=board.SORT_LABELS, f=result.filters,
                           actions=interventions.ACTION_LABELS,
                           stall=board.stall_threshold(result.campaign),
                           incidents=board.incidents(db.session, result.campaign, result.everything))


@bp.get("/campaigns/<int:campaign_id>/units.<any(xlsx, csv):fmt>")
@login_required
def export_units(campaign_id: int, fmt: str) -> Response:
    code, headers, lines = exports.unit_table(db.session, current_user, campaign_id, sort="unit", **_filters())
    return download(f"giam-sat-{code}", headers, lines, fmt)


@bp.get("/campaigns/<int:campaign_id>/nominees.<any(xlsx, csv):fmt>")
@login_required
def export_nominees(campaign_id: int, fmt: str) -> Response:
    code, headers, lines = exports.nominee_table(db.session, current_user, campaign_id)
    return download(f"danh-sach-de-nghi-{code}", headers, lines, fmt)


@bp.post("/campaigns/<int:campaign_id>/actions")
@login_required
def act(campaign_id: int):
    back = request.form.get("back", "")
    target = back if back.startswith(f"/supervision/campaigns/{campaign_id}") else \
        url_for("supervision.campaign", campaign_id=campaign_id)
    scope.campaign_for(db.session, current_user, campaign_id)  # 403 / 404 before anything else is said
    unit_ids = [int(v) for v in request.form.getlist("unit_ids") if v.isdigit()]
    action = request.form.get("action", "")
    try:  # what the form got wrong comes back above the table, with the selection's page
        outcomes = interventions.apply(db.session, current_user, interventions.Request(
            action=action, case_ids=[], unit_ids=unit_ids, campaign_id=campaign_id,
            reason=request.form.get("reason", "").strip(), new_deadline=_deadline(request.form.get("new_deadline")),
            assignee_id=_assignee(request.form.get("assignee", "").strip())))
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(target)
    done = sum(o.ok for o in outcomes)
    failed = [o for o in outcomes if not o.ok]
    label = interventions.ACTION_LABELS.get(action, action)
    flash(f"{label}: {done} đơn vị thành công" + (f", {len(failed)} không thực hiện được." if failed else "."),
          "success" if not failed else "warning")
    for outcome in failed[:SHOWN_FAILURES]:
        flash(f"{outcome.unit_name or 'Đơn vị'}: {outcome.message}", "warning")
    if len(failed) > SHOWN_FAILURES:
        flash(f"… và {len(failed) - SHOWN_FAILURES} đơn vị khác (xem chi tiết qua API).", "warning")
    return redirect(target)


def _deadline(text: str | None):
    if not (text or "").strip():
        return None
    try:
        return parse_vn_date(text)
    except ValueError:
        raise InvalidInput("Hạn mới phải là ngày dạng dd/mm/yyyy.") from None


def _assignee(username: str) -> int | None:
    if not username:
        return None
    user_id = db.session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise InvalidInput(f"Không có người dùng «{username}».")
    return user_id


@bp.cli.command("digest")
def digest_command():
    """Tell each supervisor which of their units became at risk, overdue or stalled since the last digest."""
    report = digest.run(db.session)
    click.echo(f"Đã tổng hợp {report.campaigns} phong trào: {report.changed} đơn vị mới cần chú ý, "
               f"{report.notices} thông báo gửi cán bộ giám sát.")
