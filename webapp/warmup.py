"""What a web worker would otherwise do on its first requests, done once in the gunicorn master before the workers
are forked (webapp/gunicorn_conf.py): compile the page templates, parse the diagrams running cases are on, and
serve the pages people open most — the inbox to one account per number of roles held, a task page, the overview
and a campaign's dashboard to a supervisor — so that their SQL is compiled (SQLAlchemy's per-engine cache) and
the supervision memos are filled.

A worker forked later — one that died and was replaced, or more of them — starts from the same warm master and
answers its first inbox, task page and overview as fast as its hundredth. Measured in-process on the load bench's
100,000-case database: a cold worker's first inbox took 68 ms (41 ms with the templates compiled), task page 62 ms,
overview 188 ms, against 12–14 ms warm; on a loaded machine those first requests also slow the other thread of
their worker. The visits only read: GET views never commit, and the session is rolled back after each.

The master reads the database once here and then closes its connections: a connection must never be shared
between processes, and each forked worker opens its own (`forked`).
"""
from __future__ import annotations

from flask import Flask
from flask_login import login_user
from sqlalchemy import and_, func, select

from processes import accounts, inbox, workflows
from processes.models import OpenTask, RoleAssignment, User
from processes.supervision import scope

from .extensions import db


def warm(app: Flask) -> dict[str, int]:
    """Compile every page template, parse every diagram version a running case is on, visit the common pages; how
    many of each. The master's connections are closed at the end."""
    try:
        return {"templates": templates(app), "diagrams": diagrams(app), "pages": pages(app)}
    finally:
        with app.app_context():
            db.engine.dispose()  # the master keeps no connection for its children to inherit


def templates(app: Flask) -> int:
    env = app.jinja_env
    names = [name for name in env.list_templates() if name.endswith(".html")]
    for name in names:
        env.get_template(name)  # compiled into the environment's cache, which the forked workers inherit
    return len(names)


def diagrams(app: Flask) -> int:
    with app.app_context():
        try:
            return workflows.load_running(db.session)
        finally:
            db.session.remove()


def pages(app: Flask) -> int:
    """Serve the pages `visits` plans; how many answered 200 (none on a database without such accounts)."""
    with app.app_context():
        try:
            planned = visits(db.session)
        finally:
            db.session.remove()
    return sum(_visit(app, user_id, path) == 200 for user_id, path in planned)


def visits(session) -> list[tuple[int, str]]:
    """(user id, path) of each page to serve: the inbox for one account per number of roles held (the inbox's
    statements take their shape from the user's (unit, role) queues: one index scan each), a task page, the
    overview and a dashboard."""
    planned = []
    held = session.execute(
        _held_by_staff(RoleAssignment.user_id, func.count())
        .group_by(RoleAssignment.user_id).order_by(RoleAssignment.user_id)).all()
    by_shape: dict[int, int] = {}
    for user_id, count in held:
        by_shape.setdefault(min(count, inbox.MAX_QUEUES_SCANNED + 1), user_id)
    planned += [(user_id, "/") for user_id in by_shape.values()]
    staff = session.execute(
        _held_by_staff(RoleAssignment.user_id, OpenTask.id)
        .join(OpenTask, and_(OpenTask.unit_id == RoleAssignment.unit_id, OpenTask.role == RoleAssignment.role))
        .limit(1)).first()
    if staff is not None:
        planned.append((staff.user_id, f"/tasks/{staff.id}"))
    for role in scope.SUPERVISOR_ROLES:  # reviewers before unit heads: their pages are the widest
        holder = session.scalar(_held(RoleAssignment.user_id).where(RoleAssignment.role == role).limit(1))
        if holder is not None:
            campaigns = scope.supervised_campaign_ids(session, accounts.load_actor(session, holder))
            planned.append((holder, "/supervision"))
            planned += [(holder, f"/supervision/campaigns/{campaigns[0]}")] if campaigns else []
            break
    return planned


def _held(*columns):
    """`columns` of the role assignments of active accounts."""
    return select(*columns).join(User, User.id == RoleAssignment.user_id).where(User.active.is_(True))


def _held_by_staff(*columns):
    """`columns` of the role assignments of active accounts that are not administrators (whose inbox is another)."""
    return _held(*columns).where(User.is_admin.is_(False))


def _visit(app: Flask, user_id: int, path: str) -> int:
    with app.test_request_context(path):
        user = accounts.load_actor(db.session, user_id)
        login_user(user)  # this throwaway request's session only: no cookie leaves the master
        status = app.full_dispatch_request().status_code
        db.session.rollback()
        return status


def forked(app: Flask) -> None:
    """In a newly forked worker: forget any pooled connection inherited from the master without closing it (closing
    would end the master's — or a sibling's — session on the server)."""
    with app.app_context():
        db.engine.dispose(close=False)
