"""The task page in a real browser (Debian's Chromium through Playwright): adding list rows, the double-click
guard, and errors shown beside their fields."""
import os
import shutil
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from processes.models import AuditEvent, Case
from tests.factories import report_fields

CHROMIUM = os.environ.get("TDKT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@contextmanager
def chromium():
    """Debian's Chromium through Playwright (skipped on a machine without it, except in CI), closed afterwards."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required in CI (scripts/ensure-chromium.sh)")
        pytest.skip("no Chromium on this machine")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def watched(page, base: str):
    """A page of the app under test: its base URL, a patient default timeout, and anything the
    Content-Security-Policy blocks collected from the console (the pages must need none of it)."""
    page.set_default_timeout(15000)
    page.base = base
    page.csp_violations = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and page.csp_violations.append(msg.text))
    return page


@pytest.fixture
def page(live):
    with chromium() as browser:
        page = watched(browser.new_page(locale="vi-VN"), live)
        yield page
    assert page.csp_violations == [], page.csp_violations


def login(page, username):
    page.goto(page.base + "/login")
    page.fill("#username", username)
    page.fill("#password", "tdkt@2024")
    page.click("form button.btn-primary")
    page.wait_for_url(page.base + "/")


def test_register_nominees_in_the_browser(page, session):
    login(page, "vks-qb-dong-hoi.canbo")
    page.goto(page.base + "/campaigns")
    page.click('[data-campaign="qb-1532-2024"] button.submit-once')
    page.wait_for_url("**/cases/*")
    page.click("a.fw-semibold >> text=Đăng ký danh sách")
    page.wait_for_url("**/tasks/*")
    page.wait_for_load_state("load")  # the page's deferred scripts run before "load": the button is live

    # Two rows by the "+ Thêm dòng" button; the first left incomplete to see the errors.
    page.click('[data-array="nominees"] button.add-row')
    # the rendered row plus the added one (the campaign's criteria are a list of their own, below)
    assert page.locator('[data-array="nominees"] > .array-rows > .array-row').count() == 2
    page.select_option('[name="nominees.0.kind"]', "individual")
    page.fill('[name="nominees.0.name"]', "Trần Thị Thủy")
    page.select_option('[name="nominees.1.kind"]', "collective")
    page.fill('[name="nominees.1.name"]', "VKSND thành phố Đồng Hới")
    page.select_option('[name="nominees.1.award_form"]', "bang_khen_vkstc")
    page.fill('[name="nominees.1.achievement_summary"]', "Dẫn đầu số hoá hồ sơ, 100% văn bản ký số từ quý I/2024.")
    fill_report(page, 1, "VKSND thành phố Đồng Hới")
    page.click("button.submit-once")
    page.wait_for_selector(".field-error")
    errors = page.locator('[data-field="nominees.0.award_form"] .field-error')
    assert errors.inner_text() == "Trường này là bắt buộc."
    assert page.input_value('[name="nominees.1.name"]') == "VKSND thành phố Đồng Hới"

    page.select_option('[name="nominees.0.award_form"]', "bang_khen_vkstc")
    page.fill('[name="nominees.0.achievement_summary"]', "Xây dựng phần mềm quản lý án, áp dụng từ 01/2024.")
    fill_report(page, 0, "Trần Thị Thủy")
    page.dblclick("button.submit-once")  # an impatient double click submits once
    page.wait_for_url(page.base + "/")
    assert "Đã hoàn thành" in page.inner_text(".alert-success")

    case = session.scalar(select(Case))
    assert [n["name"] for n in case.data["nominees"]] == ["Trần Thị Thủy", "VKSND thành phố Đồng Hới"]
    completions = session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "task_completed"))
    assert completions == 1


def fill_report(page, index: int, name: str) -> None:
    for field, value in report_fields(index, name).items():
        page.fill(f'[name="{field}"]', value)
