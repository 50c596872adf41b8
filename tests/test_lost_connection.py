"""A database connection dropped in the middle of a request (a restart, a failover, `pg_terminate_backend`, as
bench/load.py does under load): a verb runs again on a new connection, a page is answered again, anything else
answers 503 with a message — never a 500. On PostgreSQL the connection is really terminated; SQLite has no server to
drop it, so there the driver's error is raised as SQLAlchemy reports a dropped connection."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.factories import claim_failing_once, shown, start


def drop_connection(session) -> None:
    """Lose the connection `session` is using, mid-transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        raise AssertionError("the server should have dropped this connection")
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                           connection_invalidated=True)


def test_a_verb_that_loses_its_connection_runs_again_once(session, monkeypatch):
    claimed = claim_failing_once(session, monkeypatch, lambda tx: drop_connection(tx.session))
    assert claimed.assignee_id == claimed.staff_id
    assert claimed.runs == 2
    assert claimed.claims == 1


def test_a_page_that_loses_its_connection_is_answered_again(app, session, browser, monkeypatch):
    import webapp.inbox

    start(session, "vks-qb-dong-hoi")
    staff = browser("vks-qb-dong-hoi.canbo")
    real, calls = webapp.inbox.facets, []

    def dropped_once(db_session, who, *rest):
        calls.append(1)
        if len(calls) == 1:
            drop_connection(db_session)
        return real(db_session, who, *rest)

    monkeypatch.setattr(webapp.inbox, "facets", dropped_once)
    page = staff.get("/")
    assert page.status_code == 200 and "Đăng ký danh sách đề nghị khen thưởng" in shown(page)
    assert len(calls) == 2


def test_a_form_that_loses_its_connection_outside_a_verb_answers_503(app, session, browser, monkeypatch):
    import webapp.inbox

    staff = browser("vks-qb-dong-hoi.canbo")
    monkeypatch.setattr(webapp.inbox.saved_filters, "save_filter",
                        lambda db_session, *args: drop_connection(db_session))
    answer = staff.post_form("/", "/inbox/filters", {"name": "Của tôi", "who": "mine"})
    assert answer.status_code == 503
    assert "Mất kết nối tới cơ sở dữ liệu trong lúc xử lý; vui lòng thử lại." in shown(answer)
    assert staff.get("/").status_code == 200  # the next request has a connection again


def test_a_connection_dropped_after_the_answer_was_made_leaves_the_answer(app, session, browser, monkeypatch, db_url):
    """The server drops the connection between the page's last query and the end of the request: the closing
    ROLLBACK fails, and the page is still answered."""
    import webapp.inbox
    from processes.db import make_engine
    from webapp.extensions import db

    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server to drop the connection")
    start(session, "vks-qb-dong-hoi")
    staff = browser("vks-qb-dong-hoi.canbo")
    real, admin = webapp.inbox.render_template, make_engine(db_url, isolation_level="AUTOCOMMIT")

    def then_dropped(*args, **kw):
        page = real(*args, **kw)
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return page

    monkeypatch.setattr(webapp.inbox, "render_template", then_dropped)
    page = staff.get("/")
    admin.dispose()
    assert page.status_code == 200 and "Đăng ký danh sách đề nghị khen thưởng" in shown(page)
    monkeypatch.undo()
    assert staff.get("/").status_code == 200
