"""找错工单 — the application factory (CONTRACT.md: feedback:create_app())."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from feedback import config as config_module
from feedback.extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = str(ROOT / "migrations")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("FEEDBACK_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
    )
    from feedback.web.json_provider import FastJSONProvider

    app.json = FastJSONProvider(app)
    from feedback.web.security import install_converters

    install_converters(app)
    app.config.update(config_module.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # No server-side prepared statements: after five runs PostgreSQL may switch the figures'
        # queries to a generic plan that ignores the period's selectivity, many times slower.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        options.setdefault("connect_args", {}).setdefault("prepare_threshold", None)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    from feedback.i18n import init_i18n

    init_i18n(app)

    from feedback import models  # noqa: F401  (every table registered)
    from feedback.db_setup import install_sqlite_pragmas

    install_sqlite_pragmas(app)

    from feedback.api import bp as api_bp

    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    from feedback.web import register as register_web

    register_web(app)

    from feedback.cli import register_commands

    register_commands(app)
    return app
