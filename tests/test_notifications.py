"""Notifications: the bell and its page, the API, e-mail through a real local SMTP server, and timer incidents shown
on the case page with the administrator's retry."""
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from processes import timer_worker
from processes.db import unit_of_work
from processes.models import CaseTimer, Notification, User
from processes.notifications import deliver_mail
from tests.conftest import csrf_of
from tests.factories import shown
from tests.test_case_flow_http import NOMINEES, ids, inbox_task, submit


def start(browser, session, unit_code="vks-qb-dong-hoi", campaign_code="qb-1532-2024"):
    campaign_id, unit_id = ids(session, campaign_code, unit_code)
    staff = browser(f"{unit_code}.canbo")
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert submit(staff, inbox_task(staff), NOMINEES).status_code == 302
    return case_id


def unread(session, username):
    return session.scalars(select(Notification).join(User).where(
        User.username == username, Notification.read_at.is_(None)).order_by(Notification.id)).all()


def test_the_bell_counts_lists_and_marks_read(app, session, browser):
    case_id = start(browser, session)
    secretary = browser("vks-qb-dong-hoi.thuky")
    assert [n.kind for n in unread(session, "vks-qb-dong-hoi.thuky")] == ["task_assigned"]
    assert unread(session, "vks-qb-dong-hoi.canbo") == []  # the person who acted is not told of their own step

    home = secretary.get("/").get_data(as_text=True)
    assert '<span class="position-absolute top-0 start-100 translate-middle badge rounded-pill bg-danger unread-count">1</span>' in home
    page = secretary.get("/notifications").get_data(as_text=True)
    assert "Nhiệm vụ mới «Lập biên bản họp bình xét»" in page and f"hồ sơ #{case_id}" in page
    assert "chưa đọc" in page

    notification = unread(session, "vks-qb-dong-hoi.thuky")[0]
    other = browser("vks-qb-dong-hoi.hoidong")  # someone else's notification is not theirs to open
    response = other.post_form("/", f"/notifications/{notification.id}/open", {})
    assert response.status_code == 404 and "Không tìm thấy thông báo." in shown(response)
    assert "Lập biên bản" not in shown(response)
    response = secretary.post_form("/notifications", f"/notifications/{notification.id}/open", {})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case_id}")
    assert unread(session, "vks-qb-dong-hoi.thuky") == []
    assert "unread-count" not in secretary.get("/").get_data(as_text=True)
    assert "Không có thông báo chưa đọc" in secretary.get("/notifications?unread=1").get_data(as_text=True)


def test_empty_bell_and_mark_all(app, session, browser):
    head = browser("vks-qb-dong-hoi.thutruong")
    assert "Chưa có thông báo nào" in head.get("/notifications").get_data(as_text=True)
    start(browser, session, "vks-dn-hai-chau", "dn-cds-so-ket-2024")
    start(browser, session, "vks-dn-hai-chau", "dn-cds-tong-ket-2025")
    secretary = browser("vks-dn-hai-chau.thuky")
    assert len(unread(session, "vks-dn-hai-chau.thuky")) == 2
    assert secretary.post_form("/notifications", "/notifications/read", {}).status_code == 302
    assert unread(session, "vks-dn-hai-chau.thuky") == []


def test_notifications_api(app, session, browser, api):
    start(browser, session, "vks-dn-hai-chau", "dn-cds-so-ket-2024")
    start(browser, session, "vks-dn-hai-chau", "dn-cds-tong-ket-2025")
    client = api("vks-dn-hai-chau.thuky")
    body = client.get("/api/notifications?per_page=1").get_json()
    assert body["unread"] == 2 and body["total"] == 2 and body["pages"] == 2 and not body["unread_capped"]
    first = body["items"][0]
    assert first["kind"] == "task_assigned" and first["label"] == "Nhiệm vụ mới" and first["read_at"] is None
    assert first["created_at"].endswith("+07:00")

    stranger = api("vks-dn-son-tra.thuky")
    assert stranger.post("/api/notifications/read", json={"ids": [first["id"]]}).get_json()["marked"] == 0
    response = client.post("/api/notifications/read", json={"ids": "all"})
    assert response.status_code == 400 and response.get_json() == {
        "error": "invalid", "message": "ids phải là danh sách số nguyên (bỏ trống để đánh dấu tất cả)."}
    marked = client.post("/api/notifications/read", json={"ids": [first["id"]]}).get_json()
    assert marked == {"marked": 1, "unread": 1}
    assert client.get("/api/notifications?unread=1").get_json()["total"] == 1
    assert client.post("/api/notifications/read").get_json() == {"marked": 1, "unread": 0}
    response = app.test_client().get("/api/notifications")
    assert response.status_code == 401 and response.get_json() == {
        "error": "unauthorized", "message": "Cần token API (Authorization: Bearer …)."}


# --- e-mail ------------------------------------------------------------------------------------------------------

class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("TDKT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TDKT_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("TDKT_MAIL_FROM", "tdkt@vks.quangbinh.gov.vn")
    monkeypatch.setenv("TDKT_BASE_URL", "https://tdkt.example.vn")
    yield inbox
    controller.stop()


def test_mail_goes_out_through_smtp_after_the_commit(app, session, browser, smtp):
    with unit_of_work(session):
        session.execute(update(User).where(User.username == "vks-qb-dong-hoi.thuky")
                        .values(email="thuky.donghoi@vks.quangbinh.gov.vn"))
    case_id = start(browser, session)
    assert smtp.messages == []  # nothing is sent inside the request's transaction
    pending = session.scalars(select(Notification).where(Notification.email_status == "pending")).all()
    assert len(pending) >= 1

    assert deliver_mail(session) == 1
    (recipients, mail), = smtp.messages
    assert recipients == ["thuky.donghoi@vks.quangbinh.gov.vn"]
    assert mail["Subject"] == "[TĐKT Flow] Nhiệm vụ mới" and mail["From"] == "tdkt@vks.quangbinh.gov.vn"
    body = mail.get_content()
    assert "Nhiệm vụ mới «Lập biên bản họp bình xét»" in body and f"https://tdkt.example.vn/cases/{case_id}" in body
    statuses = {n.email_status for n in session.scalars(select(Notification).execution_options(populate_existing=True))}
    assert statuses == {"sent"} or statuses == {"sent", "no_address"}  # people without an address are skipped
    assert deliver_mail(session) == 0  # each mail once


def test_mail_server_down_keeps_mail_pending(app, session, browser, monkeypatch):
    monkeypatch.setenv("TDKT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TDKT_SMTP_PORT", str(free_port()))  # nobody listens there
    start(browser, session)
    with pytest.raises(OSError):
        deliver_mail(session)
    assert {n.email_status for n in session.scalars(select(Notification))} == {"pending"}


# --- incidents -------------------------------------------------------------------------------------------------------

def test_an_incident_shows_on_the_case_page_and_the_admin_retries_it(app, session, browser):
    case_id = start(browser, session)
    with unit_of_work(session):
        session.execute(update(CaseTimer).where(CaseTimer.case_id == case_id, CaseTimer.bpmn_id == "deadline_timer")
                        .values(status="incident", attempts=1, last_error="WorkflowFailed: NameError: deadline_at"))

    staff_page = browser("vks-qb-dong-hoi.canbo").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Sự cố hẹn giờ" in staff_page and "NameError: deadline_at" in staff_page
    assert "Chạy lại bộ hẹn giờ" not in staff_page
    staff = browser("vks-qb-dong-hoi.canbo")
    response = staff.post_form(f"/cases/{case_id}", f"/cases/{case_id}/timers/retry", {})
    assert response.status_code == 403 and "Chỉ quản trị viên được chạy lại bộ hẹn giờ bị lỗi." in shown(response)

    admin = browser("admin")
    assert "Chạy lại bộ hẹn giờ" in admin.get(f"/cases/{case_id}").get_data(as_text=True)
    response = admin.post_form(f"/cases/{case_id}", f"/cases/{case_id}/timers/retry", {})
    assert response.status_code == 302
    assert [t.status for t in timer_worker.incidents(session)] == []
    page = admin.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Sự cố hẹn giờ" not in page.split("Nhật ký xử lý")[0] and "Chạy lại hẹn giờ" in page
    assert "Hẹn giờ đang chờ" in page and "Hết hạn nộp hồ sơ" in page and "23/08/2024" in page
