"""A letter's own emails to signers: sender name, Reply-To, the organizers' texts and their preview,
read back from the real messages a loopback SMTP server received."""

from __future__ import annotations

from email.message import EmailMessage

from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import Letter
from signon.services import (
    intake,
    letter_emails,
    letters,
    moderation,
    signer_links,
    updates,
)
from tests.conftest import Mailbox, html_body, link_in, login_as, text_body
from tests.factories import (
    confirmed_signature,
    create_letter,
    create_organizer,
    create_signature,
    signature_data,
)


def settings_form(token: str, **changes: str) -> dict[str, str]:
    data = {
        "csrf_token": token,
        "sender_name": "Coalition for Open Records",
        "reply_to": "lead@openrecords.example",
        "confirm_signature": "Hi {name}, thanks for standing up for {letter_title}.",
        "signature_approved": "",
        "signature_rejected": "",
        "letter_update": "",
    }
    return data | changes


def setup_letter(app: Flask, **options: object) -> int:
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner, **options)  # type: ignore[arg-type]
        return letter.id


def every_signer_email(app: Flask, letter_id: int) -> None:
    """Walk one letter through each email its signers can get."""
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        owner = letter.hosts[0].organizer
        create_signature(letter, email="new@a.example")  # confirm_signature
        kept = confirmed_signature(letter, email="kept@b.example", keep_informed=True)
        create_signature(letter, email="kept@b.example")  # already_signed
        gone = confirmed_signature(letter, organization="Gone Org", email="gone@c.example")
        moderation.decide(letter, [kept.id], moderation.Decision.APPROVE, by=owner)
        moderation.decide(
            letter, [gone.id], moderation.Decision.REJECT, by=owner, reason="Out of scope."
        )
        updates.send_update(letter, "Delivered", "We *delivered* it.", by=owner)
        letters.revise_text(letter, "A new text.", "Shorter", author_id=owner.id)
        signer_links.ask_to_reconfirm(letter, "Please look again.", by=owner)
        intake.add_signature(
            letter,
            signature_data(organization="Phoned In", email="phone@d.example"),
            by=owner,
            source="By phone",
            approve=False,
            tell_signer=True,
        )


def templates_seen(messages: list[EmailMessage]) -> set[str]:
    subjects = " | ".join(str(m["Subject"]) for m in messages)
    return {
        kind
        for kind, marker in {
            "confirm": "Please confirm",
            "confirmed": "is confirmed",
            "already": "already signed",
            "approved": "is approved",
            "rejected": "About your signature",
            "update": "Delivered",
            "text_changed": "has changed",
            "added": "was added",
        }.items()
        if marker in subjects
    }


def test_the_settings_page_shows_the_default_texts_written_out(app: Flask, client: FlaskClient):
    letter_id = setup_letter(app)
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/emails")
    assert page.status_code == 200
    assert 'aria-current="page">Emails</a>' in page.text
    assert "Hello,\n\nPlease confirm that you sign" in page.text
    assert "Dear {organization}," in page.text
    assert page.text.count("<h1") == 1
    assert '<label for="reply_to">' in page.text


def test_saved_settings_shape_every_confirmation_email(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = setup_letter(app)
    token = login_as(client, "ana@coalition.example")
    saved = client.post(f"/admin/letters/{letter_id}/emails", data=settings_form(token))
    assert saved.status_code == 302
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        assert letter.sender_name == "Coalition for Open Records"
        assert letter.reply_to == "lead@openrecords.example"
        assert set(letter.email_texts) == {"confirm_signature"}  # the defaults stay empty
        create_signature(letter)
    [email] = mailbox.wait_for(1)
    assert email["From"].addresses[0].display_name == "Coalition for Open Records via signon"
    assert email["From"].addresses[0].addr_spec == "letters@signon.example"
    assert str(email["Reply-To"]) == "lead@openrecords.example"
    text = text_body(email)
    # Sent before the address is proven: the typed name stays out, whatever the text says.
    assert text.startswith("Hi, thanks for standing up for Publish the data.")
    assert link_in(email, "/confirm/")  # the system adds the link whatever the text says
    assert "replies go to lead@openrecords.example" in text
    assert "Hi, thanks" in html_body(email)
    assert "Dana Reyes" not in text + html_body(email)


def test_an_unknown_placeholder_is_an_error_next_to_its_field_and_nothing_is_lost(
    app: Flask, client: FlaskClient
):
    letter_id = setup_letter(app)
    token = login_as(client, "ana@coalition.example")
    typed = "Hello {nom}, please confirm."
    page = client.post(
        f"/admin/letters/{letter_id}/emails",
        data=settings_form(token, confirm_signature=typed, sender_name="Typed Name"),
    )
    assert page.status_code == 422
    assert 'id="confirm_signature-error"' in page.text
    assert "Unknown placeholder {nom}" in page.text
    assert typed in page.text
    assert 'value="Typed Name"' in page.text
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        assert letter.sender_name == ""
        assert letter.email_texts == {}


def test_a_text_asking_for_replies_needs_a_reply_to_address(app: Flask, client: FlaskClient):
    letter_id = setup_letter(app)
    token = login_as(client, "ana@coalition.example")
    asks = "Hello {name}. Questions? Just reply to this email."
    refused = client.post(
        f"/admin/letters/{letter_id}/emails",
        data=settings_form(token, reply_to="", signature_approved=asks),
    )
    assert refused.status_code == 422
    assert "replies reach nobody without a Reply-To address" in refused.text
    accepted = client.post(
        f"/admin/letters/{letter_id}/emails", data=settings_form(token, signature_approved=asks)
    )
    assert accepted.status_code == 302


def test_a_bad_reply_to_address_is_refused(app: Flask, client: FlaskClient):
    letter_id = setup_letter(app)
    token = login_as(client, "ana@coalition.example")
    page = client.post(
        f"/admin/letters/{letter_id}/emails",
        data=settings_form(token, reply_to="lead@"),
    )
    assert page.status_code == 422
    assert 'id="reply_to-error"' in page.text


def test_preview_shows_each_email_as_a_signer_gets_it_and_saves_nothing(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = setup_letter(app)
    token = login_as(client, "ana@coalition.example")
    page = client.post(f"/admin/letters/{letter_id}/emails", data=settings_form(token, preview="1"))
    assert page.status_code == 200
    assert "Preview (not saved yet)" in page.text
    assert "Please confirm your signature: Publish the data" in page.text
    assert "Coalition for Open Records via signon &lt;letters@signon.example&gt;" in page.text
    assert "Hi, thanks for standing up for Publish the data." in page.text
    assert "Dear Open Records Alliance," in page.text  # the update's default greeting
    assert "We list only organizations based in the United States." in page.text
    assert "lead@openrecords.example" in page.text
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        assert letter.sender_name == ""
        assert letter.email_texts == {}
    assert mailbox.messages == []


def test_a_cleared_text_goes_back_to_the_default(app: Flask, client: FlaskClient):
    letter_id = setup_letter(app)
    token = login_as(client, "ana@coalition.example")
    client.post(f"/admin/letters/{letter_id}/emails", data=settings_form(token))
    client.post(
        f"/admin/letters/{letter_id}/emails", data=settings_form(token, confirm_signature="")
    )
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        assert letter.email_texts == {}
        assert letter_emails.text_for(letter, "confirm_signature").startswith("Hello,")


def test_without_a_reply_to_no_signer_email_mentions_replies(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = setup_letter(app, requires_approval=True)
    every_signer_email(app, letter_id)
    messages = mailbox.wait_for(10)
    assert templates_seen(messages) == {
        "confirm",
        "confirmed",
        "already",
        "approved",
        "rejected",
        "update",
        "text_changed",
        "added",
    }
    for message in messages:
        assert message["Reply-To"] is None
        assert "reply" not in text_body(message).lower(), message["Subject"]
        assert "reply" not in html_body(message).lower(), message["Subject"]
    [rejected] = [m for m in messages if "About your signature" in str(m["Subject"])]
    assert "contact the organizers of the letter directly" in text_body(rejected)
    assert "Out of scope." in text_body(rejected)


def test_with_a_reply_to_every_signer_email_carries_it(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = setup_letter(app, requires_approval=True)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        letter.reply_to = "lead@openrecords.example"
        letter.sender_name = "Open Records Coalition"
        db.session.commit()
    every_signer_email(app, letter_id)
    messages = mailbox.wait_for(10)
    assert len(templates_seen(messages)) == 8
    for message in messages:
        assert str(message["Reply-To"]) == "lead@openrecords.example", message["Subject"]
        assert "Open Records Coalition via signon" in str(message["From"])
        assert "replies go to lead@openrecords.example" in text_body(message), message["Subject"]


def test_organizer_emails_never_take_a_letters_sender(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = setup_letter(app)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        letter.reply_to = "lead@openrecords.example"
        letter.sender_name = "Open Records Coalition"
        letter.hosts[0].notify = "each"
        db.session.commit()
        confirmed_signature(letter)
    messages = mailbox.wait_for(2)
    [notice] = [m for m in messages if "ana@coalition.example" in str(m["To"])]
    assert notice["Reply-To"] is None
    assert str(notice["From"]) == "signon <letters@signon.example>"


def test_what_organizers_and_signers_type_stays_text_in_the_emails(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = setup_letter(app)
    token = login_as(client, "ana@coalition.example")
    client.post(
        f"/admin/letters/{letter_id}/emails",
        data=settings_form(
            token,
            sender_name="Tenants & Friends",
            confirm_signature='<img src=x onerror=alert(1)> {organization} <a href="javascript:x">',
        ),
    )
    preview = client.post(
        f"/admin/letters/{letter_id}/emails",
        data=settings_form(token, preview="1", sender_name="<script>alert(1)</script>"),
    )
    assert "<script>alert(1)" not in preview.text
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        create_signature(letter, organization="<b>Dana</b>")
    [email] = mailbox.wait_for(1)
    html = html_body(email)
    assert "<img" not in html
    assert "<b>Dana" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; “&lt;b&gt;Dana&lt;/b&gt;”" in html


def test_a_sender_name_cannot_pose_as_an_address(app: Flask, client: FlaskClient):
    letter_id = setup_letter(app)
    token = login_as(client, "ana@coalition.example")
    for name in ("Bank <security@bank.example>", "security@bank.example"):
        page = client.post(
            f"/admin/letters/{letter_id}/emails", data=settings_form(token, sender_name=name)
        )
        assert page.status_code == 422
        assert "Write a name only, without an email address" in page.text
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        assert letter.sender_name == ""
