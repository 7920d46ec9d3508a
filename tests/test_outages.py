"""Outages made for real: PostgreSQL and Redis behind a TCP proxy that the test cuts and restores.
Signers and organizers get a 503 that keeps what they typed, never a 500; /healthz tells operators."""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask_migrate
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from signon import ROOT, create_app, outages
from signon.extensions import db
from signon.models import Letter, OutboxMessage, OutboxStatus, Signature, utcnow
from tests.conftest import (
    PG_URL,
    STRICT,
    Mailbox,
    base_config,
    build_app,
    csrf_token,
    drop_pg_schema,
    form_defaults,
    login_as,
    make_pg_schema,
)
from tests.factories import PASSWORD, create_letter, create_organizer, create_signature, form_data
from tests.faults import TcpProxy
from tests.test_hardening import REDIS_URL

SIGN_LATER = (
    "We could not save your signature just now. Nothing was lost from this page: please try "
    "again in a minute."
)
LEAKS = ("Traceback", "OperationalError", "psycopg", "sqlalchemy", "SELECT", "INSERT")


# --- /healthz ---------------------------------------------------------------------------------


def latest_revision() -> str:
    revisions = [
        re.search(r"^revision = ['\"]([^'\"]+)", path.read_text(), re.M)
        for path in (ROOT / "migrations" / "versions").glob("*.py")
    ]
    return max(match.group(1) for match in revisions if match)


def test_healthz_reports_the_database_schema_and_outbox_without_personal_data(
    app: Flask, client: FlaskClient
):
    now = utcnow()
    with app.app_context():
        create_signature(create_letter())  # its confirmation email is sent and no longer pending
        db.session.add_all(
            [
                OutboxMessage(
                    recipient="late@signer.example",
                    subject="Confirm your signature, Dana Reyes",
                    body_text="Dana Reyes of Open Records Alliance",
                    created_at=now - timedelta(minutes=10),
                    next_attempt_at=now - timedelta(minutes=2),
                ),
                OutboxMessage(
                    recipient="waiting@signer.example",
                    subject="Confirm",
                    body_text="...",
                    created_at=now - timedelta(hours=3),
                    next_attempt_at=now + timedelta(minutes=30),  # backing off, not due yet
                ),
                OutboxMessage(
                    recipient="dead@signer.example",
                    subject="Confirm",
                    body_text="...",
                    status=OutboxStatus.DEAD,
                    created_at=now - timedelta(days=2),
                ),
            ]
        )
        db.session.commit()

    response = client.get("/healthz")

    assert response.status_code == 200
    report = response.json
    assert report is not None
    assert report["database"] == {"reachable": True}
    assert report["outbox"]["pending"] == 2
    assert 600 <= report["outbox"]["oldest_due_seconds"] < 900
    assert report["schema"] == {"current": False, "revision": None, "head": latest_revision()}
    assert (report["status"], report["failing"]) == ("degraded", ["schema"])
    assert "redis" not in report  # none configured
    assert "cache" not in report  # kept in each process
    for personal in ("@", "Dana", "Reyes", "Open Records"):
        assert personal not in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_healthz_is_ok_on_a_database_upgraded_to_the_latest_migration(tmp_path: Path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-with-at-least-32-characters",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'upgraded.sqlite3'}",
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
    report = app.test_client().get("/healthz").json
    with app.app_context():
        db.engine.dispose()
    assert report is not None
    assert report["status"] == "ok"
    assert report["schema"]["current"] is True
    assert report["schema"]["revision"] == latest_revision()
    assert report["outbox"] == {"pending": 0, "oldest_due_seconds": None}


def needs(url: str, variable: str, example: str) -> None:
    if url:
        return
    if STRICT:
        pytest.fail(f"{variable} is not set in CI")
    pytest.skip(f"set {variable}={example} to test outages for real")


class FormValues(HTMLParser):
    """What a browser would send from the page's last POST form: typed values, ticked boxes,
    chosen options, hidden fields."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method") == "post":
            self.values = {}
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value") or "y"
            elif a.get("type") not in ("submit", "button"):
                self.values[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            start = not self.values[self._textarea]
            self.values[self._textarea] += (
                data.removeprefix("\r").removeprefix("\n") if start else data
            )


def form_values(html: str) -> dict[str, str]:
    return FormValues(html).values


# --- PostgreSQL behind a proxy -----------------------------------------------------------------


@pytest.fixture
def pg_proxy() -> Iterator[tuple[TcpProxy, str]]:
    needs(PG_URL, "SIGNON_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema, url = make_pg_schema()
    real = sa.engine.make_url(url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    try:
        yield proxy, real.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    finally:
        proxy.close()
        drop_pg_schema(schema)


@pytest.fixture
def outage_app(
    pg_proxy: tuple[TcpProxy, str], smtp_server: tuple[Controller, Mailbox], mailbox: Mailbox
) -> Iterator[Flask]:
    proxy, url = pg_proxy
    running = build_app(base_config(smtp_server[0], url) | {"DATABASE_CONNECT_TIMEOUT": 2})
    app = next(running)
    yield app
    proxy.restore()  # the tables are emptied through it
    next(running, None)


def test_a_signer_keeps_everything_typed_while_the_database_is_down_and_signs_once_it_is_back(
    outage_app: Flask, pg_proxy: tuple[TcpProxy, str], mailbox: Mailbox
):
    proxy, _ = pg_proxy
    with outage_app.app_context():
        create_letter(categories=["National", "Local"])
    client = outage_app.test_client()
    page = client.get("/letters/test-letter")
    typed = form_data(
        organization="Tenants Union of Springfield",
        name="Ana Lima",
        email="ana@tenants.example",
        website="https://tenants.example",
        category="Local",
        keep_informed="y",
        note="Glad to sign; our board agreed on Monday.",
    )

    proxy.cut()
    response = client.post("/letters/test-letter", data=form_defaults(page.text) | typed)

    assert response.status_code == 503
    assert 0 < int(response.headers["Retry-After"]) <= 60  # the limiter may round it down
    assert SIGN_LATER in response.text
    assert "Sign “Publish the data”" in response.text
    kept = form_values(response.text)
    assert {name: kept.get(name) for name in typed} == typed
    assert not [leak for leak in LEAKS if leak in response.text]
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json is not None
    assert health.json["status"] == "unavailable"
    assert health.json["failing"] == ["database"]

    proxy.restore()
    again = client.post("/letters/test-letter", data=kept)

    assert again.status_code == 303, again.text
    assert again.headers["Location"].endswith("/letters/test-letter/check-your-email")
    with outage_app.app_context():
        signature = db.session.execute(sa.select(Signature)).scalar_one()
        assert (signature.organization, signature.category) == (
            "Tenants Union of Springfield",
            "Local",
        )
        assert signature.note == "Glad to sign; our board agreed on Monday."
    assert mailbox.wait_for(1)[0]["To"] == "ana@tenants.example"
    assert client.get("/healthz").status_code == 200


def test_the_sign_form_comes_back_even_from_a_process_that_never_showed_it(
    outage_app: Flask, pg_proxy: tuple[TcpProxy, str]
):
    proxy, _ = pg_proxy
    with outage_app.app_context():
        create_letter(categories=["National", "Local"])
    client = outage_app.test_client()
    page = client.get("/letters/test-letter")
    outage_app.extensions.pop("signon.sign_forms")  # as if another worker had shown the page
    typed = form_data(
        organization="Riverside Legal Aid", website="https://riverside.example", category="National"
    )

    proxy.cut()
    response = client.post("/letters/test-letter", data=form_defaults(page.text) | typed)

    assert response.status_code == 503
    assert SIGN_LATER in response.text
    kept = form_values(response.text)
    assert {name: kept.get(name) for name in typed} == typed  # the category rides along hidden


def test_organizer_pages_answer_503_while_the_database_is_down_and_the_editor_keeps_the_text(
    outage_app: Flask, pg_proxy: tuple[TcpProxy, str]
):
    proxy, _ = pg_proxy
    with outage_app.app_context():
        organizer = create_organizer()
        letter_id = create_letter(owner=organizer).id
    client = outage_app.test_client()
    token = login_as(client, "ana@coalition.example", PASSWORD)
    editor = form_values(client.get(f"/admin/letters/{letter_id}/edit").text)
    edited = editor | {
        "title": "Publish the eviction data",
        "body": "Dear Director,\n\nPlease publish the eviction data by June.\n",
        "change_note": "Named the data and a date",
        "save": "1",
    }

    proxy.cut()
    dashboard = client.get(f"/admin/letters/{letter_id}")
    closing = client.post(
        f"/admin/letters/{letter_id}/status", data={"csrf_token": token, "status": "closed"}
    )
    saving = client.post(f"/admin/letters/{letter_id}/edit", data=edited)

    assert dashboard.status_code == 503
    assert "cannot reach its database" in dashboard.text
    assert closing.status_code == 503
    assert "What you just sent was not saved" in closing.text
    assert saving.status_code == 503
    assert "We could not save the letter just now" in saving.text
    kept = form_values(saving.text)
    assert {name: kept.get(name) for name in ("title", "body", "change_note")} == {
        "title": "Publish the eviction data",
        "body": "Dear Director,\n\nPlease publish the eviction data by June.\n",
        "change_note": "Named the data and a date",
    }
    for response in (dashboard, closing, saving):
        assert not [leak for leak in LEAKS if leak in response.text]
        assert response.headers["Cache-Control"] == "no-store"

    proxy.restore()
    saved = client.post(f"/admin/letters/{letter_id}/edit", data=kept | {"save": "1"})

    assert saved.status_code == 302, saved.text
    with outage_app.app_context():
        assert db.session.get(Letter, letter_id).title == "Publish the eviction data"  # type: ignore[union-attr]


def test_a_database_outage_is_logged_once_a_minute_not_per_request(
    outage_app: Flask,
    pg_proxy: tuple[TcpProxy, str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(outages, "_every_minute", outages._EveryMinute())
    proxy, _ = pg_proxy
    with outage_app.app_context():
        create_letter()
    client = outage_app.test_client()
    proxy.cut()
    with caplog.at_level(logging.WARNING):
        codes = [client.get("/letters/test-letter").status_code for _ in range(5)]
        api = client.get("/api/v1/letters")
    assert codes == [503] * 5
    assert api.status_code == 503
    assert api.json == {"error": "The database is unavailable. Try again in a minute."}
    lines = [r.getMessage() for r in caplog.records if "Database unavailable" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "OperationalError" in lines[0]
    assert "[SQL:" not in lines[0]  # never the statement or its parameters


# --- Redis behind a proxy ---------------------------------------------------------------------


@pytest.fixture
def redis_proxy() -> Iterator[tuple[TcpProxy, str]]:
    needs(REDIS_URL, "SIGNON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    real = urlsplit(REDIS_URL)
    with TcpProxy(real.hostname or "127.0.0.1", real.port or 6379) as proxy:
        yield proxy, real._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()


@pytest.fixture
def redis_app(
    redis_proxy: tuple[TcpProxy, str],
    tmp_path: Path,
    smtp_server: tuple[Controller, Mailbox],
    mailbox: Mailbox,
) -> Iterator[Flask]:
    # Limits with periods no other test uses name this test's keys in Redis (the limiter is one
    # object per process, so its key prefix is the first app's).
    sign_per, login_per = 3600 + secrets.randbelow(3600), 7200 + secrets.randbelow(3600)
    config = base_config(smtp_server[0], f"sqlite:///{tmp_path / 'redis.sqlite3'}") | {
        "RATELIMIT_STORAGE_URI": redis_proxy[1],
        "RATE_LIMIT_SIGN": f"100 per {sign_per} seconds",
        "RATE_LIMIT_LOGIN": f"3 per {login_per} seconds",
        "TEST_LIMIT_KEYS": (f"*/100/{sign_per}/second", f"*/3/{login_per}/second"),
    }
    yield from build_app(config)
    with redis_client() as store:
        for pattern in config["TEST_LIMIT_KEYS"]:
            for key in store.scan_iter(pattern):
                store.delete(key)


def redis_client() -> Any:
    import redis

    return redis.Redis.from_url(REDIS_URL)


def counted_in_redis(app: Flask) -> int:
    """How many requests the limits counted in Redis."""
    with redis_client() as store:
        keys = [
            key for pattern in app.config["TEST_LIMIT_KEYS"] for key in store.scan_iter(pattern)
        ]
        return sum(int(value) for value in store.mget(keys) if value) if keys else 0


def sign(client: FlaskClient, number: int) -> int:
    page = client.get("/letters/test-letter")
    data = form_defaults(page.text) | form_data(
        organization=f"Coalition member {number}", email=f"member{number}@coalition.example"
    )
    return client.post("/letters/test-letter", data=data).status_code


def log_in(client: FlaskClient, password: str) -> int:
    token = csrf_token(client.get("/login").text)
    data = {"csrf_token": token, "email": "ana@coalition.example", "password": password}
    return client.post("/login", data=data).status_code


def test_signing_and_signing_in_work_while_redis_is_down_with_limits_counted_in_memory(
    redis_app: Flask,
    redis_proxy: tuple[TcpProxy, str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(outages, "_every_minute", outages._EveryMinute())
    proxy, _ = redis_proxy
    with redis_app.app_context():
        create_letter()
        create_organizer()
    client = redis_app.test_client()
    assert sign(client, 0) == 303
    assert counted_in_redis(redis_app) > 0

    proxy.cut()
    with caplog.at_level(logging.WARNING):
        signed = [sign(client, number) for number in range(1, 6)]
        logins = [log_in(redis_app.test_client(), password) for password in ("wrong", PASSWORD)]
        beyond = [log_in(redis_app.test_client(), "wrong") for _ in range(2)]
        health = client.get("/healthz")

    assert signed == [303] * 5
    assert logins == [422, 302]
    assert beyond == [422, 429]  # "3 per minute" still holds, counted in this process
    assert health.status_code == 200
    assert health.json is not None
    assert health.json["redis"] == {"reachable": False}
    assert health.json["cache"] == {"reachable": False}  # the same Redis
    assert health.json["failing"] == ["schema", "redis", "cache"]
    said = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    down = [line for line in said if line.startswith("Rate limits")]
    assert len(down) == 1, said
    assert "SIGNON_RATELIMIT_STORAGE_URI" in down[0]
    assert "127.0.0.1" not in down[0]  # the address may hold a password
    # The list cache uses the same Redis, builds lists in memory meanwhile, and says so once.
    assert [line for line in said if line.startswith("List cache")] == [
        "List cache: the Redis at SIGNON_RATELIMIT_STORAGE_URI is unreachable (ConnectionError), "
        "so each process builds and keeps signatory lists itself until it is back (logged once "
        "a minute)."
    ]

    proxy.restore()
    with caplog.at_level(logging.WARNING):
        deadline = time.monotonic() + 90  # Flask-Limiter retries Redis 1, 2, 4 ... 32 s apart
        while not any("reachable again" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "rate limits never went back to Redis"
            client.get("/")  # a route without limits of its own: the middleware checks Redis
            time.sleep(0.25)
    before = counted_in_redis(redis_app)
    assert log_in(redis_app.test_client(), "wrong") == 422
    assert counted_in_redis(redis_app) > before
    health = client.get("/healthz").json
    assert health is not None
    assert (health["redis"], health["cache"]) == ({"reachable": True}, {"reachable": True})


def test_healthz_reports_a_separate_cache_redis_that_does_not_answer(
    redis_proxy: tuple[TcpProxy, str],
    tmp_path: Path,
    smtp_server: tuple[Controller, Mailbox],
    mailbox: Mailbox,
):
    proxy, url = redis_proxy
    config = base_config(smtp_server[0], f"sqlite:///{tmp_path / 'cache.sqlite3'}") | {
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": url,
        "CACHE_KEY_PREFIX": f"signon-test-{secrets.token_hex(4)}",
    }
    for app in build_app(config):
        client = app.test_client()
        assert client.get("/healthz").json["cache"] == {"reachable": True}  # type: ignore[index]

        proxy.cut()
        health = client.get("/healthz")
        assert health.status_code == 200  # pages keep working: each process builds its lists
        assert health.json is not None
        assert health.json["cache"] == {"reachable": False}
        assert "redis" not in health.json  # the limits are in memory
        assert "cache" in health.json["failing"]

        proxy.restore()
        assert client.get("/healthz").json["cache"] == {"reachable": True}  # type: ignore[index]
