"""Organizer sign-in, sign-out, invitations and password resets."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.links import safe_next
from signon.models import Organizer
from signon.services import accounts
from tests.conftest import Mailbox, csrf_token, link_in
from tests.factories import PASSWORD, create_organizer


def login(
    client: FlaskClient,
    email: str = "ana@coalition.example",
    password: str = PASSWORD,
    next_: str = "",
):
    page = client.get("/login" + (f"?next={next_}" if next_ else ""))
    return client.post(
        "/login" + (f"?next={next_}" if next_ else ""),
        data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
    )


def logout(client: FlaskClient):
    page = client.get("/admin/")
    return client.post("/logout", data={"csrf_token": csrf_token(page.text)})


def test_organizer_signs_in_and_out(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    response = login(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert "Your letters" in client.get("/admin/").text
    logout(client)
    assert client.get("/admin/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    wrong = login(client, password="not the password at all")
    unknown = login(client, email="nobody@coalition.example")
    assert wrong.status_code == unknown.status_code == 422
    message = "That email and password do not match an account."
    assert message in wrong.text
    assert message in unknown.text


def test_anonymous_admin_visit_goes_to_login_and_back(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    response = client.get("/admin/organizers")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert login(client, next_="/admin/letters/new").headers["Location"] == "/admin/letters/new"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:evil.example",
        " /admin",
        "/\t/evil.example",
        "",
    ],
)
def test_next_never_leads_off_site(target: str):
    assert safe_next(target) is None


def test_next_keeps_local_paths():
    assert safe_next("/admin/letters/3?status=approved") == "/admin/letters/3?status=approved"


def test_login_with_hostile_next_lands_on_the_workspace(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    assert login(client, next_="https://evil.example/").headers["Location"] == "/admin/"


def test_login_starts_a_fresh_session(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(client)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].endswith(":1")


def test_session_cookie_is_httponly_and_lax(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    cookie = login(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_admin_invites_an_organizer_who_sets_a_password(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_organizer("boss@coalition.example", role="admin")
    login(client, "boss@coalition.example")
    page = client.get("/admin/organizers")
    response = client.post(
        "/admin/organizers",
        data={
            "csrf_token": csrf_token(page.text),
            "email": "New@Partner.example",
            "name": "Nia",
            "role": "organizer",
        },
    )
    assert response.status_code == 302
    [email] = mailbox.wait_for(1)
    assert email["To"] == "new@partner.example"
    link = link_in(email, "/invite/")
    logout(client)
    path = link.split("signon.example", 1)[1]
    form = client.get(path)
    assert "Welcome: choose your password" in form.text
    client.post(
        path,
        data={
            "csrf_token": csrf_token(form.text),
            "name": "Nia",
            "password": "short",
            "confirm": "short",
        },
    )
    done = client.post(
        path,
        data={
            "csrf_token": csrf_token(form.text),
            "name": "Nia Okafor",
            "password": "a fine long password",
            "confirm": "a fine long password",
        },
    )
    assert done.status_code == 302
    assert client.get(path).status_code == 404  # single use
    assert login(client, "new@partner.example", "a fine long password").status_code == 302
    with app.app_context():
        organizer = accounts.by_email("new@partner.example")
        assert organizer is not None
        assert organizer.name == "Nia Okafor"


def test_only_admins_manage_organizers(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    login(client)
    assert client.get("/admin/organizers").status_code == 404


def test_password_reset_is_single_use_and_signs_out_other_sessions(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_organizer()
    other_browser = app.test_client()
    login(other_browser)
    assert other_browser.get("/admin/").status_code == 200

    page = client.get("/reset")
    answer = client.post(
        "/reset", data={"csrf_token": csrf_token(page.text), "email": "ana@coalition.example"}
    )
    unknown = client.post(
        "/reset", data={"csrf_token": csrf_token(page.text), "email": "who@coalition.example"}
    )
    assert re.sub(r"\s+", " ", answer.text) == re.sub(r"\s+", " ", unknown.text)
    assert mailbox.messages == []  # the email leaves once the response has gone out
    answer.close()
    unknown.close()
    [email] = mailbox.wait_for(1)
    path = link_in(email, "/reset/").split("signon.example", 1)[1]
    form = client.get(path)
    client.post(
        path,
        data={
            "csrf_token": csrf_token(form.text),
            "password": "my brand new password",
            "confirm": "my brand new password",
        },
    )
    assert client.get(path).status_code == 404
    assert other_browser.get("/admin/").status_code == 302  # signed out everywhere
    assert login(client, password=PASSWORD).status_code == 422
    assert login(client, password="my brand new password").status_code == 302


def test_logout_needs_a_post_with_csrf(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    login(client)
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/admin/").status_code == 200


def test_inactive_organizer_cannot_sign_in(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
        db.session.execute(sa.update(Organizer).values(active=False))
        db.session.commit()
    assert login(client).status_code == 422
