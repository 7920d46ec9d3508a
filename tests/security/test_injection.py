"""Injection: SQL through the moderation search, filters and paging and through public slugs, ids and
tokens; email headers through CR/LF in what signers and organizers type; response headers through
CR/LF in query parameters."""

from __future__ import annotations

import re
import socket
import threading
import time
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import Signatory, Signature
from tests.conftest import Mailbox, csrf_token, form_defaults, link_in
from tests.factories import LETTER_BODY, form_data
from tests.security.conftest import (
    ADMIN,
    SPARE,
    World,
    changes,
    fingerprint,
    sign_in,
)

SQL_INJECTION_PAYLOADS = [
    "' OR 1=1 --",
    "' OR '1'='1",
    '" OR "1"="1',
    "'; DROP TABLE signature; --",
    '"; DROP TABLE signature; --',
    "1; DROP TABLE organizer",
    "' UNION SELECT email, password_hash FROM organizer --",
    "' UNION SELECT NULL, NULL, NULL --",
    "') OR ('a'='a",
    "admin'--",
    "1' AND SLEEP(5) --",
    "'; SELECT pg_sleep(5); --",
    "%",
    "_",
    "%%",
    "%' OR '%'='",
    "\\",
    "\\'",
    "\\%",
    "'",
    '"',
    "`",
    "$1",
    ":id",
    "?",
    "@%",
    "@_",
    "@' OR 1=1 --",
    "x" * 5000,
    "é' OR 1=1 --",
]

# Header names a message from the app may carry; anything else was injected.
EXPECTED_HEADERS = {
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "auto-submitted",
    "list-unsubscribe",
    "list-unsubscribe-post",
}
CRLF = "\r\nBcc: victim@evil.example\r\nX-Injected: yes"


def queue_total(html: str) -> int:
    match = re.search(r"(\d+) signatures? matching", html) or re.search(r"(\d+) signatures?", html)
    assert match, "no count on the signatures page"
    return int(match.group(1))


def matching(app: Flask, letter_id: int, term: str) -> int:
    """How many signatures a plain substring search (the documented behaviour) finds."""
    term = term.strip().lower()
    with app.app_context():
        rows = db.session.execute(
            sa.select(Signature, Signatory.display_name)
            .outerjoin(Signatory, Signatory.id == Signature.signatory_id)
            .where(Signature.letter_id == letter_id)
        ).all()
    if term.startswith("@"):
        return sum(1 for s, _ in rows if s.email_normalized.lower().endswith(term))
    return sum(
        1
        for s, listed in rows
        if any(term in (v or "").lower() for v in (s.organization, s.name, s.email, listed))
    )


def test_the_moderation_search_treats_every_payload_as_plain_text(
    app: Flask, client: FlaskClient, world: World
):
    sign_in(client, ADMIN)
    queue = f"/admin/letters/{world.letter_id}/signatures"
    before = fingerprint(app)
    wrong = []
    for payload in SQL_INJECTION_PAYLOADS:
        response = client.get(f"{queue}?status=all&q={quote(payload, safe='')}")
        if response.status_code != 200:
            wrong.append((payload[:40], response.status_code))
            continue
        expected = matching(app, world.letter_id, payload[:200])
        if queue_total(response.text) != expected:
            wrong.append((payload[:40], queue_total(response.text), expected))
    assert not wrong, "\n".join(map(repr, wrong))
    # The search works, so the zeros above are real: a plain term finds its row.
    assert queue_total(client.get(f"{queue}?status=all&q=waiting").text) == 1
    assert changes(before, fingerprint(app)) == {}


def test_status_and_page_filters_never_widen_the_result(
    app: Flask, client: FlaskClient, world: World
):
    sign_in(client, ADMIN)
    queue = f"/admin/letters/{world.letter_id}/signatures"
    everything = queue_total(client.get(f"{queue}?status=all").text)
    widest = max(
        queue_total(client.get(f"{queue}?status={s}").text)
        for s in ("awaiting_review", "approved", "unconfirmed", "rejected", "withdrawn")
    )
    assert widest < everything  # so a filter that leaks everything would show
    before = fingerprint(app)
    wrong = []
    for payload in SQL_INJECTION_PAYLOADS:
        value = quote(payload, safe="")
        for query, ceiling in (
            (f"status={value}", widest),
            (f"status=all&page={value}", everything),
        ):
            response = client.get(f"{queue}?{query}")
            if response.status_code != 200:
                wrong.append((query[:50], response.status_code))
            elif queue_total(response.text) > ceiling:
                wrong.append((query[:50], "widened to", queue_total(response.text)))
    assert not wrong, "\n".join(map(repr, wrong))
    assert changes(before, fingerprint(app)) == {}


def test_slugs_and_tokens_in_public_paths_find_nothing(
    app: Flask, client: FlaskClient, world: World
):
    near_misses = ["a-lette_", "a-let%", "a_letter", "%", "_-letter", "A-LETTER", "a-letter'--"]
    before = fingerprint(app)
    wrong = []
    for payload in SQL_INJECTION_PAYLOADS + near_misses:
        value = quote(payload, safe="")
        for path in (
            f"/letters/{value}",
            f"/letters/{value}/check-your-email",
            f"/api/v1/letters/{value}",
            f"/confirm/{value}",
            f"/withdraw/{value}",
            f"/keep/{value}",
            f"/unsubscribe/{value}",
            f"/invite/{value}",
            f"/reset/{value}",
            f"/preview/{value}",
        ):
            response = client.get(path)
            if response.status_code != 404:
                wrong.append((path[:60], response.status_code))
    assert not wrong, "\n".join(map(repr, wrong))
    assert client.get(f"/letters/{world.slug}").status_code == 200
    assert changes(before, fingerprint(app)) == {}


def test_sign_in_and_reset_forms_do_not_open_with_sql(
    app: Flask, client: FlaskClient, world: World, mailbox: Mailbox
):
    mailbox.clear()
    csrf = csrf_token(client.get("/login").text)
    for payload in SQL_INJECTION_PAYLOADS:
        for email, password in (
            (payload, payload),
            (f"{ADMIN}{payload}", payload),
            (ADMIN, payload),
        ):
            response = client.post(
                "/login", data={"csrf_token": csrf, "email": email, "password": password}
            )
            assert response.status_code == 422, (email[:40], response.status_code)
        reset = client.post("/reset", data={"csrf_token": csrf, "email": payload})
        assert reset.status_code == 200, payload[:40]
    assert client.get("/admin/").status_code == 302
    assert mailbox.messages == []


def test_signers_typing_sql_get_exactly_what_they_typed(
    app: Flask, client: FlaskClient, world: World
):
    page = client.get(f"/letters/{world.slug}")
    fields = form_defaults(page.text)
    stored = []
    for n, payload in enumerate(SQL_INJECTION_PAYLOADS[:12]):
        response = client.post(
            f"/letters/{world.slug}",
            data=fields
            | form_data(
                organization=f"{payload} {n}",
                name=payload,
                email=f"sql{n}@sql.example",
                note=payload,
            ),
        )
        assert response.status_code == 303, payload
        stored.append((f"{payload} {n}", payload, f"sql{n}@sql.example"))
    with app.app_context():
        rows = set(
            db.session.execute(
                sa.select(Signature.organization, Signature.note, Signature.email).where(
                    Signature.email.like("%@sql.example")
                )
            ).all()
        )
        assert rows == set(stored)
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        assert (
            db.session.execute(sa.select(sa.func.count()).select_from(Signature)).scalar() == 4 + 12
        )


# --- Email headers ----------------------------------------------------------------------------


def injected_headers(mailbox: Mailbox) -> list[Any]:
    found = []
    for message in mailbox.messages:
        names = {name.lower() for name in message}
        extra = names - EXPECTED_HEADERS
        to = message.get_all("To") or []
        subject = str(message["Subject"] or "")
        if extra or len(to) != 1 or "evil.example" in str(to) or re.search(r"[\r\n]", subject):
            found.append((sorted(extra), to, subject[:80]))
    return found


def test_crlf_in_what_people_type_never_adds_an_email_header(
    app: Flask, client: FlaskClient, world: World, mailbox: Mailbox
):
    csrf = sign_in(client, ADMIN)
    client.post(
        f"/admin/letters/{world.letter_id}/notifications",
        data={"csrf_token": csrf, "notify": "each"},
    )
    edit = client.get(f"/admin/letters/{world.letter_id}/edit").text
    edited = client.post(
        f"/admin/letters/{world.letter_id}/edit",
        data=form_defaults(edit)
        | {
            "csrf_token": csrf,
            "title": "Letter of A" + CRLF,
            "slug": world.slug,
            "body": LETTER_BODY,
            "categories": "National\nLocal",
            "timezone": "America/New_York",
            "requires_approval": "y",
        },
    )
    assert edited.status_code in (302, 422)
    mailbox.clear()
    signer = app.test_client()
    page = signer.get(f"/letters/{world.slug}")
    typed = form_data(
        organization="Header Org" + CRLF,
        name="Hank Header" + CRLF,
        title="Boss" + CRLF,
        city="Town" + CRLF,
        email="hank@header.example",
        keep_informed="y",
    )
    assert (
        signer.post(f"/letters/{world.slug}", data=form_defaults(page.text) | typed).status_code
        == 303
    )
    refused = signer.post(
        f"/letters/{world.slug}",
        data=form_defaults(page.text) | typed | {"email": "hank@header.example" + CRLF},
    )
    assert refused.status_code == 422
    confirm = link_in(mailbox.wait_for(1)[0], "/confirm/").split("signon.example", 1)[1]
    signer.post(confirm, data={"csrf_token": csrf_token(signer.get(confirm).text)})
    mailbox.wait_for(3)  # confirmed, and the organizer's notice
    with app.app_context():
        hank = db.session.execute(
            sa.select(Signature).where(Signature.email == "hank@header.example")
        ).scalar_one()
        hank_id = hank.id
    client.post(
        f"/admin/letters/{world.letter_id}/signatures/decide",
        data={"csrf_token": csrf, "decision": "approve", "ids": str(hank_id)},
    )
    client.post(
        f"/admin/letters/{world.letter_id}/updates",
        data={"csrf_token": csrf, "subject": "News" + CRLF, "message": "Body" + CRLF},
    )
    client.post("/reset", data={"csrf_token": csrf, "email": SPARE + CRLF})
    messages = mailbox.wait_for(6)
    assert any("News" in str(m["Subject"]) for m in messages)
    assert injected_headers(mailbox) == []


# --- Response headers -------------------------------------------------------------------------


def test_crlf_in_query_parameters_never_reaches_a_response_header(
    app: Flask, client: FlaskClient, world: World
):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    crlf = quote("\r\nX-Injected: yes\r\nSet-Cookie: pwned=1", safe="")
    anonymous = app.test_client()
    responses = [
        anonymous.get(f"/admin/letters/{world.letter_id}/signatures?q=a{crlf}"),
        anonymous.get(f"/login?next=/admin/{crlf}"),
        anonymous.get(f"/api/v1/letters/{world.slug}?callback={crlf}"),
        anonymous.get(f"/letters/{world.slug}?x={crlf}"),
        anonymous.get(f"/letters/{crlf}"),
    ]
    csrf = sign_in(client, ADMIN)
    responses += [
        client.get(f"/login?next=/admin/{crlf}"),
        client.get(f"/admin/letters/{world.letter_id}/export?format=text{crlf}"),
        client.get(f"/admin/letters/{world.letter_id}/export?format=csv&grouped={crlf}"),
        client.post(
            f"/admin/letters/{world.letter_id}/signatures/decide",
            data={
                "csrf_token": csrf,
                "decision": "approve",
                "status": "all\r\nX-Injected: yes",
                "q": "a\r\nX-Injected: yes",
                "page": "1\r\nX-Injected: yes",
            },
        ),
    ]
    for response in responses:
        assert response.status_code < 500, response.request.url
        for name, value in response.headers.items():
            assert name.lower() not in ("x-injected",), response.request.url
            assert not re.search(r"[\r\n]", value), (response.request.url, name)
            assert not (name.lower() == "set-cookie" and value.startswith("pwned")), name


# --- Server-side requests ---------------------------------------------------------------------


class Listener:
    """A loopback port that records every connection made to it."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.hits = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.hits += 1
            connection.close()

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.socket.close()


def test_documents_fetch_nothing_the_letter_or_the_signers_point_to(
    app: Flask, client: FlaskClient, world: World
):
    """The PDF renderer loads no image, stylesheet or file named in the text or the list."""
    listener = Listener()
    try:
        socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
        for _ in range(50):  # the listener counts what reaches it
            if listener.hits:
                break
            time.sleep(0.01)
        assert listener.hits == 1
        listener.hits = 0
        here = f"http://127.0.0.1:{listener.port}"
        body = "\n\n".join(
            [
                f"![image]({here}/markdown-image.png)",
                f"[link]({here}/link)",
                f'<img src="{here}/raw-image.png">',
                f'<link rel="stylesheet" href="{here}/style.css">',
                f"<style>@import url({here}/import.css);</style>",
                '<iframe src="file:///etc/passwd"></iframe>',
                f"<{here}/autolink>",
            ]
        )
        csrf = sign_in(client, ADMIN)
        edited = client.post(
            f"/admin/letters/{world.letter_id}/edit",
            data={
                "csrf_token": csrf,
                "title": f'Letter <img src="{here}/title.png">',
                "slug": world.slug,
                "body": body,
                "change_note": "links",
                "categories": "National\nLocal",
                "timezone": "America/New_York",
                "requires_approval": "y",
            },
        )
        assert edited.status_code == 302
        client.post(
            f"/admin/letters/{world.letter_id}/signatories/{world.signatory_id}",
            data={"csrf_token": csrf, "display_name": f'<img src="{here}/name.png">'},
        )
        for fmt in ("pdf", "docx"):
            response = client.get(f"/admin/letters/{world.letter_id}/export?format={fmt}")
            assert response.status_code == 200, fmt
        client.post(f"/admin/letters/{world.letter_id}/freeze", data={"csrf_token": csrf})
        time.sleep(0.3)
        assert listener.hits == 0
    finally:
        listener.close()
