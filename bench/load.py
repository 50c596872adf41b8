"""Load and faults, loopback only, bounded: simulated people on PostgreSQL against gunicorn, with a web worker
killed, a timer worker killed and every database connection of the app dropped in the middle.

Each simulated user works through council reviews, one case after another, as a person would: sign in (the web
form), open the inbox (GET /), open the task (GET /tasks/{id}), approve it (POST /api/tasks/{id}/complete). When
half the completions are done: SIGKILL one gunicorn worker (its master starts another), SIGKILL the timer worker
(another is started), and `pg_terminate_backend` every connection of the app's database. Afterwards:
  - throughput and p50 / p95 / p99 per request kind, and the errors (a request in flight on the killed worker is
    lost; a sign-in or a page is asked again once, as a browser would; a completion is not);
  - every completion answered 2xx is in the database (the case moved on), and none that failed moved;
  - the consistency check (`flask --app webapp check`) passes;
  - the app recovered: the requests after the faults succeed (connections re-made on checkout: pool pre-ping).
Run for 1 and 4 gunicorn workers (2 threads each).

Usage: .venv/bin/python bench/load.py [users, default 50] [cases per user, default 4]
       .venv/bin/python bench/load.py --quick   (3 users × 2 cases, 1 worker; fails only if the bench breaks)
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import _path  # noqa: F401,I001  (first: the bench folder's own modules)
import requests
from bench import common
from bench.common import CAMPAIGN_TIME, Gunicorn, postgres_url, prepare, quick_flag, use_clock, verdict
from bench.completion import APPROVE, NEXT, WAITS_AT, council_cases
from sqlalchemy import select, text

from processes import consistency, tokens
from processes.db import make_engine
from processes.models import OpenTask, User
from processes.seeding import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KINDS = ("login", "inbox", "open", "complete")


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.completed: list[int] = []  # case ids whose completion answered 2xx
        self.failed: list[int] = []  # case ids whose completion did not
        self.after_faults: list[bool] = []  # each request after the faults: did it succeed?
        self.faults_done = threading.Event()

    def record(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            if ok:
                self.samples[kind].append(seconds)
            else:
                self.errors.append(f"{kind}: {detail}")
            if self.faults_done.is_set():
                self.after_faults.append(ok)


def timed(results: Results, kind: str, call, *, expect: tuple[int, ...], retry: bool):
    """One request; a GET or sign-in lost with a killed worker is asked again once."""
    for attempt in (1, 2):
        began = time.perf_counter()
        try:
            response = call()
            ok = response.status_code in expect
            detail = f"{response.status_code}"
        except requests.RequestException as exc:
            response, ok, detail = None, False, exc.__class__.__name__
        results.record(kind, time.perf_counter() - began, ok, detail)
        if ok or not retry or attempt == 2:
            return response if ok else None


def person(base: str, username: str, token: str, work: list, results: Results, progress) -> None:
    for w in work:
        http = requests.Session()
        login = timed(results, "login", lambda: http.get(base + "/login"), expect=(200,), retry=True)
        if login is None:
            continue
        csrf = CSRF.search(login.text).group(1)
        signed_in = timed(results, "login", lambda: http.post(
            base + "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": csrf},
            allow_redirects=False), expect=(302,), retry=True)
        if signed_in is None:
            continue
        timed(results, "inbox", lambda: http.get(base + "/"), expect=(200,), retry=True)
        timed(results, "open", lambda: http.get(f"{base}/tasks/{w.task_id}"), expect=(200,), retry=True)
        done = timed(results, "complete", lambda: http.post(
            f"{base}/api/tasks/{w.task_id}/complete", json=APPROVE, headers={"Authorization": f"Bearer {token}"}),
            expect=(200,), retry=False)
        with results.lock:
            (results.completed if done is not None else results.failed).append(w.case_id)
        progress()


def gunicorn_workers(master: int) -> list[int]:
    try:
        return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def timer_worker(url: str, clock_env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bench.clocked", "--database-url", url, "--serve"], cwd=ROOT,
                            env={**os.environ, **clock_env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def faults(server: Gunicorn, url: str, clock_env: dict, workers: dict) -> list[str]:
    """Kill a web worker and the timer worker, drop every connection of the app's database."""
    done = []
    pids = gunicorn_workers(server.proc.pid)
    if pids:
        os.kill(pids[0], signal.SIGKILL)
        done.append(f"web worker {pids[0]} killed")
    old = workers["timer"]
    os.killpg(old.pid, signal.SIGKILL)
    old.wait()
    workers["timer"] = timer_worker(url, clock_env)
    done.append(f"timer worker {old.pid} killed, {workers['timer'].pid} started")
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        dropped = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    done.append(f"{dropped} database connections terminated")
    return done


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)

    def at(q):
        return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))] * 1000
    return at(0.50), at(0.95), at(0.99)


def run(url: str, workers: int, users: int, per_user: int, clock_env: dict) -> bool:
    Session, pairs = prepare(url, extra_units=users * per_user)
    waiting = council_cases(Session, pairs)
    with Session() as session:
        names = {u.id: u.username for u in session.scalars(select(User).where(User.id.in_([w.user_id for w in waiting])))}
        bearer = {w.user_id: tokens.create(session, session.get(User, w.user_id), "load") for w in waiting}
    plans = [waiting[i::users] for i in range(users)]
    results = Results()
    total, finished = len(waiting), [0]
    half = threading.Event()

    def progress():
        with results.lock:
            finished[0] += 1
            if finished[0] >= total // 2:
                half.set()

    common.GUNICORN_ARGS[:] = ["--workers", str(workers), "--worker-class", "gthread", "--threads", "2"]
    helpers = {"timer": timer_worker(url, clock_env)}
    label = f"PostgreSQL {workers} worker{'s' if workers > 1 else ''}"
    server = Gunicorn(url, clock_env)
    try:
        with server as base:
            threads = [threading.Thread(target=work_through, args=(base, plan, names, bearer, results, progress),
                                        daemon=True) for plan in plans if plan]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            half.wait(timeout=600)
            injected = faults(server, url, clock_env, helpers)
            results.faults_done.set()
            for thread in threads:
                thread.join(timeout=600)
            elapsed = time.perf_counter() - began
            probe = [requests.get(base + "/login", timeout=30).status_code for _ in range(5)]  # answers again
    finally:
        for proc in helpers.values():
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    return report(label, Session, results, elapsed, injected, probe, waiting)


def work_through(base, plan, names, bearer, results, progress):
    for w in plan:  # each case belongs to its own unit's account: sign in as that account
        person(base, names[w.user_id], bearer[w.user_id], [w], results, progress)


def report(label, Session, results: Results, elapsed: float, injected, probe, waiting) -> bool:
    print(f"{label}: {len(waiting)} cases, {elapsed:.1f} s; faults: {'; '.join(injected)}")
    for kind in KINDS:
        samples = results.samples.get(kind, [])
        if samples:
            p50, p95, p99 = percentiles(samples)
            print(f"  {kind:<9} {len(samples):>5} ok  {len(samples) / elapsed:7.1f}/s   "
                  f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms")
    print(f"  errors: {len(results.errors)}" + (f" ({', '.join(sorted(set(results.errors)))})" if results.errors else ""))
    sound = True
    with Session() as session:
        for case_id in results.completed:
            steps = set(session.scalars(select(OpenTask.bpmn_id).where(OpenTask.case_id == case_id)))
            if steps != {NEXT}:
                print(f"  BROKEN: case {case_id} answered 2xx but waits at {steps}")
                sound = False
        for case_id in results.failed:
            steps = set(session.scalars(select(OpenTask.bpmn_id).where(OpenTask.case_id == case_id)))
            if steps != {WAITS_AT}:
                print(f"  NOTE: case {case_id}'s completion failed on the wire but moved on ({steps}) — the worker "
                      "was killed after its commit")
        mismatches = [m for m in consistency.check(session) if not isinstance(m, int)]
    for mismatch in mismatches:
        print(f"  BROKEN: {mismatch}")
    recovered = all(code == 200 for code in probe) and (not results.after_faults or results.after_faults[-1])
    after = results.after_faults
    print(f"  after the faults: {sum(after)}/{len(after)} requests ok; consistency check: "
          f"{'passed' if not mismatches else f'{len(mismatches)} mismatches'}; recovered: {'yes' if recovered else 'NO'}")
    for kind, target in (("complete", 100.0), ("inbox", 50.0)):
        samples = results.samples.get(kind, [])
        if samples:
            verdict(f"{label} {kind} p95", percentiles(samples)[1], target, sign="<", unit=" ms")
    print(f"  TARGET {label} every 2xx completion stored, check passes, recovered: "
          f"{int(sound and not mismatches and recovered)}.00 (target ≥ 1) {'PASS' if sound and not mismatches and recovered else 'MISS'}")
    return sound and not mismatches and recovered


def main() -> None:
    quick, args = quick_flag()
    users = int(args[0]) if args else (3 if quick else 50)
    per_user = int(args[1]) if len(args) > 1 else (2 if quick else 4)
    clock_env = use_clock(CAMPAIGN_TIME)
    healthy = True
    for workers in ((1,) if quick else (1, 4)):
        url = postgres_url("tdkt_load")
        if url is None:
            return
        healthy &= run(url, workers, users, per_user, clock_env)
    if not healthy:
        sys.exit(1)


if __name__ == "__main__":
    main()
