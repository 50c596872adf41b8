"""The form registry: JSON-Schema forms (and their UI hints) stored as immutable revisions in the database, so that a
process owner edits them beside the diagram and every web machine sees the same forms.

- The shipped `forms/*.json` are seeded as revisions (`seed_shipped`, idempotent: a file whose text is already the
  latest revision adds nothing).
- `save_form` (PUT /api/forms/{name}) stores a new **draft** revision: a bounded JSON object that is a valid JSON
  Schema (the `jsonschema` package's meta-schema check), named `…-schema.json` or `…-uischema.json`.
- Publishing a diagram **pins** the latest revision of each form its user tasks name (`pin_forms`, called by
  `diagram_versions.PublishDiagram` in the same transaction) and marks them published.
- A case renders and validates with the revision its own version pinned (`schema`, `validate`), so editing a form
  never changes a running case's form underneath it. A version published before the registry existed pins
  nothing: it reads the latest revision, else the shipped file.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from .access import check_process_owner
from .clock import now
from .errors import Conflict, InvalidInput, NotFound
from .executor import Command, execute, system_only
from .forms import FORMS_DIR, field_labels as file_labels, forms, labels_of, validate_with
from .models import DiagramFormPin, FormRevision, User

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,150}-(schema|uischema)\.json$")
MAX_FORM_BYTES = 256 * 1024
OWNERS_ONLY = "Chỉ người quản lý quy trình mới được sửa biểu mẫu."

# Revisions never change: their documents and compiled validators are kept per database and revision id, and a
# version's pins never change either.
_lock = threading.Lock()
_documents: dict[tuple, dict] = {}
_validators: dict[tuple, Draft202012Validator] = {}
_pins: dict[tuple, int] = {}


def _checksum(document: dict) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _db(session: Session) -> str:
    return str(session.get_bind().url)


# --- checking what an owner saves ------------------------------------------------------------------------------------

def parse_document(name: str, body: bytes | str) -> dict:
    """The JSON Schema an owner sent for `name`, or InvalidInput (400) saying what is wrong with it."""
    if not NAME_RE.match(name or ""):
        raise InvalidInput(f"Tên biểu mẫu «{name}» không hợp lệ: chỉ chữ thường không dấu, số, «-», «_», «.», và "
                           "kết thúc bằng «-schema.json» (biểu mẫu) hoặc «-uischema.json» (gợi ý giao diện).")
    raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    if len(raw) > MAX_FORM_BYTES:
        raise InvalidInput(f"Biểu mẫu quá lớn ({len(raw) // 1024} KB, tối đa {MAX_FORM_BYTES // 1024} KB).")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput(f"Biểu mẫu không phải JSON hợp lệ: {exc}") from exc
    if not isinstance(document, dict):
        raise InvalidInput("Biểu mẫu phải là một đối tượng JSON (JSON Schema).")
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "gốc"
        raise InvalidInput(f"Biểu mẫu không phải JSON Schema hợp lệ (tại {where}): {exc.message}") from exc
    if name.endswith("-schema.json") and document.get("type", "object") != "object":
        raise InvalidInput("Biểu mẫu của một nhiệm vụ phải có \"type\": \"object\" (các trường của biểu mẫu).")
    return document


# --- verbs -----------------------------------------------------------------------------------------------------------

class SaveForm(Command):
    """A new draft revision of a form."""
    name = "save_form"

    def __init__(self, form_name: str, body: bytes | str):
        self.form_name, self.body = form_name, body

    def authorize(self, tx, target):
        check_process_owner(tx.actor, OWNERS_ONLY)  # before the body is even read: a refusal reveals nothing

    def run(self, tx, target):
        document = parse_document(self.form_name, self.body)
        latest = _latest_row(tx.session, self.form_name)
        if latest is not None and latest.checksum == _checksum(document):
            return latest  # saving the same text twice makes no new revision
        return _add(tx.session, self.form_name, document, "draft", tx.actor_id,
                    (latest.revision if latest is not None else 0) + 1)


def save_form(session: Session, user: User | None, name: str, body: bytes | str) -> FormRevision:
    return execute(session, user, SaveForm(name, body))


def _add(session: Session, name: str, document: dict, status: str, actor_id: int | None,
         revision: int) -> FormRevision:
    if session.scalar(select(FormRevision.id).where(FormRevision.name == name, FormRevision.revision == revision)):
        raise Conflict(f"Biểu mẫu «{name}» vừa được người khác lưu; vui lòng tải lại và thử lại.")
    row = FormRevision(name=name, revision=revision, document=json.dumps(document, ensure_ascii=False),
                       checksum=_checksum(document),
                       status=status, created_at=now(), created_by_id=actor_id)
    session.add(row)
    session.flush()
    return row


def _latest_row(session: Session, name: str) -> FormRevision | None:
    return session.scalar(select(FormRevision).where(FormRevision.name == name)
                          .order_by(FormRevision.revision.desc()).limit(1))


class SeedShippedForms(Command):
    """The shipped forms/*.json as published revisions; idempotent."""
    name = "seed_forms"

    def authorize(self, tx, target):
        system_only(tx)

    def run(self, tx, target) -> int:
        added = 0
        for path in sorted(FORMS_DIR.glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            latest = _latest_row(tx.session, path.name)
            if latest is None or latest.checksum != _checksum(document):
                _add(tx.session, path.name, document, "published", None,
                     (latest.revision if latest is not None else 0) + 1)
                added += 1
        return added


def seed_shipped(session: Session) -> int:
    return execute(session, None, SeedShippedForms())


def latest_revisions(session: Session, user: User | None) -> list[FormRevision]:
    """Every form with its latest revision, by name (GET /api/forms): one indexed query."""
    check_process_owner(user, OWNERS_ONLY)
    newest = (select(FormRevision.name, func.max(FormRevision.revision).label("revision"))
              .group_by(FormRevision.name).subquery())
    return list(session.scalars(select(FormRevision).join(
        newest, (FormRevision.name == newest.c.name) & (FormRevision.revision == newest.c.revision))
        .order_by(FormRevision.name)))


def latest_document(session: Session, user: User | None, name: str) -> FormRevision:
    """The latest revision of one form, for the editor; NotFound when there is none."""
    check_process_owner(user, OWNERS_ONLY)
    row = _latest_row(session, name)
    if row is None:
        raise NotFound(f"Không tìm thấy biểu mẫu «{name}».")
    return row


def pin_forms(session: Session, version_id: int, names: set[str], actor_id: int | None = None) -> dict[str, int]:
    """Pin, for a version being published (inside its transaction), the latest revision of each form it names;
    a shipped form not yet in the registry is added first. Returns name → revision id."""
    pins = {}
    for name in sorted(names):
        row = _latest_row(session, name)
        if row is None:
            path = FORMS_DIR / name
            if not path.is_file():
                raise NotFound(f"Không tìm thấy biểu mẫu «{name}».")
            row = _add(session, name, json.loads(path.read_text(encoding="utf-8")), "published", actor_id, 1)
        pins[name] = row.id
    if pins:
        session.execute(insert(DiagramFormPin), [dict(diagram_version_id=version_id, name=name, form_revision_id=rid)
                                                 for name, rid in pins.items()])
        session.execute(update(FormRevision).where(FormRevision.id.in_(list(pins.values())),
                                                   FormRevision.status != "published").values(status="published"))
    return pins


def pinned(session: Session, version_id: int) -> dict[str, int]:
    """name → revision number pinned by a version (what its cases render)."""
    return dict(session.execute(select(DiagramFormPin.name, FormRevision.revision)
                                .join(FormRevision, FormRevision.id == DiagramFormPin.form_revision_id)
                                .where(DiagramFormPin.diagram_version_id == version_id)).all())


# --- reading a form the way a case sees it --------------------------------------------------------------------------

def _revision_id(session: Session, version_id: int | None, name: str) -> int | None:
    """The revision a case on `version_id` uses: its version's pin, else the latest revision; None: not stored."""
    if version_id is not None:
        key = (_db(session), version_id, name)
        if key in _pins:
            return _pins[key]
        rid = session.scalar(select(DiagramFormPin.form_revision_id).where(
            DiagramFormPin.diagram_version_id == version_id, DiagramFormPin.name == name))
        if rid is not None:
            with _lock:
                _pins[key] = rid
            return rid
    return session.scalar(select(FormRevision.id).where(FormRevision.name == name)
                          .order_by(FormRevision.revision.desc()).limit(1))


def _document(session: Session, revision_id: int) -> dict:
    key = (_db(session), revision_id)
    doc = _documents.get(key)
    if doc is None:
        doc = json.loads(session.scalar(select(FormRevision.document).where(FormRevision.id == revision_id)))
        with _lock:
            _documents[key] = doc
    return doc


def schema(session: Session, version_id: int | None, name: str) -> dict:
    """The form `name` as a case on diagram version `version_id` renders it; {} for no form."""
    if not name:
        return {}
    rid = _revision_id(session, version_id, name)
    return _document(session, rid) if rid is not None else forms.load(name)


def validate(session: Session, version_id: int | None, name: str, data: object) -> dict:
    """`data` checked against the form as the case's version pinned it (ValidationFailed with per-field messages)."""
    if not name:
        return data if isinstance(data, dict) else {}
    rid = _revision_id(session, version_id, name)
    if rid is None:
        return forms.validate(name, data)
    key = (_db(session), rid)
    validator = _validators.get(key)
    if validator is None:
        validator = Draft202012Validator(_document(session, rid), format_checker=FormatChecker())
        with _lock:
            _validators[key] = validator
    return validate_with(validator, data)


_labels: dict[tuple, dict] = {}


def field_labels(session: Session) -> dict:
    """Titles and enum labels of every field of the registry's forms (their latest revisions), for reading a
    case's data in Vietnamese, owners' new forms included. Where a shipped form names a field, its words stand:
    a field name titled differently in several forms takes the first title met, and PostgreSQL's JSONB does not
    keep the order of a document's keys, so the folder's reading is the stable one."""
    newest = (select(FormRevision.name, func.max(FormRevision.revision).label("revision"))
              .where(FormRevision.name.like("%-schema.json")).group_by(FormRevision.name).subquery())
    ids = tuple(rid for _name, rid in sorted(session.execute(select(FormRevision.name, FormRevision.id).join(
        newest, (FormRevision.name == newest.c.name) & (FormRevision.revision == newest.c.revision)))))
    # sorted here, not by the database: PostgreSQL's collation orders names unlike the folder's listing
    key = (_db(session), ids)
    if key not in _labels:
        shipped = file_labels()
        stored = labels_of(_document(session, rid) for rid in ids)
        with _lock:
            _labels[key] = {"titles": {**stored["titles"], **shipped["titles"]},
                            "enums": {**stored["enums"], **shipped["enums"]}}
    return _labels[key]


def validator_view(session: Session):
    """(exists(name), load(name)) as the diagram validator sees the registry: stored revisions, and the shipped
    files (pinned from the folder when first published)."""
    def exists(name: str) -> bool:
        return _revision_id(session, None, name) is not None or (FORMS_DIR / name).is_file()

    def load(name: str) -> dict | None:
        rid = _revision_id(session, None, name)
        if rid is not None:
            return _document(session, rid)
        try:
            return forms.load(name)
        except NotFound:
            return None
    return exists, load
