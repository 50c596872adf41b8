"""The daily digest: each supervisor is told which of their units became at risk, overdue or stalled since the
last digest (in the app, and by e-mail through the notification rows the worker sends).

`run(session)` looks at every open campaign, one transaction each (a `DigestCampaign` command run by the executor as
the system): it computes every participating unit's flag with the dashboard's own read side, compares it with the
flag the previous digest stored (`supervision_flags`), stores the new ones, and writes one notification per
supervisor — a holder of a supervising role above a unit that newly came to a worrying flag — listing those units.
`run_if_due` does it at most once per day (Việt Nam date), for a worker that calls it on every pass; the command
`flask --app webapp supervision digest` runs it by hand or from cron.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from . import clock
from .contracts import EmailStatus
from .executor import execute
from .models import Campaign, Notification, RoleAssignment, UnitFlag, User
from .notifications import mail_enabled
from .supervision.board import unit_rows
from .supervision.campaign_job import CampaignJob
from .supervision.flags import FLAG_LABELS, WORRYING, Flag
from .supervision.scope import SUPERVISOR_ROLES, participating_units, units_below

LISTED = 8  # units named in one notice; the rest are counted


@dataclass
class DigestReport:
    campaigns: int = 0
    changed: int = 0  # units newly at risk, overdue or stalled
    notices: int = 0
    skipped: bool = False
    per_campaign: dict[str, int] = field(default_factory=dict)


class DigestCampaign(CampaignJob):
    name = "supervision_digest"

    def run(self, tx, campaign) -> tuple[int, int]:
        session = tx.session
        units = participating_units(session, campaign)
        rows = unit_rows(session, campaign, units)
        before = dict(session.execute(select(UnitFlag.unit_id, UnitFlag.flag)
                                      .where(UnitFlag.campaign_id == campaign.id)).all())
        changed = [r for r in rows if r.flag in WORRYING and before.get(r.unit_id) != r.flag]
        session.execute(delete(UnitFlag).where(UnitFlag.campaign_id == campaign.id))
        if rows:
            session.execute(insert(UnitFlag.__table__), [
                dict(campaign_id=campaign.id, unit_id=r.unit_id, flag=r.flag, seen_at=clock.now()) for r in rows])
        if not changed:
            return 0, 0
        notices = []
        below: dict[int, set[int]] = {}
        holders = session.execute(select(RoleAssignment.user_id, RoleAssignment.unit_id)
                                  .join(User, User.id == RoleAssignment.user_id)
                                  .where(RoleAssignment.role.in_(SUPERVISOR_ROLES), User.active)).all()
        watched: dict[int, set[int]] = {}
        for user_id, unit_id in holders:
            if unit_id not in below:
                below[unit_id] = units_below(session, unit_id)
            watched.setdefault(user_id, set()).update(below[unit_id])
        for user_id, scope in watched.items():
            mine = [r for r in changed if r.unit_id in scope]
            if mine:
                notices.append(dict(user_id=user_id, case_id=None, kind="supervision_digest",
                                    message=_message(campaign, mine), link=_link(campaign, mine),
                                    created_at=clock.now(), email_status=_email_status()))
        if notices:
            session.execute(insert(Notification.__table__), notices)
        return len(changed), len(notices)


def _message(campaign: Campaign, rows) -> str:
    counts = {flag: sum(r.flag == flag for r in rows) for flag in WORRYING}
    summary = ", ".join(f"{n} {FLAG_LABELS[Flag(flag)].lower()}" for flag, n in counts.items() if n)
    named = "; ".join(f"{r.unit_name} ({FLAG_LABELS[Flag(r.flag)].lower()})" for r in rows[:LISTED])
    more = f"; và {len(rows) - LISTED} đơn vị khác" if len(rows) > LISTED else ""
    return f"Phong trào «{campaign.name}» — từ lần tổng hợp trước có {summary}: {named}{more}."[:500]


def _link(campaign: Campaign, rows) -> str:
    worst = next(flag for flag in (Flag.OVERDUE, Flag.STALLED, Flag.AT_RISK) if any(r.flag == flag for r in rows))
    return f"/supervision/campaigns/{campaign.id}?flag={worst.value}"


def _email_status() -> str:
    return (EmailStatus.PENDING if mail_enabled() else EmailStatus.NONE).value


def run(session: Session) -> DigestReport:
    report = DigestReport()
    for campaign_id, code in session.execute(select(Campaign.id, Campaign.code).where(Campaign.status == "open")
                                             .order_by(Campaign.id)).all():
        changed, notices = execute(session, None, DigestCampaign(campaign_id))
        report.campaigns += 1
        report.changed += changed
        report.notices += notices
        report.per_campaign[code] = changed
    return report


def run_if_due(session: Session) -> DigestReport:
    """The digest, unless one already ran today (Việt Nam date): what a worker calls on every pass."""
    last = session.scalar(select(func.max(UnitFlag.seen_at)))
    if last is not None and clock.to_local(last).date() == clock.to_local(clock.now()).date():
        return DigestReport(skipped=True)
    return run(session)
