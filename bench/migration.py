"""Migration figures: the time to move N waiting cases onto a new version of the nomination process (each case its
own transaction, through processes.case_migration.migrate_cases), against a baseline measured in the same run —
the same N cases restored and saved by the case processor without migration — and checks that no case was lost and
no timer lost or doubled.

Set-up (bulk SQL, not measured): one Quảng Bình case started and registered inside the campaign's round
(16/08/2024) waits for its minutes, with its reminder and deadline timers; N copies of it (state, open task, timers)
are inserted, one per bench unit. A new version adds a step after the minutes (the head looks them over).

Target: N = 1,000 on PostgreSQL in ≤ 30 s.

Usage: .venv/bin/python bench/migration.py [cases, default 1000]      (PostgreSQL; SQLite if it is not reachable)
       .venv/bin/python bench/migration.py --quick   (20 cases, SQLite and PostgreSQL; fails only if it breaks)
       .venv/bin/python bench/migration.py --profile [cases]   (cProfile of the migration alone, top 30 by time)
"""
from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time

import _path  # noqa: F401,I001
from bench.common import CAMPAIGN_TIME, postgres_url, prepare, quick_flag, sqlite_url, use_clock, verdict
from sqlalchemy import func, select, text

from processes import case_migration, cases, diagram_versions
from processes.case_processor import CaseProcessor, lock_case
from processes.executor import Command, execute, system_only
from processes.models import Case, CaseTimer, OpenTask, Unit, User
from tests.bpmn_edit import NOMINATION, add_user_task, edit
from tests.factories import MEETING, all_for, people, registered, start, user

TARGET_SECONDS = 30
RATIO_TARGET = 3.0


class Resave(Command):
    """The baseline: what every migration does besides migrating — lock, restore, save."""
    name = "bench_resave"

    def __init__(self, case_id: int):
        self.case_id = case_id

    def target(self, tx):
        return lock_case(tx.session, self.case_id)

    def authorize(self, tx, case):
        system_only(tx)

    def run(self, tx, case):
        CaseProcessor.restore(tx, case).save([])


def template(Session) -> dict:
    """One real case, registered: it waits for the minutes, with its two deadline timers."""
    with Session() as session:
        case, staff = start(session, "vks-qb-dong-hoi"), user(session, "vks-qb-dong-hoi.canbo")
        task = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
        nominees = [registered(n) for n in people(1)]
        cases.complete_task(session, staff, task, {"nominees": nominees})
        session.expire_all()
        case = session.get(Case, case.id)
        timers = [(t.task_uuid, t.bpmn_id, t.name, t.fire_at)
                  for t in session.scalars(select(CaseTimer).where(CaseTimer.case_id == case.id))]
        row = session.scalar(select(OpenTask).where(OpenTask.case_id == case.id))
        assert row.bpmn_id == "record_minutes" and len(timers) == 2, (row.bpmn_id, timers)
        return dict(campaign_id=case.campaign_id, version_id=case.diagram_version_id, state=case.workflow_state,
                    data=case.data, step=case.current_step, timers=timers,
                    due=row.due_at,
                    task=dict(task_uuid=row.task_uuid, bpmn_id=row.bpmn_id, name=row.name, lane=row.lane,
                              role=row.role, form=row.form, ui_form=row.ui_form, instructions=row.instructions))


def fill(Session, pg: bool, tpl: dict) -> list[int]:
    """A copy of the template case in every bench unit (bulk INSERT … SELECT); returns their ids."""
    at = CAMPAIGN_TIME if pg else CAMPAIGN_TIME.strftime("%Y-%m-%d %H:%M:%S.%f")
    with Session() as session:
        session.execute(text(
            "INSERT INTO cases (campaign_id, unit_id, kind, diagram_version_id, status, current_step, workflow_state, "
            "data, version, created_at, updated_at) SELECT :campaign, u.id, 'unit', :version, 'running', :step, "
            ":state, " + ("CAST(:data AS json)" if pg else ":data") + ", 1, :at, :at FROM units u "
            "WHERE u.code LIKE 'bench-%'"),
            dict(campaign=tpl["campaign_id"], version=tpl["version_id"], step=tpl["step"], state=tpl["state"],
                 data=json.dumps(tpl["data"], ensure_ascii=False), at=at))
        session.execute(text(
            "INSERT INTO open_tasks (case_id, task_uuid, bpmn_id, name, lane, role, unit_id, form, ui_form, "
            "instructions, created_at, due_at, sort_due) SELECT c.id, :task_uuid, :bpmn_id, :name, :lane, :role, "
            "c.unit_id, :form, :ui_form, :instructions, :at, :due, :due FROM cases c JOIN units u ON u.id = c.unit_id "
            "WHERE u.code LIKE 'bench-%'"), {**tpl["task"], "at": at, "due": tpl["due"] if pg else tpl["due"].strftime(
                "%Y-%m-%d %H:%M:%S.%f")})
        for uuid, bpmn_id, name, fire_at in tpl["timers"]:
            session.execute(text(
                "INSERT INTO case_timers (case_id, task_uuid, bpmn_id, name, fire_at, status, attempts, last_error, "
                "created_at) SELECT c.id, :uuid, :bpmn_id, :name, :fire_at, 'waiting', 0, '', :at FROM cases c "
                "JOIN units u ON u.id = c.unit_id WHERE u.code LIKE 'bench-%'"),
                dict(uuid=uuid, bpmn_id=bpmn_id, name=name, at=at,
                     fire_at=fire_at if pg else fire_at.strftime("%Y-%m-%d %H:%M:%S.%f")))
        session.commit()
        return list(session.scalars(select(Case.id).join(Unit).where(Unit.code.like("bench-%")).order_by(Case.id)))


def state_of(Session, ids: list[int]) -> dict:
    """What must hold after: each case running, its open step, and its timers (bpmn id, fire time)."""
    with Session() as session:
        running = session.scalar(select(func.count()).select_from(Case).where(
            Case.id.in_(ids), Case.status == "running"))
        steps = session.execute(select(OpenTask.case_id, OpenTask.bpmn_id).where(OpenTask.case_id.in_(ids))).all()
        timers = session.execute(select(CaseTimer.case_id, CaseTimer.bpmn_id, CaseTimer.fire_at)
                                 .where(CaseTimer.case_id.in_(ids))).all()
        versions = dict(session.execute(select(Case.id, Case.diagram_version_id).where(Case.id.in_(ids))).all())
    return dict(running=running, steps=sorted(steps), timers=sorted(timers), versions=versions)


def run(url: str, label: str, n: int) -> None:
    Session, _ = prepare(url, extra_units=n)
    pg = url.startswith("postgresql")
    tpl = template(Session)
    ids = fill(Session, pg, tpl)
    assert len(ids) == n
    before = state_of(Session, ids)

    with Session() as session:  # the baseline: every case restored and saved once, each its own transaction
        started = time.perf_counter()
        for case_id in ids:
            execute(session, None, Resave(case_id))
        baseline = time.perf_counter() - started

    with Session() as session:
        admin = session.scalar(select(User).where(User.is_admin.is_(True)))
        version = diagram_versions.publish(session, edit(lambda root: add_user_task(
            root, "head_review", "Thủ trưởng xem trước biên bản", after="record_minutes", lane="unit_head",
            form="council-review-schema.json", ui_form="council-review-uischema.json")), user=admin)
        profiler = cProfile.Profile() if PROFILE else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        report = case_migration.migrate_cases(session, admin, version, "apply")
        elapsed = time.perf_counter() - started
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        version_id = version.id

    after = state_of(Session, ids)
    mine = [c for c in report.cases if c.case_id in set(ids)]
    assert len(mine) == n and all(c.migrated for c in mine), [c for c in mine if not c.migrated][:3]
    assert after["running"] == n, "cases lost"
    assert after["steps"] == before["steps"], "open tasks changed"
    assert after["timers"] == before["timers"] and len(after["timers"]) == 2 * n, "timers lost or doubled"
    assert set(after["versions"].values()) == {version_id}

    with Session() as session:  # and the new step comes next: the first copy's minutes recorded
        staff = session.scalar(select(User).join(Unit, Unit.id == User.unit_id).where(Unit.code == "bench-00000"))
        case_id = session.scalar(select(Case.id).where(Case.unit_id == staff.unit_id))
        task = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case_id))
        cases.complete_task(session, staff, task, {**MEETING, **all_for(people(1))})
        assert session.scalar(select(OpenTask.bpmn_id).where(OpenTask.case_id == case_id)) == "head_review"

    print(f"  {label}: {n} cases migrated in {elapsed:.2f} s ({elapsed / n * 1000:.1f} ms/case); "
          f"restore+save baseline {baseline:.2f} s ({baseline / n * 1000:.1f} ms/case); none lost, timers "
          f"{len(after['timers'])} before and after")
    verdict(f"{label} migrate {n} cases", elapsed, TARGET_SECONDS * n / 1000, unit=" s")
    verdict(f"{label} migration / restore+save", elapsed / baseline, RATIO_TARGET)


PROFILE = "--profile" in sys.argv


def main() -> None:
    if PROFILE:
        sys.argv.remove("--profile")
    quick, args = quick_flag()
    n = 20 if quick else int(args[0]) if args else 1000
    use_clock(CAMPAIGN_TIME)
    print(f"Migrating {n} waiting cases onto a new version of the nomination process")
    if quick:
        run(sqlite_url(), "SQLite", n)
    url = postgres_url("tdkt_bench_migration")
    if url:
        run(url, "PostgreSQL", n)
    elif not quick:
        run(sqlite_url(), "SQLite", n)


if __name__ == "__main__":
    main()
    sys.exit(0)
