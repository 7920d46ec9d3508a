"""Fixtures: the app on SQLite and (when SIGNON_TEST_DATABASE_URL is set) PostgreSQL, a real SMTP
server on loopback, and a test client that submits forms the way a browser does."""

from __future__ import annotations

import os
import re
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from signon import cache, create_app, i18n
from signon.extensions import db

PG_URL = os.environ.get("SIGNON_TEST_DATABASE_URL", "")
# Uploaded logos land here, never in the instance folder; tests that look at the files use their own.
UPLOADS = Path(tempfile.mkdtemp(prefix="signon-test-uploads-"))
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What a real SMTP server on loopback received."""

    messages: list[EmailMessage] = field(default_factory=list)
    sources: list[bytes] = field(default_factory=list)  # as received, before parsing
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.sources.append(envelope.content)
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.sources.clear()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} emails, got {len(self.messages)}")

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]


def text_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def link_in(message: EmailMessage, path_fragment: str) -> str:
    for url in re.findall(r"https?://\S+", text_body(message)):
        if path_fragment in url:
            return url
    raise AssertionError(f"no link containing {path_fragment!r} in the email")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Controller, Mailbox]) -> Mailbox:
    smtp_server[1].clear()
    return smtp_server[1]


# --- Databases --------------------------------------------------------------------------------


def make_pg_schema() -> tuple[str, str]:
    """A private schema on the test server; returns (schema, URL whose search_path is it)."""
    schema = f"signon_test_{secrets.token_hex(4)}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    separator = "&" if "?" in PG_URL else "?"
    return schema, f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


def drop_pg_schema(schema: str) -> None:
    engine = sa.create_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_uri(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'signon.sqlite3'}"
        return
    schema, url = make_pg_schema()
    try:
        yield url
    finally:
        drop_pg_schema(schema)


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without any tables, on each backend: for migrations to fill."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    schema, url = make_pg_schema()
    try:
        yield url
    finally:
        drop_pg_schema(schema)


_created: set[str] = set()


def _empty_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def base_config(controller: Controller, database_uri: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-with-at-least-32-characters",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "BASE_URL": "https://signon.example",
        "MAIL_SERVER": controller.hostname,
        "MAIL_PORT": controller.port,
        "MAIL_DEFAULT_SENDER": "signon <letters@signon.example>",
        "MAIL_TIMEOUT": 5,
        # Most tests read the email a request sent; tests/test_mail_worker.py covers the worker.
        "MAIL_DELIVER_INLINE": True,
        "RESEND_COOLDOWN_SECONDS": 0,
        "MIN_FILL_SECONDS": 0,
        "UPLOAD_DIR": str(UPLOADS),
    }


@pytest.fixture
def app_config(database_uri: str, smtp_server: tuple[Controller, Mailbox]) -> dict[str, Any]:
    return base_config(smtp_server[0], database_uri)


def build_app(config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(config)
    with app.app_context():
        if config["SQLALCHEMY_DATABASE_URI"] not in _created:
            db.create_all()
            _created.add(config["SQLALCHEMY_DATABASE_URI"])
        _empty_tables()
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
        shared = cache.store()
        if isinstance(shared, cache.RedisStore):
            shared.client.close()


@pytest.fixture
def app(app_config: dict[str, Any], mailbox: Mailbox) -> Iterator[Flask]:
    yield from build_app(app_config)


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An application context, for calling services directly."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def form_defaults(html: str) -> dict[str, str]:
    """The hidden fields of the first form, as a browser would send them."""
    return dict(
        re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', html)
    )


STRICT = os.environ.get("SIGNON_TEST_STRICT") == "1"


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI (SIGNON_TEST_STRICT=1) a database that cannot be reached fails the run loudly. The
    translations are compiled first (a fresh clone has only their sources). Commands speak the
    terminal's language: the suite runs them in the C locale unless a test says otherwise."""
    i18n.compile_catalogs()
    for name in ("LANGUAGE", "LC_MESSAGES", "LANG"):
        os.environ.pop(name, None)
    os.environ["LC_ALL"] = "C.UTF-8"
    if STRICT and not PG_URL:
        pytest.exit("SIGNON_TEST_STRICT is set but SIGNON_TEST_DATABASE_URL is not", returncode=1)
    if not PG_URL:
        return
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect():
            pass
        engine.dispose()
    except sa.exc.OperationalError as error:
        pytest.exit(f"PostgreSQL at SIGNON_TEST_DATABASE_URL is unreachable: {error}", returncode=1)


def login_as(client: FlaskClient, email: str, password: str = "a long organizer password") -> str:
    """Sign in through the form; returns a CSRF token valid for the new session."""
    page = client.get("/login")
    response = client.post(
        "/login", data={"csrf_token": csrf_token(page.text), "email": email, "password": password}
    )
    assert response.status_code == 302, response.text
    return csrf_token(client.get("/admin/").text)
