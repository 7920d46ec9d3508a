"""Updates to signers: Markdown emails that greet each signer by the listed name, posted on the
letter's public page, newest first."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import Letter, LetterUpdate, Organizer, Signature
from signon.services import signatories, updates
from tests.conftest import Mailbox, html_body, login_as, text_body
from tests.factories import confirmed_signature, create_letter, create_organizer

MESSAGE = "We **delivered** the letter.\n\n- to the Secretary\n- on time\n\n[Read it](https://news.example/a)"


def letter_with_informed_signers(app: Flask) -> int:
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        first = confirmed_signature(
            letter,
            organization="open records alliance",
            email="dana@ora.example",
            keep_informed=True,
        )
        confirmed_signature(
            letter,
            organization="Data Rights Lab",
            name="Lee Park",
            email="lee@drl.example",
            keep_informed=True,
        )
        confirmed_signature(letter, organization="Quiet Org", email="q@quiet.example")
        assert first.signatory is not None
        signatories.edit_signatory(
            first.signatory, {"display_name": "Open Records Alliance"}, by=owner
        )
        return letter.id


def post_update(client: FlaskClient, token: str, letter_id: int, **fields: str) -> None:
    response = client.post(
        f"/admin/letters/{letter_id}/updates",
        data={"csrf_token": token, "subject": "Delivered", "message": MESSAGE, "public": "y"}
        | fields,
    )
    assert response.status_code == 302


def test_each_signer_is_greeted_by_the_listed_name_and_gets_markdown(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = letter_with_informed_signers(app)
    token = login_as(client, "ana@coalition.example")
    mailbox.clear()
    post_update(client, token, letter_id)
    messages = mailbox.wait_for(2)
    assert sorted(str(m["To"]) for m in messages) == ["dana@ora.example", "lee@drl.example"]
    [dana] = mailbox.to("dana@ora.example")
    [lee] = mailbox.to("lee@drl.example")
    assert text_body(dana).startswith("Dear Open Records Alliance,")  # as listed, not as typed
    assert text_body(lee).startswith("Dear Data Rights Lab,")
    html = html_body(dana)
    assert "<strong>delivered</strong>" in html
    assert "<li>to the Secretary</li>" in html
    assert 'href="https://news.example/a"' in html
    assert "We **delivered** the letter." in text_body(dana)  # Markdown reads as plain text
    assert "Dana" not in text_body(lee)
    assert str(dana["Subject"]) == "Delivered (Publish the data)"


def test_the_update_is_recorded_with_the_emails(app: Flask, client: FlaskClient):
    letter_id = letter_with_informed_signers(app)
    token = login_as(client, "ana@coalition.example")
    post_update(client, token, letter_id)
    with app.app_context():
        update = db.session.execute(sa.select(LetterUpdate)).scalar_one()
        author = db.session.execute(
            sa.select(Organizer).where(Organizer.email == "ana@coalition.example")
        ).scalar_one()
        assert update.letter_id == letter_id
        assert update.recipients == 2
        assert update.public is True
        assert update.created_by_id == author.id
        assert update.body_markdown == MESSAGE


def test_public_updates_show_on_the_letter_page_newest_first(app: Flask, client: FlaskClient):
    letter_id = letter_with_informed_signers(app)
    token = login_as(client, "ana@coalition.example")
    post_update(client, token, letter_id, subject="First news", message="The *first* one.")
    post_update(client, token, letter_id, subject="Hosts only", message="Not public.", public="")
    post_update(client, token, letter_id, subject="Second news", message="The second one.")
    with app.app_context():
        first = db.session.execute(
            sa.select(LetterUpdate).where(LetterUpdate.subject == "First news")
        ).scalar_one()
        first.created_at = first.created_at - timedelta(days=3)
        db.session.commit()
        expected_date = first.created_at.astimezone(ZoneInfo("America/New_York"))
    page = app.test_client().get("/letters/test-letter").text
    assert '<h2 id="updates-title">Updates</h2>' in page
    assert page.index("Second news") < page.index("First news")
    assert "The <em>first</em> one." in page
    assert "Hosts only" not in page
    assert "Not public." not in page
    assert f"{expected_date:%B} {expected_date.day}, {expected_date.year}" in page
    for private in ("ana@coalition.example", "dana@ora.example", "Dana Reyes", "2 signers"):
        assert private not in page


def test_without_updates_the_page_has_no_updates_section(app: Flask, client: FlaskClient):
    letter_with_informed_signers(app)
    assert "Updates</h2>" not in app.test_client().get("/letters/test-letter").text


def test_the_deliver_form_posts_publicly_by_default(app: Flask, client: FlaskClient):
    letter_id = letter_with_informed_signers(app)
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/deliver").text
    assert "Also post this update on the public letter page" in page
    [checkbox] = re.findall(r"<input[^>]*update_public[^>]*>", page)
    assert "checked" in checkbox
    assert 'name="public"' in checkbox


def test_script_in_an_update_is_neutralized_everywhere(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = letter_with_informed_signers(app)
    token = login_as(client, "ana@coalition.example")
    mailbox.clear()
    hostile = (
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))"
    )
    post_update(client, token, letter_id, subject="<svg onload=alert(1)>", message=hostile)
    page = app.test_client().get("/letters/test-letter").text
    for html in [page] + [html_body(m) for m in mailbox.wait_for(2)]:
        assert "<script>alert(1)" not in html
        assert "<img" not in html
        assert "<svg" not in html
        assert 'href="javascript' not in html
    assert "&lt;svg onload=alert(1)&gt;" in page


def test_an_update_to_nobody_is_still_posted(app: Flask, client: FlaskClient):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        update = updates.send_update(letter, "News", "Hello.", by=owner)
        assert update.recipients == 0
        assert updates.updates(letter, public_only=True) == [update]
        assert db.session.execute(sa.select(sa.func.count(Signature.id))).scalar_one() == 0
        assert isinstance(db.session.get(Letter, letter.id), Letter)


def test_an_update_can_be_taken_off_the_public_page(app: Flask, client: FlaskClient):
    letter_id = letter_with_informed_signers(app)
    token = login_as(client, "ana@coalition.example")
    post_update(client, token, letter_id, subject="Posted by mistake", message="Oops.")
    assert "Posted by mistake" in app.test_client().get("/letters/test-letter").text
    with app.app_context():
        update_id = db.session.execute(sa.select(LetterUpdate.id)).scalar_one()
    page = client.post(
        f"/admin/letters/{letter_id}/updates/{update_id}/unpublish",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "no longer shown on the public page" in page.text
    assert "Posted by mistake" not in app.test_client().get("/letters/test-letter").text
    with app.app_context():
        from signon.models import AuditEvent

        assert db.session.execute(
            sa.select(AuditEvent.action).where(AuditEvent.action == "letter.update_unpublished")
        ).scalar_one()


def test_an_update_that_cannot_be_sent_keeps_what_was_typed(app: Flask, client: FlaskClient):
    letter_id = letter_with_informed_signers(app)
    token = login_as(client, "ana@coalition.example")
    response = client.post(
        f"/admin/letters/{letter_id}/updates",
        data={"csrf_token": token, "subject": "", "message": "A long **careful** text."},
    )
    assert response.status_code == 422
    assert "Write a subject." in response.text
    assert "A long **careful** text." in response.text
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(LetterUpdate.id))).scalar_one() == 0


def test_updates_carry_a_one_click_unsubscribe_that_a_mail_client_can_post(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = letter_with_informed_signers(app)
    token = login_as(client, "ana@coalition.example")
    mailbox.clear()
    post_update(client, token, letter_id)
    [dana] = mailbox.to("dana@ora.example")
    assert dana["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(https?://[^>]+)>", str(dana["List-Unsubscribe"]))
    assert link is not None
    assert link.group(1) in text_body(dana)  # the same link as the one in the text
    path = re.sub(r"^https?://[^/]+", "", link.group(1))
    # As sent: the plain address on one line, not encoded words a mail app would not read.
    [source] = [s for s in mailbox.sources if b"dana@ora.example" in s]
    assert f"List-Unsubscribe: <{link.group(1)}>\r\n".encode() in source

    # A POST without the form's CSRF token that is not a one-click unsubscribe changes nothing.
    stranger = app.test_client()
    assert stranger.post(path, data={"confirm": "y"}).status_code == 400
    with app.app_context():
        informed = db.session.execute(
            sa.select(Signature.keep_informed).where(Signature.email == "dana@ora.example")
        ).scalar_one()
        assert informed is True

    # The mail client's one click: no cookie, no CSRF token, just the RFC 8058 body.
    clicked = stranger.post(path, data={"List-Unsubscribe": "One-Click"})
    assert (clicked.status_code, clicked.mimetype) == (200, "text/plain")
    with app.app_context():
        informed = db.session.execute(
            sa.select(Signature.keep_informed).where(Signature.email == "dana@ora.example")
        ).scalar_one()
        assert informed is False
    assert (
        stranger.post(
            "/unsubscribe/not-a-token", data={"List-Unsubscribe": "One-Click"}
        ).status_code
        == 404
    )

    mailbox.clear()
    post_update(client, token, letter_id)
    assert [str(m["To"]) for m in mailbox.wait_for(1)] == ["lee@drl.example"]
