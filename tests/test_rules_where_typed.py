"""The campaign's rules checked where their data is typed — the staff's registration, the secretary's minutes, the
council's approval — with the words the head's submission uses, on the real campaign files (pure calls) and on cases
moved with the core verbs (both backends). The head's `dossier` check itself: test_rules_enforce.py."""
import pytest
from sqlalchemy import select

from processes.errors import ValidationFailed
from processes.forms import campaign_choices
from processes.models import OpenTask
from processes.rules import RulesBroken
from processes.rules.eligibility import not_offered
from processes.rules.quotas import counters
from processes.rules.voting import minutes_violations, vote_violations
from tests.factories import (MEETING, all_for, campaign_details, collective, complete, messages, minutes, person,
                             registered, round_details, start, teams, unit_facts)

BK = "Bằng khen của Viện trưởng VKSND tối cao"
QB = campaign_details("qb-1532-2024")
THUY, NAM = "Trần Thị Thủy", "Hoàng Văn Nam"
DISCIPLINE = ("«Trần Thị Thủy» đang bị xử lý kỷ luật: không đủ điều kiện đề nghị khen thưởng (tiêu chuẩn của phong "
              "trào: «Nội bộ đoàn kết, có kỷ cương, kỷ luật; không có cán bộ vi phạm bị xử lý kỷ luật hoặc đang xem "
              "xét xử lý kỷ luật»).")


# --- the award form must be one the campaign offers (pure) -----------------------------------------------------------

def test_a_quang_binh_nominee_for_huan_chuong_lao_dong_is_refused_on_its_field():
    found = not_offered([person(THUY), person(NAM, "huan_chuong_ld")], QB)
    assert messages(found) == [f"«{NAM}»: Huân chương Lao động không thuộc các hình thức khen thưởng của phong trào "
                               f"này ({BK})."]
    assert [v.field for v in found] == ["nominees.1.award_form"]


def test_an_award_form_offered_to_collectives_only_is_refused_to_a_person():
    tong_ket = round_details("vkstc-dmst-2025-2027", "vkstc-dmst-tong-ket-2030")
    found = not_offered([collective("VKSND tỉnh Quảng Bình", "co_thi_dua_nganh"), person(THUY, "co_thi_dua_nganh")],
                        tong_ket)
    assert len(found) == 1 and found[0].field == "nominees.1.award_form"
    assert found[0].message.startswith(f"«{THUY}»: phong trào không đề nghị ") and found[0].message.endswith(
        " cho cá nhân.")


def test_every_seeded_campaign_offers_its_own_forms_only():
    assert campaign_choices(QB) == {"award_form": [("bang_khen_vkstc", BK)]}
    th = campaign_choices(campaign_details("th-cds-2024"))["award_form"]
    assert [code for code, _ in th] == ["bang_khen_ubnd_tinh", "giay_khen_ubnd_huyen"]
    assert campaign_choices({}) == {}  # a file naming none: the form's catalogue stands
    assert not_offered([person(THUY, "huan_chuong_ld")], {}) == []


# --- the minutes' impossible figures (pure) --------------------------------------------------------------------------

NOMINEES = [person(THUY), collective("VKSND thành phố Đồng Hới")]


def test_minutes_within_the_figures_pass():
    assert minutes_violations(all_for(NOMINEES), NOMINEES) == []


def test_more_members_present_than_members_is_refused_with_the_submission_s_words():
    data = all_for(NOMINEES, total=9, present=10)
    found = minutes_violations(data, NOMINEES)
    said = "Biên bản ghi 10 thành viên có mặt trên tổng số 9: số liệu không hợp lệ."
    assert messages(found)[0] == said and found[0].field == "members_present"
    assert messages(vote_violations({}, data, NOMINEES)) == [said]  # the head's submission says the same


def test_more_votes_than_members_present_is_refused_on_the_row():
    data = minutes((THUY, 8), ("VKSND thành phố Đồng Hới", 7))
    data["votes"][1]["votes_against"] = 3  # 7 + 3 > 8 present
    found = minutes_violations(data, NOMINEES)
    said = ("Biên bản ghi «VKSND thành phố Đồng Hới» được 7 phiếu đồng ý và 3 phiếu không đồng ý, nhiều hơn 8 thành "
            "viên có mặt.")
    assert messages(found) == [said] and found[0].field == "votes.1.votes_for"
    assert said in messages(vote_violations({}, data, NOMINEES))


def test_one_vote_row_per_nominee():
    data = minutes((THUY, 8), ("  trần thị THỦY", 7), ("Nguyễn Văn An", 8))
    found = minutes_violations(data, NOMINEES)
    assert messages(found) == [
        "Biên bản có hai dòng kết quả biểu quyết cho «  trần thị THỦY»: mỗi trường hợp một dòng.",
        "«Nguyễn Văn An» không có trong danh sách đề nghị khen thưởng: mỗi dòng kết quả biểu quyết là một trường hợp "
        "của danh sách.",
        "Biên bản chưa có kết quả biểu quyết cho «VKSND thành phố Đồng Hới».",
    ]
    assert [v.field for v in found] == ["votes.1.nominee", "votes.2.nominee", "votes"]


# --- the quota counters (pure) --------------------------------------------------------------------------------------

def test_the_counters_count_the_list_against_the_unit_s_quotas():
    vkstc = campaign_details("vkstc-dmst-2025-2027")
    unit = unit_facts("vks-qb-dong-hoi")
    found = counters(vkstc["quota"], unit, teams(2) + [person(THUY), person(NAM, "giay_khen_thu_truong")])
    assert [(c.label, c.text, c.over) for c in found] == [(BK, "Tập thể: 2/3", False), (BK, "Cá nhân: 1/4", False)]
    assert [c.text for c in counters(vkstc["quota"], unit, teams(4))][0] == "Tập thể: 4/3"
    assert counters(vkstc["quota"], unit, teams(4))[0].over


# --- where typed: the registration, the minutes, the council (core verbs, both backends) ----------------------------

def refused_at(session, case, username, data) -> dict[str, list[str]]:
    with pytest.raises(RulesBroken) as broken:
        complete(session, case, username, data)
    session.rollback()
    return broken.value.field_errors


def open_step(session, case) -> list[str]:
    return list(session.scalars(select(OpenTask.bpmn_id).where(OpenTask.case_id == case.id)))


def test_the_registration_refuses_a_nominee_under_discipline_with_the_submission_s_words(session):
    case = start(session, "vks-qb-dong-hoi")
    fields = refused_at(session, case, "vks-qb-dong-hoi.canbo",
                        {"nominees": [registered(person(THUY, under_discipline=True))]})
    assert fields == {"": [DISCIPLINE], "nominees.0.under_discipline": [DISCIPLINE]}
    assert open_step(session, case) == ["register_nominees"]


def test_the_registration_refuses_an_award_form_the_campaign_does_not_offer(session):
    case = start(session, "vks-qb-dong-hoi")
    fields = refused_at(session, case, "vks-qb-dong-hoi.canbo",
                        {"nominees": [registered(person(NAM, "huan_chuong_ld"))]})
    assert fields["nominees.0.award_form"] == [
        f"«{NAM}»: Huân chương Lao động không thuộc các hình thức khen thưởng của phong trào này ({BK})."]


def test_the_registration_refuses_the_same_nominee_twice_and_two_forms_for_one_achievement(session):
    case = start(session, "vks-qb-dong-hoi")
    fields = refused_at(session, case, "vks-qb-dong-hoi.canbo",
                        {"nominees": [registered(person(THUY)), registered(person(THUY))]})
    assert fields["nominees.1.name"] == [
        f"«{THUY}» được đề nghị hai lần cho cùng thành tích «Chuyển đổi số trong công tác kiểm sát của {THUY}» "
        "trong danh sách."]


def test_the_registration_refuses_a_list_over_the_quota_on_the_list(session):
    case = start(session, "vks-qb-dong-hoi")
    fields = refused_at(session, case, "vks-qb-dong-hoi.canbo", {"nominees": [registered(n) for n in teams(4)]})
    assert fields["nominees"] == [f"Hạn mức {BK} của cả phong trào: tối đa 3 tập thể, đã đề nghị 4."]
    complete(session, case, "vks-qb-dong-hoi.canbo", {"nominees": [registered(n) for n in teams(3)]})
    assert open_step(session, case) == ["record_minutes"]


def test_the_minutes_refuse_impossible_figures_where_typed(session):
    case = start(session, "vks-qb-dong-hoi")
    complete(session, case, "vks-qb-dong-hoi.canbo", {"nominees": [registered(n) for n in NOMINEES]})
    fields = refused_at(session, case, "vks-qb-dong-hoi.thuky", {**MEETING, **all_for(NOMINEES, present=10)})
    assert fields["members_present"] == ["Biên bản ghi 10 thành viên có mặt trên tổng số 9: số liệu không hợp lệ."]
    fields = refused_at(session, case, "vks-qb-dong-hoi.thuky", {**MEETING, **minutes((THUY, 8))})
    assert fields["votes"] == ["Biên bản chưa có kết quả biểu quyết cho «VKSND thành phố Đồng Hới»."]
    complete(session, case, "vks-qb-dong-hoi.thuky", {**MEETING, **all_for(NOMINEES)})
    assert open_step(session, case) == ["council_review"]


def test_the_council_cannot_approve_what_the_submission_would_refuse_but_can_always_return(session):
    case = start(session, "vks-qb-dong-hoi")
    complete(session, case, "vks-qb-dong-hoi.canbo", {"nominees": [registered(n) for n in NOMINEES]})
    complete(session, case, "vks-qb-dong-hoi.thuky", {**MEETING, **minutes((THUY, 8), ("VKSND thành phố Đồng Hới", 4))})
    fields = refused_at(session, case, "vks-qb-dong-hoi.hoidong", {"council_decision": "approve"})
    assert fields[""] == [f"«VKSND thành phố Đồng Hới» ({BK}) được 4/8 phiếu đồng ý (50%), cần trên 50% số thành "
                          "viên có mặt."]
    complete(session, case, "vks-qb-dong-hoi.hoidong", {"council_decision": "return", "council_reason": "Họp lại."})
    assert open_step(session, case) == ["record_minutes"]  # return_to defaults to the secretary


def test_a_return_without_a_reason_is_refused_by_the_form(session):
    case = start(session, "vks-qb-dong-hoi")
    complete(session, case, "vks-qb-dong-hoi.canbo", {"nominees": [registered(n) for n in NOMINEES]})
    complete(session, case, "vks-qb-dong-hoi.thuky", {**MEETING, **all_for(NOMINEES)})
    with pytest.raises(ValidationFailed) as refused:
        complete(session, case, "vks-qb-dong-hoi.hoidong", {"council_decision": "return", "return_to": "nominees"})
    assert refused.value.field_errors == {"council_reason": ["Trường này là bắt buộc."]}


def test_the_registration_refuses_a_nominee_another_unit_already_submitted(session):
    from tests.factories import submitted

    submitted(session, "vks-qb-le-thuy", [person(THUY)])
    case = start(session, "vks-qb-dong-hoi")
    fields = refused_at(session, case, "vks-qb-dong-hoi.canbo", {"nominees": [registered(person(THUY))]})
    [said] = fields["nominees.0.achievement_title"]
    assert said.startswith(f"«{THUY}» đã được ") and said.endswith(
        "một thành tích chỉ được đề nghị khen thưởng một lần.")
