"""A campaign's fingerprint: a digest of everything a verb can change that its units' dashboard rows are computed
from, so a copy of the rows (or of their flags) computed earlier can be told current with one statement.

  - the campaign's unit cases and their open tasks, by one aggregate statement for any number of campaigns (every
    change a verb makes to a case bumps its version; a task that opens or closes changes the task ids; a moved step
    its time; a claim, release or reassignment the assignees);
  - the campaign's deadline, stall threshold and summary (dates, participants).
What it leaves out moves with the clock (time in step, overdue, at risk) or changes outside any case (who holds a
role, the usual step durations): the copies that use it bound their age for those (`FRESH`, `recent`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ..contracts import CaseKind
from ..models import Campaign, Case, OpenTask

FRESH = 60  # seconds a copy computed from a campaign may lag what moves with the clock or outside any case

_AGGREGATES = (select(Case.campaign_id, func.count(Case.id), func.coalesce(func.sum(Case.version), 0),
                      func.max(Case.updated_at), func.count(OpenTask.id), func.coalesce(func.sum(OpenTask.id), 0),
                      func.min(OpenTask.created_at), func.max(OpenTask.created_at),
                      func.coalesce(func.sum(OpenTask.assignee_id), 0))
               .select_from(Case).outerjoin(OpenTask, OpenTask.case_id == Case.id)
               .where(Case.campaign_id.in_(bindparam("campaign_ids", expanding=True)), Case.kind == CaseKind.UNIT)
               .group_by(Case.campaign_id))


def fingerprints(session: Session, campaigns: list[Campaign]) -> dict[int, str]:
    """Each campaign's fingerprint (one statement however many campaigns)."""
    if not campaigns:
        return {}
    found = {row[0]: list(row[1:]) for row in session.execute(_AGGREGATES, {"campaign_ids": [c.id for c in campaigns]})}
    out = {}
    for campaign in campaigns:
        text = json.dumps([found.get(campaign.id), campaign.deadline_at, campaign.stall_working_days,
                           campaign.summary or {}], sort_keys=True, default=str)
        out[campaign.id] = hashlib.sha256(text.encode()).hexdigest()
    return out


def recent(computed_at: dt.datetime, now: dt.datetime, seconds: float = FRESH) -> bool:
    """Computed less than `seconds` before `now` (a clock moved back — tests, a corrected server clock — never
    counts as recent)."""
    return dt.timedelta(0) <= now - computed_at < dt.timedelta(seconds=seconds)
