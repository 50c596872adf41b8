"""Loading BPMN documents: hostile-XML-safe parsing, schema validation, checks that the diagram can run here.

A diagram is parsed once per published version and its spec cached in memory (versions are immutable), so running
a case never re-parses XML.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins import ExclusiveGatewayMixin, InclusiveGatewayMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import UserTask

from .errors import DiagramInvalid
from .scripting import check_source

MAX_BPMN_BYTES = 2 * 1024 * 1024
FORM_PROPERTY = "formJsonSchemaFilename"
UI_PROPERTY = "formUiSchemaFilename"

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
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    if len(raw) > MAX_BPMN_BYTES:
        raise DiagramInvalid(f"Tệp BPMN quá lớn ({len(raw) // 1024} KB, tối đa {MAX_BPMN_BYTES // 1024} KB).")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise DiagramInvalid("Tệp BPMN không được chứa DOCTYPE hay ENTITY (có thể là tệp độc hại).")
    try:
        return etree.fromstring(raw, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise DiagramInvalid(f"Tệp BPMN không phải XML hợp lệ: {exc}") from exc


@dataclass
class LoadedDiagram:
    process_id: str
    spec: object
    subprocess_specs: dict
    problems: list[str] = field(default_factory=list)


def load_diagram(xml: str, forms_dir: Path, process_id: str | None = None, task_checks=()) -> LoadedDiagram:
    """Parse, validate and check a BPMN document; raise DiagramInvalid listing everything wrong with it.

    `task_checks` are the application's own checks: callables (task spec, its label) → problem texts, run on every
    task spec (e.g. that a lane names a known role, that the rules a task names exist)."""
    root = parse_xml(xml)
    parser = SpiffBpmnParser(validator=_bpmn_validator())
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
        raise DiagramInvalid(f"Sơ đồ BPMN không hợp lệ: {exc}") from exc
    except (SpiffWorkflowException, KeyError, ValueError) as exc:
        raise DiagramInvalid(f"Không đọc được sơ đồ BPMN: {exc}") from exc

    problems = list(_check_runnable(spec, subprocess_specs, forms_dir))
    for ts in _all_task_specs(spec, subprocess_specs):
        for check in task_checks:
            problems.extend(check(ts, ts.bpmn_name or ts.name))
    if problems:
        raise DiagramInvalid("Sơ đồ chưa thể chạy: " + "; ".join(problems), problems=problems)
    return LoadedDiagram(process_id, spec, subprocess_specs)


def properties(spec) -> dict:
    """A task spec's spiffworkflow:property values (its form, UI schema, the application's own properties)."""
    return (getattr(spec, "extensions", None) or {}).get("properties", {}) or {}


def _all_task_specs(spec, subprocess_specs):
    for s in [spec, *subprocess_specs.values()]:
        yield from s.task_specs.values()


def _check_runnable(spec, subprocess_specs, forms_dir: Path):
    for ts in _all_task_specs(spec, subprocess_specs):
        label = ts.bpmn_name or ts.name
        if isinstance(ts, UserTask):
            props = (ts.extensions or {}).get("properties", {})
            form = props.get(FORM_PROPERTY)
            if not form:
                yield f"nhiệm vụ «{label}» chưa khai báo biểu mẫu ({FORM_PROPERTY})"
            elif not _form_exists(forms_dir, form):
                yield f"nhiệm vụ «{label}» dùng biểu mẫu «{form}» không có trong forms/"
            ui = props.get(UI_PROPERTY)
            if ui and not _form_exists(forms_dir, ui):
                yield f"nhiệm vụ «{label}» dùng gợi ý giao diện «{ui}» không có trong forms/"
        scripts = [getattr(ts, "prescript", None), getattr(ts, "postscript", None)]
        if isinstance(ts, ScriptTask):
            scripts.append(ts.script)
        for script in filter(None, scripts):
            error = check_source(script, expression=False)
            if error:
                yield f"kịch bản của «{label}» bị từ chối: {error}"
        if isinstance(ts, (ExclusiveGatewayMixin, InclusiveGatewayMixin)):
            for condition, _target in getattr(ts, "cond_task_specs", []) or []:
                source = condition.args[0] if getattr(condition, "args", None) else condition
                if isinstance(source, str):
                    error = check_source(source, expression=True)
                    if error:
                        yield f"điều kiện «{source}» ở «{label}» bị từ chối: {error}"


def _form_exists(forms_dir: Path, name: str) -> bool:
    # Only a bare file name inside forms/: no paths, so a diagram cannot point the server at other files.
    if "/" in name or "\\" in name or name.startswith("."):
        return False
    return (forms_dir / name).is_file()


class SpecCache:
    """Parsed specs per published diagram version (keyed by database and version id); versions never change."""

    def __init__(self, forms_dir: Path):
        self.forms_dir = forms_dir
        self._lock = threading.Lock()
        self._specs: dict[tuple, LoadedDiagram] = {}

    def peek(self, key: tuple) -> LoadedDiagram | None:
        return self._specs.get(key)

    def put(self, key: tuple, loaded: LoadedDiagram) -> LoadedDiagram:
        with self._lock:
            return self._specs.setdefault(key, loaded)
