"""Settings: safe defaults, overridden by SIGNON_* environment variables and then by the caller."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - used only in debug and testing
GENERATE_KEY = (
    "export SIGNON_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
)

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,
    # Encrypts two-step secrets at rest; None: a key derived from SECRET_KEY. OLD_DATA_KEYS: earlier
    # values (comma-separated) that still decrypt, until `signon reencrypt-2fa-keys` has run.
    "DATA_KEY": None,
    "OLD_DATA_KEYS": "",
    "SQLALCHEMY_DATABASE_URI": None,
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    # Public address used in every emailed link, so a forged Host header cannot change one.
    "BASE_URL": "http://127.0.0.1:5000",
    "SITE_NAME": "signon",
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "IMPORT_MAX_BYTES": 8 * 1024 * 1024,  # a CSV file of signatures, checked then sent back
    "WTF_CSRF_TIME_LIMIT": None,  # a signer may read a long letter before submitting
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": None,  # None: Secure exactly when BASE_URL is https
    # Mail: "smtp" delivers through Flask-Mail; "console" (debug only) prints and keeps it in the dev mailbox.
    "MAIL_TRANSPORT": "smtp",
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "signon <no-reply@localhost>",
    "MAIL_TIMEOUT": 10,
    "MAIL_CA_FILE": None,
    "MAIL_SUPPRESS_SEND": False,
    "MAIL_DELIVER_INLINE": True,
    "OUTBOX_BATCH_SIZE": 100,
    "OUTBOX_MAX_ATTEMPTS": 30,
    "OUTBOX_STALE_CLAIM_SECONDS": 600,
    # Signing rules.
    "CONFIRM_TOKEN_DAYS": 7,
    "WITHDRAW_TOKEN_DAYS": 400,
    "MAX_CONFIRMATION_EMAILS": 3,
    "RESEND_COOLDOWN_SECONDS": 120,
    "MAX_UNVERIFIED_EMAILS_PER_DAY": 3,
    # Abuse protection. Limits are per client address; set SIGNON_RATELIMIT_STORAGE_URI to a
    # redis:// URL so that every worker shares them.
    "TRUSTED_PROXIES": 0,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_KEY_PREFIX": "signon",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATE_LIMIT_SIGN": "10 per minute; 60 per hour",
    "RATE_LIMIT_RESEND": "5 per hour",
    "RATE_LIMIT_CONFIRM": "30 per minute",
    "RATE_LIMIT_LOGIN": "20 per minute",
    "RATE_LIMIT_RESET": "5 per hour",
    "RATE_LIMIT_INVITE": "30 per hour",
    "LOGIN_FAILURES_BEFORE_LOCK": 5,
    "LOGIN_LOCK_MAX_SECONDS": 900,
    "ORGANIZER_IDLE_MINUTES": 60,
    "MIN_FILL_SECONDS": None,  # None: 2 seconds, or 0 in debug mode
    "SIGN_FORM_MAX_AGE_HOURS": 12,
    "PURGE_AFTER_DAYS": 180,
    # Operations: log lines as "text" or "json"; Prometheus metrics at /metrics, off by default.
    "LOG_FORMAT": "text",
    "METRICS_ENABLED": False,
    "METRICS_ALLOW": "127.0.0.1,::1",
}

_DATABASE_URL_PREFIXES = {
    "postgres://": "postgresql+psycopg://",
    "postgresql://": "postgresql+psycopg://",
}


class ConfigError(RuntimeError):
    """The app was asked to start with settings it cannot run safely with."""


def load(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill app.config from defaults, the environment and overrides, then check it."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("SIGNON")
    if overrides:
        app.config.from_mapping(overrides)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = _default_database_uri(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_uri(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if app.config["MIN_FILL_SECONDS"] is None:
        # Under `make run` scripted tries of the form are welcome; production keeps the trap.
        app.config["MIN_FILL_SECONDS"] = 0 if app.debug else 2
    if app.config["SESSION_COOKIE_SECURE"] is None:
        # A Secure cookie never comes back over plain http, so every form there would fail with
        # "session expired": follow the scheme people actually reach the site by.
        app.config["SESSION_COOKIE_SECURE"] = uses_https(app)
    _check(app)
    if not (app.debug or app.testing) and not uses_https(app):
        app.logger.warning(
            "SIGNON_BASE_URL is %s, plain http: session cookies are not Secure and no HSTS is "
            "sent. Serve the site over https and set SIGNON_BASE_URL=https://... for real use.",
            app.config["BASE_URL"],
        )


def uses_https(app: Flask) -> bool:
    """Whether the public address (SIGNON_BASE_URL) is https."""
    return urlsplit(str(app.config["BASE_URL"])).scheme.lower() == "https"


def normalize_database_uri(uri: str) -> str:
    """Point PostgreSQL URLs (as hosting platforms write them) at the psycopg 3 driver."""
    for prefix, replacement in _DATABASE_URL_PREFIXES.items():
        if uri.startswith(prefix):
            return replacement + uri[len(prefix) :]
    return uri


def _default_database_uri(app: Flask) -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'signon.sqlite3'}"


def _check(app: Flask) -> None:
    # Maintenance commands (create-organizer, purge ...) need the real key too: it also keys the
    # stored hashes of client addresses and recovery codes, so a command run with another key
    # would write hashes the server never matches.
    relaxed = app.debug or app.testing
    if not app.config["SECRET_KEY"]:
        if not relaxed:
            raise ConfigError(f"SIGNON_SECRET_KEY is not set. Generate one with: {GENERATE_KEY}")
        app.config["SECRET_KEY"] = DEV_SECRET_KEY
    elif not relaxed and (
        app.config["SECRET_KEY"] == DEV_SECRET_KEY or len(str(app.config["SECRET_KEY"])) < 32
    ):
        raise ConfigError(
            f"SIGNON_SECRET_KEY is too weak: use at least 32 random characters: {GENERATE_KEY}"
        )
    if app.config["DATA_KEY"] and not relaxed and len(str(app.config["DATA_KEY"])) < 32:
        raise ConfigError(
            "SIGNON_DATA_KEY is too weak: use at least 32 random characters, e.g. from "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if app.config["MAIL_TRANSPORT"] not in {"smtp", "console"}:
        raise ConfigError("SIGNON_MAIL_TRANSPORT must be 'smtp' or 'console'.")
    if app.config["MAIL_TRANSPORT"] == "console" and not relaxed:
        raise ConfigError("SIGNON_MAIL_TRANSPORT=console only works in debug mode; use smtp.")
    if app.config["LOG_FORMAT"] not in {"text", "json"}:
        raise ConfigError("SIGNON_LOG_FORMAT must be 'text' or 'json'.")
