"""The campaign's criteria for the unit's kind of unit (Thanh Hóa, digital transformation 2024, seed 004 §III.1) and the
unit's figures judged met or not, as pure calls: the template a new case starts with, the judgement on the template's
threshold (never a posted one), and what the council's and the case's pages are given to show."""
from types import SimpleNamespace

from processes.rules.criteria import evaluate, template_for
from processes.rules.figures import for_case
from tests.factories import all_for, campaign_details, person, unit_facts

TH_CDS = campaign_details("th-cds-2024")
DISTRICT = unit_facts("ubnd-hoang-hoa")
AGENCY = unit_facts("so-noi-vu-thanh-hoa")


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
    assert [c["code"] for c in template_for(TH_CDS, unit_facts("ubnd-xa-hoang-loc"))][0].startswith("xa_")
    assert template_for(TH_CDS, None) == []


ENTERED = [{"code": "huyen_tthc_truc_tuyen", "percent": 95.0},
           {"code": "huyen_toan_trinh", "percent": 80.5, "threshold": 50},  # a posted threshold is ignored
           {"code": "huyen_trien_khai", "done": True, "note": "Ban hành Kế hoạch 12/KH-UBND ngày 10/01/2024."},
           {"code": "tu_dat", "percent": 100}]  # not a criterion of the campaign


def test_met_not_met_missing_and_to_assess_with_what_the_page_says():
    results = {r.code: r for r in evaluate(ENTERED, template_for(TH_CDS, DISTRICT))}
    assert "tu_dat" not in results
    shown = {code: (r.status, r.threshold_text, r.entered_text, r.status_label) for code, r in results.items()}
    assert shown["huyen_tthc_truc_tuyen"] == ("met", "≥ 90%", "95%", "Đạt")
    assert shown["huyen_toan_trinh"] == ("not_met", "≥ 85%", "80.5%", "Chưa đạt")
    assert shown["huyen_hai_long"] == ("missing", "≥ 90%", "—", "Chưa nhập số liệu")
    assert shown["huyen_trien_khai"] == ("met", "Đạt", "Đã đạt", "Đạt")
    assert shown["huyen_trang_ttdt"] == ("not_met", "Đạt", "Chưa đạt", "Chưa đạt")
    assert shown["cn_chap_hanh"] == ("to_assess", "Hội đồng đánh giá", "", "Cần đánh giá")
    assert results["huyen_trien_khai"].note == "Ban hành Kế hoạch 12/KH-UBND ngày 10/01/2024."


def test_the_threshold_itself_is_enough():
    template = template_for(TH_CDS, DISTRICT)  # "đạt từ 90% trở lên": 90 is enough, 89.99 is not
    at = {r.code: r.status for r in evaluate([{"code": "huyen_tthc_truc_tuyen", "percent": 90}], template)}
    assert at["huyen_tthc_truc_tuyen"] == "met"
    at = {r.code: r.status for r in evaluate([{"code": "huyen_tthc_truc_tuyen", "percent": 89.99}], template)}
    assert at["huyen_tthc_truc_tuyen"] == "not_met"


def test_the_pages_are_given_the_case_s_criteria_judged_and_its_vote_figures():
    row = person("Lê Thị Hạnh", "bang_khen_ubnd_tinh")
    template = template_for(TH_CDS, DISTRICT)
    case = SimpleNamespace(kind="unit", unit=DISTRICT, campaign=SimpleNamespace(details=TH_CDS),
                           data={"criteria_template": template, "criteria": ENTERED, "nominees": [row], **all_for([row])})
    shown = for_case(case)
    assert [r.code for r in shown["criteria"]] == [c["code"] for c in template]
    assert {r.code: r.status for r in shown["criteria"]}["huyen_toan_trinh"] == "not_met"
    assert shown["vote_summary"].quorum_met and shown["vote_summary"].nominees[0].passes
    # the form that edits the criteria does not show them twice; a consolidation case has neither
    assert "criteria" not in for_case(case, editing={"criteria": {}})
    assert for_case(SimpleNamespace(**{**vars(case), "kind": "consolidation"})) == {}
    # a case started before the criteria were part of the start data: the campaign's template for its unit
    older = SimpleNamespace(**{**vars(case), "data": {"criteria": ENTERED, "nominees": [row]}})
    assert [r.code for r in for_case(older)["criteria"]] == [c["code"] for c in template]
    assert for_case(older)["vote_summary"] is None  # no minutes yet
