"""The supervisors' dashboard: one row per participating unit — with a case or not — and what it is doing.

A handful of indexed queries per request, never a deserialised workflow: the campaign's cases of these units
(`uq_cases_campaign_unit_kind`), their open tasks (`uq_open_tasks_case_id`), the people holding the open roles
(`role_assignments`), the claimed tasks' assignees; the step order comes from the published diagram (read once per
version, `paths`), the usual durations from the audit trail of finished cases (cached, `history`).
"""
from __future__ import annotations

import datetime as dt
import threading
import unicodedata
from dataclasses import dataclass, field, fields
from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .. import clock
from ..case_data import DEFAULT_REMINDER_DAYS
from ..contracts import CaseKind, CaseStatus, TimerStatus
from ..errors import InvalidInput
from ..models import (Campaign, Case, CaseTimer, DiagramVersion, FlagSnapshot, Nomination, OpenTask,
                      RoleAssignment, User)
from ..paging import Paged
from ..roles import UNIT_ROLES, role_label
from ..workdays import is_working_day
from . import history, paths
from .fingerprint import FRESH, fingerprints, recent
from .flags import FLAG_LABELS, SEVERITY, Flag
from .scope import ScopedUnit, campaign_for

DEFAULT_STALL_WORKING_DAYS = 5
PER_PAGE = 50
MAX_PER_PAGE = 500
SORTS = {
    "urgency": lambda r: (_RANK[r.flag], -(r.working_days_in_step or 0), r.name_key),
    "unit": lambda r: r.name_key,
    "days": lambda r: (-(r.working_days_in_step if r.working_days_in_step is not None else -1), r.name_key),
    "deadline": lambda r: (r.deadline or dt.datetime.max, r.name_key),
    "projected": lambda r: (r.projected_finish or dt.datetime.max, r.name_key),
    "step": lambda r: (r.step_name or "", r.name_key),
}
SORT_LABELS = {"urgency": "Cần chú ý trước", "unit": "Tên đơn vị", "days": "Ngày ở bước (nhiều trước)",
               "deadline": "Hạn nộp", "projected": "Dự kiến xong", "step": "Bước hiện tại"}


@dataclass
class UnitRow:
    unit_id: int
    unit_code: str
    unit_name: str
    case_id: int | None = None
    status: str | None = None
    step: str | None = None  # bpmn id of the step it sits in (None: no case, or waiting for a message)
    step_name: str = ""
    role: str | None = None
    holder: str = ""  # who holds the step: the claimant, else the holders of its role
    assignee_id: int | None = None
    task_id: int | None = None
    in_step_since: dt.datetime | None = None
    working_days_in_step: int | None = None
    deadline: dt.datetime | None = None
    projected_finish: dt.datetime | None = None
    flag: str = Flag.NOT_STARTED
    name_key: str = ""  # the name as sorted and searched (NFC, case-folded)

    @property
    def flag_label(self) -> str:
        return FLAG_LABELS[Flag(self.flag)]

    @property
    def role_label(self) -> str:
        return role_label(self.role) if self.role else ""


@dataclass
class Board(Paged):
    campaign: Campaign
    rows: list[UnitRow]  # this page
    total: int  # rows matching the filters
    counts: dict[str, int]  # per flag, over every supervised unit
    page: int
    per_page: int
    units: int  # supervised participating units
    filters: dict = field(default_factory=dict)
    everything: list[UnitRow] = field(default_factory=list)  # every supervised unit's row (the step counts)


_RANK = {flag.value: i for i, flag in enumerate(SEVERITY)}


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text or "").casefold()


@lru_cache(maxsize=4096)
def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when end ≤ start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count


def stall_threshold(campaign: Campaign) -> int:
    return campaign.stall_working_days or DEFAULT_STALL_WORKING_DAYS


def unit_rows(session: Session, campaign: Campaign, units: list[ScopedUnit], *,
              with_holders: bool = True) -> list[UnitRow]:
    """Every supervised participating unit's row, flagged (unfiltered, in name order). `with_holders=False`: without
    who holds each step (two statements over the campaign's open tasks) — for counts, which do not show them."""
    now = clock.now()
    today = clock.to_local(now).date()
    rows = {u.id: UnitRow(u.id, u.code, u.display_name, name_key=_key(u.display_name)) for u in units}
    # Every statement is scoped by the campaign (its cases through uq_cases_campaign_unit_kind, their rows through
    # the case): no list of hundreds of ids is sent, and nothing grows with the other campaigns' cases.
    cases = [c for c in session.execute(_CASES, {"campaign_id": campaign.id}) if c.unit_id in rows]
    by_case = {c.id: c for c in cases}
    tasks: dict[int, list] = {}
    for task in session.execute(_TASKS, {"campaign_id": campaign.id}):
        if task.case_id in by_case:
            tasks.setdefault(task.case_id, []).append(task)
    current = {case_id: _current_task(found) for case_id, found in tasks.items()}
    holders = _holders(session, campaign.id) if current and with_holders else {}
    usual = history.usual_days(session, campaign.process_id)
    reminder = dt.timedelta(days=int((campaign.details or {}).get("reminder_days_before", DEFAULT_REMINDER_DAYS)))
    stall = stall_threshold(campaign)
    campaign_deadline = campaign.deadline_at
    first_version, diagrams = None, {}
    for row in rows.values():
        row.deadline = campaign_deadline
    for case in cases:
        row = rows[case.unit_id]
        row.case_id, row.status = case.id, case.status
        row.deadline = case.deadline_at or campaign_deadline
        diagram = diagrams.get(case.diagram_version_id) or diagrams.setdefault(
            case.diagram_version_id, paths.diagram(session, case.diagram_version_id))
        first_version = first_version or case.diagram_version_id
        task = current.get(case.id)
        if task is not None:
            row.step, row.step_name, row.role, row.task_id = task.bpmn_id, task.name, task.role, task.id
            row.assignee_id = task.assignee_id
            row.holder = holders.get(("user", task.assignee_id)) if task.assignee_id else \
                holders.get((task.unit_id, task.role), "")
            row.in_step_since = task.created_at
        else:
            row.step_name = case.current_step
            row.in_step_since = case.updated_at
        row.working_days_in_step = working_days_between(clock.to_local(row.in_step_since).date(), today)
        row.flag = _flag(row, case, task, now, stall, reminder)
        if row.flag in (Flag.ON_TIME, Flag.AT_RISK, Flag.OVERDUE, Flag.STALLED, Flag.SUBMITTED) and row.step:
            row.projected_finish = _projection(row, diagram.left.get(row.step, []), usual, now)
            if row.flag == Flag.ON_TIME and row.deadline and row.projected_finish > row.deadline:
                row.flag = Flag.AT_RISK
    first = paths.diagram(session, first_version).first if first_version else _latest_first(session, campaign)
    for row in rows.values():
        if row.case_id is None:
            row.flag = Flag.OVERDUE if campaign_deadline and now > campaign_deadline else Flag.NOT_STARTED
            row.step_name = "Chưa tạo hồ sơ"
            if first:
                row.projected_finish = now + dt.timedelta(days=sum(history.days_for(usual, s) for s in first))
    return list(rows.values())


def _latest_first(session: Session, campaign: Campaign) -> list[str]:
    """The path from the start of the newest version of the campaign's process (no unit has a case yet)."""
    version_id = session.scalar(select(DiagramVersion.id).where(DiagramVersion.process_id == campaign.process_id)
                                .order_by(DiagramVersion.version.desc()).limit(1))
    return paths.diagram(session, version_id).first if version_id else []


def _current_task(found: list):
    """The step a case sits in: its earliest open task in the unit's own hands, else its earliest open task."""
    own = [t for t in found if t.role in UNIT_ROLES]
    return (own or found or [None])[0]


# Materialised on PostgreSQL: its planner would otherwise merge-join the open tasks with every case in id order.
_CAMPAIGN_CASES = (select(Case.id.label("case_id"))
                   .where(Case.campaign_id == bindparam("campaign_id"), Case.kind == CaseKind.UNIT)
                   .cte("campaign_cases").prefix_with("MATERIALIZED", dialect="postgresql"))
_CASES = (select(Case.id, Case.unit_id, Case.status, Case.current_step, Case.updated_at, Case.deadline_at,
                 Case.late_at, Case.diagram_version_id)
          .where(Case.campaign_id == bindparam("campaign_id"), Case.kind == CaseKind.UNIT))
# The campaign's case ids as a subquery (uq_cases_campaign_unit_kind), so the open tasks are found through their
# case (uq_open_tasks_case_id) or by a hash of those ids — never by walking every case of every campaign.
_TASKS = (select(OpenTask.id, OpenTask.case_id, OpenTask.bpmn_id, OpenTask.name, OpenTask.role, OpenTask.unit_id,
                 OpenTask.assignee_id, OpenTask.created_at)
          .join(_CAMPAIGN_CASES, _CAMPAIGN_CASES.c.case_id == OpenTask.case_id)
          .order_by(OpenTask.created_at, OpenTask.id))
_CLAIMANTS = (select(User.id, User.full_name).join(OpenTask, OpenTask.assignee_id == User.id)
              .join(_CAMPAIGN_CASES, _CAMPAIGN_CASES.c.case_id == OpenTask.case_id).distinct())
_QUEUES = (select(RoleAssignment.unit_id, RoleAssignment.role, User.full_name)
           .join(OpenTask, (OpenTask.unit_id == RoleAssignment.unit_id) & (OpenTask.role == RoleAssignment.role))
           .join(_CAMPAIGN_CASES, _CAMPAIGN_CASES.c.case_id == OpenTask.case_id)
           .join(User, User.id == RoleAssignment.user_id)
           .where(OpenTask.assignee_id.is_(None), User.active)
           .distinct())


def _holders(session: Session, campaign_id: int) -> dict:
    """Names of who holds each open step of the campaign: the claimant, else the holders of the step's role in its
    unit (two statements for the whole campaign)."""
    out: dict = {("user", user_id): name for user_id, name in session.execute(_CLAIMANTS, {"campaign_id": campaign_id})}
    names: dict[tuple, list[str]] = {}
    for unit_id, role, name in session.execute(_QUEUES, {"campaign_id": campaign_id}):
        names.setdefault((unit_id, role), []).append(name)
    for queue, people in names.items():
        people.sort()
        out[queue] = ", ".join(people[:3]) + (f" và {len(people) - 3} người khác" if len(people) > 3 else "")
    return out


def _flag(row: UnitRow, case, task, now: dt.datetime, stall: int, reminder: dt.timedelta) -> str:
    status = case.status
    if status == CaseStatus.CANCELLED:
        return Flag.CANCELLED
    if status == CaseStatus.SUSPENDED:
        return Flag.SUSPENDED
    if status == CaseStatus.COMPLETED:
        return Flag.DECIDED
    if status == CaseStatus.NOT_SUBMITTED:
        return Flag.CLOSED
    if task is None or task.role not in UNIT_ROLES:
        return Flag.SUBMITTED
    if case.late_at is not None or (row.deadline and now > row.deadline):
        return Flag.OVERDUE
    if (row.working_days_in_step or 0) >= stall:
        return Flag.STALLED
    if row.deadline and row.deadline - now <= reminder:
        return Flag.AT_RISK
    return Flag.ON_TIME


def _projection(row: UnitRow, left: list[str], usual: dict[str, float], now: dt.datetime) -> dt.datetime:
    """When the unit's part (or, once submitted, the decision) should be done: the current step ends after its
    usual duration (or now, if it has sat longer), then each step left takes its usual duration."""
    ends = max(now, row.in_step_since + dt.timedelta(days=history.days_for(usual, row.step)))
    return ends + dt.timedelta(days=sum(history.days_for(usual, step) for step in left))


# --- the dashboard's queries ------------------------------------------------------------------------------------------

_KEPT_ROWS = 16  # campaigns' rows kept per process (~1 MB per 1,000 units)
_kept_rows: dict[tuple, tuple[str, int, list[UnitRow]]] = {}
_rows_lock = threading.Lock()


def current_rows(session: Session, campaign: Campaign, units: list[ScopedUnit]) -> list[UnitRow]:
    """`unit_rows` (with holders) while the campaign's fingerprint holds and within `FRESH`: from this
    process's copy, else from the timer worker's snapshot (`flag_snapshots`), else built now. A supervisor paging,
    sorting or filtering the dashboard of 1,000 units — or coming back to it, on any worker — pays one aggregate
    statement instead of flagging every unit again (~70 ms of a web thread, ~0.7 s under load). A change to a case,
    its tasks or who claimed them shows at the next request. Callers must not change the rows they get."""
    key = (str(session.get_bind().url), campaign.id, tuple(u.id for u in units))
    fingerprint = fingerprints(session, [campaign])[campaign.id]
    now = clock.now()
    moment = int(now.timestamp()) // FRESH
    with _rows_lock:
        kept = _kept_rows.get(key)
    if kept is not None and kept[:2] == (fingerprint, moment):
        return kept[2]
    rows = _stored_rows(session, campaign.id, fingerprint, now, units)
    if rows is None:
        rows = unit_rows(session, campaign, units)
    with _rows_lock:
        if len(_kept_rows) >= _KEPT_ROWS:
            _kept_rows.clear()  # a bound, not an LRU: the next visits fill it again with what is looked at
        _kept_rows[key] = (fingerprint, moment, rows)
    return rows


_ROW_FIELDS = tuple(f.name for f in fields(UnitRow))
_ROW_TIMES = frozenset({"in_step_since", "deadline", "projected_finish"})


def rows_to_json(rows: list[UnitRow]) -> dict:
    """Rows as a snapshot stores them: the field names once, then each row's values (instants as ISO text)."""
    return {"fields": list(_ROW_FIELDS),
            "rows": [[value.isoformat() if isinstance(value, dt.datetime) else value
                      for value in (getattr(row, name) for name in _ROW_FIELDS)] for row in rows]}


def rows_from_json(stored: dict) -> list[UnitRow] | None:
    """The rows a snapshot stored; None when it was written with other fields (an older version of this code)."""
    if not stored or tuple(stored.get("fields") or ()) != _ROW_FIELDS:
        return None
    times = [i for i, name in enumerate(_ROW_FIELDS) if name in _ROW_TIMES]
    out = []
    for values in stored["rows"]:
        for i in times:
            if values[i] is not None:
                values[i] = dt.datetime.fromisoformat(values[i])
        out.append(UnitRow(*values))
    return out


def _stored_rows(session: Session, campaign_id: int, fingerprint: str, now: dt.datetime,
                 units: list[ScopedUnit]) -> list[UnitRow] | None:
    """The supervised units' rows from the campaign's snapshot, when it was computed from what is there now and
    within `FRESH` (time in step and projections move with the clock); None otherwise, or if one is missing."""
    found = session.execute(select(FlagSnapshot.computed_at, FlagSnapshot.rows).where(
        FlagSnapshot.campaign_id == campaign_id, FlagSnapshot.fingerprint == fingerprint)).one_or_none()
    if found is None or found.rows is None or not recent(found.computed_at, now):
        return None
    by_unit = {row.unit_id: row for row in rows_from_json(found.rows) or ()}
    if any(u.id not in by_unit for u in units):
        return None
    return [by_unit[u.id] for u in units]


def forget() -> None:
    """Drop this process's kept rows (tests: a new test's database may repeat an earlier one's ids and versions)."""
    with _rows_lock:
        _kept_rows.clear()


def _filtered(session: Session, user: User, campaign_id: int, flag: str, step: str, q: str, sort: str):
    if flag and flag not in Flag.__members__.values():
        raise InvalidInput(f"Bộ lọc trạng thái «{flag}» không hợp lệ.")
    if sort not in SORTS:
        raise InvalidInput(f"Cách sắp xếp «{sort}» không hợp lệ; dùng một trong: {', '.join(SORTS)}.")
    campaign, units = campaign_for(session, user, campaign_id)
    rows = current_rows(session, campaign, units)
    chosen = [r for r in rows if (not flag or r.flag == flag) and (not step or r.step == step)]
    if q.strip():
        chosen = _search(session, campaign, chosen, q)
    chosen.sort(key=SORTS[sort])
    return campaign, rows, chosen


def board(session: Session, user: User, campaign_id: int, *, flag: str = "", step: str = "", q: str = "",
          sort: str = "urgency", page: int = 1, per_page: int = PER_PAGE) -> Board:
    """One page of the dashboard, with the counts per flag over every supervised unit."""
    page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
    campaign, rows, chosen = _filtered(session, user, campaign_id, flag, step, q, sort)
    counts = {f.value: 0 for f in SEVERITY}
    for row in rows:
        counts[row.flag] += 1
    start = (page - 1) * per_page
    return Board(campaign, chosen[start:start + per_page], len(chosen), counts, page, per_page, len(rows),
                 dict(flag=flag, step=step, q=q, sort=sort), rows)


def all_rows(session: Session, user: User, campaign_id: int, *, flag: str = "", step: str = "", q: str = "",
             sort: str = "unit") -> tuple[Campaign, list[UnitRow]]:
    """Every matching row, unpaged (the exports)."""
    campaign, _rows, chosen = _filtered(session, user, campaign_id, flag, step, q, sort)
    return campaign, chosen


def _search(session: Session, campaign: Campaign, rows: list[UnitRow], q: str) -> list[UnitRow]:
    """Rows whose unit (name or code) or one of whose nominees (submitted, or still being registered) match."""
    needle = _key(q.strip())
    hits = {r.unit_id for r in rows if needle in r.name_key or needle in _key(r.unit_code)}
    case_ids = [r.case_id for r in rows if r.case_id is not None and r.unit_id not in hits]
    if case_ids:
        matched = set()
        for case_id, name in session.execute(select(Nomination.case_id, Nomination.nominee_name)
                                             .where(Nomination.case_id.in_(case_ids))):
            if needle in _key(name):
                matched.add(case_id)
        for case_id, data in session.execute(select(Case.id, Case.data).where(Case.id.in_(case_ids))):
            nominees = (data or {}).get("nominees") or []
            if any(isinstance(n, dict) and needle in _key(str(n.get("name", ""))) for n in nominees):
                matched.add(case_id)
        hits |= {r.unit_id for r in rows if r.case_id in matched}
    return [r for r in rows if r.unit_id in hits]


@dataclass
class StepCount:
    step: str | None
    name: str
    units: int
    avg_working_days: float
    max_working_days: int
    flags: dict[str, int]


def steps(session: Session, user: User, campaign_id: int) -> tuple[Campaign, list[StepCount]]:
    """Units per step (BPMN element id) with their time in it: what the heat map draws on the diagram."""
    campaign, units = campaign_for(session, user, campaign_id)
    return campaign, step_counts(unit_rows(session, campaign, units, with_holders=False))


def step_counts(rows: list[UnitRow]) -> list[StepCount]:
    groups: dict[tuple, list[UnitRow]] = {}
    for row in rows:
        if row.case_id is None or row.flag in (Flag.DECIDED, Flag.CLOSED, Flag.CANCELLED):
            continue
        groups.setdefault((row.step, row.step if row.step else row.step_name), []).append(row)
    out = []
    for (step, name), members in groups.items():
        days = [r.working_days_in_step or 0 for r in members]
        flags: dict[str, int] = {}
        for r in members:
            flags[r.flag] = flags.get(r.flag, 0) + 1
        out.append(StepCount(step, members[0].step_name if step else name, len(members),
                             round(sum(days) / len(days), 1), max(days), flags))
    out.sort(key=lambda s: -s.units)
    return out


@dataclass
class Incident:
    case_id: int
    unit_name: str
    timer: str
    error: str
    attempts: int


def incidents(session: Session, campaign: Campaign, rows: list[UnitRow]) -> list[Incident]:
    """The supervised cases' failed timers (incidents), with their error: one statement scoped by the campaign."""
    names = {r.case_id: r.unit_name for r in rows if r.case_id is not None}
    found = session.execute(
        select(CaseTimer.case_id, CaseTimer.name, CaseTimer.bpmn_id, CaseTimer.last_error, CaseTimer.attempts)
        .join(Case, Case.id == CaseTimer.case_id)
        .where(Case.campaign_id == campaign.id, CaseTimer.status == TimerStatus.INCIDENT)
        .order_by(CaseTimer.case_id, CaseTimer.id))
    return [Incident(case_id, names[case_id], name or bpmn_id, error, attempts)
            for case_id, name, bpmn_id, error, attempts in found if case_id in names]
