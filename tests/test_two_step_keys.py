"""Two-step secrets at rest: never in the clear in the database, readable through a key rotation, and a
way back in (recovery code, admin or command-line reset) when the key is lost."""

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
from signon.cli import cli
from signon.extensions import db
from signon.models import AuditEvent, Organizer, RecoveryCode
from tests.conftest import csrf_token, login_as
from tests.factories import PASSWORD, create_organizer, enable_two_step

EMAIL = "ana@coalition.example"
NEW_KEY = "a-new-data-key-with-at-least-32-characters"
KEY_LOST_TEXT = "cannot be checked here any more"


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


def test_a_lost_key_refuses_app_codes_and_says_how_to_get_back_in(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    secret, codes = enrol(client)
    app.config["DATA_KEY"] = NEW_KEY  # the key the secret was encrypted with is gone

    browser = app.test_client()
    page = browser.get("/login")
    browser.post(
        "/login", data={"csrf_token": csrf_token(page.text), "email": EMAIL, "password": PASSWORD}
    )
    code_page = browser.get("/login/code")
    assert KEY_LOST_TEXT in code_page.text
    assert "ask an admin to reset two-step sign-in" in code_page.text
    refused = browser.post(
        "/login/code", data={"csrf_token": csrf_token(code_page.text), "code": next_code(secret)}
    )
    assert refused.status_code == 422
    assert KEY_LOST_TEXT in refused.text
    assert not signed_in(browser)

    # Recovery codes are keyed hashes under the secret key, which did not change: one gets in.
    browser, _ = sign_in(app, codes[0])
    assert signed_in(browser)


def test_old_keys_keep_two_step_working_until_the_secrets_are_reencrypted(app: Flask):
    with app.app_context():
        secret = enable_two_step(create_organizer())
        stranded = enable_two_step(create_organizer("bo@coalition.example", name="Bo"))
        # Bo's secret was encrypted with a key nobody listed: the command reports it.
        bo = db.session.execute(sa.select(Organizer).filter_by(email="bo@coalition.example"))
        bo.scalar_one().totp_secret = secretbox.encrypt(
            stranded, {"SECRET_KEY": "a-key-that-is-not-configured-anywhere"}
        )
        db.session.commit()
    before = stored_secret(app)
    app.config["DATA_KEY"] = NEW_KEY
    app.config["OLD_DATA_KEYS"] = app.config["SECRET_KEY"]
    browser, _ = sign_in(app, pyotp.TOTP(secret).now())
    assert signed_in(browser)

    result = app.test_cli_runner().invoke(cli, ["reencrypt-2fa-keys"])
    assert result.exit_code == 1
    assert "Re-encrypted 1 two-step secret." in result.output
    assert "bo@coalition.example" in result.output
    assert "signon reset-2fa EMAIL" in result.output
    after = stored_secret(app)
    assert after != before
    assert secret not in after

    app.config["OLD_DATA_KEYS"] = ""
    browser, _ = sign_in(app, next_code(secret))
    assert signed_in(browser)


def test_an_admin_resets_two_step_sign_in_for_a_locked_out_organizer(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        create_organizer("admin@coalition.example", role="admin", name="Alex")
        organizer = create_organizer()
        organizer_id = organizer.id
        enable_two_step(organizer)
        db.session.add(RecoveryCode(organizer_id=organizer_id, code_hash="x" * 64))
        db.session.commit()
    app.config["DATA_KEY"] = NEW_KEY  # Ana's codes can no longer be checked
    token = login_as(client, "admin@coalition.example")
    listing = client.get("/admin/organizers").text
    assert 'Reset<span class="visually-hidden"> two-step sign-in for ana@coalition.example' in (
        listing
    )

    reset = client.post(
        f"/admin/organizers/{organizer_id}/reset-two-step",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "Two-step sign-in is off for ana@coalition.example." in reset.text
    again = client.post(
        f"/admin/organizers/{organizer_id}/reset-two-step",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "Two-step sign-in was already off for ana@coalition.example." in again.text

    with app.app_context():
        ana = db.session.get(Organizer, organizer_id)
        assert ana is not None
        assert (ana.totp_enabled, ana.totp_secret) == (False, "")
        assert db.session.execute(sa.select(sa.func.count(RecoveryCode.id))).scalar_one() == 0
        events = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "organizer.2fa_reset")
        ).scalars()
        event = events.one()
        admin = db.session.execute(
            sa.select(Organizer).filter_by(email="admin@coalition.example")
        ).scalar_one()
        assert (event.actor_kind, event.actor_id, event.subject_id) == (
            "organizer",
            admin.id,
            organizer_id,
        )
    browser, _ = sign_in(app, None)  # the password alone is enough again
    assert signed_in(browser)


def test_reset_2fa_command_turns_two_step_off(app: Flask):
    with app.app_context():
        enable_two_step(create_organizer())
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["reset-2fa", "Ana@Coalition.example"])
    assert result.exit_code == 0, result.output
    assert "Two-step sign-in is off for ana@coalition.example" in result.output
    assert stored_secret(app) == ""
    assert "already off" in runner.invoke(cli, ["reset-2fa", EMAIL]).output
    unknown = runner.invoke(cli, ["reset-2fa", "nobody@coalition.example"])
    assert unknown.exit_code == 1
    assert "no organizer account for nobody@coalition.example" in unknown.output
    with app.app_context():
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "organizer.2fa_reset")
        ).scalar_one()
        assert (event.actor_kind, event.actor_id) == ("system", None)
    browser, _ = sign_in(app, None)
    assert signed_in(browser)


def test_the_migration_encrypts_stored_secrets_and_the_downgrade_restores_them(
    empty_database: str,
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
