"""The contract between bpmn/nomination.bpmn and forms/: schemas are valid, every user task has a role lane and an
existing form, the diagram has complete and tidy diagram interchange, and both branches run in raw SpiffWorkflow."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.util.task import TaskState

from processes.award_forms import own_part, upper_part
from processes.forms import with_defaults
from tests.factories import reported

ROOT = Path(__file__).resolve().parent.parent
BPMN_FILE = ROOT / "bpmn" / "nomination.bpmn"
FORMS_DIR = ROOT / "forms"
PROCESS_ID = "tdkt_nomination"
ROLES = ("unit_staff", "unit_secretary", "unit_council", "unit_head", "provincial_reviewer", "supreme_reviewer")
SUPREME_AWARDS = ("bang_khen_vkstc", "co_thi_dua_nganh", "bang_khen_ttg", "co_thi_dua_cp", "huan_chuong_ld")

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
NOT_FLOW_NODES = {"laneSet", "sequenceFlow", "documentation", "extensionElements", "textAnnotation", "association",
                  "dataObject", "dataObjectReference", "dataStoreReference", "property", "ioSpecification"}

SCHEMA_FILES = sorted(FORMS_DIR.glob("*-schema.json"))


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def validator(form_name: str) -> Draft202012Validator:
    return Draft202012Validator(load_json(FORMS_DIR / form_name), format_checker=FormatChecker())


def errors(form_name: str, data) -> list[str]:
    return [e.message for e in validator(form_name).iter_errors(data)]


# --- forms ----------------------------------------------------------------------------------------------------

def test_every_form_has_a_schema_and_a_ui_schema():
    assert {p.name.removesuffix("-schema.json") for p in SCHEMA_FILES} == {
        "register-nominees", "record-minutes", "council-review", "submit-dossier", "check-dossier", "record-decision",
        "late-decision", "select-nominees", "head-submit"}
    for path in SCHEMA_FILES:
        assert (FORMS_DIR / path.name.replace("-schema.json", "-uischema.json")).is_file(), path.name


@pytest.mark.parametrize("path", sorted(FORMS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_form_files_are_nfc_utf8_with_two_space_indent(path):
    text = path.read_text(encoding="utf-8")
    assert text == unicodedata.normalize("NFC", text)
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("path", SCHEMA_FILES,
                         ids=lambda p: p.name)
def test_schema_is_valid_2020_12_and_closed(path):
    schema = load_json(path)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["title"] and schema["description"]

    def walk(node, where):
        kind = node.get("type")
        if kind == "string":
            assert "maxLength" in node, f"{where}: every string needs maxLength"
        if "enum" in node:
            assert len(node.get("x-enumNames", [])) == len(node["enum"]), f"{where}: x-enumNames"
        for name, sub in (node.get("properties") or {}).items():
            assert sub.get("title"), f"{where}.{name}: title"
            walk(sub, f"{where}.{name}")
        if kind == "array":
            walk(node["items"], f"{where}[]")

    walk(schema, "")
    ui = load_json(path.with_name(path.name.replace("-schema.json", "-uischema.json")))
    assert ui["ui:order"] == list(schema["properties"]), "ui:order lists the root fields"


def test_conditional_reason_rules():
    council, check = "council-review-schema.json", "check-dossier-schema.json"
    assert errors(council, {"council_decision": "approve"}) == []
    assert errors(council, {"council_decision": "return"})  # a return needs a reason
    assert errors(council, {"council_decision": "return", "council_reason": "Sai"})  # too short
    assert errors(council, {"council_decision": "return", "council_reason": "Biên bản thiếu số phiếu."}) == []
    assert errors(council, {"council_decision": "maybe"})
    assert errors(council, {})
    assert errors(check, {"check_decision": "accept"}) == []
    assert errors(check, {"check_decision": "return"})
    assert errors(check, {"check_decision": "return", "check_reason": "abc"})
    assert errors(check, {"check_decision": "return", "check_reason": "Thiếu bản sao quyết định."}) == []
    assert errors(check, {"check_decision": "accept", "extra": 1})  # closed at the root


def test_schemas_reject_bad_data():
    assert errors("register-nominees-schema.json", {"nominees": []})
    assert errors("register-nominees-schema.json", {"nominees": [{**SUPREME_NOMINEES["nominees"][0],
                                                                 "award_form": "huy_chuong"}]})
    assert errors("register-nominees-schema.json", {"nominees": [{**SUPREME_NOMINEES["nominees"][0],
                                                                 "achievement_summary": "ngắn"}]})
    assert errors("record-minutes-schema.json", {**MINUTES, "meeting_date": "2024-02-30"})
    assert errors("record-minutes-schema.json", {**MINUTES, "members_total": 0})
    assert errors("record-minutes-schema.json", {**MINUTES, "votes": []})
    assert errors("submit-dossier-schema.json", {k: v for k, v in SUBMIT.items() if k != "signer_title"})
    assert errors("record-decision-schema.json", {**SUPREME_DECISION, "awards": [{"nominee": "A",
                                                                                   "award_form": "bang_khen_vkstc"}]})


# --- the diagram, as SpiffWorkflow reads it ----------------------------------------------------------------------

def parse_spec():
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BPMN_FILE))
    return parser.get_spec(PROCESS_ID), parser.get_subprocess_specs(PROCESS_ID)


def test_diagram_passes_the_bpmn_xsd():
    BpmnValidator().validate(etree.parse(str(BPMN_FILE)), filename=BPMN_FILE.name)


def test_user_tasks_have_role_lanes_and_existing_forms():
    spec, subprocesses = parse_spec()
    assert spec.description == "Đề nghị khen thưởng"
    user_tasks = {ts.bpmn_id: ts for s in (spec, *subprocesses.values()) for ts in s.task_specs.values()
                  if isinstance(ts, UserTask)}
    assert set(user_tasks) == {"register_nominees", "record_minutes", "council_review", "submit_dossier",
                               "late_decision", "submit_supplement", "provincial_check", "provincial_decision",
                               "fix_nominees", "fix_minutes", "unit_decision"}
    for bpmn_id, ts in user_tasks.items():
        assert ts.lane in ROLES, f"{bpmn_id} in lane {ts.lane!r}"
        props = ts.extensions["properties"]
        assert (FORMS_DIR / props["formJsonSchemaFilename"]).is_file(), bpmn_id
        assert (FORMS_DIR / props["formUiSchemaFilename"]).is_file(), bpmn_id
        assert ts.documentation, f"{bpmn_id} tells the person what to do"
    lanes = {bpmn_id: ts.lane for bpmn_id, ts in user_tasks.items()}
    assert lanes["register_nominees"] == "unit_staff" and lanes["record_minutes"] == "unit_secretary"
    assert lanes["council_review"] == "unit_council" and lanes["submit_dossier"] == "unit_head"
    assert lanes["provincial_check"] == lanes["provincial_decision"] == lanes["late_decision"] == "provincial_reviewer"
    assert lanes["submit_supplement"] == lanes["unit_decision"] == "unit_head"  # a unit's own Giấy khen: its head
    assert lanes["fix_nominees"] == "unit_staff" and lanes["fix_minutes"] == "unit_secretary"


# --- diagram interchange -----------------------------------------------------------------------------------------

def _bounds(shape):
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def _inside(inner, outer):
    return (inner[0] >= outer[0] and inner[1] >= outer[1] and inner[0] + inner[2] <= outer[0] + outer[2]
            and inner[1] + inner[3] <= outer[1] + outer[3])


def _overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _segment_hits_box(p, q, box, margin=2.0):
    """Whether an axis-parallel segment passes through the box's interior (shrunk by a margin)."""
    x0, y0, x1, y1 = box[0] + margin, box[1] + margin, box[0] + box[2] - margin, box[1] + box[3] - margin
    if p[0] == q[0]:
        return x0 < p[0] < x1 and max(min(p[1], q[1]), y0) < min(max(p[1], q[1]), y1)
    if p[1] == q[1]:
        return y0 < p[1] < y1 and max(min(p[0], q[0]), x0) < min(max(p[0], q[0]), x1)
    raise AssertionError(f"diagonal segment {p}→{q}")


def _near(point, box, tolerance=3.0):
    x, y = point
    return (box[0] - tolerance <= x <= box[0] + box[2] + tolerance
            and box[1] - tolerance <= y <= box[1] + box[3] + tolerance)


@pytest.fixture(scope="module")
def di():
    tree = etree.parse(str(BPMN_FILE))
    process = tree.find(f"bpmn:process[@id='{PROCESS_ID}']", NS)
    shapes = {s.get("bpmnElement"): s for s in tree.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    return tree, process, shapes, edges


def test_collaboration_has_one_participant_with_the_role_lanes(di):
    tree, process, shapes, _ = di
    participants = tree.findall(".//bpmn:collaboration/bpmn:participant", NS)
    assert len(participants) == 1
    assert participants[0].get("processRef") == PROCESS_ID
    assert participants[0].get("name") == "Quy trình đề nghị khen thưởng"
    assert process.get("isExecutable") == "true" and process.get("name") == "Đề nghị khen thưởng"
    plane = tree.find(".//bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == tree.find(".//bpmn:collaboration", NS).get("id")
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    assert [lane.get("name") for lane in lanes] == list(ROLES)
    assert all(lane.findtext("bpmn:documentation", namespaces=NS) for lane in lanes)
    pool = _bounds(shapes[participants[0].get("id")])
    for lane in lanes:
        assert lane.get("id") in shapes, f"lane {lane.get('name')} has no shape"
        assert _inside(_bounds(shapes[lane.get("id")]), pool)


def _flow_nodes(container):
    """Every flow node of a process, with those inside its expanded subprocesses."""
    for el in container:
        if etree.QName(el).localname in NOT_FLOW_NODES | {"incoming", "outgoing"}:
            continue
        yield el
        if etree.QName(el).localname == "subProcess":
            yield from _flow_nodes(el)


def test_every_flow_node_and_flow_has_di(di):
    _, process, shapes, edges = di
    nodes = list(_flow_nodes(process))
    # 45, the unit's own decision (its gateway, task and end), and the split of a mixed dossier (the script that
    # splits it, the gateway after the head's decision, the script that keeps that decision apart)
    assert len(nodes) == 51
    for el in nodes:
        assert el.get("id") in shapes, f"{el.get('id')} has no BPMNShape"
        assert shapes[el.get("id")].find("dc:Bounds", NS) is not None
    assert shapes["unit_preparation"].get("isExpanded") == "true"
    flows = process.findall(".//bpmn:sequenceFlow", NS)
    assert len(flows) == 57  # 50, the own gateway's three, and the split's four
    for flow in flows:
        edge = edges.get(flow.get("id"))
        assert edge is not None, f"{flow.get('id')} has no BPMNEdge"
        assert len(edge.findall("di:waypoint", NS)) >= 2


def test_layout_is_tidy(di):
    """Each shape sits in its lane (the unit's subprocess spans the unit lanes and holds its children), no two shapes
    overlap but a boundary event on its activity, flows start and end on their shapes and pass through none."""
    _, process, shapes, edges = di
    lane_box = {}
    for lane in process.findall("bpmn:laneSet/bpmn:lane", NS):
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            lane_box[ref.text] = _bounds(shapes[lane.get("id")])
    elements = {el.get("id"): el for el in _flow_nodes(process)}
    boxes = {node: _bounds(shapes[node]) for node in elements}
    containers = {node: etree.QName(el.getparent()).localname == "subProcess" and el.getparent().get("id")
                  for node, el in elements.items()}
    unit_lanes = [_bounds(shapes[f"lane_{role}"]) for role in ROLES[:4]]
    for node, box in boxes.items():
        if etree.QName(elements[node]).localname == "subProcess":
            assert node not in lane_box, "a subprocess in a lane would pull its children into that lane (SpiffWorkflow)"
            assert box[1] >= unit_lanes[0][1] and box[1] + box[3] <= unit_lanes[-1][1] + unit_lanes[-1][3]
            continue
        assert node in lane_box, f"{node} is in no lane"
        assert _inside(box, lane_box[node]), f"{node} sticks out of its lane"
        if containers[node]:
            assert _inside(box, boxes[containers[node]]), f"{node} sticks out of {containers[node]}"
    attached = {node: el.get("attachedToRef") for node, el in elements.items() if el.get("attachedToRef")}
    nodes = list(elements)
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            if b == containers[a] or a == containers[b] or attached.get(a) == b or attached.get(b) == a:
                continue
            assert not _overlap(boxes[a], boxes[b]), f"{a} overlaps {b}"
    for host in set(attached.values()):  # a boundary event sits on its activity's border
        for node in (n for n, h in attached.items() if h == host):
            cx, cy = boxes[node][0] + 18, boxes[node][1] + 18
            x, y, w, h = boxes[host]
            assert x <= cx <= x + w and y <= cy <= y + h and (cx in (x, x + w) or cy in (y, y + h)), node
    for flow in process.findall(".//bpmn:sequenceFlow", NS):
        points = [(float(w.get("x")), float(w.get("y"))) for w in edges[flow.get("id")].findall("di:waypoint", NS)]
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        assert _near(points[0], boxes[source]), f"{flow.get('id')} does not start on {source}"
        assert _near(points[-1], boxes[target]), f"{flow.get('id')} does not end on {target}"
        for p, q in zip(points, points[1:]):
            for node, box in boxes.items():
                if node not in (source, target, containers[source]):
                    assert not _segment_hits_box(p, q, box), f"{flow.get('id')} crosses {node}"


# --- running the diagram in raw SpiffWorkflow --------------------------------------------------------------------

SUPREME_NOMINEES = {"nominees": [reported(n) for n in [
    {"kind": "individual", "name": "Trần Thị Thủy", "position": "Kiểm sát viên, VKSND TP Đồng Hới",
     "award_form": "bang_khen_vkstc",
     "achievement_summary": "Xây dựng phần mềm quản lý án hình sự, áp dụng từ 01/2024, giảm 30% thời gian."},
    {"kind": "collective", "name": "VKSND thành phố Đồng Hới", "award_form": "giay_khen_thu_truong",
     "achievement_summary": "Dẫn đầu tỷ lệ hồ sơ số hoá, 100% văn bản ký số từ quý I/2024."},
]]}
PROVINCIAL_NOMINEES = {"nominees": [reported(n) for n in [
    {"kind": "individual", "name": "Hoàng Văn Nam", "position": "Chuyên viên, VKSND huyện Lệ Thủy",
     "award_form": "bang_khen_ubnd_tinh",
     "achievement_summary": "Hoàn thành xuất sắc nhiệm vụ năm 2024, không để xảy ra án quá hạn."},
]]}
MINUTES = {"meeting_date": "2024-08-19", "meeting_place": "Phòng họp VKSND TP Đồng Hới", "chair": "Lê Văn Hùng",
           "secretary_name": "Phạm Thị Lan", "members_total": 9, "members_present": 8,
           "votes": [{"nominee": "Trần Thị Thủy", "votes_for": 8, "votes_against": 0},
                     {"nominee": "VKSND thành phố Đồng Hới", "votes_for": 7, "votes_against": 1}],
           "conclusion": "Thống nhất đề nghị khen thưởng các trường hợp trên."}
COUNCIL_RETURN = {"council_decision": "return", "council_reason": "Biên bản thiếu số phiếu của thành viên vắng mặt."}
COUNCIL_APPROVE = {"council_decision": "approve"}
SUBMIT = {"submission_number": "15/TTr-VKS", "submission_date": "2024-08-20", "signer_name": "Lê Văn Hùng",
          "signer_title": "Viện trưởng"}
CHECK_RETURN = {"check_decision": "return", "check_reason": "Thiếu báo cáo thành tích có xác nhận của đơn vị."}
CHECK_ACCEPT = {"check_decision": "accept"}
SUPREME_DECISION = {"decision_number": "1234/QĐ-VKSTC", "decision_date": "2024-10-10",
                    "decision_authority": "Viện trưởng VKSND tối cao",
                    # the unit's own Giấy khen is not on it: the unit's head decided it (UNIT_DECISION)
                    "awards": [{"nominee": "Trần Thị Thủy", "award_form": "bang_khen_vkstc", "awarded": True}]}
PROVINCIAL_DECISION = {"decision_number": "567/QĐ-UBND", "decision_date": "2024-11-05",
                       "decision_authority": "Chủ tịch UBND tỉnh Quảng Bình",
                       "awards": [{"nominee": "Hoàng Văn Nam", "award_form": "bang_khen_ubnd_tinh", "awarded": True}]}
UNIT_DECISION = {"decision_number": "12/QĐ-VKS", "decision_date": "2024-08-22", "decision_authority": "Viện trưởng",
                 "decision_signer_name": "Lê Văn Hùng",
                 "awards": [{"nominee": "VKSND thành phố Đồng Hới", "award_form": "giay_khen_thu_truong",
                             "awarded": True}]}


def dossier_level(nominees, levels):
    return "supreme" if any(levels.get(n["award_form"]) == "supreme" for n in nominees) else "provincial"


# Deadlines far ahead: the raw runs below never reach a timer (the timer tests move the clock through them).
FAR = {"deadline_at": "2999-08-23T23:59:59+07:00", "reminder_at": "2999-08-20T23:59:59+07:00",
       "review_working_days": 10, "award_levels": {code: "supreme" for code in SUPREME_AWARDS}}


def start_workflow() -> BpmnWorkflow:
    engine = PythonScriptEngine(environment=TaskDataEnvironment({
        "dossier_level": dossier_level, "working_days_after": lambda days: "2999-12-31T23:59:59+07:00",
        "own_part": own_part, "upper_part": upper_part}))
    spec, subprocesses = parse_spec()
    workflow = BpmnWorkflow(spec, subprocesses, script_engine=engine)
    workflow.get_tasks(state=TaskState.READY)[0].data.update(FAR)
    workflow.do_engine_steps()
    return workflow


def complete(workflow: BpmnWorkflow, bpmn_id: str, form_data: dict, role: str):
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert [t.task_spec.bpmn_id for t in ready] == [bpmn_id]
    task = ready[0]
    assert task.task_spec.lane == role
    form = task.task_spec.extensions["properties"]["formJsonSchemaFilename"]
    assert errors(form, form_data) == [], f"{bpmn_id}: test data must satisfy {form}"
    task.data.update(with_defaults(load_json(FORMS_DIR / form), form_data))  # as the completion verb does
    task.run()
    workflow.do_engine_steps()


def completed_ids(workflow: BpmnWorkflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id]


def test_supreme_branch_waits_for_the_decision_from_the_consolidation_case():
    """A dossier decided above the receiving level is checked there, forwarded (tdkt.forwarded) and waits for the
    decision the consolidation case sends back (tdkt.decided), which ends it with its nominees' results. The
    dossier is MIXED (a Bằng khen VKSTC and the unit's own Giấy khen): its head decides the Giấy khen first
    (unit_decision, kept apart as `unit_decision`), and only the Bằng khen goes up."""
    workflow = start_workflow()
    complete(workflow, "register_nominees", SUPREME_NOMINEES, "unit_staff")
    complete(workflow, "record_minutes", MINUTES, "unit_secretary")
    complete(workflow, "council_review", COUNCIL_RETURN, "unit_council")
    complete(workflow, "record_minutes", {**MINUTES, "members_present": 9}, "unit_secretary")
    complete(workflow, "council_review", COUNCIL_APPROVE, "unit_council")
    complete(workflow, "submit_dossier", SUBMIT, "unit_head")
    assert [a["name"] for a in workflow.get_tasks(state=TaskState.READY, manual=True)[0].data["own_nominees"]] == \
        ["VKSND thành phố Đồng Hới"]
    complete(workflow, "unit_decision", UNIT_DECISION, "unit_head")
    complete(workflow, "provincial_check", CHECK_RETURN, "provincial_reviewer")
    complete(workflow, "submit_supplement", {**SUBMIT, "submission_note": "Đã bổ sung báo cáo thành tích."},
             "unit_head")
    complete(workflow, "provincial_check", CHECK_ACCEPT, "provincial_reviewer")

    assert [e.event_definition.name for e in workflow.get_events()] == ["tdkt.forwarded"]
    assert workflow.get_tasks(state=TaskState.READY, manual=True) == [] and not workflow.is_completed()
    waiting = [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.WAITING)]
    assert "wait_decision" in waiting

    from SpiffWorkflow.bpmn import BpmnEvent
    from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
    workflow.send_event(BpmnEvent(MessageEventDefinition("tdkt.decided"), SUPREME_DECISION))
    workflow.do_engine_steps()

    assert workflow.is_completed()
    done = completed_ids(workflow)
    assert "end_supreme" in done and "end_provincial" not in done and "provincial_decision" not in done
    assert not {"late_decision", "say_late", "say_reminder"} & set(done)  # in time: never the late path
    assert done.count("record_minutes") == 2 and done.count("submit_dossier") == done.count("submit_supplement") == 1
    assert done.count("determine_level") == 2 and done.count("provincial_check") == 2
    data = workflow.last_task.data
    assert data["receiving_level"] == "supreme" and data["decision_number"] == "1234/QĐ-VKSTC"
    assert data["awards"] == SUPREME_DECISION["awards"]
    assert data["unit_decision"]["decision_number"] == "12/QĐ-VKS"  # the head's own, not overwritten
    assert data["unit_decision"]["awards"] == UNIT_DECISION["awards"]
    assert [n["name"] for n in data["upper_nominees"]] == ["Trần Thị Thủy"] and data["own_nominees"] is None


def test_provincial_branch_with_a_check_return():
    workflow = start_workflow()
    complete(workflow, "register_nominees", PROVINCIAL_NOMINEES, "unit_staff")
    complete(workflow, "record_minutes", {**MINUTES, "votes": [{"nominee": "Hoàng Văn Nam", "votes_for": 9,
                                                               "votes_against": 0}]}, "unit_secretary")
    complete(workflow, "council_review", COUNCIL_APPROVE, "unit_council")
    complete(workflow, "submit_dossier", SUBMIT, "unit_head")
    complete(workflow, "provincial_check", CHECK_RETURN, "provincial_reviewer")
    complete(workflow, "submit_supplement", SUBMIT, "unit_head")
    complete(workflow, "provincial_check", CHECK_ACCEPT, "provincial_reviewer")
    complete(workflow, "provincial_decision", PROVINCIAL_DECISION, "provincial_reviewer")

    assert workflow.is_completed()
    done = completed_ids(workflow)
    assert "end_provincial" in done and "end_supreme" not in done
    assert not {"say_forwarded", "wait_decision"} & set(done)
    assert workflow.last_task.data["receiving_level"] == "provincial"


# --- the return paths: every step that can refuse sends back to the step that can fix it ---------------------------

HEAD_RETURN = {"head_decision": "return", "head_reason": "Nguyễn Văn An đang bị xem xét kỷ luật, bỏ khỏi danh sách."}
MINUTES_OF_PROVINCIAL = {**MINUTES, "votes": [{"nominee": "Hoàng Văn Nam", "votes_for": 9, "votes_against": 0}]}


def to_the_head(workflow):
    complete(workflow, "register_nominees", PROVINCIAL_NOMINEES, "unit_staff")
    complete(workflow, "record_minutes", MINUTES_OF_PROVINCIAL, "unit_secretary")
    complete(workflow, "council_review", COUNCIL_APPROVE, "unit_council")


def ready_ids(workflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)]


@pytest.mark.parametrize("return_to, fixer, role", [
    ("nominees", "register_nominees", "unit_staff"), ("minutes", "record_minutes", "unit_secretary"),
    ("council", "council_review", "unit_council")])
def test_the_head_returns_to_the_step_that_fixes_and_the_case_goes_on(return_to, fixer, role):
    workflow = start_workflow()
    to_the_head(workflow)
    complete(workflow, "submit_dossier", {**HEAD_RETURN, "return_to": return_to}, "unit_head")
    assert ready_ids(workflow) == [fixer]
    steps = {"register_nominees": [("register_nominees", PROVINCIAL_NOMINEES, "unit_staff"),
                                   ("record_minutes", MINUTES_OF_PROVINCIAL, "unit_secretary"),
                                   ("council_review", COUNCIL_APPROVE, "unit_council")],
             "record_minutes": [("record_minutes", MINUTES_OF_PROVINCIAL, "unit_secretary"),
                                ("council_review", COUNCIL_APPROVE, "unit_council")],
             "council_review": [("council_review", COUNCIL_APPROVE, "unit_council")]}[fixer]
    for bpmn_id, data, lane in steps:
        complete(workflow, bpmn_id, data, lane)
    complete(workflow, "submit_dossier", SUBMIT, "unit_head")
    assert ready_ids(workflow) == ["provincial_check"]


def test_the_council_returns_the_list_to_the_staff():
    workflow = start_workflow()
    complete(workflow, "register_nominees", PROVINCIAL_NOMINEES, "unit_staff")
    complete(workflow, "record_minutes", MINUTES_OF_PROVINCIAL, "unit_secretary")
    complete(workflow, "council_review", {**COUNCIL_RETURN, "return_to": "nominees"}, "unit_council")
    assert ready_ids(workflow) == ["register_nominees"]


@pytest.mark.parametrize("return_to, path", [
    ("nominees", ["fix_nominees", "fix_minutes", "submit_supplement"]),
    ("minutes", ["fix_minutes", "submit_supplement"]),
    ("documents", ["submit_supplement"])])
def test_the_receiving_level_returns_to_the_step_that_fixes_what_it_names(return_to, path):
    workflow = start_workflow()
    to_the_head(workflow)
    complete(workflow, "submit_dossier", SUBMIT, "unit_head")
    complete(workflow, "provincial_check", {**CHECK_RETURN, "return_to": return_to}, "provincial_reviewer")
    data = {"fix_nominees": (PROVINCIAL_NOMINEES, "unit_staff"),
            "fix_minutes": (MINUTES_OF_PROVINCIAL, "unit_secretary"),
            "submit_supplement": (SUBMIT, "unit_head")}
    for bpmn_id in path:
        complete(workflow, bpmn_id, *data[bpmn_id])
    assert ready_ids(workflow) == ["provincial_check"]
    done = completed_ids(workflow)
    assert not {"late_decision", "say_late"} & set(done)  # the deadline timers were not re-armed
    assert done.count("register_nominees") == 1


def test_a_check_return_without_naming_a_step_goes_to_the_head_and_the_head_can_send_it_on_down():
    workflow = start_workflow()
    to_the_head(workflow)
    complete(workflow, "submit_dossier", SUBMIT, "unit_head")
    complete(workflow, "provincial_check", CHECK_RETURN, "provincial_reviewer")  # return_to defaults to documents
    assert ready_ids(workflow) == ["submit_supplement"]
    complete(workflow, "submit_supplement", {**HEAD_RETURN, "return_to": "nominees"}, "unit_head")
    assert ready_ids(workflow) == ["fix_nominees"]
    complete(workflow, "fix_nominees", PROVINCIAL_NOMINEES, "unit_staff")
    complete(workflow, "fix_minutes", MINUTES_OF_PROVINCIAL, "unit_secretary")
    complete(workflow, "submit_supplement", {**HEAD_RETURN, "return_to": "minutes"}, "unit_head")
    assert ready_ids(workflow) == ["fix_minutes"]
    complete(workflow, "fix_minutes", MINUTES_OF_PROVINCIAL, "unit_secretary")
    complete(workflow, "submit_supplement", SUBMIT, "unit_head")
    assert ready_ids(workflow) == ["provincial_check"]


def test_a_head_return_needs_a_step_and_a_reason_but_no_submission_fields():
    form = "head-submit-schema.json"
    assert errors(form, {"head_decision": "return", "return_to": "nominees"})  # no reason
    # no step named: the form's default (the council, who can pass it further down) as the server adds it
    assert errors(form, with_defaults(load_json(FORMS_DIR / form), {"head_decision": "return",
                                                                    "head_reason": "Sai danh sách."})) == []
    assert errors(form, {"head_decision": "return", "return_to": "nominees", "head_reason": "Sai"})  # too short
    assert errors(form, {**HEAD_RETURN, "return_to": "minutes"}) == []
    assert errors(form, {"head_decision": "submit"})  # submitting needs the tờ trình
    assert errors(form, SUBMIT) == [] and errors(form, {**SUBMIT, "head_decision": "submit"}) == []


def test_every_return_to_a_form_offers_has_a_path_and_every_path_is_offered():
    """The gateways after a refusing step read `return_to` (contracts.DataKey.RETURN_TO): each value a form offers
    is named by a condition of the diagram using that form, or taken by its default flow."""
    import re

    from processes.contracts import DataKey

    text = BPMN_FILE.read_text(encoding="utf-8")
    named = set(re.findall(DataKey.RETURN_TO + r" [!=]= '(\w+)'", text))
    offered = {form: set(load_json(FORMS_DIR / form)["properties"][DataKey.RETURN_TO]["enum"])
               for form in ("council-review-schema.json", "head-submit-schema.json", "check-dossier-schema.json")}
    assert named <= set().union(*offered.values()), named
    assert named == {"nominees", "minutes", "council"}  # "documents" is the check's default flow (the head)
    assert load_json(FORMS_DIR / "check-dossier-schema.json")["properties"][DataKey.RETURN_TO]["default"] == "documents"
