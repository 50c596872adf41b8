"""Campaign administration pages: list, new / edit as TOML, copy as next year's round, close / reopen, export."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from processes import campaign_admin, campaign_definition
from processes.clock import now, to_local
from processes.errors import ValidationFailed
from processes.models import Unit
from processes.seeding import SEED_DIR

from .extensions import db
from .redirects import same_site_path

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/campaigns")
@login_required
def campaigns():
    q, status = request.args.get("q", "").strip(), request.args.get("status", "")
    page = campaign_admin.list_campaigns(db.session, current_user, q=q, status=status,
                                         page=request.args.get("page", 1, type=int))
    return render_template("admin_campaigns.html", page=page, q=q, status=status)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@login_required
def new():
    campaign_admin.check_admin(current_user)
    if request.method == "GET":
        return _editor(None, _template_text())
    text = request.form.get("toml", "")
    try:
        campaign = campaign_admin.create_campaign(db.session, current_user, text)
    except ValidationFailed as exc:
        return _editor(None, text, exc, 422)
    flash(f"Đã tạo phong trào «{campaign.code}».", "success")
    return redirect(url_for("admin.edit", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
@login_required
def edit(campaign_id: int):
    campaign = campaign_admin.get_campaign(db.session, current_user, campaign_id)
    if request.method == "GET":
        return _editor(campaign, campaign_definition.editor_text(campaign.details, SEED_DIR / "campaigns"))
    text = request.form.get("toml", "")
    try:
        campaign = campaign_admin.update_campaign(db.session, current_user, campaign_id, text)
    except ValidationFailed as exc:
        return _editor(campaign, text, exc, 422)
    flash("Đã lưu thay đổi của phong trào.", "success")
    return redirect(url_for("admin.edit", campaign_id=campaign.id))


@bp.get("/campaigns/<int:campaign_id>.toml")
@login_required
def export(campaign_id: int):
    campaign = campaign_admin.get_campaign(db.session, current_user, campaign_id)
    text = campaign_definition.editor_text(campaign.details, SEED_DIR / "campaigns")
    return Response(text, mimetype="application/toml",
                    headers={"Content-Disposition": f'attachment; filename="{campaign.code}.toml"'})


@bp.route("/campaigns/<int:campaign_id>/copy", methods=["GET", "POST"])
@login_required
def copy(campaign_id: int):
    campaign = campaign_admin.get_campaign(db.session, current_user, campaign_id)
    proposal = campaign_admin.next_round(campaign)
    if request.method == "GET":
        return render_template("admin_campaign_copy.html", campaign=campaign, proposal=proposal, errors={})
    code, name = request.form.get("code", "").strip(), request.form.get("name", "").strip()
    try:
        copied = campaign_admin.copy_campaign(db.session, current_user, campaign_id, code=code, name=name)
    except ValidationFailed as exc:
        proposal.update(code=code or proposal["code"], name=name or proposal["name"])
        return render_template("admin_campaign_copy.html", campaign=campaign, proposal=proposal,
                               errors=exc.field_errors, message=exc.message), 422
    flash(f"Đã tạo đợt mới «{copied.code}» từ «{campaign.code}». Hãy bổ sung số văn bản và kiểm tra các hạn.",
          "success")
    return redirect(url_for("admin.edit", campaign_id=copied.id))


@bp.post("/campaigns/<int:campaign_id>/close")
@login_required
def close(campaign_id: int):
    campaign = campaign_admin.close_campaign(db.session, current_user, campaign_id)
    flash(f"Đã đóng phong trào «{campaign.code}»: các đơn vị không tạo được hồ sơ mới.", "success")
    return redirect(_back())


@bp.post("/campaigns/<int:campaign_id>/reopen")
@login_required
def reopen(campaign_id: int):
    campaign = campaign_admin.reopen_campaign(db.session, current_user, campaign_id)
    flash(f"Đã mở lại phong trào «{campaign.code}».", "success")
    return redirect(_back())


def _editor(campaign, text: str, error: ValidationFailed | None = None, status: int = 200):
    return render_template("admin_campaign_edit.html", campaign=campaign, text=text,
                           errors=error.field_errors if error else {}, message=error.message if error else None,
                           history=((campaign.details or {}).get(campaign_definition.ADMIN_KEY) or {})
                           .get("history", [])[::-1][:10] if campaign else []), status


def _template_text() -> str:
    unit = current_user.unit
    children = db.session.scalars(select(Unit.code).where(Unit.parent_id == unit.id).order_by(Unit.id)).all()
    return campaign_definition.new_template(unit.code, list(children), to_local(now()).date())


def _back() -> str:
    """Back to the page the button was on (the list keeps its search and page); only paths on this site."""
    return same_site_path(request.form.get("next", ""), url_for("admin.campaigns"))
