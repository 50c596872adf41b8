"""The supervision dashboard's heat map and charts: the data (core), the routes and who may read them (HTTP, both
databases, the API documents checked against openapi.json), and the page in headless Chromium."""
from __future__ import annotations

import datetime as dt
import gzip
import re
from pathlib import Path

import pytest

from sqlalchemy import select

from processes import clock
from processes.models import Campaign
from processes.supervision import board, charts, history
from processes.supervision.flags import Flag
from tests.factories import QB, person, start, submitted, user
from tests.test_browser import live, login, page  # noqa: F401  (the browser fixtures)

SUPERVISOR = "vks-quang-binh.tdkt"
SHOTS = Path("/tmp/shots-heatmap")
NOT_A_SUPERVISOR = "Trang giám sát dành cho cán bộ theo dõi"
NOT_FOUND = "Không tìm thấy phong trào thi đua."


def qb_id(session) -> int:
    return session.scalar(select(Campaign.id).where(Campaign.code == QB))


def at(day: int, hour: int = 8) -> None:
    """The clock at hour:00 on day/08/2024 in Việt Nam (the conftest fixture restores it)."""
    clock.set_clock(clock.ShiftedClock(dt.datetime(2024, 8, day, hour) - dt.timedelta(hours=7)))


def arrange(session):
    """Lệ Thủy submits on 16/08 (on time), Đồng Hới and Ba Đồn sit in registration; then it is 24/08, past the
    deadline (23/08): two units with a case are overdue in the first step, nine never started."""
    history.forget()
    submitted(session, "vks-qb-le-thuy", [person("Nguyễn Văn An")])
    start(session, "vks-qb-dong-hoi")
    start(session, "vks-qb-ba-don")
    at(24)


BUILD = Path(__file__).resolve().parent.parent / "webapp" / "static" / "build"
# gzipped bytes; measured 58 KB (heat map: the viewer + overlays), 65 KB (Chart.js 4.6 with the line and bar
# controllers), 5.5 KB (styles) — what the dashboard pays on top of its own page.
BUDGET = {"heatmap.js": 80_000, "charts.js": 80_000, "heatmap.css": 10_000}


@pytest.mark.parametrize("name", sorted(BUDGET))
def test_bundles_are_built_within_budget_and_fetch_nothing_elsewhere(name):
    path = BUILD / name
    assert path.is_file(), f"{path} missing: run ./scripts/setup.sh"
    body = path.read_bytes()
    assert len(gzip.compress(body, 9)) <= BUDGET[name]
    assert not re.search(rb"https?://(?!www\.w3\.org|bpmn\.io)[a-z0-9.-]+/[^\s\"']*\.(js|css|woff2?)", body)


# --- core ---------------------------------------------------------------------------------------------------------

def test_outcome_of_a_unit():
    deadline = dt.datetime(2024, 8, 23, 16, 59, 59)
    row = board.UnitRow(1, "u", "U", deadline=deadline, flag=Flag.ON_TIME)
    before, after = deadline - dt.timedelta(hours=1), deadline + dt.timedelta(hours=1)
    assert charts.outcome(row, before, after) == "on_time"
    assert charts.outcome(row, after, after) == "late"
    assert charts.outcome(row, None, before) == "pending"
    assert charts.outcome(row, None, after) == "overdue"
    row.flag = Flag.CANCELLED
    assert charts.outcome(row, before, after) is None  # out of the count


def test_the_curve_stops_today_and_reaches_the_deadline():
    deadline = dt.date(2024, 8, 23)
    sent = [dt.datetime(2024, 8, 16, 3), dt.datetime(2024, 8, 16, 9), dt.datetime(2024, 8, 19, 2)]
    days, daily, cumulative = charts._curve(deadline, sent, today=dt.date(2024, 8, 20))
    assert days[0] == dt.date(2024, 8, 16) and days[-1] == deadline
    assert daily[:4] == [2, 0, 0, 1] and sum(daily) == 3
    assert cumulative[:5] == [2, 2, 2, 3, 3] and cumulative[5:] == [None, None, None]  # 21–23/08: not yet
    days, daily, cumulative = charts._curve(deadline, [], today=dt.date(2024, 8, 16))
    assert days[0] == dt.date(2024, 8, 9) and days[-1] == deadline and not any(daily)


def test_charts_count_the_supervised_units(session):
    arrange(session)
    found = charts.charts(session, user(session, SUPERVISOR), qb_id(session))
    assert found.units == 12 and found.deadline == dt.date(2024, 8, 23) and found.grouped_by == "unit"
    assert found.days[0] == dt.date(2024, 8, 16) and found.daily[0] == 1 and found.cumulative[-1] == 1
    assert found.days[-1] == dt.date(2024, 8, 24)  # past the deadline: up to today
    by_label = {g.label: g.counts for g in found.groups}
    assert len(by_label) == 12
    assert by_label["VKSND TP Đồng Hới"] == {"on_time": 0, "late": 0, "overdue": 1, "pending": 0}
    assert by_label["VKSND huyện Lệ Thủy"]["on_time"] == 1
    assert sum(c["overdue"] for c in by_label.values()) == 11
    assert [(s.step, s.units) for s in found.steps][0] == ("register_nominees", 2)


# --- HTTP ---------------------------------------------------------------------------------------------------------

def test_heatmap_and_charts_routes(app, session, browser, api):
    arrange(session)
    campaign_id = qb_id(session)
    sup = browser(SUPERVISOR)
    heat = sup.get(f"/supervision/campaigns/{campaign_id}/heatmap.json")
    assert heat.status_code == 200
    doc = heat.get_json()
    assert doc["diagram"]["process_id"] == "tdkt_nomination" and 'id="register_nominees"' in doc["diagram"]["xml"]
    top = doc["items"][0]
    assert (top["step"], top["units"], top["max_working_days"]) == ("register_nominees", 2, 5)
    token = api(SUPERVISOR)
    assert token.get(f"/api/supervision/campaigns/{campaign_id}/steps").get_json()["items"] == doc["items"]
    assert token.get(f"/api/supervision/campaigns/{campaign_id}/heatmap").get_json() == doc
    chart = sup.get(f"/supervision/campaigns/{campaign_id}/charts.json").get_json()
    assert chart["units"] == 12 and chart["deadline"] == "2024-08-23" and chart["grouped_by"] == "unit"
    assert chart["submissions"]["days"][0] == "2024-08-16" and chart["submissions"]["cumulative"][-1] == 1
    assert chart["outcomes"]["late"] == "Nộp trễ hạn"
    assert token.get(f"/api/supervision/campaigns/{campaign_id}/charts").get_json() == chart
    page = sup.get(f"/supervision/campaigns/{campaign_id}").get_data(as_text=True)
    assert f'data-heatmap-url="/supervision/campaigns/{campaign_id}/heatmap.json"' in page
    assert "build/charts.js" in page and "<script>" not in page and 'id="sv-list"' in page


def test_who_reads_the_heatmap_and_charts(app, session, browser, api):
    campaign_id = qb_id(session)
    for suffix, api_suffix in (("heatmap.json", "heatmap"), ("charts.json", "charts")):
        district = browser("vks-qb-dong-hoi.canbo").get(f"/supervision/campaigns/{campaign_id}/{suffix}")
        assert district.status_code == 403 and NOT_A_SUPERVISOR in district.get_json()["message"]
        head = browser("vks-qb-dong-hoi.thutruong").get(f"/supervision/campaigns/{campaign_id}/{suffix}")
        assert head.status_code == 404 and head.get_json()["message"] == NOT_FOUND
        other = browser("vks-da-nang.tdkt").get(f"/supervision/campaigns/{campaign_id}/{suffix}")
        assert other.status_code == 404 and other.get_json()["message"] == NOT_FOUND
        assert browser(SUPERVISOR).get(f"/supervision/campaigns/999999/{suffix}").status_code == 404
        assert app.test_client().get(f"/supervision/campaigns/{campaign_id}/{suffix}").status_code in (302, 401)
        denied = api("vks-qb-dong-hoi.canbo").get(f"/api/supervision/campaigns/{campaign_id}/{api_suffix}")
        assert denied.status_code == 403 and NOT_A_SUPERVISOR in denied.get_json()["message"]
        assert api("vks-da-nang.tdkt").get(f"/api/supervision/campaigns/{campaign_id}/{api_suffix}").status_code == 404
    # a province's supervisor sees its own units only: Đà Nẵng's supervisor has none in the Quảng Bình round, and
    # the Quảng Bình supervisor's bars are exactly the round's participants
    groups = browser(SUPERVISOR).get(f"/supervision/campaigns/{campaign_id}/charts.json").get_json()["groups"]
    campaign = session.get(Campaign, campaign_id)
    assert len(groups) == len(campaign.details["participants"]) == 12


# --- the page -----------------------------------------------------------------------------------------------------

def painted(page, selector: str) -> int:
    """How many pixels of the canvas are not transparent (a drawn chart has thousands)."""
    return page.eval_on_selector(selector, """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""")


def test_heatmap_and_charts_in_the_browser(page, session):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    arrange(session)
    login(page, SUPERVISOR)
    page.goto(f"{page.base}/supervision/campaigns/{qb_id(session)}")
    page.wait_for_selector(".sv-heatmap.sv-heat-ready")
    badge = page.locator('.sv-heat-badge[data-step="register_nominees"]')
    assert badge.inner_text().startswith("2 đv") and "5 ngày" in badge.inner_text()
    assert page.locator(".djs-element.sv-heat-5").count() == 1  # the busiest step, darkest
    page.wait_for_selector(".sv-charts.sv-charts-ready")
    for name in ("submissions", "steps", "groups"):
        assert painted(page, f'[data-chart="{name}"] canvas') > 1000, name
    page.locator(".sv-heatmap").screenshot(path=str(SHOTS / "1-heatmap.png"))
    page.locator(".sv-charts").screenshot(path=str(SHOTS / "2-charts.png"))

    page.click('.djs-element[data-element-id="register_nominees"]')  # the step with the most units
    page.wait_for_url("**step=register_nominees**")
    units = page.locator(".sv-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.unit)")
    assert sorted(units) == ["vks-qb-ba-don", "vks-qb-dong-hoi"]
    page.wait_for_selector(".sv-heatmap.sv-heat-ready")
    assert page.locator('.djs-element.sv-heat-chosen[data-element-id="register_nominees"]').count() == 1
    page.screenshot(path=str(SHOTS / "3-filtered.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector(".sv-charts.sv-charts-ready")
    page.wait_for_selector(".sv-heatmap.sv-heat-ready")
    width = page.eval_on_selector('[data-chart="groups"] canvas', "c => c.getBoundingClientRect().width")
    assert 250 < width <= 390 and painted(page, '[data-chart="groups"] canvas') > 1000
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.locator(".sv-charts").screenshot(path=str(SHOTS / "4-phone-charts.png"))
    page.locator(".sv-heatmap").screenshot(path=str(SHOTS / "5-phone-heatmap.png"))
