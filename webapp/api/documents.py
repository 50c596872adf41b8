"""API routes for the dossier's documents: their state, generated PDFs, uploads and withdrawing them, the complete
dossier."""
from __future__ import annotations

from flask import g, jsonify

from processes import attachments
from processes.clock import format_datetime
from processes.documents import dossier

from ..documents import max_upload_bytes, nominee_arg, read_upload, send, upload_dir
from ..extensions import db
from . import bp


def attachment_doc(a) -> dict:
    return {"id": a.id, "document_code": a.document_code, "filename": a.filename, "content_type": a.content_type,
            "size": a.size, "sha256": a.sha256, "uploaded_at": format_datetime(a.uploaded_at),
            "uploaded_by": a.uploaded_by.full_name if a.uploaded_by else None}


def row_doc(r) -> dict:
    return {"code": r.code, "name": r.name, "required": r.required, "status": r.status,
            "status_label": r.status_label, "can_generate": r.can_generate, "missing": r.missing,
            "attachments": [attachment_doc(a) for a in r.uploads]}


@bp.get("/cases/<int:case_id>/documents")
def case_documents(case_id: int):
    _case, rows, extra = dossier.documents_of(db.session, g.api_user, case_id)
    return jsonify({"items": [row_doc(r) for r in rows], "other": [row_doc(r) for r in extra],
                    "complete": all(r.present for r in rows if r.required)})


@bp.get("/cases/<int:case_id>/documents/<code>")
def case_document(case_id: int, code: str):
    filename, pdf = dossier.generate(db.session, g.api_user, case_id, code, nominee_arg())
    return send(pdf, filename, "application/pdf")


@bp.post("/cases/<int:case_id>/attachments")
def case_upload(case_id: int):
    code, filename, content = read_upload()
    row = attachments.upload(db.session, g.api_user, case_id, code, filename, content, upload_dir(),
                             max_upload_bytes())
    return jsonify(attachment_doc(row)), 201


@bp.delete("/cases/<int:case_id>/attachments/<int:attachment_id>")
def case_withdraw_upload(case_id: int, attachment_id: int):
    attachments.withdraw(db.session, g.api_user, attachment_id, upload_dir(), case_id=case_id)
    return "", 204


@bp.get("/attachments/<int:attachment_id>")
def attachment_file(attachment_id: int):
    row, content = attachments.read(db.session, g.api_user, attachment_id, upload_dir())
    return send(content, f"ban-quet-{row.id}.{row.storage_key.rsplit('.', 1)[-1]}", row.content_type)


@bp.get("/cases/<int:case_id>/dossier.zip")
def case_dossier_zip(case_id: int):
    filename, content = dossier.zip_dossier(db.session, g.api_user, case_id, upload_dir())
    return send(content, filename, "application/zip")


@bp.get("/cases/<int:case_id>/dossier.pdf")
def case_dossier_pdf(case_id: int):
    filename, content = dossier.merged_pdf(db.session, g.api_user, case_id, upload_dir())
    return send(content, filename, "application/pdf")
