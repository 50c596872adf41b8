"""Each campaign's unit flags as last computed, kept in the database for every worker and machine.

Counting a campaign's flags means flagging each participating unit (`board.unit_rows`): ~25 ms of Python per
1,000 units, which an overview page of ten campaigns paid on a web thread while staff requests in the same worker
waited behind it (bench/load.py: inbox p95 above a second). So the flags are kept, per campaign, with a fingerprint
of everything they are computed from that a verb can change (`fingerprint`). A kept copy serves while its
fingerprint holds and, unless every flag is one the clock alone does not change (`SETTLED`), for `FRESH` seconds
after the moment it was computed for. So a change counts at the next visit, from any worker or machine; only the
passing of time is cached.

Where copies live: the timer worker refreshes the open campaigns' snapshots (`refresh_due`, every
`REFRESH_EVERY` seconds, each campaign before its `FRESH` runs out) in `flag_snapshots`, one row per campaign; a web
request that finds no fitting snapshot — the campaign just changed, or no timer worker runs — computes the flags
itself and keeps them in its process, where the next request of that worker finds them. Web requests never write:
a GET stays a read, and two workers computing at once cost CPU, never a conflict.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .. import clock
from ..executor import execute
from ..models import Campaign, FlagSnapshot
from .board import rows_to_json, unit_rows
from .campaign_job import CampaignJob
from .fingerprint import FRESH, fingerprints, recent
from .flags import Flag
from .scope import ScopedUnit, participating_units

log = logging.getLogger("tdkt.supervision")
REFRESH_AFTER = 40  # the timer worker recomputes an open campaign's copy when it is this old: inside FRESH
REFRESH_EVERY = 5.0  # seconds between two of the timer worker's looks (timer_worker.run)
REFRESH_BUDGET = 0.25  # seconds of refreshing per look at most: 20 open rounds of 1,000 units take ~1 s in all
SETTLED = frozenset({Flag.SUBMITTED, Flag.DECIDED, Flag.CLOSED, Flag.SUSPENDED, Flag.CANCELLED, Flag.OVERDUE})
_KEPT = 512  # campaigns' copies kept per process (a unit's flag is a few dozen bytes)


@dataclass(frozen=True)
class Copy:
    fingerprint: str
    computed_at: dt.datetime
    settled: bool
    flags: dict[int, str]  # unit id → flag

    def fits(self, fingerprint: str, now: dt.datetime) -> bool:
        """Computed from what is there now, and either untouched by the clock or recent enough."""
        return self.fingerprint == fingerprint and (self.settled or recent(self.computed_at, now))


# Columns, not entities: a snapshot another transaction rewrote is read as it is now, never from the identity map.
_STORED = select(FlagSnapshot.campaign_id, FlagSnapshot.fingerprint, FlagSnapshot.computed_at, FlagSnapshot.settled,
                 FlagSnapshot.flags)
_kept: dict[tuple[str, int], Copy] = {}
_lock = threading.Lock()


def unit_flags(session: Session, campaigns: list[Campaign], units: dict[int, list[ScopedUnit]],
               trees: dict | None = None) -> dict[int, dict[int, str]]:
    """Each campaign's flag per unit of `units[campaign.id]`: from the process's copy or the database's snapshot
    while it fits, else computed now for every participating unit (kept in this process for the next request)."""
    now = clock.now()
    prints = fingerprints(session, campaigns)
    bind = str(session.get_bind().url)
    with _lock:
        kept = {c.id: _kept.get((bind, c.id)) for c in campaigns}
    wanted = [c.id for c in campaigns if not (kept[c.id] and kept[c.id].fits(prints[c.id], now))]
    if wanted:
        for campaign_id, *stored in session.execute(_STORED.where(FlagSnapshot.campaign_id.in_(wanted))):
            copy = Copy(*stored[:3], {int(unit_id): flag for unit_id, flag in stored[3].items()})
            if copy.fits(prints[campaign_id], now):
                kept[campaign_id] = copy
                _keep(bind, campaign_id, copy)
    out = {}
    for campaign in campaigns:
        copy = kept[campaign.id]
        mine = units[campaign.id]
        if copy is None or not copy.fits(prints[campaign.id], now) or any(u.id not in copy.flags for u in mine):
            copy = compute(session, campaign, prints[campaign.id], now, mine, trees)
            _keep(bind, campaign.id, copy)
        out[campaign.id] = {u.id: copy.flags[u.id] for u in mine}
    return out


def compute(session: Session, campaign: Campaign, fingerprint: str, now: dt.datetime,
            also: list[ScopedUnit] = (), trees: dict | None = None) -> Copy:
    """Flag every participating unit of the campaign (and `also`: units a supervisor sees that the campaign's tree
    does not hold)."""
    units = {u.id: u for u in participating_units(session, campaign, trees)}
    units.update((u.id, u) for u in also)
    return _copy_of(unit_rows(session, campaign, list(units.values()), with_holders=False), fingerprint, now)


def _copy_of(rows: list, fingerprint: str, now: dt.datetime) -> Copy:
    flags = {row.unit_id: row.flag for row in rows}
    return Copy(fingerprint, now, all(flag in SETTLED for flag in flags.values()), flags)


def _keep(bind: str, campaign_id: int, copy: Copy) -> None:
    with _lock:
        if len(_kept) >= _KEPT:
            _kept.clear()  # a bound, not an LRU: the next visits fill it again with what is looked at
        _kept[(bind, campaign_id)] = copy


def forget() -> None:
    """Drop this process's copies (tests: a new test's database may repeat an earlier one's ids and versions)."""
    with _lock:
        _kept.clear()


# --- the timer worker's refresh -------------------------------------------------------------------------------------

def refresh_due(session: Session, budget: float | None = None) -> int:
    """Recompute the snapshot of every open campaign (and of any campaign that has none yet) whose snapshot no
    longer fits or will soon be too old, the oldest first, one transaction per campaign. With `budget` (seconds),
    stop once that much time is spent: the rest waits for the next pass, so the worker's CPU comes in short slices
    rather than one burst beside the web workers on the same machine. Returns how many were written."""
    campaign_ids = list(session.scalars(
        select(Campaign.id).outerjoin(FlagSnapshot, FlagSnapshot.campaign_id == Campaign.id)
        .where((Campaign.status == "open") | FlagSnapshot.campaign_id.is_(None))
        .order_by(FlagSnapshot.computed_at.asc().nulls_first(), Campaign.id)))
    began, written = time.monotonic(), 0
    for campaign_id in campaign_ids:
        if budget is not None and time.monotonic() - began >= budget:
            break
        try:
            written += bool(execute(session, None, RefreshSnapshot(campaign_id)))
        except Exception:  # noqa: BLE001 - one campaign that cannot be flagged must not stop the timer worker
            log.exception("flag snapshot of campaign %s failed; the overview computes it on its visits", campaign_id)
    return written


class RefreshSnapshot(CampaignJob):
    """Recompute one campaign's snapshot — its flags and the dashboard's rows — unless the one stored was computed
    from what is there now less than `REFRESH_AFTER` seconds ago. Two workers refreshing at once both write the same
    flags; the later write stands (an upsert, never a conflict)."""
    name = "refresh_flag_snapshot"

    def run(self, tx, campaign) -> bool:
        if campaign is None:
            return False
        session, now = tx.session, clock.now()
        fingerprint = fingerprints(session, [campaign])[campaign.id]
        stored = session.execute(select(FlagSnapshot.fingerprint, FlagSnapshot.computed_at)
                                 .where(FlagSnapshot.campaign_id == campaign.id)).one_or_none()
        # by age even when settled: the rows kept beside the flags (time in step, projections) move with the clock
        if stored is not None and stored.fingerprint == fingerprint and recent(stored.computed_at, now, REFRESH_AFTER):
            return False
        # the dashboard's rows too (who holds each step included): no web worker builds them while this holds
        rows = unit_rows(session, campaign, participating_units(session, campaign))
        copy = _copy_of(rows, fingerprint, now)
        values = dict(campaign_id=campaign.id, fingerprint=fingerprint, computed_at=now, settled=copy.settled,
                      flags={str(unit_id): flag for unit_id, flag in copy.flags.items()}, rows=rows_to_json(rows))
        insert = (postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)
        statement = insert(FlagSnapshot.__table__).values(**values)
        session.execute(statement.on_conflict_do_update(
            index_elements=["campaign_id"], set_={k: statement.excluded[k] for k in values if k != "campaign_id"}))
        return True
