"""Uploading the signed, stamped scans of a case's dossier documents, and reading them back.

An upload is checked before anything is written: its type is found from its content (a PDF that pypdf can open, or
a PNG / JPEG / TIFF image that Pillow can decode) — never from its name or the browser's word —, its size is capped,
and the name it came with is kept only as a label: the file is stored under the key `<case id>/<sha256>.<ext>` —
in the upload folder outside the web root, or in the database for several machines (`upload_store.py`) —, so no
name can reach another path. The row (with the SHA-256) and the
audit event are one transaction; a file written for a transaction that then fails is removed again.

Images are decompression bombs waiting to happen (a 71 KB TIFF can declare thousands of pages of gigapixels), so an
image is measured from its headers before any pixel is decoded — pixels per page, pages, pixels in all — and then
decoded one page at a time, never all at once; a PDF's pages are counted. Above a limit the upload is refused with
a message (400), never a 500. `image_frames` gives the merged dossier the same checked, one-page-at-a-time reading
of a stored image (uploads older than these limits included).

An upload can be withdrawn (`withdraw`) by whoever may upload to the case, or an administrator: the row goes, the
audit trail keeps what it was, and the stored file is removed once no row points to it any more.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import logging
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, object_session

from . import audit
from .upload_store import store_at
from .access import check_may_read_case, may_read_case
from .case_processor import lock_case
from .executor import Command, Tx, execute, listen
from .errors import Forbidden, InvalidInput, NotFound
from .models import Attachment, Case, User

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
CLOSED = ("completed", "not_submitted", "cancelled")
KINDS = {"pdf": ("application/pdf", "pdf"), "PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"),
         "TIFF": ("image/tiff", "tif")}

# Deliberate limits. An A4 page scanned at 600 dpi is 4961 × 7016 ≈ 34.8 million pixels; 40 million leaves a margin
# (Letter at 600 dpi is 33.7 million) and caps one decoded page at 40–160 MB depending on its colour mode.
MAX_FRAME_PIXELS = 40_000_000
MAX_TOTAL_PIXELS = 400_000_000  # every page together: ≈ 11 A4 pages at 600 dpi, 46 at 300 dpi
MAX_PAGES = 100  # frames of an image, pages of a PDF
# Pillow's own guard at the same line: it warns above MAX_IMAGE_PIXELS and refuses above twice that; the warning is
# an error here (and the explicit checks below do not depend on the process's warning filters).
Image.MAX_IMAGE_PIXELS = MAX_FRAME_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)
PDF_MODES = ("1", "L", "RGB", "CMYK")  # what Pillow writes into a PDF page as is; anything else becomes RGB

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Detected:
    content_type: str
    extension: str


def detect(content: bytes) -> Detected:
    """The file's real type from its bytes, after checking it against the limits; InvalidInput when it is none we
    accept, is damaged, or is too big once decoded."""
    if content.startswith(b"%PDF-"):
        from pypdf import PdfReader
        try:
            reader = PdfReader(io.BytesIO(content))
            if reader.is_encrypted or len(reader.pages) < 1:
                raise ValueError("encrypted or empty")
            pages = len(reader.pages)
        except Exception as exc:
            raise InvalidInput("Tệp PDF bị hỏng, có mật khẩu hoặc không có trang nào; vui lòng quét lại.") from exc
        if pages > MAX_PAGES:
            raise InvalidInput(f"Tệp PDF có {pages} trang, tối đa {MAX_PAGES} trang một tệp; vui lòng tách thành "
                               "nhiều tệp.")
        return Detected(*KINDS["pdf"])
    fmt = _image_format(content)
    if fmt not in KINDS or fmt == "pdf":
        raise InvalidInput(f"Ảnh dạng {fmt} không được nhận; chỉ nhận PDF, PNG, JPEG hoặc TIFF.")
    for _frame in image_frames(content):  # every page decoded once, one at a time: damage shows now, not later
        pass
    return Detected(*KINDS[fmt])


NOT_AN_IMAGE = "Chỉ nhận bản quét dạng PDF hoặc ảnh (PNG, JPEG, TIFF); nội dung tệp không phải các dạng này."


def _too_big(detail: str) -> InvalidInput:
    return InvalidInput(f"Ảnh quá lớn: {detail}. Tối đa {MAX_FRAME_PIXELS // 1_000_000} triệu điểm ảnh một trang "
                        f"(khổ A4 quét 600 dpi), {MAX_PAGES} trang và {MAX_TOTAL_PIXELS // 1_000_000} triệu điểm ảnh "
                        "cả tệp; vui lòng quét lại ở 300 dpi hoặc tách thành nhiều tệp.")


def _open(content: bytes):
    try:
        return Image.open(io.BytesIO(content))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_big("kích thước khai báo trong tệp vượt giới hạn") from exc
    except Exception as exc:  # hostile input can make a decoder raise anything; never a 500
        raise InvalidInput(NOT_AN_IMAGE) from exc


def _image_format(content: bytes) -> str:
    with _open(content) as image:
        fmt = image.format
        try:
            image.verify()
        except Exception as exc:
            raise InvalidInput(NOT_AN_IMAGE) from exc
    return fmt


def _measure(image) -> int:
    """Walk the frames' headers (no pixel decoded) and check them against the limits; the number of frames."""
    total = frames = 0
    while True:
        if frames >= MAX_PAGES:
            raise _too_big(f"tệp có hơn {MAX_PAGES} trang")
        width, height = image.size
        if width < 1 or height < 1:
            raise InvalidInput(NOT_AN_IMAGE)
        if width * height > MAX_FRAME_PIXELS:
            raise _too_big(f"trang {frames + 1} rộng {width} × cao {height} điểm ảnh "
                           f"({width * height / 1_000_000:.0f} triệu)")
        total += width * height
        if total > MAX_TOTAL_PIXELS:
            raise _too_big(f"các trang cộng lại hơn {MAX_TOTAL_PIXELS // 1_000_000} triệu điểm ảnh")
        frames += 1
        try:
            image.seek(frames)
        except EOFError:
            return frames


def image_frames(content: bytes) -> Iterator[Image.Image]:
    """The image's pages, each decoded only when asked for and ready to be written into a PDF (mode 1, L, RGB or
    CMYK); the page before is released when the next is read. The headers are checked first, so a bomb is refused
    before a single pixel is decoded. InvalidInput for an image over the limits or one that cannot be decoded."""
    try:
        with _open(content) as image:
            count = _measure(image)
        with _open(content) as image:
            for index in range(count):
                image.seek(index)
                if image.width * image.height > MAX_FRAME_PIXELS:  # the same file, read again: cannot change
                    raise _too_big(f"trang {index + 1} vượt giới hạn")
                image.load()
                if image.mode in PDF_MODES:
                    yield image
                else:  # grey with alpha or 16/32-bit grey stays grey; palette, alpha and the rest become RGB
                    grey = image.mode in ("LA", "La", "I", "F") or image.mode.startswith("I;")
                    yield image.convert("L" if grey else "RGB")
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_big("kích thước khai báo trong tệp vượt giới hạn") from exc
    except Exception as exc:
        raise InvalidInput("Ảnh bị hỏng, không đọc được hết các trang; vui lòng quét lại.") from exc


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


class UploadAttachment(Command):
    """Store a signed scan for one of the case's dossier documents: the file is checked by its content, written
    under its SHA-256, and its row and audit event committed together."""
    name = "upload_attachment"

    def __init__(self, case_id, document_code, filename, content, upload_dir, max_bytes):
        self.case_id, self.document_code, self.filename = case_id, document_code, filename
        self.content, self.upload_dir, self.max_bytes = content, upload_dir, max_bytes
        self.written = None  # (store, key) this attempt created, discarded again if the transaction fails

    def target(self, tx):
        return lock_case(tx.session, self.case_id)

    def authorize(self, tx, case):
        _check_may_upload(tx.actor, case)

    def run(self, tx, case):
        content = self.content
        names = _document_names(case)
        if self.document_code not in names:
            raise InvalidInput("Thành phần hồ sơ không thuộc danh mục hồ sơ của phong trào này.")
        if self.filename is None:
            raise InvalidInput("Chưa chọn tệp bản quét để tải lên.")
        if not content:
            raise InvalidInput("Tệp tải lên rỗng.")
        if len(content) > self.max_bytes:
            raise InvalidInput(f"Tệp quá lớn: {len(content) / 1048576:.1f} MB, "
                               f"tối đa {self.max_bytes / 1048576:.0f} MB.")
        kind = detect(content)
        digest = hashlib.sha256(content).hexdigest()
        key = f"{case.id}/{digest}.{kind.extension}"
        store = store_at(self.upload_dir)
        try:
            written = store.put(tx.session, key, content)
        except ValueError as exc:
            raise InvalidInput("Tên tệp không hợp lệ.") from exc
        if written:
            self.written = (store, key)
        row = Attachment(case_id=case.id, document_code=self.document_code, filename=clean_filename(self.filename),
                         content_type=kind.content_type, size=len(content), sha256=digest, storage_key=key,
                         uploaded_by_id=tx.actor.id)
        tx.session.add(row)
        tx.session.flush()
        audit.record(tx.session, case.id, "attachment_uploaded", tx.actor.id, document=self.document_code,
                     document_name=names[self.document_code], filename=row.filename, sha256=digest,
                     size=len(content))
        return row


def upload(session: Session, user: User, case_id: int, document_code: str, filename: str | None,
           content: bytes, upload_dir: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> Attachment:
    command = UploadAttachment(case_id, document_code, filename, content, upload_dir, max_bytes)
    try:
        return execute(session, user, command)
    except BaseException:
        if command.written is not None:
            store, key = command.written
            store.discard(key)
        raise


@dataclass(frozen=True)
class Withdrawn:
    case_id: int
    filename: str
    document_name: str


def _check_may_withdraw(user: User, case: Case) -> None:
    """Whoever may upload to the case now (a member of the case's unit while the case is open), or an administrator
    at any time (to clear a bad upload from a closed case too). The caller has already checked the user reads it."""
    if user.is_admin:
        return
    if not any(r.unit_id == case.unit_id for r in user.roles):
        raise Forbidden("Chỉ người của đơn vị lập hồ sơ hoặc quản trị viên mới được rút bản quét.")
    if case.status in CLOSED:
        raise Forbidden("Hồ sơ đã kết thúc: chỉ quản trị viên mới rút được bản quét.")


def may_withdraw(user: User, case: Case) -> bool:
    """For the page: whether to offer the withdraw button (the verb checks again)."""
    try:
        _check_may_withdraw(user, case)
    except Forbidden:
        return False
    return True


@dataclass
class AttachmentWithdrawn:
    """An upload's row is gone; its stored file goes after the commit unless another row still points to it."""
    storage_key: str
    upload_dir: str


class WithdrawAttachment(Command):
    """Withdraw an upload: NotFound to who may not read the case (as if the upload did not exist), Forbidden to a
    reader who may not withdraw; the row is deleted and `attachment_withdrawn` audited with what the row said. The
    row is deleted rather than marked: the audit event keeps the name, size, SHA-256, uploader and time, and nothing
    else (required documents, ZIP, merged PDF) has to learn to skip withdrawn rows. The stored file is removed by an
    after-commit listener (durable through the outbox)."""
    name = "withdraw_attachment"

    def __init__(self, attachment_id: int, upload_dir, case_id: int | None):
        self.attachment_id, self.upload_dir, self.case_id = attachment_id, upload_dir, case_id

    def target(self, tx):
        case_id = tx.session.scalar(select(Attachment.case_id).where(Attachment.id == self.attachment_id))
        case = lock_case(tx.session, case_id)  # an upload and a withdrawal of one case: one after the other
        # read afresh under the case lock: of two withdrawals at once the second finds nothing, not a stale row
        row = tx.session.get(Attachment, self.attachment_id, populate_existing=True) if case is not None else None
        return row

    def authorize(self, tx, row):
        if row is None or (self.case_id is not None and row.case_id != self.case_id) \
                or not may_read_case(tx.actor, row.case):
            raise NotFound("Không tìm thấy bản quét.")
        _check_may_withdraw(tx.actor, row.case)

    def run(self, tx, row):
        case = row.case
        gone = Withdrawn(case.id, row.filename, _document_names(case).get(row.document_code, row.document_code))
        audit.record(tx.session, case.id, "attachment_withdrawn", tx.actor.id, attachment_id=row.id,
                     document=row.document_code, document_name=gone.document_name, filename=row.filename,
                     sha256=row.sha256, size=row.size, content_type=row.content_type,
                     uploaded_by_id=row.uploaded_by_id,
                     uploaded_at=row.uploaded_at.isoformat() if row.uploaded_at else None)
        tx.session.delete(row)
        tx.emit(AttachmentWithdrawn(row.storage_key, store_at(self.upload_dir).location))
        return gone


def withdraw(session: Session, user: User, attachment_id: int, upload_dir: str | os.PathLike,
             case_id: int | None = None) -> Withdrawn:
    return execute(session, user, WithdrawAttachment(attachment_id, upload_dir, case_id))


def _remove_stored_file(tx: Tx, event: AttachmentWithdrawn) -> None:
    if tx.session.scalar(select(func.count()).select_from(Attachment)
                         .where(Attachment.storage_key == event.storage_key)):
        return  # the same content is still another row's
    try:
        store_at(event.upload_dir).delete(tx.session, event.storage_key)
    except (OSError, ValueError):  # the row is gone either way; a stray file is no reason to fail
        log.warning("withdrawn upload: could not remove %s", event.storage_key, exc_info=True)


listen(AttachmentWithdrawn, "attachments.remove_stored_file", _remove_stored_file)


def for_case(session: Session, case_id: int) -> list[Attachment]:
    """The case's uploads, oldest first (no permission check: callers have read the case)."""
    return list(session.scalars(select(Attachment).options(joinedload(Attachment.uploaded_by))
                                .where(Attachment.case_id == case_id).order_by(Attachment.id)))


def read(session: Session, user: User, attachment_id: int, upload_dir) -> tuple[Attachment, bytes]:
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("Không tìm thấy bản quét.")
    check_may_read_case(user, row.case, "Không tìm thấy bản quét.")  # the same words as an id never issued
    return row, content_of(row, upload_dir)


def content_of(row: Attachment, upload_dir, session: Session | None = None) -> bytes:
    store = store_at(upload_dir)
    if session is None:
        session = object_session(row)
    try:
        content = store.get(session, row.storage_key)
    except ValueError:
        content = None
    if content is None:
        raise NotFound(f"Tệp «{row.filename}» không còn trong kho lưu trữ.")
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise InvalidInput(f"Tệp «{row.filename}» đã bị thay đổi sau khi tải lên (sai mã kiểm tra SHA-256).")
    return content
