"""Read side of the process pages and API: the processes with their latest version and draft, a process's
versions, one version's document, the draft as the editor opens it, and what the editor offers to pick from.
Each list is one SQL query on indexed columns; nothing here runs a workflow."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from .access import check_process_owner
from .clock import to_local
from .contracts import Rule
from .diagram_validation import check
from .errors import NotFound
from .forms import forms
from .models import DiagramVersion, ProcessDraft, User
from .paging import Paged
from .roles import ROLES

PROCESS_NOT_FOUND = "Không tìm thấy quy trình."
VERSION_NOT_FOUND = "Không tìm thấy phiên bản này của quy trình."
OWNERS_ONLY = "Chỉ chủ quy trình hoặc quản trị viên mới được sửa và xuất bản sơ đồ."
VERSIONS_PER_PAGE = 20


@dataclass
class ProcessRow:
    process_id: str
    name: str
    latest_version: int  # 0: never published (a new process that has only a draft)
    published_at: dt.datetime | None
    published_by: str
    note: str
    draft_revision: int  # 0: no draft
    draft_saved_at: dt.datetime | None
    draft_saved_by: str
    draft_problems: int
    draft_pending: bool  # the draft holds changes not yet published


def processes(session: Session) -> list[ProcessRow]:
    """Every process: its newest version (the unique (process_id, version) index serves the max) and its draft."""
    newest = (select(DiagramVersion.process_id, func.max(DiagramVersion.version).label("version"))
              .group_by(DiagramVersion.process_id).subquery())
    publisher, saver = aliased(User), aliased(User)
    rows = session.execute(
        select(DiagramVersion.process_id, DiagramVersion.name, DiagramVersion.version, DiagramVersion.published_at,
               publisher.full_name.label("published_by"), DiagramVersion.note)
        .join(newest, and_(newest.c.process_id == DiagramVersion.process_id,
                           newest.c.version == DiagramVersion.version))
        .outerjoin(publisher, publisher.id == DiagramVersion.published_by_id)).all()
    drafts = {d.process_id: d for d in session.execute(
        select(ProcessDraft.process_id, ProcessDraft.revision, ProcessDraft.saved_at, ProcessDraft.problem_count,
               ProcessDraft.pending, saver.full_name.label("saved_by"))
        .outerjoin(saver, saver.id == ProcessDraft.saved_by_id))}
    result = []
    for r in rows:
        d = drafts.pop(r.process_id, None)
        result.append(ProcessRow(r.process_id, r.name, r.version, r.published_at, r.published_by or "Hệ thống",
                                 r.note, d.revision if d else 0, d.saved_at if d else None,
                                 (d.saved_by or "") if d else "", d.problem_count if d else 0,
                                 bool(d and d.pending)))
    for d in drafts.values():  # processes drawn in the editor and never published yet
        result.append(ProcessRow(d.process_id, "", 0, None, "", "", d.revision, d.saved_at, d.saved_by or "",
                                 d.problem_count, d.pending))
    return sorted(result, key=lambda row: row.process_id)


@dataclass
class VersionPage(Paged):
    process: ProcessRow
    versions: list
    page: int
    per_page: int
    total: int


def versions(session: Session, process_id: str, page: int = 1, per_page: int = VERSIONS_PER_PAGE) -> VersionPage:
    process = next((p for p in processes(session) if p.process_id == process_id), None)
    if process is None:
        raise NotFound(PROCESS_NOT_FOUND)
    per_page = min(max(per_page, 1), 100)
    total = process.latest_version  # versions are numbered 1…n without gaps
    page = min(max(page, 1), max(1, -(-total // per_page)))
    publisher = aliased(User)
    rows = session.execute(
        select(DiagramVersion.version, DiagramVersion.name, DiagramVersion.published_at, DiagramVersion.note,
               DiagramVersion.checksum, publisher.full_name.label("published_by"))
        .outerjoin(publisher, publisher.id == DiagramVersion.published_by_id)
        .where(DiagramVersion.process_id == process_id)
        .order_by(DiagramVersion.version.desc()).offset((page - 1) * per_page).limit(per_page)).all()
    return VersionPage(process, rows, page, per_page, total)


def version_xml(session: Session, process_id: str, number: int) -> str:
    xml = session.scalar(select(DiagramVersion.bpmn_xml).where(
        DiagramVersion.process_id == process_id, DiagramVersion.version == number))
    if xml is None:
        raise NotFound(VERSION_NOT_FOUND)
    return xml


def draft_for_editor(session: Session, user: User, process_id: str) -> dict:
    """The draft as the editor opens it, with its problems; the newest version when there is no draft yet
    (revision 0). Owners only: 403 for others, whatever the process; 404 for a process that does not exist."""
    check_process_owner(user, OWNERS_ONLY)
    draft = session.scalar(select(ProcessDraft).where(ProcessDraft.process_id == process_id))
    if draft is not None:
        return draft_doc(draft, check(draft.bpmn_xml, session), with_xml=True)
    latest = session.execute(
        select(DiagramVersion.version, DiagramVersion.bpmn_xml).where(DiagramVersion.process_id == process_id)
        .order_by(DiagramVersion.version.desc()).limit(1)).first()
    if latest is None:
        raise NotFound(PROCESS_NOT_FOUND)
    return {"process_id": process_id, "revision": 0, "base_version": latest.version, "saved_at": None,
            "saved_by": "", "xml": latest.bpmn_xml, "valid": True, "problems": []}


def draft_doc(draft: ProcessDraft, problems, with_xml: bool = False) -> dict:
    doc = {"process_id": draft.process_id, "revision": draft.revision, "base_version": draft.base_version,
           "saved_at": to_local(draft.saved_at).isoformat() if draft.saved_at else None,
           "saved_by": draft.saved_by.full_name if draft.saved_by else "",
           "valid": not problems, "problems": [p.as_json() for p in problems]}
    if with_xml:
        doc["xml"] = draft.bpmn_xml
    return doc


def editor_catalog() -> dict:
    """What the editor's own properties offer: the forms on the server, the roles lanes name, the rules."""
    names = sorted(p.name for p in forms.forms_dir.glob("*.json"))
    return {"forms": names, "roles": [{"code": r.code, "label": r.label, "scope": r.scope} for r in ROLES],
            "rules": [r.value for r in Rule]}
