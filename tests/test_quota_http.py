"""Each per-unit quota kind and the council's voting rule through the web pages, on both databases: the unit
head's submission is refused over the limit and goes through within it, and the council's review page shows the
meeting's figures against the rule before anyone submits. (The pure rules are in test_campaign_rules.py; the
campaign-wide quotas belong to the receiving level's consolidation.)"""
import html
import re

import pytest

from tests.test_campaign_rules import SUBMIT, campaign, round_of
from tests.test_case_flow_http import inbox_task, submit
from tests.test_eligibility import all_for, collective, minutes_form, nominee_form, person, refused, to_the_head

DONG_HOI = "Viện kiểm sát nhân dân thành phố Đồng Hới"
BK = "Bằng khen của Viện trưởng VKSND tối cao"
BK_TINH = "bang_khen_ubnd_tinh"


def head_submits(browser, session, unit, rows, campaign_code="qb-1532-2024") -> list[str]:
    _, head, task_id = to_the_head(browser, session, unit, nominee_form(*rows), all_for(*rows), campaign_code)
    return refused(submit(head, task_id, SUBMIT))


def people(n, **extra):
    return [person(f"Cá nhân {i + 1}", **extra) for i in range(n)]


def teams(n, **extra):
    return [collective(f"Tập thể {i + 1}", **extra) for i in range(n)]


# --- count: 3 collectives and 4 individuals per unit (001 §III.5.2, applied to the Quảng Bình round) ---------------

def test_count_refuses_a_fourth_collective(app, session, browser, amend_campaign):
    amend_campaign(quota=campaign("vkstc-dmst-2025-2027")["quota"])
    assert head_submits(browser, session, "vks-qb-dong-hoi", teams(4) + people(1)) == [
        f"Hạn mức {BK} của {DONG_HOI}: tối đa 3 tập thể, đã đề nghị 4."]


def test_count_takes_three_collectives_and_four_individuals(app, session, browser, amend_campaign):
    amend_campaign(quota=campaign("vkstc-dmst-2025-2027")["quota"])
    assert head_submits(browser, session, "vks-qb-dong-hoi", teams(3) + people(4)) == []


# --- percent: ≤ 10% of the unit's collectives, ≤ 5% of its staff (001 §III.5.1; Đồng Hới: 20 staff, 0 collectives) --

def test_percent_refuses_more_than_five_percent_of_the_staff(app, session, browser, amend_campaign):
    amend_campaign(quota=round_of("vkstc-dmst-2025-2027", "vkstc-dmst-hang-nam")["quota"])
    assert head_submits(browser, session, "vks-qb-dong-hoi", people(2)) == [
        f"Hạn mức mọi hình thức khen thưởng của {DONG_HOI}: không quá 5% của 20 công chức, viên chức, người lao "
        "động = tối đa 1 cá nhân, đã đề nghị 2."]


def test_percent_of_no_declared_collectives_allows_none(app, session, browser, amend_campaign):
    amend_campaign(quota=round_of("vkstc-dmst-2025-2027", "vkstc-dmst-hang-nam")["quota"])
    assert head_submits(browser, session, "vks-qb-dong-hoi", teams(1)) == [
        f"Hạn mức mọi hình thức khen thưởng của {DONG_HOI}: không quá 10% của 0 tập thể = tối đa 0 tập thể, đã đề "
        "nghị 1. (Đơn vị chưa khai báo số liệu này.)"]


def test_percent_takes_five_percent_of_the_staff(app, session, browser, amend_campaign):
    amend_campaign(quota=round_of("vkstc-dmst-2025-2027", "vkstc-dmst-hang-nam")["quota"])
    assert head_submits(browser, session, "vks-qb-dong-hoi", people(1)) == []


# --- either_or: 1 collective or 1 individual; 2 for the Department of Information and Communications (004 §III.4.a)

def test_either_or_takes_two_individuals_from_the_unit_with_an_override(app, session, browser):
    assert head_submits(browser, session, "so-tttt-thanh-hoa", people(2, award=BK_TINH), "th-cds-2024") == []


def test_either_or_refuses_a_collective_and_an_individual_together(app, session, browser):
    assert head_submits(browser, session, "so-tttt-thanh-hoa", teams(1, award=BK_TINH) + people(1, award=BK_TINH),
                        "th-cds-2024") == [
        "Hạn mức Bằng khen của Chủ tịch UBND tỉnh của Sở Thông tin và Truyền thông tỉnh Thanh Hóa: 2 tập thể hoặc 2 cá "
        "nhân (không đồng thời cả hai), đã đề nghị 1 tập thể và 1 cá nhân."]


def test_either_or_without_an_override_refuses_a_second_individual(app, session, browser):
    assert head_submits(browser, session, "so-noi-vu-thanh-hoa", people(2, award=BK_TINH), "th-cds-2024") == [
        "Hạn mức Bằng khen của Chủ tịch UBND tỉnh của Sở Nội vụ tỉnh Thanh Hóa: 1 tập thể hoặc 1 cá nhân (không đồng "
        "thời cả hai), đã đề nghị 0 tập thể và 2 cá nhân."]


# --- per_unit_kind: each district proposes one commune People's Committee (004 §III.4.a) ---------------------------

def communes(n):
    return [collective(f"UBND xã Hoằng {name}", award=BK_TINH, unit_kind="people_committee", unit_level="commune")
            for name in ("Lộc", "Phú", "Quỳ")[:n]]


def test_per_unit_kind_refuses_a_second_commune(app, session, browser):
    assert head_submits(browser, session, "ubnd-hoang-hoa", communes(2), "th-cds-2024") == [
        "Hạn mức Bằng khen của Chủ tịch UBND tỉnh của Ủy ban nhân dân huyện Hoằng Hóa: tối đa 1 tập thể là UBND cấp "
        "xã, đã đề nghị 2."]


def test_per_unit_kind_takes_one_commune_beside_the_district_s_own_nominee(app, session, browser):
    assert head_submits(browser, session, "ubnd-hoang-hoa", communes(1) + people(1, award=BK_TINH),
                        "th-cds-2024") == []


# --- the voting rule: quorum, approval, a threshold of its own for one award form -----------------------------------

def council_page(browser, unit="vks-qb-dong-hoi") -> str:
    council = browser(f"{unit}.hoidong")
    return council.get(f"/tasks/{inbox_task(council)}").get_data(as_text=True)


def summary_of(page: str) -> str:
    block = page.split('<section class="card mb-4 vote-summary">', 1)[1].split("</section>", 1)[0]
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", block).split()))


def record_minutes(browser, session, rows, minutes):
    """Up to the council's review (to_the_head goes one step further); → the case id."""
    from tests.test_case_flow_http import ids

    campaign_id, unit_id = ids(session)
    staff = browser("vks-qb-dong-hoi.canbo")
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    assert submit(staff, inbox_task(staff), nominee_form(*rows)).status_code == 302
    secretary = browser("vks-qb-dong-hoi.thuky")
    assert submit(secretary, inbox_task(secretary), minutes).status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


THUY, TEAM = person("Trần Thị Thủy"), collective("VKSND thành phố Đồng Hới")


def test_the_council_sees_each_nominee_s_approval_and_a_nominee_at_half_cannot_go(app, session, browser):
    minutes = minutes_form(("Trần Thị Thủy", 8), ("VKSND thành phố Đồng Hới", 4))
    case_id = record_minutes(browser, session, (THUY, TEAM), minutes)
    shown = summary_of(council_page(browser))
    assert "Có mặt 8/9 thành viên (88.89%), cần ≥ 66.67%: ✓ Đủ số thành viên" in shown
    assert f"Trần Thị Thủy {BK} 8 / 0 100% > 50% ✓ Đạt" in shown
    assert f"VKSND thành phố Đồng Hới {BK} 4 / 4 50% > 50% ✗ Không đạt" in shown

    council = browser("vks-qb-dong-hoi.hoidong")
    assert submit(council, inbox_task(council), {"council_decision": "approve"}).status_code == 302
    head = browser("vks-qb-dong-hoi.thutruong")
    case_page = head.get(f"/cases/{case_id}").get_data(as_text=True)
    assert summary_of(case_page).startswith("Kết quả họp bình xét Có mặt 8/9 thành viên (88.89%)")  # the same figures
    assert refused(submit(head, inbox_task(head), SUBMIT)) == [
        f"«VKSND thành phố Đồng Hới» ({BK}) được 4/8 phiếu đồng ý (50%), cần trên 50% số thành viên có mặt."]


@pytest.mark.parametrize("present, quorate", [(6, True), (5, False)])
def test_quorum_of_two_thirds_on_the_page_and_at_submission(app, session, browser, present, quorate):
    record_minutes(browser, session, (THUY,), minutes_form(("Trần Thị Thủy", present), present=present))
    shown = summary_of(council_page(browser))
    attendance = {6: "66.67%", 5: "55.56%"}[present]
    verdict = "✓ Đủ số thành viên" if quorate else "✗ Không đủ số thành viên"
    assert f"Có mặt {present}/9 thành viên ({attendance}), cần ≥ 66.67%: {verdict}" in shown
    council = browser("vks-qb-dong-hoi.hoidong")
    assert submit(council, inbox_task(council), {"council_decision": "approve"}).status_code == 302
    head = browser("vks-qb-dong-hoi.thutruong")
    assert refused(submit(head, inbox_task(head), SUBMIT)) == ([] if quorate else [
        "Cuộc họp không đủ số thành viên: cần ít nhất 66.67% số thành viên, có mặt 5/9 (55.56%)."])


def test_a_stricter_threshold_for_one_award_form(app, session, browser, amend_campaign):
    amend_campaign(voting={**campaign("qb-1532-2024")["voting"],
                  "by_award_form": {"bang_khen_vkstc": {"approval": 0.75, "approval_rule": "at_least"}}})
    rows = (THUY, person("Nguyễn Văn An"), collective("Phòng 1 VKSND TP Đồng Hới", award="giay_khen_thu_truong"))
    minutes = minutes_form(("Trần Thị Thủy", 6), ("Nguyễn Văn An", 5), ("Phòng 1 VKSND TP Đồng Hới", 5))
    record_minutes(browser, session, rows, minutes)
    shown = summary_of(council_page(browser))
    assert f"Trần Thị Thủy {BK} 6 / 2 75% ≥ 75% ✓ Đạt" in shown
    assert f"Nguyễn Văn An {BK} 5 / 3 62.5% ≥ 75% ✗ Không đạt" in shown
    assert "Phòng 1 VKSND TP Đồng Hới Giấy khen của Thủ trưởng đơn vị 5 / 3 62.5% > 50% ✓ Đạt" in shown
    council = browser("vks-qb-dong-hoi.hoidong")
    assert submit(council, inbox_task(council), {"council_decision": "approve"}).status_code == 302
    head = browser("vks-qb-dong-hoi.thutruong")
    assert refused(submit(head, inbox_task(head), SUBMIT)) == [
        f"«Nguyễn Văn An» ({BK}) được 5/8 phiếu đồng ý (62.5%), cần ít nhất 75% số thành viên có mặt."]
