"""The case page reads outcome first: status, the deadline with the days left or how late (from the deadline, not
the minute a timer fired), the decision with who received what; then the nominees with every field, the case data
under the steps that wrote it in Vietnamese (no internal keys), a collapsible log where timers are the system's,
and links only to what the reader may open. Core read model directly; the page over HTTP on both databases; the
layout in Chromium at desktop and phone widths."""
import datetime as dt
import os
import re

import pytest

from sqlalchemy import select

from processes import case_page, clock
from processes.models import AuditEvent, Case, Campaign
from processes.forms import field_labels
from tests import factories
from tests.factories import person
from tests.test_award_history import decided_case
from tests.test_deadlines import provincial_form  # noqa: F401  (fixture: the round offers the province's form)
from tests.test_browser import live, login, page  # noqa: F401  (fixtures)

AFTER_DEADLINE = dt.datetime(2024, 8, 26, 1, 0)  # 08:00 on 26/08/2024; Quảng Bình's units sent until 23/08/2024
SHOTS = os.environ.get("TDKT_SHOTS", "/tmp/tdkt-shots")


def between(html: str, start: str, end: str) -> str:
    part = html[html.index(start):]
    return part[:part.index(end)]


# --- the read model ------------------------------------------------------------------------------------------------

def test_days_left_then_days_late_count_from_the_last_receiving_day(app, session):
    case = factories.start(session, "vks-qb-dong-hoi")
    assert case.campaign.deadline == dt.date(2024, 8, 23)
    ahead = case_page.outcome(case, today=dt.date(2024, 8, 16)).deadline
    assert (ahead.day, ahead.days_left, ahead.days_late) == (dt.date(2024, 8, 23), 7, None)
    assert case_page.outcome(case, today=dt.date(2024, 8, 23)).deadline.days_left == 0
    late = case_page.outcome(case, today=dt.date(2024, 9, 2)).deadline
    assert (late.days_left, late.days_late) == (None, 10)


def test_a_submitted_dossier_no_longer_counts_down(app, session):
    case = factories.submitted(session, "vks-qb-dong-hoi", [person("Trần Thị Thủy")])
    state = case_page.outcome(case, today=dt.date(2024, 9, 2))
    assert state.submitted and state.deadline.days_left is None and state.deadline.days_late is None


def test_sections_follow_the_steps_and_hide_what_no_form_names(app, session):
    case = factories.to_the_head(session, "vks-qb-dong-hoi", [person("Trần Thị Thủy")])
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)))
    found = case_page.sections(case, events, field_labels()["titles"])
    titles = [s.title for s in found]
    assert titles[-2:] == ["Lập biên bản họp bình xét", "Hội đồng TĐKT xem xét"]  # in the order the steps ran
    keys = [key for s in found for key, _, _ in s.fields]
    assert "members_present" in keys and "council_decision" in keys
    assert "nominees" not in keys  # its own table
    assert not {"campaign_code", "deadline_at", "reminder_at", "award_levels", "criteria_template"} & set(keys)
    assert set(case.data) >= {"campaign_code", "deadline_at"}  # they exist: hidden, not missing


# --- the page over HTTP --------------------------------------------------------------------------------------------

@pytest.mark.usefixtures("provincial_form")
def test_a_decided_case_shows_the_decision_first_and_who_received_what(app, session, browser):
    case_id = decided_case(browser, session)
    html = browser("vks-qb-le-thuy.canbo").get(f"/cases/{case_id}").get_data(as_text=True)
    decision = between(html, 'class="card mb-3 border-success decision"', "</section>")
    assert "Quyết định khen thưởng số 567/QĐ-UBND ngày 05/11/2024 — Chủ tịch UBND tỉnh Quảng Bình" in decision
    rows = re.findall(r"<tr>(.*?)</tr>", decision.split("<tbody>")[1], re.S)
    assert "Hoàng Văn Nam" in rows[0] and "Được khen thưởng" in rows[0]
    assert "Phòng Thực hành quyền công tố" in rows[1] and "Không được khen thưởng" in rows[1]
    assert "1/2 đối tượng được khen thưởng" in decision
    assert html.index("decision") < html.index("Danh sách đề nghị khen thưởng") < html.index("Nhật ký xử lý")
    # the nominees with every field the registration asked for
    table = between(html, 'nominee-table', "</table>")
    for text in ("Cá nhân", "Hoàng Văn Nam", "Kiểm sát viên, VKSND huyện Lệ Thủy", "12/03/1985",
                 "Bằng khen của Chủ tịch UBND tỉnh", "không để xảy ra án quá hạn", "Tập thể"):
        assert text in table, text
    # no internal keys, no far-future sentinel, and no "Chưa có" for awards the decision gave
    for internal in ("campaign_code", "deadline_at", "award_levels", "9000-01-01", "criteria_template"):
        assert internal not in html, internal
    assert "Chưa có" not in html and "earlier-awards" not in html
    assert "Lập biên bản họp bình xét</div>" in html  # the minutes under the step that wrote them


def test_a_running_case_counts_the_days_left(app, session, browser):
    case = factories.start(session, "vks-qb-dong-hoi")
    html = browser("vks-qb-dong-hoi.canbo").get(f"/cases/{case.id}").get_data(as_text=True)
    deadline = between(html, 'class="small mt-1 deadline"', "</div>")
    assert "Hạn nộp hồ sơ: <strong>23/08/2024</strong>" in deadline and "còn 7 ngày" in deadline
    assert "Chưa có dữ liệu" in html


def test_a_late_case_says_how_late_from_the_deadline_and_its_timers_are_the_systems(app, session, browser):
    clock.set_clock(clock.ShiftedClock(AFTER_DEADLINE))  # the conftest fixture puts the clock back
    case = factories.start(session, "vks-qb-dong-hoi")
    assert session.get(Case, case.id).late_at is not None
    fired = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id,
                                                           AuditEvent.action == "timer_fired")))
    assert fired and all(e.actor_id is None for e in fired)  # not the staff member who opened the case
    html = browser("vks-qb-dong-hoi.canbo").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "quá hạn 3 ngày" in between(html, 'class="small mt-1 deadline"', "</div>")
    assert "Hồ sơ quá hạn nộp: hạn cuối là ngày 23/08/2024." in html
    timeline = between(html, 'class="list-group list-group-flush timeline"', "</ol>")
    for item in re.findall(r"<li.*?</li>", timeline, re.S):
        if "Hẹn giờ" in item or "hẹn giờ" in item:
            assert "Hệ thống" in item, item


def test_a_unit_sees_no_link_to_the_provinces_consolidation_case(app, session, browser):
    case = factories.submitted(session, "vks-qb-dong-hoi", [person("Trần Thị Thủy")])
    factories.complete(session, case, "vks-quang-binh.tdkt", {"check_decision": "accept"}, "provincial_check")
    parent_id = session.get(Case, case.id, populate_existing=True).parent_id
    assert parent_id
    staff = browser("vks-qb-dong-hoi.canbo")
    html = staff.get(f"/cases/{case.id}").get_data(as_text=True)
    note = between(html, "rollup-parent", "</div>")
    assert "hồ sơ tổng hợp" in note and f"/cases/{parent_id}" not in html
    assert staff.get(f"/cases/{parent_id}").status_code == 404  # the link would have led nowhere
    reviewer = browser("vks-quang-binh.tdkt")
    assert f'href="/cases/{parent_id}"' in reviewer.get(f"/cases/{case.id}").get_data(as_text=True)


# --- the layout --------------------------------------------------------------------------------------------------

@pytest.mark.usefixtures("provincial_form")
def test_the_decided_case_reads_well_on_a_desktop_and_a_phone(page, session, browser):  # noqa: F811
    case_id = decided_case(browser, session)
    os.makedirs(SHOTS, exist_ok=True)
    login(page, "vks-qb-le-thuy.canbo")
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{page.base}/cases/{case_id}")
        decision = page.locator("section.decision")
        assert decision.is_visible()
        assert decision.bounding_box()["y"] < 600  # outcome first: the decision is on the first screen
        scroll = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert scroll <= 0, f"horizontal scroll of {scroll}px at {width}px"
        page.screenshot(path=f"{SHOTS}/case-decided-{width}.png", full_page=True)
    assert page.locator("details.timeline-box summary").is_visible()
