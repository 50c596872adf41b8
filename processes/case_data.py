"""What a new case's workflow starts with: the campaign and its deadlines in the form timers and scripts read."""
from __future__ import annotations

import datetime as dt

from . import clock
from .award_forms import campaign_levels
from .contracts import DEFAULT_REVIEW_WORKING_DAYS, DataKey
from .models import Campaign, Unit
from .rules.criteria import template_for

DEFAULT_REMINDER_DAYS = 3
NO_DEADLINE = dt.datetime(9000, 1, 1, tzinfo=clock.VN_TZ)  # a campaign without one: timers that never come


def start_data(campaign: Campaign, deadline_at: dt.datetime | None = ..., unit: Unit | None = None) -> dict:
    """The campaign and its deadlines as ISO instants, for timer expressions (`deadline_at`, `reminder_at`) and
    scripts. `deadline_at` replaces the units' deadline (a consolidation case runs to the receiving level's own)."""
    details = campaign.details or {}
    if deadline_at is ...:
        deadline_at = campaign.deadline_at
    deadline = clock.to_local(deadline_at) if deadline_at else NO_DEADLINE
    days = int(details.get("reminder_days_before", DEFAULT_REMINDER_DAYS))
    return {
        DataKey.CAMPAIGN_CODE: campaign.code,
        DataKey.DEADLINE_AT: deadline.isoformat(),
        DataKey.REMINDER_AT: (deadline - dt.timedelta(days=days)).isoformat(),
        DataKey.REVIEW_WORKING_DAYS: int(details.get("review_working_days", DEFAULT_REVIEW_WORKING_DAYS)),
        DataKey.AWARD_LEVELS: campaign_levels(details),
        # the campaign's criteria for the unit's kind and level, which its registration form prefills
        DataKey.CRITERIA_TEMPLATE: template_for(details, unit),
    }
