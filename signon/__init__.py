"""signon: coalition sign-on letters. create_app builds the Flask application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from signon import (
    cache,
    config,
    database,
    errors,
    extensions,
    forwarding,
    i18n,
    logs,
    metrics,
    outages,
    security,
    templating,
)

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict[str, Any] | None = None, *, strict: bool = True) -> Flask:
    """The application. strict=False builds it even from settings it would refuse, for
    `signon check` to report them all."""
    app = logs.Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_relative_config=True,
    )
    config.load(app, overrides, strict=strict)
    logs.register(app)  # first, so every later hook and log line has the request id
    security.register(app)  # next, so malformed input is refused before any form is parsed

    extensions.db.init_app(app)
    database.configure_engine(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(ROOT / "migrations"))
    extensions.limiter.init_app(app)  # before CSRF, so a flood is refused before any other work
    extensions.csrf.init_app(app)
    extensions.mail.init_app(app)
    cache.init_app(app)
    i18n.init_app(app)
    _init_login(app)
    forwarding.register(app)  # notes the X-Forwarded-For hops requests arrive with
    hops = app.config["TRUSTED_PROXIES"]
    if isinstance(hops, int) and hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from signon.views import (
        admin,
        api,
        auth,
        dev,
        embed,
        language,
        manage,
        ops,
        outreach,
        public,
        sharing,
        signer_pages,  # noqa: F401 - its routes are on public.bp
    )
    from signon.views import metrics as metrics_view

    app.register_blueprint(public.bp)
    app.register_blueprint(language.bp)
    app.register_blueprint(sharing.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(embed.bp)
    app.register_blueprint(outreach.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(ops.bp)
    if app.debug:
        app.register_blueprint(dev.bp)
    if app.config["METRICS_ENABLED"]:
        metrics.register(app)
        app.register_blueprint(metrics_view.bp)
    errors.register(app)
    outages.register(app)
    templating.register(app)
    return app


def _init_login(app: Flask) -> None:
    from flask import g, session
    from flask_babel import lazy_gettext

    from signon.services import accounts, sessions

    def load_user(user_id: str) -> object:
        if g.get("database_unavailable"):
            return None  # the 503 page is shown to everyone alike, without asking the database
        organizer = accounts.load_session_user(user_id)
        if organizer is None or not sessions.is_live(organizer, session.get("sid")):
            return None
        return organizer

    login = extensions.login
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = lazy_gettext("Please sign in to continue.")
    login.localize_callback = str  # read in the page's language when flashed
    login.login_message_category = "info"
    login.session_protection = "basic"
    login.user_loader(load_user)
