"""Saving a running workflow without its spec.

SpiffWorkflow's serializer writes the whole parsed diagram into every saved workflow. The spec of a published
version never changes and is cached in memory, so a case row stores only the instance state (tasks, data, events),
which is several times smaller and faster to read and write.
"""
from __future__ import annotations

import json
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG


class StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = StateOnlyWorkflowConverter
_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))


def spec_registry():
    """The serializer's registry: SpiffWorkflow's diff compares task specs through it."""
    return _serializer.registry


def dump_state(workflow: BpmnWorkflow) -> str:
    return _serializer.serialize_json(workflow)


def load_state(state: str, spec, subprocess_specs) -> BpmnWorkflow:
    dct = json.loads(state)
    _serializer.migrate(dct)
    return _serializer.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)


def clean_data(data: dict) -> dict:
    """Task data as JSON-ready values (what the case row and the API show); the registry builds new containers,
    so the result shares nothing mutable with the workflow."""
    return _serializer.registry.convert(_serializer.registry.clean(data))
