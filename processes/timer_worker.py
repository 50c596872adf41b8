"""The timer worker: fires due BPMN timers, one case per transaction.

It finds due timers through the indexed (status, fire_at) column of `case_timers`, never by loading workflows.
Each pass locks one case that has a due timer — `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers on
one or several machines share the work and never fire the same timer twice; on SQLite the write lock taken at
BEGIN IMMEDIATE serialises them — runs the workflow on to its next wait state and commits. A worker killed
mid-pass loses nothing: its transaction rolls back and the timer is still due for the next pass. A person
completing a task on the same case holds the same case lock, so the two happen one after the other.

A case whose timer fails (bad expression, broken diagram) gets its due timers marked as an incident with the
error; the others go on. `retry` puts them back.

Run: `flask --app webapp timers run` or `python -m processes.timer_worker --database-url URL`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from . import audit, clock, digest, wiring  # noqa: F401  (wiring: the listeners this worker's changes must reach)
from .access import check_admin
from .case_processor import CaseProcessor, lock_case, lock_options
from .contracts import TimerStatus
from .db import make_engine, make_sessionmaker
from .errors import NotFound
from .executor import Command, execute, pending_effect_ids, run_effects, system_only
from .models import Case, CaseTimer, User
from .notifications import deliver_mail
from .supervision import flag_snapshots

log = logging.getLogger("tdkt.timers")
CLAIM_WINDOW = 200  # due cases looked at per claim; more than the workers that may run at once
RETRY_DELAY_SECONDS = 1


@dataclass
class Pass:
    fired: int = 0  # cases whose due timers this worker fired
    incidents: int = 0
    cases: list[int] = field(default_factory=list)


def due_case_ids(session: Session, limit: int = CLAIM_WINDOW):
    """The query the sweep runs: one range scan of ix_case_timers_due."""
    return (select(CaseTimer.case_id).where(CaseTimer.status == TimerStatus.WAITING, CaseTimer.fire_at <= clock.now())
            .order_by(CaseTimer.fire_at).limit(limit))


def fire_due(session: Session, max_cases: int = 100) -> Pass:
    """Fire what is due, up to `max_cases` cases, each in its own transaction; then run after-commit work that a
    process which died after its commit left in the outbox."""
    result = Pass()
    for _ in range(max_cases):
        outcome = execute(session, None, FireTimers())
        if outcome is None:
            break
        case_id, ok = outcome
        result.cases.append(case_id)
        if ok:
            result.fired += 1
        elif ok is False:
            result.incidents += 1
    run_effects(session, pending_effect_ids(session))
    return result


class FireTimers(Command):
    """Lock one case with a due timer and fire it. Returns (case id, True) fired, (case id, False) became an
    incident, (case id, None) someone else had just fired it; None when nothing is due."""
    name = "fire_timers"

    def target(self, tx):
        return tx.session.scalar(
            select(Case).where(Case.id.in_(due_case_ids(tx.session).scalar_subquery())).options(*lock_options())
            .limit(1).with_for_update(of=Case, skip_locked=True).execution_options(populate_existing=True))

    def authorize(self, tx, case):
        system_only(tx)

    def run(self, tx, case):
        session = tx.session
        if case is None:
            return None
        due = list(session.scalars(select(CaseTimer).where(
            CaseTimer.case_id == case.id, CaseTimer.status == TimerStatus.WAITING, CaseTimer.fire_at <= clock.now())))
        if not due:  # another worker fired it between our look and our lock
            return case.id, None
        emitted = len(tx.events)
        try:
            with session.begin_nested():
                processor = CaseProcessor.restore(tx, case)
                processor.fire_timers()
                processor.save()
                session.flush()
                _pause_for_tests()
        except Exception as exc:  # noqa: BLE001 - any failure of one case becomes that case's incident
            del tx.events[emitted:]  # rolled back with the savepoint: nothing happened to tell anyone
            session.expire(case)  # the processor told the object values the savepoint has just undone
            log.exception("timer of case %s failed", case.id)
            message = f"{exc.__class__.__name__}: {exc}"[:2000]
            session.execute(update(CaseTimer).where(CaseTimer.id.in_([t.id for t in due]))
                            .values(status=TimerStatus.INCIDENT, attempts=CaseTimer.attempts + 1,
                                    last_error=message)
                            .execution_options(synchronize_session="fetch"))
            audit.record(session, case.id, "timer_incident", None, error=message,
                         timers=[t.bpmn_id for t in due])
            return case.id, False
        # SpiffWorkflow fires strictly after the instant; a timer due exactly now goes round once more.
        if processor.due_timers_left():
            session.execute(update(CaseTimer).where(
                CaseTimer.case_id == case.id, CaseTimer.status == TimerStatus.WAITING, CaseTimer.fire_at <= clock.now())
                .values(fire_at=clock.now() + dt.timedelta(seconds=RETRY_DELAY_SECONDS))
                .execution_options(synchronize_session=False))
        return case.id, True


def _pause_for_tests() -> None:
    # Lets a test kill the worker while it holds an uncommitted firing (see tests/test_timer_worker.py).
    pause = float(os.environ.get("TDKT_TIMER_PAUSE_BEFORE_COMMIT", "0") or 0)
    if pause:
        time.sleep(pause)


def incidents(session: Session) -> list[CaseTimer]:
    return list(session.scalars(select(CaseTimer).where(CaseTimer.status == TimerStatus.INCIDENT)
                                .order_by(CaseTimer.id)))


class RetryIncidents(Command):
    """Put a case's failed timers back in the queue (administrators only)."""
    name = "retry_incidents"

    def __init__(self, case_id: int):
        self.case_id = case_id

    def target(self, tx):
        return lock_case(tx.session, self.case_id)

    def authorize(self, tx, case):
        check_admin(tx.actor, "Chỉ quản trị viên được chạy lại bộ hẹn giờ bị lỗi.")
        if case is None:
            raise NotFound("Không tìm thấy hồ sơ.")

    def run(self, tx, case):
        count = tx.session.execute(
            update(CaseTimer).where(CaseTimer.case_id == case.id, CaseTimer.status == TimerStatus.INCIDENT)
            .values(status=TimerStatus.WAITING).execution_options(synchronize_session="fetch")).rowcount
        audit.record(tx.session, case.id, "timer_retry", tx.actor_id, timers=count)
        return count


def retry(session: Session, user: User | None, case_id: int) -> int:
    return execute(session, user, RetryIncidents(case_id))


DIGEST_EVERY = 60.0  # seconds between two looks at whether today's digest went out


def run(database_url: str, *, poll: float = 0.5, stop: threading.Event | None = None,
        until_idle: bool = False, digest_every: float | None = None, flags_every: float | None = None) -> Pass:
    """The worker loop: fire what is due, send pending mail, sleep `poll` seconds when there was nothing. With
    `digest_every` (seconds), the supervisors' daily digest is looked at that often and sent once a day (the first
    pass after midnight in Việt Nam; several workers send it once: `digest.run_if_due` records the day). With
    `flags_every` (seconds), the open campaigns' flag snapshots are refreshed that often (`flag_snapshots`: the
    supervisors' overview reads them instead of computing on a web thread)."""
    stop = stop or threading.Event()
    engine = make_engine(database_url)
    Session = make_sessionmaker(engine)
    total = Pass()
    next_digest = next_flags = time.monotonic()
    try:
        while not stop.is_set():
            with Session() as session:
                done = fire_due(session)
                if digest_every is not None and time.monotonic() >= next_digest:
                    next_digest = time.monotonic() + digest_every
                    try:
                        digest.run_if_due(session)
                    except DBAPIError as exc:  # another worker wrote today's digest at the same moment: theirs stands
                        session.rollback()
                        log.info("digest left to another worker: %s", exc.__class__.__name__)
                if flags_every is not None and time.monotonic() >= next_flags:
                    next_flags = time.monotonic() + flags_every
                    flag_snapshots.refresh_due(session, budget=flag_snapshots.REFRESH_BUDGET)
                try:
                    deliver_mail(session)
                except OSError as exc:  # mail server down: notifications stay pending for the next pass
                    log.warning("mail delivery failed: %s", exc)
            total.fired += done.fired
            total.incidents += done.incidents
            total.cases += done.cases
            if not done.cases:
                if until_idle:
                    break
                stop.wait(poll)
    finally:
        engine.dispose()
    return total


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="TĐKT Flow timer worker")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--poll", type=float, default=0.5, help="giây chờ giữa hai lượt khi không có gì đến hạn")
    parser.add_argument("--until-idle", action="store_true", help="dừng khi không còn bộ hẹn giờ đến hạn")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("cần --database-url hoặc biến môi trường DATABASE_URL")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    result = run(args.database_url, poll=args.poll, until_idle=args.until_idle,
                 digest_every=None if args.until_idle else DIGEST_EVERY,  # a one-off run (tests, benches) sends none
                 flags_every=None if args.until_idle else flag_snapshots.REFRESH_EVERY)
    print(f"fired={result.fired} incidents={result.incidents}")


if __name__ == "__main__":
    main()
