"""One task completion — the council's approval (council_review → submit_dossier) on the shipped nomination
diagram — three ways, interleaved in one run so all three share the machine's load, on SQLite and PostgreSQL:

  engine work (the baseline): restore the case's saved state with our state-only serializer and the cached spec,
      complete the task with the data, run the engine steps, save (bench/completion.py EngineWork);
  the core: the whole `processes.cases.complete_task` verb on the same state, task and data — permission check,
      form validation, case row lock, restore, rules, run, save, open-task rows, audit row, commit — one session
      per completion as one web request has;
  HTTP: POST /api/tasks/{id}/complete, one client, against gunicorn as scripts/demo.sh runs it.

Every case is started and brought to the council through the core on a clock inside the campaign's round
(deadlines ahead), so each completion walks the normal path. Also printed: one database round trip (SELECT 1) and
one INSERT + COMMIT, for scale. Targets, as ratios of the engine work's median: core ≤ 3×, HTTP ≤ 4×.

Usage: .venv/bin/python bench/engine.py [completions per measurement, default 200]
       .venv/bin/python bench/engine.py --quick   (5 completions; fails only if the bench breaks, not on a MISS)
"""
from __future__ import annotations

import sys
import time

import _path  # noqa: F401  (first: keeps bench/http.py from shadowing the standard library's http)
import requests
from bench.common import (CAMPAIGN_TIME, Gunicorn, postgres_url, prepare, quick_flag, sqlite_url, summary,
                          use_clock, verdict)
from bench.completion import APPROVE, EngineWork, check_done, council_cases
from sqlalchemy import text

from processes import accounts, cases, tokens
from processes.models import User

CORE_TARGET, HTTP_TARGET = 3.0, 4.0


def core_once(Session, w) -> float:
    with Session() as session:  # one session per completion, as one web request has
        started = time.perf_counter()
        cases.complete_task(session, accounts.load_actor(session, w.user_id), w.task_id, APPROVE)
        return time.perf_counter() - started


def run(label: str, url: str, n: int, warm: int, clock_env: dict) -> None:
    Session, pairs = prepare(url, extra_units=2 * (n + warm))
    waiting = council_cases(Session, pairs)
    core_cases, http_cases = waiting[:n + warm], waiting[n + warm:]
    with Session() as session:
        headers = {w.user_id: {"Authorization": f"Bearer {tokens.create(session, session.get(User, w.user_id), 'bench')}"}
                   for w in http_cases}
        session.execute(text("CREATE TABLE bench_probe (id integer PRIMARY KEY, note varchar(40))"))
        session.commit()
    engine_work = EngineWork(Session, waiting[0].version_id)
    probe_id = iter(range(1, 10 ** 9))
    http = requests.Session()

    def by_http(base, w) -> float:
        started = time.perf_counter()
        r = http.post(f"{base}/api/tasks/{w.task_id}/complete", json=APPROVE, headers=headers[w.user_id])
        elapsed = time.perf_counter() - started
        assert r.status_code == 200, (r.status_code, r.text[:500])
        return elapsed

    def round_trips(session) -> tuple[float, float]:
        session.execute(text("SELECT 1"))  # the transaction is open: the next one is one round trip
        t0 = time.perf_counter()
        session.execute(text("SELECT 1"))
        t1 = time.perf_counter()
        session.commit()
        t2 = time.perf_counter()
        session.execute(text("INSERT INTO bench_probe (id, note) VALUES (:id, 'x')"), {"id": next(probe_id)})
        session.commit()
        return t1 - t0, time.perf_counter() - t2

    samples = {k: [] for k in ("engine", "restore", "run", "save", "core", "http", "select", "insert")}
    with Gunicorn(url, clock_env) as base, Session() as probe:
        for i, (mine, theirs) in enumerate(zip(core_cases, http_cases)):
            steps = [lambda: engine_work.once(mine), lambda: core_once(Session, mine), lambda: by_http(base, theirs),
                     lambda: round_trips(probe)]
            rotated = steps[i % 4:] + steps[:i % 4]  # no measurement always runs right after the same other one
            results = {}
            for step in rotated:
                results[steps.index(step)] = step()
            if i < warm:  # imports, caches, both gunicorn workers' first requests
                continue
            (restore, run_, save), core, by_web, (select1, insert) = (results[k] for k in range(4))
            for key, value in (("restore", restore), ("run", run_), ("save", save), ("engine", restore + run_ + save),
                               ("core", core), ("http", by_web), ("select", select1), ("insert", insert)):
                samples[key].append(value)
    check_done(Session, waiting)

    med = {k: summary(v) for k, v in samples.items()}
    state_kib = sum(len(w.state) for w in core_cases) / len(core_cases) / 1024
    print(f"  {label} ({n} completions each, state restored {state_kib:.1f} KiB):")
    print(f"    engine work (restore, complete + engine steps, save): median {med['engine'][0]:.2f} ms, "
          f"p95 {med['engine'][1]:.2f} ms  [restore {med['restore'][0]:.2f} + run {med['run'][0]:.2f} "
          f"+ save {med['save'][0]:.2f} ms]")
    print(f"    core complete_task:                                   median {med['core'][0]:.2f} ms, "
          f"p95 {med['core'][1]:.2f} ms")
    print(f"    HTTP POST /api/tasks/{{id}}/complete (gunicorn):         median {med['http'][0]:.2f} ms, "
          f"p95 {med['http'][1]:.2f} ms")
    print(f"    database: SELECT 1 {med['select'][0]:.3f} ms; INSERT + COMMIT {med['insert'][0]:.3f} ms (medians)")
    verdict(f"{label} core / engine work", med["core"][0] / med["engine"][0], CORE_TARGET)
    verdict(f"{label} HTTP / engine work", med["http"][0] / med["engine"][0], HTTP_TARGET)


def main() -> None:
    quick, args = quick_flag()
    n = 5 if quick else int(args[0]) if args else 200
    warm = 2 if quick else 10
    clock_env = use_clock(CAMPAIGN_TIME)  # inside the round: deadlines ahead, the normal path
    print("One task completion (council approval): engine work, core and HTTP, interleaved"
          + (" — quick mode, figures not meaningful" if quick else ""))
    for label, url in (("SQLite", sqlite_url()), ("PostgreSQL", postgres_url())):
        if url is not None:
            run(label, url, n, warm, clock_env)


if __name__ == "__main__":
    main()
