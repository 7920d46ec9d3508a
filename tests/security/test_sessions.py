"""Sessions and sign-in abuse: fixation, sign-out that really ends a session, password guessing that
locks without telling which accounts exist, and rate limits answered with the site's own page."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import Organizer, OrganizerSession, utcnow
from tests.conftest import csrf_token, form_defaults
from tests.factories import PASSWORD, create_letter, enable_two_step, form_data
from tests.security.conftest import (
    ADMIN,
    OTHER,
    World,
    changes,
    fingerprint,
    quick_organizer,
    sign_in,
)

WRONG = "not the password at all"
RATE_LIMIT_PAGE = "Too many attempts"


def session_of(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """What the signed session cookie holds (the app's own serializer reads it)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return dict(serializer.loads(cookie.value))


def plant(app: Flask, client: FlaskClient, contents: dict[str, Any]) -> str:
    """Put a validly signed session cookie of the attacker's making into the victim's browser."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    value = serializer.dumps(contents)
    client.set_cookie("session", value)
    return value


def sign_out(client: FlaskClient) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/admin/").text)})


@pytest.fixture
def people(app: Flask) -> dict[str, int]:
    """Two organizers and nothing else: enough for attacks on sign-in itself."""
    with app.app_context():
        return {email: quick_organizer(email).id for email in (ADMIN, OTHER)}


# --- Fixation ---------------------------------------------------------------------------------


def test_a_session_cookie_planted_before_sign_in_does_not_survive_it(
    app: Flask, client: FlaskClient, people: dict[str, int]
):
    attacker = app.test_client()
    attacker.get("/login")
    known = session_of(app, attacker)  # the attacker knows its CSRF secret
    plant(app, client, known | {"sid": "attacker-chosen-sid", "planted": "yes"})
    sign_in(client, ADMIN)
    after = session_of(app, client)
    assert "planted" not in after
    assert after.get("sid") not in (None, "attacker-chosen-sid")
    assert after.get("csrf_token") != known.get("csrf_token")
    # The attacker's copies of the pre-login cookie open nothing.
    assert attacker.get("/admin/").status_code == 302
    stale = app.test_client()
    plant(app, stale, known | {"sid": "attacker-chosen-sid", "planted": "yes"})
    assert stale.get("/admin/").status_code == 302


def test_every_sign_in_gets_a_new_session_id_stored_only_as_a_hash(
    app: Flask, client: FlaskClient, people: dict[str, int]
):
    seen = []
    for _ in range(2):
        sign_in(client, ADMIN)
        seen.append(session_of(app, client)["sid"])
        sign_out(client)
    other_browser = app.test_client()
    sign_in(other_browser, ADMIN)
    seen.append(session_of(app, other_browser)["sid"])
    assert len(set(seen)) == 3
    assert all(len(sid) * 6 >= 128 for sid in seen)
    state = fingerprint(app)
    with app.app_context():
        stored = set(db.session.execute(sa.select(OrganizerSession.token_hash)).scalars())
    for sid in seen:
        assert hashlib.sha256(sid.encode()).hexdigest() in stored
        assert not any(sid in row for rows in state.values() for row in rows)


def test_a_forged_user_id_in_the_cookie_signs_nobody_in(
    app: Flask, client: FlaskClient, people: dict[str, int]
):
    """Even with the secret key's help (a validly signed cookie), the server-side session decides."""
    plant(app, client, {"_user_id": f"{people[ADMIN]}:1", "_fresh": True, "sid": "guessed"})
    assert client.get("/admin/").status_code == 302


# --- Sign-out and idle time -------------------------------------------------------------------


def test_a_cookie_copied_before_sign_out_is_dead_after_it(
    app: Flask, client: FlaskClient, world: World
):
    csrf = sign_in(client, ADMIN)
    copied = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/admin/").status_code == 200  # the copy works while the session lives
    sign_out(client)
    assert client.get("/admin/").status_code == 302
    replay = thief.get("/admin/")
    assert replay.status_code == 302
    assert replay.headers["Location"].startswith("/login")
    assert "<h1>Sign in</h1>" in thief.get("/admin/", follow_redirects=True).text
    before = fingerprint(app)
    forged = thief.post(
        f"/admin/letters/{world.letter_id}/status", data={"csrf_token": csrf, "status": "closed"}
    )
    assert forged.status_code in (302, 400)
    assert changes(before, fingerprint(app)) == {}


def test_an_idle_session_ends(app: Flask, client: FlaskClient, people: dict[str, int]):
    sign_in(client, ADMIN)
    idle = int(app.config["ORGANIZER_IDLE_MINUTES"]) + 1
    with app.app_context():
        db.session.execute(
            sa.update(OrganizerSession).values(last_seen_at=utcnow() - timedelta(minutes=idle))
        )
        db.session.commit()
    assert client.get("/admin/").status_code == 302


# --- Password guessing ------------------------------------------------------------------------


def login_attempt(client: FlaskClient, email: str, password: str, address: str) -> Any:
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=environ)
    return client.post(
        "/login",
        data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
        environ_base=environ,
    )


def comparable(html: str, email: str) -> str:
    """The page with what legitimately differs between two visitors taken out."""
    html = re.sub(r'name="csrf_token"[^>]*>', "", html)
    return re.sub(r"\s+", " ", html.replace(email, "EMAIL"))


def guess(app: Flask, email: str, address: str) -> list[tuple[int, str]]:
    """As many wrong passwords as the lock allows, then the right one, from one address."""
    client = app.test_client()
    allowed = int(app.config["LOGIN_FAILURES_BEFORE_LOCK"])
    answers = []
    for password in [WRONG] * allowed + [PASSWORD]:
        response = login_attempt(client, email, password, address)
        answers.append((response.status_code, comparable(response.text, email)))
    answers.append((client.get("/admin/").status_code, ""))
    return answers


def test_guessing_locks_the_account_even_for_the_right_password(
    app: Flask, client: FlaskClient, people: dict[str, int]
):
    answers = guess(app, ADMIN, "10.1.0.1")
    assert [status for status, _ in answers[:-2]] == [422] * (len(answers) - 2)
    assert answers[-2][0] == 422  # the right password, refused while locked
    assert answers[-1][0] == 302  # and nobody is signed in
    # Another address, and the address written differently: still locked.
    for variant in (ADMIN, f"  {ADMIN.upper()} "):
        response = login_attempt(app.test_client(), variant, PASSWORD, "10.1.0.2")
        assert response.status_code == 422, variant
    # Other accounts are not locked by it from a fresh address.
    assert login_attempt(app.test_client(), OTHER, PASSWORD, "10.1.0.3").status_code == 302


def test_the_lock_does_not_reveal_which_accounts_exist(
    app: Flask, client: FlaskClient, people: dict[str, int]
):
    known = guess(app, ADMIN, "10.2.0.1")
    unknown = guess(app, "nobody@coalition.example", "10.2.0.2")
    assert known == unknown


# --- Rate limits ------------------------------------------------------------------------------


def per_minute(app: Flask, name: str) -> int:
    limits = re.findall(r"(\d+)\s+per\s+minute", str(app.config[f"RATE_LIMIT_{name}"]))
    assert limits, name
    return min(int(n) for n in limits)


def per_period(app: Flask, name: str) -> int:
    return min(int(n) for n in re.findall(r"(\d+)\s+per", str(app.config[f"RATE_LIMIT_{name}"])))


def assert_rate_limited(response: Any) -> None:
    assert response.status_code == 429
    assert RATE_LIMIT_PAGE in response.text
    assert 'class="site-header"' in response.text  # the site's own page, not a bare error
    assert "Retry-After" in response.headers


def test_signing_is_rate_limited(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    environ = {"REMOTE_ADDR": "10.3.0.1"}
    page = client.get("/letters/test-letter", environ_base=environ)
    fields = form_defaults(page.text)
    answers = [
        client.post(
            "/letters/test-letter",
            data=fields | form_data(email=f"flood{n}@flood.example"),
            environ_base=environ,
        )
        for n in range(per_minute(app, "SIGN") + 1)
    ]
    assert all(a.status_code == 303 for a in answers[:-1])
    assert_rate_limited(answers[-1])


def test_signing_in_is_rate_limited(app: Flask, client: FlaskClient):
    with app.app_context():
        quick_organizer(ADMIN)
    answers = [
        login_attempt(client, f"guess{n}@coalition.example", WRONG, "10.4.0.1")
        for n in range(per_minute(app, "LOGIN") + 1)
    ]
    assert all(a.status_code == 422 for a in answers[:-1])
    assert_rate_limited(answers[-1])
    # The limit is per address: the organizer can still sign in from elsewhere.
    assert login_attempt(client, ADMIN, PASSWORD, "10.4.0.2").status_code == 302


def test_password_reset_requests_are_rate_limited(app: Flask, client: FlaskClient):
    environ = {"REMOTE_ADDR": "10.5.0.1"}
    token = csrf_token(client.get("/reset", environ_base=environ).text)
    answers = [
        client.post(
            "/reset",
            data={"csrf_token": token, "email": f"who{n}@coalition.example"},
            environ_base=environ,
        )
        for n in range(per_period(app, "RESET") + 1)
    ]
    assert all(a.status_code == 200 for a in answers[:-1])
    assert_rate_limited(answers[-1])


def test_spoofed_forwarding_headers_do_not_escape_the_limits(app: Flask, client: FlaskClient):
    """Without a trusted proxy configured, X-Forwarded-For is the attacker's own text."""
    with app.app_context():
        quick_organizer(ADMIN)
    answers = []
    for n in range(per_minute(app, "LOGIN") + 1):
        spoof = {"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"198.51.100.{n}"}
        page = client.get("/login", headers=spoof, environ_base={"REMOTE_ADDR": "10.6.0.1"})
        answers.append(
            client.post(
                "/login",
                data={"csrf_token": csrf_token(page.text), "email": ADMIN, "password": WRONG},
                headers=spoof,
                environ_base={"REMOTE_ADDR": "10.6.0.1"},
            )
        )
    assert_rate_limited(answers[-1])


def test_a_deactivated_organizer_is_signed_out_at_once(
    app: Flask, client: FlaskClient, people: dict[str, int]
):
    sign_in(client, ADMIN)
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        db.session.get(Organizer, people[ADMIN]).active = False
        db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_a_two_step_code_works_only_once(app: Flask, client: FlaskClient, people: dict[str, int]):
    """RFC 6238 section 5.2: a one-time password that was accepted must not be accepted again."""
    with app.app_context():
        secret = enable_two_step(db.session.get(Organizer, people[ADMIN]))
    code = pyotp.TOTP(secret).now()
    answers = []
    for _ in range(2):
        browser = app.test_client()
        page = browser.get("/login")
        browser.post(
            "/login",
            data={"csrf_token": csrf_token(page.text), "email": ADMIN, "password": PASSWORD},
        )
        form = browser.get("/login/code")
        answers.append(
            browser.post("/login/code", data={"csrf_token": csrf_token(form.text), "code": code})
        )
    assert answers[0].status_code == 302  # the code works
    assert answers[1].status_code == 422  # the same code, replayed by whoever saw it, does not
