"""Documents a TĐKT officer could sign as generated: the right issuing body and the one above it in the header, the
body that decides and whose header its Quyết định carries, the signer's name and title block, the decree in force on
the document's date, the campaign's own award wording — read from the PDFs' text, as the officer reads them."""
from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from processes import documents
from processes.award_forms import campaign_award_name, decided_by
from processes.documents import context as ctx
from processes.models import Campaign, Unit
from tests.factories import reported

RENDERING = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
# Wording a Vietnamese officer would strike out (issue 15): none of it may appear in any document.
WRONG_WORDING = ("khen thưởng Khen thưởng", "00 tập thể", "00 cá nhân", "— tỉnh Thanh Hóa", "Thủ trưởng Ủy ban nhân dân",
                 "Thủ trưởng UBND")


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(unicodedata.normalize("NFC", "\n".join(p.extract_text() or "" for p in reader.pages)).split())


def of(session, model, code):
    return session.scalar(select(model).where(model.code == code))


def rendered(code, data, campaign, unit, **kw) -> str:
    text = text_of(documents.render(code, data, campaign, unit, **kw))
    for wrong in WRONG_WORDING:
        assert wrong not in text, (code, wrong)
    return text


def minutes(name, **extra):
    return {"meeting_date": "2024-09-10", "meeting_time": "14:00", "meeting_place": "Hội trường UBND huyện Hoằng Hóa",
            "chair": "Lê Văn An", "secretary_name": "Trần Thị Bình", "members_total": 9, "members_present": 8,
            "votes": [{"nominee": name, "votes_for": 8, "votes_against": 0}], **extra}


COMMUNE = reported({"kind": "collective", "name": "Ủy ban nhân dân xã Hoằng Lộc", "award_form": "bang_khen_ubnd_tinh",
                    "achievement_summary": "92% hồ sơ thủ tục hành chính tiếp nhận, giải quyết trực tuyến."})
HOANG_HOA = {"nominees": [COMMUNE], **minutes(COMMUNE["name"]),
             "submission_number": "7/TTr-UBND", "submission_date": "2024-09-12", "signer_name": "Nguyễn Văn Cường",
             "signer_title": "KT. Chủ tịch - Phó Chủ tịch"}
TH_DECISION = {"decision_number": "3456/QĐ-UBND", "decision_date": "2024-10-10",
               "decision_signer_name": "Đỗ Minh Tuấn", "decision_signer_title": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
               "awards": [{"nominee": COMMUNE["name"], "award_form": "bang_khen_ubnd_tinh", "awarded": True}]}


# --- the unit tree: reporting path apart from the governing body ------------------------------------------------

@RENDERING
def test_the_unit_tree_keeps_the_governing_body_apart_from_the_reporting_path(session):
    hoang_hoa, so, tinh = (of(session, Unit, c) for c in ("ubnd-hoang-hoa", "so-tttt-thanh-hoa", "ubnd-thanh-hoa"))
    assert hoang_hoa.parent is so  # the dossier goes to the Sở TT&TT (004 §IV.2)
    assert hoang_hoa.governing_body is tinh and hoang_hoa.governing_chain()[-1] is tinh
    assert hoang_hoa.header_parent_name == ""  # a UBND prints its own name alone
    assert so.header_parent_name == "Ủy ban nhân dân tỉnh Thanh Hóa"
    assert of(session, Unit, "so-noi-vu-thanh-hoa").header_parent_name == "Ủy ban nhân dân tỉnh Thanh Hóa"
    assert of(session, Unit, "vks-qb-dong-hoi").header_parent_name == "Viện kiểm sát nhân dân tỉnh Quảng Bình"
    assert of(session, Unit, "ubnd-xa-hoang-loc").governing_chain()[-1] is tinh


@RENDERING
def test_who_decides_follows_the_award_form_and_the_campaign_file(session):
    th, vkstc_plan = of(session, Campaign, "th-cds-2024"), of(session, Campaign, "vkstc-dmst-2025-2027")
    hoang_hoa, da_nang = of(session, Unit, "ubnd-hoang-hoa"), of(session, Unit, "vks-da-nang")
    # Bằng khen Chủ tịch UBND tỉnh: the Thanh Hóa file sends it to the top, UBND tỉnh — not to the Sở.
    assert ctx.level_of(th.details, "bang_khen_ubnd_tinh") == "supreme"
    assert ctx.deciding_unit(hoang_hoa, th, HOANG_HOA).code == "ubnd-thanh-hoa"
    # A unit's own Giấy khen is decided by the unit's own head, not by VKSND tối cao.
    assert decided_by("giay_khen_thu_truong") == "own"
    own = {"nominees": [{"kind": "individual", "name": "Lê Thị Hoa", "award_form": "giay_khen_thu_truong"}]}
    assert ctx.deciding_unit(da_nang, vkstc_plan, own) is da_nang
    assert ctx.deciding_unit(da_nang, vkstc_plan, {"nominees": [{"award_form": "bang_khen_vkstc"}]}).code == "vkstc"
    assert campaign_award_name(vkstc_plan.details, "giay_khen_thu_truong") == \
        "Giấy khen của Thủ trưởng đơn vị có tư cách pháp nhân"


# --- Thanh Hóa ---------------------------------------------------------------------------------------------------

@RENDERING
def test_a_thanh_hoa_district_writes_under_its_own_name_to_the_so(session):
    th, hoang_hoa = of(session, Campaign, "th-cds-2024"), of(session, Unit, "ubnd-hoang-hoa")
    text = rendered("to_trinh", HOANG_HOA, th, hoang_hoa)
    assert text.startswith("Mẫu số 01, NĐ 98/2023/NĐ-CP ỦY BAN NHÂN DÂN HUYỆN HOẰNG HÓA Số: 07/TTr-UBND")
    assert "SỞ THÔNG TIN" not in text.split("CỘNG HÒA")[0]
    assert "Hoằng Hóa, ngày 12 tháng 9 năm 2024" in text
    assert ("Kính gửi: Sở Thông tin và Truyền thông tỉnh Thanh Hóa (Phòng Quản lý Công nghệ thông tin)") in text
    assert ("Căn cứ Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ quy định chi tiết thi hành "
            "một số điều của Luật Thi đua, khen thưởng;") in text
    assert text.count("Căn cứ Luật Thi đua, khen thưởng") == 1  # the campaign's own căn cứ are not repeated
    assert "26/2022/QĐ-UBND" not in text  # a district does not cite the Sở's own statute
    assert ("Ủy ban nhân dân huyện Hoằng Hóa kính đề nghị Sở Thông tin và Truyền thông tỉnh Thanh Hóa xem xét, "
            "trình Chủ tịch UBND tỉnh Thanh Hóa tặng Bằng khen của Chủ tịch UBND tỉnh cho 01 tập thể đã có thành "
            "tích xuất sắc trong công tác triển khai chuyển đổi số trên địa bàn tỉnh") in text
    assert "quyết định" not in text.split("Kính gửi")[1].split("Nơi nhận")[0]  # the Sở gathers, it does not decide
    assert "KT. CHỦ TỊCH PHÓ CHỦ TỊCH Nguyễn Văn Cường" in text

    text = rendered("bien_ban", HOANG_HOA, th, hoang_hoa)
    assert text.startswith("ỦY BAN NHÂN DÂN HUYỆN HOẰNG HÓA Số: …/BB-UBND")

    text = rendered("bao_cao_thanh_tich", HOANG_HOA, th, hoang_hoa)
    assert text.startswith("Mẫu số 08, NĐ 98/2023/NĐ-CP ỦY BAN NHÂN DÂN HUYỆN HOẰNG HÓA")


@RENDERING
def test_the_chairmans_decision_is_issued_under_ubnd_tinh(session):
    th, hoang_hoa = of(session, Campaign, "th-cds-2024"), of(session, Unit, "ubnd-hoang-hoa")
    data = {**HOANG_HOA, **TH_DECISION}
    text = rendered("quyet_dinh", data, th, hoang_hoa)
    assert text.startswith("ỦY BAN NHÂN DÂN TỈNH THANH HÓA Số: 3456/QĐ-UBND")
    assert "Thanh Hóa, ngày 10 tháng 10 năm 2024" in text and "SỞ THÔNG TIN" not in text
    assert "QUYẾT ĐỊNH Về việc tặng Bằng khen CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA" in text
    assert text.index("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;") \
        < text.index("Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;")
    assert ("Xét đề nghị của Chủ tịch Ủy ban nhân dân huyện Hoằng Hóa tại Tờ trình số 07/TTr-UBND ngày "
            "12/09/2024. QUYẾT ĐỊNH:") in text
    assert "Điều 1. Tặng Bằng khen của Chủ tịch UBND tỉnh cho 01 tập thể (có danh sách kèm theo)" in text
    assert "KT. CHỦ TỊCH PHÓ CHỦ TỊCH Đỗ Minh Tuấn" in text

    certificate = rendered("bang_khen", data, th, hoang_hoa)
    assert "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA tặng BẰNG KHEN Ủy ban nhân dân xã Hoằng Lộc" in certificate
    assert "Số sổ vàng: 3456" in certificate and "Thanh Hóa, ngày 10 tháng 10 năm 2024" in certificate
    assert certificate.endswith("KT. CHỦ TỊCH PHÓ CHỦ TỊCH Đỗ Minh Tuấn")


@RENDERING
def test_the_sos_consolidated_dossier_goes_to_the_chairman(session):
    th, so = of(session, Campaign, "th-cds-2024"), of(session, Unit, "so-tttt-thanh-hoa")
    data = {"nominees": [{**COMMUNE, "case_id": 1, "unit": "Ủy ban nhân dân huyện Hoằng Hóa"}],
            "submission_number": "120/TTr-STTTT", "submission_date": "2024-09-25", "signer_name": "Đỗ Hữu Quyết",
            "signer_title": "Giám đốc", "meeting_date": "2024-09-23"}
    text = rendered("to_trinh", data, th, so, recipient=so.governing_body)
    assert text.startswith("Mẫu số 01, NĐ 98/2023/NĐ-CP ỦY BAN NHÂN DÂN TỈNH THANH HÓA SỞ THÔNG TIN VÀ TRUYỀN THÔNG")
    assert "Kính gửi: Chủ tịch UBND tỉnh Thanh Hóa" in text
    assert "Kính trình Chủ tịch UBND tỉnh Thanh Hóa xem xét, quyết định./." in text
    assert "GIÁM ĐỐC Đỗ Hữu Quyết" in text


# --- VKSND ------------------------------------------------------------------------------------------------------

@RENDERING
def test_a_quang_binh_district_proposes_to_the_province_for_the_supreme_procurator(session):
    qb, dong_hoi = of(session, Campaign, "qb-1532-2024"), of(session, Unit, "vks-qb-dong-hoi")
    data = {"nominees": [reported({"kind": "individual", "name": "Trần Thị Thủy", "award_form": "bang_khen_vkstc",
                                   "achievement_summary": "Phần mềm quản lý án hình sự."})],
            "submission_number": "15/TTr-VKS", "submission_date": "2024-08-20", "signer_name": "Lê Văn Hùng",
            "signer_title": "Viện trưởng", "meeting_date": "2024-08-19"}
    text = rendered("to_trinh", data, qb, dong_hoi)
    assert text.startswith("VIỆN KIỂM SÁT NHÂN DÂN TỈNH QUẢNG BÌNH VIỆN KIỂM SÁT NHÂN DÂN THÀNH PHỐ ĐỒNG HỚI")
    assert "Mẫu số" not in text  # 1532/VKSQB-TĐ names no form: no label
    assert "Kính gửi: Viện kiểm sát nhân dân tỉnh Quảng Bình (Bộ phận Thi đua - Khen thưởng)" in text
    assert ("Thực hiện Công văn số 1532/VKSQB-TĐ ngày 15/08/2024 của Viện kiểm sát nhân dân tỉnh Quảng Bình về "
            "việc hướng dẫn, đề nghị khen thưởng sơ kết 1 năm") in text
    assert ("xem xét, trình Viện trưởng VKSND tối cao tặng Bằng khen của Viện trưởng VKSND tối cao cho 01 cá nhân "
            "đã có thành tích xuất sắc trong thực hiện Phong trào thi đua chuyển đổi số trong ngành Kiểm sát nhân "
            "dân") in text


VKSTC_2027 = {"nominees": [reported({"kind": "individual", "name": "Lê Thị Hoa", "award_form": "giay_khen_thu_truong",
                                     "position": "Kiểm sát viên, Phòng 7",
                                     "achievement_summary": "Số hóa hồ sơ kiểm sát."}),
                           reported({"kind": "collective", "name": "Phòng 2, VKSND thành phố Đà Nẵng",
                                     "award_form": "giay_khen_thu_truong",
                                     "achievement_summary": "100% văn bản ký số."})],
              "submission_number": "31/TTr-VKS", "submission_date": "2027-10-05", "signer_name": "Ngô Hùng",
              "signer_title": "Viện trưởng", "meeting_date": "2027-10-01",
              "decision_number": "12/QĐ-VKS", "decision_date": "2027-10-20", "decision_signer_name": "Ngô Hùng",
              "awards": [{"nominee": "Lê Thị Hoa", "award_form": "giay_khen_thu_truong", "awarded": True},
                         {"nominee": "Phòng 2, VKSND thành phố Đà Nẵng", "award_form": "giay_khen_thu_truong",
                          "awarded": False}]}


@RENDERING
def test_a_unit_decides_its_own_giay_khen_under_its_own_header_citing_the_decree_in_force(session):
    plan, da_nang = of(session, Campaign, "vkstc-dmst-2025-2027"), of(session, Unit, "vks-da-nang")
    text = rendered("quyet_dinh", VKSTC_2027, plan, da_nang)
    assert text.startswith("VIỆN KIỂM SÁT NHÂN DÂN TỐI CAO VIỆN KIỂM SÁT NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG Số: 12/QĐ-VKS")
    assert "Đà Nẵng, ngày 20 tháng 10 năm 2027" in text
    assert "VIỆN TRƯỞNG VIỆN KIỂM SÁT NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG Căn cứ Luật Tổ chức Viện kiểm sát nhân dân" in text
    assert ("Căn cứ Nghị định số 152/2025/NĐ-CP ngày 14 tháng 6 năm 2025 của Chính phủ quy định chi tiết một số "
            "điều của Luật Thi đua, khen thưởng;") in text
    assert "98/2023" not in text  # lapsed on 01/7/2025
    assert "Tặng Giấy khen của Thủ trưởng đơn vị có tư cách pháp nhân cho 01 cá nhân" in text
    assert "VIỆN TRƯỞNG Ngô Hùng" in text

    certificate = rendered("bang_khen", VKSTC_2027, plan, da_nang)
    assert certificate.startswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc VIỆN TRƯỞNG VIỆN "
                                  "KIỂM SÁT NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG tặng GIẤY KHEN Lê Thị Hoa")
    assert "Số sổ vàng: 12" in certificate and "Đà Nẵng, ngày 20 tháng 10 năm 2027" in certificate

    proposal = rendered("to_trinh", VKSTC_2027, plan, da_nang)
    assert "Nghị định số 152/2025/NĐ-CP ngày 14 tháng 6 năm 2025" in proposal and "98/2023" not in proposal
    # the unit's own Giấy khen: its council proposes to its own head, not to VKSND tối cao
    assert "Kính gửi: Viện trưởng Viện kiểm sát nhân dân thành phố Đà Nẵng" in proposal
    assert ("Hội đồng Thi đua - Khen thưởng Viện kiểm sát nhân dân thành phố Đà Nẵng kính đề nghị Viện trưởng Viện "
            "kiểm sát nhân dân thành phố Đà Nẵng xem xét, tặng Giấy khen của Thủ trưởng đơn vị có tư cách pháp nhân "
            "cho 01 tập thể và 01 cá nhân") in proposal
    assert "Kính trình Viện trưởng Viện kiểm sát nhân dân thành phố Đà Nẵng xem xét, quyết định./." in proposal
    assert "Kính gửi: Viện kiểm sát nhân dân tối cao" not in proposal and "trình Viện trưởng VKSND" not in proposal


# --- form of the documents ----------------------------------------------------------------------------------------

def test_numbers_titles_and_counts_are_written_as_nd30_writes_them():
    assert ctx.doc_number("7/TTr-VKS") == "07/TTr-VKS" and ctx.doc_number("15/TTr-VKS") == "15/TTr-VKS"
    assert ctx.doc_number("07/QĐ-UBND") == "07/QĐ-UBND"
    assert ctx.title_lines("KT. Viện trưởng - Phó Viện trưởng") == ["KT. Viện trưởng", "Phó Viện trưởng"]
    assert ctx.title_lines("TM. Ủy ban nhân dân, Chủ tịch") == ["TM. Ủy ban nhân dân", "Chủ tịch"]
    assert ctx.title_lines("TL. VIỆN TRƯỞNG\nCHÁNH VĂN PHÒNG") == ["TL. VIỆN TRƯỞNG", "CHÁNH VĂN PHÒNG"]
    assert ctx.title_lines("Viện trưởng") == ["Viện trưởng"]
    assert ctx.count_phrase(0, 1) == "01 cá nhân" and ctx.count_phrase(2, 0) == "02 tập thể"
    assert ctx.count_phrase(1, 12) == "01 tập thể và 12 cá nhân"
    assert ctx.symbol_of("15/TTr-VKS") == "VKS"


@RENDERING
def test_bases_are_italic_and_end_with_semicolons_then_a_full_stop(session):
    th, hoang_hoa = of(session, Campaign, "th-cds-2024"), of(session, Unit, "ubnd-hoang-hoa")
    html = documents.html_for("quyet_dinh", {**HOANG_HOA, **TH_DECISION}, th, hoang_hoa)
    bases = [line for line in html.splitlines() if 'class="basis"' in line]
    assert len(bases) == 5
    assert all(line.endswith(";</p>") for line in bases[:-1]) and bases[-1].endswith(".</p>")
    css = (Path(documents.__file__).parent / "templates" / "document.css").read_text()
    assert "p.basis { font-style: italic; }" in css and ".title-rule" in css
    assert html.index('class="about"') < html.index('class="rule title-rule"')  # the rule under the trích yếu


# --- the decision as each case receives it -------------------------------------------------------------------------

@RENDERING
def test_the_units_copy_of_the_decision_cites_the_consolidated_proposal_and_the_consolidation_lacks_nothing(
        app, session, browser):
    from processes.documents import dossier
    from processes.models import Case, User
    from tests.test_rollup import test_thanh_hoa_district_rolls_up_to_so_tttt_and_the_provincial_chairman as flow

    flow(app, session, browser)  # Hoằng Hóa → Sở TT&TT (95/TTr-STTTT) → Chủ tịch UBND tỉnh (3456/QĐ-UBND)
    admin = session.scalar(select(User).where(User.username == "admin"))
    parent = session.scalar(select(Case).where(Case.kind == "consolidation"))
    unit_case = session.scalar(select(Case).where(Case.kind == "unit", Case.parent_id == parent.id))
    _name, pdf = dossier.generate(session, admin, unit_case.id, "quyet_dinh")
    text = text_of(pdf)
    assert text.startswith("ỦY BAN NHÂN DÂN TỈNH THANH HÓA Số: 3456/QĐ-UBND")
    assert ("Xét đề nghị của Giám đốc Sở Thông tin và Truyền thông tỉnh Thanh Hóa tại Tờ trình số 95/TTr-STTTT "
            "ngày 26/08/2024.") in text
    assert "15/TTr-VKS" not in text  # the district's own tờ trình was not what the Chủ tịch decided on
    _name, pdf = dossier.generate(session, admin, parent.id, "quyet_dinh")
    assert "Tờ trình số 95/TTr-STTTT ngày 26/08/2024" in text_of(pdf)

    _case, rows, _extra = dossier.documents_of(session, admin, parent.id)
    assert {r.code: r.status for r in rows if r.code in ("bien_ban", "bao_cao_thanh_tich")} == {
        "bien_ban": "generated", "bao_cao_thanh_tich": "generated"}
    minutes = text_of(dossier.generate(session, admin, parent.id, "bien_ban")[1])
    assert "Hội đồng Thi đua - Khen thưởng Sở Thông tin và Truyền thông tỉnh Thanh Hóa" in minutes
    assert "UBND xã Hoằng Quỳ (Ủy ban nhân dân huyện Hoằng Hóa)" in minutes
    report = text_of(dossier.generate(session, admin, parent.id, "bao_cao_thanh_tich")[1])
    assert "Tên tập thể: UBND xã Hoằng Quỳ" in report


# --- achievement reports by the campaign's report form -------------------------------------------------------------

@RENDERING
def test_the_report_follows_the_form_the_campaign_names(session):
    th, hoang_hoa = of(session, Campaign, "th-cds-2024"), of(session, Unit, "ubnd-hoang-hoa")
    thematic = rendered("bao_cao_thanh_tich", HOANG_HOA, th, hoang_hoa)  # Mẫu 08: by chuyên đề, confirmed
    assert "II. THÀNH TÍCH ĐẠT ĐƯỢC TRONG CÔNG TÁC TRIỂN KHAI CHUYỂN ĐỔI SỐ TRÊN ĐỊA BÀN TỈNH" in thematic
    assert "XÁC NHẬN CỦA CẤP TRÌNH KHEN THƯỞNG Chủ tịch Ủy ban nhân dân huyện Hoằng Hóa Nguyễn Văn Cường" in thematic
    assert "CÁC HÌNH THỨC ĐÃ ĐƯỢC KHEN THƯỞNG" not in thematic and "5. Nguồn lực huy động" not in thematic
    assert ctx.report_fields(th.details) == ("result",)

    qb, dong_hoi = of(session, Campaign, "qb-1532-2024"), of(session, Unit, "vks-qb-dong-hoi")
    data = {"nominees": [reported({"kind": "individual", "name": "Trần Thị Thủy", "award_form": "bang_khen_vkstc"})],
            "submission_date": "2024-08-20", "signer_name": "Lê Văn Hùng", "signer_title": "Viện trưởng"}
    by_kind = rendered("bao_cao_thanh_tich", data, qb, dong_hoi)  # the five points 1532/VKSQB-TĐ §6 asks for
    for heading in ("1. Kết quả nổi bật", "2. Thời điểm đưa vào ứng dụng", "3. Vấn đề được giải quyết",
                    "4. Hiệu quả đạt được", "5. Nguồn lực huy động", "III. CÁC HÌNH THỨC ĐÃ ĐƯỢC KHEN THƯỞNG"):
        assert heading in by_kind, heading
    assert "VIỆN TRƯỞNG XÁC NHẬN, ĐỀ NGHỊ Lê Văn Hùng NGƯỜI BÁO CÁO THÀNH TÍCH Trần Thị Thủy" in by_kind
    assert ctx.report_fields(qb.details) == ("result", "in_use_since", "problem_solved", "effect", "resources")
    missing = documents.missing_fields("bao_cao_thanh_tich", {"nominees": [
        {"kind": "individual", "name": "X", "award_form": "bang_khen_vkstc", "report": {"result": "Kết quả rõ."}}]}, qb)
    assert missing == ["báo cáo thành tích của «X»"]  # Quảng Bình asks for all five points
    assert documents.missing_fields("bao_cao_thanh_tich", {"nominees": [
        {"kind": "individual", "name": "X", "award_form": "bang_khen_ubnd_tinh",
         "report": {"result": "Kết quả rõ."}}]}, th) == []


def test_units_see_the_deadline_as_the_seed_words_it_and_whom_to_call(app, session, browser):
    page = browser("ubnd-hoang-hoa.canbo").get("/campaigns").get_data(as_text=True)
    assert "Hạn nộp: trước ngày 20/09/2024" in page  # "trước ngày 20/9/2024" (004 §IV.2): 19/9 is the last day
    assert ("Liên hệ: Đ/c Trần Mạnh Hùng – Phó Trưởng Phòng Quản lý Công nghệ thông tin, điện thoại 0915 351 008, "
            "e-mail hungtm.stttt@thanhhoa.gov.vn") in page


# --- what the officer checks in every case's documents: header, signer, decree and its date, award wording ------------

@RENDERING
def test_a_quang_binh_districts_documents_name_the_signer_and_the_decree_and_state_no_assumed_rule(session):
    qb, dong_hoi = of(session, Campaign, "qb-1532-2024"), of(session, Unit, "vks-qb-dong-hoi")
    thuy = reported({"kind": "individual", "name": "Trần Thị Thủy", "award_form": "bang_khen_vkstc",
                     "achievement_summary": "Phần mềm quản lý án hình sự."})
    data = {"nominees": [thuy], "meeting_date": "2024-08-19", "meeting_time": "08:00",
            "meeting_place": "Phòng họp VKSND TP Đồng Hới", "chair": "Lê Văn Hùng", "secretary_name": "Phạm Thị Lan",
            "members_total": 9, "members_present": 8, "votes": [{"nominee": thuy["name"], "votes_for": 8,
                                                                  "votes_against": 0}],
            "submission_number": "15/TTr-VKS", "submission_date": "2024-08-20", "signer_name": "Lê Văn Hùng",
            "signer_title": "KT. Viện trưởng - Phó Viện trưởng"}
    decree = "Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023"
    text = rendered("to_trinh", data, qb, dong_hoi)
    assert decree in text and "KT. VIỆN TRƯỞNG PHÓ VIỆN TRƯỞNG Lê Văn Hùng" in text
    assert "Bằng khen của Viện trưởng VKSND tối cao" in text
    minutes = rendered("bien_ban", data, qb, dong_hoi)
    assert minutes.startswith("VIỆN KIỂM SÁT NHÂN DÂN TỈNH QUẢNG BÌNH VIỆN KIỂM SÁT NHÂN DÂN THÀNH PHỐ ĐỒNG HỚI "
                              "Số: …/BB-VKS")
    # the campaign's 2/3 quorum and > 50 % approval are assumptions: the minutes do not state them as rules
    assert "2/3" not in minutes and "trên 50%" not in minutes
    assert "Lê Văn Hùng" in minutes and "Phạm Thị Lan" in minutes

    decided = {**data, "decision_number": "1234/QĐ-VKSTC", "decision_date": "2024-10-10",
               "decision_signer_name": "Nguyễn Quang Dũng", "decision_signer_title": "KT. VIỆN TRƯỞNG\nPHÓ VIỆN TRƯỞNG",
               "awards": [{"nominee": thuy["name"], "award_form": "bang_khen_vkstc", "awarded": True}]}
    decision = rendered("quyet_dinh", decided, qb, dong_hoi)
    assert decision.startswith("VIỆN KIỂM SÁT NHÂN DÂN TỐI CAO Số: 1234/QĐ-VKSTC")
    assert decree in decision and "KT. VIỆN TRƯỞNG PHÓ VIỆN TRƯỞNG Nguyễn Quang Dũng" in decision
    assert "Tặng Bằng khen của Viện trưởng VKSND tối cao cho 01 cá nhân" in decision


@RENDERING
def test_the_sos_consolidation_cites_the_decree_and_the_campaigns_award(session):
    th, so = of(session, Campaign, "th-cds-2024"), of(session, Unit, "so-tttt-thanh-hoa")
    data = {"nominees": [{**COMMUNE, "case_id": 1, "unit": "Ủy ban nhân dân huyện Hoằng Hóa"}],
            "submission_number": "120/TTr-STTTT", "submission_date": "2024-09-25", "signer_name": "Đỗ Hữu Quyết",
            "signer_title": "Giám đốc", "meeting_date": "2024-09-23"}
    text = rendered("to_trinh", data, th, so, recipient=so.governing_body)
    assert "Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023" in text
    assert "Bằng khen của Chủ tịch UBND tỉnh" in text and "Ủy ban nhân dân xã Hoằng Lộc" in text


@RENDERING
def test_a_vkstc_2027_bang_khen_is_decided_under_the_vkstc_header_citing_nd_152(session):
    plan, da_nang = of(session, Campaign, "vkstc-dmst-2025-2027"), of(session, Unit, "vks-da-nang")
    hoa = {**VKSTC_2027["nominees"][0], "award_form": "bang_khen_vkstc"}
    data = {**VKSTC_2027, "nominees": [hoa], "decision_number": "456/QĐ-VKSTC", "decision_date": "2027-11-15",
            "decision_signer_name": "Nguyễn Đức Thái", "decision_signer_title": "KT. VIỆN TRƯỞNG\nPHÓ VIỆN TRƯỞNG",
            "awards": [{"nominee": hoa["name"], "award_form": "bang_khen_vkstc", "awarded": True}]}
    text = rendered("quyet_dinh", data, plan, da_nang)
    assert text.startswith("VIỆN KIỂM SÁT NHÂN DÂN TỐI CAO Số: 456/QĐ-VKSTC")
    assert "Nghị định số 152/2025/NĐ-CP ngày 14 tháng 6 năm 2025" in text and "98/2023" not in text
    assert "KT. VIỆN TRƯỞNG PHÓ VIỆN TRƯỞNG Nguyễn Đức Thái" in text
    assert "Tặng Bằng khen của Viện trưởng VKSND tối cao cho 01 cá nhân" in text
