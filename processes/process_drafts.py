"""Verbs of the process editor: save the draft of a process (optimistic, by revision) and publish it as the
process's next version. A draft may be invalid; only a valid one publishes. Both refuse hostile or oversize XML
before anything else, and both are owners-only."""
from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import case_migration
from .access import check_process_owner
from .clock import now, to_local
from .diagram_validation import Problem, check
from .diagram_versions import PublishDiagram
from .engine.diagrams import MAX_BPMN_BYTES, checksum, parse_xml
from .engine.errors import DiagramInvalid
from .errors import Conflict, DiagramError, DomainError, InvalidInput, NotFound
from .executor import Command, execute
from .models import DiagramVersion, ProcessDraft, ProcessEvent, User
from .process_catalog import OWNERS_ONLY, PROCESS_NOT_FOUND

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
PROCESS_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,79}$")
MIGRATE_MODES = ("none", "dry_run", "apply")


class DiagramTooLarge(DomainError):
    code = "too_large"
    status = 413


class DraftConflict(Conflict):
    """Another owner saved the draft since the revision this save was based on; `draft` says who and when."""

    def __init__(self, message: str, draft: ProcessDraft | None):
        super().__init__(message)
        self.draft = draft


def check_document(xml: str, process_id: str) -> None:
    """Refuse what must never be stored, even as a draft: oversize, DOCTYPE/entities, not XML, another process."""
    if not PROCESS_ID.match(process_id or ""):
        raise NotFound(PROCESS_NOT_FOUND)
    if len(xml.encode("utf-8")) > MAX_BPMN_BYTES:
        raise DiagramTooLarge(f"Tệp BPMN quá lớn (tối đa {MAX_BPMN_BYTES // 1024} KB).")
    try:
        root = parse_xml(xml)
    except DiagramInvalid as exc:
        raise InvalidInput(str(exc)) from exc
    ids = [p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")]
    if process_id not in ids:
        found = f"quy trình «{', '.join(i for i in ids if i)}»" if any(ids) else "không có quy trình nào"
        raise DiagramError(f"Sơ đồ này khai báo {found}, không phải «{process_id}»: "
                           "mã quy trình (id của bpmn:process) phải giữ nguyên.")


def _latest_version(session: Session, process_id: str) -> DiagramVersion | None:
    return session.scalar(select(DiagramVersion).where(DiagramVersion.process_id == process_id)
                          .order_by(DiagramVersion.version.desc()).limit(1))


def _locked_draft(session: Session, process_id: str) -> ProcessDraft | None:
    return session.scalar(select(ProcessDraft).where(ProcessDraft.process_id == process_id).with_for_update())


@dataclass
class SavedDraft:
    draft: ProcessDraft
    problems: list[Problem]


class SaveDraft(Command):
    name = "save_process_draft"

    def __init__(self, process_id: str, xml: str, expected_revision: int | None, problems: list[Problem],
                 action: str | None = None):
        self.process_id, self.xml, self.expected = process_id, xml, expected_revision
        self.problems, self.action = problems, action

    def target(self, tx):
        return _locked_draft(tx.session, self.process_id)

    def authorize(self, tx, draft):
        check_process_owner(tx.actor, OWNERS_ONLY)

    def run(self, tx, draft):
        if draft is None:
            if self.expected:  # the page knew a draft that is gone: not ours to recreate silently
                raise DraftConflict("Bản nháp bạn đang sửa không còn trên máy chủ.", None)
            latest = _latest_version(tx.session, self.process_id)
            draft = ProcessDraft(process_id=self.process_id, revision=0,
                                 base_version=latest.version if latest else 0)
            tx.session.add(draft)
            action = self.action or "draft_created"
        else:
            if self.expected != draft.revision:
                who = draft.saved_by.full_name if draft.saved_by else "người khác"
                raise DraftConflict(
                    f"{who} đã lưu bản nháp này lúc {to_local(draft.saved_at):%H:%M:%S} (lần lưu {draft.revision}) sau khi "
                    "bạn mở nó. Bản của bạn chưa được lưu: hãy chọn mở bản của họ hoặc giữ bản của bạn.", draft)
            action = self.action
        draft.bpmn_xml, draft.revision = self.xml, draft.revision + 1
        draft.problem_count, draft.saved_at, draft.saved_by_id = len(self.problems), now(), tx.actor_id
        draft.pending = True
        if action:
            tx.session.add(ProcessEvent(process_id=self.process_id, actor_id=tx.actor_id, action=action,
                                        details={"revision": draft.revision, "problems": len(self.problems)}))
        tx.session.flush()
        return SavedDraft(draft, self.problems)


def save_draft(session: Session, user: User, process_id: str, xml: str, expected_revision: int | None,
               action: str | None = None) -> SavedDraft:
    """Store `xml` as the process's draft if `expected_revision` is the draft's current one (0 or None when there
    is none yet); answers the validator's problems. One transaction; the validation runs before it."""
    check_process_owner(user, OWNERS_ONLY)  # before looking at the body: a refusal says nothing about it
    check_document(xml, process_id)
    problems = check(xml, session)  # forms saved in the registry count, not only the shipped files
    return execute(session, user, SaveDraft(process_id, xml, expected_revision, problems, action))


def ready_to_publish(session: Session, process_id: str, draft: ProcessDraft | None, expected: int | None) -> DiagramVersion | None:
    """Refuse a publish (or its dry run) that cannot happen: no draft, another owner's newer save, nothing new, an
    invalid diagram. Answers the newest published version (None for a new process)."""
    latest = _latest_version(session, process_id)
    if draft is None:
        if latest is None:
            raise NotFound(PROCESS_NOT_FOUND)
        raise Conflict("Chưa có bản nháp nào để xuất bản: hãy sửa sơ đồ trước.")
    if expected is not None and expected != draft.revision:
        raise DraftConflict("Bản nháp đã được người khác lưu sau lần lưu của bạn; hãy xem lại trước khi xuất "
                            "bản.", draft)
    if latest is not None and latest.checksum == checksum(draft.bpmn_xml):
        raise Conflict(f"Bản nháp giống hệt phiên bản {latest.version} đã xuất bản: không có gì mới.")
    problems = check(draft.bpmn_xml, session)
    if problems:
        raise DiagramError(f"Sơ đồ còn {len(problems)} lỗi; chỉ sơ đồ hợp lệ mới được xuất bản.",
                           problems=[p.as_json() for p in problems])
    return latest


class PublishDraft(Command):
    name = "publish_process_draft"

    def __init__(self, process_id: str, note: str, expected_revision: int | None, migrate: str = "none"):
        self.process_id, self.note, self.expected, self.migrate = process_id, note, expected_revision, migrate

    def target(self, tx):
        return _locked_draft(tx.session, self.process_id)

    def authorize(self, tx, draft):
        check_process_owner(tx.actor, OWNERS_ONLY)

    def run(self, tx, draft):
        ready_to_publish(tx.session, self.process_id, draft, self.expected)
        version = PublishDiagram(draft.bpmn_xml, self.note).run(tx, None)  # numbering and storing, as for seeds
        tx.session.flush()
        draft.base_version, draft.revision, draft.problem_count = version.version, draft.revision + 1, 0
        draft.pending = False
        draft.saved_at, draft.saved_by_id = version.published_at, tx.actor_id
        tx.session.add(ProcessEvent(process_id=self.process_id, actor_id=tx.actor_id, action="published",
                                    version=version.version, details={"note": self.note, "migrate": self.migrate}))
        return version, draft.revision


@dataclass
class Published:
    """What publishing answers: the version (None for a dry run, which publishes nothing), its number (for a dry
    run, the number it would get), the draft's revision, and what happened — or would happen — to running cases."""
    version: DiagramVersion | None
    number: int
    draft_revision: int
    report: case_migration.MigrationReport | None


def publish_draft(session: Session, user: User, process_id: str, note: str = "", migrate: str = "none",
                  expected_revision: int | None = None) -> Published:
    """Publish the process's valid draft as its next version. `migrate`: "none" leaves running cases on their
    version; "dry_run" publishes nothing and plans moving them onto the draft (case_migration.plan_draft);
    "apply" publishes, then moves every safe case, each in its own transaction (case_migration.migrate_cases)."""
    check_process_owner(user, OWNERS_ONLY)
    if migrate not in MIGRATE_MODES:
        raise InvalidInput(f"migrate phải là một trong: {', '.join(MIGRATE_MODES)}.")
    if len(note) > 500:
        raise InvalidInput("Ghi chú phiên bản tối đa 500 ký tự.")
    if migrate == "dry_run":
        return dry_run(session, user, process_id, expected_revision)
    version, revision = execute(session, user, PublishDraft(process_id, note, expected_revision, migrate))
    report = case_migration.migrate_cases(session, user, version, "apply") if migrate == "apply" else None
    return Published(version, version.version, revision, report)


def dry_run(session: Session, user: User, process_id: str, expected_revision: int | None) -> Published:
    """What publishing with migration would do, without writing anything: the same refusals as publishing, then
    the plan of every running case against the draft (reads only)."""
    draft = session.scalar(select(ProcessDraft).where(ProcessDraft.process_id == process_id))
    latest = ready_to_publish(session, process_id, draft, expected_revision)
    report = case_migration.plan_draft(session, process_id, draft.bpmn_xml)
    number = (latest.version if latest else 0) + 1
    report.version = number
    return Published(None, number, draft.revision, report)


NEW_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
xmlns:di="http://www.omg.org/spec/DD/20100524/DI" \
xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="definitions_{pid}" \
targetNamespace="http://bpmn.io/schema/bpmn" exporter="TĐKT Flow" exporterVersion="1.0">
  <bpmn:process id="{pid}" name={name} isExecutable="true">
    <bpmn:startEvent id="start" name="Bắt đầu"><bpmn:outgoing>flow_start</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="end"/>
    <bpmn:endEvent id="end" name="Kết thúc"><bpmn:incoming>flow_start</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_{pid}">
    <bpmndi:BPMNPlane id="plane_{pid}" bpmnElement="{pid}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="420" y="160" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_start_di" bpmnElement="flow_start">
        <di:waypoint x="216" y="178"/><di:waypoint x="420" y="178"/>
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def new_process_xml(process_id: str, name: str) -> str:
    """A new process's first draft: a start and an end event, with diagram interchange, ready to draw on."""
    if not PROCESS_ID.match(process_id or ""):
        raise InvalidInput("Mã quy trình chỉ gồm chữ cái không dấu, số, «_», «-», «.», bắt đầu bằng chữ cái "
                           "(tối đa 80 ký tự).")
    return NEW_PROCESS.format(pid=process_id, name=quoteattr(name.strip()[:200] or process_id))


def create_process(session: Session, user: User, process_id: str, name: str) -> SavedDraft:
    """A new process: its first draft. A process id already in use is refused (409), never overwritten."""
    check_process_owner(user, OWNERS_ONLY)
    xml = new_process_xml(process_id, name)
    exists = session.scalar(select(DiagramVersion.id).where(DiagramVersion.process_id == process_id).limit(1)) \
        or session.scalar(select(ProcessDraft.id).where(ProcessDraft.process_id == process_id))
    if exists:
        raise Conflict(f"Đã có quy trình mã «{process_id}».")
    return save_draft(session, user, process_id, xml, 0, action="draft_created")
