"""List exports in the letter's languages: the fixed words, the dates, the count in words and the
order of the names follow the language chosen, and English stays as it was."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from signon import mailworker, transaction
from signon.cli import cli
from signon.exports import big_pdf
from signon.exports import press as press_export
from signon.exports.model import ListOptions
from signon.extensions import db
from signon.models import DocumentJob, JobState, Letter, Listing, Organizer, utcnow
from signon.services import (
    counting,
    deliverables,
    document_jobs,
    frozen_lists,
    letters,
    list_documents,
    listing,
    press,
    translations,
)
from tests.conftest import Mailbox, build_app, login_as
from tests.factories import confirmed_signature, create_letter, create_organizer

NAMES = ["Nube Verde", "Ñandú Colectivo", "Ángeles Unidos", "Azul Red", "Oso Pardo", "Alba Libre"]
SPANISH_ORDER = [
    "Alba Libre",
    "Ángeles Unidos",
    "Azul Red",
    "Nube Verde",
    "Ñandú Colectivo",
    "Oso Pardo",
]


def make_letter(*, hidden: int = 0, individual: bool = False) -> Letter:
    letter = create_letter(owner=create_organizer())
    letter.allows_individuals = individual
    db.session.commit()
    for number, name in enumerate(NAMES):
        signature = confirmed_signature(letter, organization=name, email=f"s{number}@org.example")
        if number < hidden:
            signature.listing = Listing.COUNT_ONLY
    if individual:
        confirmed_signature(
            letter, kind="individual", organization="", name="Jordan Blake", email="j@example.org"
        )
    listing.list_changed(letter.id)
    db.session.commit()
    return letter


def export(letter: Letter, fmt: str, language: str = "es", **options: bool) -> bytes:
    chosen = ListOptions(language=language, **options)
    return b"".join(deliverables.export(letter, fmt, chosen).chunks())


@pytest.mark.parametrize(
    ("count", "spanish", "english"),
    [
        (1, "una organización", "one organization"),
        (21, "veintiuna organizaciones", "twenty-one organizations"),
        (53, "cincuenta y tres organizaciones", "fifty-three organizations"),
        (100, "cien organizaciones", "one hundred organizations"),
        (1000, "mil organizaciones", "one thousand organizations"),
        (221, "doscientas veintiuna organizaciones", "two hundred and twenty-one organizations"),
        (21000, "veintiuna mil organizaciones", "twenty-one thousand organizations"),
    ],
)
def test_counts_in_words_agree_with_organizations(
    ctx: Flask, count: int, spanish: str, english: str
):
    assert counting.organizations_in_words(count, "es") == spanish
    assert counting.organizations_in_words(count, "en") == english


def test_spanish_numbers_keep_the_masculine_unless_asked():
    assert counting.count_in_words(21, "es") == "veintiuno"
    assert counting.count_in_words(21, "es", feminine=True) == "veintiuna"
    assert counting.count_in_words(31, "es", feminine=True) == "treinta y una"
    assert counting.count_in_words(21000, "es") == "veintiún mil"
    # The millions are a noun of their own: they stay masculine.
    assert counting.count_in_words(201_000_000, "es", feminine=True) == "doscientos un millones"


def test_headline_counts_in_spanish(ctx: Flask):
    assert counting.headline_count(7, "es") == "siete organizaciones"
    assert counting.headline_count(53, "es") == "más de 50 organizaciones"
    assert counting.headline_count(1234, "es") == "más de 1200 organizaciones" or (
        counting.headline_count(1234, "es") == "más de 1.200 organizaciones"
    )
    assert counting.headline_count(53) == "more than 50 organizations"


def test_spanish_text_export_has_spanish_words_and_order(ctx: Flask, mailbox: Mailbox):
    letter = make_letter(hidden=1, individual=True)
    text = export(letter, "text", with_place=False).decode()
    lines = text.splitlines()
    assert lines[0] == "6 organizaciones, 1 de ellas sin nombre, y 1 persona a título individual"
    assert "A título individual" in lines
    names = [line for line in lines if line in NAMES]
    assert names == [name for name in SPANISH_ORDER if name != "Nube Verde"]
    english = export(letter, "text", "en").decode()
    assert english.splitlines()[0].startswith("6 organizations, 1 of them not named")
    assert "Individuals" in english.splitlines()
    # The root order of the English export puts "Ñ" with the N's, after "Nube" as well, but
    # it does not follow Spanish: "Ángeles" still files with the A's.
    assert english.index("Ángeles Unidos") < english.index("Azul Red")


def test_spanish_order_puts_enye_after_n_and_accents_with_their_letter(ctx: Flask):
    keyed = sorted([*NAMES, "Nada", "Ñu"], key=lambda name: listing.sort_key(name, "es"))
    assert keyed.index("Ñandú Colectivo") > keyed.index("Nube Verde")
    assert keyed.index("Ñu") > keyed.index("Nube Verde")
    assert keyed.index("Ángeles Unidos") < keyed.index("Azul Red")
    assert keyed[:3] == ["Alba Libre", "Ángeles Unidos", "Azul Red"]
    # English keeps setting "The" aside; Spanish articles are part of the name.
    assert listing.sort_key("The Zeta Fund", "es") > listing.sort_key("Alba", "es")
    assert listing.sort_key("The Zeta Fund", "es") > listing.sort_key("Tierra", "es")
    assert listing.sort_key("La Raza", "es") < listing.sort_key("Luna", "es")


def test_spanish_csv_headers(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    rows = list(csv.reader(io.StringIO(export(letter, "csv").decode("utf-8-sig"))))
    assert rows[0] == ["sección", "categoría", "nombre", "lugar", "tipo"]
    assert [row[2] for row in rows[1:]] == SPANISH_ORDER
    assert rows[1][0] == "lista"
    english = list(csv.reader(io.StringIO(export(letter, "csv", "en").decode("utf-8-sig"))))
    assert english[0] == ["section", "category", "name", "place", "kind"]


def test_spanish_docx_and_pdf(ctx: Flask, mailbox: Mailbox):
    letter = make_letter(hidden=2)
    document = Document(io.BytesIO(export(letter, "docx")))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 2", "Firmantes") in paragraphs
    assert ("Subtitle", "6 organizaciones, 2 de ellas sin nombre") in paragraphs
    assert any(" de 20" in text for _, text in paragraphs[:3])  # '6 de diciembre de 2026'
    listed = [text for style, text in paragraphs if style == "List"]
    assert [line.partition(",")[0] for line in listed] == [
        name for name in SPANISH_ORDER if name not in NAMES[:2]
    ]
    reader = PdfReader(io.BytesIO(export(letter, "pdf")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Firmantes" in text
    assert "6 organizaciones, 2 de ellas sin nombre" in text
    assert text.index("Oso Pardo") > text.index("Azul Red")
    assert "Página 1 de 1" in text
    assert "Page 1" not in text


def test_a_pdf_made_in_parts_numbers_its_pages_in_spanish(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    doc = list_documents.list_document(letter, ListOptions(language="es"))
    body = letters.current_version(letter).body_html
    made = big_pdf.letter_pdf(doc, body, utcnow(), size=2)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(made)).pages)
    assert "Firmantes" in text
    assert "Página 1 de" in text
    assert "Page 1" not in text


def test_addendum_after_a_freeze_is_in_spanish(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    frozen_lists.freeze(letter, by=create_organizer("boss@coalition.example"))
    confirmed_signature(letter, organization="Ñu Tardío", email="late@org.example")
    text = export(letter, "text").decode()
    assert text.splitlines()[0] == "6 organizaciones"
    assert "FIRMARON DESPUÉS DE LA ENTREGA DE LA LISTA EL" in text
    assert "1 organización" in text.partition("FIRMARON")[2]
    english = export(letter, "text", "en").decode()
    assert "SIGNED AFTER THE LIST WAS DELIVERED ON" in english


def test_deliver_page_offers_the_languages_defaulting_to_the_letters(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter = make_letter()
        letter.language = "es"
        db.session.commit()
        letter_id = letter.id
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/deliver").text
    assert re.search(
        r'<input type="radio" name="language" value="es" id="language-es"[^>]*checked', page
    )
    assert '<label for="language-en" lang="en">English</label>' in page
    spanish = client.get(f"/admin/letters/{letter_id}/export?format=text&place=0")
    assert spanish.text.startswith("6 organizaciones")
    english = client.get(f"/admin/letters/{letter_id}/export?format=text&place=0&language=en")
    assert english.text.startswith("6 organizations")
    # A language the site does not speak is the letter's.
    other = client.get(f"/admin/letters/{letter_id}/export?format=text&place=0&language=xx")
    assert other.text == spanish.text


def test_cli_export_in_spanish(app: Flask, mailbox: Mailbox):
    with app.app_context():
        make_letter()
    runner = app.test_cli_runner()
    result = runner.invoke(
        cli, ["export", "test-letter", "--format", "text", "--no-place", "--language", "es"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "6 organizaciones"
    assert [line for line in result.output.splitlines() if line in NAMES] == SPANISH_ORDER
    english = runner.invoke(cli, ["export", "test-letter", "--format", "text"])
    assert english.output.startswith("6 organizations")
    bad = runner.invoke(cli, ["export", "test-letter", "--format", "text", "--language", "xx"])
    assert bad.exit_code == 2
    assert "--language" in bad.output


def test_a_document_made_by_the_worker_keeps_the_language(
    app_config: dict[str, Any], mailbox: Mailbox
):
    for app in build_app(app_config | {"DOCUMENT_INLINE_LIMIT": 2, "MAIL_DELIVER_INLINE": False}):
        with app.app_context():
            letter = make_letter()
            owner = create_organizer("boss@coalition.example")
            job = deliverables.export_or_queue(
                letter, "docx", ListOptions(language="es"), actor=owner
            )
            assert isinstance(job, DocumentJob)
            transaction.commit()
            assert document_jobs.options_of(job).language == "es"
            english = document_jobs.request(letter, "docx", ListOptions(), by=owner)
            transaction.commit()
            assert english.id != job.id
            assert english.spec == "docx/grouped/place/now"
            assert document_jobs.options_of(english).language == "en"
            mailworker.Worker(interval=0, echo=lambda line: None).drain()
            db.session.expire_all()
            made = db.session.get_one(DocumentJob, job.id)
            assert made.state == JobState.DONE
            assert made.content is not None
            paragraphs = [p.text for p in Document(io.BytesIO(made.content)).paragraphs]
            assert "Firmantes" in paragraphs
            assert "6 organizaciones" in paragraphs


def _translate_categories(letter: Letter, names: list[str]) -> None:
    owner = db.session.get(Organizer, letter.owner_id)
    assert owner is not None
    draft = translations.TranslationDraft(
        "Publiquen los datos", "Le pedimos que publique.", categories=names
    )
    translations.save_translation(letter, "es", draft, by=owner)


def test_spanish_exports_head_the_groups_with_the_translated_category_names(
    ctx: Flask, mailbox: Mailbox
):
    letter = make_letter()
    confirmed_signature(
        letter, organization="Barrio Unido", email="b@barrio.example", category="Local"
    )
    _translate_categories(letter, ["Nacionales", ""])  # blank: "Local" keeps its name

    text = export(letter, "text").decode().splitlines()
    assert "Nacionales" in text
    assert "Local" in text
    assert "### Nacionales" in export(letter, "markdown").decode()
    assert "<h3>Nacionales</h3>" in export(letter, "html").decode()
    rows = list(csv.reader(io.StringIO(export(letter, "csv").decode("utf-8-sig"))))
    assert {row[1] for row in rows[1:]} == {"National", "Local"}  # the data keeps the original

    english = export(letter, "text", "en").decode()
    assert "National" in english.splitlines()
    assert "Nacionales" not in english

    release = press_export.as_markdown(press.release(letter, "es"))
    assert "### Nacionales" in release
    assert "Nacionales" not in press_export.as_markdown(press.release(letter))


def test_translated_category_names_follow_their_original_when_the_categories_change(
    ctx: Flask, mailbox: Mailbox
):
    """Names are found by the original category, never by position: a category moved keeps its
    name, a renamed one shows its new original name, and none is ever given another's."""
    letter = make_letter()
    _translate_categories(letter, ["Nacionales", "Locales"])
    letter.categories = ["Local", "National", "Tribal"]  # moved, and one added
    listing.list_changed(letter.id)
    transaction.commit()
    assert translations.category_names_in(letter, "es") == {
        "National": "Nacionales",
        "Local": "Locales",
    }
    text = export(letter, "text").decode().splitlines()
    assert "Nacionales" in text

    letter.categories = ["Local", "National groups"]  # renamed
    listing.list_changed(letter.id)
    transaction.commit()
    assert translations.category_names_in(letter, "es") == {"Local": "Locales"}
    assert "Nacionales" not in export(letter, "text").decode()
