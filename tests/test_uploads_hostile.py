"""Hostile input and forged cookies: the signing key (production refuses a missing one; development generates and
keeps one), image decompression bombs and PDFs with scripts at upload and in the merged dossier, a bad stored file
that must not break dossier.pdf, and withdrawing an upload. Every bomb is built here, small, never committed."""
from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import stat
import struct
import threading
import time
import zipfile
import zlib

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from processes.db import unit_of_work
from processes.documents import dossier
from processes.models import Attachment, AuditEvent, Case
from tests.conftest import csrf_of
from tests.test_case_flow_http import ids
from tests.test_documents import _campaign_needing, _post_file, flat, scanned_pdf, text_of, uploads  # noqa: F401
from webapp import create_app, instance_secret_key

# These hold the file checks (Pillow's and pypdf's side), which no database changes: they run once, on SQLite; the
# withdrawal's permissions and audit run on both databases below.
FILES_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def started_case(session, browser, campaign_code="qb-1532-2024"):
    """A case of VKSND TP Đồng Hới just started by its staff: open, at the unit's own steps."""
    campaign_id, unit_id = ids(session, campaign_code)
    staff = browser("vks-qb-dong-hoi.canbo")
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1]), staff


# ── the signing key ──────────────────────────────────────────────────────────────────────────────────────────

def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("TDKT_ENV", "production")
    for config in ({}, {"SECRET_KEY": "dev-only-change-me"}, {"SECRET_KEY": "short"}):
        with pytest.raises(RuntimeError, match="TDKT_ENV=production cần SECRET_KEY"):
            create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **config}, instance_path=str(tmp_path))
    assert not (tmp_path / "secret_key").exists()  # production never falls back to a generated key
    monkeypatch.setenv("TDKT_ENV", "prod")  # a typo is not quietly development
    with pytest.raises(RuntimeError, match="không hợp lệ"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path))
    monkeypatch.setenv("TDKT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path)).secret_key == "k" * 40


def test_the_demo_key_is_generated_once_private_and_kept_across_restarts(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("TDKT_ENV", raising=False)
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path))
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path))
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert first.secret_key != "dev-only-change-me"
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    other = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path / "elsewhere"))
    assert other.secret_key != first.secret_key  # generated, not a constant
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "test"},
                      instance_path=str(tmp_path)).secret_key == "test"  # the tests' own key still wins


def test_workers_starting_at_once_agree_on_one_generated_key(tmp_path):
    path, barrier, keys = tmp_path / "secret_key", threading.Barrier(8), []

    def worker():
        barrier.wait()
        keys.append(instance_secret_key(path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left behind


# ── hostile files, built here ────────────────────────────────────────────────────────────────────────────────

def zeros_deflated(size: int) -> bytes:
    """zlib of `size` zero bytes, compressed a megabyte at a time (never `size` bytes in memory)."""
    z, chunk, out = zlib.compressobj(9), bytes(1 << 20), []
    for start in range(0, size, len(chunk)):
        out.append(z.compress(chunk[:min(len(chunk), size - start)]))
    out.append(z.flush())
    return b"".join(out)


def tiff(frames: list[tuple[int, int]], strip: bytes | None = None) -> bytes:
    """A little-endian TIFF of 8-bit grey Deflate frames of the given sizes, every frame pointing at the same
    compressed strip (by default a blank one of the first frame's size): the shape of a TIFF bomb."""
    width, height = frames[0]
    strip = zeros_deflated(width * height) if strip is None else strip
    out = bytearray(b"II*\x00") + struct.pack("<I", 8 + len(strip)) + strip
    for n, (w, h) in enumerate(frames):
        entries = [(256, 4, w), (257, 4, h), (258, 3, 8), (259, 3, 8), (262, 3, 1), (273, 4, 8), (277, 3, 1),
                   (278, 4, h), (279, 4, len(strip))]
        ifd = struct.pack("<H", len(entries)) + b"".join(
            struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value))
            for tag, kind, value in entries)
        following = len(out) + len(ifd) + 4
        out += ifd + struct.pack("<I", following if n + 1 < len(frames) else 0)
    return bytes(out)


def png_header(width: int, height: int) -> bytes:
    """A valid PNG whose header declares width × height grey pixels, with a few bytes of image data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def jpeg_header(width: int, height: int) -> bytes:
    """A real 8 × 8 JPEG whose frame header is rewritten to declare width × height."""
    from PIL import Image
    out = io.BytesIO()
    Image.new("L", (8, 8), 255).save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png(width=300, height=200) -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


def pdf_with_scripts() -> bytes:
    """A one-page PDF that runs JavaScript on opening, on showing the page, from a link and a form field, and
    launches a program from another link."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject

    def js(code):
        return DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(code)})

    def annotation(subtype, action, **extra):
        return writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject(subtype),
            NameObject("/Rect"): ArrayObject([FloatObject(10), FloatObject(10), FloatObject(90), FloatObject(30)]),
            **{NameObject(k): v for k, v in extra.items()}, **action}))

    writer = PdfWriter()
    page = writer.add_blank_page(300, 300)
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): DictionaryObject({
        NameObject("/Names"): ArrayObject([TextStringObject("x"), writer._add_object(js("app.alert('names');"))])})})
    writer._root_object[NameObject("/OpenAction")] = js("app.alert('open');")
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): js("app.alert('page');")})
    launch = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    page[NameObject("/Annots")] = ArrayObject([
        annotation("/Link", {NameObject("/A"): js("app.alert('link');")}),
        annotation("/Link", {NameObject("/A"): launch}),
        annotation("/Widget", {NameObject("/AA"): DictionaryObject({NameObject("/K"): js("app.alert('field');")})}),
    ])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def scripts_in(pdf: bytes) -> list[str]:
    """Every script or non-navigation action reachable from the document's catalog."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
    found, seen, stack = [], set(), [PdfReader(io.BytesIO(pdf)).trailer["/Root"]]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            found += [k for k in ("/OpenAction", "/AA", "/JS", "/JavaScript") if k in obj]
            if obj.get("/S") in ("/JavaScript", "/Launch"):
                found.append(str(obj["/S"]))
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return found


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ── at upload ────────────────────────────────────────────────────────────────────────────────────────────────

def test_the_hostile_files_are_what_they_claim(monkeypatch):
    from PIL import Image
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # Pillow unguarded: what the files declare
    with Image.open(io.BytesIO(tiff([(5000, 5000)] * 30))) as image:  # the checks below refuse something real
        assert image.n_frames == 30 and image.size == (5000, 5000)
    assert len(tiff([(5000, 5000)] * 30)) < 40_000  # 750 million pixels in under 40 KB
    with Image.open(io.BytesIO(jpeg_header(30_000, 20_000))) as image:
        pass
    assert image.size == (30_000, 20_000)


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")  # as attachments sets it for the app
@pytest.mark.parametrize("name,content,message", [
    ("tiff-bomb.tif", lambda: tiff([(5000, 5000)] * 30), "cộng lại hơn 400 triệu điểm ảnh"),
    ("many-pages.tif", lambda: tiff([(10, 10)] * 150), "hơn 100 trang"),
    ("second-page.tif", lambda: tiff([(10, 10), (20_000, 20_000)], zeros_deflated(100)), "trang 2 rộng 20000"),
    ("huge.png", lambda: png_header(100_000, 100_000), "Ảnh quá lớn"),
    ("over-a4.png", lambda: png_header(7000, 7000), "Ảnh quá lớn"),  # Pillow only warns; here it is refused
    ("huge.jpg", lambda: jpeg_header(60_000, 60_000), "Ảnh quá lớn"),
    ("truncated.png", lambda: png(2000, 2000)[:-2000], "không"),  # damaged pixel data: refused, not a 500
])
@FILES_ONLY
def test_image_bombs_are_refused_at_upload_before_being_decoded(app, session, browser, uploads, name, content,
                                                                message):
    case_id, staff = started_case(session, browser)
    before = max_rss_mb()
    response = _post_file(staff, case_id, "bien_ban", name, content(), "image/tiff")
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert message in response.get_data(as_text=True)
    assert max_rss_mb() - before < 200  # refused from the headers: nothing near the declared size was decoded
    assert session.scalar(select(Attachment)) is None and not any(uploads.rglob("*.*"))


@FILES_ONLY
def test_a_pdf_over_the_page_limit_is_refused(app, session, browser, uploads):
    from pypdf import PdfWriter
    writer, out = PdfWriter(), io.BytesIO()
    for _ in range(101):
        writer.add_blank_page(100, 100)
    writer.write(out)
    case_id, staff = started_case(session, browser)
    response = _post_file(staff, case_id, "bien_ban", "dai.pdf", out.getvalue())
    assert response.status_code == 400 and "101 trang, tối đa 100" in response.get_data(as_text=True)


@FILES_ONLY
def test_scripts_in_an_uploaded_pdf_do_not_reach_the_merged_dossier(app, session, browser, uploads):
    hostile = pdf_with_scripts()
    assert {"/OpenAction", "/AA", "/JS", "/JavaScript", "/Launch"} <= set(scripts_in(hostile))
    case_id, staff = started_case(session, browser)
    assert _post_file(staff, case_id, "bien_ban", "bien-ban.pdf", hostile).status_code == 302
    merged = browser("vks-quang-binh.tdkt").get(f"/cases/{case_id}/dossier.pdf")
    assert merged.status_code == 200
    assert scripts_in(merged.data) == [] and b"app.alert" not in merged.data and b"calc.exe" not in merged.data

    from pypdf import PdfReader, PdfWriter  # the whole document, catalog included, as pypdf clones it
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(hostile)))
    assert dossier.strip_actions(writer) >= 6
    out = io.BytesIO()
    writer.write(out)
    assert scripts_in(out.getvalue()) == [] and len(PdfReader(io.BytesIO(out.getvalue())).pages) == 1


# ── in the merged dossier ────────────────────────────────────────────────────────────────────────────────────

def store(session, uploads, case_id: int, code: str, filename: str, content: bytes, content_type="image/tiff",
          sha256: str | None = None) -> Attachment:
    """An upload as an older version (before the limits) may have stored it: the row and the file, unchecked."""
    digest = sha256 or hashlib.sha256(content).hexdigest()
    key = f"{case_id}/{digest}.{content_type.rsplit('/', 1)[-1]}"
    (uploads / str(case_id)).mkdir(parents=True, exist_ok=True)
    (uploads / key).write_bytes(content)
    with unit_of_work(session):
        row = Attachment(case_id=case_id, document_code=code, filename=filename, content_type=content_type,
                         size=len(content), sha256=digest, storage_key=key)
        session.add(row)
    return row


@FILES_ONLY
def test_a_bad_stored_upload_is_skipped_with_a_note_and_the_dossier_still_answers(app, session, browser, uploads):
    case_id, staff = started_case(session, browser)
    store(session, uploads, case_id, "to_trinh", "bomb.tif", tiff([(5000, 5000)] * 30))
    broken = tiff([(100, 100)], strip=b"garbage!" * 10)  # stored whole, but its pixel data does not decode
    store(session, uploads, case_id, "danh_sach", "hong.tif", broken)
    changed = store(session, uploads, case_id, "bien_ban", "sua.png", png(), "image/png")
    (uploads / changed.storage_key).write_bytes(png(301, 200))  # altered on disk after upload
    pages = io.BytesIO()
    from PIL import Image
    Image.new("L", (50, 70), 255).save(pages, "TIFF", save_all=True,
                                       append_images=[Image.new("L", (70, 50), 0), Image.new("1", (40, 40), 1)])
    assert _post_file(staff, case_id, "bao_cao_thanh_tich", "ba-trang.tif", pages.getvalue(), "image/tiff").status_code == 302

    province = browser("vks-quang-binh.tdkt")
    before = max_rss_mb()
    merged = province.get(f"/cases/{case_id}/dossier.pdf")
    assert merged.status_code == 200 and max_rss_mb() - before < 300
    reader = PdfReader(io.BytesIO(merged.data))
    titles = [o.title for o in reader.outline]
    assert titles[:3] == [f"{name} (bản ký — không ghép được)" for name in (
        "Tờ trình của cấp trình khen thưởng", "Danh sách tập thể, cá nhân được đề nghị khen thưởng (kèm theo tờ trình)",
        "Biên bản họp của đơn vị cấp trình khen thưởng")]
    text = flat(text_of(merged.data))
    assert "bomb.tif" in text and "Ảnh quá lớn" in text and "hong.tif" in text and "Ảnh bị hỏng" in text and "sai mã kiểm tra SHA-256" in text
    assert len(reader.pages) == 3 + 3  # a note for each bad upload, the good TIFF's three pages frame by frame
    assert [tuple(p.mediabox[2:]) for p in reader.pages[3:]] == [(24, 33.6), (33.6, 24), (19.2, 19.2)]

    archive = zipfile.ZipFile(io.BytesIO(province.get(f"/cases/{case_id}/dossier.zip").data))
    manifest = json.loads(archive.read("manifest.json"))
    assert [s["uploaded_name"] for s in manifest["skipped"]] == ["sua.png"]  # the bytes of the other two are whole
    assert {f["uploaded_name"] for f in manifest["files"]} == {"bomb.tif", "hong.tif", "ba-trang.tif"}
    assert staff.get(f"/cases/{case_id}").status_code == 200


# ── withdrawing an upload ────────────────────────────────────────────────────────────────────────────────────

def withdraw_form(person, case_id, attachment_id):
    page = person.get(f"/cases/{case_id}")
    return person.client.post(f"/cases/{case_id}/attachments/{attachment_id}/withdraw",
                              data={"csrf_token": csrf_of(page)})


def test_the_uploader_withdraws_an_upload_and_it_no_longer_counts(app, session, browser, uploads):
    _campaign_needing(session)
    case_id, staff = started_case(session, browser, "qb-docs-test")
    scan = scanned_pdf("Xác nhận của Đảng ủy")
    assert _post_file(staff, case_id, "xac_nhan_cap_uy", "xac-nhan.pdf", scan).status_code == 302
    assert _post_file(staff, case_id, "bien_ban", "bien-ban.png", png(), "image/png").status_code == 302
    row = session.scalar(select(Attachment).where(Attachment.document_code == "xac_nhan_cap_uy"))
    row_id, stored = row.id, uploads / row.storage_key
    page = staff.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'data-code="xac_nhan_cap_uy" data-status="uploaded"' in page
    assert f"/attachments/{row_id}/withdraw" in page and "Rút bản quét" in page
    assert "Tải lên bản quét" in page and "attachment_uploaded" not in page  # the log says it in words

    no_token = staff.client.post(f"/cases/{case_id}/attachments/{row_id}/withdraw")
    assert no_token.status_code == 400 and session.get(Attachment, row_id) is not None  # CSRF
    response = withdraw_form(staff, case_id, row_id)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case_id}#ho-so-van-ban")
    session.expire_all()
    assert session.get(Attachment, row_id) is None and not stored.exists()
    page = staff.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Đã rút bản quét «xac-nhan.pdf»" in page
    assert "attachment_withdrawn" not in page  # the log names the withdrawal in words too ("Rút bản quét")
    assert 'data-code="xac_nhan_cap_uy" data-status="missing"' in page  # no longer counts for the dossier
    case = session.get(Case, case_id)
    assert dossier.missing_documents(session, case, case.data or {})[-1] == (
        "Thiếu thành phần hồ sơ «Văn bản xác nhận của cấp ủy»: chưa tải lên bản đã ký và chưa lập được "
        "(chưa có mẫu để lập tự động: cần tải lên bản quét).")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "attachment_withdrawn"))
    assert event.case_id == case_id and event.actor_id is not None
    assert event.details["sha256"] == hashlib.sha256(scan).hexdigest() and event.details["filename"] == "xac-nhan.pdf"
    assert event.details["document"] == "xac_nhan_cap_uy" and event.details["attachment_id"] == row_id

    archive = zipfile.ZipFile(io.BytesIO(staff.get(f"/cases/{case_id}/dossier.zip").data))
    manifest = json.loads(archive.read("manifest.json"))
    assert "xac-nhan.pdf" not in {f.get("uploaded_name") for f in manifest["files"]}
    assert {"document": "xac_nhan_cap_uy", "name": "Văn bản xác nhận của cấp ủy", "required": True} in manifest["missing"]
    assert withdraw_form(staff, case_id, row_id).status_code == 404  # already gone


def test_who_may_withdraw(app, session, browser, api, uploads):
    case_id, staff = started_case(session, browser)
    assert _post_file(staff, case_id, "bien_ban", "a.png", png(300, 200), "image/png").status_code == 302
    assert _post_file(staff, case_id, "to_trinh", "b.png", png(200, 300), "image/png").status_code == 302
    first, second = (a.id for a in session.scalars(select(Attachment).order_by(Attachment.id)).all())

    other_unit = browser("vks-qb-le-thuy.canbo")  # cannot read the case: as if the upload did not exist
    assert other_unit.get(f"/cases/{case_id}").status_code == 404
    page = other_unit.get("/")  # a page of their own gives them a CSRF token
    assert other_unit.client.post(f"/cases/{case_id}/attachments/{first}/withdraw",
                                  data={"csrf_token": csrf_of(page)}).status_code == 404
    assert api("vks-qb-le-thuy.canbo").client.delete(
        f"/api/cases/{case_id}/attachments/{first}",
        headers=api("vks-qb-le-thuy.canbo").headers).status_code == 404
    province = browser("vks-quang-binh.tdkt")  # reads the case from above, but the scans are the unit's
    page = province.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "a.png" in page and "/withdraw" not in page
    assert withdraw_form(province, case_id, first).status_code == 403
    reader_api = api("vks-quang-binh.tdkt")
    denied = reader_api.client.delete(f"/api/cases/{case_id}/attachments/{first}", headers=reader_api.headers)
    assert denied.status_code == 403 and denied.get_json()["error"] == "forbidden"
    wrong_case = reader_api.client.delete(f"/api/cases/{case_id + 1000}/attachments/{first}",
                                          headers=reader_api.headers)
    assert wrong_case.status_code == 404
    session.expire_all()
    assert len(session.scalars(select(Attachment)).all()) == 2

    admin = api("admin")
    done = admin.client.delete(f"/api/cases/{case_id}/attachments/{first}", headers=admin.headers)
    assert done.status_code == 204
    staff_api = api("vks-qb-dong-hoi.canbo")
    assert staff_api.client.delete(f"/api/cases/{case_id}/attachments/{second}",
                                   headers=staff_api.headers).status_code == 204
    session.expire_all()
    assert session.scalars(select(Attachment)).all() == [] and not any(uploads.rglob("*.png"))
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "attachment_withdrawn")
                             .order_by(AuditEvent.id)).all()
    assert [e.details["filename"] for e in events] == ["a.png", "b.png"]

    # Once the case is closed only an administrator may withdraw.
    assert _post_file(staff, case_id, "bien_ban", "c.png", png(), "image/png").status_code == 302
    third = session.scalar(select(Attachment)).id
    with unit_of_work(session):
        session.get(Case, case_id, populate_existing=True).status = "cancelled"
    closed = staff_api.client.delete(f"/api/cases/{case_id}/attachments/{third}", headers=staff_api.headers)
    assert closed.status_code == 403 and "chỉ quản trị viên" in closed.get_json()["message"]
    assert admin.client.delete(f"/api/cases/{case_id}/attachments/{third}", headers=admin.headers).status_code == 204


def test_the_same_scan_uploaded_twice_keeps_its_file_until_the_last_row_goes(app, session, browser, api, uploads):
    case_id, staff = started_case(session, browser)
    image = png()
    assert _post_file(staff, case_id, "bien_ban", "a.png", image, "image/png").status_code == 302
    assert _post_file(staff, case_id, "to_trinh", "a-again.png", image, "image/png").status_code == 302
    first, second = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert first.storage_key == second.storage_key
    assert withdraw_form(staff, case_id, first.id).status_code == 302
    assert (uploads / second.storage_key).exists()
    assert staff.get(f"/attachments/{second.id}").status_code == 200
    assert withdraw_form(staff, case_id, second.id).status_code == 302
    assert not (uploads / second.storage_key).exists()


# ── polyglots and malformed files, on the upload and the dossier routes ───────────────────────────────────────

def pdf_bytes(pages: int = 1) -> bytes:
    from pypdf import PdfWriter
    writer, out = PdfWriter(), io.BytesIO()
    for _ in range(pages):
        writer.add_blank_page(300, 300)
    writer.write(out)
    return out.getvalue()


def zip_with(name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, content)
    return out.getvalue()


def raw_pdf(objects: list[bytes], root: int = 1) -> bytes:
    """A hand-written PDF (objects numbered from 1) with a correct cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def pdf_page_tree_loop() -> bytes:
    """A page tree whose /Kids points back at itself: a reader that follows it naively never ends."""
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                    b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] >>"])


def pdf_nested_arrays(depth: int = 50_000) -> bytes:
    """An object nested far deeper than any parser's recursion limit."""
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * depth + b"]" * depth + b" >>",
                    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] >>"])


def pdf_inflating_to(size: int) -> bytes:
    """A one-page PDF whose content stream inflates to `size` bytes (a PDF decompression bomb)."""
    stream = zeros_deflated(size)
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] /Contents 4 0 R >>",
                    b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"])


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt("mat-khau", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML_SCRIPT = b"<!doctype html><html><body><script>fetch('/api/me')</script></body></html>"


@pytest.mark.parametrize("name,content,message", [
    ("empty.pdf", lambda: b"", "rỗng"),
    ("svg-as-png.png", lambda: SVG_SCRIPT, "không phải các dạng này"),
    ("html-as-pdf.pdf", lambda: HTML_SCRIPT, "không phải các dạng này"),
    ("gif-with-script.gif", lambda: b"GIF89a\x01\x00\x01\x00\x00\x00\x00;" + HTML_SCRIPT, "không"),
    ("zip-as-pdf.pdf", lambda: zip_with("index.html", HTML_SCRIPT), "không phải các dạng này"),
    ("pdf-header-garbage.pdf", lambda: b"%PDF-1.7\n" + os.urandom(4096), "Tệp PDF bị hỏng"),
    ("encrypted.pdf", encrypted_pdf, "mật khẩu"),
    ("page-tree-loop.pdf", pdf_page_tree_loop, "Tệp PDF bị hỏng"),
    ("nested-50000.pdf", pdf_nested_arrays, "Tệp PDF bị hỏng"),
])
@FILES_ONLY
def test_malformed_and_disguised_files_are_refused_at_upload(app, session, browser, uploads, name, content, message):
    case_id, staff = started_case(session, browser)
    response = _post_file(staff, case_id, "bien_ban", name, content(), "application/pdf")
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert message in response.get_data(as_text=True)
    assert session.scalar(select(Attachment)) is None and not any(uploads.rglob("*.*"))


@FILES_ONLY
def test_polyglots_are_stored_as_what_they_are_and_served_inert(app, session, browser, uploads):
    """A PDF with a ZIP of HTML appended and a PNG with HTML appended are a real PDF and a real PNG: accepted, and
    served only as that type (nosniff, as a download), under a clean name; the dossier answers without them
    carrying anything else along."""
    case_id, staff = started_case(session, browser)
    polyglots = {"../../../etc/pdf-zip.pdf": pdf_bytes() + zip_with("index.html", HTML_SCRIPT),
                 "png-html\u202egnp.png": png(40, 40) + HTML_SCRIPT}
    for filename, content in polyglots.items():
        response = _post_file(staff, case_id, "bien_ban", filename, content, "text/html")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    rows = list(session.scalars(select(Attachment).order_by(Attachment.id)))
    assert [r.content_type for r in rows] == ["application/pdf", "image/png"]  # by content, not the claimed type
    assert all("/" not in r.filename and ".." not in r.filename and "\u202e" not in r.filename for r in rows)
    for row in rows:
        served = staff.get(f"/attachments/{row.id}")
        assert served.status_code == 200 and served.mimetype == row.content_type
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Disposition"].startswith("attachment;")
        assert "<script" not in served.headers.get("Content-Disposition", "")

    merged = staff.get(f"/cases/{case_id}/dossier.pdf")
    assert merged.status_code == 200 and merged.data.startswith(b"%PDF-")
    assert scripts_in(merged.data) == [] and b"<script" not in merged.data  # the PNG was redrawn, not copied
    archive = staff.get(f"/cases/{case_id}/dossier.zip")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        names = opened.namelist()
    assert names and not any(n.startswith("/") or ".." in n.split("/") for n in names), names


@FILES_ONLY
def test_a_pdf_decompression_bomb_is_merged_without_being_inflated(app, session, browser, uploads):
    """A 1 MB PDF whose page inflates to 1 GB: accepted (it is a valid PDF), and the dossier copies its streams
    without decoding them — memory and time stay small."""
    case_id, staff = started_case(session, browser)
    bomb = pdf_inflating_to(1 << 30)
    assert len(bomb) < 2_000_000
    response = _post_file(staff, case_id, "bien_ban", "bomb.pdf", bomb)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    before = max_rss_mb()
    began = time.monotonic()
    merged = staff.get(f"/cases/{case_id}/dossier.pdf")
    assert merged.status_code == 200
    assert time.monotonic() - began < 30
    assert max_rss_mb() - before < 300
