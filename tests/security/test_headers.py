"""Security headers: a strict Content-Security-Policy and friends on every kind of response,
no-store on the workspace and on every page reached through a secret link, and HSTS (on https
requests) plus Secure cookies once the app runs outside debug and testing."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from signon import create_app
from signon.exports import formats
from signon.extensions import db
from tests.conftest import csrf_token
from tests.security.conftest import (
    ADMIN,
    TOKEN_ROUTES,
    World,
    app_rules,
    path_for,
    sign_in,
)


def csp_directives(response: Any) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [w.lower() for w in words[1:]]
    return directives


def assert_hardened(response: Any, what: str) -> None:
    csp = csp_directives(response)
    assert csp, f"{what}: no Content-Security-Policy"
    sources = [source for values in csp.values() for source in values]
    assert "'unsafe-inline'" not in sources, what
    assert "'unsafe-eval'" not in sources, what
    assert csp.get("frame-ancestors") == ["'none'"], what
    script = csp.get("script-src", csp.get("default-src", []))
    assert script, f"{what}: no script-src or default-src"
    assert not {"*", "data:", "http:", "https:", "blob:"} & set(script), (what, script)
    assert csp.get("object-src") == ["'none'"], what
    assert csp.get("base-uri") in (["'none'"], ["'self'"]), what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("X-Frame-Options") == "DENY", what
    # A page of one signer's own data sends no Referer at all; every other page sends the origin.
    assert response.headers.get("Referrer-Policy") in (
        "strict-origin-when-cross-origin",
        "no-referrer",
    ), what


def assert_no_store(response: Any, what: str) -> None:
    directives = {d.strip().lower() for d in response.headers.get("Cache-Control", "").split(",")}
    assert "no-store" in directives, (what, response.headers.get("Cache-Control"))
    assert "public" not in directives, what


def test_representative_responses_carry_the_security_headers(
    app: Flask, client: FlaskClient, world: World
):
    anonymous = app.test_client()
    token = world.tokens["confirm"]
    responses = {
        "home page": anonymous.get("/"),
        "public letter page": anonymous.get(f"/letters/{world.slug}"),
        "API list": anonymous.get("/api/v1/letters"),
        "API letter": anonymous.get(f"/api/v1/letters/{world.slug}"),
        "404 page": anonymous.get("/no-such-page"),
        "405 page": anonymous.get("/logout"),
        "400 page": anonymous.get("/?q=%00"),
        "CSRF error page": anonymous.post("/login", data={}),
        "token page": anonymous.get(f"/confirm/{token}"),
        "invalid token page": anonymous.get("/confirm/not-a-token"),
        "login page": anonymous.get("/login"),
        "login redirect": anonymous.get("/admin/"),
    }
    sign_in(client, ADMIN)
    responses |= {
        "admin dashboard": client.get(f"/admin/letters/{world.letter_id}"),
        "admin queue": client.get(f"/admin/letters/{world.letter_id}/signatures"),
        "admin export": client.get(f"/admin/letters/{world.letter_id}/export?format=html"),
        "admin snapshot": client.get(
            f"/admin/letters/{world.letter_id}/snapshots/{world.snapshot_id}/pdf"
        ),
    }
    for what, response in responses.items():
        assert_hardened(response, what)


def test_downloads_are_attachments_that_are_never_sniffed(
    app: Flask, client: FlaskClient, world: World
):
    csrf = sign_in(client, ADMIN)
    downloads = []
    for fmt in formats.FORMATS:
        if fmt in formats.CONTACT_FORMATS:
            response = client.post(
                f"/admin/letters/{world.letter_id}/export", data={"csrf_token": csrf, "format": fmt}
            )
        else:
            response = client.get(f"/admin/letters/{world.letter_id}/export?format={fmt}")
        assert response.data  # read it whole, as a browser does, before the next request
        downloads.append(response)
    for response in downloads:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert_no_store(response, response.headers["Content-Disposition"])


def test_every_workspace_page_is_never_cached(app: Flask, client: FlaskClient, world: World):
    sign_in(client, ADMIN)
    checked = 0
    for rule in app_rules(app, "GET"):
        if not rule.rule.startswith("/admin"):
            continue
        path = path_for(rule, world.values(rule.endpoint))
        if rule.endpoint == "admin.export":
            path += "?format=text"
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_store(response, path)
        checked += 1
    assert checked >= 12


def test_every_page_reached_by_a_secret_link_is_never_cached(
    app: Flask, client: FlaskClient, world: World
):
    csrf = csrf_token(client.get("/login").text)
    checked = set()
    for rule in app_rules(app, "GET") + app_rules(app, "POST"):
        if "token" not in rule.arguments:
            continue
        valid = path_for(rule, world.values(rule.endpoint))
        invalid = path_for(rule, {"token": "not-a-valid-token"})
        for path in (valid, invalid):
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                response = client.open(path, method=method, data={"csrf_token": csrf})
                assert_no_store(response, f"{method} {path}")
                assert_hardened(response, f"{method} {path}")
        checked.add(rule.endpoint)
    assert set(TOKEN_ROUTES) & {rule.endpoint for rule in app_rules(app, "GET")} <= checked


def test_the_preview_link_page_is_never_cached(app: Flask, client: FlaskClient, world: World):
    """The organizer's page that shows a freshly made preview link holds a secret too."""
    csrf = sign_in(client, ADMIN)
    response = client.post(
        f"/admin/letters/{world.draft_id}/preview-link", data={"csrf_token": csrf}
    )
    assert response.status_code == 200
    assert "/preview/" in response.text
    assert_no_store(response, "preview link page")


# --- Outside debug and testing ----------------------------------------------------------------


@pytest.fixture
def production_app(app: Flask, app_config: dict[str, Any]) -> Iterator[Flask]:
    """The same app as production runs it (testing off, a strong secret key), on the test database."""
    production = create_app(app_config | {"TESTING": False, "SECRET_KEY": secrets.token_hex(32)})
    yield production
    with production.app_context():
        db.engine.dispose()


def test_hsts_is_sent_outside_debug(production_app: Flask):
    client = production_app.test_client()
    for path in ("/", "/login", "/no-such-page", "/api/v1/letters"):
        response = client.get(path, base_url=production_app.config["BASE_URL"])
        hsts = response.headers.get("Strict-Transport-Security", "")
        directives = {}
        for part in hsts.split(";"):
            name, _, value = part.strip().partition("=")
            directives[name] = value
        assert int(directives.get("max-age", "0")) >= 15_552_000, (path, hsts)  # at least 180 days
        assert "includeSubDomains" in directives, (path, hsts)
        assert_hardened(response, path)


def test_session_cookies_are_secure_httponly_and_lax_outside_debug(production_app: Flask):
    client = production_app.test_client()
    response = client.get("/login")
    cookies = [v for k, v in response.headers.items() if k.lower() == "set-cookie"]
    session = [c for c in cookies if c.startswith("session=")]
    assert session, cookies
    attributes = {part.strip().split("=")[0].lower() for part in session[0].split(";")[1:]}
    assert {"secure", "httponly"} <= attributes
    assert "samesite=lax" in session[0].lower().replace(" ", "")


def test_the_development_mailbox_does_not_exist_outside_debug(production_app: Flask):
    assert production_app.test_client().get("/dev/mailbox").status_code == 404
