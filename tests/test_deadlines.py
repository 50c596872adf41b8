"""The shipped diagram's deadlines on the injectable clock, through the web pages and the timer worker: the reminder
before the deadline, the late path when 23/8/2024 passes, the receiving level's decision, the review period counted in
Vietnamese working days (across Tết), and what people are told."""
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from processes import clock, timer_worker
from processes.models import AuditEvent, Case, CaseTimer, Notification, OpenTask, User
from processes.workdays import add_working_days, is_working_day, working_days_after
from tests.factories import shown, with_reports
from tests.test_case_flow_http import MINUTES, NOMINEES, ids, inbox_task, submit

VN = clock.VN_TZ
DEADLINE = dt.datetime(2024, 8, 23, 23, 59, 59, tzinfo=VN)  # "là ngày 23/8/2024": the end of that day in Việt Nam
PROVINCIAL_NOMINEES = with_reports({
    "nominees.0.kind": "individual", "nominees.0.name": "Hoàng Văn Nam",
    "nominees.0.position": "Chuyên viên, VKSND huyện Lệ Thủy", "nominees.0.award_form": "bang_khen_ubnd_tinh",
    "nominees.0.achievement_summary": "Hoàn thành xuất sắc nhiệm vụ năm 2024, không để xảy ra án quá hạn.",
})
PROVINCIAL_MINUTES = {k: v for k, v in MINUTES.items() if not k.startswith("votes.")} | {
    "votes.0.nominee": "Hoàng Văn Nam", "votes.0.votes_for": "8", "votes.0.votes_against": "0"}
SUBMIT = {"submission_number": "15/TTr-VKS", "submission_date": "20/08/2024", "signer_name": "Lê Văn Hùng",
          "signer_title": "Viện trưởng"}


def utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


@pytest.fixture
def provincial_form(amend_campaign):
    """Quảng Bình's round offers only the supreme Bằng khen, and a nominee may be proposed only for a form the
    campaign offers: tests of a dossier decided by the province give the round the provincial form they propose."""
    from tests.factories import campaign_details

    amend_campaign(award_form=campaign_details("qb-1532-2024")["award_form"] + [{
        "code": "bang_khen_ubnd_tinh", "name": "Bằng khen của Chủ tịch UBND tỉnh",
        "authority": "Chủ tịch UBND tỉnh Quảng Bình", "dossier_level": "provincial",
        "for_kinds": ["collective", "individual"]}])


@pytest.fixture
def frozen():
    frozen = clock.FrozenClock(utc(dt.datetime(2024, 8, 16, 8, 0, tzinfo=VN)))
    previous = clock.set_clock(frozen)
    yield frozen
    clock.set_clock(previous)


def start_case(browser, session, unit_code="vks-qb-dong-hoi", nominees=NOMINEES):
    campaign_id, unit_id = ids(session, unit_code=unit_code)
    staff = browser(f"{unit_code}.canbo")
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert submit(staff, inbox_task(staff), nominees).status_code == 302
    return case_id


def to_council(browser, session, unit_code="vks-qb-dong-hoi", nominees=NOMINEES):
    case_id = start_case(browser, session, unit_code, nominees)
    secretary = browser(f"{unit_code}.thuky")
    minutes = MINUTES if nominees is NOMINEES else PROVINCIAL_MINUTES
    assert submit(secretary, inbox_task(secretary), minutes).status_code == 302
    return case_id


def to_submitted(browser, session, unit_code="vks-qb-dong-hoi", nominees=NOMINEES):
    case_id = to_council(browser, session, unit_code, nominees)
    council, head = browser(f"{unit_code}.hoidong"), browser(f"{unit_code}.thutruong")
    assert submit(council, inbox_task(council), {"council_decision": "approve"}).status_code == 302
    assert submit(head, inbox_task(head), SUBMIT).status_code == 302
    return case_id


def messages(session, case_id):
    return [d["name"] for d in session.scalars(select(AuditEvent.details).where(
        AuditEvent.case_id == case_id, AuditEvent.action == "message").order_by(AuditEvent.id))]


def notified(session, username, kind):
    return session.scalar(select(func.count()).select_from(Notification).join(User).where(
        User.username == username, Notification.kind == kind))


def open_tasks(session, case_id):
    return sorted(session.scalars(select(OpenTask.bpmn_id).where(OpenTask.case_id == case_id)))


def timers(session, case_id):
    return {t.bpmn_id: t.fire_at for t in session.scalars(select(CaseTimer).where(CaseTimer.case_id == case_id))}


# --- Vietnamese working days -------------------------------------------------------------------------------------

def test_working_days_skip_weekends_and_tet():
    # Tết Giáp Thìn: 08/02 → 14/02/2024 off; 10 working days from Wednesday 07/02 end on Wednesday 28/02.
    assert not any(is_working_day(dt.date(2024, 2, d)) for d in range(8, 15))
    assert add_working_days(dt.date(2024, 2, 7), 1) == dt.date(2024, 2, 15)
    assert add_working_days(dt.date(2024, 2, 7), 10) == dt.date(2024, 2, 28)
    # 30/4 and 1/5 (Tuesday, Wednesday in 2024) and the weekend before them
    assert add_working_days(dt.date(2024, 4, 26), 1) == dt.date(2024, 5, 2)
    assert add_working_days(dt.date(2024, 8, 16), 10) == dt.date(2024, 8, 30)  # two weekends, no holiday
    # A timer expression gets the end of that day in Việt Nam, whatever the zone of the instant it starts from.
    assert working_days_after(10, "2024-02-07T01:00:00+00:00") == "2024-02-28T23:59:59+07:00"
    assert working_days_after(1, "2024-02-07T20:00:00+00:00") == "2024-02-15T23:59:59+07:00"  # 03:00 on 08/02 VN


# --- the reminder --------------------------------------------------------------------------------------------------

def test_the_reminder_fires_once_three_days_before(app, session, browser, frozen):
    case_id = start_case(browser, session)
    assert timers(session, case_id) == {"reminder_timer": utc(DEADLINE - dt.timedelta(days=3)),
                                        "deadline_timer": utc(DEADLINE)}
    frozen.at = utc(dt.datetime(2024, 8, 20, 23, 59, 58, tzinfo=VN))
    assert timer_worker.fire_due(session).cases == []  # one second early: nothing

    frozen.advance(seconds=3)
    assert timer_worker.fire_due(session).fired == 1
    for _ in range(3):  # later passes, a day apart, before the deadline: no second reminder
        frozen.advance(hours=20)
        timer_worker.fire_due(session)
    assert messages(session, case_id) == ["tdkt.reminder"]
    assert notified(session, "vks-qb-dong-hoi.canbo", "reminder") == 1
    assert notified(session, "vks-qb-dong-hoi.thuky", "reminder") == 1
    assert notified(session, "vks-quang-binh.tdkt", "reminder") == 0
    assert set(timers(session, case_id)) == {"deadline_timer"}
    assert open_tasks(session, case_id) == ["record_minutes"]  # the unit's work goes on where it was

    bell = browser("vks-qb-dong-hoi.canbo").get("/notifications").get_data(as_text=True)
    assert "Sắp đến hạn nộp hồ sơ (23/08/2024)" in bell


# --- the late path ---------------------------------------------------------------------------------------------------

def test_a_case_at_council_review_when_the_deadline_passes_is_closed_as_not_submitted(app, session, browser, frozen):
    case_id = to_council(browser, session)
    frozen.at = utc(DEADLINE) + dt.timedelta(seconds=1)
    timer_worker.fire_due(session)  # reminder and deadline are both due: one pass fires both

    case = session.get(Case, case_id, populate_existing=True)
    assert case.status == "late" and case.late_at == utc(DEADLINE) + dt.timedelta(seconds=1)
    assert messages(session, case_id) == ["tdkt.reminder", "tdkt.late"]
    assert open_tasks(session, case_id) == ["council_review", "late_decision"]
    late_task = session.scalar(select(OpenTask).where(OpenTask.case_id == case_id,
                                                      OpenTask.bpmn_id == "late_decision"))
    assert late_task.unit.code == "vks-quang-binh" and late_task.role == "provincial_reviewer"
    assert notified(session, "vks-quang-binh.tdkt", "late") == 1  # the receiving level's TĐKT section is told
    assert notified(session, "vks-qb-dong-hoi.thutruong", "late") == 1

    province = browser("vks-quang-binh.tdkt")
    home = province.get("/").get_data(as_text=True)
    assert "Quyết định về hồ sơ nộp muộn" in home and 'class="position-absolute' in home  # the bell has a count
    response = submit(province, late_task.id, {"late_decision": "close"})
    assert response.status_code == 422  # the reason is required
    assert "Dữ liệu chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu." in shown(response)
    assert re.search(r'name="late_reason".*?field-error">Trường này là bắt buộc\.</div>', shown(response), re.S)
    assert submit(province, late_task.id, {"late_decision": "close",
                                            "late_reason": "Đơn vị không gửi hồ sơ, không báo lý do."}).status_code == 302

    case = session.get(Case, case_id, populate_existing=True)
    assert case.status == "not_submitted" and open_tasks(session, case_id) == []
    assert messages(session, case_id)[-1] == "tdkt.not_submitted"
    assert notified(session, "vks-qb-dong-hoi.canbo", "not_submitted") == 1
    assert session.scalar(select(func.count()).select_from(CaseTimer).where(CaseTimer.case_id == case_id)) == 0
    page = browser("vks-qb-dong-hoi.canbo").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Không nộp hồ sơ" in page and "Đơn vị không gửi hồ sơ" in page and "Quá hạn nộp hồ sơ" in page


@pytest.mark.usefixtures("provincial_form")
def test_a_late_dossier_accepted_with_a_reason_goes_on_to_the_check(app, session, browser, frozen):
    case_id = to_council(browser, session, "vks-qb-le-thuy", PROVINCIAL_NOMINEES)
    frozen.at = utc(DEADLINE) + dt.timedelta(hours=2)
    timer_worker.fire_due(session)
    province = browser("vks-quang-binh.tdkt")
    late_task = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case_id,
                                                         OpenTask.bpmn_id == "late_decision"))
    assert submit(province, late_task, {"late_decision": "accept_late",
                                         "late_reason": "Đơn vị báo mất điện diện rộng ngày 23/8."}).status_code == 302
    assert open_tasks(session, case_id) == ["council_review"]

    council, head = browser("vks-qb-le-thuy.hoidong"), browser("vks-qb-le-thuy.thutruong")
    assert submit(council, inbox_task(council), {"council_decision": "approve"}).status_code == 302
    assert submit(head, inbox_task(head), SUBMIT).status_code == 302
    case = session.get(Case, case_id, populate_existing=True)
    assert case.status == "late" and open_tasks(session, case_id) == ["provincial_check"]
    decided = session.scalar(select(AuditEvent.details).where(AuditEvent.case_id == case_id,
                                                              AuditEvent.task_bpmn_id == "late_decision"))
    assert decided["data"]["late_decision"] == "accept_late"  # the decision and its reason stay on the record
    assert "Đơn vị báo mất điện" in province.get(f"/cases/{case_id}").get_data(as_text=True)


@pytest.mark.usefixtures("provincial_form")
def test_a_dossier_submitted_in_time_never_takes_the_late_path(app, session, browser, frozen):
    case_id = to_submitted(browser, session, "vks-qb-le-thuy", PROVINCIAL_NOMINEES)
    assert "deadline_timer" not in timers(session, case_id) and "reminder_timer" not in timers(session, case_id)
    frozen.at = utc(DEADLINE) + dt.timedelta(days=1)
    timer_worker.fire_due(session)
    case = session.get(Case, case_id, populate_existing=True)
    assert case.status == "running" and case.late_at is None
    assert "tdkt.late" not in messages(session, case_id)
    assert open_tasks(session, case_id) == ["provincial_check"]
    cancelled = {d["timer"] for d in session.scalars(select(AuditEvent.details).where(
        AuditEvent.case_id == case_id, AuditEvent.action == "timer_cancelled"))}
    assert cancelled == {"reminder_timer", "deadline_timer"}


# --- the review period in working days --------------------------------------------------------------------------------

@pytest.mark.usefixtures("provincial_form")
def test_review_period_counts_working_days_across_tet(app, session, browser, frozen):
    frozen.at = utc(dt.datetime(2024, 2, 7, 9, 0, tzinfo=VN))  # the day before Tết Giáp Thìn
    case_id = to_submitted(browser, session, "vks-qb-le-thuy", PROVINCIAL_NOMINEES)
    due = utc(dt.datetime(2024, 2, 28, 23, 59, 59, tzinfo=VN))
    assert timers(session, case_id)["provincial_review_timer"] == due

    frozen.at = due - dt.timedelta(seconds=1)
    assert timer_worker.fire_due(session).cases == []
    frozen.advance(seconds=2)
    timer_worker.fire_due(session)
    assert messages(session, case_id) == ["tdkt.review_overdue"]
    assert notified(session, "vks-quang-binh.tdkt", "review_overdue") == 1
    assert open_tasks(session, case_id) == ["provincial_check"]  # a reminder, not a cancellation

    province = browser("vks-quang-binh.tdkt")
    assert submit(province, inbox_task(province), {"check_decision": "return",
                                                   "check_reason": "Thiếu báo cáo thành tích có xác nhận."}).status_code == 302
    assert open_tasks(session, case_id) == ["submit_supplement"]
    head = browser("vks-qb-le-thuy.thutruong")
    assert notified(session, "vks-qb-le-thuy.thutruong", "task_returned") == 1
    form = head.get(f"/tasks/{inbox_task(head)}").get_data(as_text=True)
    assert 'value="15/TTr-VKS"' in form  # the earlier tờ trình comes back to be amended
    assert submit(head, inbox_task(head), {**SUBMIT, "submission_note": "Đã bổ sung."}).status_code == 302
    assert open_tasks(session, case_id) == ["provincial_check"]
    assert timers(session, case_id)["provincial_review_timer"] > due  # a new review period from the resubmission
