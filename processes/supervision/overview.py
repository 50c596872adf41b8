"""The supervisors' overview: the campaigns they supervise, a page at a time, each with its units counted per flag.

The counts are the dashboard's unit rows (`board.unit_rows`) counted by flag, which costs ~25 ms of Python per
campaign of 1,000 units: ten campaigns held a web thread for a quarter of a second on every visit, and staff
requests in the same worker waited (bench/load.py). So each campaign's counts are kept in this process, keyed by
everything they are computed from that can change —
  - the campaign's unit cases and their open tasks, by one aggregate statement (every change a verb makes to a case
    bumps its version; a task that opens or closes changes the task ids; a moved step its time);
  - the campaign's deadline, stall threshold and summary (dates, participants), and the supervised units;
  - the minute (`FRESH`): the flags that move with the clock alone (overdue, stalled, at risk) lag at most that.
A change is therefore counted at the next visit, from any worker or machine; only the passing of time is cached.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from .. import clock
from ..contracts import CaseKind
from ..models import Campaign, Case, OpenTask, User
from ..paging import Paged
from .board import MAX_PER_PAGE, unit_rows
from .scope import ScopedUnit, supervised_campaigns, supervised_units

OVERVIEW_PER_PAGE = 10
FRESH = 60  # seconds the time-driven flags of a campaign's counts may lag
_KEPT = 512  # campaigns' counts kept per process (a few hundred bytes each)


@dataclass
class CampaignSummary:
    campaign: Campaign
    units: int  # supervised participating units
    counts: dict[str, int]  # per flag


@dataclass
class Overview(Paged):
    rows: list[CampaignSummary]  # this page
    total: int  # campaigns with units the user supervises
    page: int
    per_page: int


def overview(session: Session, user: User, page: int = 1, per_page: int = OVERVIEW_PER_PAGE) -> Overview:
    """The campaigns the user supervises, newest deadline first, a page at a time, each with its units counted per
    flag — for the page's campaigns only: a province holds a round a year (or more), and the overview must not
    compute every past round's units on every visit."""
    page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
    trees: dict = {}
    supervised = supervised_campaigns(session, user, trees)
    start = (page - 1) * per_page
    rows = []
    for campaign in supervised[start:start + per_page]:
        units = supervised_units(session, user, campaign, trees)
        rows.append(CampaignSummary(campaign, len(units), flag_counts(session, campaign, units)))
    return Overview(rows, len(supervised), page, per_page)


# One statement per campaign: an aggregate that any change to its unit cases or their open tasks moves.
_FINGERPRINT = (select(func.count(Case.id), func.coalesce(func.sum(Case.version), 0), func.max(Case.updated_at),
                       func.count(OpenTask.id), func.coalesce(func.sum(OpenTask.id), 0),
                       func.min(OpenTask.created_at), func.max(OpenTask.created_at))
                .select_from(Case).outerjoin(OpenTask, OpenTask.case_id == Case.id)
                .where(Case.campaign_id == bindparam("campaign_id"), Case.kind == CaseKind.UNIT))

_kept: dict[tuple, dict[str, int]] = {}
_lock = threading.Lock()


def flag_counts(session: Session, campaign: Campaign, units: list[ScopedUnit]) -> dict[str, int]:
    """How many of `units` carry each flag in `campaign`, from this process's copy while nothing it reads changed."""
    fingerprint = tuple(session.execute(_FINGERPRINT, {"campaign_id": campaign.id}).one())
    key = (str(session.get_bind().url), campaign.id, fingerprint, campaign.deadline_at, campaign.stall_working_days,
           json.dumps(campaign.summary or {}, sort_keys=True, default=str), tuple(u.id for u in units),
           int(clock.now().timestamp()) // FRESH)
    with _lock:
        kept = _kept.get(key)
    if kept is not None:
        return dict(kept)
    counts: dict[str, int] = {}
    for row in unit_rows(session, campaign, units, with_holders=False):
        counts[row.flag] = counts.get(row.flag, 0) + 1
    with _lock:
        if len(_kept) >= _KEPT:
            _kept.clear()  # a bound, not an LRU: the next visits fill it again with what is looked at
        _kept[key] = counts
    return dict(counts)


def forget() -> None:
    """Drop the kept counts (tests: a new test's database may repeat an earlier one's ids and versions)."""
    with _lock:
        _kept.clear()
