"""A case's dossier: which of the campaign's documents are signed-and-uploaded, can be generated, or are missing;
the documents themselves; the whole dossier as one ZIP (with a manifest of SHA-256 checksums) or one merged PDF.

Every verb reads the case with its permission check first (members of the case's unit and of every unit above it).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import zipfile
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import attachments as uploads
from ..access import check_may_read_case
from ..award_forms import award_name, own_part, upward_nominees
from ..contracts import DataKey
from ..clock import format_date, format_datetime, now
from ..errors import InvalidInput, NotFound
from ..models import Attachment, AwardRecord, Case
from ..nominees import nominee_key
from ..unit_tree import unit_hierarchy_ids
from .context import Issuer
from . import cache
from .render import DOCUMENTS, html_for, htmls_for, missing_fields, pdf_for, render_many

log = logging.getLogger(__name__)

# A campaign whose file lists no dossier: the usual set of Nghị định 98/2023/NĐ-CP.
DEFAULT_DOSSIER = [
    {"code": "to_trinh", "name": "Tờ trình đề nghị khen thưởng", "required": True},
    {"code": "danh_sach", "name": "Danh sách tập thể, cá nhân được đề nghị khen thưởng", "required": True},
    {"code": "bien_ban", "name": "Biên bản họp Hội đồng Thi đua - Khen thưởng", "required": True},
    {"code": "bao_cao_thanh_tich", "name": "Báo cáo thành tích của tập thể, cá nhân", "required": True},
]
SUBMISSION_FIELDS = {"số tờ trình", "ngày tờ trình", "người ký", "chức vụ người ký"}
#: The head's own decision of a MIXED dossier (bpmn/nomination.bpmn's keep_unit_decision keeps it apart as
#: `unit_decision`): its Quyết định and Giấy khen, rendered by the quyet_dinh / bang_khen templates from the case
#: data narrowed to the head's nominees and that decision — under the unit's own header (context.deciding_unit).
UNIT_DECISION_DOCUMENTS = {"quyet_dinh_don_vi": ("quyet_dinh", "Quyết định tặng Giấy khen của Thủ trưởng đơn vị"),
                           "giay_khen_don_vi": ("bang_khen", "Giấy khen của Thủ trưởng đơn vị")}
DOCUMENT_STATUS_LABELS = {"uploaded": "Đã ký, đã tải lên", "generated": "Lập được từ dữ liệu (chưa có bản ký)",
                 "missing": "Còn thiếu"}


@dataclass
class DocumentRow:
    code: str
    name: str
    required: bool
    status: str  # uploaded | generated | missing
    can_generate: bool
    missing: list[str] = field(default_factory=list)  # what the data lacks to generate it
    uploads: list[Attachment] = field(default_factory=list)
    originals: int = 1
    template: str = ""
    at_submission: bool = False  # lacks only the tờ trình's own fields, which the head's submit form supplies

    @property
    def status_label(self) -> str:
        return DOCUMENT_STATUS_LABELS[self.status]

    @property
    def present(self) -> bool:
        return self.status != "missing"


def dossier_list(campaign) -> list[dict]:
    return [d for d in ((campaign.details or {}).get("dossier_document") or DEFAULT_DOSSIER) if d.get("code")]


def rows_for(campaign, data: dict, attached: list[Attachment]) -> list[DocumentRow]:
    """The campaign's dossier documents for a case with `data` (as `documents_data` gives it) and its uploads."""
    by_code: dict[str, list[Attachment]] = {}
    for a in attached:
        by_code.setdefault(a.document_code, []).append(a)
    rows = []
    for doc in dossier_list(campaign):
        code = doc["code"]
        lacking = missing_fields(code, data, campaign)
        can_generate = lacking == []
        mine = by_code.get(code, [])
        status = "uploaded" if mine else ("generated" if can_generate else "missing")
        at_submission = bool(lacking) and set(lacking) <= SUBMISSION_FIELDS
        rows.append(DocumentRow(code=code, name=doc.get("name", code), required=bool(doc.get("required", True)),
                                status=status, can_generate=can_generate,
                                missing=(lacking if lacking is not None else ["chưa có mẫu để lập tự động: cần tải lên bản quét"]),
                                uploads=mine, originals=int(doc.get("originals") or 1), template=doc.get("template", ""),
                                at_submission=at_submission))
    return rows


def _case(session: Session, user, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    check_may_read_case(user, case)
    return case


def documents_of(session: Session, user, case_id: int) -> tuple[Case, list[DocumentRow], list[DocumentRow]]:
    """The campaign's dossier documents with their state, and the other documents this case can produce."""
    case = _case(session, user, case_id)
    data = documents_data(session, case)
    rows = rows_for(case.campaign, data, uploads.for_case(session, case.id))
    listed = {r.code for r in rows}
    extra = []
    for code in ("quyet_dinh", "bang_khen"):
        if code not in listed:
            lacking = missing_fields(code, data, case.campaign)
            extra.append(DocumentRow(code=code, name=DOCUMENTS[code].name, required=False,
                                     status="generated" if not lacking else "missing", can_generate=not lacking,
                                     missing=lacking or []))
    own = unit_decision_data(case.data or {})
    if own is not None:
        for code, (template, name) in UNIT_DECISION_DOCUMENTS.items():
            lacking = missing_fields(template, own, case.campaign)
            extra.insert(0 if code == "quyet_dinh_don_vi" else 1,
                         DocumentRow(code=code, name=name, required=False, status="missing" if lacking else "generated",
                                     can_generate=not lacking, missing=lacking or []))
    return case, rows, extra


def missing_documents(session: Session, case: Case, data: dict) -> list[str]:
    """What the `documents` rule refuses: each required document neither signed-and-uploaded nor generatable from
    `data` (the case's data with the submitted form merged in), as a message."""
    return [f"Thiếu thành phần hồ sơ «{row.name}»: chưa tải lên bản đã ký và chưa lập được ({'; '.join(row.missing)})."
            for row in rows_for(case.campaign, documents_data(session, case, data),
                                uploads.for_case(session, case.id) if case.id else [])
            if row.required and row.status == "missing"]


# ── rendering from a case ────────────────────────────────────────────────────────────────────────────────────

def _history(session: Session, before: dt.date | None, units: set[int], rows: list[dict]):
    """A nominee's awards decided before `before`, of `units` only (the hierarchy of the case's unit: the document is
    the unit's, so it quotes only the decisions that unit's people may read). The awards of all of `rows` (the
    case's nominees) are read in one query, on first use."""
    found: dict[str, list[dict]] | None = None

    def load() -> dict[str, list[dict]]:
        keys = sorted({nominee_key(row) for row in rows})
        by_key: dict[str, list[dict]] = {k: [] for k in keys}
        if not keys:
            return by_key
        query = (select(AwardRecord).where(AwardRecord.nominee_key.in_(keys), AwardRecord.unit_id.in_(units))
                 .order_by(AwardRecord.decision_date, AwardRecord.id))
        for r in session.scalars(query):
            if before and r.decision_date and r.decision_date >= before:
                continue
            by_key[r.nominee_key].append({
                "year": r.decision_date.year if r.decision_date else "",
                "award": r.award_name or award_name(r.award_form),
                "decision": ", ".join(x for x in (
                    f"Quyết định số {r.decision_number}" if r.decision_number else "",
                    f"ngày {format_date(r.decision_date)}" if r.decision_date else "",
                    r.decision_authority) if x)})
        return by_key

    def lookup(row: dict) -> list[dict]:
        nonlocal found
        if found is None:
            found = load()
        return list(found.get(nominee_key(row), []))
    return lookup


def unit_decision_data(data: dict) -> dict | None:
    """The case data as the head's own decision of a mixed dossier reads it (its nominees, its number, date,
    authority, signer and awards), or None when the case has no such decision."""
    decision = data.get(DataKey.UNIT_DECISION)
    if not isinstance(decision, dict) or not decision.get("decision_number"):
        return None
    view = {k: v for k, v in data.items() if not k.startswith("decision_") and k not in ("awards", "register_number")}
    nominees = decision.get("nominees") or own_part(data.get("nominees"), data.get(DataKey.AWARD_LEVELS))
    return {**view, **{k: v for k, v in decision.items() if k != "nominees"}, "nominees": nominees}


def documents_data(session: Session, case: Case, data: dict | None = None) -> dict:
    """The case's data as its documents read it. A unit's dossier split by its head (a Giấy khen decided at the
    unit, the rest sent up) sends up only the rest: its tờ trình, danh sách, reports and the upper decision list
    only those (`award_forms.upward_nominees`). A consolidation case's nominees are the units' nominees its
    council chose: their achievement reports, birth dates and titles are in the units' cases, and its dossier
    carries those reports (the receiving level confirms them), so they are taken from there."""
    data = dict(case.data or {}) if data is None else dict(data)
    if case.kind != "consolidation":
        data["nominees"] = upward_nominees(data)
    if case.kind != "consolidation" or not data.get("nominees"):
        return data
    child_ids = {n.get("case_id") for n in data["nominees"] if n.get("case_id")}
    rows = {}
    if child_ids:
        for child_id, child_data in session.execute(select(Case.id, Case.data).where(Case.id.in_(child_ids))):
            for row in (child_data or {}).get("nominees") or []:
                rows[(child_id, nominee_key(row))] = row
    enriched = []
    for nominee in data["nominees"]:
        source = rows.get((nominee.get("case_id"), nominee_key(nominee))) or {}
        extra = {k: source[k] for k in ("report", "birth_date", "achievement_title") if k in source and k not in nominee}
        enriched.append({**nominee, **extra})
    data["nominees"] = enriched
    return data


def render_options(session: Session, case: Case) -> dict:
    """Who the tờ trình goes to, which tờ trình a decision answers, and the earlier awards, for this case. The
    deciding body follows from the award forms and the unit tree (`context.deciding_unit`)."""
    unit, campaign = case.unit, case.campaign
    data = case.data or {}
    # A unit's tờ trình goes to the campaign's receiving level (the default); a consolidation to the body above.
    recipient = unit.governing_body if case.kind == "consolidation" else None
    proposal = None
    if case.kind == "unit" and case.parent_id is not None and data.get("decision_number"):
        # The decision was taken on the receiving level's consolidated tờ trình, not on this unit's own.
        parent = session.get(Case, case.parent_id)
        parent_data = (parent.data or {}) if parent is not None else {}
        if parent is not None and parent_data.get("submission_number"):
            proposal = {"number": parent_data.get("submission_number"), "date": parent_data.get("submission_date"),
                        "issuer": Issuer.of(parent.unit)}
    history = _history(session, campaign.document_date, unit_hierarchy_ids(session, case.unit_id),
                       data.get("nominees") or [])
    return {"recipient": recipient, "history": history, "proposal": proposal}


def _filename(case: Case, code: str, nominee: int | None) -> str:
    suffix = f"-{nominee + 1}" if nominee is not None else ""
    return f"ho-so-{case.id}-{code}{suffix}.pdf"


def _source(session: Session, case: Case, code: str) -> tuple[str, dict, dict]:
    """The template, the data and the options document `code` of this case renders from: the head's own decision
    of a mixed dossier (UNIT_DECISION_DOCUMENTS) cites the unit's own tờ trình, never the consolidated one."""
    if code in UNIT_DECISION_DOCUMENTS:
        data = unit_decision_data(case.data or {})
        if data is None:
            raise NotFound("Hồ sơ này không có quyết định riêng của Thủ trưởng đơn vị.")
        return UNIT_DECISION_DOCUMENTS[code][0], data, {**render_options(session, case), "proposal": None}
    return code, documents_data(session, case), render_options(session, case)


def html(session: Session, user, case_id: int, code: str, nominee: int | None = None) -> str:
    case = _case(session, user, case_id)
    template, data, options = _source(session, case, code)
    _check_renderable(case, data, template, nominee)
    return html_for(template, data, case.campaign, case.unit, nominee=nominee, **options)


def _check_renderable(case: Case, data: dict, code: str, nominee: int | None) -> None:
    if code not in DOCUMENTS:
        raise NotFound("Không có mẫu văn bản này.")
    lacking = missing_fields(code, data, case.campaign)
    if lacking:
        raise InvalidInput(f"Chưa lập được «{DOCUMENTS[code].name}»: hồ sơ chưa có {', '.join(lacking)}.")
    if nominee is not None and not (0 <= nominee < len(data.get("nominees") or [])):
        raise NotFound("Không có tập thể, cá nhân này trong danh sách.")


def generate(session: Session, user, case_id: int, code: str, nominee: int | None = None) -> tuple[str, bytes]:
    case = _case(session, user, case_id)
    template, data, options = _source(session, case, code)
    _check_renderable(case, data, template, nominee)
    pdf = render_many([htmls_for(template, data, case.campaign, case.unit, nominee=nominee, **options)])[0]
    return _filename(case, code, nominee), pdf


# ── the complete dossier ─────────────────────────────────────────────────────────────────────────────────────

@dataclass
class Part:
    path: str  # inside the ZIP
    code: str
    name: str
    source: str  # generated | uploaded
    content: bytes
    content_type: str
    original_name: str = ""
    sha256: str = ""  # an upload's recorded checksum
    problem: str = ""  # why a stored upload cannot be read: then it is skipped with a note, not the dossier failed


def _parts(session: Session, case: Case, upload_dir) -> tuple[list[Part], list[DocumentRow]]:
    data = documents_data(session, case)
    rows = rows_for(case.campaign, data, uploads.for_case(session, case.id))
    options = render_options(session, case)
    parts: list[Part] = []
    generated: list[tuple[int, list[str]]] = []  # (index in parts, the document's HTML pieces)
    for n, row in enumerate(rows, 1):
        if row.uploads:
            for k, a in enumerate(row.uploads, 1):
                ext = a.storage_key.rsplit(".", 1)[-1]
                try:
                    content, problem = uploads.content_of(a, upload_dir), ""
                except (NotFound, InvalidInput) as exc:  # gone from the store, or changed since it was uploaded
                    content, problem = b"", exc.message
                parts.append(Part(f"{n:02d}-{row.code}-ban-ky-{k}.{ext}", row.code, row.name, "uploaded",
                                  content, a.content_type, a.filename, a.sha256, problem))
        elif row.can_generate:
            generated.append((len(parts), htmls_for(row.code, data, case.campaign, case.unit, **options)))
            parts.append(Part(f"{n:02d}-{row.code}.pdf", row.code, row.name, "generated", b"", "application/pdf"))
    if "quyet_dinh" not in {r.code for r in rows} and not missing_fields("quyet_dinh", data, case.campaign):
        generated.append((len(parts), htmls_for("quyet_dinh", data, case.campaign, case.unit, **options)))
        parts.append(Part(f"{len(rows) + 1:02d}-quyet_dinh.pdf", "quyet_dinh", DOCUMENTS["quyet_dinh"].name,
                          "generated", b"", "application/pdf"))
    # Every document to generate in one batch: those rendered before come from the cache, the rest side by side.
    for (index, _), pdf in zip(generated, render_many([pieces for _, pieces in generated])):
        parts[index].content = pdf
    return parts, rows


def _assembled(kind: str, parts: list[Part], build, extra: str = "") -> bytes:
    """A whole dossier (ZIP, merged PDF) assembled once per distinct set of parts (and `extra`, what else it
    shows), kept in the render cache."""
    key = f"{kind}:" + cache.digest(extra, *[f"{p.path}|{p.name}|{p.source}|{p.original_name}|{p.problem}|"
                                             f"{hashlib.sha256(p.content).hexdigest()}" for p in parts])
    found = cache.CACHE.get(key)
    if found is None:
        found = build()
        cache.CACHE.put(key, found)
    return found


def _skipped(p: Part, reason: str) -> dict:
    return {"path": p.path, "document": p.code, "name": p.name, "uploaded_name": p.original_name,
            "sha256": p.sha256, "reason": reason}


def zip_dossier(session: Session, user, case_id: int, upload_dir) -> tuple[str, bytes]:
    case = _case(session, user, case_id)
    parts, rows = _parts(session, case, upload_dir)
    readable = [p for p in parts if not p.problem]
    manifest = {
        "case_id": case.id, "unit": case.unit.name, "campaign": case.campaign.name,
        "campaign_code": case.campaign.code,
        "files": [{"path": p.path, "document": p.code, "name": p.name, "source": p.source,
                   "content_type": p.content_type, "size": len(p.content),
                   "sha256": hashlib.sha256(p.content).hexdigest(),
                   **({"uploaded_name": p.original_name} if p.original_name else {})} for p in readable],
        "missing": [{"document": r.code, "name": r.name, "required": r.required} for r in rows
                    if r.status == "missing"],
        "skipped": [_skipped(p, p.problem) for p in parts if p.problem],
    }

    def build() -> bytes:
        # created_at: when this content of the dossier was first assembled (the same bytes on every download)
        stamped = {**manifest, "created_at": format_datetime(now())}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for p in readable:
                archive.writestr(p.path, p.content)
            archive.writestr("manifest.json", json.dumps(stamped, ensure_ascii=False, indent=2))
            archive.writestr("SHA256SUMS", "".join(f"{f['sha256']}  {f['path']}\n" for f in manifest["files"]))
        return buffer.getvalue()

    content = _assembled("zip", parts, build, json.dumps(manifest, ensure_ascii=False, sort_keys=True))
    return f"ho-so-{case.id}.zip", content


def merged_pdf(session: Session, user, case_id: int, upload_dir) -> tuple[str, bytes]:
    """Every part of the dossier in order as one PDF; scanned images become pages of their own, converted one page
    at a time. An upload that cannot be carried over (missing, changed, over the image limits, undecodable) becomes
    a page saying so, and the rest of the dossier is still delivered. Scripts and automatic actions that uploaded
    PDFs bring along are removed."""
    from pypdf import PdfReader, PdfWriter
    case = _case(session, user, case_id)
    parts, _rows = _parts(session, case, upload_dir)

    def build() -> bytes:
        writer = PdfWriter()
        for p in parts:
            title = p.name + (" (bản ký)" if p.source == "uploaded" else "")
            try:
                if p.problem:
                    raise InvalidInput(p.problem)
                pages = _pdf_pages(p) if p.content_type == "application/pdf" else _image_pages(p.content)
            except Exception as exc:  # one bad upload must never take the whole dossier down
                if p.source != "uploaded":
                    raise
                reason = exc.message if isinstance(exc, InvalidInput) else "tệp không đọc được"
                log.warning("dossier %s: upload %s skipped in the merged PDF: %r", case.id, p.path, exc)
                pages, title = [_note_page(p, reason)], p.name + " (bản ký — không ghép được)"
            start = len(writer.pages)
            for page in pages:
                writer.append(PdfReader(io.BytesIO(page)), import_outline=False)
            writer.add_outline_item(title=title, page_number=start)
        strip_actions(writer)
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()

    return f"ho-so-{case.id}.pdf", _assembled("merged", parts, build, str(case.id))


def _pdf_pages(p: Part) -> list[bytes]:
    """An uploaded PDF, opened here first so that one pypdf cannot read is skipped before anything is appended."""
    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(p.content))
    if reader.is_encrypted or not len(reader.pages):
        raise InvalidInput("Tệp PDF có mật khẩu hoặc không có trang nào.")
    return [p.content]


def _image_pages(content: bytes) -> list[bytes]:
    """Each frame of a scanned image as a one-page PDF, converted frame by frame: only one decoded frame is held at
    a time (Pillow's save_all would hold them all); the pages are compressed PDF bytes."""
    pages = []
    for frame in uploads.image_frames(content):
        out = io.BytesIO()
        frame.save(out, "PDF", resolution=150.0)
        pages.append(out.getvalue())
    return pages


def _note_page(p: Part, reason: str) -> bytes:
    from markupsafe import escape
    return pdf_for(
        "<h1 style='font-size:14pt'>Bản quét không ghép được vào tệp PDF này</h1>"
        f"<p>Thành phần hồ sơ: <b>{escape(p.name)}</b></p>"
        f"<p>Tệp tải lên: «{escape(p.original_name)}», SHA-256 <code>{escape(p.sha256)}</code></p>"
        f"<p>Lý do: {escape(reason)}</p>"
        "<p>Đơn vị lập hồ sơ có thể rút bản quét này ở trang hồ sơ và tải lên bản khác.</p>")


# Keys that make a viewer run something: the document's open action, additional (event) actions, scripts, the
# document-level script names, XFA forms (which carry scripts) and embedded files.
ACTION_KEYS = ("/OpenAction", "/AA", "/JS", "/JavaScript", "/XFA", "/EmbeddedFiles")
SAFE_ACTIONS = ("/GoTo", "/URI", "/Named")  # a link within the document, to a web address, to the next page


def strip_actions(writer) -> int:
    """Remove every script and automatic action from the merged PDF's objects (its pages, annotations, form
    fields, names); a link action other than a plain go-to / web link / named page action, or one that chains
    further actions (/Next), is removed too. Returns how many were."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject
    removed, seen, stack = 0, set(), [writer.root_object]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            for key in ACTION_KEYS:
                if key in obj:
                    del obj[NameObject(key)]
                    removed += 1
            action = obj.get("/A")
            if action is not None and not _safe_action(action.get_object()):
                del obj[NameObject("/A")]
                removed += 1
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return removed


def _safe_action(action) -> bool:
    from pypdf.generic import DictionaryObject
    return isinstance(action, DictionaryObject) and action.get("/S") in SAFE_ACTIONS and "/Next" not in action
