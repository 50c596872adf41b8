"""One task completion through the core vs the same step in raw SpiffWorkflow, on the shipped diagram.

Raw SpiffWorkflow: deserialize the saved workflow (its own serializer, spec included), put the form data on the
task, run it, run the engine steps, serialize. The core: the whole `complete_task` verb — permission check, JSON
Schema validation, case row lock, restore, run, save, open-task rows, audit row, commit — on a real database.
Both complete the council's approval (council_review → submit_dossier) on cases in the same state.

Usage: .venv/bin/python bench/engine.py [completions per measurement, default 200]
"""
from __future__ import annotations

import sys
import time

import _path  # noqa: F401  (first: keeps bench/http.py from shadowing the standard library's http)
from bench.common import postgres_url, prepare, sqlite_url, summary

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from processes import cases
from processes.award_forms import dossier_level
from processes.diagram_versions import BPMN_DIR
from processes.models import Campaign, OpenTask, User
from tests.factories import reported

NOMINEES = {"nominees": [
    reported({"kind": "individual", "name": f"Cán bộ {i}", "award_form": "bang_khen_vkstc",
              "achievement_summary": "Triển khai phần mềm quản lý án, áp dụng từ 01/2024, giảm 30% thời gian xử lý."})
    for i in range(4)]}
MINUTES = {"meeting_date": "2024-08-19", "meeting_place": "Phòng họp", "chair": "Lê Văn Hùng",
           "secretary_name": "Phạm Thị Lan", "members_total": 9, "members_present": 8,
           "votes": [{"nominee": f"Cán bộ {i}", "votes_for": 8, "votes_against": 0} for i in range(4)]}
APPROVE = {"council_decision": "approve"}


class RawSpiff:
    """The baseline: SpiffWorkflow on its own, saving with its own serializer (spec included)."""

    def __init__(self):
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(BPMN_DIR / "nomination.bpmn"))
        spec, subs = parser.get_spec("tdkt_nomination"), parser.get_subprocess_specs("tdkt_nomination")
        self.engine = PythonScriptEngine(environment=TaskDataEnvironment({"dossier_level": dossier_level}))
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        workflow = BpmnWorkflow(spec, subs, script_engine=self.engine)
        workflow.do_engine_steps()
        for data in (NOMINEES, MINUTES):
            task = workflow.get_next_task(state=TaskState.READY, manual=True)
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
        self.saved = self.serializer.serialize_json(workflow)

    def complete_once(self) -> float:
        started = time.perf_counter()
        wf = self.serializer.deserialize_json(self.saved)
        wf.script_engine = self.engine
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.data.update(APPROVE)
        task.run()
        wf.do_engine_steps()
        self.serializer.serialize_json(wf)
        return time.perf_counter() - started


def cases_at_council_review(url: str, n: int):
    Session, pairs = prepare(url, extra_units=n)
    with Session() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.code == "qb-1532-2024"))
        waiting = []
        for unit_id, user_id in pairs:
            user = session.get(User, user_id)
            case = cases.start_case(session, user, campaign_id, unit_id)
            for data in (NOMINEES, MINUTES):
                task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
                cases.complete_task(session, user, task_id, data)
            waiting.append((session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id)), user_id))
    return Session, waiting


def core_once(Session, task_id: int, user_id: int) -> float:
    with Session() as session:  # one session per completion, as one web request has
        started = time.perf_counter()
        user = session.get(User, user_id)
        cases.complete_task(session, user, task_id, APPROVE)
        return time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    raw = RawSpiff()
    for _ in range(20):  # warm-up: imports, caches
        raw.complete_once()
    print(f"Hoàn thành 1 nhiệm vụ (Hội đồng thông qua), {n} lần mỗi phép đo; hai cách đo xen kẽ nhau để cùng "
          "chịu một tải máy")
    for label, url in (("SQLite", sqlite_url()), ("PostgreSQL", postgres_url())):
        if url is None:
            continue
        Session, waiting = cases_at_council_review(url, n)
        raw_samples, core_samples = [], []
        for task_id, user_id in waiting:
            raw_samples.append(raw.complete_once())
            core_samples.append(core_once(Session, task_id, user_id))
        raw_med, raw_p95 = summary(raw_samples)
        med, p95 = summary(core_samples)
        print(f"  {label}:")
        print(f"    SpiffWorkflow thuần (deserialize, chạy, engine steps, serialize): trung vị {raw_med:.2f} ms, "
              f"p95 {raw_p95:.2f} ms")
        print(f"    Lõi TĐKT Flow (quyền, kiểm tra biểu mẫu, khóa, chạy, lưu, nhiệm vụ mở, nhật ký, commit): "
              f"trung vị {med:.2f} ms, p95 {p95:.2f} ms")
        print(f"    tỷ lệ lõi / SpiffWorkflow thuần (trung vị): {med / raw_med:.2f}×")


if __name__ == "__main__":
    main()
