"""The dossier's documents on the case page: generated PDFs, uploading signed scans, the whole dossier as a ZIP or
one merged PDF. Thin views over processes.documents.dossier and processes.attachments."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required

from processes import attachments, upload_store
from processes.documents import dossier
from processes.errors import InvalidInput

from .extensions import db

bp = Blueprint("documents", __name__)


def upload_dir() -> Path | str:
    """Where uploads are kept: the database with TDKT_UPLOAD_STORE=database (several machines, config or
    environment), else a folder outside the web root: TDKT_UPLOAD_DIR, else `<instance>/uploads`."""
    if (current_app.config.get("TDKT_UPLOAD_STORE") or os.environ.get("TDKT_UPLOAD_STORE", "")) == "database":
        return upload_store.DATABASE
    configured = current_app.config.get("TDKT_UPLOAD_DIR") or os.environ.get("TDKT_UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def max_upload_bytes() -> int:
    return int(current_app.config.get("TDKT_UPLOAD_MAX_BYTES") or attachments.DEFAULT_MAX_BYTES)


def send(content: bytes, filename: str, mimetype: str, *, inline: bool = False) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def nominee_arg() -> int | None:
    value = request.args.get("nominee", "")
    if value == "":
        return None
    if not value.isdigit():
        raise InvalidInput("Tham số nominee phải là số thứ tự trong danh sách (bắt đầu từ 1).")
    return int(value) - 1


def read_upload() -> tuple[str, str, bytes]:
    file = request.files.get("file")
    if file is None or not file.filename:  # the verb says so, after deciding whether this user may upload at all
        return request.form.get("document_code", ""), None, b""
    content = file.stream.read(max_upload_bytes() + 1)
    return request.form.get("document_code", ""), file.filename, content


@bp.app_context_processor
def case_documents_helper():
    def case_documents(case_id: int):
        case, rows, extra = dossier.documents_of(db.session, current_user, case_id)
        return {"rows": rows, "extra": extra, "blocking": [r for r in rows if r.required and r.status == "missing" and not r.at_submission],
                "may_withdraw": attachments.may_withdraw(current_user, case)}
    return {"case_documents": case_documents}


@bp.get("/cases/<int:case_id>/documents/<code>.pdf")
@login_required
def document(case_id: int, code: str):
    filename, pdf = dossier.generate(db.session, current_user, case_id, code, nominee_arg())
    return send(pdf, filename, "application/pdf", inline=True)


@bp.post("/cases/<int:case_id>/attachments")
@login_required
def upload(case_id: int):
    code, filename, content = read_upload()
    row = attachments.upload(db.session, current_user, case_id, code, filename, content, upload_dir(),
                             max_upload_bytes())
    flash(f"Đã tải lên «{row.filename}» (SHA-256 {row.sha256[:12]}…).", "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#ho-so-van-ban")


@bp.post("/cases/<int:case_id>/attachments/<int:attachment_id>/withdraw")
@login_required
def withdraw(case_id: int, attachment_id: int):
    gone = attachments.withdraw(db.session, current_user, attachment_id, upload_dir(), case_id=case_id)
    flash(f"Đã rút bản quét «{gone.filename}» khỏi thành phần «{gone.document_name}».", "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#ho-so-van-ban")


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    row, content = attachments.read(db.session, current_user, attachment_id, upload_dir())
    return send(content, f"ban-quet-{row.id}.{row.storage_key.rsplit('.', 1)[-1]}", row.content_type)


@bp.get("/cases/<int:case_id>/dossier.zip")
@login_required
def dossier_zip(case_id: int):
    filename, content = dossier.zip_dossier(db.session, current_user, case_id, upload_dir())
    return send(content, filename, "application/zip")


@bp.get("/cases/<int:case_id>/dossier.pdf")
@login_required
def dossier_pdf(case_id: int):
    filename, content = dossier.merged_pdf(db.session, current_user, case_id, upload_dir())
    return send(content, filename, "application/pdf")
