"""Loading BPMN documents: hostile-XML-safe parsing, schema validation, and what the engine itself can say about a
diagram (its drawing, its reachability, its scripts, conditions and timers), each finding naming its element.

A diagram is parsed once per published version and its spec cached in memory (versions are immutable), so running
a case never re-parses XML. The application's own checks (forms, roles, rules, case data, contracts) live in
`processes/diagram_validation.py`; this module offers the facts they need (`flow_graph`, `expressions`).
"""
from __future__ import annotations

import ast
import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import UserTask

from .errors import DiagramInvalid, Finding
from .scripting import BUILTIN_NAMES, check_source

MAX_BPMN_BYTES = 2 * 1024 * 1024
FORM_PROPERTY = "formJsonSchemaFilename"
UI_PROPERTY = "formUiSchemaFilename"

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "spiffworkflow": SPIFF}
FLOW_NODES = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "task",
              "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "businessRuleTask",
              "callActivity", "subProcess", "transaction", "exclusiveGateway", "inclusiveGateway", "parallelGateway",
              "eventBasedGateway", "complexGateway")
_FLOW_TAGS = {f"{{{BPMN}}}{name}" for name in FLOW_NODES}
_CONTAINERS = {f"{{{BPMN}}}subProcess", f"{{{BPMN}}}transaction"}

# No DTDs, no entities, no network, no billion laughs: a BPMN file needs none of them.
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, dtd_validation=False, load_dtd=False, huge_tree=False,
    remove_comments=False,
)
_validator_lock = threading.Lock()
_validator: BpmnValidator | None = None


def _bpmn_validator() -> BpmnValidator:
    global _validator
    with _validator_lock:
        if _validator is None:
            _validator = BpmnValidator()
        return _validator


def checksum(xml: str) -> str:
    return hashlib.sha256(xml.encode("utf-8")).hexdigest()


def parse_xml(xml: str | bytes) -> etree._Element:
    """The document's root, refusing oversize, DTD/entity-bearing and malformed XML before anything reads it."""
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    if len(raw) > MAX_BPMN_BYTES:
        raise DiagramInvalid(f"Tệp BPMN quá lớn ({len(raw) // 1024} KB, tối đa {MAX_BPMN_BYTES // 1024} KB).")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise DiagramInvalid("Tệp BPMN không được chứa DOCTYPE hay ENTITY (có thể là tệp độc hại).")
    try:
        return etree.fromstring(raw, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise DiagramInvalid(f"Tệp BPMN không phải XML hợp lệ: {exc}") from exc


def schema_findings(root) -> list[Finding]:
    """Every BPMN 2.0 XSD violation, drawn on the element at the line the schema names."""
    validator = _bpmn_validator()
    with _validator_lock:  # an lxml XMLSchema keeps its error log on itself
        validator.preprocess(root)
        if validator.validator.validate(root):
            return []
        errors = [(e.line, e.message) for e in validator.validator.error_log]
    by_line = {}
    for element in root.iter():
        if isinstance(element.tag, str):
            by_line.setdefault(element.sourceline, element)
    findings = []
    for line, message in errors:
        element = by_line.get(line)
        while element is not None and not element.get("id"):  # drawn on the nearest element that has an id
            element = element.getparent()
        element_id, label = (element.get("id"), element.get("name") or "") if element is not None else (None, "")
        findings.append(Finding(element_id, label, f"Sơ đồ BPMN không hợp lệ (dòng {line}): {message}"))
    return findings


@dataclass
class LoadedDiagram:
    process_id: str
    spec: object
    subprocess_specs: dict
    problems: list[str] = field(default_factory=list)


def build(root, process_id: str | None = None) -> LoadedDiagram:
    """SpiffWorkflow's spec of the document's executable process (`process_id`, else the first one)."""
    parser = SpiffBpmnParser()  # the schema was checked by `schema_findings`
    try:
        parser.add_bpmn_xml(etree.ElementTree(root), filename="diagram.bpmn")
        executable = [pid for pid in parser.get_process_ids()
                      if parser.get_process_parser(pid).node.get("isExecutable", "true") != "false"]
        if process_id is None:
            if not executable:
                raise DiagramInvalid("Sơ đồ không có quy trình nào có thể thực thi (isExecutable).")
            process_id = executable[0]
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except DiagramInvalid:
        raise
    except ValidationException as exc:
        message = f"Sơ đồ BPMN không hợp lệ: {_in_vietnamese(str(exc))}"
        raise DiagramInvalid(message, [Finding(exc.id or None, exc.name or "", message)]) from exc
    except (SpiffWorkflowException, KeyError, ValueError, AttributeError, TypeError) as exc:
        raise DiagramInvalid(f"Không đọc được sơ đồ BPMN: {exc}") from exc
    return LoadedDiagram(process_id, spec, subprocess_specs)


# SpiffWorkflow's parser speaks English; the owner reads Vietnamese. Its messages an owner can meet while drawing,
# by a fragment of each (the rest of an unknown message is shown as it is).
_PARSER_WORDS = (
    ("Unknown Time Specification", "sự kiện hẹn giờ chưa có thời điểm, thời lượng hay chu kỳ (timeDate, timeDuration "
                                   "hoặc timeCycle): nhập biểu thức trong nhóm «Timer»."),
    ("Time Specification Error", "biểu thức hẹn giờ không đọc được."),
    ("No start event found", "quy trình chưa có sự kiện bắt đầu."),
    ("Must contain an End event", "quy trình con phải có sự kiện kết thúc."),
    ("Conditional event definition with missing condition", "sự kiện điều kiện chưa có điều kiện."),
    ("identifier is missing", "sự kiện thiếu định danh (tín hiệu, lỗi, leo thang hay tương quan)."),
    ("Duplicate process ID", "hai quy trình trùng mã (id)."),
    ("no support implemented for this task type", "loại nhiệm vụ này chưa được hỗ trợ."),
)


def _in_vietnamese(message: str) -> str:
    for fragment, words in _PARSER_WORDS:
        if fragment.lower() in message.lower():
            return words
    return message


FormCheck = Callable[[str], bool]


def load_diagram(xml: str, forms: Path | FormCheck | None = None, process_id: str | None = None,
                 task_checks=()) -> LoadedDiagram:
    """Parse, validate and check a BPMN document; raise DiagramInvalid listing everything wrong with it.

    `forms`: a folder or a callable saying whether a form name exists; None when the forms were checked when the
    version was published (a running case's forms are pinned there). `task_checks` are the application's own
    checks: callables (task spec, its label) → problem texts, run on every task spec."""
    root = parse_xml(xml)
    findings = schema_findings(root)
    if findings:
        raise DiagramInvalid(findings[0].message, findings)
    loaded = build(root, process_id)
    findings = sandbox_findings(root) + form_findings(loaded, forms)
    for ts in all_task_specs(loaded):
        for check in task_checks:
            findings.extend(Finding(ts.bpmn_id, ts.bpmn_name or "", text)
                            for text in check(ts, ts.bpmn_name or ts.name))
    if findings:
        raise DiagramInvalid("Sơ đồ chưa thể chạy: " + "; ".join(f.message for f in findings), findings)
    return loaded


def properties(spec) -> dict:
    """A task spec's spiffworkflow:property values (its form, UI schema, the application's own properties)."""
    return (getattr(spec, "extensions", None) or {}).get("properties", {}) or {}


def all_task_specs(loaded: LoadedDiagram):
    for s in [loaded.spec, *loaded.subprocess_specs.values()]:
        yield from s.task_specs.values()


def user_tasks(loaded: LoadedDiagram) -> list:
    return [ts for ts in all_task_specs(loaded) if isinstance(ts, UserTask)]


def form_findings(loaded: LoadedDiagram, forms: Path | FormCheck | None) -> list[Finding]:
    """Every user task names a form that exists (and its UI schema, when it names one)."""
    if forms is None:
        return []
    exists = forms if callable(forms) else (lambda name: _form_file_exists(forms, name))
    findings = []
    for ts in user_tasks(loaded):
        label = ts.bpmn_name or ts.name
        props = properties(ts)
        form = props.get(FORM_PROPERTY)
        if not form:
            findings.append(Finding(ts.bpmn_id, ts.bpmn_name or "",
                                    f"Nhiệm vụ «{label}» chưa khai báo biểu mẫu ({FORM_PROPERTY})."))
        elif not _safe_name(form) or not exists(form):
            findings.append(Finding(ts.bpmn_id, ts.bpmn_name or "",
                                    f"Nhiệm vụ «{label}» dùng biểu mẫu «{form}» không có trong kho biểu mẫu."))
        ui = props.get(UI_PROPERTY)
        if ui and (not _safe_name(ui) or not exists(ui)):
            findings.append(Finding(ts.bpmn_id, ts.bpmn_name or "",
                                    f"Nhiệm vụ «{label}» dùng gợi ý giao diện «{ui}» không có trong kho biểu mẫu."))
    return findings


def _safe_name(name: str) -> bool:
    # Only a bare file name: no paths, so a diagram cannot point the server at other files.
    return not ("/" in name or "\\" in name or name.startswith("."))


def _form_file_exists(forms_dir: Path, name: str) -> bool:
    return _safe_name(name) and (forms_dir / name).is_file()


# --- what the document says, element by element (lxml, so each fact keeps its element id) ---------------------------

def _label(element) -> str:
    return element.get("name") or ""


def _local(element) -> str:
    return etree.QName(element).localname


def executable_processes(root) -> list:
    return [p for p in root.iterfind(f"{{{BPMN}}}process") if p.get("isExecutable", "true") != "false"]


def flow_nodes(container) -> list:
    """Every flow node of a process, subprocesses' included."""
    return [e for e in container.iter(*_FLOW_TAGS)]


@dataclass(frozen=True)
class Expression:
    element_id: str
    label: str
    kind: str  # "script" | "condition" | "timer"
    source: str
    at: str  # the flow node where it is evaluated: what ran before it is the data it may read


def expressions(root) -> list[Expression]:
    """The scripts (script tasks, pre- and post-scripts), gateway conditions and timer expressions of the document's
    executable processes, each with the element it is drawn on and the node where it runs."""
    found = []
    for process in executable_processes(root):
        for node in flow_nodes(process):
            node_id, label = node.get("id"), _label(node)
            script = node.find(f"{{{BPMN}}}script")
            if script is not None and (script.text or "").strip():
                found.append(Expression(node_id, label, "script", script.text, node_id))
            for tag in ("preScript", "postScript"):
                for extra in node.iterfind(f"{{{BPMN}}}extensionElements/{{{SPIFF}}}{tag}"):
                    if (extra.text or "").strip():
                        found.append(Expression(node_id, label, "script", extra.text, node_id))
            for timer in node.iterfind(f"{{{BPMN}}}timerEventDefinition/*"):
                if _local(timer) in ("timeDate", "timeDuration", "timeCycle"):
                    at = node.get("attachedToRef") or node_id  # a boundary timer starts with its activity
                    found.append(Expression(node_id, label, "timer", (timer.text or "").strip(), at))
        for flow in process.iter(f"{{{BPMN}}}sequenceFlow"):
            condition = flow.find(f"{{{BPMN}}}conditionExpression")
            if condition is not None and (condition.text or "").strip():
                found.append(Expression(flow.get("id"), _label(flow), "condition", condition.text.strip(),
                                        flow.get("sourceRef")))
    return found


_KIND_WORDS = {"script": "kịch bản", "condition": "điều kiện", "timer": "biểu thức hẹn giờ"}


def sandbox_findings(root) -> list[Finding]:
    """Each script, condition and timer expression compiles in the sandbox (scripting.py)."""
    findings = []
    for expr in expressions(root):
        if not expr.source:
            findings.append(Finding(expr.element_id, expr.label,
                                    f"«{expr.label or expr.element_id}»: {_KIND_WORDS[expr.kind]} đang trống."))
            continue
        error = check_source(expr.source, expression=expr.kind != "script")
        if not error and expr.kind == "script" and _endless_loop(expr.source):
            error = "vòng lặp không bao giờ dừng (while True không có break)"
        if error:
            findings.append(Finding(expr.element_id, expr.label,
                                    f"«{expr.label or expr.element_id}»: {_KIND_WORDS[expr.kind]} "
                                    f"«{_short(expr.source)}» bị từ chối: {error}"))
    return findings


def _short(source: str) -> str:
    text = " ".join(source.split())
    return text if len(text) <= 80 else text[:77] + "…"


def names_read(source: str, *, expression: bool) -> set[str]:
    """Free names a script or expression reads: loaded and never assigned in it, builtins aside."""
    try:
        tree = ast.parse(source.strip(), mode="eval" if expression else "exec")
    except SyntaxError:
        return set()
    loaded, stored = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else stored).add(node.id)
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
        elif isinstance(node, ast.FunctionDef):
            stored.add(node.name)
    return loaded - stored - BUILTIN_NAMES


def names_assigned(source: str) -> set[str]:
    """Top-level names a script assigns (what it leaves in the task data)."""
    try:
        tree = ast.parse(source.strip())
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


@dataclass
class FlowGraph:
    """The flow of the executable processes: which node can run after which, and what the owner sees of each."""
    nodes: dict  # id → lxml element
    successors: dict  # id → set of ids
    roots: set  # the process-level start events
    inside: dict  # subprocess id → the ids of every node within it

    def before(self, node_id: str, ancestors: dict) -> set[str]:
        """What may have run before `node_id` starts: its ancestors, but not its own content (a subprocess's nodes
        run after it starts, and a boundary timer is set when its activity starts)."""
        return ancestors.get(node_id, {node_id}) - self.inside.get(node_id, set())

    def reachable(self) -> set[str]:
        seen, todo = set(), list(self.roots)
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(self.successors.get(node, ()))
        return seen

    def ancestors(self) -> dict[str, set[str]]:
        """Per node, every node from which it can be reached (itself included): what may have run before it."""
        predecessors: dict[str, set[str]] = {n: set() for n in self.nodes}
        for source, targets in self.successors.items():
            for target in targets:
                predecessors.setdefault(target, set()).add(source)
        result = {}
        for node in self.nodes:
            # Within a subprocess, what its other nodes produce is known only along the flow: the edges from its
            # nodes to the subprocess (its completion) count for what comes after it, not for what is inside it.
            around = {c for c, members in self.inside.items() if node in members}
            seen, todo = set(), [node]
            while todo:
                current = todo.pop()
                if current not in seen:
                    seen.add(current)
                    inner = self.inside.get(current, ()) if current in around else ()
                    todo.extend(p for p in predecessors.get(current, ()) if p not in inner)
            result[node] = seen
        return result


def flow_graph(root) -> FlowGraph:
    """Edges: sequence flows; a subprocess to its start events (it starts them) and each node within it to the
    subprocess (what they produce is there when the subprocess ends); an activity to its boundary events."""
    nodes, successors, roots, inside = {}, {}, set(), {}

    def link(a, b):
        successors.setdefault(a, set()).add(b)

    for process in executable_processes(root):
        for node in flow_nodes(process):
            nodes[node.get("id")] = node
            parent = node.getparent()
            if _local(node) == "startEvent":
                if parent is process:
                    roots.add(node.get("id"))
                elif parent.tag in _CONTAINERS:  # a subprocess starts its start events
                    link(parent.get("id"), node.get("id"))
            if node.tag in _CONTAINERS and node.get("triggeredByEvent") == "true" and parent.get("id"):
                link(parent.get("id"), node.get("id"))  # an event subprocess may start while its parent runs
            if node.tag in _CONTAINERS:
                inside[node.get("id")] = {n.get("id") for n in flow_nodes(node) if n is not node}
                for child in inside[node.get("id")]:
                    link(child, node.get("id"))
            if node.get("attachedToRef"):
                link(node.get("attachedToRef"), node.get("id"))
        for flow in process.iter(f"{{{BPMN}}}sequenceFlow"):
            if flow.get("sourceRef") and flow.get("targetRef"):
                link(flow.get("sourceRef"), flow.get("targetRef"))
    return FlowGraph(nodes, successors, roots, inside)


def structure_findings(root, graph: FlowGraph | None = None) -> list[Finding]:
    """Diagram interchange (every flow node has a shape, every sequence flow an edge, so bpmn-js draws it all) and
    reachability (every flow node can be reached from a start event)."""
    graph = graph or flow_graph(root)
    drawn = {e.get("bpmnElement") for e in root.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge")}
    findings = []
    if root.find(f"{{{BPMNDI}}}BPMNDiagram") is None:
        findings.append(Finding(None, "", "Sơ đồ không có phần hình vẽ (BPMN Diagram Interchange): "
                                          "hãy lưu từ trình soạn sơ đồ để có vị trí của từng phần tử."))
    else:
        for node_id, node in graph.nodes.items():
            if node_id not in drawn:
                findings.append(Finding(node_id, _label(node),
                                        f"Phần tử «{_label(node) or node_id}» chưa có hình trên sơ đồ (BPMNShape)."))
        for process in executable_processes(root):
            for flow in process.iter(f"{{{BPMN}}}sequenceFlow"):
                if flow.get("id") not in drawn:
                    label = _label(flow) or flow.get("id")
                    findings.append(Finding(flow.get("id"), _label(flow),
                                            f"Luồng «{label}» chưa được vẽ trên sơ đồ (BPMNEdge)."))
    if not graph.roots and graph.nodes:
        findings.append(Finding(None, "", "Quy trình không có sự kiện bắt đầu."))
    else:
        reachable = graph.reachable()
        for node_id, node in graph.nodes.items():
            if node_id not in reachable:
                findings.append(Finding(node_id, _label(node), f"Phần tử «{_label(node) or node_id}» không thể đến "
                                                               "được từ sự kiện bắt đầu (không có luồng nào dẫn tới)."))
    return findings


def gateway_findings(root) -> list[Finding]:
    """A diverging exclusive or inclusive gateway: every outgoing flow but its default carries a condition
    (SpiffWorkflow's parser refuses it, in English and one at a time; this says it for each flow)."""
    findings = []
    for process in executable_processes(root):
        flows = {f.get("id"): f for f in process.iter(f"{{{BPMN}}}sequenceFlow")}
        for gateway in process.iter(f"{{{BPMN}}}exclusiveGateway", f"{{{BPMN}}}inclusiveGateway"):
            outgoing = [flows[f.get("id")] for f in flows.values() if f.get("sourceRef") == gateway.get("id")]
            if len(outgoing) < 2:
                continue
            for flow in outgoing:
                if flow.get("id") != gateway.get("default") and flow.find(f"{{{BPMN}}}conditionExpression") is None:
                    name = _label(gateway) or gateway.get("id")
                    findings.append(Finding(flow.get("id"), _label(flow),
                                            f"Luồng «{_label(flow) or flow.get('id')}» ra khỏi cổng «{name}» không có "
                                            "điều kiện và không phải luồng mặc định."))
    return findings


def _endless_loop(source: str) -> bool:
    """`while True:` (or any constant truthy test) with no break and no return: it can only end by the budget."""
    try:
        tree = ast.parse(source.strip())
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.While) and isinstance(node.test, ast.Constant) and node.test.value:
            if not any(isinstance(n, (ast.Break, ast.Return)) for n in ast.walk(node)):
                return True
    return False


class SpecCache:
    """Parsed specs per published diagram version (keyed by database and version id); versions never change."""

    def __init__(self, forms_dir: Path | None = None):
        self.forms_dir = forms_dir
        self._lock = threading.Lock()
        self._specs: dict[tuple, LoadedDiagram] = {}

    def peek(self, key: tuple) -> LoadedDiagram | None:
        return self._specs.get(key)

    def put(self, key: tuple, loaded: LoadedDiagram) -> LoadedDiagram:
        with self._lock:
            return self._specs.setdefault(key, loaded)
