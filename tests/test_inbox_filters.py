"""The inbox people live in, on both databases: every task has a due date (the receiving level's = its review
period, the same instant its review timer fires), filters with counts (who, due, step, campaign), search and sort,
returned tasks marked with their reason, and a task a colleague claimed shown with who — only they complete it."""
import datetime as dt
import html
import re

from sqlalchemy import select

from processes import cases
from processes.db import unit_of_work
from processes.inbox import InboxFilter, facets, filtered
from processes.models import CaseTimer, OpenTask, RoleAssignment, Unit, User
from tests.factories import person, start, submitted, user

THUY = person("Trần Thị Thủy")


def colleague(session, unit_code="vks-qb-dong-hoi", role="unit_staff", name="Ngô Thị Hoa") -> User:
    """A second holder of `role` in the unit (the seed has one per role)."""
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    with unit_of_work(session):
        mate = User(username=f"{unit_code}.canbo2", full_name=name, password_hash="x", unit=unit)
        mate.roles.append(RoleAssignment(unit=unit, unit_id=unit.id, role=role))
        session.add(mate)
    return mate


def test_the_receiving_level_s_check_is_due_when_its_review_timer_fires(app, session):
    case = submitted(session, "vks-qb-dong-hoi", [THUY])
    task = session.scalar(select(OpenTask).where(OpenTask.case_id == case.id))
    timer = session.scalar(select(CaseTimer).where(CaseTimer.case_id == case.id,
                                                   CaseTimer.bpmn_id == "provincial_review_timer"))
    assert task.bpmn_id == "provincial_check" and task.due_at is not None and task.due_at == timer.fire_at


def test_filters_counts_search_and_sort(app, session):
    first, second = start(session, "vks-qb-dong-hoi"), start(session, "vks-quang-binh", "vkstc-dmst-2025-2027")
    staff, mate = user(session, "vks-qb-dong-hoi.canbo"), colleague(session)
    province = session.scalar(select(Unit).where(Unit.code == "vks-quang-binh"))
    with unit_of_work(session):  # the staff member also works for the province's own dossier
        staff.roles.append(RoleAssignment(unit=province, unit_id=province.id, role="unit_staff"))
    counted = facets(session, staff)
    assert counted.who == {"mine": 0, "unclaimed": 2, "delegated": 0, "others": 0}
    assert [n for _, _, n in counted.campaigns] == [1, 1] and counted.steps == [
        ("register_nominees", "Đăng ký danh sách đề nghị khen thưởng", 2)]

    task_of = {c.id: session.scalar(select(OpenTask.id).where(OpenTask.case_id == c.id)) for c in (first, second)}
    cases.claim_task(session, mate, task_of[first.id])
    counted = facets(session, staff)
    assert counted.who == {"mine": 0, "unclaimed": 1, "delegated": 0, "others": 1}
    others = filtered(session, staff, InboxFilter(who="others"))
    assert [(t.id, t.assignee.full_name) for t in others.tasks] == [(task_of[first.id], "Ngô Thị Hoa")]
    by_campaign = filtered(session, staff, InboxFilter(campaign_id=second.campaign_id))
    assert [t.case_id for t in by_campaign.tasks] == [second.id] and by_campaign.total == 1
    assert filtered(session, staff, InboxFilter(q="Đồng Hới", who="others")).total == 1
    assert filtered(session, staff, InboxFilter(q="Đồng Hới")).total == 0  # the other one is Quảng Bình's
    assert filtered(session, staff, InboxFilter(q="không có đâu")).total == 0
    assert filtered(session, staff, InboxFilter(due="overdue")).total == 0  # the campaign clock: 16/08/2024
    newest = filtered(session, staff, InboxFilter(sort="new", who="unclaimed"))
    assert [t.case_id for t in newest.tasks] == [second.id]


def test_only_the_claimer_completes_a_claimed_task_and_everyone_sees_who(app, session, browser):
    case = start(session, "vks-qb-dong-hoi")
    mate = colleague(session)
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    cases.claim_task(session, mate, task_id)
    staff = browser("vks-qb-dong-hoi.canbo")
    page = html.unescape(staff.get("/?who=others").get_data(as_text=True))
    assert re.search(r'class="claimed-by">Ngô Thị Hoa<', page) and "Đồng nghiệp đã nhận (1)" in page
    task_page = " ".join(html.unescape(staff.get(f"/tasks/{task_id}").get_data(as_text=True)).split())
    assert "Nhiệm vụ đang do Ngô Thị Hoa xử lý. Bạn chỉ có thể xem." in task_page
    response = staff.post_form(f"/tasks/{task_id}", f"/tasks/{task_id}", {"nominees.0.name": "Trần Thị Thủy"})
    assert response.status_code == 409 and "Nhiệm vụ đã được Ngô Thị Hoa nhận xử lý." in html.unescape(
        response.get_data(as_text=True))


def test_a_returned_task_is_marked_with_its_reason_in_the_inbox(app, session, browser):
    case = submitted(session, "vks-qb-dong-hoi", [THUY])
    province = browser("vks-quang-binh.tdkt")
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    reason = "Thiếu báo cáo thành tích có xác nhận của đơn vị."
    response = province.post_form(f"/tasks/{task_id}", f"/tasks/{task_id}", {
        "check_decision": "return", "return_to": "documents", "check_reason": reason})
    assert response.status_code == 302
    head = browser("vks-qb-dong-hoi.thutruong")
    page = html.unescape(head.get("/").get_data(as_text=True))
    row = page.split('class=" returned"', 1)[1].split("</tr>", 1)[0]
    assert "Bổ sung hồ sơ và trình lại" in row and "Bị trả lại" in row and reason in row
    assert re.search(r'<td class="small text-nowrap" data-label="Hạn">\d\d/\d\d/\d{4}', row)  # a due date, not "—"


def test_the_api_filters_the_inbox_the_same_way(app, session, api):
    case = start(session, "vks-qb-dong-hoi")
    mate = colleague(session)
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    client = api("vks-qb-dong-hoi.canbo")
    assert [t["id"] for t in client.get("/api/tasks").get_json()["items"]] == [task_id]
    cases.claim_task(session, mate, task_id)
    assert client.get("/api/tasks").get_json()["items"] == []
    others = client.get("/api/tasks?who=others").get_json()
    assert [(t["id"], t["assignee"], t["returned"]) for t in others["items"]] == [(task_id, mate.username, None)]
    assert client.get("/api/tasks?who=others&step=record_minutes").get_json()["total"] == 0


def test_the_task_state_the_page_polls(app, session, browser):
    case = start(session, "vks-qb-dong-hoi")
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    staff = browser("vks-qb-dong-hoi.canbo")
    first = staff.get(f"/tasks/{task_id}/state")
    assert first.get_json() == {"open": True, "assignee": None, "mine": False, "version": case.version}
    again = staff.get(f"/tasks/{task_id}/state", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304  # nothing changed: nothing sent
    mate = colleague(session)
    cases.claim_task(session, mate, task_id)
    changed = staff.get(f"/tasks/{task_id}/state", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.get_json()["assignee"] == "Ngô Thị Hoa"
    outsider = browser("vks-qb-le-thuy.canbo")
    assert outsider.get(f"/tasks/{task_id}/state").status_code == 404  # another unit learns nothing


def test_the_unit_head_as_supervisor_puts_a_colleague_s_claim_back_in_the_queue(app, session, browser):
    case = start(session, "vks-qb-dong-hoi")
    mate = colleague(session)
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    cases.claim_task(session, mate, task_id)
    staff = browser("vks-qb-dong-hoi.canbo")
    refused = staff.post_form(f"/tasks/{task_id}", f"/tasks/{task_id}/release", {})
    assert refused.status_code == 409 and "Nhiệm vụ đã được Ngô Thị Hoa nhận xử lý." in html.unescape(
        refused.get_data(as_text=True))  # a colleague of the same role cannot take it over
    head = browser("vks-qb-dong-hoi.thutruong")
    assert "Thu hồi về hàng chờ" in head.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert head.post_form(f"/tasks/{task_id}", f"/tasks/{task_id}/release", {}).status_code == 302
    assert session.get(OpenTask, task_id, populate_existing=True).assignee_id is None
    other_head = browser("vks-qb-le-thuy.thutruong")
    cases.claim_task(session, mate, task_id)
    assert other_head.post_form("/", f"/tasks/{task_id}/release", {}).status_code == 404  # not their unit
