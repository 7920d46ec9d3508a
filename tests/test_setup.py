"""The first admin account: a one-time setup link, printed by `signon setup-link` or made by the
development mailbox, works only while no organizer exists, and only once."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash

from signon import create_app, tokens
from signon.cli import cli
from signon.extensions import db
from signon.models import AuditEvent, Organizer, Role, Token, TokenPurpose, utcnow
from signon.services import setup
from tests.conftest import Mailbox, build_app, csrf_token
from tests.factories import create_organizer

PASSWORD = "a long first admin password"


def setup_path(app: Flask) -> str:
    """Run `signon setup-link` and return the path of the link it printed."""
    result = app.test_cli_runner().invoke(cli, ["setup-link"])
    assert result.exit_code == 0, result.output
    match = re.search(r"https://signon\.example(/setup/\S+)", result.output)
    assert match, result.output
    return match.group(1)


def submit(client: FlaskClient, path: str, **fields: str) -> Any:
    page = client.get(path)
    data = {
        "email": "ana@coalition.example",
        "name": "Ana Ruiz",
        "password": PASSWORD,
        "confirm": PASSWORD,
    } | fields
    return client.post(path, data={"csrf_token": csrf_token(page.text)} | data)


def organizers(app: Flask) -> list[Organizer]:
    with app.app_context():
        return list(db.session.execute(sa.select(Organizer)).scalars())


def test_setup_link_creates_the_first_admin_and_signs_them_in(app: Flask, client: FlaskClient):
    path = setup_path(app)
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "<h1>Create the first admin account</h1>" in page.text
    for label in ("Email address", "Your name", "Password", "Repeat the password"):
        assert re.search(rf"<label for=\"\w+\">{label}( <span|</label>)", page.text), label
    response = submit(client, path, email="Ana@Coalition.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    workspace = client.get("/admin/")
    assert "Your letters" in workspace.text
    assert "Your admin account is ready." in workspace.text
    [admin] = organizers(app)
    assert (admin.email, admin.name, admin.role) == (
        "ana@coalition.example",
        "Ana Ruiz",
        Role.ADMIN,
    )
    assert check_password_hash(admin.password_hash, PASSWORD)
    with app.app_context():
        event = db.session.execute(sa.select(AuditEvent)).scalar_one()
        assert (event.action, event.subject_id) == ("organizer.created", admin.id)


def test_the_setup_link_works_once(app: Flask, client: FlaskClient):
    path = setup_path(app)
    submit(client, path)
    again = app.test_client().get(path)
    assert again.status_code == 404
    assert "This link cannot be used" in again.text
    stranger = app.test_client()
    retry = stranger.post(
        path,
        data={
            "csrf_token": csrf_token(stranger.get("/login").text),
            "email": "eve@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert retry.status_code == 404
    assert [o.email for o in organizers(app)] == ["ana@coalition.example"]


def test_expired_forged_and_replaced_setup_links_are_refused(app: Flask, client: FlaskClient):
    first = setup_path(app)
    second = setup_path(app)
    assert client.get(first).status_code == 404  # a new link replaces the earlier one
    assert client.get("/setup/" + secrets.token_urlsafe(32)).status_code == 404
    with app.app_context():
        db.session.execute(sa.update(Token).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    expired = client.get(second)
    assert expired.status_code == 404
    assert "This link cannot be used" in expired.text


def test_setup_form_shows_errors_next_to_the_fields(app: Flask, client: FlaskClient):
    path = setup_path(app)
    response = submit(client, path, email="not an address", password="short", confirm="other")
    assert response.status_code == 422
    assert 'id="password-error"' in response.text
    assert "Use at least 12 characters." in response.text
    assert "The two passwords differ." in response.text
    response = submit(client, path, email="not an address")
    assert response.status_code == 422
    assert 'id="email-error"' in response.text
    assert "Not a valid email address" in response.text
    assert organizers(app) == []
    assert client.get(path).status_code == 200  # mistakes do not spend the link


def test_no_setup_once_an_organizer_exists(app: Flask, client: FlaskClient):
    path = setup_path(app)
    with app.app_context():
        create_organizer("bo@coalition.example")
    assert client.get(path).status_code == 404
    with app.app_context():
        raw = path.rsplit("/", 1)[1]
        with pytest.raises(setup.SetupError):
            setup.create_first_admin(raw, email="eve@example.org", name="", password=PASSWORD)
        assert setup.issue_setup_token() is None
    result = app.test_cli_runner().invoke(cli, ["setup-link"])
    assert result.exit_code == 0
    assert "Organizer accounts exist already" in result.output
    assert "signon create-organizer" in result.output
    assert "/setup/" not in result.output
    assert [o.email for o in organizers(app)] == ["bo@coalition.example"]


def test_sign_in_page_explains_how_to_create_the_first_account(app: Flask, client: FlaskClient):
    page = client.get("/login").text
    assert "No account yet" in page
    assert "open the setup link printed in the terminal where the site runs" in page
    assert ".venv/bin/signon setup-link" in page
    assert "development mailbox" not in page  # not in debug: no button to offer
    with app.app_context():
        create_organizer()
    assert "No account yet" not in client.get("/login").text


def test_two_setup_submissions_at_once_create_exactly_one_admin(
    app: Flask, monkeypatch: pytest.MonkeyPatch
):
    path = setup_path(app)
    both_checked = threading.Barrier(2, timeout=10)
    find_usable = tokens.find_usable

    def find_then_wait(raw: str, purpose: TokenPurpose) -> Token | None:
        token = find_usable(raw, purpose)
        both_checked.wait()  # both requests hold a usable token before either spends it
        return token

    monkeypatch.setattr(tokens, "find_usable", find_then_wait)
    clients = {email: app.test_client() for email in ("ana@example.org", "bo@example.org")}
    forms = {email: csrf_token(client.get(path).text) for email, client in clients.items()}
    responses: dict[str, Any] = {}
    errors: list[BaseException] = []

    def send(email: str) -> None:
        try:
            responses[email] = clients[email].post(
                path,
                data={
                    "csrf_token": forms[email],
                    "email": email,
                    "name": "",
                    "password": PASSWORD,
                    "confirm": PASSWORD,
                },
            )
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=send, args=(email,)) for email in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    [admin] = organizers(app)
    winner = admin.email
    [loser] = [email for email in clients if email != winner]
    assert responses[winner].headers["Location"] == "/admin/"
    assert responses[loser].status_code == 302
    assert responses[loser].headers["Location"] == "/login"
    assert "This setup link has been used already" in clients[loser].get("/login").text


# --- Debug mode: the development mailbox ------------------------------------------------------


@pytest.fixture
def debug_app(app_config: dict[str, Any], mailbox: Mailbox) -> Iterator[Flask]:
    yield from build_app(app_config | {"DEBUG": True})


def test_development_mailbox_button_opens_a_fresh_setup_link(debug_app: Flask):
    client = debug_app.test_client()
    assert "development mailbox" in client.get("/login").text
    box = client.get("/dev/mailbox")
    assert "Create the first admin account" in box.text
    assert client.post("/dev/setup-link").status_code == 400  # no CSRF token
    response = client.post("/dev/setup-link", data={"csrf_token": csrf_token(box.text)})
    assert response.status_code == 302
    path = response.headers["Location"]
    assert path.startswith("/setup/")
    assert submit(client, path).headers["Location"] == "/admin/"
    assert [o.role for o in organizers(debug_app)] == [Role.ADMIN]


def test_development_mailbox_offers_no_setup_once_an_organizer_exists(debug_app: Flask):
    with debug_app.app_context():
        create_organizer()
    client = debug_app.test_client()
    box = client.get("/dev/mailbox")
    assert "Create the first admin account" not in box.text
    token = csrf_token(client.get("/login").text)  # a button left open in another tab
    response = client.post("/dev/setup-link", data={"csrf_token": token})
    assert response.headers["Location"] == "/login"
    with debug_app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Token.id))).scalar() == 0


def test_a_stranger_on_a_public_server_cannot_create_an_account(
    app: Flask, app_config: dict[str, Any]
):
    production = create_app(app_config | {"TESTING": False, "SECRET_KEY": secrets.token_hex(32)})
    client = production.test_client()
    try:
        login = client.get("/login").text
        assert "No account yet" in login
        assert "/dev/" not in login
        assert client.post("/dev/setup-link").status_code == 404
        assert client.get("/setup/" + secrets.token_urlsafe(32)).status_code == 404
        assert client.get("/setup/").status_code == 404
        with production.app_context():
            assert db.session.execute(sa.select(sa.func.count(Token.id))).scalar() == 0
            assert db.session.execute(sa.select(sa.func.count(Organizer.id))).scalar() == 0
    finally:
        with production.app_context():
            db.engine.dispose()


def test_a_setup_link_opens_nothing_else_and_other_links_open_no_setup(
    app: Flask, client: FlaskClient
):
    path = setup_path(app)
    raw = path.rsplit("/", 1)[1]
    for other in ("/invite/", "/reset/", "/confirm/", "/withdraw/", "/erase/", "/preview/"):
        assert client.get(other + raw).status_code == 404, other
    with app.app_context():
        foreign = {
            purpose: tokens.issue(purpose, timedelta(days=1))
            for purpose in (TokenPurpose.INVITE, TokenPurpose.RESET, TokenPurpose.PREVIEW)
        }
        db.session.commit()
    token = csrf_token(client.get(path).text)
    fields = {"email": "x@coalition.example", "password": PASSWORD, "confirm": PASSWORD}
    for purpose, other_raw in foreign.items():
        assert client.get("/setup/" + other_raw).status_code == 404, purpose
        forged = client.post("/setup/" + other_raw, data=fields | {"csrf_token": token})
        assert forged.status_code == 404, purpose
    assert organizers(app) == []
    assert client.get(path).status_code == 200  # the real link still works
