"""The dossier as documents: PDFs rendered from a case driven through the web pages, signed scans uploaded and
checked, submission blocked while a required document is missing, the complete dossier as a ZIP and one PDF."""
from __future__ import annotations

import hashlib
import io
import json
import unicodedata
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from processes import documents
from processes.models import Attachment, AuditEvent, Campaign, Case, Unit
from tests.conftest import csrf_of
from tests.factories import reported
from tests.test_case_flow_http import MINUTES, NOMINEES, ids, inbox_task, submit

TO_TRINH = {"submission_number": "15/TTr-VKS", "submission_date": "20/08/2024", "signer_name": "Lê Văn Hùng",
            "signer_title": "Viện trưởng"}
DECISION = {"decision_number": "1234/QĐ-VKSTC", "decision_date": "2024-10-10",
            "decision_authority": "Viện trưởng Viện kiểm sát nhân dân tối cao",
            "awards": [{"nominee": "Trần Thị Thủy", "award_form": "bang_khen_vkstc", "awarded": True},
                       {"nominee": "VKSND thành phố Đồng Hới", "award_form": "bang_khen_vkstc", "awarded": False}]}


# What these check is the PDF WeasyPrint makes from a case's data, which no database changes: they run once, on
# SQLite; the routes and permissions around them run on both databases in the other tests.
RENDERING = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def uploads(app, tmp_path):
    folder = tmp_path / "uploads"
    app.config["TDKT_UPLOAD_DIR"] = str(folder)
    return folder


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() or "" for page in reader.pages))


def flat(text: str) -> str:
    return " ".join(text.split())


def fonts_of(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def ink_share(pdf: bytes, page: int = 0) -> float:
    """Share of the rendered page's pixels that are not white."""
    import pypdfium2 as pdfium
    image = pdfium.PdfDocument(pdf)[page].render(scale=0.5).to_pil().convert("L")
    histogram = image.histogram()
    return 1 - sum(histogram[230:]) / sum(histogram)


def to_submit_step(session, browser, campaign_code="qb-1532-2024"):
    """Register, minutes, council approval through the pages; returns (case id, the head's browser, task id)."""
    campaign_id, unit_id = ids(session, campaign_code)
    staff = browser("vks-qb-dong-hoi.canbo")
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert submit(staff, inbox_task(staff), NOMINEES).status_code == 302
    secretary, council = browser("vks-qb-dong-hoi.thuky"), browser("vks-qb-dong-hoi.hoidong")
    assert submit(secretary, inbox_task(secretary), {**MINUTES, **MEETING}).status_code == 302
    assert submit(council, inbox_task(council), {"council_decision": "approve"}).status_code == 302
    head = browser("vks-qb-dong-hoi.thutruong")
    return case_id, head, inbox_task(head)


# Who came, who did not and how they voted: what the biên bản names beside the counts.
MEETING = {"meeting_time": "08:30", "vote_method": "secret_ballot",
           "present_names": "Lê Văn Hùng, Viện trưởng\nPhạm Thị Lan, Chánh Văn phòng",
           "absent_names": "Đặng Quang Vũ, Phó Viện trưởng: đi công tác"}


@RENDERING
def test_every_document_renders_exactly_from_a_case(app, session, browser, uploads):
    case_id, head, task = to_submit_step(session, browser)
    assert submit(head, task, TO_TRINH).status_code == 302
    case = session.get(Case, case_id, populate_existing=True)
    case.data = {**case.data, **DECISION}  # the decision as the deciding level records it
    session.commit()

    staff = browser("vks-qb-dong-hoi.canbo")
    pages = {}
    for code in ("to_trinh", "danh_sach", "bien_ban", "bao_cao_thanh_tich", "bao_cao_tom_tat", "quyet_dinh", "bang_khen"):
        response = staff.get(f"/cases/{case_id}/documents/{code}.pdf")
        assert response.status_code == 200, code
        assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
        pages[code] = response.data
        # Every glyph from the one face the set-up installs: a letter it lacked would pull in a fallback font.
        assert {f.split("+")[-1].split("-Bold")[0].split("-Italic")[0] for f in fonts_of(response.data)} \
            == {"Liberation-Serif"}, (code, fonts_of(response.data))
        assert ink_share(response.data) > 0.01, f"{code}: the first page is blank"

    to_trinh = flat(text_of(pages["to_trinh"]))
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "VIỆN KIỂM SÁT NHÂN DÂN",
                     "THÀNH PHỐ ĐỒNG HỚI", "Số: 15/TTr-VKS", "Đồng Hới, ngày 20 tháng 8 năm 2024", "TỜ TRÌNH",
                     "Kính gửi: Viện kiểm sát nhân dân tỉnh Quảng Bình", "Nghị định số 98/2023/NĐ-CP",
                     "Bằng khen của Viện trưởng VKSND tối cao", "01 tập thể và 01 cá nhân", "Nơi nhận:",
                     "VIỆN TRƯỞNG", "Lê Văn Hùng", "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG", "Trần Thị Thủy",
                     "VKSND thành phố Đồng Hới", "TẬP THỂ (01)", "CÁ NHÂN (01)", "ngày 20/08/2024"):
        assert expected in to_trinh, expected
    assert "Mẫu số" not in to_trinh  # 1532/VKSQB-TĐ names no form, so none is printed
    assert to_trinh.index("TẬP THỂ (01)") < to_trinh.index("VKSND thành phố Đồng Hới") < to_trinh.index("CÁ NHÂN (01)") \
        < to_trinh.rindex("Trần Thị Thủy")

    minutes = flat(text_of(pages["bien_ban"]))
    for expected in ("BIÊN BẢN Họp Hội đồng Thi đua - Khen thưởng Viện kiểm sát nhân dân thành phố Đồng Hới", "08 giờ 30 phút, ngày 19 tháng 8 năm 2024", "Phòng họp VKSND TP Đồng Hới",
                     "Chủ trì (chủ tọa): Lê Văn Hùng", "- Phạm Thị Lan, Chánh Văn phòng",
                     "Thành viên vắng mặt: - Đặng Quang Vũ, Phó Viện trưởng: đi công tác", "phương thức bỏ phiếu kín",
                     "Thư ký (người ghi biên bản): Phạm Thị Lan",
                     "Tổng số thành viên Hội đồng: 9; có mặt: 8; vắng mặt: 1", "Số: …/BB-VKS",
                     "Thời gian bắt đầu: 08 giờ 30 phút, ngày 19 tháng 8 năm 2024", "Kết luận:",
                     "Cuộc họp kết thúc vào", "THƯ KÝ", "CHỦ TỌA", "Nơi nhận:"):
        assert expected in minutes, expected
    # The 2/3 quorum and > 50 % approval are the campaign file's assumption, not 1532/VKSQB-TĐ's words.
    assert "2/3" not in minutes and "50%" not in minutes.split("Kết quả biểu quyết")[0]
    assert "Trần Thị Thủy Bằng khen của Viện trưởng VKSND tối cao 8 0 100% 88,89%" in minutes and "VKSND thành phố Đồng Hới Bằng khen của Viện trưởng VKSND tối cao 7 1 87,5% 77,78%" in minutes

    report = flat(text_of(pages["bao_cao_thanh_tich"]))
    for expected in ("BÁO CÁO THÀNH TÍCH", "Họ và tên: Trần Thị Thủy", "Tên tập thể: VKSND thành phố Đồng Hới",
                     "SƠ LƯỢC ĐẶC ĐIỂM, TÌNH HÌNH", "Kết quả nổi bật", "từ ngày 15/01/2024",
                     "Giảm 30% thời gian tra cứu hồ sơ", "Kinh phí 120 triệu đồng; 03 cán bộ CNTT; 02 máy chủ.",
                     "CÁC HÌNH THỨC ĐÃ ĐƯỢC KHEN THƯỞNG", "Chưa có.", "NGƯỜI BÁO CÁO THÀNH TÍCH"):
        assert expected in report, expected
    assert len(PdfReader(io.BytesIO(pages["bao_cao_thanh_tich"])).pages) >= 2  # each nominee on its own pages

    decision = flat(text_of(pages["quyet_dinh"]))
    for expected in ("QUYẾT ĐỊNH", "Số: 1234/QĐ-VKSTC", "Hà Nội, ngày 10 tháng 10 năm 2024",
                     "VIỆN TRƯỞNG VIỆN KIỂM SÁT NHÂN DÂN TỐI CAO", "Tờ trình số 15/TTr-VKS ngày 20/08/2024",
                     "cho 01 cá nhân (có danh sách kèm theo)", "Điều 1.", "DANH SÁCH ĐƯỢC KHEN THƯỞNG"):
        assert expected in decision, expected
    assert "VKSND thành phố Đồng Hới" not in decision.split("DANH SÁCH ĐƯỢC KHEN THƯỞNG")[1]  # not awarded

    certificate = flat(text_of(pages["bang_khen"]))
    assert "BẰNG KHEN" in certificate and "Trần Thị Thủy" in certificate and "Quyết định số 1234/QĐ-VKSTC" in certificate
    assert len(PdfReader(io.BytesIO(pages["bang_khen"])).pages) == 1  # one awardee, one certificate
    box = PdfReader(io.BytesIO(pages["bang_khen"])).pages[0].mediabox
    assert box.width > box.height  # landscape

    one = staff.get(f"/cases/{case_id}/documents/bao_cao_thanh_tich.pdf?nominee=2")
    assert "VKSND thành phố Đồng Hới" in text_of(one.data) and "Trần Thị Thủy" not in text_of(one.data)
    assert staff.get(f"/cases/{case_id}/documents/khong_co.pdf").status_code == 404
    assert browser("vks-qb-le-thuy.canbo").get(f"/cases/{case_id}/documents/to_trinh.pdf").status_code == 404


@RENDERING
def test_a_long_list_breaks_across_pages_with_headers_and_page_numbers(session):
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    unit = session.scalar(select(Unit).where(Unit.code == "vks-qb-dong-hoi"))
    long_name = "Nguyễn Thị Phương Thảo Ánh Nguyệt Huyền Trang Khánh Linh Diệp Chi Bảo Ngọc Quỳnh Hương Xuân"
    nominees = [reported({"kind": "individual" if i % 4 else "collective", "name": f"{long_name} {i:03d}",
                          "position": "Kiểm sát viên trung cấp, Phòng Thực hành quyền công tố và kiểm sát điều tra",
                          "award_form": "bang_khen_vkstc",
                          "achievement_summary": "Ứng dụng trí tuệ nhân tạo để tóm tắt hồ sơ vụ án, rút ngắn 40% thời gian."})
                for i in range(100)]
    data = {"nominees": nominees, "submission_number": "99/TTr-VKS", "submission_date": "2024-08-21",
            "signer_name": "Đặng Quốc Việt", "signer_title": "KT. VIỆN TRƯỞNG\nPHÓ VIỆN TRƯỞNG"}
    pdf = documents.render("to_trinh", data, campaign, unit)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 5
    texts = [unicodedata.normalize("NFC", p.extract_text()) for p in reader.pages]
    list_pages = [t for t in texts[1:] if "Nguyễn Thị Phương Thảo" in t]
    assert len(list_pages) >= 3
    assert all("Tóm tắt thành tích" in flat(t) and "Hình thức khen thưởng" in flat(t) for t in list_pages)  # repeated header
    # Page numbers from the second page on; the danh sách attached is numbered apart (NĐ 30/2020: an appendix has
    # its own page numbers), so its first page has none and its second is 2.
    assert "1" not in (texts[0].split()[0], texts[0].split()[-1])  # none on the tờ trình's first page
    list_start = next(i for i, t in enumerate(texts) if "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG" in t)
    assert list_start == 1 and "1" not in (texts[1].split()[0], texts[1].split()[-1])
    for number, text in enumerate(texts[list_start + 1:], 2):
        assert str(number) in (text.split()[0], text.split()[-1]), number
    everything = flat("\n".join(texts))
    assert "KT. VIỆN TRƯỞNG PHÓ VIỆN TRƯỞNG" in everything and "Đặng Quốc Việt" in everything
    assert "25 tập thể và 75 cá nhân" in everything
    for i in (0, 57, 99):  # long names wrap but every letter is drawn, in order
        assert f"Xuân {i:03d}" in everything


@RENDERING
def test_template_set_follows_the_documents_date_unless_the_campaign_names_one(session):
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    unit = session.scalar(select(Unit).where(Unit.code == "vks-qb-dong-hoi"))
    data = {"nominees": [reported({"kind": "individual", "name": "Hồ Thị Ngọc Ánh", "award_form": "bang_khen_vkstc",
                                   "achievement_summary": "Số hóa toàn bộ hồ sơ kiểm sát."})],
            "submission_number": "7/TTr-VKS", "submission_date": "2025-06-30", "signer_name": "Vũ Đức Toàn",
            "signer_title": "Viện trưởng"}
    assert documents.context.legal_set(campaign) == "nd98_2023"
    old = flat(documents.html_for("to_trinh", data, campaign, unit))
    new = flat(documents.html_for("to_trinh", {**data, "submission_date": "2025-08-05"}, campaign, unit))
    campaign.details = {**campaign.details, "document_templates": "nd98_2023"}  # not committed
    named = flat(documents.html_for("to_trinh", {**data, "submission_date": "2025-08-05"}, campaign, unit))
    session.rollback()
    assert "Nghị định số 98/2023/NĐ-CP" in old and "152/2025" not in old
    assert "Nghị định số 152/2025/NĐ-CP ngày 14 tháng 6 năm 2025" in new and "98/2023" not in new
    assert "Nghị định số 98/2023/NĐ-CP" in named  # the campaign names its set
    assert "ngày 05 tháng 8 năm 2025" in new and "Số: <span class=\"nowrap\">07/TTr-VKS" in new  # NĐ 30: padded


def _campaign_needing(session, code="xac_nhan_cap_uy", name="Văn bản xác nhận của cấp ủy") -> Campaign:
    """A copy of the Quảng Bình round whose dossier adds a document no template can produce."""
    source = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    details = json.loads(json.dumps(source.details, default=str))
    details["dossier_document"] = [*details["dossier_document"], {"code": code, "name": name, "required": True}]
    copy = Campaign(code="qb-docs-test", name=source.name, document_number=source.document_number,
                    document_date=source.document_date, issuer_id=source.issuer_id,
                    receiving_unit_id=source.receiving_unit_id, deadline=source.deadline,
                    process_id=source.process_id, details=details)
    session.add(copy)
    session.commit()
    return copy


def _post_file(person, case_id, code, filename, content, mimetype="application/pdf"):
    page = person.get(f"/cases/{case_id}")
    return person.client.post(f"/cases/{case_id}/attachments", content_type="multipart/form-data", data={
        "csrf_token": csrf_of(page), "document_code": code, "file": (io.BytesIO(content), filename, mimetype)})


def scanned_pdf(label: str) -> bytes:
    from weasyprint import HTML
    return HTML(string=f"<p>{label} — bản quét có chữ ký, đóng dấu</p>").write_pdf()


def test_submission_is_blocked_until_the_missing_document_is_uploaded(app, session, browser, uploads):
    _campaign_needing(session)
    case_id, head, task = to_submit_step(session, browser, "qb-docs-test")

    page = head.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'data-code="xac_nhan_cap_uy" data-status="missing"' in page
    assert 'data-code="bien_ban" data-status="generated"' in page
    assert "Chưa trình được hồ sơ: còn thiếu Văn bản xác nhận của cấp ủy" in page

    response = submit(head, task, TO_TRINH)
    assert response.status_code == 422
    assert "Thiếu thành phần hồ sơ «Văn bản xác nhận của cấp ủy»" in response.get_data(as_text=True)
    case = session.get(Case, case_id, populate_existing=True)
    assert "submission_number" not in case.data  # nothing changed

    scan = scanned_pdf("Xác nhận của Đảng ủy")
    response = _post_file(head, case_id, "xac_nhan_cap_uy", "xac-nhan.pdf", scan)
    assert response.status_code == 302
    page = head.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'data-code="xac_nhan_cap_uy" data-status="uploaded"' in page and "xac-nhan.pdf" in page
    assert submit(head, task, TO_TRINH).status_code == 302
    assert session.get(Case, case_id, populate_existing=True).data["submission_number"] == "15/TTr-VKS"


def test_uploads_are_checked_and_stored_outside_the_web_root(app, session, browser, uploads):
    case_id, head, _task = to_submit_step(session, browser)
    scan = scanned_pdf("Biên bản họp đã ký")

    fake = _post_file(head, case_id, "bien_ban", "bien-ban.pdf", b"<html><script>alert(1)</script></html>")
    assert fake.status_code == 400 and "Chỉ nhận bản quét dạng PDF hoặc ảnh" in fake.get_data(as_text=True)
    broken = _post_file(head, case_id, "bien_ban", "bien-ban.pdf", b"%PDF-1.7\nnot really a PDF")
    assert broken.status_code == 400 and "Tệp PDF bị hỏng" in broken.get_data(as_text=True)
    unknown = _post_file(head, case_id, "khong_co", "a.pdf", scan)
    assert unknown.status_code == 400 and "không thuộc danh mục hồ sơ" in unknown.get_data(as_text=True)
    app.config["TDKT_UPLOAD_MAX_BYTES"] = 1000
    big = _post_file(head, case_id, "bien_ban", "bien-ban.pdf", scan)
    assert big.status_code == 400 and "Tệp quá lớn" in big.get_data(as_text=True)
    app.config["TDKT_UPLOAD_MAX_BYTES"] = 10 * 1024 * 1024
    other_unit = browser("vks-qb-le-thuy.thutruong")
    assert _post_file(other_unit, case_id, "bien_ban", "x.pdf", scan).status_code == 404
    province = browser("vks-quang-binh.tdkt")  # reads the case, but the scans are the unit's to upload
    assert _post_file(province, case_id, "bien_ban", "x.pdf", scan).status_code == 403
    assert session.scalar(select(Attachment)) is None and not any(uploads.rglob("*.pdf"))

    response = _post_file(head, case_id, "bien_ban", "../../../webapp/static/bien-ban ký.pdf", scan)
    assert response.status_code == 302
    row = session.scalar(select(Attachment))
    assert row.filename == "bien-ban ký.pdf" and row.content_type == "application/pdf"
    assert row.sha256 == hashlib.sha256(scan).hexdigest() and row.size == len(scan)
    stored = uploads / row.storage_key
    assert stored.read_bytes() == scan and stored.resolve().is_relative_to(uploads.resolve())
    assert row.storage_key == f"{case_id}/{row.sha256}.pdf"
    from PIL import Image
    png = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(png, "PNG")
    image = _post_file(head, case_id, "bao_cao_thanh_tich", "bao-cao.pdf", png.getvalue())  # named .pdf, is PNG
    assert image.status_code == 302
    assert session.scalars(select(Attachment).order_by(Attachment.id)).all()[-1].content_type == "image/png"

    download = province.get(f"/attachments/{row.id}")
    assert download.status_code == 200 and download.data == scan
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert browser("vks-qb-le-thuy.canbo").get(f"/attachments/{row.id}").status_code == 404
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "attachment_uploaded")).all()
    assert len(events) == 2 and events[0].details["sha256"] == row.sha256


@RENDERING
def test_the_complete_dossier_as_zip_and_merged_pdf(app, session, browser, api, uploads):
    case_id, head, task = to_submit_step(session, browser)
    assert submit(head, task, TO_TRINH).status_code == 302
    scan = scanned_pdf("Tờ trình đã ký")
    assert _post_file(head, case_id, "to_trinh", "to-trinh-da-ky.pdf", scan).status_code == 302

    province = browser("vks-quang-binh.tdkt")  # the receiving level downloads it
    response = province.get(f"/cases/{case_id}/dossier.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["case_id"] == case_id and manifest["missing"] == []
    files = {f["document"]: f for f in manifest["files"]}
    assert set(files) == {"to_trinh", "danh_sach", "bien_ban", "bao_cao_thanh_tich"}
    assert files["to_trinh"]["source"] == "uploaded" and files["to_trinh"]["uploaded_name"] == "to-trinh-da-ky.pdf"
    assert files["bien_ban"]["source"] == "generated"
    for f in manifest["files"]:
        assert hashlib.sha256(archive.read(f["path"])).hexdigest() == f["sha256"]
    assert archive.read(files["to_trinh"]["path"]) == scan
    assert "Trần Thị Thủy" in text_of(archive.read(files["danh_sach"]["path"]))
    assert archive.read("SHA256SUMS").decode().count("  ") == 4

    merged = province.get(f"/cases/{case_id}/dossier.pdf")
    assert merged.status_code == 200
    reader = PdfReader(io.BytesIO(merged.data))
    expected_pages = sum(len(PdfReader(io.BytesIO(archive.read(f["path"]))).pages) for f in manifest["files"])
    assert len(reader.pages) == expected_pages
    assert [o.title for o in reader.outline][:2] == ["Tờ trình của cấp trình khen thưởng (bản ký)",
                                                      "Danh sách tập thể, cá nhân được đề nghị khen thưởng (kèm theo tờ trình)"]
    assert browser("vks-qb-le-thuy.canbo").get(f"/cases/{case_id}/dossier.zip").status_code == 404

    # The same through the API.
    client = api("vks-quang-binh.tdkt")
    listing = client.get(f"/api/cases/{case_id}/documents").get_json()
    assert listing["complete"] is True
    assert {i["code"]: i["status"] for i in listing["items"]} == {
        "to_trinh": "uploaded", "danh_sach": "generated", "bien_ban": "generated", "bao_cao_thanh_tich": "generated"}
    assert listing["items"][0]["attachments"][0]["sha256"] == hashlib.sha256(scan).hexdigest()
    pdf = client.get(f"/api/cases/{case_id}/documents/bien_ban")
    assert pdf.status_code == 200 and "Phạm Thị Lan" in text_of(pdf.data)
    assert client.get(f"/api/cases/{case_id}/dossier.zip").data[:2] == b"PK"
    staff_api = api("vks-qb-dong-hoi.canbo")
    created = staff_api.client.post(f"/api/cases/{case_id}/attachments", headers=staff_api.headers,
                                    content_type="multipart/form-data",
                                    data={"document_code": "bien_ban", "file": (io.BytesIO(scan), "bb.pdf")})
    assert created.status_code == 201 and created.get_json()["document_code"] == "bien_ban"
    bad = staff_api.client.post(f"/api/cases/{case_id}/attachments", headers=staff_api.headers,
                                content_type="multipart/form-data",
                                data={"document_code": "bien_ban", "file": (io.BytesIO(b"MZ\x90\x00"), "bb.pdf")})
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid"
