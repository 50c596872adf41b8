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

from common import postgres_url, prepare, sqlite_url, summary

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from processes import cases
from processes.awards import dossier_level
from processes.diagram_versions import BPMN_DIR
from processes.models import Campaign, OpenTask, User

NOMINEES = {"nominees": [
    {"kind": "individual", "name": f"Cán bộ {i}", "award_form": "bang_khen_vkstc",
     "achievement_summary": "Triển khai phần mềm quản lý án, áp dụng từ 01/2024, giảm 30% thời gian xử lý."}
    for i in range(4)]}
MINUTES = {"meeting_date": "2024-08-19", "meeting_place": "Phòng họp", "chair": "Lê Văn Hùng",
           "secretary_name": "Phạm Thị Lan", "members_total": 9, "members_present": 8,
           "votes": [{"nominee": f"Cán bộ {i}", "votes_for": 8, "votes_against": 0} for i in range(4)]}
APPROVE = {"council_decision": "approve"}


def raw_spiff(n: int) -> list[float]:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BPMN_DIR / "nomination.bpmn"))
    spec, subs = parser.get_spec("tdkt_nomination"), parser.get_subprocess_specs("tdkt_nomination")
    engine = PythonScriptEngine(environment=TaskDataEnvironment({"dossier_level": dossier_level}))
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    workflow = BpmnWorkflow(spec, subs, script_engine=engine)
    workflow.do_engine_steps()
    for data in (NOMINEES, MINUTES):
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        task.data.update(data)
        task.run()
        workflow.do_engine_steps()
    saved = serializer.serialize_json(workflow)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        wf = serializer.deserialize_json(saved)
        wf.script_engine = engine
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.data.update(APPROVE)
        task.run()
        wf.do_engine_steps()
        serializer.serialize_json(wf)
        samples.append(time.perf_counter() - started)
    return samples


def core(url: str, n: int) -> list[float]:
    Session, bench_id, unit_ids = prepare(url, extra_units=n)
    with Session() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.code == "qb-1532-2024"))
        user = session.get(User, bench_id)
        for unit_id in unit_ids:  # every case waits at the council's review
            case = cases.start_case(session, user, campaign_id, unit_id)
            for data in (NOMINEES, MINUTES):
                task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
                cases.complete_task(session, user, task_id, data)
        task_ids = session.scalars(select(OpenTask.id).where(OpenTask.bpmn_id == "council_review")).all()
    samples = []
    for task_id in task_ids:
        with Session() as session:  # one session per completion, as one web request has
            started = time.perf_counter()
            user = session.get(User, bench_id)
            cases.complete_task(session, user, task_id, APPROVE)
            samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    raw_spiff(20)  # warm-up: imports, caches
    raw_med, raw_p95 = summary(raw_spiff(n))
    print(f"Hoàn thành 1 nhiệm vụ (Hội đồng thông qua), {n} lần mỗi phép đo")
    print(f"  SpiffWorkflow thuần (deserialize, chạy, engine steps, serialize): trung vị {raw_med:.2f} ms, p95 {raw_p95:.2f} ms")
    for label, url in (("SQLite", sqlite_url()), ("PostgreSQL", postgres_url())):
        if url is None:
            continue
        med, p95 = summary(core(url, n))
        print(f"  Lõi TĐKT Flow trên {label}: trung vị {med:.2f} ms, p95 {p95:.2f} ms — "
              f"tỷ lệ so với SpiffWorkflow thuần: {med / raw_med:.2f}×")


if __name__ == "__main__":
    main()
