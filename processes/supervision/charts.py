"""The supervisors' charts: submissions over time against the deadline, units per step, on time vs late per group.

Same rows as the dashboard (`board.unit_rows`, a few statements scoped by the campaign) plus one more: the moment each
unit case first completed its submission step (`submit_dossier`), read from the audit trail joined through the
campaign's cases (`uq_cases_campaign_unit_kind`, then `ix_audit_case`) and grouped in SQL — one row per submitted
case, no workflow deserialised. The first submission counts: a dossier returned for corrections and sent again was
still sent on that day. A case whose unit part is done but which has no such event (a dossier that reached the
receiving level another way) counts as submitted on time, without a day on the curve.

Groups: one bar per supervised unit when there are at most `MAX_UNIT_BARS`; above that (a supreme-level supervisor
watching whole provinces) one bar per parent unit (district → province), named in one statement over those parents.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..contracts import CaseKind, TaskId
from ..models import AuditEvent, Campaign, Case, Unit, User
from . import board
from .flags import Flag
from .scope import campaign_for

MAX_UNIT_BARS = 24
MAX_STEP_BARS = 12
AFTER_DEADLINE_DAYS = 30
MAX_DAYS = 400  # the curve's span in days; a campaign longer than this shows its last MAX_DAYS days
SUBMITTED_FLAGS = (Flag.SUBMITTED, Flag.DECIDED)
OUTCOMES = ("on_time", "late", "overdue", "pending")
OUTCOME_LABELS = {"on_time": "Nộp đúng hạn", "late": "Nộp trễ hạn", "overdue": "Quá hạn, chưa nộp",
                  "pending": "Chưa nộp, còn hạn"}


@dataclass
class Group:
    label: str
    counts: dict[str, int] = field(default_factory=lambda: {k: 0 for k in OUTCOMES})


@dataclass
class Charts:
    campaign: Campaign
    units: int  # supervised participating units (the curve's target line)
    deadline: dt.date | None  # the campaign's last receiving day (Việt Nam)
    days: list[dt.date]  # the curve's x axis, one label per day
    daily: list[int]  # submissions per day
    cumulative: list[int | None]  # submitted so far (None after today: the future is not drawn)
    steps: list[board.StepCount]
    grouped_by: str  # "unit" | "parent"
    groups: list[Group]


_SUBMISSIONS = (select(AuditEvent.case_id, func.min(AuditEvent.at))
                .join(Case, Case.id == AuditEvent.case_id)
                .where(Case.kind == CaseKind.UNIT, AuditEvent.action == "task_completed",
                       AuditEvent.task_bpmn_id == TaskId.SUBMIT_DOSSIER)
                .group_by(AuditEvent.case_id))


def first_submissions(session: Session, campaign_id: int) -> dict[int, dt.datetime]:
    """case id → when the unit first sent its dossier, for the campaign's unit cases that did."""
    return dict(session.execute(_SUBMISSIONS.where(Case.campaign_id == campaign_id)).all())


def outcome(row: board.UnitRow, submitted_at: dt.datetime | None, now: dt.datetime) -> str | None:
    """on_time | late | overdue | pending for one unit (None: its case was cancelled, it is out of the count)."""
    if row.flag == Flag.CANCELLED:
        return None
    if submitted_at is not None:
        return "late" if row.deadline and submitted_at > row.deadline else "on_time"
    if row.flag in SUBMITTED_FLAGS:
        return "on_time"
    if row.flag in (Flag.OVERDUE, Flag.CLOSED) or (row.deadline and now > row.deadline):
        return "overdue"
    return "pending"


def charts(session: Session, user: User, campaign_id: int) -> Charts:
    campaign, units = campaign_for(session, user, campaign_id)  # 403 / 404 as the dashboard
    rows = board.unit_rows(session, campaign, units, with_holders=False)
    sent = first_submissions(session, campaign.id)
    now = clock.now()
    moments = {r.unit_id: sent[r.case_id] for r in rows if r.case_id in sent}
    days, daily, cumulative = _curve(campaign.deadline, sorted(moments.values()), clock.to_local(now).date())
    grouped_by, groups = _groups(session, units, rows, moments, now)
    return Charts(campaign, len(rows), campaign.deadline, days, daily, cumulative,
                  board.step_counts(rows)[:MAX_STEP_BARS], grouped_by, groups)


def _curve(deadline: dt.date | None, moments: list[dt.datetime], today: dt.date):
    """One point per day from the first submission (or a fortnight before the deadline) to the deadline or the last
    submission, whichever is later — or today, up to a month past the deadline."""
    local = [clock.to_local(m).date() for m in moments]
    anchors = local + ([deadline] if deadline else []) + ([] if local or deadline else [today])
    start = min(anchors + ([deadline - dt.timedelta(days=14)] if deadline and not local else []))
    end = max(anchors)
    if deadline and today > end:  # after the deadline: the days since, up to a month, show who is still missing
        end = min(today, deadline + dt.timedelta(days=AFTER_DEADLINE_DAYS))
    start = max(start, end - dt.timedelta(days=MAX_DAYS))
    per_day: dict[dt.date, int] = {}
    for day in local:
        per_day[max(day, start)] = per_day.get(max(day, start), 0) + 1
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    daily, cumulative, total = [], [], 0
    for day in days:
        total += per_day.get(day, 0)
        daily.append(per_day.get(day, 0))
        cumulative.append(total if day <= today else None)
    return days, daily, cumulative


def _groups(session: Session, units, rows: list[board.UnitRow], moments: dict[int, dt.datetime], now: dt.datetime):
    by_id = {u.id: u for u in units}
    if len(rows) <= MAX_UNIT_BARS:
        key, grouped_by = (lambda r: r.unit_id), "unit"
        names = {u.id: u.display_name for u in units}
    else:
        key, grouped_by = (lambda r: by_id[r.unit_id].parent_id), "parent"
        parents = {u.parent_id for u in units if u.parent_id is not None}
        names = {uid: short or name for uid, short, name in session.execute(
            select(Unit.id, Unit.short_name, Unit.name).where(Unit.id.in_(parents)))}
    groups: dict[int | None, Group] = {}
    for row in rows:
        result = outcome(row, moments.get(row.unit_id), now)
        if result is None:
            continue
        k = key(row)
        group = groups.get(k) or groups.setdefault(k, Group(names.get(k, "Khác")))
        group.counts[result] += 1
    ordered = sorted(groups.values(), key=lambda g: (-(g.counts["late"] + g.counts["overdue"]), g.label.casefold()))
    return grouped_by, ordered
