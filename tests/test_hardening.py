"""Headers on every response, clean answers to malformed input, and rate limits."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from signon import ROOT, create_app
from tests.conftest import STRICT, csrf_token, free_port
from tests.factories import create_letter

REDIS_URL = os.environ.get("SIGNON_TEST_REDIS_URL", "")


def test_security_headers_on_pages(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    for path in ("/", "/letters/test-letter", "/login", "/no-such-page", "/api/v1/letters"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert "default-src 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_hsts_outside_debug_on_an_https_site(tmp_path: Path):
    settings = {
        "SECRET_KEY": secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/h.db",
    }
    https = "https://letters.example.org"
    app = create_app(settings | {"BASE_URL": https})
    assert (
        app.test_client()
        .get("/no-such-page", base_url=https)
        .headers["Strict-Transport-Security"]
        .startswith("max-age=")
    )
    plain = create_app(settings | {"BASE_URL": "http://127.0.0.1:8000"})
    assert "Strict-Transport-Security" not in plain.test_client().get("/no-such-page").headers
    debug = create_app(
        {"DEBUG": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/h.db", "BASE_URL": https}
    )
    response = debug.test_client().get("/no-such-page", base_url=https)
    assert "Strict-Transport-Security" not in response.headers


def test_nul_bytes_and_bad_utf8_get_a_clean_400(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    assert client.get("/letters/test-letter?q=%00").status_code == 400
    assert client.get("/letters/test-letter?q=%FF").status_code == 400
    token = csrf_token(client.get("/letters/test-letter").text)
    bad = client.post(
        "/letters/test-letter",
        data=f"csrf_token={token}&organization=%C3%28",
        content_type="application/x-www-form-urlencoded",
    )
    assert bad.status_code == 400
    assert "Something was wrong with that request" in bad.text


def test_oversized_requests_get_413(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    response = client.post("/letters/test-letter", data={"note": "x" * 300_000})
    assert response.status_code == 413
    assert "That was too much to send" in response.text


def test_sign_rate_limit_answers_429_with_the_sites_page(app: Flask, client: FlaskClient, mailbox):
    app.config["RATE_LIMIT_SIGN"] = "3 per minute"
    with app.app_context():
        create_letter()
    codes = []
    for n in range(5):
        page = client.get("/letters/test-letter")
        data = {"csrf_token": csrf_token(page.text), "organization": f"Org {n}"}
        codes.append(client.post("/letters/test-letter", data=data).status_code)
    assert codes[:3] == [422, 422, 422]
    assert codes[3:] == [429, 429]
    token = csrf_token(client.get("/letters/test-letter").text)
    assert (
        "Too many attempts" in client.post("/letters/test-letter", data={"csrf_token": token}).text
    )


def test_trusted_proxy_gives_the_real_address_and_a_forged_header_does_not(tmp_path: Path):
    def app_with(proxies: int) -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
                "TRUSTED_PROXIES": proxies,
                "RATE_LIMIT_LOGIN": "2 per minute",
            }
        )

        @app.get("/_whoami")
        def whoami() -> str:
            from flask import request

            return request.remote_addr or ""

        return app

    forged = {"X-Forwarded-For": "198.51.100.7"}
    assert app_with(0).test_client().get("/_whoami", headers=forged).text == "127.0.0.1"
    assert app_with(1).test_client().get("/_whoami", headers=forged).text == "198.51.100.7"


def _post_login(base: str) -> int:
    page = urllib.request.urlopen(base + "/login", timeout=10)
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    token = (
        page.read().decode().split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    )
    body = urllib.parse.urlencode(
        {"csrf_token": token, "email": "x@example.org", "password": "wrong password"}
    ).encode()
    request = urllib.request.Request(
        base + "/login", data=body, headers={"Cookie": cookie}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def test_rate_limits_hold_across_two_gunicorn_workers_sharing_redis(tmp_path: Path):
    if not REDIS_URL:
        if STRICT:
            pytest.fail("SIGNON_TEST_REDIS_URL is not set in CI")
        pytest.skip("set SIGNON_TEST_REDIS_URL=redis://127.0.0.1:6379/0 to test shared rate limits")
    import redis

    prefix = f"signon-test-{secrets.token_hex(4)}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNON_", "FLASK_"))} | {
        "SIGNON_SECRET_KEY": secrets.token_hex(32),
        "SIGNON_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/g.db",
        "SIGNON_RATELIMIT_STORAGE_URI": REDIS_URL,
        "SIGNON_RATELIMIT_KEY_PREFIX": prefix,
        "SIGNON_RATE_LIMIT_LOGIN": "4 per minute",
        "SIGNON_SESSION_COOKIE_SECURE": "false",
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "signon"), "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/login", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        codes = [_post_login(base) for _ in range(10)]
        assert codes.count(429) == 6, codes
        assert all(code != 429 for code in codes[:4]), codes
        store = redis.Redis.from_url(REDIS_URL)
        keys = store.keys(f"*{prefix}*")
        assert keys, "the limits were not kept in Redis"
        store.delete(*keys)
    finally:
        server.terminate()
        server.wait(timeout=10)
