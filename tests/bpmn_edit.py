"""Real modifications of the shipped nomination diagram, done with lxml the way a process owner's editor would
(elements, their lanes and their shapes), for the validator's and the migration's tests."""
from __future__ import annotations

from pathlib import Path

from lxml import etree

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
NOMINATION = (BPMN_DIR / "nomination.bpmn").read_text(encoding="utf-8")
CONSOLIDATION = (BPMN_DIR / "consolidation.bpmn").read_text(encoding="utf-8")
B = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": B, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}


def edit(change, xml: str = NOMINATION) -> str:
    """`xml` after `change(root)` (which edits the lxml tree in place)."""
    root = etree.fromstring(xml.encode("utf-8"))
    change(root)
    return etree.tostring(root, encoding="unicode")


def one(root, xpath: str):
    found = root.xpath(xpath, namespaces=NS)
    assert len(found) == 1, (xpath, len(found))
    return found[0]


def by_id(root, element_id: str):
    return one(root, f"//*[@id='{element_id}']")


def shape(root, element_id: str):
    return one(root, f"//bpmndi:BPMNShape[@bpmnElement='{element_id}'] | "
                     f"//bpmndi:BPMNEdge[@bpmnElement='{element_id}']")


def remove(element) -> None:
    element.getparent().remove(element)


def sub(parent, tag: str, **attrs):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}")
    for key, value in attrs.items():
        element.set(key, value)
    return element


def add_user_task(root, task_id: str, name: str, *, after: str, lane: str, form: str,
                  ui_form: str | None = None, x: int = 700, y: int = 120) -> None:
    """A user task put on the flow leaving `after` (the flow now runs after → new task → its old target), in the
    lane `lane`, drawn at (x, y), with its form — what the modeler writes."""
    flow = one(root, f"//bpmn:sequenceFlow[@sourceRef='{after}']")
    target = flow.get("targetRef")
    container = flow.getparent()
    task = sub(container, "bpmn:userTask", id=task_id, name=name)
    props = sub(sub(task, "bpmn:extensionElements"), "spiffworkflow:properties")
    sub(props, "spiffworkflow:property", name="formJsonSchemaFilename", value=form)
    if ui_form:
        sub(props, "spiffworkflow:property", name="formUiSchemaFilename", value=ui_form)
    sub(task, "bpmn:incoming").text = flow.get("id")
    new_flow_id = f"flow_{task_id}_done"
    sub(task, "bpmn:outgoing").text = new_flow_id
    flow.set("targetRef", task_id)
    old_target = by_id(root, target)
    for incoming in old_target.iterfind(f"{{{B}}}incoming"):
        if incoming.text == flow.get("id"):
            incoming.text = new_flow_id
    sub(container, "bpmn:sequenceFlow", id=new_flow_id, sourceRef=task_id, targetRef=target)
    sub(one(root, f"//bpmn:lane[@name='{lane}']"), "bpmn:flowNodeRef").text = task_id
    plane = one(root, "//bpmndi:BPMNPlane")
    bounds = sub(sub(plane, "bpmndi:BPMNShape", id=f"{task_id}_di", bpmnElement=task_id), "dc:Bounds",
                 x=str(x), y=str(y), width="100", height="80")
    assert bounds is not None
    edge = sub(plane, "bpmndi:BPMNEdge", id=f"{new_flow_id}_di", bpmnElement=new_flow_id)
    sub(edge, "di:waypoint", x=str(x + 100), y=str(y + 40))
    sub(edge, "di:waypoint", x=str(x + 150), y=str(y + 40))
