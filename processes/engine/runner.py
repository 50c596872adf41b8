"""Running workflows: start, complete a user task, advance to the next wait state, list what waits."""
from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent as EndEventMixin
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessage
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from . import timers  # also puts SpiffWorkflow's timers on the installed clock
from .diagrams import FORM_PROPERTY, UI_PROPERTY, LoadedDiagram, properties
from .errors import TaskNotReady, WorkflowFailed
from .scripting import ScriptRejected, make_script_engine
from .serialization import clean_data, dump_state, load_state

# Functions the diagrams may call from scripts, conditions and timer expressions; the application lends them with
# `register_script_functions` (working days, award levels…), so the engine needs nothing of the domain.
_script_functions: dict = {}
_script_engine = make_script_engine(_script_functions)


def register_script_functions(**functions) -> None:
    """Offer `functions` to every diagram's scripts and expressions (by name)."""
    global _script_engine
    _script_functions.update(functions)
    _script_engine = make_script_engine(_script_functions)


def script_function_names() -> frozenset[str]:
    """The names of the functions lent to diagrams (what an expression may call besides the builtins)."""
    return frozenset(_script_functions)


@dataclass(frozen=True)
class ReadyTask:
    uuid: str
    bpmn_id: str
    name: str
    lane: str
    form: str
    ui_form: str
    instructions: str


def start(diagram: LoadedDiagram, data: dict | None = None) -> BpmnWorkflow:
    """A new workflow whose start carries `data` (what timers and scripts read: deadlines, the campaign…)."""
    try:
        workflow = BpmnWorkflow(diagram.spec, diagram.subprocess_specs, script_engine=_script_engine)
    except RecursionError as exc:  # SpiffWorkflow predicts the task tree recursively, through any cycle
        raise WorkflowFailed(LOOPING) from exc
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data or {})
    _advance(workflow)
    return workflow


def restore(diagram: LoadedDiagram, state: str) -> BpmnWorkflow:
    workflow = load_state(state, diagram.spec, diagram.subprocess_specs)
    workflow.script_engine = _script_engine
    return workflow


def save(workflow: BpmnWorkflow) -> str:
    return dump_state(workflow)


def complete_user_task(workflow: BpmnWorkflow, task_uuid: str, data: dict) -> None:
    task = workflow.get_task_from_id(UUID(task_uuid))
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise TaskNotReady(task_uuid)
    task.data.update(data)
    try:
        task.run()
    except (SpiffWorkflowException, WorkflowException) as exc:
        raise _failed(exc) from exc
    _advance(workflow)


def deliver_message(workflow: BpmnWorkflow, name: str, payload: dict) -> None:
    """Hand a message from another case to the catch event waiting for it (e.g. the supreme decision flowing back
    from the consolidation case to a unit's case), and run on to the next wait state."""
    try:
        workflow.send_event(BpmnEvent(SpiffMessage(name), payload))
    except (SpiffWorkflowException, WorkflowException) as exc:
        raise WorkflowFailed(f"{name}: {exc}") from exc
    _advance(workflow)


def waiting_for(workflow: BpmnWorkflow) -> list[str]:
    """Names of the catch events the workflow waits on (what to show as its step when no person has a task)."""
    return [t.task_spec.bpmn_name or t.task_spec.name for t in workflow.get_tasks(state=TaskState.WAITING)
            if hasattr(t.task_spec, "event_definition") and isinstance(t.task_spec.event_definition, SpiffMessage)]


def task_property(workflow: BpmnWorkflow, task_uuid: str, name: str) -> str:
    """An extension property (spiffworkflow:property) of a task's spec, "" when absent."""
    return properties(workflow.get_task_from_id(UUID(task_uuid)).task_spec).get(name, "")


def update_ready_task(workflow: BpmnWorkflow, bpmn_id: str, data: dict) -> bool:
    """Put `data` on the ready user task with this BPMN id; False when none is ready."""
    task = next((t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                 if t.task_spec.bpmn_id == bpmn_id), None)
    if task is None:
        return False
    task.data.update(data)
    return True


def fire_timers(workflow: BpmnWorkflow) -> None:
    """Let every timer that is due by the clock fire, and run on to the next wait state."""
    _advance(workflow)


MAX_ENGINE_STEPS = 2_000  # tasks one advance may complete: a diagram looping without a wait state must stop
LOOPING = "Quy trình chạy vòng lặp không có bước dừng (vòng lặp trong sơ đồ?) nên đã bị dừng."


def _advance(workflow: BpmnWorkflow) -> None:
    steps = [0]

    def note_timer(task):
        steps[0] += 1
        if steps[0] > MAX_ENGINE_STEPS:
            raise WorkflowFailed(LOOPING)
        if timers.is_timer(task):
            fired_timers(workflow).add(str(task.id))

    try:
        workflow.do_engine_steps(did_complete_task=note_timer)
        workflow.refresh_timers()
        workflow.do_engine_steps(did_complete_task=note_timer)
    except (SpiffWorkflowException, WorkflowException) as exc:
        raise _failed(exc) from exc
    except RecursionError as exc:  # the task tree of a cycle without a wait state grows deeper each turn
        raise WorkflowFailed(LOOPING) from exc


def _failed(exc: Exception) -> WorkflowFailed:
    # SpiffWorkflow words a failed condition as "Error evaluating expression '…'" and keeps the reason aside; a
    # script stopped by its budget must say so — and where — on the incident and to the person whose step failed.
    cause, seen = exc, 0
    while cause is not None and seen < 10:  # SpiffWorkflow keeps it as __cause__ or __context__
        if isinstance(cause, ScriptRejected):
            spec = getattr(exc, "task_spec", None)
            where = (getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or "") if spec else ""
            return WorkflowFailed(f"{cause} ({where})" if where else str(cause))
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return WorkflowFailed(str(exc))


def fired_timers(workflow: BpmnWorkflow) -> set[str]:
    """Task ids of the timer events that fired while this object ran (not kept in the saved state).

    Kept so a timer that is entered and fires in one step (a deadline already past) is still recorded."""
    if not hasattr(workflow, "_tdkt_fired_timers"):
        workflow._tdkt_fired_timers = set()
    return workflow._tdkt_fired_timers


def completed_before(workflow: BpmnWorkflow, bpmn_ids) -> set[str]:
    """Which of these user-task ids this workflow has completed before (a step it comes back to)."""
    wanted = set(bpmn_ids)
    return {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED, manual=True)
            if t.task_spec.bpmn_id in wanted}


def ready_user_tasks(workflow: BpmnWorkflow) -> list[ReadyTask]:
    ready = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        props = properties(spec)
        ready.append(ReadyTask(
            uuid=str(task.id),
            bpmn_id=spec.bpmn_id or spec.name,
            name=spec.bpmn_name or spec.name,
            lane=spec.lane or "",
            form=props.get(FORM_PROPERTY, ""),
            ui_form=props.get(UI_PROPERTY, ""),
            instructions=spec.documentation or "",
        ))
    return ready


def current_data(workflow: BpmnWorkflow) -> dict:
    """The data the case carries now: a waiting task's, or the last finished one's when nothing waits."""
    waiting = workflow.get_next_task(state=TaskState.READY | TaskState.WAITING, manual=None)
    source = waiting.data if waiting is not None else (workflow.last_task.data if workflow.last_task else {})
    return clean_data({**workflow.data, **source})


def thrown_messages(workflow: BpmnWorkflow) -> list[str]:
    """Names of the messages the diagram threw that nothing inside it caught (tdkt.reminder, tdkt.late, …): the
    diagram's way of telling the application something happened. Draining: each is returned once."""
    return [event.event_definition.name for event in workflow.get_events()
            if isinstance(event.event_definition, MessageEventDefinition)]  # not terminate, signal, …


def reached_ends(workflow: BpmnWorkflow) -> list[str]:
    """The BPMN ids of the end events the workflow has reached (the case diagram marks where a case ended)."""
    return sorted({t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)
                   if isinstance(t.task_spec, EndEventMixin) and t.task_spec.bpmn_id})


def is_completed(workflow: BpmnWorkflow) -> bool:
    return workflow.is_completed()
