"""Serving for real: Secure cookies and HSTS follow the site's scheme."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from signon import create_app
from signon.extensions import db

HTTPS = "https://letters.example.org"
HSTS = "Strict-Transport-Security"


@pytest.fixture
def production(tmp_path: Path) -> Iterator[Any]:
    """Apps as production builds them (no debug, no testing, a strong key) on a scratch database."""
    apps: list[Flask] = []

    def build(**settings: Any) -> Flask:
        app = create_app(
            {
                "SECRET_KEY": secrets.token_hex(32),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/serving.db",
            }
            | settings
        )
        apps.append(app)
        with app.app_context():
            db.create_all()
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def session_cookie(response: Any) -> str:
    assert response.status_code == 200
    [cookie] = [
        value
        for name, value in response.headers.items()
        if name.lower() == "set-cookie" and value.startswith("session=")
    ]
    return cookie


def test_http_site_outside_debug_sends_plain_cookies_and_no_hsts(production: Any):
    app = production(BASE_URL="http://127.0.0.1:8000")
    response = app.test_client().get("/login")
    assert "Secure" not in session_cookie(response)
    assert HSTS not in response.headers
    # Reached over https anyway (a proxy the address does not mention): still no HSTS to pin it.
    assert HSTS not in app.test_client().get("/login", base_url=HTTPS).headers


def test_https_site_sends_secure_cookies_and_hsts(production: Any):
    app = production(BASE_URL=HTTPS)
    response = app.test_client().get("/login", base_url=HTTPS)
    assert "Secure" in session_cookie(response)
    assert response.headers[HSTS] == "max-age=31536000; includeSubDomains"


def test_hsts_is_never_sent_on_a_plain_http_request(production: Any):
    app = production(BASE_URL=HTTPS)
    for path in ("/", "/login", "/no-such-page"):
        assert HSTS not in app.test_client().get(path).headers, path


def test_explicit_hsts_setting_wins_but_only_https_responses_carry_it(production: Any):
    off = production(BASE_URL=HTTPS, HSTS=False)
    assert HSTS not in off.test_client().get("/login", base_url=HTTPS).headers
    on = production(BASE_URL="http://127.0.0.1:8000", HSTS=True)
    assert HSTS in on.test_client().get("/login", base_url=HTTPS).headers
    assert HSTS not in on.test_client().get("/login").headers


def test_forwarded_scheme_counts_only_from_trusted_proxies(production: Any):
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    direct = production(BASE_URL=HTTPS, TRUSTED_PROXIES=0)
    assert HSTS not in direct.test_client().get("/login", headers=forged).headers
    proxied = production(BASE_URL=HTTPS, TRUSTED_PROXIES=1)
    assert HSTS in proxied.test_client().get("/login", headers=forged).headers
    plain_hop = {"X-Forwarded-Proto": "http", "X-Forwarded-For": "198.51.100.7"}
    assert HSTS not in proxied.test_client().get("/login", headers=plain_hop).headers


def test_plain_http_warning_is_logged_once_at_start_not_per_request(
    production: Any, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING)
    app = production(BASE_URL="http://127.0.0.1:8000")
    client = app.test_client()
    for _ in range(3):
        client.get("/login")
    [warning] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "SIGNON_BASE_URL is http://127.0.0.1:8000, plain http: fine for a trial" in warning
    assert "SIGNON_BASE_URL=https://" in warning


def test_forced_secure_cookie_on_http_warns_that_forms_will_fail(
    production: Any, caplog: pytest.LogCaptureFixture
):
    production(BASE_URL="http://127.0.0.1:8000", SESSION_COOKIE_SECURE=True)
    [warning] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "every form will fail with 'session expired'" in warning
