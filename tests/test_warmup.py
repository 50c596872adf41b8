"""The gunicorn master's warm-up (webapp/warmup.py, webapp/gunicorn_conf.py): every page it plans answers, it writes
nothing and keeps no connection for the forked workers, and a worker forked from it serves an inbox on SQL
compiled already — the cost a new or replaced worker used to pay on its first requests."""
from __future__ import annotations

import re
from pathlib import Path

import requests
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.engine.default import CACHE_MISS

from processes import inbox
from processes.models import Campaign, RoleAssignment, Unit, User
from webapp import warmup
from webapp.extensions import db

from .conftest import DEMO_PASSWORD, csrf_of

TEMPLATES = Path(__file__).resolve().parent.parent / "webapp" / "templates"


def _start_case(api, session) -> None:
    """A case waiting at its first step, so the warm-up has a task page to serve."""
    campaign = session.scalar(select(Campaign).where(Campaign.code == "dn-cds-so-ket-2024"))
    unit = session.scalar(select(Unit).where(Unit.code == "vks-dn-hai-chau"))
    answer = api("vks-dn-hai-chau.canbo").post("/api/cases", json={"campaign_id": campaign.id, "unit_id": unit.id})
    assert answer.status_code == 201, answer.get_json()


def _row_counts(session) -> dict[str, int]:
    session.commit()  # read what is committed now
    tables = inspect(session.get_bind()).get_table_names()
    return {t: session.scalar(text(f'SELECT count(*) FROM "{t}"')) for t in tables if t != "alembic_version"}


def test_every_planned_page_answers_and_nothing_is_written(app, session, api):
    _start_case(api, session)
    with app.app_context():
        planned = warmup.visits(db.session)
        db.session.remove()
    paths = [path for _user, path in planned]
    assert "/" in paths and "/supervision" in paths
    assert any(re.fullmatch(r"/tasks/\d+", p) for p in paths)
    assert any(re.fullmatch(r"/supervision/campaigns/\d+", p) for p in paths)
    role_counts = set(session.scalars(select(func.count()).select_from(RoleAssignment).join(User)
                                      .where(User.active.is_(True), User.is_admin.is_(False))
                                      .group_by(RoleAssignment.user_id)))
    assert paths.count("/") == len({min(n, inbox.MAX_QUEUES_SCANNED + 1) for n in role_counts})  # one inbox per number of roles held

    before = _row_counts(session)
    counts = warmup.warm(app)
    assert counts == {"templates": len(list(TEMPLATES.glob("*.html"))), "diagrams": counts["diagrams"],
                      "pages": len(planned)}  # every planned page answered 200
    assert counts["diagrams"] >= 1  # the started case's diagram
    assert _row_counts(session) == before
    with app.app_context():
        assert db.engine.pool.checkedin() == 0 and db.engine.pool.checkedout() == 0  # nothing left to inherit


def test_a_worker_forked_after_the_warm_up_serves_the_inbox_on_compiled_sql(app, session):
    with app.app_context():
        planned = warmup.visits(db.session)
        db.session.remove()
    warmed = {user_id for user_id, path in planned if path == "/"}
    held = dict(session.execute(select(RoleAssignment.user_id, func.count()).group_by(RoleAssignment.user_id)).all())
    shapes = {held[user_id] for user_id in warmed}
    other = session.scalar(select(User.username).join(RoleAssignment).where(User.id.not_in(warmed),
                                                                            User.is_admin.is_(False))
                           .group_by(User.id, User.username).having(func.count().in_(shapes)).limit(1))
    client = app.test_client()
    page = client.get("/login")
    assert client.post("/login", data={"username": other, "password": DEMO_PASSWORD,
                                       "csrf_token": csrf_of(page)}).status_code == 302
    warmup.warm(app)
    warmup.forked(app)
    compiled: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if context.cache_hit is CACHE_MISS:
            compiled.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert client.get("/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
    assert compiled == [], f"{other}'s inbox compiled {len(compiled)} statements after the warm-up"


def test_gunicorn_warms_its_master_and_serves(db_url):
    from bench.common import GUNICORN_ARGS, Gunicorn

    server = Gunicorn(db_url, {})
    saved = list(GUNICORN_ARGS)
    GUNICORN_ARGS[:] = ["--workers", "1", "--worker-class", "gthread", "--threads", "2"]
    try:
        with server as base:
            assert requests.get(base + "/login", timeout=30).status_code == 200
            log = server.log_tail()
    finally:
        GUNICORN_ARGS[:] = saved
    warmed = re.search(r"warmed: (\d+) templates, (\d+) diagram versions, (\d+) pages", log)
    assert warmed, log
    assert int(warmed[1]) == len(list(TEMPLATES.glob("*.html"))) and int(warmed[3]) >= 3, log
