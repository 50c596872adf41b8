"""The inbox people live in, in a real browser (Debian's Chromium through Playwright): two users of one unit in one
inbox — one claims with the checkboxes, the other sees the task go (and come back) without reloading; delegating
on the delegations page; a comment with an @mention picked from the autocomplete. At 1366 and 390 px; screenshots
go to /tmp/shots-inbox/."""
import os

import pytest
from sqlalchemy import select

from processes import cases
from processes.models import CaseComment, Notification, OpenTask
from tests.factories import start, user
from tests.test_browser import chromium, live, login, watched  # noqa: F401  (fixtures)
from tests.test_inbox_teamwork import COLLEAGUE, OWNER, add_user

SHOTS = "/tmp/shots-inbox"


def shot(page, name, full_page=True):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=full_page)


@pytest.fixture
def pages(live):
    """pages(n) → n pages, each in its own browser context (its own cookies: its own signed-in user)."""
    made = []
    with chromium() as browser:
        def make(n):
            for _ in range(n):
                context = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 900})
                made.append(watched(context.new_page(), live))
            return made[-n:]

        yield make
    violations = [v for page in made for v in page.csp_violations]
    assert violations == [], violations


@pytest.fixture
def colleague(session):
    return add_user(session, COLLEAGUE, "Nguyễn Văn Hai", ("vks-qb-dong-hoi", "unit_staff"))


def no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_two_users_in_one_inbox_one_claims_the_other_sees_it_go_without_reloading(pages, session, app, colleague):
    app.config["TDKT_INBOX_POLL_MS"] = 300
    case = start(session, "vks-qb-dong-hoi")
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    me, mate = pages(2)
    login(me, OWNER)
    login(mate, COLLEAGUE)
    row = f'tr[data-task="{task_id}"]'
    assert me.locator(row).count() == 1 and mate.locator(row).count() == 1
    me.evaluate("window.__notReloaded = true")

    # the colleague ticks the task and claims it with the bulk bar
    mate.wait_for_load_state("load")
    mate.check(f'{row} input.bulk-task')
    assert mate.inner_text("#bulk-count") == "1"
    mate.click('.bulk-bar button[value="claim"]')
    mate.wait_for_url(mate.base + "/")
    flashes = mate.inner_text("main")
    assert "Nhận xử lý: 1/1 nhiệm vụ thành công." in flashes
    assert f"#{task_id} «Đăng ký danh sách đề nghị khen thưởng»: Đã nhận xử lý." in flashes
    assert mate.inner_text(f"{row} td:nth-child(5)") == "Tôi"
    shot(mate, "1-bulk-claimed-1366")

    # my open inbox drops it by itself, and says why
    me.locator(row).wait_for(state="detached")
    assert me.evaluate("window.__notReloaded") is True
    assert "Hộp việc vừa được cập nhật" in me.inner_text("#inbox-live")
    assert "Không có nhiệm vụ nào đang chờ bạn." in me.inner_text("#inbox-list")
    shot(me, "2-inbox-refreshed-1366")

    # released again (elsewhere): it comes back, still without a reload — at phone width
    me.set_viewport_size({"width": 390, "height": 844})
    cases.release_task(session, colleague, task_id)
    me.locator(row).wait_for()
    assert me.evaluate("window.__notReloaded") is True
    no_sideways_scroll(me, 390)
    shot(me, "3-inbox-back-390")


def test_delegating_and_mentioning_in_the_browser(pages, session, app, colleague):
    case = start(session, "vks-qb-dong-hoi")
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    owner = user(session, OWNER)
    cases.claim_task(session, owner, task_id)
    (page,) = pages(1)
    login(page, OWNER)

    page.goto(page.base + "/delegations")
    page.select_option("#d-delegate", str(colleague.id))
    page.fill("#d-end", "30/08/2024")
    page.fill("#d-reason", "Đi công tác Hà Nội")
    page.click(".delegation-form button.submit-once")
    page.wait_for_url("**/delegations")
    assert "Đã ủy quyền cho Nguyễn Văn Hai từ 16/08/2024 đến 30/08/2024." in page.inner_text("main")
    assert "Đang hiệu lực" in page.inner_text("table.delegations")
    shot(page, "4-delegations-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    no_sideways_scroll(page, 390)
    shot(page, "5-delegations-390")

    # the delegate's inbox and task page, on a phone: marked, and theirs to complete or hand on
    page.context.clear_cookies()
    login(page, COLLEAGUE)
    assert page.inner_text(f'tr[data-task="{task_id}"] .delegated-mark') == f"ủy quyền từ {owner.full_name}"
    no_sideways_scroll(page, 390)
    shot(page, "5b-delegate-inbox-390")
    page.goto(f"{page.base}/tasks/{task_id}")
    assert page.inner_text(".delegated-note").startswith(f"Bạn xử lý nhiệm vụ này theo ủy quyền từ {owner.full_name}")
    assert page.locator("form.task-form button.submit-once").is_enabled()
    assert page.locator(".assign-form select option").count() == 2  # the owner and the colleague, nobody else
    no_sideways_scroll(page, 390)
    shot(page, "5c-delegate-task-390")
    page.context.clear_cookies()
    login(page, OWNER)

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{page.base}/cases/{case.id}")
    page.wait_for_load_state("load")
    page.click("#comment-body")
    page.keyboard.type("Nhờ @dong-hoi.th")
    page.locator(".mention-option").first.wait_for()
    assert [o.get_attribute("data-username") for o in page.locator(".mention-option").all()] == [
        "vks-qb-dong-hoi.thuky", "vks-qb-dong-hoi.thutruong"]
    shot(page, "6-mention-autocomplete-1366", full_page=False)
    page.keyboard.press("Enter")
    page.keyboard.type("bổ sung biên bản <b>gấp</b>")
    assert page.input_value("#comment-body") == "Nhờ @vks-qb-dong-hoi.thuky bổ sung biên bản <b>gấp</b>"
    page.click(".comment-form button.submit-once")
    page.wait_for_url(f"**/cases/{case.id}#comment-*")
    comment = session.scalar(select(CaseComment))
    assert page.inner_text(f"#comment-{comment.id}") == "Nhờ @vks-qb-dong-hoi.thuky bổ sung biên bản <b>gấp</b>"
    assert page.locator(f"#comment-{comment.id} b").count() == 0  # text, not markup
    assert session.scalar(select(Notification.kind).where(Notification.kind == "mention")) == "mention"
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    no_sideways_scroll(page, 390)
    page.locator("#comments").scroll_into_view_if_needed()
    shot(page, "7-case-comments-390")
