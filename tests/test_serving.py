"""Serving for real: Secure cookies and HSTS follow the site's scheme, gunicorn.conf.py's defaults,
an access log without secret links, and a form that works under gunicorn over plain http."""

from __future__ import annotations

import http.cookiejar
import logging
import os
import re
import runpy
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from gunicorn.config import Config

from signon import ROOT, create_app, serving
from signon.extensions import db
from tests.conftest import csrf_token, free_port

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


# --- gunicorn.conf.py -------------------------------------------------------------------------


def gunicorn_settings(monkeypatch: pytest.MonkeyPatch, **environ: str) -> Config:
    """gunicorn.conf.py as gunicorn reads it: every value through gunicorn's own validators."""
    for name in ("WEB_CONCURRENCY", "SIGNON_TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    namespace = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    for name, value in namespace.items():
        if name in config.settings:
            config.set(name, value)
    return config


def test_gunicorn_conf_has_sane_production_defaults(monkeypatch: pytest.MonkeyPatch):
    config = gunicorn_settings(monkeypatch)
    assert config.workers == min(2 * serving.cpu_count() + 1, serving.MAX_WORKERS)
    assert 1 <= config.workers <= serving.MAX_WORKERS
    assert config.preload_app is True
    assert 30 <= config.timeout <= 120
    assert 0 < config.graceful_timeout <= config.timeout
    assert config.accesslog == "-"
    assert "%({x-request-id}o)s" in config.access_log_format
    assert config.logger_class is serving.RedactingLogger
    # gunicorn itself believes no forwarded header; ProxyFix in the app does, as far as trusted.
    assert config.secure_scheme_headers == {}
    assert config.forwarder_headers == []
    assert config.forwarded_allow_ips == []
    assert config.post_fork.__module__ != "gunicorn.config"  # the conf's own hook


def test_gunicorn_conf_follows_web_concurrency_and_trusted_proxies(
    monkeypatch: pytest.MonkeyPatch,
):
    config = gunicorn_settings(monkeypatch, WEB_CONCURRENCY="3", SIGNON_TRUSTED_PROXIES="1")
    assert config.workers == 3
    assert config.forwarded_allow_ips == ["*"]
    assert config.secure_scheme_headers == {}


def test_worker_count_is_capped():
    assert serving.worker_count({"WEB_CONCURRENCY": "2"}) == 2
    assert serving.worker_count({}) <= serving.MAX_WORKERS
    assert serving.trusted_proxies({"SIGNON_TRUSTED_PROXIES": "2"}) == 2
    assert serving.trusted_proxies({"SIGNON_TRUSTED_PROXIES": "nonsense"}) == 0


# --- The access log ---------------------------------------------------------------------------


def access_line(environ: dict[str, str]) -> str:
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", serving.ACCESS_LOG_FORMAT)
    logger = serving.RedactingLogger(config)
    base = {
        "REQUEST_METHOD": "GET",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "QUERY_STRING": "",
    }
    environ = base | environ
    response = SimpleNamespace(status="200 OK", sent=10, headers=[("X-Request-ID", "abc123")])
    request = SimpleNamespace(headers=[("REFERER", environ.get("HTTP_REFERER", "-"))])
    atoms = logger.atoms_wrapper_class(
        logger.atoms(response, request, environ, SimpleNamespace(seconds=0, microseconds=5000))
    )
    return config.access_log_format % atoms


def test_access_log_keeps_tokens_out_and_names_the_request():
    token = secrets.token_urlsafe(32)
    line = access_line(
        {
            "RAW_URI": f"/confirm/{token}?q=dana@example.org",
            "PATH_INFO": f"/confirm/{token}",
            "HTTP_REFERER": f"https://letters.example.org/withdraw/{token}",
        }
    )
    assert token not in line
    assert "dana@" not in line  # a query string can hold what was typed: never logged
    assert '"GET /confirm/[redacted]?[redacted] HTTP/1.1"' in line
    assert '"https://letters.example.org/withdraw/[redacted]"' in line
    assert "request_id=abc123" in line
    assert line.startswith("203.0.113.9 ")
    plain = access_line(
        {"RAW_URI": "/letters/stop-the-grab", "PATH_INFO": "/letters/stop-the-grab"}
    )
    assert '"GET /letters/stop-the-grab HTTP/1.1"' in plain


def test_every_route_with_a_token_is_redacted(production: Any):
    app = production(BASE_URL=HTTPS)
    token = secrets.token_urlsafe(32)
    found = 0
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            secret = "token" if "token" in rule.arguments else "code"
            if secret not in rule.arguments or rule.endpoint == "language.choose":
                continue  # a language's code is no secret
            values = {name: 1 for name in rule.arguments} | {secret: token}
            path = app.url_for(rule.endpoint, **values)
            assert token not in serving.redact(path), rule.rule
            found += 1
    assert found >= 9


# --- gunicorn for real ------------------------------------------------------------------------


def clean_environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNON_", "FLASK_"))}
    keep.pop("WEB_CONCURRENCY", None)
    return keep | {"PYTHONPATH": str(ROOT), "HOME": str(tmp_path)} | settings


def run_signon(args: list[str], env: dict[str, str], stdin: str = "") -> None:
    subprocess.run(
        [str(Path(sys.executable).with_name("signon")), *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )


def gunicorn_command(port: int) -> list[str]:
    """The README's production command, on a loopback port."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return [gunicorn, "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", "wsgi:app"]


def wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn stopped: {server.communicate()}")
        try:
            with urllib.request.urlopen(base + "/login", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not answer within a minute")


def test_sign_in_form_works_under_gunicorn_over_plain_http(tmp_path: Path):
    """The original trap: outside debug on plain http, every form failed with 'session expired'."""
    port = free_port()
    env = clean_environment(
        tmp_path,
        SIGNON_SECRET_KEY=secrets.token_hex(32),
        SIGNON_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/live.db",
        SIGNON_BASE_URL=f"http://127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
    )
    run_signon(["db", "upgrade"], env)
    run_signon(
        ["create-organizer", "ana@coalition.example", "--password-stdin"],
        env,
        stdin="a long organizer password\n",
    )
    server = subprocess.Popen(
        gunicorn_command(port),
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    token = secrets.token_urlsafe(32)
    try:
        wait_until_up(base, server)
        # A browser's cookie rules: a Secure cookie would never be sent back over http.
        browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with browser.open(base + "/login", timeout=10) as page:
            form = page.read().decode()
        body = urllib.parse.urlencode(
            {
                "csrf_token": csrf_token(form),
                "email": "ana@coalition.example",
                "password": "a long organizer password",
            }
        ).encode()
        with browser.open(base + "/login", data=body, timeout=10) as response:
            landed, status = response.geturl(), response.status
        assert status == 200
        assert landed == base + "/admin/"
        try:
            browser.open(f"{base}/confirm/{token}", timeout=10).close()
        except urllib.error.HTTPError as error:
            error.close()
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=30)
    assert len(re.findall("plain http: fine for a trial", stderr)) == 1, stderr
    assert "Traceback" not in stderr
    assert token not in stdout + stderr
    assert re.search(r'"GET /confirm/\[redacted\] HTTP/1\.1" \d{3} ', stdout), stdout
    assert re.search(r'"POST /login HTTP/1\.1" 302 .* request_id=', stdout), stdout


def test_gunicorn_conf_stops_on_a_bad_setting_with_one_line(tmp_path: Path):
    result = subprocess.run(
        gunicorn_command(free_port()),
        env=clean_environment(
            tmp_path, SIGNON_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db"
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip() == (
        "Error: SIGNON_SECRET_KEY is not set. Generate one with: export SIGNON_SECRET_KEY="
        "$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    )
