"""The press release: its headline, updates on top, the page that edits it and its two downloads."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from markdown_it import MarkdownIt

from signon import i18n
from signon.demo import add_approved_signatories
from signon.exports import press as press_export
from signon.extensions import db
from signon.models import (
    AuditEvent,
    Letter,
    LetterUpdate,
    Organizer,
    PressRelease,
    Signature,
)
from signon.services import deliveries, frozen_lists, press, press_drafts, translations
from signon.services.press_drafts import ReleaseChoices
from tests.conftest import Mailbox, login_as
from tests.factories import confirmed_signature, create_letter, create_organizer

ASK = "call on ICE to comply with FOIA"
DASH = "\u2013"  # the dateline's en dash
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOUBLED = re.compile(r"organizations?\s*\(\s*(exactly\s*)?[\d,]+ organizations?", re.I)


# --- Headlines --------------------------------------------------------------------------------


def test_the_lead_and_the_other_organizations_are_each_counted_once():
    listed = ["OpenTheGovernment"] + [f"Group {n}" for n in range(52)]
    others = press_drafts.others_count(["OpenTheGovernment"], listed)
    assert others == 52
    assert (
        press_drafts.headline(["OpenTheGovernment"], others, ASK)
        == "OpenTheGovernment and 52 organizations call on ICE to comply with FOIA"
    )


def test_a_lead_that_has_not_signed_does_not_reduce_the_count():
    assert press_drafts.others_count(["Lead Org"], ["A", "B", "C"]) == 3
    assert press_drafts.others_count(["the lead org"], ["Lead Org", "B"]) == 1


def test_one_lead_alone_takes_the_singular_and_no_and_zero():
    assert press_drafts.headline(["OpenTheGovernment"], 0, ASK) == (
        "OpenTheGovernment calls on ICE to comply with FOIA"
    )
    assert press_drafts.headline(["Open Records"], 0, "press the agency") == (
        "Open Records presses the agency"
    )
    assert press_drafts.headline(["Open Records"], 0, "deny the merger") == (
        "Open Records denies the merger"
    )


def test_several_leads_are_joined_as_a_reader_would():
    assert (
        press_drafts.headline(["A", "B", "C"], 0, ASK)
        == "A, B and C call on ICE to comply with FOIA"
    )
    assert press_drafts.headline(["A", "B"], 0, ASK) == "A and B call on ICE to comply with FOIA"
    assert press_drafts.headline(["A", "B", "C"], 50, ASK) == (
        "A, B, C and 50 organizations call on ICE to comply with FOIA"
    )


def test_without_a_lead_the_count_leads():
    assert press_drafts.headline([], 53, ASK) == "53 organizations call on ICE to comply with FOIA"
    assert press_drafts.headline([], 1, ASK) == "One organization calls on ICE to comply with FOIA"
    assert (
        press_drafts.headline([], 7, ASK) == "Seven organizations call on ICE to comply with FOIA"
    )
    assert press_drafts.headline([], 0, ASK) == "A coalition calls on ICE to comply with FOIA"


@pytest.mark.parametrize(
    ("others", "phrase"),
    [
        (1, "one organization"),
        (19, "nineteen organizations"),
        (52, "52 organizations"),
        (99, "99 organizations"),
        (100, "100 organizations"),
        (247, "more than 200 organizations"),
        (1_234, "more than 1,200 organizations"),
    ],
)
def test_large_counts_round_down_as_journalists_write_them(others: int, phrase: str):
    assert (
        press_drafts.headline(["OTG"], others, ASK)
        == f"OTG and {phrase} call on ICE to comply with FOIA"
    )


def test_the_ask_is_tidied_and_a_missing_ask_falls_back_to_the_letter():
    assert press_drafts.headline(["OTG"], 3, "Call on ICE to comply with FOIA.") == (
        "OTG and three organizations call on ICE to comply with FOIA"
    )
    assert press_drafts.headline(["OTG"], 0, "", title="Publish the data") == (
        "OTG signs “Publish the data”"
    )


def test_lead_names_split_on_semicolons_and_lines_never_on_commas():
    assert press_drafts.lead_names("Alpha, Inc.; Beta\nGamma ;; Beta") == [
        "Alpha, Inc.",
        "Beta",
        "Gamma",
    ]


def test_a_release_starting_with_a_list_keeps_the_dateline_on_its_own_line():
    assert press_drafts.lead_in(f"X {DASH}", "Today we ask.") == f"X {DASH} Today we ask."
    assert press_drafts.lead_in(f"X {DASH}", "- one\n- two") == f"X {DASH}\n\n- one\n- two"


# --- The release from a letter ----------------------------------------------------------------


def make_letter(signers: int = 3) -> Letter:
    owner = create_organizer()
    letter = create_letter(owner=owner, categories=["National", "Local"])
    letter.opened_at = datetime(2017, 4, 24, 14, tzinfo=UTC)
    db.session.commit()
    confirmed_signature(
        letter,
        organization="OpenTheGovernment",
        email="lisa@otg.example",
        name="Lisa Rowe",
        title="Executive Director",
        press_contact=True,
    )
    for n in range(1, signers):
        confirmed_signature(
            letter,
            organization=f"Records Group {n}",
            email=f"r{n}@records{n}.example",
            category="Local",
        )
    return letter


def add_update(letter: Letter, body: str, day: datetime, public: bool = True) -> None:
    db.session.add(
        LetterUpdate(
            letter_id=letter.id,
            subject="News",
            body_markdown=body,
            public=public,
            created_at=day,
        )
    )
    db.session.commit()


def save(letter: Letter, **choices: str) -> None:
    owner = db.session.execute(sa.select(Letter.owner_id).where(Letter.id == letter.id)).scalar()
    from signon.models import Organizer

    by = db.session.get(Organizer, owner)
    assert by is not None
    press.save(letter, ReleaseChoices(**choices), by=by)


def test_the_drafted_release_has_every_part_in_order(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    save(letter, lead_organizations="OpenTheGovernment", ask=ASK, dateline="Washington")
    markdown = press_export.as_markdown(press.release(letter))
    lines = markdown.splitlines()
    assert lines[0] == "# OpenTheGovernment and two organizations call on ICE to comply with FOIA"
    assert lines[2].startswith(
        f"WASHINGTON, April 24, 2017 {DASH} Today, OpenTheGovernment and two"
    )
    assert "[Quote from OpenTheGovernment:" in markdown
    assert "Read the letter: https://signon.example/letters/test-letter" in markdown
    order = [
        markdown.index(part)
        for part in (
            "WASHINGTON",
            "[Quote from",
            "Read the letter:",
            "## Signatories",
            "**3 organizations**",
            "### National",
            "### Local",
            "## Press contacts",
            "- Lisa Rowe, Executive Director, OpenTheGovernment: lisa@otg.example",
        )
    ]
    assert order == sorted(order)
    assert lines[-1] == "\\###"
    assert "r1@records1.example" not in markdown  # only agreed press contacts
    assert not DOUBLED.search(markdown)


def test_public_updates_go_on_top_newest_first_and_mark_the_headline(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    add_update(letter, "The agency **answered**.", datetime(2017, 5, 9, 16, tzinfo=UTC))
    add_update(letter, "A lawsuit was filed.", datetime(2017, 6, 2, 16, tzinfo=UTC))
    add_update(letter, "Private note.", datetime(2017, 7, 1, 16, tzinfo=UTC), public=False)
    release = press.release(letter)
    assert release.headline == "Updated: Three organizations sign “Publish the data”"
    assert release.updates == [
        "Update (June 2, 2017): A lawsuit was filed.",
        "Update (May 9, 2017): The agency **answered**.",
    ]
    markdown = press_export.as_markdown(release)
    assert "Private note" not in markdown
    assert (
        markdown.index("Update (June 2, 2017)")
        < markdown.index("Update (May 9, 2017)")
        < markdown.index(f"[CITY], April 24, 2017 {DASH}")
    )
    save(letter, headline="Updated: Groups sue")
    assert press.release(letter).headline == "Updated: Groups sue"  # never "Updated: Updated:"


def test_the_dateline_takes_the_day_of_the_public_delivery(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    owner = letter.owner_id
    from signon.models import Organizer

    by = db.session.get(Organizer, owner)
    assert by is not None
    snapshot = frozen_lists.freeze(letter, by=by)
    deliveries.record_delivery(
        letter,
        snapshot,
        delivered_on=date(2017, 5, 1),
        recipient="the Acting Director of ICE",
        method="email",
        notes="",
        public=True,
        by=by,
    )
    save(letter, dateline="new york", ask=ASK)
    body = press.release(letter).body_markdown
    assert body.startswith(f"NEW YORK, May 1, 2017 {DASH} Today, three organizations call on ICE")
    assert "delivered to the Acting Director of ICE." in body


def test_a_headline_left_as_drafted_follows_the_count_and_an_edited_one_stays(
    ctx: Flask, mailbox: Mailbox
):
    letter = make_letter()
    shown = press.for_form(letter)
    save(
        letter,
        lead_organizations="OpenTheGovernment",
        ask=ASK,
        headline=shown.headline,
        body_markdown=shown.body_markdown,
    )
    row = db.session.get(PressRelease, letter.id)
    assert row is not None
    assert (row.headline, row.body_markdown) == ("", "")
    confirmed_signature(letter, organization="Late Group", email="late@late.example")
    release = press.release(letter)
    assert release.headline.startswith("OpenTheGovernment and three organizations call on")
    assert "OpenTheGovernment and three organizations call on" in release.body_markdown

    save(letter, lead_organizations="OpenTheGovernment", ask=ASK, headline="Groups ask ICE")
    assert press.release(letter).headline == "Groups ask ICE"


def test_what_people_typed_cannot_become_markup(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    confirmed_signature(letter, organization="<script>x</script> [a](javascript:1)", email="h@h.ex")
    save(letter, lead_organizations="*Bold* Org", dateline="<b>DC</b>")
    html = press.preview_html(press.release(letter))
    assert "<script>" not in html
    assert "<a " not in html
    assert "[a](javascript:1)" in html  # shown as typed, never a link
    assert "<b>" not in html
    assert "&lt;B&gt;DC&lt;/B&gt;, April 24, 2017" in html
    assert "*Bold* Org" in html


# --- The page and the downloads ---------------------------------------------------------------


@pytest.fixture
def letter_id(app: Flask) -> int:
    with app.app_context():
        return make_letter().id


def test_the_page_offers_the_drafted_release_without_a_doubled_count(
    app: Flask, client: FlaskClient, letter_id: int
):
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/press-kit")
    assert page.status_code == 200
    text = page.text
    assert 'value="Three organizations sign “Publish the data”"' in text
    assert "Today, three organizations sign “Publish the data”, a coalition letter." in text
    assert "[Quote from a lead organization:" in text
    assert "Download the press release (DOCX)" in text
    assert "Download the press release (Markdown)" in text
    assert "Three organizations" in text
    assert not DOUBLED.search(text)
    with app.app_context():
        assert db.session.get(PressRelease, letter_id) is None  # looking saves nothing


def test_a_large_coalition_reads_right_on_the_page_and_in_the_file(app: Flask, client: FlaskClient):
    with app.app_context():
        letter = create_letter(owner=create_organizer())
        names = ["OpenTheGovernment"] + [f"Coalition Member {n:02}" for n in range(52)]
        add_approved_signatories(
            letter,
            [(name, "National", "Denver", "CO") for name in names],
            email_domain="members.example",
            signer="Signer",
        )
        db.session.commit()
        save(letter, lead_organizations="OpenTheGovernment", ask=ASK)
        letter_id = letter.id
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/press-kit").text
    headline = "OpenTheGovernment and 52 organizations call on ICE to comply with FOIA"
    assert f'value="{headline}"' in page
    assert (
        'More than 50 organizations</strong> <span class="meta">(exactly 53 organizations)' in page
    )
    assert f">{headline}</textarea>" in page  # the headline to copy, counted once
    assert not DOUBLED.search(page.replace("(exactly 53 organizations)", ""))
    markdown = client.get(f"/admin/letters/{letter_id}/press-release.md").data.decode()
    assert markdown.startswith(f"# {headline}\n")
    assert "**53 organizations**" in markdown
    assert not DOUBLED.search(markdown)


def test_saving_needs_csrf_keeps_the_choices_and_is_audited(
    app: Flask, client: FlaskClient, letter_id: int
):
    token = login_as(client, "ana@coalition.example")
    url = f"/admin/letters/{letter_id}/press-kit"
    data = {
        "lead_organizations": "OpenTheGovernment",
        "ask": ASK,
        "dateline": "Washington",
        "headline": "OTG and allies press ICE",
        "body": "Today we ask.\r\n\r\n[Quote from Lisa Rowe]",
    }
    assert client.post(url, data=data).status_code == 400
    response = client.post(url, data=data | {"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url}#release-preview")
    page = client.get(url).text
    assert "Press release saved." in page
    assert f"WASHINGTON, April 24, 2017 {DASH} Today we ask." in page
    with app.app_context():
        row = db.session.get(PressRelease, letter_id)
        assert row is not None
        assert (row.lead_organizations, row.headline) == ("OpenTheGovernment", data["headline"])
        assert row.body_markdown == "Today we ask.\n\n[Quote from Lisa Rowe]"
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "press_release.saved")
        ).scalar_one()
        assert event.letter_id == letter_id
        assert event.actor_id == row.updated_by_id
        assert event.after is not None
        assert event.after["headline"] == data["headline"]


def test_a_headline_too_long_is_refused_with_the_form_kept(
    app: Flask, client: FlaskClient, letter_id: int
):
    token = login_as(client, "ana@coalition.example")
    response = client.post(
        f"/admin/letters/{letter_id}/press-kit",
        data={"csrf_token": token, "headline": "x" * 301, "ask": "keep this ask"},
    )
    assert response.status_code == 422
    assert "Field cannot be longer than 300 characters." in response.text
    assert 'value="keep this ask"' in response.text
    with app.app_context():
        assert db.session.get(PressRelease, letter_id) is None


def docx_paragraphs(data: bytes) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in Document(io.BytesIO(data)).paragraphs if p.text]


def test_the_two_downloads_say_the_same_thing(app: Flask, client: FlaskClient, letter_id: int):
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        add_update(letter, "The agency answered.", datetime(2017, 5, 9, 16, tzinfo=UTC))
        save(letter, lead_organizations="OpenTheGovernment", ask=ASK, dateline="Washington")
    login_as(client, "ana@coalition.example")
    docx = client.get(f"/admin/letters/{letter_id}/press-release.docx")
    assert docx.status_code == 200
    assert docx.headers["Content-Type"] == DOCX_TYPE
    assert docx.headers["Content-Disposition"] == (
        'attachment; filename="test-letter-press-release.docx"'
    )
    md = client.get(f"/admin/letters/{letter_id}/press-release.md")
    assert md.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert md.headers["Content-Disposition"] == (
        'attachment; filename="test-letter-press-release.md"'
    )

    paragraphs = docx_paragraphs(docx.data)
    headline = "Updated: OpenTheGovernment and two organizations call on ICE to comply with FOIA"
    assert paragraphs[0] == ("Heading 1", headline)
    assert paragraphs[1] == ("Normal", "Update (May 9, 2017): The agency answered.")
    assert paragraphs[2][1].startswith(
        f"WASHINGTON, April 24, 2017 {DASH} Today, OpenTheGovernment"
    )
    assert ("Heading 2", "Signatories") in paragraphs
    assert ("Subtitle", "3 organizations") in paragraphs
    assert ("Heading 3", "National") in paragraphs
    assert ("Heading 2", "Press contacts") in paragraphs
    assert paragraphs[-1] == ("Normal", "###")

    tokens = MarkdownIt("commonmark").parse(md.data.decode("utf-8"))
    blocks = [
        (tokens[i - 1].tag, token.content)
        for i, token in enumerate(tokens)
        if token.type == "inline" and token.content
    ]
    rendered = [re.sub(r"\*\*|\\", "", text) for _, text in blocks]
    assert blocks[0] == ("h1", headline)
    # Every paragraph of the Word file is in the Markdown file, in the same order.
    positions = [rendered.index(text) for _, text in paragraphs]
    assert positions == sorted(positions)
    assert len(rendered) == len(paragraphs)


def test_downloading_changes_nothing(app: Flask, client: FlaskClient, letter_id: int):
    login_as(client, "ana@coalition.example")
    for path in ("press-release.docx", "press-release.md"):
        assert client.get(f"/admin/letters/{letter_id}/{path}").status_code == 200
    with app.app_context():
        assert db.session.get(PressRelease, letter_id) is None
        assert db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar() == (
            db.session.execute(
                sa.select(sa.func.count(AuditEvent.id)).where(
                    AuditEvent.action != "press_release.saved"
                )
            ).scalar()
        )


def test_another_organizers_press_kit_is_not_found(app: Flask, client: FlaskClient, letter_id: int):
    with app.app_context():
        create_organizer("other@coalition.example")
    anonymous = app.test_client()
    for path in ("press-kit", "press-release.docx", "press-release.md"):
        response = anonymous.get(f"/admin/letters/{letter_id}/{path}")
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    token = login_as(client, "other@coalition.example")
    for path in ("press-kit", "press-release.docx", "press-release.md"):
        assert client.get(f"/admin/letters/{letter_id}/{path}").status_code == 404
    response = client.post(
        f"/admin/letters/{letter_id}/press-kit",
        data={"csrf_token": token, "headline": "Hijacked"},
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(PressRelease, letter_id) is None
        assert db.session.execute(sa.select(sa.func.count(Signature.id))).scalar() == 3


# --- In the letter's other languages ---------------------------------------------------------


def translate(letter: Letter) -> None:
    owner = db.session.get(Organizer, letter.owner_id)
    assert owner is not None
    draft = translations.TranslationDraft("Publiquen los datos", "Le pedimos que publique.")
    translations.save_translation(letter, "es", draft, by=owner)


def test_spanish_headlines_are_whole_sentences_with_the_count_in_words(ctx: Flask):
    with i18n.speaking("es"):
        assert press_drafts.headline([], 7, "", title="Datos", language="es") == (
            "Siete organizaciones firman «Datos»"
        )
        assert (
            press_drafts.headline(["OTG"], 0, "", title="Datos", language="es")
            == "OTG firma «Datos»"
        )
        assert press_drafts.headline(["A", "B"], 247, "", language="es") == (
            "A, B y más de 200 organizaciones firman una carta"
        )
        # The ask is the organizer's own words: quoted whole, never conjugated as English.
        assert press_drafts.headline([], 1, ASK, language="es") == (
            "Una organización: call on ICE to comply with FOIA"
        )
        assert press_drafts.headline([], 0, "", language="es") == "Una coalición firma una carta"


def test_the_spanish_release_drafts_in_spanish_and_english_stays_as_it_was(
    ctx: Flask, mailbox: Mailbox
):
    letter = make_letter()
    for number, name in enumerate(["Ñandú Colectivo", "Nube Verde"]):
        confirmed_signature(letter, organization=name, email=f"n{number}@nube.example")
    translate(letter)
    add_update(letter, "La agencia respondió.", datetime(2017, 5, 9, 16, tzinfo=UTC))
    assert press.languages(letter) == ["en", "es"]

    markdown = press_export.as_markdown(press.release(letter, "es"))
    lines = markdown.splitlines()
    assert lines[0] == "# Actualizado: Cinco organizaciones firman «Publiquen los datos»"
    assert lines[2] == "Actualización (9 de mayo de 2017): La agencia respondió."
    assert lines[4] == (
        f"[CIUDAD], 24 de abril de 2017 {DASH} Hoy, cinco organizaciones firman «Publiquen "
        "los datos», una carta de coalición. La lista completa de firmantes figura a "
        "continuación."
    )
    assert "[Cita de una organización impulsora: quién habla" in markdown.replace("\\", "")
    assert "Texto completo de la carta: https://signon.example/letters/test-letter" in markdown
    assert "## Firmantes" in markdown
    assert "**5 organizaciones**" in markdown
    assert markdown.index("Nube Verde") < markdown.index("Ñandú Colectivo")  # ñ after n
    assert "## Contactos de prensa" in markdown

    english = press_export.as_markdown(press.release(letter))
    assert english.startswith("# Updated: Five organizations sign “Publish the data”\n")
    assert english.index("Ñandú Colectivo") < english.index("Nube Verde")
    assert "Publiquen" not in english


def test_what_the_organizer_wrote_stays_as_written_in_every_language(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    translate(letter)
    save(letter, dateline="Washington", headline="Our own words", body_markdown="We wrote this.")
    release = press.release(letter, "es")
    assert release.headline == "Our own words"
    assert release.body_markdown.startswith(
        f"WASHINGTON, 24 de abril de 2017 {DASH} We wrote this.\n\nTexto completo de la carta:"
    )


def test_the_press_kit_offers_the_letters_languages_for_download(
    app: Flask, client: FlaskClient, letter_id: int
):
    login_as(client, "ana@coalition.example")
    assert 'id="release-language"' not in client.get(f"/admin/letters/{letter_id}/press-kit").text
    untranslated = client.get(f"/admin/letters/{letter_id}/press-release.md?language=es")
    assert untranslated.data.startswith(b"# Three organizations sign")  # the letter's language
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        translate(letter)
    page = client.get(f"/admin/letters/{letter_id}/press-kit").text
    assert '<option value="es">Spanish</option>' in page
    spanish = client.get(f"/admin/letters/{letter_id}/press-release.md?language=es")
    assert spanish.headers["Content-Disposition"] == (
        'attachment; filename="test-letter-press-release-es.md"'
    )
    assert spanish.data.decode().startswith("# Tres organizaciones firman «Publiquen los datos»")
    docx = client.get(f"/admin/letters/{letter_id}/press-release.docx?language=es")
    assert ("Heading 2", "Firmantes") in docx_paragraphs(docx.data)
    english = client.get(f"/admin/letters/{letter_id}/press-release.md")
    assert english.headers["Content-Disposition"] == (
        'attachment; filename="test-letter-press-release.md"'
    )
