"""The user tasks left on the way from a step to the end of its (sub)process, read from the published diagram.

For a unit's step inside `unit_preparation` that end is the submission — what the legal deadline binds; for the
receiving level's steps it is the decision. The shortest path through the sequence flows is taken (a return to an
earlier step is not planned for). Published versions never change, so each is read once per process.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..engine.diagrams import parse_xml
from ..models import DiagramVersion

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CONTAINERS = (f"{BPMN}process", f"{BPMN}subProcess")


@dataclass
class Diagram:
    names: dict[str, str] = field(default_factory=dict)  # user task id → its name
    order: list[str] = field(default_factory=list)  # user tasks in document order
    left: dict[str, list[str]] = field(default_factory=dict)  # user task id → the user tasks after it, to the end
    first: list[str] = field(default_factory=list)  # the unit's path from the start: first task and those after it


def diagram(session: Session, version_id: int) -> Diagram:
    key = (str(session.get_bind().url), version_id)
    found = _cache.get(key)
    if found is None:
        xml = session.scalar(select(DiagramVersion.bpmn_xml).where(DiagramVersion.id == version_id))
        found = _cache[key] = read(xml or "")
    return found


_cache: dict[tuple, Diagram] = {}


@lru_cache(maxsize=32)
def read(xml: str) -> Diagram:
    result = Diagram()
    if not xml:
        return result
    root = parse_xml(xml)
    for container in root.iter(*CONTAINERS):
        nodes = {el.get("id"): el for el in container if el.get("id") and _is_node(el)}
        flows: dict[str, list[str]] = {}
        for flow in container.findall(f"{BPMN}sequenceFlow"):
            flows.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
        ends = {i for i, el in nodes.items() if el.tag == f"{BPMN}endEvent"}
        tasks = [i for i, el in nodes.items() if el.tag == f"{BPMN}userTask"]
        for task in tasks:
            result.names[task] = nodes[task].get("name") or task
            result.order.append(task)
            result.left[task] = _shortest(task, flows, ends, nodes)
    process = next(iter(root.iter(f"{BPMN}process")), None)
    if process is not None:
        result.first = _first_path(process, result)
    return result


def _is_node(el) -> bool:
    return isinstance(el.tag, str) and el.tag.startswith(BPMN) and el.tag not in (
        f"{BPMN}sequenceFlow", f"{BPMN}laneSet", f"{BPMN}extensionElements", f"{BPMN}documentation")


def _shortest(start: str, flows, ends, nodes) -> list[str]:
    """The user tasks on the shortest flow path from `start` to an end event of its container (start excluded)."""
    queue, seen = deque([(start, [])]), {start}
    while queue:
        node, path = queue.popleft()
        if node in ends:
            return path
        for target in flows.get(node, []):
            if target not in seen and target in nodes:
                seen.add(target)
                el = nodes[target]
                queue.append((target, path + [target] if el.tag == f"{BPMN}userTask" else path))
    return []


def _first_path(process, result: Diagram) -> list[str]:
    """The first user task reached from the process's start (entering subprocesses, passing the gateways and events
    on the way, e.g. a merge that a return loop comes back to) and the tasks after it."""
    node = process
    for _ in range(10):
        start = node.find(f"{BPMN}startEvent")
        if start is None:
            return []
        flows: dict[str, list[str]] = {}
        for flow in node.findall(f"{BPMN}sequenceFlow"):
            flows.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
        children = {el.get("id"): el for el in node if el.get("id") and _is_node(el)}
        target = _first_activity(start.get("id"), flows, children)
        if target is None:
            return []
        if target.tag == f"{BPMN}userTask":
            return [target.get("id"), *result.left.get(target.get("id"), [])]
        node = target
    return []


def _first_activity(start: str, flows, children):
    """The nearest user task or subprocess after `start` in the same container (None if another activity or the end
    comes first)."""
    queue, seen = deque([start]), {start}
    while queue:
        for target_id in flows.get(queue.popleft(), []):
            target = children.get(target_id)
            if target_id in seen or target is None:
                continue
            seen.add(target_id)
            if target.tag in (f"{BPMN}userTask", f"{BPMN}subProcess"):
                return target
            if "Gateway" in target.tag or ("Event" in target.tag and target.tag != f"{BPMN}endEvent"):
                queue.append(target_id)
    return None
