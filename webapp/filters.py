"""Template filters and globals: Vietnamese dates and the labels of roles, award forms, statuses, actions."""
from __future__ import annotations

import datetime as dt

from processes import campaign_definition, clock
from processes.audit import ACTION_LABELS, MESSAGE_LABELS
from processes.award_forms import award_name
from processes.contracts import CASE_STATUS_LABELS
from processes.roles import role_label


def register(app) -> None:
    app.jinja_env.filters.update(
        vn_date=clock.format_date,
        vn_datetime=clock.format_datetime,
        role_label=role_label,
        award_name=award_name,
        status_label=lambda s: CASE_STATUS_LABELS.get(s, s),
        action_label=lambda a: ACTION_LABELS.get(a, a),
        message_label=lambda m: MESSAGE_LABELS.get(m, m),
        round_label=lambda code: campaign_definition.ROUND_LABELS.get(code or "", code or ""),
        campaign_status_label=lambda code: campaign_definition.CAMPAIGN_STATUS_LABELS.get(code or "", code or ""),
        iso_vn_date=clock.format_any_date,  # the ISO dates kept in a campaign's details
        iso_vn_datetime=_iso_datetime,
    )
    app.jinja_env.globals.update(now=clock.now)


def _iso_datetime(value: str | None) -> str:
    try:
        return clock.format_datetime(dt.datetime.fromisoformat(value)) if value else ""
    except (TypeError, ValueError):
        return str(value)
