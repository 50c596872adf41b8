"""Process owners' pages: the processes, a process's versions (download, upload into the draft), the editor; the
session-authenticated JSON the editor and the case page's diagram call. Each route calls the same core function as
its API twin (webapp/api/processes.py)."""
from __future__ import annotations

import json

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from processes import form_registry, process_catalog, process_drafts, process_waiting
from processes.access import check_process_owner
from processes.case_diagram import case_diagram
from processes.errors import DomainError, InvalidInput, NotFound

from .api.processes import (bpmn_body, bpmn_download, conflict_response, expected_revision, publish_response,
                            saved_doc)
from .api.forms import form_doc
from .extensions import db
from .formrender import build_fields

bp = Blueprint("processes", __name__)
JSON_ENDPOINTS = {"processes.draft", "processes.save_draft", "processes.publish", "processes.case_diagram_json",
                  "processes.waiting", "processes.form_document", "processes.form_save", "processes.form_preview"}


def owner() -> None:
    check_process_owner(current_user, process_catalog.OWNERS_ONLY)


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    """The editor's and the case diagram's JSON routes answer errors in JSON, as the API does; pages as pages."""
    if request.endpoint not in JSON_ENDPOINTS:
        return render_template("error.html", status=exc.status, message=exc.message), exc.status
    if isinstance(exc, process_drafts.DraftConflict):
        return conflict_response(exc)
    extra = {k: v for k, v in exc.details.items() if k == "problems"}
    return jsonify({"error": exc.code, "message": exc.message, **extra}), exc.status


@bp.get("/processes")
@login_required
def index():
    owner()
    return render_template("processes.html", rows=process_catalog.processes(db.session))


@bp.post("/processes")
@login_required
def create():
    owner()
    process_id = request.form.get("process_id", "").strip()
    saved = process_drafts.create_process(db.session, current_user, process_id, request.form.get("name", ""))
    flash(f"Đã tạo quy trình «{saved.draft.process_id}»: vẽ các bước rồi xuất bản.", "success")
    return redirect(url_for("processes.edit", process_id=saved.draft.process_id))


@bp.get("/processes/<process_id>")
@login_required
def show(process_id: str):
    owner()
    page = process_catalog.versions(db.session, process_id, page=request.args.get("page", 1, type=int))
    return render_template("process.html", page=page, process=page.process)


@bp.get("/processes/<process_id>/versions/<int:number>.bpmn")
@login_required
def download(process_id: str, number: int):
    owner()
    return bpmn_download(process_id, number)


@bp.post("/processes/<process_id>/upload")
@login_required
def upload(process_id: str):
    """A .bpmn file (drawn in Camunda Modeler, SpiffArena, or downloaded earlier) becomes the process's draft."""
    owner()
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput("Hãy chọn một tệp .bpmn để tải lên.")
    try:
        xml = file.read(process_drafts.MAX_BPMN_BYTES + 1).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("Tệp BPMN phải được mã hóa UTF-8.") from exc
    base = request.form.get("revision", "")
    saved = process_drafts.save_draft(db.session, current_user, process_id, xml,
                                      int(base) if base.isdigit() and len(base) < 10 else None,
                                      action="draft_uploaded")
    problems = len(saved.problems)
    flash(f"Đã đưa «{file.filename}» vào bản nháp (lần lưu {saved.draft.revision}). "
          + (f"Sơ đồ còn {problems} lỗi; mở trình soạn thảo để xem chúng trên sơ đồ." if problems
             else "Sơ đồ hợp lệ: có thể xuất bản."), "success" if not problems else "warning")
    return redirect(url_for("processes.edit", process_id=process_id))


@bp.get("/processes/<process_id>/edit")
@login_required
def edit(process_id: str):
    owner()
    page = process_catalog.versions(db.session, process_id, per_page=1)  # 404 for a process that does not exist
    catalog = json.dumps(process_catalog.editor_catalog(), ensure_ascii=False).replace("</", "<\\/")
    return render_template("process_edit.html", process=page.process, catalog=catalog)


@bp.get("/processes/<process_id>/compare")
@login_required
def compare(process_id: str):
    """Two versions side by side with their differences marked (static/build/differ.js): ?from=1&to=2, or
    to=draft for the draft against a version."""
    owner()
    process = process_catalog.versions(db.session, process_id, per_page=1).process
    versions = range(1, process.latest_version + 1)
    first, second = request.args.get("from", type=int), request.args.get("to", "")
    if first is None or not (second == "draft" or second.isdigit()):  # asked wrongly: say how to ask
        raise InvalidInput("Chọn hai phiên bản để so sánh: ?from=<số phiên bản>&to=<số phiên bản hoặc draft>.")
    if first not in versions or not (second == "draft" and process.draft_revision
                                     or second.isdigit() and int(second) in versions):
        raise NotFound("Không tìm thấy phiên bản để so sánh.")
    right = url_for("processes.draft", process_id=process_id) if second == "draft" else \
        url_for("processes.download", process_id=process_id, number=int(second))
    return render_template("process_compare.html", process=process, first=first, second=second,
                           left_url=url_for("processes.download", process_id=process_id, number=first),
                           right_url=right)


@bp.get("/processes/<process_id>/draft")
@login_required
def draft(process_id: str):
    return jsonify(process_catalog.draft_for_editor(db.session, current_user, process_id))


@bp.put("/processes/<process_id>/draft")
@login_required
def save_draft(process_id: str):
    owner()
    saved = process_drafts.save_draft(db.session, current_user, process_id, bpmn_body(), expected_revision())
    return jsonify(saved_doc(saved))


@bp.post("/processes/<process_id>/publish")
@login_required
def publish(process_id: str):
    owner()
    return publish_response(process_id, current_user)


@bp.get("/processes/<process_id>/waiting.json")
@login_required
def waiting(process_id: str):
    """How many running cases wait at each step (the editor's badges): an indexed count, cheap on every open."""
    return jsonify({"waiting": process_waiting.waiting_counts(db.session, current_user, process_id)})


# --- the form editor beside the diagram (assets/form-editor.js) --------------------------------------------------------

@bp.get("/processes/forms/<name>.json")
@login_required
def form_document(name: str):
    row = form_registry.latest_document(db.session, current_user, name)
    # the stored text, not a re-serialised dict: jsonify sorts keys, and the order of a schema's properties is the
    # order of the fields staff see
    return jsonify({**form_doc(row), "text": row.document})


@bp.put("/processes/forms/<name>")
@login_required
def form_save(name: str):
    """The session twin of PUT /api/forms/{name}: the same verb, a new draft revision of the form."""
    return jsonify(form_doc(form_registry.save_form(db.session, current_user, name, request.get_data())))


@bp.post("/processes/forms/preview")
@login_required
def form_preview():
    """A schema and its UI schema rendered by the renderer staff's task pages use (webapp/formrender.py, the
    `_form.html` partial): exactly what staff will see. Owners only; size-limited like a saved form."""
    owner()
    if (request.content_length or 0) > 2 * form_registry.MAX_FORM_BYTES:
        raise InvalidInput(f"Biểu mẫu quá lớn (tối đa {form_registry.MAX_FORM_BYTES // 1024} KB).")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("schema"), dict) \
            or not isinstance(body.get("ui", {}), dict):
        raise InvalidInput("Nội dung phải là {\"schema\": {…}, \"ui\": {…}}.")
    schema = form_registry.parse_document("xem-truoc-schema.json", json.dumps(body["schema"]))
    ui = body.get("ui") or {}
    try:
        fields = build_fields(schema, ui, {}, {})
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a valid schema the renderer cannot draw
        raise InvalidInput(f"Không hiển thị được biểu mẫu: {exc}") from exc
    return jsonify({"html": render_template("process_form_preview.html", fields=fields)})


@bp.get("/cases/<int:case_id>/diagram.json")
@login_required
def case_diagram_json(case_id: int):
    return jsonify(case_diagram(db.session, current_user, case_id))
