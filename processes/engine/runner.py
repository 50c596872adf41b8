"""Running workflows: start, complete a user task, advance to the next wait state, list what waits."""
from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from ..awards import dossier_level
from ..errors import Conflict, DomainError
from .diagrams import FORM_PROPERTY, UI_PROPERTY, LoadedDiagram
from .scripting import make_script_engine
from .serialization import clean_data, dump_state, load_state

# Functions the shipped and drawn diagrams may call from scripts and conditions.
SCRIPT_FUNCTIONS = {"dossier_level": dossier_level}
_script_engine = make_script_engine(SCRIPT_FUNCTIONS)


class WorkflowFailed(DomainError):
    """A script or condition in the diagram failed; the case stays where it was."""
    code = "workflow_error"
    status = 422


@dataclass(frozen=True)
class ReadyTask:
    uuid: str
    bpmn_id: str
    name: str
    lane: str
    form: str
    ui_form: str
    instructions: str


def start(diagram: LoadedDiagram) -> BpmnWorkflow:
    workflow = BpmnWorkflow(diagram.spec, diagram.subprocess_specs, script_engine=_script_engine)
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
        raise Conflict("Nhiệm vụ này không còn chờ xử lý.")
    task.data.update(data)
    try:
        task.run()
    except (SpiffWorkflowException, WorkflowException) as exc:
        raise WorkflowFailed(f"Quy trình gặp lỗi khi hoàn thành nhiệm vụ: {exc}") from exc
    _advance(workflow)


def _advance(workflow: BpmnWorkflow) -> None:
    try:
        workflow.do_engine_steps()
        workflow.refresh_waiting_tasks()
        workflow.do_engine_steps()
    except (SpiffWorkflowException, WorkflowException) as exc:
        raise WorkflowFailed(f"Quy trình gặp lỗi khi chạy tiếp: {exc}") from exc


def ready_user_tasks(workflow: BpmnWorkflow) -> list[ReadyTask]:
    ready = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        props = (getattr(spec, "extensions", None) or {}).get("properties", {})
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


def is_completed(workflow: BpmnWorkflow) -> bool:
    return workflow.is_completed()
