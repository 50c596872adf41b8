"""Who may not be nominated, as pure calls on the Quảng Bình round's file (1532/VKSQB-TĐ): the unit's declarations
(discipline, review, investigation, complaint) and one achievement with two award forms or twice in a dossier, with
the form field each refusal marks. The rule across the units of a round reads the registry: test_rules_enforce.py."""
import pytest

from processes.rules import RulesBroken
from processes.rules.eligibility import declared, within_dossier
from tests.factories import achievement_of, campaign_details, collective, messages, person

QB = campaign_details("qb-1532-2024")
THUY, DONG_HOI = "Trần Thị Thủy", "VKSND thành phố Đồng Hới"
QB_DISCIPLINE = ("tiêu chuẩn của phong trào: «Nội bộ đoàn kết, có kỷ cương, kỷ luật; không có cán bộ vi phạm bị xử lý "
                 "kỷ luật hoặc đang xem xét xử lý kỷ luật»")
BY_LAW = "nguyên tắc khen thưởng của Luật Thi đua, khen thưởng năm 2022 và Nghị định 98/2023/NĐ-CP"


# --- the declarations ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ground, said, said_of_members, source", [
    ("under_discipline", "đang bị xử lý kỷ luật", "có thành viên đang bị xử lý kỷ luật", QB_DISCIPLINE),
    ("discipline_review", "đang bị xem xét xử lý kỷ luật", "có thành viên đang bị xem xét xử lý kỷ luật",
     QB_DISCIPLINE),
    ("under_investigation", "đang bị điều tra, thanh tra, kiểm tra khi có dấu hiệu vi phạm",
     "có thành viên đang bị điều tra, thanh tra, kiểm tra khi có dấu hiệu vi phạm", BY_LAW),
    ("complaint_verifying", "có đơn thư khiếu nại, tố cáo đang được xác minh, làm rõ",
     "có thành viên bị khiếu nại, tố cáo đang được xác minh, làm rõ", BY_LAW),
])
def test_a_declared_ground_makes_the_nominee_ineligible(ground, said, said_of_members, source):
    rows = [person("Nguyễn Văn An"), person(THUY, **{ground: True}), collective(DONG_HOI, **{ground: True})]
    found = declared(rows, QB)
    assert messages(found) == [
        f"«{THUY}» {said}: không đủ điều kiện đề nghị khen thưởng ({source}).",
        f"«{DONG_HOI}» {said_of_members}: không đủ điều kiện đề nghị khen thưởng ({source}).",
    ]
    assert [(v.rule, v.field) for v in found] == [(f"eligibility_{ground}", f"nominees.1.{ground}"),
                                                  (f"eligibility_{ground}", f"nominees.2.{ground}")]


def test_without_declarations_every_nominee_is_eligible():
    rows = [person(THUY, under_discipline=False, complaint_verifying=False), collective(DONG_HOI)]
    assert declared(rows, QB) == []


def test_the_refusal_marks_the_declaration_s_field():
    broken = RulesBroken(declared([person(THUY), person("Nguyễn Văn An", complaint_verifying=True)], QB))
    said = (f"«Nguyễn Văn An» có đơn thư khiếu nại, tố cáo đang được xác minh, làm rõ: không đủ điều kiện đề nghị "
            f"khen thưởng ({BY_LAW}).")
    assert broken.field_errors == {"": [said], "nominees.1.complaint_verifying": [said]}
    assert broken.status == 422 and broken.code == "rules_broken"
    assert broken.message == f"Hồ sơ chưa đúng quy định của phong trào: {said}"


# --- one achievement, one award form, once ---------------------------------------------------------------------------

def titled(row):
    return {"achievement_title": achievement_of(row["name"]), **row}


def test_one_achievement_with_two_award_forms_is_refused():
    found = within_dossier([titled(person(THUY)), titled(person(THUY, "giay_khen_thu_truong"))])
    assert messages(found) == [
        f"Thành tích «Chuyển đổi số trong công tác kiểm sát của {THUY}» của «{THUY}» được đề nghị hai hình thức "
        "khen thưởng (Bằng khen của Viện trưởng VKSND tối cao và Giấy khen của Thủ trưởng đơn vị): mỗi thành tích "
        "chỉ được đề nghị một hình thức khen thưởng."]
    assert [(v.rule, v.field) for v in found] == [("eligibility_two_forms", "nominees.1.award_form")]


def test_two_achievements_of_one_person_may_take_two_award_forms():
    assert within_dossier([titled(person(THUY)), person(THUY, "giay_khen_thu_truong",
                           achievement_title="Sáng kiến số hóa hồ sơ kiểm sát án dân sự")]) == []


def test_the_same_nominee_twice_for_one_achievement_is_refused_whatever_the_spelling():
    again = person("TRẦN THỊ THỦY", achievement_title=f"chuyển đổi số  trong công tác kiểm sát của {THUY}")
    found = within_dossier([titled(person(THUY)), again])
    assert messages(found) == [
        f"«TRẦN THỊ THỦY» được đề nghị hai lần cho cùng thành tích «chuyển đổi số  trong công tác kiểm sát của "
        f"{THUY}» trong danh sách."]
    assert [(v.rule, v.field) for v in found] == [("eligibility_twice", "nominees.1.name")]


def test_namesakes_and_a_person_beside_their_collective_are_different_nominees():
    rows = [titled(person(THUY, birth_date="1985-03-12")),
            person(THUY, birth_date="1990-01-01", achievement_title=achievement_of(THUY)),  # another person
            collective(THUY, achievement_title=achievement_of(THUY))]  # a collective of that name
    assert within_dossier(rows) == []
