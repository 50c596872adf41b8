"""Campaign administration over the API: the definition as JSON (the TOML file's keys, dates as ISO strings)."""
from __future__ import annotations

from flask import Response, g, jsonify, request

from processes import campaign_admin
from processes.campaign_definition import ADMIN_KEY, SCHEMA_PATH, definition_of
from processes.errors import InvalidInput
from processes.models import Campaign

from ..extensions import db
from . import bp
from .serializers import campaign_doc


def campaign_full_doc(campaign: Campaign) -> dict:
    record = (campaign.details or {}).get(ADMIN_KEY) or {}
    return {**campaign_doc(campaign), "definition": definition_of(campaign.details),
            "changed": {k: record.get(k) for k in ("created_at", "created_by", "updated_at", "updated_by",
                                                      "copied_from")}}


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Nội dung yêu cầu phải là một đối tượng JSON (định nghĩa phong trào).")
    return body


@bp.get("/campaigns/<int:campaign_id>")
def campaign_detail(campaign_id: int):
    campaign = campaign_admin.read_campaign(db.session, g.api_user, campaign_id)
    doc = campaign_full_doc(campaign)
    if not g.api_user.is_admin:
        doc.pop("changed")  # who administers campaigns is the administrators' business
    return jsonify(doc)


@bp.get("/campaign-schema.json")
def campaign_schema():
    """The JSON Schema a definition must satisfy (unit codes and cross references are checked on save)."""
    return Response(SCHEMA_PATH.read_bytes(), mimetype="application/schema+json")


@bp.post("/campaigns")
def campaign_create():
    campaign_admin.check_admin(g.api_user)  # a non-administrator learns nothing about the body's validity
    campaign = campaign_admin.create_campaign(db.session, g.api_user, _body())
    return jsonify(campaign_full_doc(campaign)), 201


@bp.put("/campaigns/<int:campaign_id>")
def campaign_update(campaign_id: int):
    campaign_admin.check_admin(g.api_user)
    return jsonify(campaign_full_doc(campaign_admin.update_campaign(db.session, g.api_user, campaign_id, _body())))


@bp.post("/campaigns/<int:campaign_id>/copy")
def campaign_copy(campaign_id: int):
    campaign_admin.check_admin(g.api_user)
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise InvalidInput("Nội dung yêu cầu phải là một đối tượng JSON: {\"code\": …, \"name\": …} (tùy chọn).")
    for key in ("code", "name"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise InvalidInput(f"«{key}» phải là chuỗi ký tự.")
    campaign = campaign_admin.copy_campaign(db.session, g.api_user, campaign_id,
                                            code=body.get("code") or None, name=body.get("name") or None)
    return jsonify(campaign_full_doc(campaign)), 201


@bp.post("/campaigns/<int:campaign_id>/close")
def campaign_close(campaign_id: int):
    return jsonify(campaign_full_doc(campaign_admin.close_campaign(db.session, g.api_user, campaign_id)))


@bp.post("/campaigns/<int:campaign_id>/reopen")
def campaign_reopen(campaign_id: int):
    return jsonify(campaign_full_doc(campaign_admin.reopen_campaign(db.session, g.api_user, campaign_id)))
