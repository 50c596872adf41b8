"""Moving a running workflow onto another version of its diagram, with SpiffWorkflow 3's own building blocks
(`diff_workflow`, `migrate_workflow`, SpiffWorkflow/bpmn/util/diff.py).

`assess` says, without changing anything, what moving would do: **migrate** (every task the workflow waits on and
every task it went through exist in the new version), **decide** (it can move, but a person must choose: a waiting
task changes lane, so it changes hands), or **blocked** (it cannot move: it waits on, or went through, a step the
new version no longer has; its subprocess is gone). Loops are no obstacle: SpiffWorkflow aligns the specs by BPMN
id, and a step done twice is two completed tasks of the same spec.

`migrate` does it: the specs of the tasks are swapped for their aligned new ones, the waiting and ready tasks are
reset and predicted again along the new diagram (so a step added after the current one comes next), their own data
kept (what the application put on a waiting task, e.g. the council's candidates), the values given in `data`
written over them (the campaign's dates, which deadline timers read), and each waiting timer keeps its fire time
unless its expression changed or reads one of `recompute` (then it is evaluated again on the next step).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import threading

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from .diagrams import LoadedDiagram, names_read
from .errors import WorkflowFailed
from .serialization import spec_registry
from .timers import is_timer

MIGRATE, DECIDE, BLOCKED = "migrate", "decide", "blocked"
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class Assessment:
    verdict: str
    reasons: list[str] = field(default_factory=list)  # Vietnamese, why it needs a decision or is blocked
    waiting_at: list[str] = field(default_factory=list)  # BPMN ids of the tasks it waits on (for counts per step)
    # The workflow's diff against the new version (the target, then SpiffWorkflow's diffs), made by `assess` and
    # reused by `migrate` on the same unchanged workflow: aligning every task is half the engine's work per case.
    diffs: tuple | None = field(default=None, repr=False, compare=False)


def _name(spec) -> str:
    return spec.bpmn_name or spec.bpmn_id or spec.name


_spec_diffs: dict[tuple[int, int], tuple] = {}
_lock = threading.Lock()


def _spec_diff(old_spec, new_spec) -> SpecDiff:
    """SpiffWorkflow's comparison of two specs, made once per pair: published specs are cached and never change,
    and comparing them (every task spec serialized) costs more than moving one case."""
    key = (id(old_spec), id(new_spec))
    hit = _spec_diffs.get(key)
    if hit is None or hit[0] is not old_spec or hit[1] is not new_spec:
        hit = (old_spec, new_spec, SpecDiff(spec_registry(), old_spec, new_spec))
        with _lock:
            if len(_spec_diffs) > 256:
                _spec_diffs.clear()
            _spec_diffs[key] = hit
    return hit[2]


def _diffs(workflow, new: LoadedDiagram):
    """`diff_workflow` of SpiffWorkflow (bpmn/util/diff.py), with the spec comparisons made once per pair."""
    top = WorkflowDiff(workflow, _spec_diff(workflow.spec, new.spec))
    subs = {}
    for sp_id, sp in workflow.subprocesses.items():
        new_spec = new.subprocess_specs.get(sp.spec.name)
        subs[sp_id] = WorkflowDiff(sp, _spec_diff(sp.spec, new_spec)) if new_spec is not None else None
    return top, subs


def _active(workflow, mask=TaskState.READY | TaskState.WAITING) -> list:
    """The tasks of the workflow and its subprocesses in one of the `mask` states: a scan of their task tables,
    not `get_tasks`' walk of the whole task tree (which is what a thousand migrations spent most of their time in)."""
    return [t for wf in (workflow, *workflow.subprocesses.values()) for t in wf.tasks.values() if t.state & mask]


def _reset_later(task) -> bool:
    """A predicted task under a ready or waiting one is dropped and predicted again by the migration."""
    parent = task.parent
    while parent is not None and parent.workflow is task.workflow:
        if parent.state & (TaskState.READY | TaskState.WAITING):
            return True
        parent = parent.parent
    return False


# What SpiffWorkflow may raise on a workflow and a spec it cannot reconcile: that case cannot move, the others can.
_ENGINE_ERRORS = (SpiffWorkflowException, WorkflowException, KeyError, AttributeError, TypeError, ValueError)


def assess(workflow, new: LoadedDiagram) -> Assessment:
    try:
        return _assess(workflow, new)
    except _ENGINE_ERRORS as exc:
        return Assessment(BLOCKED, [f"Không đối chiếu được hồ sơ với phiên bản mới: {type(exc).__name__}: {exc}"])


def _assess(workflow, new: LoadedDiagram) -> Assessment:
    top, subs = _diffs(workflow, new)
    blocked, decide = [], []
    waiting_at = sorted({t.task_spec.bpmn_id for t in _active(workflow) if t.task_spec.bpmn_id and not is_timer(t)})
    for sp_id, sp in workflow.subprocesses.items():
        if subs.get(sp_id) is None:
            blocked.append(f"Bước «{_name(workflow.get_task_from_id(sp_id).task_spec)}» (quy trình con) không còn "
                           "trong phiên bản mới.")
    for diff in [top, *filter(None, subs.values())]:
        for task in diff.removed:
            spec = task.task_spec
            if not spec.bpmn_id:
                continue  # the engine's own helper tasks (split, join, root) follow their elements
            if task.state & ACTIVE:
                blocked.append(f"Hồ sơ đang ở «{_name(spec)}», bước này không còn trong phiên bản mới.")
            elif task.state & TaskState.COMPLETED:
                blocked.append(f"Hồ sơ đã đi qua «{_name(spec)}», bước này không còn trong phiên bản mới.")
            elif not _reset_later(task):
                blocked.append(f"Bước tiếp theo «{_name(spec)}» của hồ sơ không còn trong phiên bản mới.")
        for task, new_spec in diff.alignment.items():
            if new_spec is None or not (task.state & TaskState.READY) or not task.task_spec.manual:
                continue
            if (task.task_spec.lane or "") != (new_spec.lane or ""):
                decide.append(f"Nhiệm vụ đang chờ «{_name(task.task_spec)}» chuyển từ làn «{task.task_spec.lane}» "
                              f"sang làn «{new_spec.lane}»: người xử lý sẽ thay đổi.")
    reasons = sorted(set(blocked)) or sorted(set(decide))
    verdict = BLOCKED if blocked else DECIDE if decide else MIGRATE
    return Assessment(verdict, reasons, waiting_at, diffs=(new, top, subs))


def migrate(workflow, new: LoadedDiagram, data: dict | None = None, recompute: frozenset[str] = frozenset(),
            assessment: Assessment | None = None) -> None:
    """Move `workflow` onto `new` in place (see the module's note). The caller assessed it first (pass that
    `assessment` of this same, unchanged workflow to reuse its diff); WorkflowFailed when SpiffWorkflow cannot (the
    workflow object is then unusable: the caller drops it)."""
    diffs = assessment.diffs if assessment is not None else None
    try:
        _migrate(workflow, new, data, recompute, diffs[1:] if diffs and diffs[0] is new else None)
    except _ENGINE_ERRORS as exc:
        raise WorkflowFailed(f"Không chuyển được hồ sơ sang phiên bản mới: {type(exc).__name__}: {exc}") from exc


def _migrate(workflow, new: LoadedDiagram, data: dict | None, recompute: frozenset[str], diffs) -> None:
    before = {t.id: (dict(t.data), dict(t.internal_data), t.task_spec) for t in _active(workflow)}
    top, subs = diffs or _diffs(workflow, new)
    migrate_workflow(top, workflow, new.spec)
    for sp_id, sp in workflow.subprocesses.items():
        migrate_workflow(subs[sp_id], sp, new.subprocess_specs[sp.spec.name])
    workflow.subprocess_specs = new.subprocess_specs
    data = data or {}
    for tasks in [workflow.tasks, *(sp.tasks for sp in workflow.subprocesses.values())]:
        # a task takes its data from its parent when it is updated, so the new values go wherever the old ones are
        for task in tasks.values():
            for key in data.keys() & task.data.keys():
                task.data[key] = data[key]
    for task in _active(workflow):
        kept = before.get(task.id)
        if kept is not None:
            task.data.update({k: v for k, v in kept[0].items() if k not in data})
        task.data.update(data)
        if not is_timer(task):
            continue
        if kept is not None and _keeps_fire_time(kept[2], task.task_spec, recompute) and "event_value" in kept[1]:
            task.internal_data.update({k: v for k, v in kept[1].items() if k.startswith("event_")})
        else:  # evaluated again, on the data just written, at the next step (resetting it may have read the old)
            task.internal_data.pop("event_value", None)


def _keeps_fire_time(old_spec, new_spec, recompute: frozenset[str]) -> bool:
    old_expr = getattr(old_spec.event_definition, "expression", None)
    new_expr = getattr(new_spec.event_definition, "expression", None)
    if old_expr != new_expr or type(old_spec.event_definition) is not type(new_spec.event_definition):
        return False
    return not (isinstance(new_expr, str) and names_read(new_expr, expression=True) & recompute)
