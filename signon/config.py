"""Settings: safe defaults, overridden by SIGNON_* environment variables and then by the caller."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from flask import Flask

from signon import i18n

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
    # Seconds to wait for a PostgreSQL connection, so a request fails (503) instead of hanging.
    "DATABASE_CONNECT_TIMEOUT": 5,
    # Public address used in every emailed link, so a forged Host header cannot change one.
    "BASE_URL": "http://127.0.0.1:5000",
    "SITE_NAME": "signon",
    # The languages pages and emails speak, comma-separated, the first the default: each but
    # English needs its catalog in signon/translations.
    "LANGUAGES": "en,es",
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "IMPORT_MAX_BYTES": 8 * 1024 * 1024,  # a CSV file of signatures, checked then sent back
    # Where uploaded logos are kept (never under static/): None is `uploads` in the instance folder.
    "UPLOAD_DIR": None,
    "LOGO_SPACE_PER_LETTER_MB": 500,  # beyond it, new signatures on the letter keep no logo
    "WTF_CSRF_TIME_LIMIT": None,  # a signer may read a long letter before submitting
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": None,  # None: Secure exactly when BASE_URL is https
    "HSTS": None,  # None: on when BASE_URL is https, outside debug; only ever sent over https
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
    # None: send inside the request only in debug mode (`make run`); in production the request
    # queues the email and `signon send-mail` sends it, so a hung mail server never holds a request.
    "MAIL_DELIVER_INLINE": None,
    "OUTBOX_BATCH_SIZE": 10,
    "OUTBOX_MAX_ATTEMPTS": 30,
    "OUTBOX_LEASE_SECONDS": 60,
    # A DOCX or PDF of more signatories than this is made by the worker (`signon send-mail`), with
    # its progress shown, instead of inside the request; the file is kept DOCUMENT_KEEP_DAYS.
    "DOCUMENT_INLINE_LIMIT": 500,
    "DOCUMENT_LEASE_SECONDS": 60,
    "DOCUMENT_CHUNK_SIZE": 400,
    "DOCUMENT_KEEP_DAYS": 7,
    # Signing rules.
    "CONFIRM_TOKEN_DAYS": 7,
    "WITHDRAW_TOKEN_DAYS": 400,
    "MAX_CONFIRMATION_EMAILS": 3,
    "RESEND_COOLDOWN_SECONDS": 120,
    "MAX_UNVERIFIED_EMAILS_PER_DAY": 3,
    # "Manage your signature": how long the signer session an opened link starts may last (it
    # also ends when the browser closes), and fresh links one address may receive a day.
    "MANAGE_SESSION_MINUTES": 120,
    "MAX_MANAGE_LINKS_PER_DAY": 3,
    # Abuse protection. Limits are per client address; set SIGNON_RATELIMIT_STORAGE_URI to a
    # redis:// URL so that every worker shares them.
    "TRUSTED_PROXIES": 0,
    "RATELIMIT_STORAGE_URI": "memory://",
    # Said outright: Flask-Limiter keeps one `enabled` for the process and an app that does not
    # set it inherits whatever the last app set.
    "RATELIMIT_ENABLED": True,
    # Redis unreachable: count in this process's memory meanwhile, instead of refusing requests.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_STORAGE_OPTIONS": None,  # None: 2-second timeouts for redis:// storage
    "RATELIMIT_KEY_PREFIX": "signon",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATE_LIMIT_SIGN": "10 per minute; 60 per hour",
    "RATE_LIMIT_RESEND": "5 per hour",
    "RATE_LIMIT_MANAGE_LINK": "5 per hour",
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
    # The rendered signatory list, one copy per site: None uses RATELIMIT_STORAGE_URI when that
    # is a redis:// URL, else each process keeps its own (fine for one server, built per worker).
    "REDIS_URL": None,
    "CACHE_KEY_PREFIX": "signon",
}

_DATABASE_URL_PREFIXES = {
    "postgres://": "postgresql+psycopg://",
    "postgresql://": "postgresql+psycopg://",
}


class ConfigError(RuntimeError):
    """The app was asked to start with settings it cannot run safely with."""


def load(app: Flask, overrides: dict[str, Any] | None, *, strict: bool = True) -> None:
    """Fill app.config from defaults, the environment and overrides, then check it.

    Not strict (for `signon check`), settings the app would refuse are left for the caller to report.
    """
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("SIGNON")
    if overrides:
        app.config.from_mapping(overrides)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = _default_database_uri(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_uri(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    _engine_options(app)
    _fill_defaults_that_depend_on_others(app)
    if (app.debug or app.testing) and not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = DEV_SECRET_KEY
    if strict:
        refused = refusals(app)
        if refused:
            raise ConfigError(str(refused[0]))
        _warn_plain_http(app)


def _fill_defaults_that_depend_on_others(app: Flask) -> None:
    if not app.config["UPLOAD_DIR"]:
        app.config["UPLOAD_DIR"] = str(Path(app.instance_path) / "uploads")
    if app.config["MAIL_DELIVER_INLINE"] is None:
        app.config["MAIL_DELIVER_INLINE"] = app.debug
    if app.config["RATELIMIT_STORAGE_OPTIONS"] is None:
        app.config["RATELIMIT_STORAGE_OPTIONS"] = _storage_options(app)
    if app.config["MIN_FILL_SECONDS"] is None:
        # Under `make run` scripted tries of the form are welcome; production keeps the trap.
        app.config["MIN_FILL_SECONDS"] = 0 if app.debug else 2
    if app.config["SESSION_COOKIE_SECURE"] is None:
        # A Secure cookie never comes back over plain http, so every form there would fail with
        # "session expired": follow the scheme people actually reach the site by.
        app.config["SESSION_COOKIE_SECURE"] = uses_https(app)
    if app.config["HSTS"] is None:
        # Not in debug: HSTS on a development host name would pin it to https for a year.
        app.config["HSTS"] = uses_https(app) and not app.debug


def uses_https(app: Flask) -> bool:
    """Whether the public address (SIGNON_BASE_URL) is https."""
    return urlsplit(str(app.config["BASE_URL"])).scheme.lower() == "https"


def normalize_database_uri(uri: str) -> str:
    """Point PostgreSQL URLs (as hosting platforms write them) at the psycopg 3 driver."""
    for prefix, replacement in _DATABASE_URL_PREFIXES.items():
        if uri.startswith(prefix):
            return replacement + uri[len(prefix) :]
    return uri


def _engine_options(app: Flask) -> None:
    """Check each pooled connection before use, so the app recovers by itself once the database
    is back; and give up connecting after DATABASE_CONNECT_TIMEOUT instead of hanging."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("pool_pre_ping", True)
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", int(app.config["DATABASE_CONNECT_TIMEOUT"]))
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def uses_redis(app: Flask) -> bool:
    """Whether rate limits are counted in Redis (SIGNON_RATELIMIT_STORAGE_URI)."""
    return str(app.config["RATELIMIT_STORAGE_URI"]).startswith(("redis", "valkey"))


def _storage_options(app: Flask) -> dict[str, Any]:
    """A Redis that stops answering costs a request at most a couple of seconds, not minutes."""
    if uses_redis(app):
        return {"socket_connect_timeout": 2, "socket_timeout": 2}
    return {}


def _default_database_uri(app: Flask) -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'signon.sqlite3'}"


class Refusal(NamedTuple):
    """A setting the app will not start with: what is wrong, and what to do."""

    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.problem}. {self.fix}"


def refusals(app: Flask) -> list[Refusal]:
    """Every setting the app will not start with; outside debug and testing the rules are stricter."""
    # Maintenance commands (create-organizer, purge ...) need the real key too: it also keys the
    # stored hashes of client addresses and recovery codes, so a command run with another key
    # would write hashes the server never matches.
    relaxed = app.debug or app.testing
    found = []
    key = app.config["SECRET_KEY"]
    if not relaxed and not key:
        found.append(Refusal("SIGNON_SECRET_KEY is not set", f"Generate one with: {GENERATE_KEY}"))
    elif not relaxed and (key == DEV_SECRET_KEY or len(str(key)) < 32):
        found.append(
            Refusal(
                "SIGNON_SECRET_KEY is too weak",
                f"Use at least 32 random characters: {GENERATE_KEY}",
            )
        )
    if app.config["DATA_KEY"] and not relaxed and len(str(app.config["DATA_KEY"])) < 32:
        found.append(
            Refusal(
                "SIGNON_DATA_KEY is too weak",
                "Use at least 32 random characters, e.g. from "
                "python3 -c 'import secrets; print(secrets.token_hex(32))'",
            )
        )
    if app.config["MAIL_TRANSPORT"] not in {"smtp", "console"}:
        found.append(
            Refusal("SIGNON_MAIL_TRANSPORT must be 'smtp' or 'console'", "Use smtp on a server.")
        )
    elif app.config["MAIL_TRANSPORT"] == "console" and not relaxed:
        found.append(Refusal("SIGNON_MAIL_TRANSPORT=console only works in debug mode", "Use smtp."))
    if float(app.config["OUTBOX_LEASE_SECONDS"]) < 2 * float(app.config["MAIL_TIMEOUT"]):
        # A sender renews its lease before each message; one slow send must not outlast it.
        found.append(
            Refusal(
                "SIGNON_OUTBOX_LEASE_SECONDS is shorter than twice SIGNON_MAIL_TIMEOUT",
                "Raise SIGNON_OUTBOX_LEASE_SECONDS or lower SIGNON_MAIL_TIMEOUT.",
            )
        )
    found.extend(_document_refusals(app))
    proxies = app.config["TRUSTED_PROXIES"]
    if isinstance(proxies, bool) or not isinstance(proxies, int) or proxies < 0:
        found.append(
            Refusal(
                f"SIGNON_TRUSTED_PROXIES must be a whole number, not {proxies!r}",
                "Set it to the number of proxies in front of signon: 0 without one.",
            )
        )
    missing = i18n.missing_catalogs(str(app.config["LANGUAGES"]))
    if missing:
        found.append(
            Refusal(
                f"SIGNON_LANGUAGES names {', '.join(missing)}, without a catalog in signon/translations",
                "Add the catalog (see Languages in the README), or leave the language out.",
            )
        )
    if app.config["LOG_FORMAT"] not in {"text", "json"}:
        found.append(Refusal("SIGNON_LOG_FORMAT must be 'text' or 'json'", "Unset it for text."))
    return found


def _document_refusals(app: Flask) -> list[Refusal]:
    found = []
    for name, least in (
        ("DOCUMENT_INLINE_LIMIT", 0),
        ("DOCUMENT_CHUNK_SIZE", 1),
        ("DOCUMENT_KEEP_DAYS", 1),
        ("DOCUMENT_LEASE_SECONDS", 2),
    ):
        value = app.config[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < least:
            found.append(
                Refusal(
                    f"SIGNON_{name} must be a number of at least {least}, not {value!r}",
                    f"Unset it for the default, {DEFAULTS[name]}.",
                )
            )
    return found


def _warn_plain_http(app: Flask) -> None:
    """Say once, as the app starts, that plain http is for trying signon out, not for real use."""
    if app.debug or app.testing or uses_https(app):
        return
    if app.config["SESSION_COOKIE_SECURE"]:
        app.logger.warning(
            "SIGNON_BASE_URL is %s, plain http, but SIGNON_SESSION_COOKIE_SECURE is on: browsers "
            "never send the session cookie back over http, so every form will fail with 'session "
            "expired'. Set SIGNON_BASE_URL=https://... or unset SIGNON_SESSION_COOKIE_SECURE.",
            app.config["BASE_URL"],
        )
        return
    app.logger.warning(
        "SIGNON_BASE_URL is %s, plain http: fine for a trial, not for real use. Session cookies "
        "are not Secure and no HSTS is sent, so passwords and sessions cross the network "
        "readable. Serve the site over https and set SIGNON_BASE_URL=https://... .",
        app.config["BASE_URL"],
    )
