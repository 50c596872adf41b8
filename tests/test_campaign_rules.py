"""The campaigns' quotas and the council's voting rule, read from the campaign files as the seeds state them, and
enforced on the unit head's submission and the receiving level's acceptance through the web pages."""
import tomllib
from pathlib import Path

from sqlalchemy import select

from processes.models import Case, OpenTask
from processes.rules import UnitFacts, campaign_violations, unit_violations, vote_violations
from tests.factories import with_reports
from tests.test_case_flow_http import MINUTES, NOMINEES, ids, inbox_task, submit

CAMPAIGNS = Path(__file__).resolve().parent.parent / "processes" / "seed_data" / "campaigns"


def campaign(code: str) -> dict:
    return tomllib.loads((CAMPAIGNS / f"{code}.toml").read_text(encoding="utf-8"))


def round_of(code: str, round_code: str) -> dict:
    return next(r for r in campaign(code)["related_round"] if r["code"] == round_code)


def nominees(collectives=0, individuals=0, award="bang_khen_vkstc", **extra):
    return ([{"kind": "collective", "name": f"Tập thể {i}", "award_form": award, **extra} for i in range(collectives)]
            + [{"kind": "individual", "name": f"Cá nhân {i}", "award_form": award, **extra} for i in range(individuals)])


def messages(violations):
    return [v.message for v in violations]


VKS_DA_NANG = UnitFacts("vks-da-nang", "VKSND thành phố Đà Nẵng", "procuracy", "provincial", staff_count=40,
                        collective_count=25)


# --- each quota kind ------------------------------------------------------------------------------------------------

def test_count_per_unit_three_collectives_and_four_individuals():
    quotas = campaign("vkstc-dmst-2025-2027")["quota"]  # 001 §III.5.2: "không quá 03 tập thể và 04 cá nhân"
    assert unit_violations(quotas, VKS_DA_NANG, nominees(3, 4)) == []
    found = unit_violations(quotas, VKS_DA_NANG, nominees(4, 5))
    assert messages(found) == [
        "Hạn mức Bằng khen của Viện trưởng VKSND tối cao của VKSND thành phố Đà Nẵng: tối đa 3 tập thể, đã đề nghị 4.",
        "Hạn mức Bằng khen của Viện trưởng VKSND tối cao của VKSND thành phố Đà Nẵng: tối đa 4 cá nhân, đã đề nghị 5."]
    assert (found[0].allowed, found[0].submitted) == (3, 4)
    assert unit_violations(quotas, VKS_DA_NANG, nominees(9, 9, award="giay_khen_thu_truong")) == []  # another form


def test_percent_of_the_units_collectives_and_staff():
    quotas = round_of("vkstc-dmst-2025-2027", "vkstc-dmst-hang-nam")["quota"]  # ≤10% tập thể, ≤5% CCVC
    assert unit_violations(quotas, VKS_DA_NANG, nominees(2, 2)) == []  # 10% of 25 = 2; 5% of 40 = 2
    found = unit_violations(quotas, VKS_DA_NANG, nominees(3, 3, award="giay_khen_thu_truong"))
    assert messages(found) == [
        "Hạn mức mọi hình thức khen thưởng của VKSND thành phố Đà Nẵng: không quá 10% của 25 tập thể = tối đa 2 "
        "tập thể, đã đề nghị 3.",
        "Hạn mức mọi hình thức khen thưởng của VKSND thành phố Đà Nẵng: không quá 5% của 40 công chức, viên chức, "
        "người lao động = tối đa 2 cá nhân, đã đề nghị 3."]
    unknown = UnitFacts("x", "Đơn vị X", "procuracy", "district")
    assert "chưa khai báo" in messages(unit_violations(quotas, unknown, nominees(0, 1)))[0]


def test_either_or_one_collective_or_one_individual_two_for_named_units():
    quotas = campaign("th-cds-2024")["quota"]
    award = "bang_khen_ubnd_tinh"
    so_noi_vu = UnitFacts("so-noi-vu-thanh-hoa", "Sở Nội vụ", "state_agency", "provincial")
    so_tttt = UnitFacts("so-tttt-thanh-hoa", "Sở Thông tin và Truyền thông", "state_agency", "provincial")
    assert unit_violations(quotas, so_noi_vu, nominees(1, 0, award)) == []
    assert unit_violations(quotas, so_noi_vu, nominees(0, 1, award)) == []
    assert messages(unit_violations(quotas, so_noi_vu, nominees(1, 1, award))) == [
        "Hạn mức Bằng khen của Chủ tịch UBND tỉnh của Sở Nội vụ: 1 tập thể hoặc 1 cá nhân (không đồng thời cả hai), "
        "đã đề nghị 1 tập thể và 1 cá nhân."]
    assert unit_violations(quotas, so_tttt, nominees(0, 2, award)) == []  # "Riêng Sở TT&TT … 02 tập thể hoặc 02 cá nhân"
    assert len(unit_violations(quotas, so_tttt, nominees(0, 3, award))) == 1


def test_per_unit_kind_one_commune_per_district_two_for_the_city():
    quotas = campaign("th-cds-2024")["quota"]
    award = "bang_khen_ubnd_tinh"
    district = UnitFacts("ubnd-huyen-nga-son", "UBND huyện Nga Sơn", "people_committee", "district")
    city = UnitFacts("ubnd-tp-thanh-hoa", "UBND TP Thanh Hóa", "people_committee", "district")
    communes = [{"kind": "collective", "name": f"UBND xã {i}", "award_form": award, "unit_kind": "people_committee",
                 "unit_level": "commune"} for i in range(2)]
    # The district's own 1-or-1 quota does not count the communes it proposes.
    assert unit_violations(quotas, district, communes[:1] + nominees(1, 0, award)) == []
    found = unit_violations(quotas, district, communes)
    assert messages(found) == ["Hạn mức Bằng khen của Chủ tịch UBND tỉnh của UBND huyện Nga Sơn: tối đa 1 tập thể là "
                               "UBND cấp xã, đã đề nghị 2."]
    assert unit_violations(quotas, city, communes) == []


def test_campaign_totals_for_a_kind_of_unit_enterprises_and_press():
    quotas = campaign("th-cds-2024")["quota"]
    award = "bang_khen_ubnd_tinh"
    viettel = UnitFacts("dn-viettel-thanh-hoa", "Viettel Thanh Hóa", "enterprise", "provincial")
    vnpt = UnitFacts("dn-vnpt-thanh-hoa", "VNPT Thanh Hóa", "enterprise", "provincial")
    press = UnitFacts("bao-thanh-hoa", "Báo Thanh Hóa", "press", "provincial")
    radio = UnitFacts("dai-ptth-thanh-hoa", "Đài PT-TH Thanh Hóa", "press", "provincial")
    assert campaign_violations(quotas, [(viettel, nominees(2, 0, award)), (vnpt, nominees(1, 0, award))]) == []
    found = campaign_violations(quotas, [(viettel, nominees(2, 0, award)), (vnpt, nominees(2, 0, award))])
    assert messages(found) == ["Hạn mức Bằng khen của Chủ tịch UBND tỉnh của cả phong trào: 3 tập thể hoặc 3 cá nhân "
                               "(không đồng thời cả hai), đã đề nghị 4 tập thể và 0 cá nhân."]
    found = campaign_violations(quotas, [(press, nominees(1, 0, award)), (radio, nominees(1, 0, award))])
    assert messages(found) == ["Hạn mức Bằng khen của Chủ tịch UBND tỉnh của cả phong trào: tối đa 1 tập thể, "
                               "đã đề nghị 2."]
    # one enterprise alone cannot submit more than the whole bloc may receive
    assert len(unit_violations(quotas, viettel, nominees(4, 0, award))) == 1


def test_branch_wide_range_two_to_three_for_state_awards():
    quotas = round_of("vkstc-dmst-2025-2027", "vkstc-dmst-tong-ket-2030")["quota"]
    vkstc = UnitFacts("vkstc", "VKSND tối cao", "procuracy", "supreme")
    mixed = nominees(2, 0, "huan_chuong_ld") + nominees(1, 3, "bang_khen_ttg")
    assert campaign_violations(quotas, [(vkstc, mixed)], final=True) == []
    found = campaign_violations(quotas, [(vkstc, mixed + nominees(1, 0, "co_thi_dua_cp"))], final=True)
    assert [(v.allowed, v.submitted) for v in found] == [(3, 4)]
    assert "Huân chương Lao động, Cờ thi đua của Chính phủ, Bằng khen của Thủ tướng Chính phủ" in found[0].message
    found = campaign_violations(quotas, [(vkstc, nominees(1, 2, "huan_chuong_ld"))], final=True)
    assert messages(found) == [
        "Hạn mức Huân chương Lao động, Cờ thi đua của Chính phủ, Bằng khen của Thủ tướng Chính phủ của cả phong "
        "trào: từ 2 đến 3 tập thể, đã chọn 1."]
    assert campaign_violations(quotas, [(vkstc, nominees(1, 2, "huan_chuong_ld"))]) == []  # not final yet


# --- the voting rule --------------------------------------------------------------------------------------------

VOTING = campaign("qb-1532-2024")["voting"]  # ≥ 2/3 present, > 50% of those present in favour


def minutes(total, present, *votes):
    return {"members_total": total, "members_present": present,
            "votes": [{"nominee": name, "votes_for": n, "votes_against": 0} for name, n in votes]}


def test_quorum_of_two_thirds_and_more_than_half_in_favour():
    team = [{"kind": "individual", "name": "Trần Thị Thủy", "award_form": "bang_khen_vkstc"}]
    assert vote_violations(VOTING, minutes(9, 6, ("Trần Thị Thủy", 4)), team) == []  # 6/9 = 2/3 exactly; 4/6
    assert messages(vote_violations(VOTING, minutes(9, 5, ("Trần Thị Thủy", 5)), team)) == [
        "Cuộc họp không đủ số thành viên: cần ít nhất 66.67% số thành viên, có mặt 5/9 (55.56%)."]
    assert messages(vote_violations(VOTING, minutes(9, 8, ("trần thị thủy", 4)), team)) == [
        "«Trần Thị Thủy» (Bằng khen của Viện trưởng VKSND tối cao) được 4/8 phiếu đồng ý (50%), cần trên 50% số "
        "thành viên có mặt."]
    assert messages(vote_violations(VOTING, minutes(9, 8), team)) == [
        "Biên bản chưa có kết quả biểu quyết cho «Trần Thị Thủy»."]


def test_a_higher_threshold_for_one_award_form():
    voting = {**VOTING, "by_award_form": {"co_thi_dua_nganh": {"approval": 0.9, "approval_rule": "at_least"}}}
    flag = [{"kind": "collective", "name": "VKSND quận Hải Châu", "award_form": "co_thi_dua_nganh"}]
    assert vote_violations(voting, minutes(10, 10, ("VKSND quận Hải Châu", 9)), flag) == []
    found = vote_violations(voting, minutes(10, 10, ("VKSND quận Hải Châu", 8)), flag)
    assert "cần ít nhất 90% số thành viên có mặt" in found[0].message


# --- through the web pages ------------------------------------------------------------------------------------------

FOUR_COLLECTIVES = with_reports({key: value for i in range(4) for key, value in {
    f"nominees.{i}.kind": "collective", f"nominees.{i}.name": f"Phòng {i + 1} VKSND TP Đồng Hới",
    f"nominees.{i}.award_form": "bang_khen_vkstc",
    f"nominees.{i}.achievement_summary": "Số hóa toàn bộ hồ sơ vụ án từ 01/2024, giảm 30% thời gian tra cứu."}.items()})
FOUR_MINUTES = {k: v for k, v in MINUTES.items() if not k.startswith("votes.")} | {
    key: value for i in range(4) for key, value in {
        f"votes.{i}.nominee": f"Phòng {i + 1} VKSND TP Đồng Hới", f"votes.{i}.votes_for": "8",
        f"votes.{i}.votes_against": "0"}.items()}
SUBMIT = {"submission_number": "15/TTr-VKS", "submission_date": "20/08/2024", "signer_name": "Lê Văn Hùng",
          "signer_title": "Viện trưởng"}


def prepare(browser, session, nominees_form, minutes_form):
    campaign_id, unit_id = ids(session)
    staff = browser("vks-qb-dong-hoi.canbo")
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert submit(staff, inbox_task(staff), nominees_form).status_code == 302
    secretary, council = browser("vks-qb-dong-hoi.thuky"), browser("vks-qb-dong-hoi.hoidong")
    assert submit(secretary, inbox_task(secretary), minutes_form).status_code == 302
    assert submit(council, inbox_task(council), {"council_decision": "approve"}).status_code == 302
    return case_id


def test_the_head_cannot_submit_over_the_quota(app, session, browser):
    case_id = prepare(browser, session, FOUR_COLLECTIVES, FOUR_MINUTES)
    head = browser("vks-qb-dong-hoi.thutruong")
    task_id = inbox_task(head)
    version = session.get(Case, case_id, populate_existing=True).version
    response = submit(head, task_id, SUBMIT)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("Hạn mức Bằng khen của Viện trưởng VKSND tối cao của cả phong trào: tối đa 3 tập thể, đã đề nghị 4."
            in page)
    assert 'value="15/TTr-VKS"' in page  # what the head typed is kept
    assert session.get(Case, case_id, populate_existing=True).version == version  # nothing changed
    assert session.get(OpenTask, task_id, populate_existing=True) is not None


def test_the_head_cannot_submit_without_a_quorum_and_the_api_says_why(app, session, browser, api):
    short = {**MINUTES, "members_present": "5"}
    case_id = prepare(browser, session, NOMINEES, short)
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case_id))
    response = api("vks-qb-dong-hoi.thutruong").post(f"/api/tasks/{task_id}/complete", json={
        "submission_number": "15/TTr-VKS", "submission_date": "2024-08-20", "signer_name": "Lê Văn Hùng",
        "signer_title": "Viện trưởng"})
    body = response.get_json()
    assert response.status_code == 422 and body["error"] == "rules_broken"
    assert body["fields"][""] == [
        "Cuộc họp không đủ số thành viên: cần ít nhất 66.67% số thành viên, có mặt 5/9 (55.56%)."]


def test_the_receiving_level_checks_the_quota_again_when_it_accepts(app, session, browser, amend_campaign):
    case_id = prepare(browser, session, NOMINEES, MINUTES)
    head = browser("vks-qb-dong-hoi.thutruong")
    assert submit(head, inbox_task(head), SUBMIT).status_code == 302
    # meanwhile the campaign is amended: one individual per unit, no collective
    amend_campaign(quota=[{"award_form": "bang_khen_vkstc", "kind": "count", "scope": "each_unit", "collectives": 0,
                  "individuals": 1}])
    province = browser("vks-quang-binh.tdkt")
    check = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case_id))
    response = submit(province, check, {"check_decision": "accept"})
    assert response.status_code == 422
    assert "tối đa 0 tập thể, đã đề nghị 1" in response.get_data(as_text=True)
    assert submit(province, check, {"check_decision": "return",
                                   "check_reason": "Vượt hạn mức tập thể sau khi phong trào điều chỉnh."}).status_code == 302
