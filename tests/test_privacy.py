"""Signers' data: erased on request, purged after a letter closes, never public."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.cli import cli
from signon.extensions import db
from signon.models import Letter, LetterStatus, OutboxMessage, Signature, utcnow
from signon.services import contacts, listing, retention
from tests.conftest import Mailbox, csrf_token, link_in
from tests.factories import confirmed_signature, create_letter, create_signature


def test_signer_erases_their_contact_data_through_the_email_link(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter = create_letter()
        letter_id = letter.id
        create_signature(letter, note="call me", press_contact=True)
    confirm = link_in(mailbox.wait_for(1)[0], "/confirm/").split("signon.example", 1)[1]
    page = client.get(confirm)
    client.post(confirm, data={"csrf_token": csrf_token(page.text)})
    erase = link_in(mailbox.wait_for(2)[1], "/erase/").split("signon.example", 1)[1]
    page = client.get(erase)
    assert "Erase my contact details" in page.text
    done = client.post(erase, data={"csrf_token": csrf_token(page.text)})
    assert "Your contact details are erased" in done.text
    with app.app_context():
        signature = db.session.execute(sa.select(Signature)).scalar_one()
        assert (signature.name, signature.email, signature.note) == ("[erased]", "", "")
        assert signature.erased_at is not None
        assert not signature.press_contact
        assert contacts.press_contacts(db.session.get(Letter, letter_id)) == []  # type: ignore[arg-type]
        assert db.session.execute(sa.select(sa.func.count(OutboxMessage.id))).scalar() == 0
        assert listing.public_list(db.session.get(Letter, letter_id)).count_line == "1 organization"  # type: ignore[arg-type]
    assert "Open Records Alliance" in client.get("/letters/test-letter").text


def test_purge_erases_contacts_after_the_letter_closed_long_enough(app: Flask, mailbox: Mailbox):
    with app.app_context():
        old = create_letter(slug="old-letter")
        confirmed_signature(old)
        recent = create_letter(slug="recent-letter")
        confirmed_signature(recent, email="x@recent.example")
        for letter, days in ((old, 200), (recent, 10)):
            letter.status = LetterStatus.CLOSED
            letter.closed_at = utcnow() - timedelta(days=days)
        db.session.commit()
        assert retention.purge_date(old) is not None
    result = app.test_cli_runner().invoke(cli, ["purge"])
    assert result.exit_code == 0
    assert "Erased the contact data of 1 signatures on: old-letter." in result.output
    with app.app_context():
        emails = dict(db.session.execute(sa.select(Signature.letter_id, Signature.email)).all())
        old_letter = db.session.execute(
            sa.select(Letter).where(Letter.slug == "old-letter")
        ).scalar_one()
        assert emails[old_letter.id] == ""
        assert "x@recent.example" in emails.values()
        assert old_letter.purged_at is not None
        assert listing.public_list(old_letter).count_line == "1 organization"
    assert "Nothing to purge." in app.test_cli_runner().invoke(cli, ["purge"]).output


def test_privacy_page_explains_what_is_kept(client: FlaskClient):
    page = client.get("/privacy")
    assert page.status_code == 200
    assert "180 days after a letter closes" in page.text


def test_client_addresses_are_stored_only_as_keyed_hashes(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    from tests.conftest import form_defaults
    from tests.factories import form_data

    with app.app_context():
        create_letter()
    page = client.get("/letters/test-letter")
    client.post(
        "/letters/test-letter",
        data=form_defaults(page.text) | form_data(),
        environ_overrides={"REMOTE_ADDR": "203.0.113.9"},
    )
    with app.app_context():
        stored = db.session.execute(sa.select(Signature.client_hash)).scalar_one()
    assert stored
    assert "203.0.113.9" not in stored
    assert len(stored) == 64
