"""The form registry over the API: list the forms, save a new draft revision of one (process owners only)."""
from __future__ import annotations

from flask import g, jsonify, request

from processes import form_registry
from processes.models import FormRevision

from ..extensions import db
from . import bp
from .serializers import iso


def form_doc(row: FormRevision) -> dict:
    return {"name": row.name, "revision": row.revision, "status": row.status, "checksum": row.checksum,
            "created_at": iso(row.created_at)}


@bp.get("/forms")
def form_list():
    return jsonify({"items": [form_doc(r) for r in form_registry.latest_revisions(db.session, g.api_user)]})


@bp.put("/forms/<name>")
def form_save(name: str):
    # the body is read by the core after the permission check, so a refusal says nothing about it
    return jsonify(form_doc(form_registry.save_form(db.session, g.api_user, name, request.get_data())))
