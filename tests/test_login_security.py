"""Sign-in under attack: locks per account and address, two-step sign-in, sessions that end for good."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon import secretbox
from signon.extensions import db
from signon.models import LoginThrottle, Organizer, OrganizerSession, utcnow
from signon.services import accounts
from tests.conftest import csrf_token, login_as
from tests.factories import PASSWORD, create_organizer


def try_login(client: FlaskClient, email: str, password: str, address: str = "127.0.0.1"):
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=environ)
    return client.post(
        "/login",
        data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
        environ_base=environ,
    )


def test_account_locks_after_repeated_failures_even_with_the_right_password(app: Flask):
    app.config["LOGIN_FAILURES_BEFORE_LOCK"] = 3
    with app.app_context():
        create_organizer()
    for n in range(3):
        assert (
            try_login(app.test_client(), "ana@coalition.example", f"wrong {n}").status_code == 422
        )
    locked = try_login(app.test_client(), "ana@coalition.example", PASSWORD)
    assert locked.status_code == 422
    assert "Too many attempts to sign in" in locked.text


def test_locks_do_not_reveal_whether_an_account_exists(app: Flask):
    app.config["LOGIN_FAILURES_BEFORE_LOCK"] = 2
    with app.app_context():
        create_organizer()
    answers = {}
    for email in ("ana@coalition.example", "nobody@coalition.example"):
        for n in range(3):
            response = try_login(app.test_client(), email, f"wrong {n}")
        answers[email] = (response.status_code, "Too many attempts to sign in" in response.text)
    assert answers["ana@coalition.example"] == answers["nobody@coalition.example"] == (422, True)


def test_one_address_guessing_many_accounts_is_locked_too(app: Flask):
    app.config["LOGIN_FAILURES_BEFORE_LOCK"] = 3
    with app.app_context():
        create_organizer("victim@coalition.example")
    client = app.test_client()
    for n in range(3):
        try_login(client, f"guess{n}@coalition.example", "whatever password")
    assert "Too many attempts" in try_login(client, "victim@coalition.example", PASSWORD).text


def test_two_step_sign_in_with_app_code_and_recovery_code(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    token = login_as(client, "ana@coalition.example")
    client.post("/admin/account", data={"csrf_token": token, "action": "start"})
    with app.app_context():
        secret = secretbox.decrypt(
            db.session.execute(sa.select(Organizer.totp_secret)).scalar_one()
        )
    wrong = client.post(
        "/admin/account", data={"csrf_token": token, "action": "confirm", "code": "000000"}
    )
    assert "That code is not right" in wrong.text
    done = client.post(
        "/admin/account",
        data={"csrf_token": token, "action": "confirm", "code": pyotp.TOTP(secret).now()},
    )
    assert "Two-step sign-in is on." in done.text
    codes = (
        done.text.split('id="recovery-codes" class="copy-field" rows="10" readonly>', 1)[1]
        .split("</textarea>")[0]
        .split()
    )
    assert len(codes) == 10

    browser = app.test_client()
    response = try_login(browser, "ana@coalition.example", PASSWORD)
    assert response.headers["Location"] == "/login/code"
    assert browser.get("/admin/").status_code == 302  # the password alone is not enough
    page = browser.get("/login/code")
    bad = browser.post("/login/code", data={"csrf_token": csrf_token(page.text), "code": "123456"})
    assert "That code is not right" in bad.text
    # The code that turned two-step sign-in on cannot be used again; the next one (allowed for
    # clock drift) can, once.
    replay = browser.post(
        "/login/code", data={"csrf_token": csrf_token(page.text), "code": pyotp.TOTP(secret).now()}
    )
    assert "That code is not right" in replay.text
    next_code = pyotp.TOTP(secret).at(int(time.time()) + 30)
    good = browser.post(
        "/login/code", data={"csrf_token": csrf_token(page.text), "code": next_code}
    )
    assert good.status_code == 302
    assert browser.get("/admin/").status_code == 200

    other = app.test_client()
    try_login(other, "ana@coalition.example", PASSWORD)
    page = other.get("/login/code")
    other.post("/login/code", data={"csrf_token": csrf_token(page.text), "code": codes[0]})
    assert other.get("/admin/").status_code == 200
    again = app.test_client()
    try_login(again, "ana@coalition.example", PASSWORD)
    page = again.get("/login/code")
    reused = again.post("/login/code", data={"csrf_token": csrf_token(page.text), "code": codes[0]})
    assert "That code is not right" in reused.text


def test_logout_ends_the_session_even_for_a_copied_cookie(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    token = login_as(client, "ana@coalition.example")
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.post("/logout", data={"csrf_token": token})
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/admin/").status_code == 302


def test_idle_sessions_are_signed_out(app: Flask, client: FlaskClient):
    app.config["ORGANIZER_IDLE_MINUTES"] = 30
    with app.app_context():
        create_organizer()
    login_as(client, "ana@coalition.example")
    with app.app_context():
        db.session.execute(
            sa.update(OrganizerSession).values(last_seen_at=utcnow() - timedelta(minutes=31))
        )
        db.session.commit()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    with app.app_context():
        assert db.session.execute(sa.select(OrganizerSession.ended_at)).scalar_one() is not None


def test_the_lock_holds_for_every_spelling_of_the_address(app: Flask):
    app.config["LOGIN_FAILURES_BEFORE_LOCK"] = 3
    with app.app_context():
        create_organizer()
    for n in range(3):
        try_login(app.test_client(), "ana@coalition.example", f"wrong {n}", "10.3.0.1")
    # An ideographic full stop or full-width letters in the domain reach the same account, so they
    # must not open a fresh lock with fresh tries. Each comes from a fresh client address, so only
    # the account's lock can stop it.
    spellings = ("ana@coalition\u3002example", "ana@\uff43\uff4f\uff41\uff4c\uff49tion.example")
    for n, spelling in enumerate(spellings):
        locked = try_login(app.test_client(), spelling, PASSWORD, f"10.3.1.{n}")
        assert locked.status_code == 422, spelling
        assert "Too many attempts to sign in" in locked.text, spelling


def test_parallel_wrong_passwords_are_all_counted_and_no_more_are_checked_than_allowed(
    app: Flask, monkeypatch: pytest.MonkeyPatch
):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("parallel sign-ins need a database with concurrent writers")
    allowed, tries = 3, 8
    app.config["LOGIN_FAILURES_BEFORE_LOCK"] = allowed
    with app.app_context():
        create_organizer()
    checked: list[str] = []
    real_check = accounts.check_password_hash

    def slow_counted_check(password_hash: str, password: str) -> bool:
        checked.append(password)
        time.sleep(0.05)  # as a real hash would, this keeps the requests overlapping
        return real_check(password_hash, password)

    monkeypatch.setattr(accounts, "check_password_hash", slow_counted_check)
    # One browser per guess, each from its own address, so only the account's lock stands in the way.
    browsers = [(app.test_client(), {"REMOTE_ADDR": f"10.4.0.{n}"}) for n in range(tries)]
    forms = [
        {"csrf_token": csrf_token(browser.get("/login", environ_base=environ).text)}
        for browser, environ in browsers
    ]
    start = threading.Barrier(tries)

    def guess(n: int) -> int:
        browser, environ = browsers[n]
        data = forms[n] | {"email": "ana@coalition.example", "password": f"wrong {n}"}
        start.wait()
        return browser.post("/login", data=data, environ_base=environ).status_code

    with ThreadPoolExecutor(tries) as pool:
        statuses = list(pool.map(guess, range(tries)))
    assert statuses == [422] * tries
    with app.app_context():
        failures = db.session.execute(
            sa.select(LoginThrottle.failures).where(LoginThrottle.key.startswith("account:"))
        ).scalar_one()
    assert failures == tries
    assert len(checked) == allowed


def test_the_reset_page_answers_as_fast_for_an_account_as_for_an_unknown_address(
    app: Flask, mailbox
):
    """The reset link is made and sent after the response, so timing the page cannot tell
    whether an account exists."""
    app.config["RATE_LIMIT_RESET"] = "1000 per hour"
    with app.app_context():
        for n in range(20):
            create_organizer(email=f"host{n}@coalition.example")
    client = app.test_client()
    token = csrf_token(client.get("/reset").text)
    timings: dict[str, list[float]] = {"account": [], "unknown": []}
    for n in range(20):
        pair = (("account", f"host{n}@coalition.example"), ("unknown", f"x{n}@coalition.example"))
        for kind, email in pair:
            started = time.perf_counter()
            response = client.post("/reset", data={"csrf_token": token, "email": email})
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 200
            response.close()
    mailbox.wait_for(20)
    account, unknown = (sorted(values)[len(values) // 2] for values in timings.values())
    assert account < 1.5 * unknown, (
        f"account {account * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms"
    )


def test_one_address_gets_at_most_three_reset_emails_an_hour_however_spelled(app: Flask, mailbox):
    app.config["RATE_LIMIT_RESET"] = "1000 per hour"
    with app.app_context():
        create_organizer()
    client = app.test_client()
    token = csrf_token(client.get("/reset").text)
    spellings = ["ana@coalition.example", "ANA@coalition.example", "ana@coalition\u3002example"]
    for email in spellings * 2:
        response = client.post("/reset", data={"csrf_token": token, "email": email})
        assert "Check your email" in response.text
        response.close()
    mailbox.wait_for(3)
    time.sleep(0.3)
    assert len(mailbox.messages) == 3
