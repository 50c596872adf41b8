"""Rules the seeds do not state stay visibly assumptions (issue 15): Quảng Bình's 3 collectives + 4 individuals cap
comes from the 2025 VKSTC plan, not from 1532/VKSQB-TĐ, and the 2/3 quorum and > 50 % approval of the biên bản are
assumed too. Each is a campaign setting the administrator can change or remove, shown as an assumption where the
units meet it, and never printed as the guidance's words."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from processes.models import Campaign, OpenTask
from processes.rules.figures import vote_summary
from processes.rules.quotas import counters
from tests.factories import collective, complete, registered, shown, start, teams, to_the_head, unit_facts, user

QB = "qb-1532-2024"
GUIDANCE_WORDS = "Chỉ khen thưởng những tập thể, cá nhân có hoạt động"  # 000 §5, which states no number


def qb(session) -> Campaign:
    return session.scalar(select(Campaign).where(Campaign.code == QB))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_quang_binh_cap_is_an_assumption_with_its_real_source(session):
    details = qb(session).details
    [cap] = details["quota"]
    assert cap["assumed"] is True and (cap["collectives"], cap["individuals"]) == (3, 4)
    assert GUIDANCE_WORDS not in cap["source"]  # the guidance's words are not its source
    assert "Kế hoạch 2025–2030 của VKSND tối cao" in cap["source"] and "1532/VKSQB-TĐ không nêu" in cap["source"]
    shown_counters = counters(details["quota"], unit_facts("vks-qb-dong-hoi"), teams(2))
    assert [c.assumed for c in shown_counters] == [True, True]
    assert details["voting"]["assumed"] is True
    summary = vote_summary(details["voting"], {"members_total": 9, "members_present": 8}, [])
    assert summary.assumed


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_units_see_the_cap_and_the_voting_rule_marked_as_assumptions(session, browser):
    case = start(session, "vks-qb-dong-hoi")
    staff = browser("vks-qb-dong-hoi.canbo")
    page = shown(staff.get(f"/tasks/{_task(session, case)}"))
    assert "Giả định" in page and "Công văn 1532/VKSQB-TĐ không nêu số lượng." in page
    assert "Quản trị viên có thể sửa hoặc bỏ hạn mức này trong trang quản trị phong trào." in page
    assert GUIDANCE_WORDS not in page

    case = to_the_head(session, "vks-qb-le-thuy", [collective("VKSND huyện Lệ Thủy")])
    council_page = shown(browser("vks-qb-le-thuy.thutruong").get(f"/cases/{case.id}"))
    assert "Tỷ lệ có mặt và tỷ lệ đồng ý là giả định của phong trào, văn bản hướng dẫn không nêu" in council_page


def test_the_administrator_removes_the_assumed_cap_in_the_campaign_admin(session, browser, amend_campaign):
    """The administrator deletes the [[quota]] table from the campaign's file in the campaign admin: the units see
    no cap and a fourth collective is no longer refused."""
    admin = browser("admin")
    page = f"/admin/campaigns/{qb(session).id}"
    text = admin.get(page + ".toml").get_data(as_text=True)
    cap = re.search(r"\n\[\[quota\]\]\n.*?\n\n", text, re.S)
    assert cap and "assumed = true" in cap.group(0) and "collectives = 3" in cap.group(0)
    assert admin.post_form(page, page, {"toml": text[:cap.start()] + "\n" + text[cap.end():]}).status_code == 302
    session.expire_all()
    assert not qb(session).details.get("quota")
    case = start(session, "vks-qb-dong-hoi")
    page = shown(browser("vks-qb-dong-hoi.canbo").get(f"/tasks/{_task(session, case)}"))
    assert 'id="quota-counters"' not in page and "Giả định" not in page
    complete(session, case, "vks-qb-dong-hoi.canbo", {"nominees": [registered(c) for c in teams(4)]})
    assert _task_id(session, case) == "record_minutes"


def _task(session, case) -> int:
    return session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))


def _task_id(session, case) -> str:
    return session.scalar(select(OpenTask.bpmn_id).where(OpenTask.case_id == case.id))
