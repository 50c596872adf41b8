"""Timer worker figures: finding due timers among many waiting cases, cases fired per second by 1 worker process
(SQLite and PostgreSQL) and by 2 at once (PostgreSQL; SQLite's one writer serialises workers), and how late an idle
worker fires.

Set-up (bulk SQL, not measured): one Quảng Bình case started with the shipped diagram inside the campaign's round
(16/08/2024) gives the workflow state every due case gets a copy of, with its reminder and deadline timers. The
bench's clock then reads 24/08/2024 08:00 (Việt Nam), after the round's deadline, for this process and for every
worker it starts (bench/clocked.py), so both timers of each copy are due and a firing walks the same path whatever
today's date is. The waiting cases that are not due carry timers in 2099 and a placeholder state (the worker never
loads a case that is not due, which is the point). Then:

  1. find due: the worker's claim query (due cases by ix_case_timers_due, one locked with SKIP LOCKED) and the
     query listing every due timer, with `due` waiting cases (all due) and with `waiting` cases of which `due` are
     due; medians and the ratio between the two sizes (a full scan would grow with the waiting cases);
  2. fire rate: `due` due among `waiting`; 1 worker process, then (PostgreSQL) 2 at once, each running
     processes.timer_worker.run until idle; the rate counts from the first worker's start of run() to the last
     one's end (the interpreter's start-up and imports are not part of it). Target: ≥ 60 cases/s, 2 workers > 1;
  3. latency: an idle worker (default poll) and timers coming due a quarter-second apart among the waiting cases:
     how long after its due time each fired (target: within 2 s).

Usage: .venv/bin/python bench/timers.py [waiting cases, default 100000] [due, default 1000]
       .venv/bin/python bench/timers.py --quick   (100 waiting, 10 due, 2 for latency; fails only if it breaks)
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import _path  # noqa: F401,I001
from bench.common import (CAMPAIGN_TIME, ROOT, postgres_url, prepare, quick_flag, sqlite_url, use_clock,
                          verdict)
from sqlalchemy import select, text

from processes import clock, timer_worker
from processes.db import make_engine, make_sessionmaker, unit_of_work
from processes.models import Case, CaseTimer
from tests.factories import start

REPEAT = 50
FIRE_TIME = dt.datetime(2024, 8, 24, 1, 0)  # 08:00 on 24/08/2024 in Việt Nam: the round's deadline has passed
LATER = dt.datetime(2099, 1, 1)
RATE_TARGET = 60
CASE_TABLES = ("attachments", "award_records", "nominations", "notifications", "case_timers", "audit_events",
               "open_tasks", "cases")  # as tests/conftest.py PER_TEST_TABLES


class Db:
    """The database of one run, and the little SQL that differs between PostgreSQL and SQLite. `fresh()` empties
    the per-case tables: TRUNCATE on PostgreSQL; on SQLite, whose audit trail is append-only even for the bench, a
    new copy of the file as seeded (the way tests/conftest.py does it)."""

    def __init__(self, url: str):
        self.pg = url.startswith("postgresql")
        self.url = url
        self.Session, _ = prepare(url)
        if not self.pg:
            self.Session.kw["bind"].dispose()  # closing the last connection checkpoints the WAL into the file
            source = Path(url.removeprefix("sqlite:///"))
            self.pristine = Path(shutil.copy(source, source.with_name("pristine.sqlite")))

    def fresh(self):
        if self.pg:
            with self.Session() as session:
                session.execute(text(f"TRUNCATE {', '.join(CASE_TABLES)} RESTART IDENTITY CASCADE"))
                session.execute(text("DELETE FROM units WHERE code LIKE 'tb-%'"))
                session.commit()
        else:
            self.Session.kw["bind"].dispose()
            copy = self.pristine.with_name(f"run-{time.monotonic_ns()}.sqlite")
            shutil.copy(self.pristine, copy)
            self.url = f"sqlite:///{copy}"
            self.Session = make_sessionmaker(make_engine(self.url))
        return self.Session

    def ts(self, value: dt.datetime):  # SQLite keeps timestamps as text, in SQLAlchemy's format
        return value if self.pg else value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def json_field(self, column: str, key: str) -> str:
        return f"{column}->>'{key}'" if self.pg else f"json_extract({column}, '$.{key}')"

    def numbers(self) -> str:  # a CTE `seq(n)` of 1 … :waiting
        return ("WITH seq(n) AS (SELECT generate_series(1, :waiting)) " if self.pg else
                "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :waiting) ")

    def later(self) -> str:  # a not-due timer: 2099, spread over 1,000 minutes
        return ("CAST(:later AS timestamp) + (c.id % 1000) * interval '1 minute'" if self.pg else
                "strftime('%Y-%m-%d %H:%M:%S.000000', :later, '+' || (c.id % 1000) || ' minutes')")


def template_case(Session) -> dict:
    """Start one real case inside the campaign's round and keep what every due copy needs."""
    with Session() as session:
        case = start(session, "vks-qb-dong-hoi")  # by its staff, as tests/factories.py starts one
        timers = [(t.task_uuid, t.bpmn_id, t.name, t.fire_at)
                  for t in session.scalars(select(CaseTimer).where(CaseTimer.case_id == case.id))]
        assert timers and all(CAMPAIGN_TIME < at < FIRE_TIME for *_, at in timers), timers
        return dict(campaign_id=case.campaign_id, parent_id=case.unit.parent_id, version_id=case.diagram_version_id,
                    state=case.workflow_state, data=case.data, timers=timers)


def fill(db: Db, template: dict, waiting: int, due: int):
    """A fresh database with `waiting` cases in their own units, the first `due` of them due (bulk INSERT … SELECT);
    returns its sessionmaker."""
    Session = db.fresh()
    with Session() as session:
        session.execute(text(
            db.numbers() +
            "INSERT INTO units (code, name, short_name, level, kind, place, staff_count, collective_count, parent_id) "
            "SELECT 'tb-' || n, 'Đơn vị chờ ' || n, '', 'district', 'procuracy', '', 0, 0, :parent FROM seq"),
            {"parent": template["parent_id"], "waiting": waiting})
        session.execute(text(
            "INSERT INTO cases (campaign_id, unit_id, diagram_version_id, status, current_step, workflow_state, data, "
            "version, created_at, updated_at) "
            "SELECT :campaign, u.id, :version, 'running', 'Đăng ký danh sách đề nghị khen thưởng', "
            "CASE WHEN row_number() OVER (ORDER BY u.id) <= :due THEN :state ELSE '{}' END, "
            + ("CAST(:data AS json)" if db.pg else ":data") +
            ", 1, :at, :at FROM units u WHERE u.code LIKE 'tb-%'"),
            {"campaign": template["campaign_id"], "version": template["version_id"], "due": due,
             "state": template["state"], "data": json.dumps(template["data"], ensure_ascii=False),
             "at": db.ts(CAMPAIGN_TIME)})
        for uuid, bpmn_id, name, fire_at in template["timers"]:
            session.execute(text(
                "INSERT INTO case_timers (case_id, task_uuid, bpmn_id, name, fire_at, status, attempts, last_error, "
                "created_at) SELECT c.id, :uuid, :bpmn_id, :name, "
                f"CASE WHEN c.workflow_state <> '{{}}' THEN :fire_at ELSE {db.later()} END, 'waiting', 0, '', :at "
                "FROM cases c"),
                {"uuid": uuid, "bpmn_id": bpmn_id, "name": name, "fire_at": db.ts(fire_at), "later": db.ts(LATER),
                 "at": db.ts(CAMPAIGN_TIME)})
        session.execute(text("ANALYZE units, cases, case_timers" if db.pg else "ANALYZE"))  # as autovacuum would
        session.commit()
    return Session


def find_due_ms(Session, repeat: int) -> tuple[float, float, int]:
    """Median ms of (the worker's claim of one due case, listing every due timer); and how many are due."""
    claim, listing = [], []
    with Session() as session:
        for _ in range(repeat):
            started = time.perf_counter()
            session.scalar(select(Case.id).where(Case.id.in_(timer_worker.due_case_ids(session).scalar_subquery()))
                           .limit(1).with_for_update(of=Case, skip_locked=True))
            claim.append(time.perf_counter() - started)
            session.rollback()
            started = time.perf_counter()
            rows = session.execute(select(CaseTimer.id, CaseTimer.case_id).where(
                CaseTimer.status == "waiting", CaseTimer.fire_at <= clock.now())).all()
            listing.append(time.perf_counter() - started)
            session.rollback()
    return statistics.median(claim) * 1000, statistics.median(listing) * 1000, len(rows)


def explain(Session, db: Db) -> str:
    with Session() as session:
        query = select(CaseTimer.case_id).where(CaseTimer.status == "waiting", CaseTimer.fire_at <= clock.now())
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        if db.pg:
            return session.execute(text(f"EXPLAIN {compiled}")).scalars().first().strip()
        return session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()[0][-1]


def start_worker(url: str, clock_env: dict, *extra: str) -> subprocess.Popen:
    import os
    return subprocess.Popen([sys.executable, "-m", "bench.clocked", "--database-url", url, *extra], cwd=ROOT,
                            env={**os.environ, **clock_env}, stdout=subprocess.PIPE, text=True)


def workers(url: str, clock_env: dict, count: int) -> tuple[float, int]:
    """Seconds from the first worker's start of run() to the last one's end, and cases fired, for `count` worker
    processes started together and run until idle."""
    procs = [start_worker(url, clock_env) for _ in range(count)]
    outputs = []
    for p in procs:
        out, _ = p.communicate(timeout=1800)
        if p.returncode != 0:
            raise RuntimeError(f"timer worker exited with {p.returncode}: {out}")
        outputs.append(dict(item.split("=") for item in out.split()))
    wall = max(float(o["end"]) for o in outputs) - min(float(o["start"]) for o in outputs)
    assert all(o["incidents"] == "0" for o in outputs), outputs
    return wall, sum(int(o["fired"]) for o in outputs)


def fire_rate(db: Db, clock_env: dict, template: dict, waiting: int, due: int, count: int) -> float:
    Session = fill(db, template, waiting, due)
    wall, fired = workers(db.url, clock_env, count)
    assert fired == due, (fired, due)
    with Session() as session:
        left = session.scalar(text("SELECT count(*) FROM case_timers WHERE status = 'waiting' AND fire_at <= :now"),
                              {"now": db.ts(clock.now())})
        twice = session.scalar(text(
            f"SELECT count(*) FROM (SELECT case_id, {db.json_field('details', 'timer')} FROM audit_events "
            "WHERE action = 'timer_fired' GROUP BY 1, 2 HAVING count(*) > 1) AS d"))
        late = session.scalar(text("SELECT count(*) FROM open_tasks WHERE bpmn_id = 'late_decision'"))
    assert left == 0 and twice == 0, (left, twice)
    assert late == due, f"{late} late-decision tasks opened for {due} cases fired past their deadline"
    return due / wall


def latency(db: Db, clock_env: dict, template: dict, waiting: int, count: int, lead: float = 1.0) -> list[float]:
    Session = fill(db, template, waiting, 0)
    worker = start_worker(db.url, clock_env, "--serve")
    try:
        assert worker.stdout.readline().strip() == "ready", "the worker did not start"
        with Session() as session, unit_of_work(session):  # the worker writes too: take SQLite's lock at BEGIN
            ids = session.scalars(select(Case.id).order_by(Case.id).limit(count)).all()
            first = clock.now() + dt.timedelta(seconds=lead)
            session.execute(text("UPDATE cases SET workflow_state = :state WHERE id IN (%s)" % ",".join(map(str, ids))),
                            {"state": template["state"]})
            for i, case_id in enumerate(ids):
                session.execute(text("UPDATE case_timers SET fire_at = :at WHERE case_id = :case"),
                                {"at": db.ts(first + dt.timedelta(seconds=0.25 * i)), "case": case_id})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with Session() as session:
                rows = session.execute(text(
                    f"SELECT case_id, min(at), min({db.json_field('details', 'due')}) FROM audit_events "
                    "WHERE action = 'timer_fired' GROUP BY case_id")).all()
            if len(rows) == count:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(10)
    assert worker.returncode == 0, f"the serving worker exited with {worker.returncode}"
    assert len(rows) == count, f"{len(rows)} of {count} fired"
    return [(_parse(at) - dt.datetime.fromisoformat(due)).total_seconds() for _case, at, due in rows]


def _parse(value) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def run(label: str, url: str, waiting: int, due: int, repeat: int, latency_count: int) -> None:
    use_clock(CAMPAIGN_TIME)  # the template case starts inside the round
    db = Db(url)
    template = template_case(db.Session)
    clock_env = use_clock(FIRE_TIME)  # and every copy is looked at after its deadline
    print(f"{label}; workflow state of the template case: {len(template['state']) / 1024:.1f} KiB, "
          f"{len(template['timers'])} timers")

    print(f"  1. finding due timers (median of {repeat}):")
    found = {}
    for size in (due, waiting):
        Session = fill(db, template, size, due)
        claim, listing, n = find_due_ms(Session, repeat)
        assert n == due * len(template["timers"]), n
        found[size] = (claim, listing)
        print(f"     {size:>7,} waiting, {due:,} due: claim one due case {claim:.2f} ms; "
              f"list the {n:,} due timers {listing:.2f} ms")
    print(f"     query plan ({waiting:,} waiting): {explain(Session, db)}")
    print(f"     {waiting:,} / {due:,} waiting: claim {found[waiting][0] / found[due][0]:.2f}×, "
          f"list {found[waiting][1] / found[due][1]:.2f}×")

    print(f"  2. fire rate ({due:,} due among {waiting:,} waiting; each firing: reminder and deadline, the late "
          "path's task, notifications; no timer missed or fired twice):")
    rates = {}
    for count in (1, 2) if db.pg else (1,):
        rates[count] = fire_rate(db, clock_env, template, waiting, due, count)
        print(f"     {count} worker process{'es' if count > 1 else ''}: {rates[count]:.0f} cases/s "
              f"({rates[count] * len(template['timers']):.0f} timers/s)")
    verdict(f"{label} 1 worker", rates[1], RATE_TARGET, sign="≥", unit=" cases/s")
    if 2 in rates:
        verdict(f"{label} 2 workers / 1 worker (2 cores)", rates[2] / rates[1], 1, sign=">")

    late = latency(db, clock_env, template, waiting, latency_count, lead=0.3 if latency_count < 5 else 1.0)
    print(f"  3. latency of an idle worker ({len(late)} timers 0.25 s apart among {waiting:,} waiting): "
          f"median {statistics.median(late):.2f} s, worst {max(late):.2f} s after the due time")
    verdict(f"{label} worst timer latency", max(late), 2, unit=" s")


def main() -> None:
    quick, args = quick_flag()
    waiting = 100 if quick else int(args[0]) if args else 100_000
    due = 10 if quick else int(args[1]) if len(args) > 1 else 1000
    repeat, latency_count = (3, 2) if quick else (REPEAT, 20)
    print("Timer worker" + (" — quick mode, figures not meaningful" if quick else ""))
    for label, url in (("SQLite", sqlite_url()), ("PostgreSQL", postgres_url("tdkt_bench_timers"))):
        if url is not None:
            run(label, url, waiting, due, repeat, latency_count)


if __name__ == "__main__":
    main()
