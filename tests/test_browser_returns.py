"""The staff's way through a dossier in a real browser (Debian's Chromium through Playwright): a nominee under
discipline refused at registration with the message beside the field, the quota counter following the rows, and the
head returning the list to the staff — who read why on top of their task, fix it, and the case goes on.
Screenshots go to /tmp/shots-staff/."""
import os

from sqlalchemy import select

from processes.models import Case, OpenTask
from tests.factories import MEETING, all_for, complete, person
from tests.test_browser import fill_report, login, live, page  # noqa: F401  (fixtures)

SHOTS = "/tmp/shots-staff"
REASON = "Trần Thị Thủy đang bị xem xét kỷ luật: đề nghị bỏ khỏi danh sách, thay bằng Hoàng Văn Nam."


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def as_user(page, username):
    page.context.clear_cookies()
    login(page, username)


def open_task(page, session, case_id):
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case_id))
    page.goto(f"{page.base}/tasks/{task_id}")
    return task_id


def register(page, name, *, discipline=False):
    page.select_option('[name="nominees.0.kind"]', "individual")
    page.fill('[name="nominees.0.name"]', name)
    page.select_option('[name="nominees.0.award_form"]', "bang_khen_vkstc")
    page.fill('[name="nominees.0.achievement_summary"]', "Xây dựng phần mềm quản lý án, áp dụng từ 01/2024.")
    fill_report(page, 0, name)
    if discipline:
        page.check('[name="nominees.0.under_discipline"]')
    else:
        page.uncheck('[name="nominees.0.under_discipline"]')


def test_refused_at_registration_returned_by_the_head_fixed_and_on(page, session):
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, "vks-qb-dong-hoi.canbo")
    page.goto(page.base + "/campaigns")
    page.click('[data-campaign="qb-1532-2024"] button.submit-once')
    page.wait_for_url("**/cases/*")
    case_id = int(page.url.rsplit("/", 1)[1])
    open_task(page, session, case_id)

    # only the campaign's own award form is offered
    offered = page.locator('[name="nominees.0.award_form"] option').all_inner_texts()
    assert offered == ["— Chọn —", "Bằng khen của Viện trưởng VKSND tối cao"]
    # the counter follows the rows as they are typed
    counter = page.locator("#quota-counters li").first
    assert counter.inner_text().endswith("Tập thể: 0/3")
    page.select_option('[name="nominees.0.kind"]', "collective")
    assert counter.inner_text().endswith("Tập thể: 0/3")  # counted once its award form is the quota's
    page.select_option('[name="nominees.0.award_form"]', "bang_khen_vkstc")
    assert counter.inner_text().endswith("Tập thể: 1/3")

    register(page, "Trần Thị Thủy", discipline=True)
    page.click("button.submit-once")
    page.wait_for_selector(".field-error")
    beside = page.locator('#f-nominees-0-under_discipline ~ .field-error').inner_text()
    assert beside.startswith("«Trần Thị Thủy» đang bị xử lý kỷ luật: không đủ điều kiện đề nghị khen thưởng")
    assert beside in page.inner_text("#form-errors")
    page.locator("#f-nominees-0-under_discipline").scroll_into_view_if_needed()
    shot(page, "1-refused-at-registration")

    # Say the staff member then registers her anyway without the flag: the head, who knows, returns the list.
    register(page, "Trần Thị Thủy")
    page.click("button.submit-once")
    page.wait_for_url(page.base + "/")
    case = session.get(Case, case_id)
    complete(session, case, "vks-qb-dong-hoi.thuky", {**MEETING, **all_for([person("Trần Thị Thủy")])})
    complete(session, case, "vks-qb-dong-hoi.hoidong", {"council_decision": "approve"})

    as_user(page, "vks-qb-dong-hoi.thutruong")
    open_task(page, session, case_id)
    page.select_option('[name="head_decision"]', "return")
    page.select_option('[name="return_to"]', "nominees")
    page.fill('[name="head_reason"]', REASON)
    shot(page, "2-head-returns")
    page.click("button.submit-once")
    page.wait_for_url(page.base + "/")

    as_user(page, "vks-qb-dong-hoi.canbo")
    bell = page.goto(page.base + "/notifications")
    assert REASON in page.inner_text("main")  # the notice says why
    open_task(page, session, case_id)
    note = page.inner_text("#returned-note")
    assert "Hồ sơ bị trả lại từ bước «Trình hồ sơ đề nghị khen thưởng (tờ trình)»" in note and REASON in note
    shot(page, "3-returned-task")
    page.fill('[name="nominees.0.name"]', "Hoàng Văn Nam")
    fill_report(page, 0, "Hoàng Văn Nam")
    page.click("button.submit-once")
    page.wait_for_url(page.base + "/")

    case = session.get(Case, case_id, populate_existing=True)
    assert [n["name"] for n in case.data["nominees"]] == ["Hoàng Văn Nam"]
    complete(session, case, "vks-qb-dong-hoi.thuky", {**MEETING, **all_for([person("Hoàng Văn Nam")])})
    complete(session, case, "vks-qb-dong-hoi.hoidong", {"council_decision": "approve"})
    as_user(page, "vks-qb-dong-hoi.thutruong")
    open_task(page, session, case_id)
    assert page.locator("#returned-note").count() == 0  # reached in the ordinary way this time
    for field, value in (("submission_number", "15/TTr-VKS"), ("submission_date", "20/08/2024"),
                         ("signer_name", "Lê Văn Hùng"), ("signer_title", "Viện trưởng")):
        page.fill(f'[name="{field}"]', value)
    page.click("button.submit-once")
    page.wait_for_url(page.base + "/")
    assert session.scalars(select(OpenTask.bpmn_id).where(OpenTask.case_id == case_id)).all() == ["provincial_check"]
    page.goto(f"{page.base}/cases/{case_id}")
    shot(page, "4-case-goes-on")


def test_the_inbox_filters_at_desktop_and_phone_width(page, session):
    from tests.factories import start

    for unit in ("vks-qb-dong-hoi",):
        start(session, unit)
    login(page, "vks-qb-dong-hoi.canbo")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(page.base + "/")
    assert "Chưa ai nhận (1)" in page.inner_text("#f-who")
    page.select_option("#f-who", "unclaimed")
    page.click(".inbox-filters button.btn-primary")
    page.wait_for_url("**who=unclaimed**")
    assert page.locator("table.inbox tbody tr").count() == 1
    page.fill("#f-filter-name", "Việc chưa ai nhận")
    page.click(".save-filter button")
    page.wait_for_selector(".saved-filter")
    assert page.inner_text(".saved-filter a") == "Việc chưa ai nhận"
    shot(page, "5-inbox-filtered")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base + "/?who=others")
    assert "Không có nhiệm vụ nào khớp bộ lọc." in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no horizontal scroll
    shot(page, "6-inbox-phone")


def test_the_task_page_says_when_a_colleague_completed_the_task_meanwhile(page, session, app):
    from processes import cases
    from tests.factories import registered, start
    from tests.test_inbox_filters import colleague

    app.config["TDKT_TASK_POLL_MS"] = 300
    case = start(session, "vks-qb-dong-hoi")
    mate = colleague(session)
    login(page, "vks-qb-dong-hoi.canbo")
    task_id = open_task(page, session, case.id)
    assert page.locator("#task-state").is_hidden()
    cases.claim_task(session, mate, task_id)
    cases.complete_task(session, mate, task_id, {"nominees": [registered(person("Trần Thị Thủy"))]})
    page.locator("#task-state", has_text="hoàn thành lúc").wait_for()
    said = page.inner_text("#task-state")
    assert said.startswith("Nhiệm vụ «Đăng ký danh sách đề nghị khen thưởng» đã được Ngô Thị Hoa hoàn thành lúc")
    assert page.locator("form.task-form button.submit-once").is_disabled()
    page.locator("#task-state").scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/7-completed-elsewhere.png")
