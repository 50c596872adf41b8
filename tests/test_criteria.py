"""The campaign's criteria for the unit's kind of unit (Thanh Hóa, digital transformation 2024, seed 004 §III.1):
prefilled on the registration form with read-only thresholds, the unit's figures judged met or not, and shown to
the council and on the case page — on both databases."""
import re
import tomllib

from processes.models import Case
from processes.rules.criteria import evaluate, template_for
from processes.rules.quotas import UnitFacts
from tests.test_campaign_rules import CAMPAIGNS, SUBMIT
from tests.test_case_flow_http import inbox_task, submit
from tests.test_eligibility import all_for, nominee_form, person, refused, to_the_head

TH_CDS = tomllib.loads((CAMPAIGNS / "th-cds-2024.toml").read_text(encoding="utf-8"))
DISTRICT = UnitFacts("ubnd-hoang-hoa", "UBND huyện Hoằng Hóa", "people_committee", "district")
AGENCY = UnitFacts("so-noi-vu-thanh-hoa", "Sở Nội vụ", "state_agency", "provincial")


def test_the_criteria_of_a_kind_and_level_of_unit():
    district = [c["code"] for c in template_for(TH_CDS, DISTRICT)]
    assert district[:3] == ["huyen_trien_khai", "huyen_van_ban_ky_so", "huyen_tthc_truc_tuyen"]
    assert not any(c.startswith(("xa_", "sbn_", "dn_")) for c in district)  # communes have their own
    assert district[-2:] == ["cn_chap_hanh", "cn_thanh_tich"]  # "*": every kind of unit
    agency = template_for(TH_CDS, AGENCY)
    assert [c["code"] for c in agency if c["code"].startswith("sbn_")] == [
        "sbn_trien_khai", "sbn_bcd_ke_hoach", "sbn_van_ban_ky_so", "sbn_ho_so_truc_tuyen", "sbn_attt_cap_do",
        "sbn_xep_hang", "sbn_sang_kien"]
    online = next(c for c in agency if c["code"] == "sbn_ho_so_truc_tuyen")
    assert (online["kind"], online["threshold"]) == ("percent_min", 90)
    assert "threshold" not in agency[0]


def test_met_not_met_and_to_assess():
    template = template_for(TH_CDS, DISTRICT)
    entered = [{"code": "huyen_tthc_truc_tuyen", "percent": 90.0, "threshold": 10},  # a posted threshold is ignored
               {"code": "huyen_toan_trinh", "percent": 84.9}, {"code": "huyen_trien_khai", "done": True}]
    results = {r.code: r for r in evaluate(entered, template)}
    assert results["huyen_tthc_truc_tuyen"].status == "met"  # "đạt từ 90% trở lên": 90 is enough
    assert (results["huyen_tthc_truc_tuyen"].threshold_text, results["huyen_tthc_truc_tuyen"].entered_text) == (
        "≥ 90%", "90%")
    assert results["huyen_toan_trinh"].status == "not_met"
    assert results["huyen_hai_long"].status == "missing"
    assert results["huyen_trien_khai"].status == "met"
    assert results["huyen_trang_ttdt"].status == "not_met"
    assert results["cn_chap_hanh"].status == "to_assess"


# --- through the pages -------------------------------------------------------------------------------------------

ROW = re.compile(r'<tr class="criterion criterion-(\w+)" data-code="(\w+)">(.*?)</tr>', re.S)


def criteria_rows(page: str) -> dict[str, tuple[str, str]]:
    """code → (status, the row's text without tags)."""
    table = page.split('<section class="card mb-4 criteria">', 1)[1].split("</section>", 1)[0]
    return {code: (status, " ".join(re.sub(r"<[^>]+>", " ", body).split())) for status, code, body in ROW.findall(table)}


def test_the_district_enters_its_figures_and_the_council_sees_them_judged(app, session, browser):
    rows = (person("Lê Thị Hạnh", award="bang_khen_ubnd_tinh"),)
    template = template_for(TH_CDS, DISTRICT)
    at = {c["code"]: i for i, c in enumerate(template)}
    figures = {
        f"criteria.{at['huyen_tthc_truc_tuyen']}.percent": "95",
        f"criteria.{at['huyen_toan_trinh']}.percent": "80,5",
        f"criteria.{at['huyen_toan_trinh']}.threshold": "50",  # a hand-made post cannot lower the threshold
        f"criteria.{at['huyen_toan_trinh']}.label": "Tiêu chí do đơn vị tự đặt",
        f"criteria.{at['huyen_trien_khai']}.done": "on",
        f"criteria.{at['huyen_trien_khai']}.note": "Ban hành Kế hoạch 12/KH-UBND ngày 10/01/2024.",
        f"criteria.{len(template)}.code": "tu_dat", f"criteria.{len(template)}.percent": "100",  # no extra row
    }
    case_id, head, task_id = to_the_head(browser, session, "ubnd-hoang-hoa", {**nominee_form(*rows), **figures},
                                         all_for(*rows), campaign="th-cds-2024")
    data = session.get(Case, case_id, populate_existing=True).data
    assert [c["code"] for c in data["criteria_template"]] == [c["code"] for c in template]
    stored = {c["code"]: c for c in data["criteria"]}
    assert len(data["criteria"]) == len(template) and "tu_dat" not in stored
    assert stored["huyen_toan_trinh"]["threshold"] == 85 and stored["huyen_toan_trinh"]["percent"] == 80.5
    assert stored["huyen_toan_trinh"]["label"] == "Tỷ lệ hồ sơ tiếp nhận, giải quyết trực tuyến toàn trình"

    expected = {
        "huyen_tthc_truc_tuyen": ("met", "≥ 90% 95% ✓ Đạt"),
        "huyen_toan_trinh": ("not_met", "≥ 85% 80.5% ✗ Chưa đạt"),
        "huyen_hai_long": ("missing", "≥ 90% — ✗ Chưa nhập số liệu"),
        "huyen_trien_khai": ("met", "Đạt Đã đạt ✓ Đạt"),
        "huyen_trang_ttdt": ("not_met", "Đạt Chưa đạt ✗ Chưa đạt"),
        "cn_chap_hanh": ("to_assess", "Hội đồng đánh giá Cần đánh giá"),
    }
    case_page = browser("ubnd-hoang-hoa.hoidong").get(f"/cases/{case_id}").get_data(as_text=True)
    shown = criteria_rows(case_page)
    for code, (status, tail) in expected.items():
        assert shown[code][0] == status and shown[code][1].endswith(tail), (code, shown[code])
    assert "Ban hành Kế hoạch 12/KH-UBND ngày 10/01/2024." in shown["huyen_trien_khai"][1]
    measured = [c for c in template if c["kind"] != "qualitative"]
    assert f"Đạt 2/{len(measured)} tiêu chí có ngưỡng" in case_page

    # not meeting a criterion does not stop the dossier: the council judged it
    assert refused(submit(head, task_id, SUBMIT)) == []


def test_the_registration_form_prefills_the_criteria_read_only_and_the_council_page_shows_them(app, session, browser):
    from tests.test_case_flow_http import ids

    campaign_id, unit_id = ids(session, "th-cds-2024", "ubnd-hoang-hoa")
    staff = browser("ubnd-hoang-hoa.canbo")
    assert staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id}).status_code == 302
    task_id = inbox_task(staff)
    form = staff.get(f"/tasks/{task_id}").get_data(as_text=True)
    criteria = form.split('data-array="criteria"', 1)[1].split("</fieldset>\n", 1)[0]
    at = {c["code"]: i for i, c in enumerate(template_for(TH_CDS, DISTRICT))}
    i = at["huyen_tthc_truc_tuyen"]
    assert "Tỷ lệ hồ sơ thủ tục hành chính tiếp nhận, giải quyết trực tuyến" in criteria
    assert f'<input type="hidden" name="criteria.{i}.threshold" value="90">' in criteria
    assert f'<input type="hidden" id="f-criteria-{i}-code" name="criteria.{i}.code" value="huyen_tthc_truc_tuyen">' in criteria
    assert f'name="criteria.{i}.percent"' in criteria and f'name="criteria.{i}.threshold" value="90" ' not in criteria
    assert "add-row" not in criteria and "remove-row" not in criteria  # the campaign's list, not the unit's
    assert '<section class="card mb-4 criteria">' not in form  # the form itself is where they are entered

    rows = (person("Lê Thị Hạnh", award="bang_khen_ubnd_tinh"),)
    assert submit(staff, task_id, {**nominee_form(*rows), f"criteria.{i}.percent": "89"}).status_code == 302
    secretary, council = browser("ubnd-hoang-hoa.thuky"), browser("ubnd-hoang-hoa.hoidong")
    assert submit(secretary, inbox_task(secretary), all_for(*rows)).status_code == 302
    review = council.get(f"/tasks/{inbox_task(council)}").get_data(as_text=True)
    assert criteria_rows(review)["huyen_tthc_truc_tuyen"] == ("not_met", criteria_rows(review)["huyen_tthc_truc_tuyen"][1])
    assert criteria_rows(review)["huyen_tthc_truc_tuyen"][1].endswith("≥ 90% 89% ✗ Chưa đạt")
