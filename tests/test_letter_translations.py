"""Translations of a letter: organizers save them per version, readers see the one in their
language (or the last one, with a note), and signing still signs the current text."""

from __future__ import annotations

import html
import re
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon import tokens
from signon.extensions import db
from signon.models import (
    AuditEvent,
    Letter,
    LetterTranslation,
    Organizer,
    Signature,
    TokenPurpose,
)
from signon.services import letter_editing, letters, signatures, signer_links, translations
from tests.conftest import (
    Mailbox,
    csrf_token,
    form_defaults,
    html_body,
    link_in,
    login_as,
    text_body,
)
from tests.factories import (
    confirmed_signature,
    create_letter,
    create_organizer,
    create_signature,
    form_data,
    signature_data,
)
from tests.test_state_races import TRIALS, at_once

ES = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
SPANISH_BODY = "Estimada directora:\n\nLe pedimos que **publique los datos**.\n"


def _letter_with_owner(app: Flask) -> int:
    with app.app_context():
        owner = create_organizer("owner@coalition.example")
        create_organizer("other@coalition.example")
        letter = create_letter(owner=owner)
        letter.thank_you_markdown = "Thank you for signing."
        db.session.commit()
        return letter.id


def _save_spanish(client: FlaskClient, token: str, letter_id: int, **overrides: str):
    data = {
        "csrf_token": token,
        "es-csrf_token": token,
        "es-title": "Publiquen los datos",
        "es-body": SPANISH_BODY,
        "es-thank_you": "Gracias por firmar.",
    }
    data.update(overrides)
    return client.post(f"/admin/letters/{letter_id}/translations/es", data=data)


def _new_version(app: Flask) -> None:
    with app.app_context():
        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        create_signature(letter)  # signed, so an edit makes a new version
        letters.revise_text(letter, "Dear Director,\n\nPublish **all** the data.\n", "All of it")


def test_organizer_saves_a_spanish_translation_and_it_is_audited(app: Flask, client: FlaskClient):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/translations")
    assert page.status_code == 200
    assert "Not translated" in page.text
    assert "We ask you to **publish the data**." in page.text  # the original, next to the form
    ids = re.findall(r'\bid="([^"]+)"', page.text)
    assert len(ids) == len(set(ids))  # the form's fields and the sections' headings apart

    response = _save_spanish(client, token, letter_id)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "Up to date" in page
    assert 'value="Publiquen los datos"' in page  # the form is filled with the translation
    with app.app_context():
        [row] = db.session.execute(sa.select(LetterTranslation)).scalars()
        assert row.language == "es"
        assert row.version_id == letters.current_version_id(row.version.letter)
        assert (
            row.body_html
            == "<p>Estimada directora:</p>\n<p>Le pedimos que <strong>publique los datos</strong>.</p>\n"
        )
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "letter.translated")
        ).scalar_one()
        assert event.after == {"language": "es", "version": 1}
        assert (event.subject_type, event.subject_id) == ("lettertranslation", row.id)


def test_saving_again_corrects_the_translation_of_the_same_version(app: Flask, client: FlaskClient):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    _save_spanish(client, token, letter_id)
    _save_spanish(client, token, letter_id, **{"es-title": "Publiquen todos los datos"})
    with app.app_context():
        [row] = db.session.execute(sa.select(LetterTranslation)).scalars()
        assert row.title == "Publiquen todos los datos"


def test_a_translation_without_text_is_refused_and_keeps_what_was_typed(
    app: Flask, client: FlaskClient
):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    response = _save_spanish(client, token, letter_id, **{"es-body": "   "})
    assert response.status_code == 422
    assert 'value="Publiquen los datos"' in response.text
    with app.app_context():
        assert db.session.execute(sa.select(LetterTranslation)).first() is None


def test_spanish_readers_see_the_translation_and_english_readers_the_original(
    app: Flask, client: FlaskClient
):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    _save_spanish(client, token, letter_id)
    reader = app.test_client()

    spanish = reader.get("/letters/test-letter", headers=ES).text
    assert '<html lang="es"' in spanish
    assert '<h1 id="letter-title">Publiquen los datos</h1>' in spanish
    assert "<strong>publique los datos</strong>" in spanish
    assert "We ask you to <strong>" not in spanish  # (the share card stays the original's)
    assert "versión anterior" not in spanish
    # The letter's languages, each named in its own, link to the language switch.
    assert re.search(r'href="/language/en\?next=/letters/test-letter"[^>]*>English</a>', spanish)
    assert re.search(r'hreflang="es" aria-current="true">Español</a>', spanish)

    english = reader.get("/letters/test-letter").text
    assert '<h1 id="letter-title">Publish the data</h1>' in english
    assert "We ask you to <strong>publish the data</strong>" in english
    assert "Publiquen" not in english


def test_the_original_in_a_spanish_page_says_its_language(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    page = client.get("/letters/test-letter", headers=ES).text
    assert '<h1 id="letter-title" lang="en">Publish the data</h1>' in page
    assert '<div class="letter-body" lang="en">' in page
    assert "Leer en" not in page  # no translation: nothing to choose between


def test_a_new_version_marks_the_translation_as_needing_an_update(app: Flask, client: FlaskClient):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    _save_spanish(client, token, letter_id)
    _new_version(app)

    page = client.get(f"/admin/letters/{letter_id}/translations").text
    assert "Needs an update: translated from version 1, the text is now version 2." in page
    dashboard = client.get(f"/admin/letters/{letter_id}").text
    assert "The text changed since it was translated into Spanish" in dashboard
    with app.app_context():
        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        assert [state.language for state in translations.needing_update(letter)] == ["es"]

    spanish = html.unescape(app.test_client().get("/letters/test-letter", headers=ES).text)
    assert "Publiquen los datos" in spanish
    assert (
        "Esta traducción es de una versión anterior de la carta; "
        '<a href="/language/en?next=/letters/test-letter">lea el texto actual en inglés</a>.'
    ) in spanish

    _save_spanish(client, token, letter_id, **{"es-body": "Publiquen **todos** los datos."})
    page = client.get(f"/admin/letters/{letter_id}/translations").text
    assert "Up to date" in page
    assert "The text changed since" not in client.get(f"/admin/letters/{letter_id}").text
    spanish = app.test_client().get("/letters/test-letter", headers=ES).text
    assert "<strong>todos</strong>" in spanish
    assert "versión anterior" not in spanish


def test_editing_the_unsigned_text_in_place_also_marks_the_translation(
    app: Flask, client: FlaskClient
):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    _save_spanish(client, token, letter_id)
    with app.app_context():
        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        draft = letter_editing.draft_of(letter)
        draft.body_markdown = "Dear Director,\n\nPublish the data by Friday.\n"
        owner = db.session.get(Organizer, letter.owner_id)
        assert owner is not None
        letter_editing.update_letter(letter, draft, "", author_id=owner.id)
        assert len(letters.current_version(letter).letter.versions) == 1  # edited in place
    page = client.get(f"/admin/letters/{letter_id}/translations").text
    assert "Needs an update: translated from version 1, which was edited since." in page
    spanish = app.test_client().get("/letters/test-letter", headers=ES).text
    assert "Publiquen los datos" in spanish
    assert "versión anterior" in spanish


def test_signing_from_the_spanish_page_signs_the_current_version_in_spanish(
    app: Flask, client: FlaskClient
):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    _save_spanish(client, token, letter_id)
    reader = app.test_client()
    page = reader.get("/letters/test-letter", headers=ES)
    data = form_defaults(page.text) | form_data(email="lucia@datos.example")
    response = reader.post("/letters/test-letter", data=data, headers=ES)
    assert response.status_code == 303
    with app.app_context():
        signature = db.session.execute(
            sa.select(Signature).where(Signature.email == "lucia@datos.example")
        ).scalar_one()
        assert signature.language == "es"
        assert signature.version_id == letters.current_version_id(signature.letter)


def test_a_script_in_the_translation_never_reaches_the_page(app: Flask, client: FlaskClient):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    body = 'Hola <script>alert("x")</script>\n\n[clic](javascript:alert(1))\n\n<img src=x onerror=alert(1)>'
    _save_spanish(client, token, letter_id, **{"es-body": body})
    page = app.test_client().get("/letters/test-letter", headers=ES).text
    assert "<script>alert" not in page
    assert 'href="javascript:' not in page
    assert "<img" not in page
    with app.app_context():
        [row] = db.session.execute(sa.select(LetterTranslation)).scalars()
        assert "<script" not in row.body_html


def test_another_letters_organizer_gets_not_found(app: Flask, client: FlaskClient):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "other@coalition.example")
    assert client.get(f"/admin/letters/{letter_id}/translations").status_code == 404
    assert _save_spanish(client, token, letter_id).status_code == 404
    with app.app_context():
        assert db.session.execute(sa.select(LetterTranslation)).first() is None


def test_only_the_sites_other_languages_can_be_translated_into(app: Flask, client: FlaskClient):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    assert (
        client.post(
            f"/admin/letters/{letter_id}/translations/en", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/admin/letters/{letter_id}/translations/fr", data={"csrf_token": token}
        ).status_code
        == 404
    )


def test_the_thank_you_message_after_confirming_is_the_translated_one(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    _save_spanish(client, token, letter_id)
    reader = app.test_client()
    page = reader.get("/letters/test-letter", headers=ES)
    reader.post("/letters/test-letter", data=form_defaults(page.text) | form_data(), headers=ES)
    [email] = mailbox.wait_for(1)
    confirm = urlsplit(link_in(email, "/confirm/")).path
    form = reader.get(confirm, headers=ES).text
    result = reader.post(confirm, data={"csrf_token": csrf_token(form)}, headers=ES).text
    assert '<div class="thank-you"><p>Gracias por firmar.</p>' in result
    assert "Thank you for signing." not in result
    with app.app_context():
        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        assert translations.thank_you_in(letter, "es") == ("Gracias por firmar.", "es")
        assert translations.thank_you_in(letter, "en") == ("Thank you for signing.", "en")


def _saving(letter_id: int, organizer_id: int, title: str) -> Any:
    """A racer: reads what the page would, then saves the Spanish translation."""
    letter = db.session.get(Letter, letter_id)
    organizer = db.session.get(Organizer, organizer_id)
    assert letter is not None
    assert organizer is not None
    letters.current_version(letter)
    draft = translations.TranslationDraft(title, SPANISH_BODY)
    return lambda: translations.save_translation(letter, "es", draft, by=organizer).id


def test_two_organizers_saving_the_same_translation_at_once_both_succeed(app: Flask):
    with app.app_context():
        owner = create_organizer("owner@coalition.example")
        owner_id = owner.id
        cohost_id = create_organizer("cohost@coalition.example").id
    for trial in range(TRIALS):
        with app.app_context():
            owner = db.session.get(Organizer, owner_id)
            letter_id = create_letter(slug=f"race-{trial}", owner=owner).id
        first, second = at_once(
            lambda: _saving(letter_id, owner_id, "Uno"),  # noqa: B023 - run within this trial
            lambda: _saving(letter_id, cohost_id, "Dos"),  # noqa: B023
            app=app,
        )
        with app.app_context():
            rows = list(
                db.session.execute(
                    sa.select(LetterTranslation).where(LetterTranslation.letter_id == letter_id)
                ).scalars()
            )
            assert [row.id for row in rows] == [first] == [second], trial
            assert rows[0].title in {"Uno", "Dos"}
            events = db.session.execute(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.letter_id == letter_id, AuditEvent.action == "letter.translated")
            ).scalar()
            assert events == 2, trial


def test_a_spanish_letter_translated_into_english_shows_english_to_english_readers(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        owner = create_organizer("owner@coalition.example")
        letter = create_letter(owner=owner, title="Publiquen los datos")
        letter.language = "es"
        db.session.commit()
        letter_id = letter.id
    english_reader = {"Accept-Language": "en-US,en;q=0.9"}
    # Untranslated, the letter's own language comes before the browser's.
    untranslated = app.test_client().get("/letters/test-letter", headers=english_reader).text
    assert '<html lang="es"' in untranslated
    token = login_as(client, "owner@coalition.example")
    saved = client.post(
        f"/admin/letters/{letter_id}/translations/en",
        data={
            "csrf_token": token,
            "en-csrf_token": token,
            "en-title": "Publish the data",
            "en-body": "Dear Director,\n\nPlease publish the data.\n",
            "en-thank_you": "",
        },
    )
    assert saved.status_code in (302, 303), saved.text
    reader = app.test_client()
    english = reader.get("/letters/test-letter", headers=english_reader).text
    assert '<html lang="en"' in english
    assert '<h1 id="letter-title">Publish the data</h1>' in english
    # A reader whose browser asks for neither still gets the letter's own language.
    french = reader.get("/letters/test-letter", headers={"Accept-Language": "fr"}).text
    assert '<html lang="es"' in french
    assert '<h1 id="letter-title">Publiquen los datos</h1>' in french


# The translated title wherever the letter is shown outside its page


def _spanish_signer(app: Flask) -> None:
    """A Spanish speaker signs from the Spanish page (and gets the confirmation email)."""
    reader = app.test_client()
    page = reader.get("/letters/test-letter", headers=ES)
    data = form_defaults(page.text) | form_data(email="lucia@datos.example")
    reader.post("/letters/test-letter", data=data, headers=ES)


def test_emails_to_a_spanish_signer_name_the_letter_by_its_spanish_title(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = _letter_with_owner(app)
    _save_spanish(client, login_as(client, "owner@coalition.example"), letter_id)
    _spanish_signer(app)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        create_signature(letter, email="dana@records.example")  # signed in English
    spanish, english = mailbox.wait_for(2)
    assert spanish["Subject"] == "Confirme su firma: Publiquen los datos"
    assert "«Publiquen los datos»" in text_body(spanish)
    assert "Publish the data" not in text_body(spanish) + html_body(spanish)
    assert english["Subject"] == "Please confirm your signature: Publish the data"
    assert "Publiquen" not in text_body(english)


def test_the_share_card_and_its_image_speak_the_pages_language(app: Flask, client: FlaskClient):
    letter_id = _letter_with_owner(app)
    _save_spanish(client, login_as(client, "owner@coalition.example"), letter_id)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        confirmed_signature(letter)
    reader = app.test_client()
    spanish = html.unescape(reader.get("/letters/test-letter", headers=ES).text)
    assert '<meta property="og:title" content="Publiquen los datos">' in spanish
    assert (
        '<meta property="og:description" content="1 organización ha firmado. Estimada '
        'directora: Le pedimos que publique los datos.">' in spanish
    )
    assert "https://signon.example/letters/test-letter/share.png?lang=es" in spanish
    english = html.unescape(reader.get("/letters/test-letter").text)
    assert '<meta property="og:title" content="Publish the data">' in english
    assert '"https://signon.example/letters/test-letter/share.png"' in english

    drawn_es = reader.get("/letters/test-letter/share.png?lang=es")
    drawn_en = reader.get("/letters/test-letter/share.png")
    assert drawn_es.status_code == drawn_en.status_code == 200
    assert drawn_es.data.startswith(b"\x89PNG")
    assert drawn_es.data != drawn_en.data
    assert reader.get("/letters/test-letter/share.png?lang=xx").data == drawn_en.data


def test_the_embedded_form_shows_the_title_in_the_frames_language(app: Flask, client: FlaskClient):
    letter_id = _letter_with_owner(app)
    _save_spanish(client, login_as(client, "owner@coalition.example"), letter_id)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        letter.embed_origins = ["https://partner.example"]
        db.session.commit()
    frame = app.test_client(use_cookies=False)
    spanish = frame.get("/letters/test-letter/embed", headers=ES).text
    assert '<h1 id="sign-title">Publiquen los datos</h1>' in spanish
    assert "<title>Firmar: Publiquen los datos" in spanish
    english = frame.get("/letters/test-letter/embed").text
    assert '<h1 id="sign-title">Publish the data</h1>' in english


# Asked to keep a signature on a new text: in the signer's language


def test_a_spanish_signer_is_asked_in_spanish_and_keeps_on_a_spanish_page(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    _save_spanish(client, token, letter_id)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        version = letters.current_version_id(letter)
        data = signature_data(email="lucia@datos.example")
        signature = signatures.sign_letter(letter, data, version_id=version, language="es")
        raw = tokens.issue(TokenPurpose.CONFIRM, timedelta(days=1), signature=signature)
        db.session.commit()
        signer_links.confirm_signature(raw)
        letters.revise_text(letter, "Dear Director,\n\nPublish **all** the data.\n", "All of it")
    mailbox.clear()
    page = client.get(f"/admin/letters/{letter_id}/earlier-versions")
    client.post(
        f"/admin/letters/{letter_id}/earlier-versions",
        data={"csrf_token": csrf_token(page.text), "message": "Pedimos todos los datos."},
    )
    [email] = mailbox.wait_for(1)
    assert email["Subject"] == "El texto que usted firmó ha cambiado: Publiquen los datos"
    text = text_body(email)
    assert "Usted firmó «Publiquen los datos»" in text
    assert "La traducción aún no está al día con esta versión" in text
    assert "https://signon.example/language/es?next=/letters/test-letter" in text

    signer = app.test_client()
    keep_path = urlsplit(link_in(email, "/keep/")).path
    keep_page = html.unescape(signer.get(keep_path).text)
    assert '<html lang="es"' in keep_page
    assert "Mantener mi firma" in keep_page
    assert "<strong>Publiquen los datos</strong>" in keep_page
    assert "La traducción aún no está al día con esta versión" in keep_page
    assert 'href="/language/es?next=/letters/test-letter"' in keep_page
    assert "Publish the data" not in keep_page

    _save_spanish(client, token, letter_id, **{"es-body": "Publiquen **todos** los datos."})
    keep_page = html.unescape(signer.get(keep_path).text)
    assert "La traducción aún no está al día" not in keep_page
    kept = signer.post(keep_path, data={"csrf_token": csrf_token(keep_page)})
    assert "Gracias: su firma sigue en la carta" in kept.text
    assert ">Publiquen los datos</a>" in kept.text


CATEGORY_NAMES = {"es-category_0": "Nacionales", "es-category_1": "Locales"}


def test_the_category_names_are_translated_with_the_rest(app: Flask, client: FlaskClient):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/translations").text
    assert '<label for="es-category_0"' in page
    assert re.search(r'<label for="es-category_0"[^>]*>\s*National\b', page)

    response = _save_spanish(client, token, letter_id, **{"es-category_1": "Locales"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert 'value="Locales"' in page
    with app.app_context():
        [row] = db.session.execute(sa.select(LetterTranslation)).scalars()
        assert row.categories == [["National", ""], ["Local", "Locales"]]  # blank: kept
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        assert translations.category_names_in(letter, "es") == {"Local": "Locales"}
        assert translations.category_names_in(letter, "en") == {}


def test_two_categories_with_the_same_name_are_refused_and_what_was_typed_kept(
    app: Flask, client: FlaskClient
):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    response = _save_spanish(
        client, token, letter_id, **{"es-category_0": "Todas", "es-category_1": "todas"}
    )
    assert response.status_code == 422
    assert "Two categories would both be called “todas”" in html.unescape(response.text)
    assert 'value="Todas"' in response.text
    too_long = _save_spanish(client, token, letter_id, **{"es-category_0": "x" * 121})
    assert too_long.status_code == 422
    assert "at most 120 characters" in too_long.text
    with app.app_context():
        assert db.session.execute(sa.select(LetterTranslation)).first() is None


def test_spanish_readers_see_and_choose_the_translated_categories_and_sign_the_original(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = _letter_with_owner(app)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        confirmed_signature(letter, organization="Datos Abiertos", email="d@datos.example")
    token = login_as(client, "owner@coalition.example")
    _save_spanish(client, token, letter_id, **CATEGORY_NAMES)
    reader = app.test_client()

    spanish = reader.get("/letters/test-letter", headers=ES).text
    assert "<h3>Nacionales</h3>" in spanish
    assert '<option value="National">Nacionales</option>' in spanish
    assert '<option value="Local">Locales</option>' in spanish
    english = reader.get("/letters/test-letter").text
    assert "<h3>National</h3>" in english
    assert '<option value="National">National</option>' in english

    data = form_defaults(spanish) | form_data(email="lucia@datos.example", category="Local")
    assert reader.post("/letters/test-letter", data=data, headers=ES).status_code == 303
    with app.app_context():
        signature = db.session.execute(
            sa.select(Signature).where(Signature.email == "lucia@datos.example")
        ).scalar_one()
        assert signature.category == "Local"
    # The confirmation page names the category as the signer chose it.
    deadline = time.monotonic() + 5
    while not mailbox.to("lucia@datos.example") and time.monotonic() < deadline:
        time.sleep(0.02)
    confirm_url = link_in(mailbox.to("lucia@datos.example")[-1], "/confirm/")
    confirm = reader.get(urlsplit(confirm_url).path, headers=ES).text
    assert "<dd>Locales</dd>" in confirm


def test_the_public_list_heading_changes_as_soon_as_the_names_are_saved(
    app: Flask, client: FlaskClient
):
    letter_id = _letter_with_owner(app)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        confirmed_signature(letter, organization="Datos Abiertos", email="d@datos.example")
    token = login_as(client, "owner@coalition.example")
    _save_spanish(client, token, letter_id)
    reader = app.test_client()
    assert "<h3>National</h3>" in reader.get("/letters/test-letter", headers=ES).text  # cached

    _save_spanish(client, token, letter_id, **CATEGORY_NAMES)
    assert "<h3>Nacionales</h3>" in reader.get("/letters/test-letter", headers=ES).text
    _save_spanish(client, token, letter_id, **{"es-category_0": "De alcance nacional"})
    assert "<h3>De alcance nacional</h3>" in reader.get("/letters/test-letter", headers=ES).text


def test_a_category_added_after_translating_shows_its_own_name_until_named(
    app: Flask, client: FlaskClient
):
    letter_id = _letter_with_owner(app)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        confirmed_signature(letter, organization="Datos Abiertos", email="d@datos.example")
    token = login_as(client, "owner@coalition.example")
    _save_spanish(client, token, letter_id, **CATEGORY_NAMES)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        draft = letter_editing.draft_of(letter)
        draft.categories = ["National", "Local", "Tribal"]
        assert letter.owner_id is not None
        letter_editing.update_letter(letter, draft, "", author_id=letter.owner_id)

    spanish = app.test_client().get("/letters/test-letter", headers=ES).text
    assert "<h3>Nacionales</h3>" in spanish  # the names already given stay with their category
    assert '<option value="National">Nacionales</option>' in spanish
    assert '<option value="Tribal">Tribal</option>' in spanish  # the new one, as written
    page = client.get(f"/admin/letters/{letter_id}/translations").text
    assert "The signatory categories need an update" in page
    assert 'value="Nacionales"' in page  # kept in its field, the new one's field empty

    _save_spanish(client, token, letter_id, **CATEGORY_NAMES, **{"es-category_2": "Tribales"})
    spanish = app.test_client().get("/letters/test-letter", headers=ES).text
    assert "<h3>Nacionales</h3>" in spanish
    assert "need an update" not in client.get(f"/admin/letters/{letter_id}/translations").text


def test_a_duplicated_letter_keeps_the_translated_category_names(app: Flask, client: FlaskClient):
    letter_id = _letter_with_owner(app)
    token = login_as(client, "owner@coalition.example")
    _save_spanish(client, token, letter_id, **CATEGORY_NAMES)
    client.post(f"/admin/letters/{letter_id}/duplicate", data={"csrf_token": token})
    with app.app_context():
        copy = letters.get_by_slug("test-letter-copy")
        assert copy is not None
        assert translations.category_names_in(copy, "es") == {
            "National": "Nacionales",
            "Local": "Locales",
        }
