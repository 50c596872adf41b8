"""What a case page puts first and how it names things, read from the case row, its campaign and its log: the
outcome (status, the deadline with the days left or how late, the decision and who received what), and the case
data as sections named by the steps that wrote them, in Vietnamese — never the keys timers and scripts read.

A read model only (no verbs): the page and the API build on it; nothing here deserialises a workflow."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import clock
from .contracts import SETTLED, CaseKind, CaseStatus, DataKey
from .models import AuditEvent, Case

#: Keys the start data gives every case for its timers and scripts: the diagram's business, not the reader's.
INTERNAL_KEYS = frozenset(k.value for k in DataKey) - {DataKey.NOMINEES, DataKey.CANDIDATES, DataKey.CHECK_DECISION}
#: Shown in their own places on the page (the nominee table, the decision card), not again among the sections.
DECISION_KEYS = ("decision_number", "decision_date", "decision_authority", "awards")
OWN_PLACES = frozenset({DataKey.NOMINEES, "criteria", *DECISION_KEYS})  # criteria: the criteria card


@dataclass(frozen=True)
class DeadlineState:
    at: dt.datetime            # the instant the receiving level stops receiving (naive UTC)
    day: dt.date               # the last receiving day, as the campaign states it
    days_left: int | None      # whole calendar days from today to that day (0: today), while it is ahead
    days_late: int | None      # calendar days since that day, once passed and nothing submitted in time


@dataclass(frozen=True)
class Decision:
    number: str
    date: dt.date | None
    authority: str
    awards: list[dict]         # {nominee, award_form, awarded}
    by_unit_head: bool = False  # the unit's own head decided it (its Giấy khen), not the level above

    @property
    def awarded(self) -> list[dict]:
        return [a for a in self.awards if a.get("awarded")]


@dataclass
class Section:
    title: str
    fields: list[tuple[str, str, object]] = field(default_factory=list)  # (key, title, value)


@dataclass(frozen=True)
class Outcome:
    status: str
    settled: bool
    deadline: DeadlineState | None
    submitted: bool            # the dossier left the unit (a submission number is on the case)
    decision: Decision | None  # the case's decision (`decision_*`): the level above's, or the head's alone
    decisions: list[Decision] = field(default_factory=list)  # every decision, the unit head's own first


def outcome(case: Case, today: dt.date | None = None) -> Outcome:
    data = case.data or {}
    deadline_at = (case.campaign.upper_deadline_at if case.kind == CaseKind.CONSOLIDATION
                   else case.campaign.deadline_at)
    submitted = bool(data.get("submission_number"))
    main = _decision(data, by_unit_head=bool(data.get(DataKey.OWN_NOMINEES))
                     and not data.get(DataKey.UPPER_NOMINEES))
    own = data.get(DataKey.UNIT_DECISION)  # a mixed dossier: the head's decision, kept apart from the upper one
    own = _decision(own, by_unit_head=True) if isinstance(own, dict) else None
    return Outcome(case.status, case.status in SETTLED, _deadline(case, deadline_at, submitted, today), submitted,
                   main, [d for d in (own, main) if d is not None])


def _deadline(case: Case, at: dt.datetime | None, submitted: bool, today: dt.date | None) -> DeadlineState | None:
    if at is None:
        return None
    day = clock.to_local(at).date()
    today = today or clock.to_local(clock.now()).date()
    if case.status in SETTLED or (submitted and case.status != CaseStatus.LATE):
        return DeadlineState(at, day, None, None)
    if today <= day:
        return DeadlineState(at, day, (day - today).days, None)
    return DeadlineState(at, day, None, (today - day).days)


def _decision(data: dict, *, by_unit_head: bool = False) -> Decision | None:
    if not data.get("decision_number"):
        return None
    awards = [a for a in data.get("awards") or [] if isinstance(a, dict)]
    return Decision(str(data["decision_number"]), clock.parse_any_date(data.get("decision_date")),
                    str(data.get("decision_authority") or ""), awards, by_unit_head)


def sections(case: Case, events: list[AuditEvent], titles: dict[str, str]) -> list[Section]:
    """The case data grouped by the step that last wrote each key (from the log, in the order the steps ran), each
    field under its form's title; keys no form names are the engine's and stay hidden. What arrived otherwise (the
    candidates a consolidation case receives) closes the list under its own title."""
    data = case.data or {}
    owner: dict[str, str] = {}   # key → the step that last wrote it
    last_run: dict[str, int] = {}  # step → when it last ran
    for position, event in enumerate(events):
        if event.action == "task_completed" and event.task_name:
            last_run[event.task_name] = position
            for key in (event.details or {}).get("data") or {}:
                owner[key] = event.task_name
    shown = [k for k in data if k in titles and k not in INTERNAL_KEYS and k not in OWN_PLACES
             and data[k] not in (None, "", [], {})]
    steps = sorted({owner[k] for k in shown if k in owner}, key=last_run.__getitem__)
    by_step = {step: Section(step) for step in steps}
    rest = Section("Dữ liệu khác của hồ sơ")
    for key in shown:
        (by_step[owner[key]] if key in owner else rest).fields.append((key, titles[key], data[key]))
    result = [s for s in by_step.values() if s.fields]
    return result + ([rest] if rest.fields else [])
