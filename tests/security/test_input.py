"""Malformed and oversized input: bodies over the size limit (also chunked, over a real socket), NUL
bytes and invalid UTF-8 in bodies, query strings and raw paths, numbers beyond any id column, odd
digits, impossible dates, unparsable web addresses, garbage cookies, long lines in emails. Each gets
a clean 4xx page in the site's style (or is delivered intact); none reaches a 500 or the database."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes, urlencode

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from signon.extensions import db
from signon.models import OutboxMessage
from tests.conftest import Mailbox, csrf_token, form_defaults, free_port, link_in, text_body
from tests.factories import LETTER_BODY, form_data
from tests.security.conftest import ADMIN, World, changes, fingerprint, sign_in

BAD_REQUEST_PAGE = "Something was wrong with that request"
TOO_LARGE_PAGE = "That was too much to send"

# Percent-encoded byte sequences that are NUL or not UTF-8 at all.
BAD_BYTES = [
    "%00",  # NUL
    "a%00b",  # NUL inside text
    "%FF",  # never valid in UTF-8
    "%FE%FF",  # a UTF-16 byte-order mark
    "%80",  # a lone continuation byte
    "%C3%28",  # a two-byte sequence broken by ASCII
    "%C0%AF",  # an overlong '/'
    "%ED%A0%80",  # a UTF-16 surrogate
    "%E2%82",  # truncated three-byte sequence
    "%F8%88%80%80%80",  # a five-byte sequence
    "%F4%90%80%80",  # beyond U+10FFFF
]

# Numbers no id column can hold, and digits that str.isdigit() accepts but int() does not.
OUT_OF_RANGE_IDS = ["2147483648", "9223372036854775808", "9" * 30]
ODD_DIGITS = ["\u00b2", "\u2460", "1\u00b2", "\u0663", "\U0001d7d9", "-1", "0x10", "1e3", " 1"]

# Web addresses that make urllib.parse raise instead of returning parts.
BROKEN_WEBSITES = [
    "[x]",
    "http://[x]",
    "https://[::1",
    "https://[x](y)",
    "http://[::1]x/",
    "[::1]:99999",
]

# Deadlines that exist in the form's time zone but not as a UTC datetime.
IMPOSSIBLE_DEADLINES = [
    ("0001-01-01T00:00", "Asia/Tokyo"),
    ("9999-12-31T23:59", "America/Adak"),
    ("0001-01-01T00:00", "Etc/GMT-14"),
]


def no_server_error(response: Any, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code)


@pytest.fixture
def crashes_are_500s(app: Flask) -> Flask:
    """Answer an unhandled exception with the 500 page, as in production, instead of raising it."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


# --- A real socket, for chunked bodies -------------------------------------------------------------


@dataclass
class Served:
    host: str
    port: int

    def request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.putrequest(method, target, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            if body is not None and "Transfer-Encoding" not in (headers or {}):
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            return response.status, text
        finally:
            connection.close()

    def page(self, path: str) -> tuple[int, str, str]:
        """GET a page; returns its status, text and the session cookie it set."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
            return response.status, response.read().decode(), cookie
        finally:
            connection.close()


@pytest.fixture
def served(app: Flask) -> Iterator[Served]:
    """The app on a real loopback socket, so a chunked body arrives as a client sends it."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served("127.0.0.1", port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- Size -------------------------------------------------------------------------------------


def test_a_body_over_the_limit_gets_the_413_page(app: Flask, client: FlaskClient, world: World):
    limit = int(app.config["MAX_CONTENT_LENGTH"])
    page = client.get(f"/letters/{world.slug}")
    fields = form_defaults(page.text) | form_data(email="big@big.example")
    before = fingerprint(app)
    for path, data in (
        (f"/letters/{world.slug}", fields | {"note": "x" * (limit + 1024)}),
        ("/login", {"csrf_token": fields["csrf_token"], "email": "x" * (limit + 1024)}),
        ("/reset", {"csrf_token": fields["csrf_token"], "email": "x" * (limit + 1024)}),
    ):
        response = client.post(path, data=data)
        assert response.status_code == 413, path
        assert TOO_LARGE_PAGE in response.text, path
    assert changes(before, fingerprint(app)) == {}


def test_a_multipart_body_over_the_limit_gets_the_413_page(
    app: Flask, client: FlaskClient, world: World
):
    limit = int(app.config["MAX_CONTENT_LENGTH"])
    page = client.get(f"/letters/{world.slug}")
    fields = form_defaults(page.text) | form_data(email="big@big.example")
    response = client.post(
        f"/letters/{world.slug}",
        data=fields | {"note": "x" * (limit + 1024)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert TOO_LARGE_PAGE in response.text


def test_a_chunked_body_over_the_limit_is_refused(
    app: Flask, client: FlaskClient, served: Served, world: World
):
    """Without a Content-Length the limit must hold too: a body that goes past it is refused whole,
    not cut at the limit and processed (here the padding is an unknown trailing field)."""
    limit = int(app.config["MAX_CONTENT_LENGTH"])
    status, page, cookie = served.page(f"/letters/{world.slug}")
    fields = form_defaults(page) | form_data(email="chunked@chunked.example")
    body = urlencode(fields | {"padding": "x" * (limit + 1024)}).encode()
    chunked = b"".join(
        f"{len(body[i : i + 65536]):x}\r\n".encode() + body[i : i + 65536] + b"\r\n"
        for i in range(0, len(body), 65536)
    )
    before = fingerprint(app)
    status, text = served.request(
        "POST",
        f"/letters/{world.slug}",
        chunked + b"0\r\n\r\n",
        {
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "Transfer-Encoding": "chunked",
        },
    )
    assert status == 413, status
    assert TOO_LARGE_PAGE in text
    assert changes(before, fingerprint(app)) == {}


def test_fields_over_their_length_are_refused_by_the_form(
    app: Flask, client: FlaskClient, world: World
):
    page = client.get(f"/letters/{world.slug}")
    fields = form_defaults(page.text) | form_data(email="long@long.example")
    before = fingerprint(app)
    for name, length in (
        ("organization", 201),
        ("name", 121),
        ("title", 121),
        ("city", 101),
        ("region", 101),
        ("country", 101),
        ("note", 2001),
        ("email", 255),
    ):
        response = client.post(f"/letters/{world.slug}", data=fields | {name: "x" * length})
        assert response.status_code == 422, name
    assert changes(before, fingerprint(app)) == {}


# --- NUL bytes and invalid UTF-8 --------------------------------------------------------------


def test_bad_bytes_in_a_form_body_get_a_clean_400(app: Flask, client: FlaskClient, world: World):
    page = client.get(f"/letters/{world.slug}")
    fields = form_defaults(page.text) | form_data(email="enc@enc.example")
    encoded = "&".join(f"{k}={v}" for k, v in fields.items() if k != "organization")
    before = fingerprint(app)
    wrong = []
    for bad in BAD_BYTES:
        for path, body in (
            (f"/letters/{world.slug}", f"{encoded}&organization=Org{bad}"),
            (f"/letters/{world.slug}", f"{encoded}&organization=Org&note={bad}"),
            (f"/letters/{world.slug}", f"{encoded}&organization=Org&{bad}=1"),
            ("/login", f"csrf_token={fields['csrf_token']}&email=a{bad}@x.example&password=x"),
        ):
            response = client.post(
                path, data=body.encode(), content_type="application/x-www-form-urlencoded"
            )
            if response.status_code != 400 or BAD_REQUEST_PAGE not in response.text:
                wrong.append((path, body[-45:], response.status_code))
    assert not wrong, "\n".join(map(repr, wrong))
    assert changes(before, fingerprint(app)) == {}
    # The same body without the bad bytes is accepted: the refusals above were about them.
    clean = client.post(
        f"/letters/{world.slug}",
        data=f"{encoded}&organization=Org".encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert clean.status_code == 303


def test_bad_bytes_in_a_multipart_body_get_a_clean_400(
    app: Flask, client: FlaskClient, world: World
):
    page = client.get(f"/letters/{world.slug}")
    fields = form_defaults(page.text) | form_data(email="multi@multi.example")
    before = fingerprint(app)
    boundary = "----attack"
    for raw in (b"\x00", b"Org\xff", b"\xc3\x28", b"\xed\xa0\x80"):
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
            if k != "organization"
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="organization"\r\n\r\n'.encode()
            + raw
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        response = client.post(
            f"/letters/{world.slug}",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        assert response.status_code == 400, raw
        assert BAD_REQUEST_PAGE in response.text, raw
    assert changes(before, fingerprint(app)) == {}


def test_bad_bytes_in_a_query_string_get_a_clean_400(app: Flask, client: FlaskClient, world: World):
    csrf = sign_in(client, ADMIN)
    before = fingerprint(app)
    wrong = []
    for bad in BAD_BYTES:
        for path in (
            f"/?q={bad}",
            f"/letters/{world.slug}?x={bad}",
            f"/api/v1/letters?{bad}=1",
            f"/admin/letters/{world.letter_id}/signatures?status=all&q={bad}",
            f"/login?next=/admin/{bad}",
        ):
            response = client.get(path)
            if response.status_code != 400 or BAD_REQUEST_PAGE not in response.text:
                wrong.append((path, response.status_code))
        response = client.post(
            f"/admin/letters/{world.letter_id}/status?x={bad}",
            data={"csrf_token": csrf, "status": "closed"},
        )
        if response.status_code != 400:
            wrong.append(("POST status", bad, response.status_code))
    assert not wrong, "\n".join(map(repr, wrong))
    assert changes(before, fingerprint(app)) == {}


def wsgi_get(client: FlaskClient, raw_path: str) -> Any:
    """GET a path exactly as a PEP 3333 server such as gunicorn hands it to the app: percent-decoded
    bytes in PATH_INFO, read as latin-1 (the test client itself would replace bad bytes with U+FFFD)."""
    return client.get(
        "/",
        environ_overrides={
            "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
            "RAW_URI": raw_path,
            "REQUEST_URI": raw_path,
        },
    )


def test_bad_bytes_in_a_raw_path_get_a_clean_400(client: FlaskClient, world: World):
    wrong = []
    for bad in BAD_BYTES:
        for path in (
            f"/letters/{bad}",
            f"/letters/{world.slug}{bad}",
            f"/confirm/{bad}",
            f"/withdraw/{world.tokens['withdraw']}{bad}",
            f"/api/v1/letters/{bad}",
            f"/admin/letters/{world.letter_id}/signatures/{bad}",
            f"/{bad}",
        ):
            response = wsgi_get(client, path)
            if response.status_code != 400 or BAD_REQUEST_PAGE not in response.text:
                wrong.append((path, response.status_code))
    assert not wrong, "\n".join(map(repr, wrong))


def test_clean_utf8_paths_pass_the_same_way(client: FlaskClient, world: World):
    """The raw-path requests above are read the way real traffic is: valid paths work."""
    assert wsgi_get(client, f"/letters/{world.slug}").status_code == 200
    assert wsgi_get(client, "/letters/%C3%A9t%C3%A9").status_code == 404


# --- Numbers and dates ------------------------------------------------------------------------


def test_ids_beyond_any_column_are_not_found(
    crashes_are_500s: Flask, client: FlaskClient, world: World
):
    sign_in(client, ADMIN)
    wrong = []
    for number in OUT_OF_RANGE_IDS:
        for path in (
            f"/admin/letters/{number}",
            f"/admin/letters/{number}/signatures",
            f"/admin/letters/{world.letter_id}/signatories/{number}",
            f"/admin/letters/{world.letter_id}/snapshots/{number}/text",
        ):
            response = client.get(path)
            if response.status_code != 404:
                wrong.append((path, response.status_code))
    assert not wrong, "\n".join(map(repr, wrong))


def test_posted_ids_that_are_not_row_ids_never_crash(
    crashes_are_500s: Flask, client: FlaskClient, world: World
):
    csrf = sign_in(client, ADMIN)
    letter = f"/admin/letters/{world.letter_id}"
    wrong = []
    for number in OUT_OF_RANGE_IDS + ODD_DIGITS:
        attempts: list[tuple[str, str, dict[str, Any]]] = [
            ("POST", f"{letter}/signatures/decide", {"decision": "approve", "ids": number}),
            (
                "POST",
                f"{letter}/signatures/decide",
                {"decision": "reject", "ids": [number, str(world.unconfirmed_id)]},
            ),
            ("POST", f"{letter}/merge", {"ids": [number, str(world.signatory_id)], "into": number}),
            ("POST", f"{letter}/merge", {"ids": number, "into": str(world.signatory_id)}),
            (
                "POST",
                f"{letter}/deliveries",
                {"snapshot": number, "recipient": "x", "method": "email"},
            ),
            ("GET", f"{letter}/signatures?status=all&page={number}", {}),
        ]
        if number.isascii() and number.isdigit():
            attempts += [
                ("POST", f"{letter}/hosts/{number}/remove", {}),
                ("POST", f"/admin/email-rules/{number}/remove", {}),
            ]
        for method, path, data in attempts:
            response = client.open(path, method=method, data=data | {"csrf_token": csrf})
            if response.status_code >= 500:
                wrong.append((method, path, data, response.status_code))
    assert not wrong, "\n".join(map(repr, wrong))


def test_a_deadline_outside_the_calendar_is_a_form_error(
    crashes_are_500s: Flask, client: FlaskClient, world: World
):
    csrf = sign_in(client, ADMIN)
    before = fingerprint(crashes_are_500s)
    wrong = []
    for deadline, zone in IMPOSSIBLE_DEADLINES:
        response = client.post(
            "/admin/letters/new",
            data={
                "csrf_token": csrf,
                "title": "Deadline attack",
                "slug": "deadline-attack",
                "body": "Text",
                "deadline": deadline,
                "timezone": zone,
            },
        )
        if response.status_code != 422:
            wrong.append((deadline, zone, response.status_code))
    assert not wrong, "\n".join(map(repr, wrong))
    assert changes(before, fingerprint(crashes_are_500s)) == {}


def test_a_website_the_url_parser_cannot_read_is_a_form_error(
    crashes_are_500s: Flask, client: FlaskClient, world: World
):
    page = client.get(f"/letters/{world.slug}")
    fields = form_defaults(page.text)
    before = fingerprint(crashes_are_500s)
    wrong = []
    for n, website in enumerate(BROKEN_WEBSITES):
        response = client.post(
            f"/letters/{world.slug}",
            data=fields | form_data(website=website, email=f"web{n}@web.example"),
        )
        if response.status_code != 422:
            wrong.append((website, response.status_code))
    assert not wrong, "\n".join(map(repr, wrong))
    assert changes(before, fingerprint(crashes_are_500s)) == {}


# --- Long lines in email ---------------------------------------------------------------------


def dead_messages(app: Flask) -> list[tuple[str, str]]:
    """Messages the SMTP server refused (dead, or waiting to be retried after an error)."""
    with app.app_context():
        return [
            (m.subject, m.last_error)
            for m in db.session.execute(sa.select(OutboxMessage)).scalars()
            if m.status == "dead" or m.last_error
        ]


def test_a_long_paragraph_in_an_update_still_reaches_the_signers(
    app: Flask, client: FlaskClient, world: World, mailbox: Mailbox
):
    """SMTP allows 998 characters a line; a body must be encoded so that typed text never breaks it."""
    csrf = sign_in(client, ADMIN)
    paragraph = " ".join(["We delivered the letter to the Secretary this morning."] * 30)
    assert len(paragraph) > 1000  # one paragraph, as organizers write them
    mailbox.clear()
    client.post(
        f"/admin/letters/{world.letter_id}/updates",
        data={"csrf_token": csrf, "subject": "Delivered", "message": paragraph},
    )
    assert dead_messages(app) == []
    [update] = mailbox.wait_for(1)
    assert paragraph in " ".join(text_body(update).split())


def test_a_long_organization_name_still_reaches_the_organizers(
    app: Flask, client: FlaskClient, world: World, mailbox: Mailbox
):
    """200 characters a signer may type (each '&' becomes '&amp;' in HTML) must not cost the
    organizers their notice, nor the signer the confirmation link."""
    csrf = sign_in(client, ADMIN)
    client.post(
        f"/admin/letters/{world.letter_id}/notifications",
        data={"csrf_token": csrf, "notify": "each"},
    )
    mailbox.clear()
    signer = app.test_client()
    page = signer.get(f"/letters/{world.slug}")
    signer.post(
        f"/letters/{world.slug}",
        data=form_defaults(page.text)
        | form_data(organization="&" * 200, title="&" * 120, email="amp@amp.example"),
    )
    assert dead_messages(app) == []
    confirm = link_in(mailbox.wait_for(1)[0], "/confirm/").split("signon.example", 1)[1]
    signer.post(confirm, data={"csrf_token": csrf_token(signer.get(confirm).text)})
    assert dead_messages(app) == []
    assert mailbox.to(ADMIN), "the organizer's notice never arrived"


def test_a_category_typed_twice_never_lists_a_signatory_twice(
    app: Flask, client: FlaskClient, world: World
):
    """Found by the formula suite: a repeated category line repeats every entry filed under it."""
    csrf = sign_in(client, ADMIN)
    edited = client.post(
        f"/admin/letters/{world.letter_id}/edit",
        data={
            "csrf_token": csrf,
            "title": "Letter of A",
            "slug": world.slug,
            "body": LETTER_BODY,
            "categories": "National\nNational\nLocal",
            "timezone": "America/New_York",
            "requires_approval": "y",
        },
    )
    assert edited.status_code == 302
    page = client.get(f"/letters/{world.slug}").text
    assert page.count("Approved Org") == 1
    text = client.get(f"/admin/letters/{world.letter_id}/export?format=text").text
    assert text.count("Approved Org") == 1


# --- Odd requests -----------------------------------------------------------------------------


def test_a_garbage_session_cookie_is_just_an_anonymous_visitor(
    crashes_are_500s: Flask, client: FlaskClient, world: World
):
    for value in ("garbage", "eyJfdXNlcl9pZCI6IjEifQ.AAAA.BBBB", "." * 4000, "\u00e9t\u00e9"):
        client.set_cookie("session", value)
        assert client.get("/").status_code == 200, value
        assert client.get("/admin/").status_code == 302, value


def test_other_content_types_are_refused_cleanly(
    crashes_are_500s: Flask, client: FlaskClient, world: World
):
    before = fingerprint(crashes_are_500s)
    for content_type, body in (
        ("application/json", b'{"organization": "Json Org"}'),
        ("application/json", b"{not json"),
        ("text/plain", b"organization=Org"),
        (
            "application/xml",
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
        ),
        ("application/x-www-form-urlencoded; charset=latin-1", b"organization=Caf\xe9"),
    ):
        response = client.post(f"/letters/{world.slug}", data=body, content_type=content_type)
        no_server_error(response, content_type)
        assert response.status_code == 400, content_type
    assert changes(before, fingerprint(crashes_are_500s)) == {}
