"""Organizers write, preview, publish, revise, close, reopen and duplicate letters in the browser."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import (
    AuditEvent,
    Letter,
    LetterStatus,
    LetterTranslation,
    LetterVersion,
    Signature,
)
from signon.services import letter_copies, letters, questions, translations
from tests.conftest import Mailbox, csrf_token, link_in, login_as
from tests.factories import (
    confirmed_signature,
    create_letter,
    create_organizer,
    create_signature,
)


def letter_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Stop the data grab",
        "slug": "stop-the-data-grab",
        "body": "Dear Secretary,\n\nWe ask you to **stop**.\n",
        "categories": "National organizations\r\nState and local organizations\r\n",
        "deadline": "2031-03-01T17:00",
        "timezone": "America/Los_Angeles",
        "requires_approval": "y",
        "thank_you": "Thank you! Share the letter with *your members*.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def the_letter() -> Letter:
    return db.session.execute(sa.select(Letter)).scalar_one()


def test_organizer_creates_a_draft_previews_and_publishes(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
    token = login_as(client, "ana@coalition.example")
    page = client.get("/admin/letters/new")
    assert page.status_code == 200
    preview = client.post("/admin/letters/new", data=letter_form(csrf_token=token, preview="1"))
    assert "Preview (not saved yet)" in preview.text
    assert "<strong>stop</strong>" in preview.text
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Letter.id))).scalar() == 0

    saved = client.post("/admin/letters/new", data=letter_form(csrf_token=token, save="1"))
    assert saved.status_code == 302
    with app.app_context():
        letter = the_letter()
        assert letter.status == LetterStatus.DRAFT
        assert letter.categories == ["National organizations", "State and local organizations"]
        assert letter.deadline_at is not None
        assert letter.deadline_at.isoformat() == "2031-03-02T01:00:00+00:00"
        assert letter.requires_approval is True
        letter_id = letter.id
    assert client.get("/letters/stop-the-data-grab").status_code == 404

    dashboard = client.get(f"/admin/letters/{letter_id}")
    assert "Publish and open for signatures" in dashboard.text
    client.post(f"/admin/letters/{letter_id}/status", data={"csrf_token": token, "status": "open"})
    public = client.get("/letters/stop-the-data-grab")
    assert public.status_code == 200
    assert "Sign-on closes Saturday, March 1, 2031 at 5:00 PM PST" in public.text


def test_editor_explains_bad_input_and_keeps_it(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
        create_letter(slug="taken")
    token = login_as(client, "ana@coalition.example")
    bad = client.post(
        "/admin/letters/new",
        data=letter_form(csrf_token=token, slug="Not A Slug", title="", save="1"),
    )
    assert bad.status_code == 422
    assert "Give the letter a title." in bad.text
    assert "Use lowercase letters, digits and single hyphens" in bad.text
    assert "We ask you to **stop**." in bad.text
    taken = client.post(
        "/admin/letters/new", data=letter_form(csrf_token=token, slug="taken", save="1")
    )
    assert "already exists" in taken.text


def test_editing_signed_text_makes_a_new_version_and_needs_a_note(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        confirmed_signature(letter)
        letter_id = letter.id
    token = login_as(client, "ana@coalition.example")
    form = client.get(f"/admin/letters/{letter_id}/edit")
    assert "We ask you to **publish the data**." in form.text
    data = letter_form(csrf_token=token, slug="test-letter", body="A sharper text.\n", save="1")
    refused = client.post(f"/admin/letters/{letter_id}/edit", data=data)
    assert refused.status_code == 422
    assert "say in a few words what changed" in refused.text.lower()
    client.post(f"/admin/letters/{letter_id}/edit", data=data | {"change_note": "Sharper ask"})
    with app.app_context():
        versions = (
            db.session.execute(sa.select(LetterVersion).order_by(LetterVersion.number))
            .scalars()
            .all()
        )
        assert [v.number for v in versions] == [1, 2]
        assert versions[1].change_note == "Sharper ask"
        signature = db.session.execute(sa.select(Signature)).scalar_one()
        assert signature.version_id == versions[0].id  # history never rewritten
    dashboard = client.get(f"/admin/letters/{letter_id}")
    assert "1 signature was given on an earlier version" in dashboard.text

    page = client.get(f"/admin/letters/{letter_id}/earlier-versions")
    assert "Dana Reyes" in page.text
    client.post(
        f"/admin/letters/{letter_id}/earlier-versions",
        data={"csrf_token": csrf_token(page.text), "message": "We sharpened the ask."},
    )
    email = mailbox.wait_for(3)[-1]
    assert "The text you signed has changed" in email["Subject"]
    keep_path = link_in(email, "/keep/").split("signon.example", 1)[1]
    signer = client.application.test_client()
    keep_page = signer.get(keep_path)
    assert "Keep my signature" in keep_page.text
    kept = signer.post(keep_path, data={"csrf_token": csrf_token(keep_page.text)})
    assert "your signature stays on the letter" in kept.text
    with app.app_context():
        assert letters.signatures_on_earlier_versions(the_letter()) == []


def test_editing_unsigned_draft_text_changes_it_in_place(app: Flask, client: FlaskClient):
    with app.app_context():
        owner = create_organizer()
        letter_id = create_letter(owner=owner, status=LetterStatus.DRAFT).id
    token = login_as(client, "ana@coalition.example")
    client.post(
        f"/admin/letters/{letter_id}/edit",
        data=letter_form(csrf_token=token, slug="test-letter", body="Better words.\n", save="1"),
    )
    with app.app_context():
        assert db.session.execute(sa.select(LetterVersion.body_markdown)).scalars().all() == [
            "Better words.\n"
        ]


def test_close_reopen_and_status_rules(app: Flask, client: FlaskClient):
    with app.app_context():
        owner = create_organizer()
        letter_id = create_letter(owner=owner).id
    token = login_as(client, "ana@coalition.example")
    client.post(
        f"/admin/letters/{letter_id}/status", data={"csrf_token": token, "status": "closed"}
    )
    assert "has closed" in client.get("/letters/test-letter").text
    refused = client.post(
        f"/admin/letters/{letter_id}/status",
        data={"csrf_token": token, "status": "draft"},
        follow_redirects=True,
    )
    assert "a closed letter cannot become draft" in refused.text.lower()
    client.post(f"/admin/letters/{letter_id}/status", data={"csrf_token": token, "status": "open"})
    assert "Sign the letter" in client.get("/letters/test-letter").text
    with app.app_context():
        actions = db.session.execute(sa.select(AuditEvent.action)).scalars().all()
        assert actions.count("letter.status") == 3


def test_duplicate_starts_a_new_draft(app: Flask, client: FlaskClient):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        letter.sender_name = "Open Records Coalition"
        letter.reply_to = "lead@openrecords.example"
        letter.email_texts = {"confirm_signature": "Hi {name}, please confirm."}
        questions.add_question(
            letter, "Board meets when?", "text", required=True, choices=[], by=owner
        )
        letter_id = letter.id
    token = login_as(client, "ana@coalition.example")
    response = client.post(f"/admin/letters/{letter_id}/duplicate", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        copy = letters.get_by_slug("test-letter-copy")
        assert copy is not None
        assert copy.status == LetterStatus.DRAFT
        assert copy.title == "Copy of Publish the data"
        assert [q["label"] for q in copy.questions] == ["Board meets when?"]
        assert (copy.sender_name, copy.reply_to) == (
            "Open Records Coalition",
            "lead@openrecords.example",
        )
        assert copy.email_texts == {"confirm_signature": "Hi {name}, please confirm."}
        assert (
            letters.current_version(copy).body_markdown
            == letters.current_version(the_letter_by("test-letter")).body_markdown
        )


def the_letter_by(slug: str) -> Letter:
    letter = letters.get_by_slug(slug)
    assert letter is not None
    return letter


def test_private_preview_link_shows_a_draft_only_to_its_holders(app: Flask, client: FlaskClient):
    with app.app_context():
        owner = create_organizer()
        letter_id = create_letter(owner=owner, status=LetterStatus.DRAFT).id
    token = login_as(client, "ana@coalition.example")
    page = client.post(f"/admin/letters/{letter_id}/preview-link", data={"csrf_token": token})
    link = page.text.split('id="preview-link" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert link.startswith("https://signon.example/preview/")
    partner = app.test_client()
    shown = partner.get(link.split("signon.example", 1)[1])
    assert shown.status_code == 200
    assert "Private preview" in shown.text
    assert "Sign the letter" not in shown.text
    assert partner.get("/letters/test-letter").status_code == 404
    client.post(f"/admin/letters/{letter_id}/preview-link", data={"csrf_token": token})
    assert partner.get(link.split("signon.example", 1)[1]).status_code == 404  # replaced


def test_co_hosts_share_a_letter(app: Flask, client: FlaskClient):
    with app.app_context():
        owner = create_organizer()
        create_organizer("cohost@partner.example", name="Co")
        letter_id = create_letter(owner=owner).id
    token = login_as(client, "ana@coalition.example")
    other = app.test_client()
    login_as(other, "cohost@partner.example")
    assert other.get(f"/admin/letters/{letter_id}").status_code == 404
    unknown = client.post(
        f"/admin/letters/{letter_id}/hosts",
        data={"csrf_token": token, "email": "x@nowhere.example"},
        follow_redirects=True,
    )
    assert "had no account: we created one and emailed them an invitation" in unknown.text
    client.post(
        f"/admin/letters/{letter_id}/hosts",
        data={"csrf_token": token, "email": "cohost@partner.example"},
    )
    assert other.get(f"/admin/letters/{letter_id}").status_code == 200
    assert "Publish the data" in other.get("/admin/").text


def test_thank_you_message_shows_after_confirmation(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        letter.thank_you_markdown = "Please **share** the letter. <script>x</script>"
        db.session.commit()
        from tests.factories import create_signature

        create_signature(letter)
    path = link_in(mailbox.wait_for(1)[0], "/confirm/").split("signon.example", 1)[1]
    page = client.get(path)
    done = client.post(path, data={"csrf_token": csrf_token(page.text)})
    assert "Please <strong>share</strong> the letter." in done.text
    assert "<script>x</script>" not in done.text


def _translate(letter: Letter, title: str, by: Any) -> None:
    body = f"Estimada directora:\n\n{title}.\n"
    translations.save_translation(letter, "es", translations.TranslationDraft(title, body), by=by)


def test_duplicate_copies_the_latest_translation_onto_the_new_first_version(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        _translate(letter, "Publiquen los datos", owner)
        create_signature(letter)
        letters.revise_text(letter, "Dear Director,\n\nPublish **all** the data.\n", "All of it")
        _translate(letter, "Publiquen todos los datos", owner)
        letter_id = letter.id
    token = login_as(client, "ana@coalition.example")
    client.post(f"/admin/letters/{letter_id}/duplicate", data={"csrf_token": token})
    with app.app_context():
        copy = the_letter_by("test-letter-copy")
        [copied] = db.session.execute(
            sa.select(LetterTranslation).where(LetterTranslation.letter_id == copy.id)
        ).scalars()
        assert (copied.language, copied.title) == ("es", "Publiquen todos los datos")
        assert copied.version_id == letters.current_version_id(copy)
        assert [state.up_to_date for state in translations.states(copy)] == [True]
        assert translations.title_in(copy, "es") == "Publiquen todos los datos"
        original = the_letter_by("test-letter")
        assert len(db.session.execute(
            sa.select(LetterTranslation).where(LetterTranslation.letter_id == original.id)
        ).all()) == 2  # fmt: skip


def test_a_translation_behind_the_text_is_copied_still_marked_as_needing_an_update(ctx: Flask):
    owner = create_organizer()
    letter = create_letter(owner=owner)
    _translate(letter, "Publiquen los datos", owner)
    create_signature(letter)
    letters.revise_text(letter, "Dear Director,\n\nPublish **all** the data.\n", "All of it")
    copy = letter_copies.duplicate_letter(letter, author_id=owner.id)
    [state] = translations.states(copy)
    assert state.translation is not None
    assert state.translation.title == "Publiquen los datos"
    assert state.needs_update


def test_a_spanish_speaking_organizers_copy_is_titled_in_spanish(app: Flask, client: FlaskClient):
    with app.app_context():
        letter_id = create_letter(owner=create_organizer()).id
    token = login_as(client, "ana@coalition.example")
    client.set_cookie("signon_language", "es")
    response = client.post(f"/admin/letters/{letter_id}/duplicate", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        copy = letters.get_by_slug("test-letter-copy")
        assert copy is not None
        assert copy.title == "Copia de Publish the data"
