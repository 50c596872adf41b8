"""Test harness: every app test runs on SQLite and on PostgreSQL, against migrated and demo-seeded databases.

Per backend, one database is migrated and seeded once per test process (each pytest-xdist worker has its own);
each test then starts from that state (SQLite: a copy of the seeded file; PostgreSQL: the per-case tables truncated and
the seeded rows put back as they were), so tests may run in any order. Every answer under /api/ is checked against
webapp/api/openapi.json (tests/openapi_check.py). With CI=true a PostgreSQL that cannot be reached is a failure, not a
skip.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import uuid

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import event, text

from processes import clock
from processes.db import make_engine, make_sessionmaker, upgrade_schema
from processes.seeding import DEMO_PASSWORD, seed_demo

PG_ADMIN_URL = os.environ.get("TDKT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# Tables a test may change; the org data (units, users, campaigns, shipped diagrams) is shared and read-only.
PER_TEST_TABLES = ("case_comments", "delegations", "saved_filters", "supervision_flags", "flag_snapshots", "attachments", "award_records", "nominations", "notifications", "case_timers",
                   "audit_events", "open_tasks", "cases", "api_tokens", "pending_effects", "login_failures", "process_events",
                   "process_drafts")
# The seeded tables (in delete order): a test may change them, and fresh() puts back the seeded rows as they were.
RESTORED_TABLES = ("diagram_form_pins", "form_revisions", "diagram_versions", "role_assignments", "users", "campaigns", "units",
                   "roles")
SEED_COPY = "tdkt_seed_copy"


# Tests live inside the Quảng Bình round (15/8 → 23/8/2024): deadlines are ahead, as for the units that ran it.
CAMPAIGN_TIME = dt.datetime(2024, 8, 16, 1, 0)  # 08:00 on 16/08/2024 in Việt Nam, naive UTC


class _ErrorRecords(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_swallowed_errors(request):
    """An error the app logs and goes on from — a failed listener, a timer's incident, a snapshot it could not
    compute — fails the test, unless the test names that logger in `@pytest.mark.logs_errors(...)`: the app keeps
    working past such errors by design, so without this a broken listener would pass every test."""
    marker = request.node.get_closest_marker("logs_errors")
    expected = set(marker.args) if marker else set()
    handler = _ErrorRecords()
    logging.getLogger().addHandler(handler)
    yield
    logging.getLogger().removeHandler(handler)
    unexpected = [f"{r.name}: {r.getMessage()}" + (f" ({r.exc_info[1]!r})" if r.exc_info else "")
                  for r in handler.records if r.name not in expected]
    assert not unexpected, unexpected[:5]


@pytest.fixture(autouse=True)
def campaign_time():
    previous = clock.set_clock(clock.ShiftedClock(CAMPAIGN_TIME))
    yield
    clock.set_clock(previous)


def _pg_available() -> bool:
    try:
        engine = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _seed(url: str) -> None:
    upgrade_schema(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        seed_demo(session)
    engine.dispose()


# Under pytest-xdist each worker process has its own databases and files; the worker id names them, with the pid so
# that two test runs on the same PostgreSQL server (two checkouts) never meet.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory):
    template = tmp_path_factory.mktemp("sqlite") / "template.sqlite"  # the worker's own basetemp under xdist
    _seed(f"sqlite:///{template}")

    def fresh() -> str:
        copy = template.with_name(f"t-{uuid.uuid4().hex[:8]}.sqlite")
        shutil.copy(template, copy)
        return f"sqlite:///{copy}"

    return Backend("sqlite", fresh)


@pytest.fixture(scope="session")
def postgresql_backend():
    if not _pg_available():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL không truy cập được tại 127.0.0.1:5432 — bắt buộc khi CI=true.")
        pytest.skip("PostgreSQL không có sẵn")
    name = f"tdkt_test_{WORKER}_{os.getpid()}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A throwaway database: a commit need not wait for its WAL to reach the disk (nothing a test sees changes).
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = re.sub(r"/[^/]*$", f"/{name}", PG_ADMIN_URL)
    _seed(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        # A copy of the seeded rows, in a schema of its own, puts back after each test whatever it changed in them
        # (e.g. a campaign pointed at a test diagram): every test starts from the seeded state, in any order.
        conn.execute(text(f"CREATE SCHEMA {SEED_COPY}"))
        columns = {}
        for table in RESTORED_TABLES:
            conn.execute(text(f"CREATE TABLE {SEED_COPY}.{table} AS SELECT * FROM {table}"))
            columns[table] = ", ".join(conn.scalars(text(
                "SELECT quote_ident(column_name) FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = :t ORDER BY ordinal_position"), {"t": table}))
        sequences = dict(conn.execute(text(  # the tables with an id column (flag_snapshots is keyed by campaign)
            "SELECT table_name, pg_get_serial_sequence(table_name, 'id') FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'id' AND table_name = ANY(CAST(:tables AS text[]))"),
            {"tables": list(PER_TEST_TABLES)}).all())

    def fresh() -> str:
        with engine.begin() as conn:
            # Only the per-test tables a test wrote to are truncated (TRUNCATE costs tens of ms a table): a truncated
            # table's file stays empty until a row is written to it, deleted since or not. TRUNCATE rather than
            # DELETE: each table starts empty and new, so rows are read back in the order they were written.
            written = [t for t, size in conn.execute(text(
                "SELECT t, pg_relation_size(CAST(t AS regclass)) FROM unnest(CAST(:tables AS text[])) AS t"),
                {"tables": list(PER_TEST_TABLES)}) if size]
            if written:
                conn.execute(text(f"TRUNCATE {', '.join(written)} RESTART IDENTITY CASCADE"))
            for table, sequence in sequences.items():  # a sequence may move without a row written
                if table not in written and sequence:
                    conn.execute(text("SELECT setval(CAST(:s AS regclass), 1, false)"), {"s": sequence})
            for table in RESTORED_TABLES:  # rows a test added, referring ones first
                conn.execute(text(f"DELETE FROM {table} WHERE id NOT IN (SELECT id FROM {SEED_COPY}.{table})"))
            for table in reversed(RESTORED_TABLES):  # seeded rows a test changed or removed, referred ones first
                conn.execute(text(
                    f"UPDATE {table} AS t SET ({columns[table]}) = (SELECT {columns[table]} FROM {SEED_COPY}.{table} s "
                    f"WHERE s.id = t.id) WHERE t.id IN (SELECT s.id FROM {SEED_COPY}.{table} s JOIN {table} c "
                    f"ON c.id = s.id WHERE to_jsonb(c) IS DISTINCT FROM to_jsonb(s))"))
                conn.execute(text(f"INSERT INTO {table} SELECT * FROM {SEED_COPY}.{table} s "
                                  f"WHERE NOT EXISTS (SELECT FROM {table} c WHERE c.id = s.id)"))
        return url

    yield Backend("postgresql", fresh)
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """The backend a test runs on; each app test runs once per backend. The backends themselves are session
    fixtures of their own, so a worker keeps both however its tests are ordered or distributed."""
    return request.getfixturevalue(f"{request.param}_backend")


class Backend:
    def __init__(self, name, fresh):
        self.name = name
        self.fresh = fresh


@pytest.fixture
def db_url(backend) -> str:
    from processes import roles
    from processes.supervision import overview
    roles.forget()  # this process's snapshot of the roles table belongs to the previous test's database
    overview.forget()  # and so do the overview's kept counts (a new database repeats ids and versions)
    return backend.fresh()


@pytest.fixture
def app(db_url, tmp_path):
    from webapp import create_app

    from .openapi_check import CheckedClient

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test",
                      "TDKT_UPLOAD_DIR": str(tmp_path / "uploads")})  # the test's own, not the shared instance folder
    app.test_client_class = CheckedClient  # every API answer is held against openapi.json
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE  # each test's new app would otherwise compile every template again
    yield app
    from webapp.extensions import db
    with app.app_context():
        db.engine.dispose()


class _TemplateCache(BytecodeCache):
    """Compiled Jinja templates shared by the apps the tests build (one per test): a template is compiled once per
    worker, not once per test — it was about half of an HTML test's time."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = _TemplateCache()


@pytest.fixture
def session(db_url):
    """A plain core session of its own on the test database, for arranging and checking state without HTTP.
    Deliberately not the app's session: each HTTP request in a test gets its own, as in production."""
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as session:
        event.listen(session, "do_orm_execute", _read_committed)
        yield session
    engine.dispose()


def _read_committed(state):
    """Each read of the test's own session sees what the app committed meanwhile (SQLite's WAL snapshot would
    otherwise hold the view from the transaction's first read); never inside a unit of work or a pending change."""
    s = state.session
    if state.is_select and not s.info.get("unit_of_work") and not (s.new or s.dirty or s.deleted) \
            and s.in_transaction():
        s.commit()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A logged-in user's HTTP client that posts forms the way a browser does (with the page's CSRF token)."""

    def __init__(self, app, username: str):
        self.client = app.test_client()
        self.username = username
        self._csrf = None
        page = self.client.get("/login")
        response = self.client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                                    "csrf_token": csrf_of(page)})
        assert response.status_code == 302, f"login failed for {username}"

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post_form(self, page_url: str, action: str, data: dict):
        """Post as the form on `page_url` would. The CSRF token is the session's (Flask-WTF, no time limit), so the
        page is fetched for it once per login, not before every post — as a browser that keeps a tab open."""
        if self._csrf is None:
            self._csrf = csrf_of(self.client.get(page_url))
        return self.client.post(action, data={**data, "csrf_token": self._csrf})


def csrf_of(response) -> str:
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def browser(app):
    return lambda username: Browser(app, username)


@pytest.fixture
def api(app, session):
    """api(username) → a client whose requests carry that user's fresh bearer token."""
    from processes import tokens
    from processes.models import User
    from sqlalchemy import select

    def make(username: str):
        user = session.scalar(select(User).where(User.username == username))
        return ApiClient(app.test_client(), tokens.create(session, user, "test"))

    return make


class ApiClient:
    def __init__(self, client, token):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url, **kw):
        return self.client.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, url, json=None, **kw):
        return self.client.post(url, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)


@pytest.fixture
def amend_campaign(session):
    """amend_campaign(key=value, …) changes the Quảng Bình round's campaign file for one test (quotas, voting rule,
    deadlines…); the seeded row is shared by every test on the database, so it is put back after."""
    from sqlalchemy import select, update

    from processes.db import unit_of_work
    from processes.models import Campaign

    qb = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    original = dict(qb.details)

    def amend(**changes):
        with unit_of_work(session):
            session.execute(update(Campaign).where(Campaign.id == qb.id).values(details={**original, **changes}))

    yield amend
    with unit_of_work(session):
        session.execute(update(Campaign).where(Campaign.id == qb.id).values(details=original))
