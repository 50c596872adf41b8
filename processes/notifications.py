"""Notifications: in-app rows (the bell) and, when SMTP is configured, e-mail sent after the transaction commits.

Who is told what: the holders of a role in a unit when a task lands in their queue (or comes back to it), the
unit before and at its deadline, the receiving level's TĐKT section when a dossier is late, the unit when a
decision is made. The diagram signals reminder / late / not submitted / review overdue by throwing BPMN messages
(tdkt.reminder, tdkt.late, tdkt.not_submitted, tdkt.review_overdue); the core turns them into notifications.
"""
from __future__ import annotations

import logging
import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .clock import now
from .contracts import EmailStatus
from .db import unit_of_work
from .executor import Command, execute
from .errors import NotFound
from .models import Notification, User
from .paging import COUNT_CAP, CappedPaged

log = logging.getLogger(__name__)

KIND_LABELS = {
    "task_assigned": "Nhiệm vụ mới", "task_returned": "Hồ sơ bị trả lại", "reminder": "Sắp đến hạn",
    "late": "Quá hạn nộp hồ sơ", "review_overdue": "Quá hạn xem xét", "decided": "Đã có quyết định",
    "not_submitted": "Hồ sơ bị đóng",
    # processes/interventions.py and processes/digest.py
    "supervision_reminder": "Nhắc nhở của cấp giám sát", "deadline_extended": "Gia hạn nộp hồ sơ",
    "case_suspended": "Hồ sơ tạm dừng", "case_cancelled": "Hồ sơ bị hủy", "supervision_digest": "Tổng hợp giám sát",
    # processes/assignment.py, processes/delegation.py, processes/comments.py
    "task_handed": "Được giao nhiệm vụ", "delegation": "Được ủy quyền", "mention": "Được nhắc đến",
}
UNREAD_CAP = 99  # the bell shows "99+"


def mail_enabled() -> bool:
    return bool(os.environ.get("TDKT_SMTP_HOST"))


def email_status() -> str:
    """What a new notice's e-mail column starts as: pending for the worker's mailer, or none when mail is off."""
    return (EmailStatus.PENDING if mail_enabled() else EmailStatus.NONE).value


def unread_count(session: Session, user_id: int) -> int:
    """Capped so the bell's query stays a short index range however much piles up."""
    capped = select(Notification.id).where(Notification.user_id == user_id, Notification.read_at.is_(None)) \
        .limit(UNREAD_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(capped))


@dataclass
class NotificationPage(CappedPaged):
    items: list[Notification]
    total: int  # exact up to COUNT_CAP; COUNT_CAP + 1 means "more than COUNT_CAP"
    unread: int  # capped at UNREAD_CAP + 1, as on the bell
    page: int
    per_page: int


def page_for(session: Session, user_id: int, page: int = 1, per_page: int = 20,
             unread_only: bool = False) -> NotificationPage:
    """Newest first, served by ix_notifications_user (user_id, id); counts are capped like the inbox's."""
    page, per_page = max(1, page), max(1, min(per_page, 200))
    where = [Notification.user_id == user_id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    items = list(session.scalars(select(Notification).where(*where).order_by(Notification.id.desc())
                                 .offset((page - 1) * per_page).limit(per_page)))
    counted = select(Notification.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(counted))
    return NotificationPage(items, total, unread_count(session, user_id), page, per_page)


class MarkRead(Command):
    """Mark the reader's notifications read (these ids, or all). The statement itself is confined to the reader's
    rows: another user's ids are silently not theirs to mark, and nothing about them is said."""
    name = "mark_notifications_read"

    def __init__(self, user_id: int, ids: list[int] | None):
        self.user_id, self.ids = user_id, ids

    def authorize(self, tx, target):
        if tx.actor is not None and tx.actor.id != self.user_id:
            raise NotFound("Không tìm thấy thông báo.")

    def run(self, tx, target):
        stmt = update(Notification).where(Notification.user_id == self.user_id, Notification.read_at.is_(None))
        if self.ids is not None:
            stmt = stmt.where(Notification.id.in_(self.ids))
        return tx.session.execute(stmt.values(read_at=now()).execution_options(synchronize_session=False)).rowcount


def mark_read(session: Session, user_id: int, ids: list[int] | None = None) -> int:
    return execute(session, None, MarkRead(user_id, ids))


class OpenNotification(Command):
    """Mark one of the reader's notifications read and return where it points (404 for anyone else's)."""
    name = "open_notification"

    def __init__(self, user_id: int, notification_id: int):
        self.user_id, self.notification_id = user_id, notification_id

    def target(self, tx):
        return tx.session.scalar(select(Notification.link).where(Notification.id == self.notification_id,
                                                                 Notification.user_id == self.user_id))

    def authorize(self, tx, link):
        if link is None:
            raise NotFound("Không tìm thấy thông báo.")

    def run(self, tx, link):
        MarkRead(self.user_id, [self.notification_id]).run(tx, None)
        return link


def open_one(session: Session, user_id: int, notification_id: int) -> str:
    return execute(session, None, OpenNotification(user_id, notification_id))


def deliver_mail(session: Session, batch: int = 50) -> int:
    """Send pending e-mails over SMTP (TDKT_SMTP_HOST, TDKT_SMTP_PORT, TDKT_MAIL_FROM, optional TDKT_SMTP_USER /
    TDKT_SMTP_PASSWORD / TDKT_SMTP_STARTTLS). Runs outside any case transaction: a slow mail server never holds a
    case lock. Returns how many were sent."""
    if not mail_enabled():
        return 0
    rows = session.execute(
        select(Notification.id, Notification.message, Notification.link, Notification.kind, User.email)
        .join(User, User.id == Notification.user_id)
        .where(Notification.email_status == "pending").order_by(Notification.id).limit(batch)).all()
    if not rows:
        return 0
    sent, failed, no_address = [], [], []
    with smtplib.SMTP(os.environ["TDKT_SMTP_HOST"], int(os.environ.get("TDKT_SMTP_PORT", "25")), timeout=10) as smtp:
        if os.environ.get("TDKT_SMTP_STARTTLS"):
            smtp.starttls()
        if os.environ.get("TDKT_SMTP_USER"):
            smtp.login(os.environ["TDKT_SMTP_USER"], os.environ.get("TDKT_SMTP_PASSWORD", ""))
        for row in rows:
            if not row.email:
                no_address.append(row.id)
                continue
            mail = EmailMessage()
            mail["From"] = os.environ.get("TDKT_MAIL_FROM", "tdkt-flow@localhost")
            mail["To"] = row.email
            mail["Subject"] = f"[TĐKT Flow] {KIND_LABELS.get(row.kind, row.kind)}"
            base = os.environ.get("TDKT_BASE_URL", "")
            mail.set_content(f"{row.message}\n\n{base}{row.link}\n")
            try:
                smtp.send_message(mail)
                sent.append(row.id)
            except smtplib.SMTPException as exc:  # one bad address must not stop the others
                log.warning("mail %s failed: %s", row.id, exc)
                failed.append(row.id)
    with unit_of_work(session):
        if sent:
            session.execute(update(Notification).where(Notification.id.in_(sent)).values(email_status="sent"))
        if failed:
            session.execute(update(Notification).where(Notification.id.in_(failed)).values(email_status="failed"))
        if no_address:
            session.execute(update(Notification).where(Notification.id.in_(no_address))
                            .values(email_status="no_address"))
    return len(sent)
