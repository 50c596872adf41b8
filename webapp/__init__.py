"""TĐKT Flow web application: `create_app()` builds it (Flask's tutorial factory pattern)."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from processes import wiring  # noqa: F401  (the core's after-commit listeners)
from processes.db import configure_engine, engine_options, normalise_url

from .extensions import csrf, db, login_manager

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    default_db = "sqlite:///" + os.path.join(app.instance_path, "tdkt.sqlite")
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("SECRET_KEY", "dev-only-change-me"),
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", default_db),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        WTF_CSRF_TIME_LIMIT=None,  # a form left open over lunch still submits; the token is per session
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
    )
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    app.json.ensure_ascii = False

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    login_manager.init_app(app)
    csrf.init_app(app)

    from . import admin, auth, cases, cli, errors, filters, inbox, notifications, tasks
    from .api import bp as api_bp
    from .award_history import bp as award_history_bp

    app.register_blueprint(auth.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(award_history_bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(admin.bp)
    from .documents import bp as documents_bp
    app.register_blueprint(documents_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API takes bearer tokens only, never the session cookie, so there is no CSRF to forge
    errors.register(app)
    filters.register(app)
    cli.register(app)
    return app
