"""The supervisors' overview: the campaigns they supervise, a page at a time, each with its units counted per flag.

The flags come from `flag_snapshots`: the timer worker keeps each open campaign's flags computed, so a visit reads
them (a fingerprint statement for the page and one snapshot read) instead of flagging ten campaigns' units on a web
thread; a campaign that has just changed is flagged afresh by the visit that sees the change.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Campaign, User
from ..paging import Paged
from . import board, flag_snapshots
from .board import MAX_PER_PAGE
from .scope import supervised_campaign_ids, supervised_units

OVERVIEW_PER_PAGE = 10


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
    supervised = supervised_campaign_ids(session, user, trees)
    start = (page - 1) * per_page
    chosen = supervised[start:start + per_page]
    found = {c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(chosen)))} if chosen else {}
    shown = [found[campaign_id] for campaign_id in chosen if campaign_id in found]
    units = {campaign.id: supervised_units(session, user, campaign, trees) for campaign in shown}
    flags = flag_snapshots.unit_flags(session, shown, units, trees)
    rows = []
    for campaign in shown:
        counts: dict[str, int] = {}
        for flag in flags[campaign.id].values():
            counts[flag] = counts.get(flag, 0) + 1
        rows.append(CampaignSummary(campaign, len(units[campaign.id]), counts))
    return Overview(rows, len(supervised), page, per_page)


def forget() -> None:
    """Drop this process's kept flags and dashboard rows (tests: a new test's database may repeat an earlier one's
    ids and versions)."""
    flag_snapshots.forget()
    board.forget()
