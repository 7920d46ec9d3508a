"""Cross-site request forgery: every POST route refuses a request without the session's CSRF token,
and no GET route changes anything (SameSite=Lax cookies still ride along on top-level GETs)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from signon.exports import formats
from tests.conftest import csrf_token, form_defaults
from tests.factories import PASSWORD, form_data
from tests.security.conftest import (
    ADMIN,
    OTHER,
    TOKEN_ROUTES,
    World,
    app_rules,
    changes,
    fingerprint,
    path_for,
    sign_in,
)

CSRF_PAGE = "Your session has expired"
# The sign form framed on partner sites has no session to check (a framed page gets no cookie):
# what a forger lacks there is the form's own signed token (tests/test_embed.py).
OWN_TOKEN = {"embed.form": (422, "This form could not be checked")}


def assert_refused(endpoint: str, path: str, response: Any) -> None:
    status, page = OWN_TOKEN.get(endpoint, (400, CSRF_PAGE))
    assert response.status_code == status, (endpoint, path, response.status_code)
    assert page in response.text, (endpoint, path)


def plausible_form(world: World, endpoint: str) -> dict[str, Any]:
    """Everything a real form of this route would send, except the CSRF token: only that is missing."""
    data: dict[str, Any] = form_data() | {
        "version": "1",
        "status": "closed",
        "decision": "approve",
        "reason": "forged",
        "ids": [str(world.awaiting_id), str(world.approved_id)],
        "into": str(world.signatory_id),
        "email": OTHER,
        "password": "a brand new password",
        "confirm": "a brand new password",
        "name": "Forged",
        "notify": "each",
        "format": "contacts-csv",
        "note": "forged",
        "subject": "Forged update",
        "message": "Forged message",
        "recipient": "Forged recipient",
        "delivered_on": "2026-01-02",
        "method": "email",
        "snapshot": str(world.snapshot_id),
        "display_name": "Forged name",
        "title": "Forged title",
        "slug": "forged-letter",
        "body": "Forged text",
        "change_note": "forged",
        "timezone": "UTC",
        "requires_approval": "y",
        "pattern": "approved.example",
        "action": "block",
        "code": "123456",
        "role": "admin",
    }
    if endpoint == "auth.login":
        data |= {"email": ADMIN, "password": PASSWORD}
    if endpoint == "admin.account":
        data["action"] = "start"
    if endpoint == "admin.organizers":
        data["email"] = "forged@coalition.example"
    if endpoint == "admin.partners_send":  # would email the world's partner an invitation
        data |= {"action": "invite", "partners": str(world.partner_id)}
    if endpoint == "admin.partner_emails":
        data |= {"partner_invitation": "Forged {organization}", "reminder_days": "2"}
    return data


def post_rules(app: Flask) -> list[Any]:
    return app_rules(app, "POST")


def test_there_are_post_routes_to_forge(app: Flask):
    endpoints = {rule.endpoint for rule in post_rules(app)}
    assert len(endpoints) >= 30
    assert {
        "public.letter",
        "public.confirm",
        "auth.login",
        "auth.logout",
        "admin.decide",
    } <= endpoints


def test_every_post_route_refuses_a_request_without_the_csrf_token(
    app: Flask, client: FlaskClient, world: World
):
    sign_in(client, ADMIN)
    refused = []
    for rule in post_rules(app):
        path = path_for(rule, world.values(rule.endpoint))
        before = fingerprint(app)
        response = client.post(path, data=plausible_form(world, rule.endpoint))
        assert_refused(rule.endpoint, path, response)
        assert changes(before, fingerprint(app)) == {}, (rule.endpoint, path)
        refused.append(rule.endpoint)
    assert len(refused) >= 30
    # The forged sign-in above did not sign anybody in: the workspace still belongs to the admin only.
    assert "Letter of A" in client.get("/admin/").text


def test_every_post_route_refuses_a_csrf_token_minted_for_another_browser(
    app: Flask, client: FlaskClient, world: World
):
    attacker = app.test_client()
    foreign = csrf_token(
        attacker.get("/login").text
    )  # a valid token, but of the attacker's session
    sign_in(client, ADMIN)
    for rule in post_rules(app):
        path = path_for(rule, world.values(rule.endpoint))
        before = fingerprint(app)
        response = client.post(
            path, data=plausible_form(world, rule.endpoint) | {"csrf_token": foreign}
        )
        assert_refused(rule.endpoint, path, response)
        assert changes(before, fingerprint(app)) == {}, (rule.endpoint, path)


def test_a_forged_sign_in_without_token_signs_nobody_in(
    app: Flask, client: FlaskClient, world: World
):
    response = client.post("/login", data={"email": ADMIN, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_a_forged_json_post_is_refused_too(app: Flask, client: FlaskClient, world: World):
    sign_in(client, ADMIN)
    before = fingerprint(app)
    response = client.post(f"/admin/letters/{world.letter_id}/status", json={"status": "closed"})
    assert response.status_code == 400
    assert changes(before, fingerprint(app)) == {}


# --- GET never changes anything ---------------------------------------------------------------


def get_paths(app: Flask, world: World) -> list[tuple[str, str]]:
    """Every GET route with real ids and tokens, the exports in every format."""
    paths = []
    for rule in app_rules(app, "GET"):
        path = path_for(rule, world.values(rule.endpoint))
        if rule.endpoint == "admin.export":
            paths += [(rule.endpoint, f"{path}?format={fmt}") for fmt in formats.FORMATS]
        elif rule.endpoint == "admin.snapshot_file":
            paths += [
                (rule.endpoint, path_for(rule, world.values() | {"fmt": fmt}))
                for fmt in formats.LIST_FORMATS
            ]
        elif rule.endpoint == "admin.signatures_queue":
            paths += [
                (rule.endpoint, f"{path}?status={status}&q=org&page=2")
                for status in ("all", "awaiting_review", "approved", "unconfirmed")
            ]
        elif rule.endpoint in ("auth.login", "auth.login_code"):
            paths.append((rule.endpoint, f"{path}?next=/admin/"))
        else:
            paths.append((rule.endpoint, path))
    return paths


def test_no_get_route_changes_anything_for_an_organizer(
    app: Flask, client: FlaskClient, world: World
):
    sign_in(client, ADMIN)
    visited = set()
    for endpoint, path in get_paths(app, world):
        if endpoint == "auth.login":
            continue  # signed in, /login only redirects; the anonymous walk covers it
        before = fingerprint(app)
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
        assert changes(before, fingerprint(app)) == {}, path
        visited.add(endpoint)
    assert {
        "admin.export",
        "admin.snapshot_file",
        "public.confirm",
        "auth.reset_password",
    } <= visited
    assert len(visited) >= 30


def test_no_get_route_changes_anything_for_a_visitor_with_a_secret_link(
    app: Flask, client: FlaskClient, world: World
):
    visited = set()
    for endpoint, path in get_paths(app, world):
        before = fingerprint(app)
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
        assert changes(before, fingerprint(app)) == {}, path
        visited.add(endpoint)
    assert set(TOKEN_ROUTES) & {rule.endpoint for rule in app_rules(app, "GET")} <= visited


def test_contact_exports_need_a_post_and_a_get_records_nothing(
    app: Flask, client: FlaskClient, world: World
):
    sign_in(client, ADMIN)
    before = fingerprint(app)
    for fmt in formats.CONTACT_FORMATS:
        response = client.get(f"/admin/letters/{world.letter_id}/export?format={fmt}")
        assert response.status_code == 405, fmt
        assert b"@approved.example" not in response.data
    assert changes(before, fingerprint(app)) == {}


def test_opening_the_sign_form_many_times_signs_nothing(
    app: Flask, client: FlaskClient, world: World
):
    before = fingerprint(app)
    page = client.get(f"/letters/{world.slug}")
    query = "&".join(f"{k}={v}" for k, v in (form_defaults(page.text) | form_data()).items())
    for _ in range(3):
        assert client.get(f"/letters/{world.slug}?{query}").status_code == 200
    assert changes(before, fingerprint(app)) == {}
