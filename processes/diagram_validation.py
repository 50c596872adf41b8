"""The one validator of a BPMN document, as a list of problems each naming the element it is about, so that the
modeler can draw them on the diagram and publishing can refuse them with the same words.

Interface shared by the editor (webapp) and publishing: `check(xml) -> list[Problem]`; an empty list means the
document may be published. A draft may be invalid; only a valid document publishes (`diagram_versions.validate`
raises exactly when `check` answers problems, with their words).

What is checked, in order (the first two stop the rest: nothing else can be read from such a document):
1. the XML is safe and well-formed (size limit, no DTD or entity) and valid BPMN 2.0 (the XSD);
2. SpiffWorkflow parses it into a runnable process;
3. diagram interchange: every flow node has a shape and every sequence flow an edge; every flow node is reachable
   from a start event;
4. scripts, gateway conditions and timer expressions compile in the RestrictedPython sandbox;
5. every user task names a form that exists in the form registry (`formJsonSchemaFilename`, SpiffArena's own
   `spiffworkflow:property`), sits in a lane naming a known role, and names only rules that exist;
6. the case data an expression reads exists before it runs — see `DATA RULE` below;
7. the shipped process ids keep the task ids and messages the code depends on (`contracts.py`).

DATA RULE (pragmatic, not a full data-flow analysis): a name a script, condition or timer expression reads is known
when it is one of the start data keys (`case_data.start_data`), a function lent to diagrams, a builtin, a data
object of the diagram, or produced by a node from which the expression's node can be reached (its "ancestors",
itself included, across loops): a user task produces the top-level fields of its form, a script task what it
assigns, a message catch event its message variable; a subprocess what its nodes produce (for what comes after it;
inside it, only along its flow). A boundary timer runs when its activity starts, so it reads
what came before that activity. An expression whose ancestors include a task with a missing form is not checked (the
form's problem is reported already).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from types import SimpleNamespace
from typing import Callable

from sqlalchemy.orm import Session

from . import form_registry
from .case_data import start_data
from .contracts import RULES_PROPERTY, Message, Process, TaskId
from .engine import runner
from .engine.diagrams import (BPMN, SPIFF, FORM_PROPERTY, LoadedDiagram, build, executable_processes, expressions,
                              flow_graph, flow_nodes,
                              form_findings, gateway_findings, names_assigned, names_read, parse_xml, properties, sandbox_findings,
                              schema_findings, structure_findings, user_tasks)
from .engine.errors import DiagramInvalid, Finding
from .errors import NotFound
from .forms import FORMS_DIR, forms
from .roles import role_for_lane
from .rules import CHECKS

#: The task ids and messages the code relies on, per process id the code starts (processes/contracts.py): a new
#: version of such a process must keep them, or the roll-up, the deadlines and the notifications stop working.
CONTRACT: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    Process.NOMINATION: (
        frozenset({TaskId.REGISTER_NOMINEES, TaskId.SUBMIT_DOSSIER}),
        frozenset({Message.REMINDER, Message.LATE, Message.NOT_SUBMITTED, Message.REVIEW_OVERDUE,
                   Message.FORWARDED, Message.DECIDED})),
    Process.CONSOLIDATION: (
        frozenset({TaskId.SELECT_NOMINEES}),
        frozenset({Message.REMINDER, Message.LATE, Message.REVIEW_OVERDUE, Message.DECIDED})),
}


@dataclass(frozen=True)
class Problem:
    element_id: str | None  # the BPMN element the problem is drawn on; None for the document as a whole
    label: str              # the element's name as the owner sees it ("" when it has none)
    message: str            # Vietnamese, complete on its own

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class Forms:
    """How the validator sees the form registry: whether a name exists, and a schema's document."""
    exists: Callable[[str], bool]
    load: Callable[[str], dict | None]


def check(xml: str, session: Session | None = None) -> list[Problem]:
    """Every problem of the document; [] when it may be published. With `session`, forms are looked up in the
    database's form registry (what process owners saved, and the shipped ones); without, in the shipped forms/
    folder only. The editor and publishing pass their session."""
    problems, _loaded = _check(xml, _forms(session))
    return problems


def check_and_load(xml: str, session: Session | None = None) -> tuple[list[Problem], LoadedDiagram | None]:
    """`check`, and the parsed diagram when there is no problem (publishing needs both)."""
    return _check(xml, _forms(session))


def _forms(session: Session | None) -> Forms:
    if session is None:
        return _FILE_FORMS
    exists, load = form_registry.validator_view(session)
    return Forms(exists, load)


def _load_file(name: str) -> dict | None:
    try:
        return forms.load(name)
    except (NotFound, ValueError):  # a missing or unreadable form is reported by form_findings
        return None


_FILE_FORMS = Forms(lambda name: (FORMS_DIR / name).is_file(), _load_file)


def _check(xml: str, registry: Forms) -> tuple[list[Problem], LoadedDiagram | None]:
    try:
        root = parse_xml(xml)
        findings = schema_findings(root) or _reference_findings(root) or gateway_findings(root)
        if findings:
            return _problems(findings), None
        loaded = build(root)
    except DiagramInvalid as exc:
        return _problems(exc.problems), None
    graph = flow_graph(root)
    findings = structure_findings(root, graph) + sandbox_findings(root)
    form_problems = form_findings(loaded, registry.exists)
    findings += form_problems + list(_task_findings(loaded))
    findings += _data_findings(root, graph, loaded, registry, {f.element_id for f in form_problems})
    findings += _contract_findings(root, loaded)
    problems = _problems(findings)
    return problems, (None if problems else loaded)


def _reference_findings(root) -> list[Finding]:
    """A flow whose end names no element (one deleted by hand) — SpiffWorkflow's parser says it in English and
    about another element ("we found two items, perhaps a form has the same ID?")."""
    findings = []
    for process in executable_processes(root):
        ids = {node.get("id") for node in flow_nodes(process)}
        for flow in process.iter(f"{{{BPMN}}}sequenceFlow"):
            for end, word in (("sourceRef", "xuất phát từ"), ("targetRef", "dẫn tới")):
                if flow.get(end) not in ids:
                    label = flow.get("name") or flow.get("id")
                    findings.append(Finding(flow.get("id"), flow.get("name") or "",
                                            f"Luồng «{label}» {word} phần tử «{flow.get(end) or ''}» không có trên "
                                            "sơ đồ (đã bị xóa?): nối lại luồng hoặc xóa nó."))
    return findings


def _problems(findings) -> list[Problem]:
    seen, out = set(), []
    for f in findings:
        problem = Problem(f.element_id, f.label, f.message)
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return out


# --- the application's checks on each task ---------------------------------------------------------------------------

def _named_rules_exist(spec, label: str):
    unknown = [n.strip() for n in properties(spec).get(RULES_PROPERTY, "").split(",")
               if n.strip() and n.strip() not in CHECKS]
    if unknown:
        yield f"Nhiệm vụ «{label}» khai báo quy tắc không có: {', '.join(unknown)} (có: {', '.join(CHECKS)})."


def _lane_names_a_role(spec, label: str):
    if not getattr(spec, "manual", False):
        return
    if not spec.lane:
        yield f"Nhiệm vụ «{label}» không nằm trong làn nào: làn cho biết vai trò nào thực hiện nhiệm vụ."
    elif role_for_lane(spec.lane) is None:
        yield f"Làn «{spec.lane}» của nhiệm vụ «{label}» không ứng với vai trò nào đã khai báo."


TASK_CHECKS = (_named_rules_exist, _lane_names_a_role)


def _task_findings(loaded: LoadedDiagram):
    for spec in _specs(loaded):
        label = spec.bpmn_name or spec.name
        for task_check in TASK_CHECKS:
            for text in task_check(spec, label):
                yield Finding(spec.bpmn_id, spec.bpmn_name or "", text)


def _specs(loaded: LoadedDiagram):
    for s in [loaded.spec, *loaded.subprocess_specs.values()]:
        for spec in s.task_specs.values():
            if spec.bpmn_id:
                yield spec


# --- case data --------------------------------------------------------------------------------------------------------

@cache
def start_keys() -> frozenset[str]:
    """The keys every case starts with (what `case_data.start_data` gives any campaign)."""
    return frozenset(str(k) for k in start_data(SimpleNamespace(code="", details={}, deadline_at=None)))


_KIND_WORDS = {"script": "kịch bản", "condition": "điều kiện", "timer": "biểu thức hẹn giờ"}


def _data_findings(root, graph, loaded: LoadedDiagram, registry: Forms, missing_form_tasks: set) -> list[Finding]:
    produced: dict[str, set[str]] = {}
    for spec in user_tasks(loaded):
        form = properties(spec).get(FORM_PROPERTY)
        schema = registry.load(form) if form else {}
        produced.setdefault(spec.bpmn_id, set()).update((schema or {}).get("properties", {}) or {})
    every = expressions(root)
    for expr in every:
        if expr.kind == "script":
            produced.setdefault(expr.element_id, set()).update(names_assigned(expr.source))
    for node_id, node in graph.nodes.items():
        for variable in node.iterfind(f".//{{{SPIFF}}}messageVariable"):
            if (variable.text or "").strip():
                produced.setdefault(node_id, set()).add(variable.text.strip())
    always = start_keys() | runner.script_function_names() | {
        e.get("name") or e.get("id") for e in root.iter(f"{{{BPMN}}}dataObject")}
    ancestors = graph.ancestors()
    on_entry = _known_on_entry(graph, produced, frozenset(always))
    findings = []
    for expr in every:
        before = graph.before(expr.at, ancestors)
        if before & missing_form_tasks:
            continue
        entry = on_entry.get(expr.at)
        if entry is None:  # a node no flow reaches: nothing runs there
            continue
        known = entry if expr.at in graph.inside else entry | produced.get(expr.at, set())
        unknown = sorted(names_read(expr.source, expression=expr.kind != "script") - known)
        if unknown:
            findings.append(Finding(expr.element_id, expr.label,
                                    f"«{expr.label or expr.element_id}»: {_KIND_WORDS[expr.kind]} đọc dữ liệu hồ sơ "
                                    f"chưa có ở bước này: {', '.join(unknown)}. Dữ liệu chỉ có khi đến từ dữ liệu khởi "
                                    "tạo của phong trào, từ biểu mẫu của một nhiệm vụ trước đó hoặc từ một kịch bản."))
    return findings


def _known_on_entry(graph, produced: dict[str, set[str]], always: frozenset) -> dict[str, frozenset]:
    """Per node, the data that is there on EVERY way of reaching it (a forward must-analysis to a fixed point).

    "Some path ran the producer before" is not enough once a diagram has return loops: the head's return to the
    council makes the head's own fields reachable before the council's gateway, yet on the first pass they are not
    there and the condition would stop the case with a NameError. A node's knowledge is the intersection over its
    incoming edges; a subprocess is entered with what its outside predecessors give and left with what its end
    events know; a boundary event knows what its activity knew when it started."""
    predecessors: dict[str, set[str]] = {n: set() for n in graph.nodes}
    for source, targets in graph.successors.items():
        for target in targets:
            predecessors.setdefault(target, set()).add(source)
    container_of = {child: c for c, members in graph.inside.items() for child in members
                    if graph.nodes[child].getparent() is graph.nodes[c]}
    ends = {c: [n for n in members if container_of.get(n) == c and graph.nodes[n].tag == f"{{{BPMN}}}endEvent"]
            for c, members in graph.inside.items()}
    on_entry: dict[str, frozenset | None] = {n: None for n in graph.nodes}  # None: not reached (yet)
    for root in graph.roots:
        on_entry[root] = always

    def given(source: str, target: str) -> frozenset | None:
        """What the edge source → target carries."""
        entry = on_entry.get(source)
        if entry is None:
            return None
        if source in graph.inside:
            if target in graph.inside[source] or graph.nodes[target].get("attachedToRef") == source:
                return entry  # the subprocess starts its start events (and its boundary timers) on entry
            if not ends[source]:
                return entry
            known = [on_entry[e] | produced.get(e, set()) for e in ends[source] if on_entry[e] is not None]
            return frozenset.intersection(*known) if known else None
        if graph.nodes[target].get("attachedToRef") == source:
            return entry  # a boundary event is armed when its activity starts
        return entry | produced.get(source, frozenset())

    changed = True
    while changed:
        changed = False
        for node in graph.nodes:
            if node in graph.roots:
                continue
            incoming = [given(p, node) for p in predecessors.get(node, ())
                        if not (node in graph.inside and p in graph.inside[node])]  # completion edges: the exit
            incoming = [k for k in incoming if k is not None]
            if not incoming:
                continue
            known = frozenset.intersection(*incoming)
            if known != on_entry[node]:
                on_entry[node], changed = known, True
    return on_entry


# --- contracts -------------------------------------------------------------------------------------------------------

def _contract_findings(root, loaded: LoadedDiagram) -> list[Finding]:
    if loaded.process_id not in CONTRACT:
        return []
    tasks, messages = CONTRACT[loaded.process_id]
    process = root.find(f"{{{BPMN}}}process[@id='{loaded.process_id}']")
    label = (process.get("name") or "") if process is not None else ""
    have_tasks = {e.get("id") for e in root.iter(f"{{{BPMN}}}userTask")}
    have_messages = {e.get("name") for e in root.iter(f"{{{BPMN}}}message")}
    findings = []
    for task_id in sorted(tasks - have_tasks):
        findings.append(Finding(loaded.process_id, label,
                                f"Quy trình «{loaded.process_id}» phải giữ nhiệm vụ có mã «{task_id}»: ứng dụng dựa "
                                "vào nhiệm vụ này (processes/contracts.py)."))
    for name in sorted(messages - have_messages):
        findings.append(Finding(loaded.process_id, label,
                                f"Quy trình «{loaded.process_id}» phải giữ thông điệp «{name}»: ứng dụng dựa vào "
                                "thông điệp này (processes/contracts.py)."))
    return findings
