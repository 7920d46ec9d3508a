"""signon: coalition sign-on letters. create_app builds the Flask application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from signon import config, database, errors, extensions, templating

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_relative_config=True,
    )
    config.load(app, overrides)

    extensions.db.init_app(app)
    database.configure_engine(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(ROOT / "migrations"))
    extensions.csrf.init_app(app)
    extensions.mail.init_app(app)

    from signon.views import dev, public

    app.register_blueprint(public.bp)
    if app.debug:
        app.register_blueprint(dev.bp)
    errors.register(app)
    templating.register(app)
    return app
