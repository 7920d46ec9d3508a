"""Open redirects through ?next= on the sign-in page: wherever the attacker points it, the browser
ends up on a path of this site."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token
from tests.factories import PASSWORD, enable_two_step
from tests.security.conftest import ADMIN, World, quick_organizer, relax_rate_limits

SITE = "https://signon.example/login"

# Each is sent percent-encoded in the query string, so the app receives exactly this text.
OPEN_REDIRECT_PAYLOADS = [
    "//evil.example",
    "//evil.example/%2F..",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https://evil.example",
    "https:evil.example",
    "https:/evil.example",
    "http://evil.example%2F@signon.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "%5C%5Cevil.example",
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "\t//evil.example",
    "\r\n//evil.example",
    "/\t/evil.example",
    "/\r/evil.example",
    " //evil.example",
    "\x00//evil.example",
    "//signon.example@evil.example",
    "https://signon.example@evil.example",
    "@evil.example",
    "//evil.example\\@signon.example",
    "/\u3002evil.example",
    "//\u0065vil.example",
    "/..//evil.example",
    "\u2215\u2215evil.example",
    "\uff0f\uff0fevil.example",
]


def browser_target(location: str) -> str:
    """Where a browser goes for this Location header (WHATWG URL parsing drops tabs and newlines,
    trims controls and spaces, and reads backslashes as slashes)."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08"
        "\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14"
        "\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
        "\x1e\x1f "
    )
    return urljoin(SITE, cleaned.replace("\\", "/"))


def off_site(location: str) -> bool:
    """True when a browser following this Location would leave the site (or it is malformed)."""
    if not location.startswith("/") or location.startswith(("//", "/\\")):
        return True
    if re.search(r"[\x00-\x1f\\]", location):
        return True
    target = urlsplit(browser_target(location))
    return (target.scheme, target.netloc) != ("https", "signon.example")


def test_there_are_enough_redirect_payloads():
    assert len(OPEN_REDIRECT_PAYLOADS) >= 10


def test_signing_in_never_redirects_off_site(app: Flask):
    relax_rate_limits(app)
    with app.app_context():
        quick_organizer(ADMIN)
    wrong = []
    for payload in OPEN_REDIRECT_PAYLOADS:
        browser = app.test_client()
        query = "?next=" + quote(payload, safe="")
        page = browser.get("/login" + query)
        if "\x00" in payload:  # refused before any redirect is considered
            if page.status_code != 400:
                wrong.append((payload, "GET", page.status_code))
            continue
        response = browser.post(
            "/login" + query,
            data={"csrf_token": csrf_token(page.text), "email": ADMIN, "password": PASSWORD},
        )
        # Once signed in, /login?next= redirects at once: the same rule applies.
        again = browser.get("/login" + query)
        for step, answer in (("sign-in", response), ("signed in", again)):
            location = answer.headers.get("Location", "")
            if answer.status_code != 302 or off_site(location):
                wrong.append((payload, step, answer.status_code, location))
    assert not wrong, "\n".join(map(repr, wrong))


def test_the_two_step_sign_in_never_redirects_off_site(app: Flask):
    relax_rate_limits(app)
    wrong = []
    for n, payload in enumerate(OPEN_REDIRECT_PAYLOADS):
        if "\x00" in payload:
            continue  # refused outright, see above
        # An account of its own each round: a code is accepted once, so rounds must not share one.
        email = f"two-step-{n}@coalition.example"
        with app.app_context():
            secret = enable_two_step(quick_organizer(email))
        browser = app.test_client()
        query = "?next=" + quote(payload, safe="")
        page = browser.get("/login" + query)
        first = browser.post(
            "/login" + query,
            data={"csrf_token": csrf_token(page.text), "email": email, "password": PASSWORD},
        )
        assert first.headers["Location"].startswith("/login/code"), payload
        form = browser.get("/login/code")
        done = browser.post(
            "/login/code",
            data={"csrf_token": csrf_token(form.text), "code": pyotp.TOTP(secret).now()},
        )
        location = done.headers.get("Location", "")
        if done.status_code != 302 or off_site(location):
            wrong.append((payload, done.status_code, location))
    assert not wrong, "\n".join(map(repr, wrong))


def test_a_local_next_is_still_honoured(app: Flask, client: FlaskClient, world: World):
    """The refusals above are about the payloads: a path on this site is followed."""
    target = f"/admin/letters/{world.letter_id}/signatures?status=all"
    page = client.get("/login?next=" + quote(target, safe=""))
    response = client.post(
        "/login?next=" + quote(target, safe=""),
        data={"csrf_token": csrf_token(page.text), "email": ADMIN, "password": PASSWORD},
    )
    assert response.headers["Location"] == target
