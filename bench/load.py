"""Load and faults, loopback only, bounded: simulated people on PostgreSQL holding 100,000 cases, against gunicorn,
with a web worker killed, a timer worker killed and every database connection of the app dropped in the middle.

Background (built before the load, not measured): one province of BACKGROUND_UNITS units below the supreme level,
OPEN_ROUNDS open campaigns with 85 % of the units started and spread over the five steps (their open-task and timer
rows with them), and past rounds of the same units (completed cases with their audit trail) up to 100,000 cases —
bulk SQL (COPY, bench.common.fill_cases), each case a clone of a real case at its step (the saved workflow state,
data, open tasks and timers of a template driven there through the core), so the consistency check holds for them;
then one pass of the timer worker's flag-snapshot refresh, as a system that has been running holds them.

Staff: each simulated person works through council reviews, one case after another: sign in (the web form), open
the inbox (GET /), open the task (GET /tasks/{id}), approve it (POST /api/tasks/{id}/complete). Supervisors (one per
ten staff, at least one) sign in and, until the staff are done, open the overview (GET /supervision), a campaign's
dashboard (GET /supervision/campaigns/{id}) and its API (GET /api/supervision/campaigns/{id}/units): the province's
section on a background round of 1,000 units, the supreme level's on the same round, Quảng Bình's on the round the
staff are moving. People think: before each request a pause drawn uniformly from THINK (1–3 s: reading a page,
typing a password, filling a form), so 50 users are 50 people working, not 50 tight loops.
When half the completions are done: SIGKILL one gunicorn worker (its master starts another), SIGKILL the timer
worker (another is started), and `pg_terminate_backend` every connection of the app's database. Afterwards:
  - throughput and p50 / p95 / p99 per request kind, and the errors (a request in flight on the killed worker is
    lost — the connection drops; a sign-in or a page is asked again once, as a browser would; a completion is not);
  - every completion answered 2xx is in the database (the case moved on), and none that failed moved;
  - the consistency check passes on the cases the load touched, every case not built in bulk, and a random sample
    of the background (restoring 100,000 workflows would take minutes; the sample's size is printed);
  - the app recovered: the requests after the faults succeed (connections re-made on checkout: pool pre-ping).
Run for 1 and 4 gunicorn workers (2 threads each), each on a database of its own.

Usage: .venv/bin/python bench/load.py [users, default 50] [cases per user, default 4]
       .venv/bin/python bench/load.py --quick   (3 users × 2 cases, 1 supervisor, 2,000 background cases, no think
                                                 time, 1 worker; fails only if the bench breaks)
"""
from __future__ import annotations

import os
import random
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
from bench.common import (CAMPAIGN_TIME, Db, Gunicorn, Template, Templates, fill_cases, grow_to, organisation,
                          postgres_url, prepare, quick_flag, use_clock, verdict)
from bench.completion import APPROVE, CAMPAIGN, MINUTES, NEXT, NOMINEES, WAITS_AT, council_cases, only_task
from sqlalchemy import select, text

from processes import cases, consistency, demo_rounds, tokens
from processes.db import make_engine
from processes.models import Campaign, Case, OpenTask, User
from processes.seeding import DEMO_PASSWORD, seed_demo
from processes.supervision import flag_snapshots
from tests.factories import SUBMISSION, achievement_of

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KINDS = ("login", "inbox", "open", "complete", "overview", "dashboard", "dash api")
QUICK, ARGS = quick_flag()
BACKGROUND = 2_000 if QUICK else 100_000  # cases in the database besides the load's own
BACKGROUND_UNITS = 100 if QUICK else 1_000
OPEN_ROUNDS = 5 if QUICK else 20  # open campaigns of the background province (the rest are past rounds)
THINK = (0.0, 0.0) if QUICK else (1.0, 3.0)  # seconds before each request, uniform
SAMPLE = 200 if QUICK else 2_000  # background cases the final check restores, besides the touched ones
# The steps a template case is driven through (the data each completion sends), then where it waits. Its nominees
# are named apart from the staff's (the round's registry refuses one achievement proposed by two units).
DRIVE = (("register_nominees", {"nominees": [{**n, "name": "Mẫu " + n["name"],
                                              "achievement_title": achievement_of("Mẫu " + n["name"])}
                                             for n in NOMINEES["nominees"]]}),
         ("record_minutes", {**MINUTES, "votes": [{**v, "nominee": "Mẫu " + v["nominee"]} for v in MINUTES["votes"]]}),
         ("council_review", APPROVE), ("submit_dossier", SUBMISSION))
LOST = ("ConnectionError", "ChunkedEncodingError")  # the connection dropped: the request was on the killed worker


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.timeline: list[tuple[str, float, float]] = []  # (kind, began, ended) of each answered request
        self.errors: list[str] = []
        self.completed: list[int] = []  # case ids whose completion answered 2xx
        self.failed: list[int] = []  # case ids whose completion did not
        self.after_faults: list[bool] = []  # each request after the faults: did it succeed?
        self.faults_done = threading.Event()
        self.staff_done = threading.Event()

    def record(self, kind: str, began: float, ended: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            if ok:
                self.samples[kind].append(ended - began)
                self.timeline.append((kind, began, ended))
            else:
                self.errors.append(f"{kind}: {detail}")
            if self.faults_done.is_set():
                self.after_faults.append(ok)

    def unexplained(self) -> list[str]:
        """Errors other than a connection lost with the killed worker: an answer with the wrong status."""
        return [e for e in self.errors if not e.endswith(LOST)]


class Person:
    """One simulated person: a browser session of their own and a pause before each request."""

    def __init__(self, base: str, results: Results, seed: int):
        self.base, self.results, self.random = base, results, random.Random(seed)
        self.http = requests.Session()

    def think(self) -> None:
        low, high = THINK
        if high:
            time.sleep(self.random.uniform(low, high))

    def timed(self, kind: str, call, *, expect: tuple[int, ...] = (200,), retry: bool = True):
        """One request after a pause; a GET or sign-in lost with a killed worker is asked again once."""
        for attempt in (1, 2):
            self.think()
            began = time.perf_counter()
            try:
                response = call()
                ok = response.status_code in expect
                detail = f"{response.status_code}"
            except requests.RequestException as exc:
                response, ok, detail = None, False, exc.__class__.__name__
            self.results.record(kind, began, time.perf_counter(), ok, detail)
            if ok or not retry or attempt == 2:
                return response if ok else None

    def sign_in(self, username: str) -> bool:
        self.http = requests.Session()
        login = self.timed("login", lambda: self.http.get(self.base + "/login"))
        if login is None:
            return False
        csrf = CSRF.search(login.text).group(1)
        return self.timed("login", lambda: self.http.post(
            self.base + "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": csrf},
            allow_redirects=False), expect=(302,)) is not None


def staff(base: str, seed: int, plan: list, names: dict, bearer: dict, results: Results, progress) -> None:
    """Each case belongs to its own unit's account: sign in as that account, inbox, task, approve."""
    person = Person(base, results, seed)
    for w in plan:
        if person.sign_in(names[w.user_id]):
            person.timed("inbox", lambda: person.http.get(base + "/"))
            person.timed("open", lambda: person.http.get(f"{base}/tasks/{w.task_id}"))
            done = person.timed("complete", lambda: person.http.post(
                f"{base}/api/tasks/{w.task_id}/complete", json=APPROVE,
                headers={"Authorization": f"Bearer {bearer[w.user_id]}"}), retry=False)
            with results.lock:
                (results.completed if done is not None else results.failed).append(w.case_id)
        progress()


def supervisor(base: str, seed: int, username: str, token: str, campaign_id: int, results: Results) -> None:
    """The overview, the campaign's dashboard and its API, again and again until the staff are done (in --quick,
    whose people do not pause, twice)."""
    person = Person(base, results, seed)
    rounds = 0
    while not (results.staff_done.is_set() or (QUICK and rounds == 2)):
        if rounds == 0 or person.http.cookies.get("session") is None:
            person.sign_in(username)
        person.timed("overview", lambda: person.http.get(base + "/supervision"))
        person.timed("dashboard", lambda: person.http.get(f"{base}/supervision/campaigns/{campaign_id}"))
        person.timed("dash api", lambda: person.http.get(f"{base}/api/supervision/campaigns/{campaign_id}/units",
                                                        headers={"Authorization": f"Bearer {token}"}))
        rounds += 1


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


def answered_again(base: str) -> float:
    """The moment the app answers a page again after the faults (the killed worker replaced, connections re-made)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/login", timeout=10).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.05)
    return time.perf_counter()


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)

    def at(q):
        return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))] * 1000
    return at(0.50), at(0.95), at(0.99)


def templates(Session, pairs) -> Templates:
    """A real case at each step, driven there through the core in the staff's campaign, and a real decided case
    (the demo's Minh Hóa dossier, decided by the supreme level: demo_rounds.seed): what the background clones."""
    running = []
    with Session() as session:
        decided = session.scalar(select(Case.id).where(Case.kind == "unit", Case.status == "completed").limit(1))
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.code == CAMPAIGN))
        for depth, (unit_id, user_id) in enumerate(pairs):
            user = session.get(User, user_id)
            case = cases.start_case(session, user, campaign_id, unit_id)
            for bpmn_id, data in DRIVE[:depth]:
                cases.complete_task(session, user, only_task(session, case.id, bpmn_id).id, data)
            running.append(Template.of(session, case.id))
        return Templates(running, Template.of(session, decided))


def build(url: str, users: int, per_user: int):
    """The staff's units and cases waiting for their council, the templates, then the background."""
    began = time.perf_counter()
    db = Db(url)
    with db.Session() as session:  # the demo's current rounds and sample cases, with the decided one the past
        seed_demo(session)         # rounds clone; before the bench units join every campaign (prepare)
        demo_rounds.seed(session)
    Session, pairs = prepare(url, extra_units=users * per_user + len(DRIVE) + 1)
    waiting = council_cases(Session, pairs[:users * per_user])
    shapes = templates(Session, pairs[users * per_user:])  # after: a submitted template registers its nominees
    org = organisation(db, BACKGROUND_UNITS, OPEN_ROUNDS)
    live = fill_cases(db, org, org["campaigns"], True, shapes)
    with Session() as session:
        before = session.scalar(text("SELECT count(*) FROM cases"))
    past = grow_to(db, org, before + BACKGROUND - len(live), shapes)
    background = live + past
    with Session() as session:  # a system that has been running holds its campaigns' flag snapshots (the timer
        snapshots = flag_snapshots.refresh_due(session)  # worker's refresh; a new campaign's costs ~40 ms once)
    db.engine.dispose()
    with Session() as session:
        counts = session.execute(text("SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM open_tasks), "
                                      "(SELECT count(*) FROM case_timers), (SELECT count(*) FROM audit_events)")).one()
    units = len(org["units"])
    print(f"  database: {counts[0]:,} cases ({len(background):,} cloned in bulk: {len(live):,} in {OPEN_ROUNDS} open "
          f"rounds, {len(past):,} in {-(-len(past) // units)} past rounds, of {units:,} units), {counts[1]:,} open "
          f"tasks, {counts[2]:,} timers, {counts[3]:,} audit events, {snapshots} campaigns' flag snapshots; built in "
          f"{time.perf_counter() - began:.1f} s")
    return Session, waiting, org, background


def run(url: str, workers: int, users: int, per_user: int, clock_env: dict) -> bool:
    label = f"PostgreSQL {workers} worker{'s' if workers > 1 else ''}"
    print(f"{label}:")
    Session, waiting, org, background = build(url, users, per_user)
    with Session() as session:
        names = {u.id: u.username for u in session.scalars(select(User).where(User.id.in_([w.user_id for w in waiting])))}
        bearer = {w.user_id: tokens.create(session, session.get(User, w.user_id), "load") for w in waiting}
        qb = session.scalar(select(Campaign.id).where(Campaign.code == CAMPAIGN))
        watchers = []
        for username, campaign_id in (("bench-sup", org["campaigns"][0]), ("vkstc.tdkt", org["campaigns"][0]),
                                      ("vks-quang-binh.tdkt", qb)):
            account = session.scalar(select(User).where(User.username == username))
            watchers.append((username, tokens.create(session, account, "load"), campaign_id))
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
    server = Gunicorn(url, clock_env)
    try:
        with server as base:
            people = [threading.Thread(target=staff, args=(base, i, plan, names, bearer, results, progress),
                                       daemon=True) for i, plan in enumerate(plans) if plan]
            watching = [threading.Thread(target=supervisor, args=(base, 1000 + i, *watchers[i % len(watchers)],
                                                                  results), daemon=True)
                        for i in range(max(1, users // 10))]
            began = time.perf_counter()
            for thread in people + watching:
                thread.start()
            half.wait(timeout=600)
            window = [time.perf_counter()]
            injected = faults(server, url, clock_env, helpers)
            results.faults_done.set()
            window.append(answered_again(base))
            for thread in people:
                thread.join(timeout=600)
            results.staff_done.set()
            for thread in watching:
                thread.join(timeout=120)
            elapsed = time.perf_counter() - began
            probe = [requests.get(base + "/login", timeout=30).status_code for _ in range(5)]  # answers again
    finally:
        for proc in helpers.values():
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    return report(label, Session, results, elapsed, injected, probe, waiting, background, len(people), len(watching),
                  window)


def report(label, Session, results: Results, elapsed: float, injected, probe, waiting, background, staff_count,
           supervisors, window) -> bool:
    print(f"  {staff_count} staff and {supervisors} supervisors, think time {THINK[0]:g}–{THINK[1]:g} s; "
          f"{len(waiting)} cases, {elapsed:.1f} s; faults: {'; '.join(injected)}")
    print(f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end (the bench's own "
          "clients, gunicorn, PostgreSQL and whatever else runs here share them)")
    requests_ok = sum(len(v) for v in results.samples.values())
    print(f"  throughput: {requests_ok / elapsed:.1f} requests/s ({requests_ok} ok), "
          f"{len(results.samples.get('complete', [])) / elapsed:.2f} completions/s")
    start, end = window
    steady = defaultdict(list)  # answered outside the fault window: what people see when nothing breaks
    during = []
    for kind, began, ended in results.timeline:
        (during.append(ended - began) if began < end and ended > start else steady[kind].append(ended - began))
    print(f"  fault window: {end - start:.1f} s from the kill until a page is answered again; {len(during)} "
          f"requests overlapped it (slowest {max(during, default=0) * 1000:.0f} ms), left out of the figures below")
    for kind in KINDS:
        samples = steady.get(kind, [])
        if samples:
            p50, p95, p99 = percentiles(samples)
            print(f"  {kind:<9} {len(samples):>5} ok  {len(samples) / elapsed:7.2f}/s   "
                  f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms")
    lost = len(results.errors) - len(results.unexplained())
    print(f"  errors: {len(results.errors)}, of which {lost} lost with the killed worker"
          + (f" ({', '.join(sorted(set(results.errors)))})" if results.errors else ""))
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
        bulk = set(background)
        others = [i for i in session.scalars(select(Case.id)) if i not in bulk]
        sample = random.Random(0).sample(background, min(SAMPLE, len(background)))
        began = time.perf_counter()
        mismatches = [m for m in consistency.check(session, case_ids=others + sample) if not isinstance(m, int)]
        checked = len(set(others + sample))
    for mismatch in mismatches:
        print(f"  BROKEN: {mismatch}")
    recovered = all(code == 200 for code in probe) and (not results.after_faults or results.after_faults[-1])
    after = results.after_faults
    print(f"  after the faults: {sum(after)}/{len(after)} requests ok; consistency check on {checked:,} cases "
          f"({len(others):,} built by the app, a sample of {len(sample):,} of the {len(bulk):,} cloned; "
          f"{time.perf_counter() - began:.1f} s): {'passed' if not mismatches else f'{len(mismatches)} mismatches'}; "
          f"recovered: {'yes' if recovered else 'NO'}")
    for kind, target in (("complete", 100.0), ("inbox", 50.0)):
        samples = steady.get(kind, [])
        if samples:
            verdict(f"{label} {kind} p95", percentiles(samples)[1], target, sign="<", unit=" ms")
    verdict(f"{label} errors besides the killed worker's", len(results.unexplained()), 0, unit="")
    healthy = sound and not mismatches and recovered
    print(f"  TARGET {label} every 2xx completion stored, check passes, recovered: "
          f"{int(healthy)}.00 (target ≥ 1) {'PASS' if healthy else 'MISS'}")
    return healthy


def main() -> None:
    users = int(ARGS[0]) if ARGS else (3 if QUICK else 50)
    per_user = int(ARGS[1]) if len(ARGS) > 1 else (2 if QUICK else 4)
    clock_env = use_clock(CAMPAIGN_TIME)
    healthy = True
    for workers in ((1,) if QUICK else (1, 4)):
        url = postgres_url("tdkt_load")
        if url is None:
            return
        healthy &= run(url, workers, users, per_user, clock_env)
    if not healthy:
        sys.exit(1)


if __name__ == "__main__":
    main()
