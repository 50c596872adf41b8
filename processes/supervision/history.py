"""How long each step usually takes, from the audit trail of finished cases.

Method: for the most recent `SAMPLE_CASES` cases of the same process that have ended with a decision, each completed
user task's duration is the time from the case's previous recorded step (its start, or the completion before it) to
that task's completion — the time the case sat at that step. A step's usual duration is the median of those
samples, in calendar days. With fewer than `MIN_SAMPLES` samples a step counts `DEFAULT_STEP_DAYS`. The figures
change slowly, so they are kept in memory for `TTL`: the dashboard reads two bounded queries at most every ten
minutes, not on every request.
"""
from __future__ import annotations

import datetime as dt
import statistics

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..contracts import CaseKind, CaseStatus
from ..models import AuditEvent, Campaign, Case

SAMPLE_CASES = 200
MIN_SAMPLES = 3
DEFAULT_STEP_DAYS = 1.5
TTL = dt.timedelta(minutes=10)
_cache: dict[tuple, tuple[dt.datetime, dict[str, float]]] = {}


def usual_days(session: Session, process_id: str) -> dict[str, float]:
    """bpmn id of a user task → its usual duration in days (only steps with enough samples; see `days_for`)."""
    key = (str(session.get_bind().url), process_id)
    at = clock.now()
    cached = _cache.get(key)
    if cached is not None and dt.timedelta(0) <= at - cached[0] < TTL:
        return cached[1]
    case_ids = list(session.scalars(
        select(Case.id).join(Campaign, Campaign.id == Case.campaign_id)
        .where(Campaign.process_id == process_id, Case.kind == CaseKind.UNIT, Case.status == CaseStatus.COMPLETED)
        .order_by(Case.completed_at.desc()).limit(SAMPLE_CASES)))
    samples: dict[str, list[float]] = {}
    if case_ids:
        rows = session.execute(
            select(AuditEvent.case_id, AuditEvent.action, AuditEvent.task_bpmn_id, AuditEvent.at)
            .where(AuditEvent.case_id.in_(case_ids), AuditEvent.action.in_(("case_started", "task_completed")))
            .order_by(AuditEvent.case_id, AuditEvent.id))
        previous: dict[int, dt.datetime] = {}
        for case_id, action, bpmn_id, moment in rows:
            before = previous.get(case_id)
            if action == "task_completed" and before is not None and bpmn_id:
                samples.setdefault(bpmn_id, []).append((moment - before).total_seconds() / 86400)
            previous[case_id] = moment
    usual = {step: statistics.median(values) for step, values in samples.items() if len(values) >= MIN_SAMPLES}
    _cache[key] = (at, usual)
    return usual


def days_for(usual: dict[str, float], step: str) -> float:
    return usual.get(step, DEFAULT_STEP_DAYS)


def forget() -> None:
    """Drop the cached figures (tests, and after bulk changes)."""
    _cache.clear()
