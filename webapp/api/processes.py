"""Process owners' API (bearer tokens): processes, versions, a version's .bpmn, the draft, publishing; and a case's
diagram with the state of each element. Thin: each route calls one function of the core. The editor page calls
the same functions through session routes (webapp/process_pages.py)."""
from __future__ import annotations

from flask import Response, g, jsonify, request

from processes import process_catalog, process_drafts
from processes.access import check_process_owner
from processes.case_diagram import case_diagram
from processes.errors import InvalidInput

from ..extensions import db
from . import bp
from .serializers import iso


def process_doc(row: process_catalog.ProcessRow) -> dict:
    return {"process_id": row.process_id, "name": row.name, "latest_version": row.latest_version,
            "published_at": iso(row.published_at), "published_by": row.published_by, "note": row.note,
            "draft": {"revision": row.draft_revision, "saved_at": iso(row.draft_saved_at),
                      "saved_by": row.draft_saved_by, "problems": row.draft_problems,
                      "pending": row.draft_pending} if row.draft_revision else None}


def version_doc(row) -> dict:
    return {"version": row.version, "name": row.name, "published_at": iso(row.published_at),
            "published_by": row.published_by or "Hệ thống", "note": row.note, "checksum": row.checksum}


def conflict_response(exc: process_drafts.DraftConflict):
    d = exc.draft
    draft = {"revision": d.revision, "saved_at": iso(d.saved_at),
             "saved_by": d.saved_by.full_name if d.saved_by else ""} if d is not None else None
    return jsonify({"error": exc.code, "message": exc.message, "draft": draft}), 409


def expected_revision() -> int | None:
    """The draft revision a save is based on: If-Match ("3", W/"3") or ?base=3; None when neither is given."""
    raw = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('" ') or request.args.get("base", "")
    if raw == "":
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput("If-Match (hoặc base) phải là số lần lưu của bản nháp, ví dụ \"3\".")
    return int(raw)


def bpmn_body() -> str:
    data = request.get_data(cache=False)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("Tệp BPMN phải được mã hóa UTF-8.") from exc


def publish_body() -> tuple[str, str, int | None]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Nội dung yêu cầu phải là một đối tượng JSON: {\"note\": …, \"migrate\": \"none\"}.")
    note, migrate, revision = body.get("note", ""), body.get("migrate", "none"), body.get("revision")
    if not isinstance(note, str) or not isinstance(migrate, str):
        raise InvalidInput("note và migrate phải là chuỗi ký tự.")
    if revision is not None and (not isinstance(revision, int) or isinstance(revision, bool) or revision < 0):
        raise InvalidInput("revision phải là số nguyên không âm.")
    return note.strip(), migrate, revision


def publish_doc(process_id: str, published: process_drafts.Published, note: str) -> dict:
    version = published.version
    migration = published.report.as_json() if published.report else {"mode": "none", "cases": []}
    return {"process_id": process_id, "version": published.number, "published": version is not None,
            "note": version.note if version else note,
            "published_at": iso(version.published_at) if version else None,
            "draft_revision": published.draft_revision, "migration": migration}


def publish_response(process_id: str, user):
    note, migrate, revision = publish_body()
    published = process_drafts.publish_draft(db.session, user, process_id, note, migrate, revision)
    return jsonify(publish_doc(process_id, published, note)), 201 if published.version else 200


def saved_doc(saved: process_drafts.SavedDraft) -> dict:
    return process_catalog.draft_doc(saved.draft, saved.problems)


bp.register_error_handler(process_drafts.DraftConflict, conflict_response)


@bp.get("/processes")
def process_list():
    check_process_owner(g.api_user, process_catalog.OWNERS_ONLY)
    return jsonify({"items": [process_doc(p) for p in process_catalog.processes(db.session)]})


@bp.get("/processes/<process_id>/versions")
def process_versions(process_id: str):
    check_process_owner(g.api_user, process_catalog.OWNERS_ONLY)
    page = process_catalog.versions(db.session, process_id, page=request.args.get("page", 1, type=int),
                                    per_page=request.args.get("per_page", 20, type=int))
    return jsonify({"process": process_doc(page.process), "items": [version_doc(v) for v in page.versions],
                    "total": page.total, "page": page.page, "per_page": page.per_page, "pages": page.pages})


@bp.get("/processes/<process_id>/versions/<int:number>.bpmn")
def process_version_file(process_id: str, number: int):
    check_process_owner(g.api_user, process_catalog.OWNERS_ONLY)
    return bpmn_download(process_id, number)


def bpmn_download(process_id: str, number: int) -> Response:
    xml = process_catalog.version_xml(db.session, process_id, number)
    return Response(xml.encode("utf-8"), mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{process_id}-v{number}.bpmn"'})


@bp.get("/processes/<process_id>/draft")
def process_draft(process_id: str):
    return jsonify(process_catalog.draft_for_editor(db.session, g.api_user, process_id))


@bp.put("/processes/<process_id>/draft")
def process_draft_save(process_id: str):
    check_process_owner(g.api_user, process_catalog.OWNERS_ONLY)
    saved = process_drafts.save_draft(db.session, g.api_user, process_id, bpmn_body(), expected_revision())
    return jsonify(saved_doc(saved))


@bp.post("/processes/<process_id>/publish")
def process_publish(process_id: str):
    check_process_owner(g.api_user, process_catalog.OWNERS_ONLY)
    return publish_response(process_id, g.api_user)


@bp.get("/editor/catalog")
def editor_catalog():
    check_process_owner(g.api_user, process_catalog.OWNERS_ONLY)
    return jsonify(process_catalog.editor_catalog())


@bp.get("/cases/<int:case_id>/diagram")
def case_diagram_doc(case_id: int):
    return jsonify(case_diagram(db.session, g.api_user, case_id))
