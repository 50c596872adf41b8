"""Uploading the signed, stamped scans of a case's dossier documents, and reading them back.

An upload is checked before anything is written: its type is found from its content (a PDF that pypdf can open, or
a PNG / JPEG / TIFF image that Pillow can decode) — never from its name or the browser's word —, its size is capped,
and the name it came with is kept only as a label: the file is stored outside the web root as
`<upload folder>/<case id>/<sha256>.<ext>`, so no name can reach another path. The row (with the SHA-256) and the
audit event are one transaction; a file written for a transaction that then fails is removed again.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from . import audit
from .access import check_may_read_case
from .db import unit_of_work
from .errors import Forbidden, InvalidInput, NotFound
from .models import Attachment, Case, User

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
CLOSED = ("completed", "not_submitted", "cancelled")
KINDS = {"pdf": ("application/pdf", "pdf"), "PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"),
         "TIFF": ("image/tiff", "tif")}


@dataclass(frozen=True)
class Detected:
    content_type: str
    extension: str


def detect(content: bytes) -> Detected:
    """The file's real type from its bytes; InvalidInput when it is none we accept or is damaged."""
    if content.startswith(b"%PDF-"):
        from pypdf import PdfReader
        try:
            reader = PdfReader(io.BytesIO(content))
            if reader.is_encrypted or len(reader.pages) < 1:
                raise ValueError("encrypted or empty")
        except Exception as exc:
            raise InvalidInput("Tệp PDF bị hỏng, có mật khẩu hoặc không có trang nào; vui lòng quét lại.") from exc
        return Detected(*KINDS["pdf"])
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(io.BytesIO(content)) as image:
            fmt = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InvalidInput("Chỉ nhận bản quét dạng PDF hoặc ảnh (PNG, JPEG, TIFF); nội dung tệp không phải các "
                           "dạng này.") from exc
    if fmt not in KINDS or fmt == "pdf":
        raise InvalidInput(f"Ảnh dạng {fmt} không được nhận; chỉ nhận PDF, PNG, JPEG hoặc TIFF.")
    return Detected(*KINDS[fmt])


def clean_filename(name: str | None) -> str:
    """The last path component only, NFC, without control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return (name or "ban-quet")[:200]


def _check_may_upload(user: User, case: Case) -> None:
    check_may_read_case(user, case)
    if not (user.is_admin or any(r.unit_id == case.unit_id for r in user.roles)):
        raise Forbidden("Chỉ người của đơn vị lập hồ sơ mới được tải lên bản quét.")
    if case.status in CLOSED:
        raise InvalidInput("Hồ sơ đã kết thúc, không thể tải thêm bản quét.")


def _document_names(case: Case) -> dict[str, str]:
    return {d["code"]: d.get("name", d["code"]) for d in (case.campaign.details or {}).get("dossier_document") or []
            if d.get("code")}


def upload(session: Session, user: User, case_id: int, document_code: str, filename: str | None,
           content: bytes, upload_dir: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> Attachment:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    _check_may_upload(user, case)
    names = _document_names(case)
    if document_code not in names:
        raise InvalidInput("Thành phần hồ sơ không thuộc danh mục hồ sơ của phong trào này.")
    if not content:
        raise InvalidInput("Tệp tải lên rỗng.")
    if len(content) > max_bytes:
        raise InvalidInput(f"Tệp quá lớn: {len(content) / 1048576:.1f} MB, tối đa {max_bytes / 1048576:.0f} MB.")
    kind = detect(content)
    digest = hashlib.sha256(content).hexdigest()
    key = f"{case.id}/{digest}.{kind.extension}"
    root = Path(upload_dir).resolve()
    target = (root / key).resolve()
    if root not in target.parents:  # cannot happen with a digest name; a last guard all the same
        raise InvalidInput("Tên tệp không hợp lệ.")
    created = _write(target, content)
    try:
        with unit_of_work(session):
            row = Attachment(case_id=case.id, document_code=document_code, filename=clean_filename(filename),
                             content_type=kind.content_type, size=len(content), sha256=digest, storage_key=key,
                             uploaded_by_id=user.id)
            session.add(row)
            session.flush()
            audit.record(session, case.id, "attachment_uploaded", user.id, document=document_code,
                         document_name=names[document_code], filename=row.filename, sha256=digest, size=len(content))
    except BaseException:
        if created:
            target.unlink(missing_ok=True)
        raise
    return row


def _write(target: Path, content: bytes) -> bool:
    """Write atomically; False when the same content is already stored (content-addressed)."""
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def for_case(session: Session, case_id: int) -> list[Attachment]:
    """The case's uploads, oldest first (no permission check: callers have read the case)."""
    return list(session.scalars(select(Attachment).options(joinedload(Attachment.uploaded_by))
                                .where(Attachment.case_id == case_id).order_by(Attachment.id)))


def read(session: Session, user: User, attachment_id: int, upload_dir) -> tuple[Attachment, bytes]:
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("Không tìm thấy bản quét.")
    check_may_read_case(user, row.case)
    return row, content_of(row, upload_dir)


def content_of(row: Attachment, upload_dir) -> bytes:
    path = Path(upload_dir).resolve() / row.storage_key
    try:
        content = path.read_bytes()
    except FileNotFoundError as exc:
        raise NotFound(f"Tệp «{row.filename}» không còn trong kho lưu trữ.") from exc
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise InvalidInput(f"Tệp «{row.filename}» đã bị thay đổi sau khi tải lên (sai mã kiểm tra SHA-256).")
    return content
