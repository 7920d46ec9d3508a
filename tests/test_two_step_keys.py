"""Two-step secrets at rest: never in the clear in the database, and encrypted by the migration."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pyotp
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade

from signon import create_app, secretbox
from signon.extensions import db
from tests.conftest import csrf_token, login_as
from tests.factories import PASSWORD, create_organizer
from tests.test_migrations import empty_database  # noqa: F401 - a fixture for the migration test

EMAIL = "ana@coalition.example"
NEW_KEY = "a-new-data-key-with-at-least-32-characters"


def stored_secret(app: Flask, email: str = EMAIL) -> str:
    """The value in the organizer table, read with plain SQL."""
    with app.app_context():
        return db.session.execute(
            sa.text("SELECT totp_secret FROM organizer WHERE email = :email"), {"email": email}
        ).scalar_one()


def enrol(client: FlaskClient) -> tuple[str, list[str]]:
    """Set up two-step sign-in from Account as an organizer would; returns the key and the codes."""
    token = login_as(client, EMAIL)
    page = client.post("/admin/account", data={"csrf_token": token, "action": "start"})
    match = re.search(r"Or type this key into the app: <code>([A-Z2-7]+)</code>", page.text)
    assert match, "the key is not shown while setting up"
    secret = match.group(1)
    done = client.post(
        "/admin/account",
        data={"csrf_token": token, "action": "confirm", "code": pyotp.TOTP(secret).now()},
    )
    assert "Two-step sign-in is on." in done.text
    codes = done.text.split('rows="10" readonly>', 1)[1].split("</textarea>")[0].split()
    return secret, codes


def next_code(secret: str) -> str:
    """The code of the next 30-second step: accepted (clock drift) and never used before."""
    return pyotp.TOTP(secret).at(int(time.time()) + 30)


def sign_in(app: Flask, code: str | None, email: str = EMAIL) -> tuple[FlaskClient, str]:
    """Password, then (if asked) the code; returns the browser and the last page's text."""
    browser = app.test_client()
    page = browser.get("/login")
    response = browser.post(
        "/login", data={"csrf_token": csrf_token(page.text), "email": email, "password": PASSWORD}
    )
    if response.headers.get("Location") == "/login/code":
        assert code is not None, "a code was asked for"
        page = browser.get("/login/code")
        response = browser.post(
            "/login/code", data={"csrf_token": csrf_token(page.text), "code": code}
        )
    return browser, response.text


def signed_in(browser: FlaskClient) -> bool:
    return browser.get("/admin/").status_code == 200


def test_enrolment_stores_no_plain_secret_and_two_step_sign_in_works(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        create_organizer()
    secret, _ = enrol(client)
    stored = stored_secret(app)
    assert secret not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token
    browser, _ = sign_in(app, next_code(secret))
    assert signed_in(browser)


def test_the_migration_encrypts_stored_secrets_and_the_downgrade_restores_them(
    empty_database: str,  # noqa: F811 - the fixture imported above
):
    plain = pyotp.random_base32()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "a-migration-secret-key-of-32-characters",
            "SQLALCHEMY_DATABASE_URI": empty_database,
        }
    )
    with app.app_context():
        upgrade(revision="0007")
        organizer = sa.Table("organizer", sa.MetaData(), autoload_with=db.engine)
        values = {
            "name": "",
            "password_hash": "",
            "role": "organizer",
            "active": True,
            "session_version": 1,
            "totp_enabled": True,
            "totp_last_step": 0,
            "created_at": datetime(2026, 1, 2, tzinfo=UTC),
        }
        with db.engine.begin() as connection:
            connection.execute(
                organizer.insert(),
                [
                    values | {"email": EMAIL, "totp_secret": plain},
                    values | {"email": "bo@coalition.example", "totp_secret": ""},
                ],
            )
        select = sa.select(organizer.c.email, organizer.c.totp_secret).order_by(organizer.c.email)

        upgrade()
        with db.engine.connect() as connection:
            stored = {row.email: row.totp_secret for row in connection.execute(select)}
        assert stored[EMAIL] != plain
        assert plain not in stored[EMAIL]
        assert secretbox.decrypt(stored[EMAIL]) == plain
        assert stored["bo@coalition.example"] == ""

        downgrade(revision="0007")
        with db.engine.connect() as connection:
            restored = {row.email: row.totp_secret for row in connection.execute(select)}
        assert restored == {EMAIL: plain, "bo@coalition.example": ""}
        db.engine.dispose()


def test_a_set_up_interrupted_by_a_key_change_starts_again(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    token = login_as(client, EMAIL)
    client.post("/admin/account", data={"csrf_token": token, "action": "start"})
    app.config["DATA_KEY"] = NEW_KEY
    page = client.get("/admin/account")
    assert page.status_code == 200
    assert "Set up two-step sign-in" in page.text
    secret, _ = enrol(app.test_client())
    assert secretbox.decrypt(stored_secret(app), app.config) == secret
