"""Timers: SpiffWorkflow's timer events on our injectable clock, and the fire time of each waiting timer.

SpiffWorkflow's timer definitions call `datetime.now(timezone.utc)` inside their own module. Giving that module a
`datetime` whose `now()` reads the clock the application installs (`use_clock`) makes every timer (date, duration,
cycle; boundary or intermediate) follow the clock tests and the worker control, without forking the library.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


_now = _utc_now  # naive UTC; replaced by use_clock


def use_clock(now) -> None:
    """Make timers read `now()` (a callable returning naive UTC) instead of the system clock."""
    global _now
    _now = now


def use_local_zone(zone: dt.tzinfo) -> None:
    """The zone a timer written without one ("2024-08-23T23:59:59") is read in, whatever zone the server runs in."""
    spiff_timer.LOCALTZ = zone


class _ClockedDatetime(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        current = _now().replace(tzinfo=dt.timezone.utc)
        return current.astimezone(tz) if tz else current.replace(tzinfo=None)


spiff_timer.datetime = _ClockedDatetime


@dataclass(frozen=True)
class WaitingTimer:
    task_uuid: str
    bpmn_id: str
    name: str
    fire_at: dt.datetime | None  # naive UTC, like every stored timestamp


def waiting_timers(workflow) -> list[WaitingTimer]:
    """Every timer event the workflow (with its subprocesses) waits on, with when it fires."""
    timers = (describe(task) for task in workflow.event_manager.tasks.values() if is_timer(task))
    return [timer for timer in timers if timer.fire_at is not None]  # a finished cycle waits on nothing


def is_timer(task) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)


def describe(task) -> WaitingTimer:
    spec = task.task_spec
    definition = spec.event_definition
    return WaitingTimer(str(task.id), spec.bpmn_id or spec.name, spec.bpmn_name or definition.name or "",
                        _fire_time(task, definition))


def _fire_time(task, definition) -> dt.datetime | None:
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        if value.get("cycles", 0) == 0:
            return None
        moment = dt.datetime.fromisoformat(value["next"])
    elif isinstance(definition, TimeDateEventDefinition):
        moment = value if isinstance(value, dt.datetime) else TimerEventDefinition.parse_time_or_duration(value)
    elif isinstance(definition, DurationTimerEventDefinition):
        moment = TimerEventDefinition.get_datetime(value)
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def move(workflow, task_uuid: str, fire_at: dt.datetime) -> None:
    """Make a waiting timer fire at `fire_at` (naive UTC) instead: a supervisor extended its case's deadline. The
    event's computed value is what SpiffWorkflow compares with the clock, so that is what changes; the diagram's
    expression is not evaluated again."""
    task = next(t for t in workflow.event_manager.tasks.values() if str(t.id) == task_uuid)
    definition = task.task_spec.event_definition
    moment = fire_at.replace(tzinfo=dt.timezone.utc).isoformat()
    if isinstance(definition, CycleTimerEventDefinition):
        value = dict(task._get_internal_data("event_value") or {})
        value["next"] = moment
        task._set_internal_data(event_value=value)
    else:
        task._set_internal_data(event_value=moment)
