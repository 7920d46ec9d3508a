"""The core loop over HTTP: sign on the public page, confirm from the email, withdraw."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import (
    AuditEvent,
    LetterStatus,
    OutboxMessage,
    Signature,
    SignatureStatus,
    utcnow,
)
from signon.services import history, letters, signing_reads
from tests.conftest import Mailbox, csrf_token, form_defaults, html_body, link_in, text_body
from tests.factories import create_letter, form_data


def sign(client: FlaskClient, slug: str = "test-letter", **overrides: str):
    page = client.get(f"/letters/{slug}")
    assert page.status_code == 200
    data = form_defaults(page.text) | form_data(**overrides)
    return client.post(f"/letters/{slug}", data=data)


def path_of(url: str) -> str:
    return urlsplit(url).path


def signatures_in_db() -> list[Signature]:
    return list(db.session.execute(sa.select(Signature)).scalars())


def test_signer_signs_confirms_and_is_listed(app: Flask, client: FlaskClient, mailbox: Mailbox):
    with app.app_context():
        create_letter(requires_approval=False)

    response = sign(client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/letters/test-letter/check-your-email")
    assert "Check your email" in client.get(response.headers["Location"]).text

    [email] = mailbox.wait_for(1)
    assert email["To"] == "dana@openrecords.example"
    assert "Please confirm" in email["Subject"]
    confirm_url = link_in(email, "/confirm/")
    assert confirm_url.startswith("https://signon.example/confirm/")
    assert confirm_url in html_body(email)

    page = client.get(path_of(confirm_url))
    assert page.status_code == 200
    assert "Confirm my signature" in page.text
    assert (
        "Open Records Alliance"
        not in client.get("/letters/test-letter").text.split("Signatories")[-1]
    )

    confirmed = client.post(path_of(confirm_url), data={"csrf_token": csrf_token(page.text)})
    assert confirmed.status_code == 200
    assert "your signature is confirmed" in confirmed.text
    letter_page = client.get("/letters/test-letter").text
    assert "Open Records Alliance" in letter_page
    assert "Chicago, IL" in letter_page
    assert "1 organization" in letter_page
    assert "dana@openrecords.example" not in letter_page
    assert "Dana Reyes" not in letter_page

    mailbox.wait_for(2)
    [thanks] = [m for m in mailbox.messages if "is confirmed" in m["Subject"]]
    withdraw_url = link_in(thanks, "/withdraw/")
    withdraw_page = client.get(path_of(withdraw_url))
    assert "Withdraw my signature" in withdraw_page.text
    assert withdraw_page.headers["Cache-Control"] == "no-store"
    done = client.post(path_of(withdraw_url), data={"csrf_token": csrf_token(withdraw_page.text)})
    assert "Your signature is withdrawn" in done.text
    assert "Open Records Alliance" not in client.get("/letters/test-letter").text

    with app.app_context():
        [signature] = signatures_in_db()
        assert signature.status == SignatureStatus.WITHDRAWN
        assert signature.withdrawn_at is not None
        actions = list(db.session.execute(sa.select(AuditEvent.action)).scalars())
        assert {"signature.created", "signature.confirmed", "signature.withdrawn"} <= set(actions)


def test_signature_on_letter_needing_approval_waits_for_review(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter(requires_approval=True)
    sign(client)
    confirm_url = link_in(mailbox.wait_for(1)[0], "/confirm/")
    page = client.get(path_of(confirm_url))
    result = client.post(path_of(confirm_url), data={"csrf_token": csrf_token(page.text)})
    assert "organizers will review it" in result.text
    assert "No organization is listed yet" in client.get("/letters/test-letter").text
    with app.app_context():
        assert signatures_in_db()[0].status == SignatureStatus.AWAITING_REVIEW


def test_opening_the_confirmation_link_confirms_nothing(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    sign(client)
    confirm_url = link_in(mailbox.wait_for(1)[0], "/confirm/")
    for _ in range(3):
        assert client.get(path_of(confirm_url)).status_code == 200
    with app.app_context():
        assert signatures_in_db()[0].status == SignatureStatus.UNCONFIRMED
    assert len(mailbox.messages) == 1


def test_confirmation_link_on_a_closed_letter_says_so_at_once(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    sign(client)
    confirm_url = link_in(mailbox.wait_for(1)[0], "/confirm/")
    with app.app_context():
        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        letters.set_status(letter, LetterStatus.CLOSED)
    page = client.get(path_of(confirm_url))
    assert page.status_code == 200
    assert "Sign-on has closed" in page.text
    assert "closed before this signature was confirmed" in page.text
    assert "Confirm my signature" not in page.text
    assert "<form" not in page.text.split("<main", 1)[-1]
    with app.app_context():
        assert signatures_in_db()[0].status == SignatureStatus.UNCONFIRMED


def test_confirmation_link_signed_after_the_deadline_says_sign_on_closed(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter(deadline_at=utcnow() + timedelta(hours=1))
    sign(client)
    confirm_url = link_in(mailbox.wait_for(1)[0], "/confirm/")
    with app.app_context():
        # The organizers moved the deadline to before this signature was made.
        signature = signatures_in_db()[0]
        signature.letter.deadline_at = signature.attested_at - timedelta(minutes=1)
        db.session.commit()
    page = client.get(path_of(confirm_url))
    assert "Sign-on has closed" in page.text
    assert "Confirm my signature" not in page.text


def test_confirmation_link_signed_before_the_deadline_still_confirms_after_it(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter(deadline_at=utcnow() + timedelta(hours=1))
    sign(client)
    confirm_url = link_in(mailbox.wait_for(1)[0], "/confirm/")
    with app.app_context():
        signature = signatures_in_db()[0]
        signature.letter.deadline_at = signature.attested_at + timedelta(seconds=1)
        db.session.commit()
    page = client.get(path_of(confirm_url))
    assert "Confirm my signature" in page.text
    assert "Sign-on has closed" not in page.text


def test_confirmation_link_already_used_on_a_closed_letter_is_not_called_closed(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    sign(client)
    confirm_url = link_in(mailbox.wait_for(1)[0], "/confirm/")
    page = client.get(path_of(confirm_url))
    client.post(path_of(confirm_url), data={"csrf_token": csrf_token(page.text)})
    with app.app_context():
        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        letters.set_status(letter, LetterStatus.CLOSED)
    again = client.get(path_of(confirm_url))
    assert "Sign-on has closed" not in again.text


def test_confirming_twice_is_harmless(app: Flask, client: FlaskClient, mailbox: Mailbox):
    with app.app_context():
        create_letter()
    sign(client)
    confirm_url = link_in(mailbox.wait_for(1)[0], "/confirm/")
    page = client.get(path_of(confirm_url))
    token = csrf_token(page.text)
    client.post(path_of(confirm_url), data={"csrf_token": token})
    again = client.post(path_of(confirm_url), data={"csrf_token": token})
    assert again.status_code == 200
    assert "already confirmed" in again.text
    mailbox.wait_for(2)
    with app.app_context():
        assert len(signatures_in_db()) == 1
        assert db.session.execute(sa.select(sa.func.count(OutboxMessage.id))).scalar() == 2


def test_tampered_confirmation_link_explains_and_changes_nothing(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    sign(client)
    confirm_url = link_in(mailbox.wait_for(1)[0], "/confirm/")
    tampered = path_of(confirm_url)[:-3] + "xyz"
    page = client.get(tampered)
    assert page.status_code == 404
    assert "We do not recognize this link" in page.text
    letter_page = client.get("/letters/test-letter")
    posted = client.post(tampered, data={"csrf_token": csrf_token(letter_page.text)})
    assert "This link cannot be used" in posted.text
    with app.app_context():
        assert signatures_in_db()[0].status == SignatureStatus.UNCONFIRMED


def test_confirm_without_csrf_token_is_refused(app: Flask, client: FlaskClient, mailbox: Mailbox):
    with app.app_context():
        create_letter()
    sign(client)
    confirm_url = link_in(mailbox.wait_for(1)[0], "/confirm/")
    response = client.post(path_of(confirm_url))
    assert response.status_code == 400
    with app.app_context():
        assert signatures_in_db()[0].status == SignatureStatus.UNCONFIRMED


def test_check_email_page_does_not_reveal_earlier_signatures(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    first = sign(client)
    second = sign(client)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    other = sign(client, email="someone.else@example.org", organization="Another Group")
    assert other.headers["Location"] == first.headers["Location"]


def test_closed_letter_shows_closed_and_takes_no_signature(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter(status=LetterStatus.CLOSED)
    page = client.get("/letters/test-letter")
    assert page.status_code == 200
    assert "Sign-on for this letter has closed" in page.text
    assert "Sign the letter" not in page.text


def test_draft_letter_is_not_public(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter(status=LetterStatus.DRAFT)
    assert client.get("/letters/test-letter").status_code == 404
    assert "Publish the data" not in client.get("/").text


def test_home_lists_open_letters(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter(slug="open-one", title="An open letter")
        create_letter(slug="closed-one", title="A closed letter", status=LetterStatus.CLOSED)
    home = client.get("/").text
    assert "An open letter" in home
    assert "A closed letter" not in home


def test_forged_host_header_does_not_change_emailed_links(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    page = client.get("/letters/test-letter", headers={"Host": "evil.example"})
    data = form_defaults(page.text) | form_data()
    client.post("/letters/test-letter", data=data, headers={"Host": "evil.example"})
    email = mailbox.wait_for(1)[0]
    assert "evil.example" not in text_body(email)
    assert link_in(email, "/confirm/").startswith("https://signon.example/")


def test_signing_writes_its_four_rows_in_at_most_six_sql_statements(
    app: Flask, client: FlaskClient
):
    """Read the letter, then in one statement its text, the email rules, whether the signer signed
    it before, the address's confirmations today and whether the letter has partners; write the
    signature, its link and its email together, then the audit event. A statement more per
    signature is a cost every signer pays."""
    app.config["MAIL_DELIVER_INLINE"] = False  # production: the request only queues the email
    with app.app_context():
        create_letter()
        engine = db.engine
    assert sign(client, email="first@example.org").status_code == 303
    page = client.get("/letters/test-letter")
    data = form_defaults(page.text) | form_data(email="second@example.org")
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(" ".join(statement.split()[:3]))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.post("/letters/test-letter", data=data).status_code == 303
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    writes = sorted(s for s in statements if not s.startswith("SELECT"))
    assert writes == [
        "INSERT INTO audit_event",
        "INSERT INTO outbox_message",
        "INSERT INTO signature",
        "INSERT INTO token",
    ], statements
    assert len(statements) <= 6, statements


def test_signing_reads_the_signers_record_through_an_index(app: Flask):
    """The signer's earlier signatures, the address's confirmations today and the rest signing
    reads are looked up, not scanned for: each signature would otherwise cost a pass over the
    letter's signatures or over every confirmation link ever sent."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("reads SQLite's query plans")
        letter = create_letter()
        db.session.refresh(letter)  # loaded before the statements are counted
        executed: list[tuple[str, object]] = []

        def record(conn: object, cursor: object, statement: str, params: object, *_: object):
            executed.append((statement, params))

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            history.on_record(letter.id, "a@b.example", "k")
            signing_reads.read(letter, "a@b.example", "k")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        assert len(executed) == 2, executed
        connection = db.session.connection()
        for statement, params in executed:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
            steps = [row[-1] for row in plan]
            scans = [s for s in steps if s.startswith("SCAN") and s != "SCAN CONSTANT ROW"]
            assert not scans, steps
            assert any("ix_signature_signer" in step for step in steps), steps
