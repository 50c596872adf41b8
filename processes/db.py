"""Engine, session and transaction boundaries, for PostgreSQL (production) and SQLite (demo, tests).

The core never imports Flask: the web layer hands its Flask-SQLAlchemy session to the commands, a worker or a test
hands a plain `Session`. Both are configured by `configure_engine` so they behave alike.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Stable constraint names so Alembic migrations are identical on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


SQLITE_BUSY_MS = 15000
IMMEDIATE = "tdkt_sqlite_immediate"


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # The driver's own transaction handling is switched off so we can emit BEGIN IMMEDIATE for writes
        # (see `configure_engine`); check_same_thread off because the pool hands connections across threads.
        return {"connect_args": {"isolation_level": None, "check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000}}
    # Pre-ping: a connection the server dropped (restart, failover, pg_terminate_backend) is replaced when it is
    # checked out, instead of failing the request that drew it — one loopback round trip per checkout (measured
    # by bench/load.py, which drops every connection of the app mid-load). Recycling bounds how stale one gets.
    return {"pool_size": 10, "max_overflow": 10, "pool_recycle": 1800, "pool_pre_ping": True}


def configure_engine(engine: Engine) -> Engine:
    """Attach the SQLite pragmas and begin-mode handling. Safe to call once per engine."""
    if engine.dialect.name != "sqlite":
        return engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer: several web workers share a file
        cur.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes in WAL mode; fsync at checkpoints
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # A write transaction takes SQLite's write lock at BEGIN; otherwise two writers that both read first
        # would deadlock-fail on upgrade instead of queueing behind each other.
        immediate = conn.get_execution_options().get(IMMEDIATE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    url = normalise_url(url)
    options = {**engine_options(url), **kwargs}
    if "poolclass" in kwargs:
        options.pop("pool_size", None)
        options.pop("max_overflow", None)
    return configure_engine(create_engine(url, **options))


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


@contextmanager
def unit_of_work(session: Session, *, write: bool = True) -> Iterator[Session]:
    """One user action = one transaction: commit on success, roll back everything on any error.

    On SQLite a read transaction the caller already opened (loading the current user, say) is closed first so the
    action starts on fresh data and can take the write lock at BEGIN.
    """
    sqlite = is_sqlite(session)
    if sqlite and _plain(session).in_transaction():
        # SQLite: a transaction that has read keeps its snapshot and cannot take the write lock later; end it so
        # this one starts with BEGIN IMMEDIATE. (PostgreSQL reads committed data at every statement anyway.)
        session.commit()
    if write and sqlite:
        session.connection(execution_options={IMMEDIATE: True})
    session.info["unit_of_work"] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop("unit_of_work", None)


def _plain(session) -> Session:
    """Flask-SQLAlchemy hands a scoped_session proxy; the transaction state lives on the session it wraps."""
    return session.registry() if hasattr(session, "registry") else session


def upgrade_schema(url: str) -> None:
    """Create or upgrade the schema to the newest migration (what `flask init-db` runs)."""
    from alembic import command
    from alembic.config import Config

    here = Path(__file__).parent
    cfg = Config()
    cfg.set_main_option("script_location", str(here / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")
