"""The executor: every verb of the core runs through `execute`, the same way (Camunda's command executor).

    execute(session, actor, command)
      1. one transaction (db.unit_of_work; BEGIN IMMEDIATE on SQLite)
      2. command.target(tx)            look the object up and lock it, in the lock order below
      3. command.authorize(tx, target) NotFound (404) for what the actor may not see, Forbidden (403) for what they
                                       may see but not do — before any other error, so a refusal reveals nothing
      4. command.run(tx, target)       the body; it records what happened with tx.emit(event)
      5. in-transaction listeners: projections of this change that must commit with it or not at all (the
         notification rows of a case that moved, its award records), in the same transaction
      6. for each event, one outbox row per after-commit listener that wants it (same transaction); commit
      7. after the commit, each outbox row runs as its own command (`RunEffect`): its own transaction, deleted
         when its listener succeeds; a row left behind by a crash is run by the timer worker's next pass.
         After-commit listeners are what touches *other* objects (the roll-up moves other cases, which must be
         locked in the lock order, not while this verb's case is held) or the outside world (e-mail).

A deadlock or serialization failure (PostgreSQL) rolls the transaction back and runs the command again, up to
three times; only then is it reported, as a 409 "try again", never a 500.

Lock order — every verb takes row locks in this order and never goes back up it, so two verbs cannot deadlock:
  1. the campaign row (starting its consolidation case; the round's nomination registry)
  2. case rows: a consolidation case before its unit cases; several cases in ascending id
  3. rows that belong to one locked case (open tasks, timers, attachments), never locked without their case
  4. outbox rows (`pending_effects`), each on its own, with SKIP LOCKED
The case lock is FOR UPDATE on PostgreSQL; on SQLite the whole database's write lock, taken at BEGIN.

Listeners register with `listen(EventType, name, fn, wants=…, after_commit=…)` from their own module;
`processes/wiring.py` imports those modules, so the web app, the worker and the CLI all run the same listeners.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Generic, TypeVar

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from . import clock
from .db import unit_of_work
from .errors import Conflict, Forbidden
from .models import PendingEffect, User

log = logging.getLogger("tdkt.executor")
T = TypeVar("T")
R = TypeVar("R")
ATTEMPTS = 3
EFFECT_RETRY = dt.timedelta(seconds=30)
# The worker leaves an outbox row alone this long: the process that wrote it runs it right after its commit.
EFFECT_GRACE = dt.timedelta(seconds=10)
# PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race and can simply run again.
RETRYABLE_SQLSTATES = {"40P01", "40001"}


@dataclass
class Tx:
    """What a command sees while it runs: the session inside the open transaction, who acts, and what happened."""
    session: Session
    actor: User | None  # None: the system (timer worker, after-commit work)
    events: list = field(default_factory=list)

    @property
    def actor_id(self) -> int | None:
        return self.actor.id if self.actor is not None else None

    def emit(self, event) -> None:
        """Record a domain event; its listeners run after this transaction commits."""
        self.events.append(event)


class Command(Generic[T, R]):
    """A verb of the core. Subclasses name themselves and implement the three steps; `target` may return None."""
    name: ClassVar[str] = "command"

    def target(self, tx: Tx) -> T:
        return None  # type: ignore[return-value]

    def authorize(self, tx: Tx, target: T) -> None:
        raise NotImplementedError(f"{type(self).__name__} must decide who may run it")

    def run(self, tx: Tx, target: T) -> R:
        raise NotImplementedError


def execute(session: Session, actor: User | None, command: Command[Any, R]) -> R:
    """Run `command` as one transaction, then its after-commit listeners. Returns what its body returned."""
    for attempt in range(1, ATTEMPTS + 1):
        tx = Tx(session, actor)
        try:
            with unit_of_work(session):
                target = command.target(tx)
                command.authorize(tx, target)
                result = command.run(tx, target)
                _run_in_transaction(tx)
                effect_ids = _write_outbox(tx)
        except DBAPIError as exc:
            if _retryable(exc) and attempt < ATTEMPTS:
                log.info("%s lost a race (%s); running it again", command.name, _sqlstate(exc))
                continue
            if exc.connection_invalidated and attempt < ATTEMPTS:
                # The server dropped the connection (restart, failover, pg_terminate_backend): the transaction is
                # gone, so the command runs again on a new one. If the drop came during COMMIT and the commit had
                # happened, the second run re-checks under its locks and refuses (the task is already done: 409) —
                # never twice.
                log.warning("%s lost its database connection; running it again", command.name)
                continue
            if _retryable(exc):
                raise Conflict("Hệ thống đang bận xử lý cùng hồ sơ này; vui lòng thử lại.") from exc
            raise
        run_effects(session, effect_ids)
        return result
    raise AssertionError("unreachable")


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(getattr(exc.orig, "diag", None), "sqlstate", None)


def _retryable(exc: DBAPIError) -> bool:
    return _sqlstate(exc) in RETRYABLE_SQLSTATES


def system_only(tx: Tx) -> None:
    """The authorisation of verbs only the system runs (after-commit work, the timer sweep)."""
    if tx.actor is not None and not tx.actor.is_admin:
        raise Forbidden("Chỉ hệ thống mới thực hiện thao tác này.")


# --- listeners and the outbox ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Listener:
    name: str
    event_type: type
    run: Callable[[Tx, Any], None]
    wants: Callable[[Any], bool]
    after_commit: bool


_listeners: dict[str, Listener] = {}
_event_types: dict[str, type] = {}


def listen(event_type: type, name: str, fn: Callable[[Tx, Any], None],
           wants: Callable[[Any], bool] = lambda event: True, *, after_commit: bool = True) -> None:
    """Run `fn(tx, event)` for each `event_type` event that `wants` accepts: after its commit in a transaction of
    its own (the default; `name` is stored in the outbox, so it must stay stable while rows may be pending), or
    with `after_commit=False` inside the emitting transaction, as part of the same change."""
    _listeners[name] = Listener(name, event_type, fn, wants, after_commit)
    _event_types[event_type.__name__] = event_type


def _wanted(tx: Tx, after_commit: bool):
    return [(listener, event) for event in tx.events for listener in _listeners.values()
            if listener.after_commit == after_commit and isinstance(event, listener.event_type)
            and listener.wants(event)]


def _run_in_transaction(tx: Tx) -> None:
    for listener, event in _wanted(tx, after_commit=False):
        listener.run(tx, event)


def _write_outbox(tx: Tx) -> list[int]:
    rows = [dict(listener=listener.name, event={"type": type(event).__name__, **dataclasses.asdict(event)},
                 created_at=clock.now(), run_after=clock.now() + EFFECT_GRACE, attempts=0, last_error="")
            for listener, event in _wanted(tx, after_commit=True)]
    if not rows:
        return []
    return list(tx.session.scalars(insert(PendingEffect).returning(PendingEffect.id), rows))


class RunEffect(Command[PendingEffect | None, bool]):
    """One listener for one committed event. Locks its outbox row (SKIP LOCKED: another process has it) and deletes
    it with the listener's work, so the work is done exactly once."""
    name = "run_effect"

    def __init__(self, effect_id: int):
        self.effect_id = effect_id

    def target(self, tx):
        return tx.session.scalar(select(PendingEffect).where(PendingEffect.id == self.effect_id)
                                 .with_for_update(skip_locked=True).execution_options(populate_existing=True))

    def authorize(self, tx, target):
        system_only(tx)

    def run(self, tx, effect):
        if effect is None:
            return False
        listener = _listeners.get(effect.listener)
        if listener is not None and listener.after_commit:
            payload = dict(effect.event)
            event_type = _event_types[payload.pop("type")]
            listener.run(tx, event_type(**payload))
        tx.session.execute(delete(PendingEffect).where(PendingEffect.id == effect.id))
        return True


def run_effects(session: Session, effect_ids: list[int]) -> int:
    """Run these outbox rows now; a failure is logged and left for a later pass (the user's own change stands)."""
    done = 0
    for effect_id in effect_ids:
        try:
            done += bool(execute(session, None, RunEffect(effect_id)))
        except Exception as exc:  # noqa: BLE001 - the committed action stands; the effect is retried later
            log.exception("after-commit effect %s failed", effect_id)
            with unit_of_work(session):
                session.execute(update(PendingEffect).where(PendingEffect.id == effect_id).values(
                    attempts=PendingEffect.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    run_after=clock.now() + EFFECT_RETRY))
    return done


def pending_effect_ids(session: Session, limit: int = 100) -> list[int]:
    """Outbox rows due to run: left by a process that died after its commit, or pushed back after a failure."""
    return list(session.scalars(select(PendingEffect.id).where(PendingEffect.run_after <= clock.now())
                                .order_by(PendingEffect.run_after, PendingEffect.id).limit(limit)))
