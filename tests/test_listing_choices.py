"""How signers are listed: named, counted without the name shown, or the organization without the
signer's name and title; held in the sign form (both readings), every public surface, every
export, the press kit, the emails and the organizer's pages."""

from __future__ import annotations

import csv
import io
import json
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader

from signon.cli import cli
from signon.exports import formats
from signon.exports.model import ListOptions
from signon.extensions import db
from signon.models import (
    AuditEvent,
    Letter,
    Listing,
    ListSnapshot,
    Organizer,
    Signature,
    SignatureStatus,
)
from signon.services import (
    contacts,
    deliverables,
    frozen_lists,
    list_documents,
    listing,
    listing_choices,
    moderation,
    press,
    press_drafts,
    sharing,
)
from signon.services.listing import ListCounts, count_line
from signon.views import public
from tests.conftest import Mailbox, form_defaults, login_as, text_body
from tests.factories import (
    confirmed_signature,
    create_letter,
    create_organizer,
    create_signature,
    form_data,
)
from tests.test_state_races import at_once

HIDDEN = "Quiet Coalition"  # asked to be counted only
SHOWN = "Open Records Alliance"
NAMELESS = "Press Freedom Fund"  # listed without its signer's name and title
QUIET_PERSON = "Jordan Blake"  # an individual counted only

# --- The count line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "line"),
    [
        ((53, 0, 0, 0), "53 organizations"),
        ((53, 0, 4, 0), "53 organizations, 4 of them not named"),
        ((53, 0, 1, 0), "53 organizations, 1 of them not named"),
        ((1, 0, 1, 0), "1 organization, not named"),
        ((3, 0, 3, 0), "3 organizations, none of them named"),
        ((53, 12, 0, 0), "53 organizations and 12 individuals"),
        ((53, 12, 4, 0), "53 organizations, 4 of them not named, and 12 individuals"),
        ((53, 12, 0, 2), "53 organizations and 12 individuals, 2 of them not named"),
        (
            (53, 12, 4, 2),
            "53 organizations, 4 of them not named, and 12 individuals, 2 of them not named",
        ),
        ((53, 1, 0, 1), "53 organizations and 1 individual, not named"),
        ((0, 2, 0, 2), "0 organizations and 2 individuals, none of them named"),
        ((1200, 0, 1000, 0), "1,200 organizations, 1,000 of them not named"),
    ],
)
def test_the_count_line_says_honestly_how_many_are_not_named(
    counts: tuple[int, int, int, int], line: str
) -> None:
    assert count_line(*counts) == line
    organizations, individuals, hidden_organizations, hidden_individuals = counts
    listed = ListCounts(
        organizations, individuals, hidden_organizations + hidden_individuals, hidden_individuals
    )
    assert listed.count_line == line
    assert listed.total == organizations + individuals


def test_a_count_in_a_sentence_closes_the_not_named_clause() -> None:
    assert sharing.count_sentence(ListCounts(53, 0, 4)) == (
        "53 organizations, 4 of them not named, have signed"
    )
    assert sharing.count_sentence(ListCounts(1, 0, 1)) == "1 organization, not named, has signed"
    assert sharing.count_sentence(ListCounts(5, 2, 1, 0)) == (
        "5 organizations, 1 of them not named, and 2 individuals have signed"
    )
    assert sharing.count_sentence(ListCounts(5, 0)) == "5 organizations have signed"


# --- The sign form, read either way ------------------------------------------------------------


def sign(client: FlaskClient, slug: str = "test-letter", **overrides: str) -> Any:
    page = client.get(f"/letters/{slug}")
    return client.post(f"/letters/{slug}", data=form_defaults(page.text) | form_data(**overrides))


def only_signature() -> Signature:
    return db.session.execute(sa.select(Signature)).scalar_one()


def test_the_form_offers_the_three_choices_in_a_fieldset_the_first_chosen(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        create_letter()
    html = client.get("/letters/test-letter").text
    fieldset = html[
        html.index('id="listing"') : html.index("</fieldset>", html.index('id="listing"'))
    ]
    assert "<legend>How should we list you?</legend>" in fieldset
    assert 'aria-describedby="listing-hint"' in html
    values = [part.split('"')[0] for part in fieldset.split('value="')[1:]]
    assert values == ["named", "count_only", "without_person"]
    assert '<input checked id="listing-0"' in fieldset
    assert fieldset.count("checked") == 1
    assert "Count us, but don&#39;t show our name" in fieldset
    assert "List the organization, without my name and title" in fieldset


@pytest.mark.parametrize("choice", ["count_only", "without_person", "named"])
def test_the_fast_reading_saves_the_choice_without_building_the_form(
    app: Flask, client: FlaskClient, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch, choice: str
) -> None:
    with app.app_context():
        create_letter()

    def no_form(*args: object, **kwargs: object) -> None:
        raise AssertionError("SignForm built for a valid POST")

    page = client.get("/letters/test-letter")
    monkeypatch.setattr(public, "sign_form", no_form)
    response = client.post(
        "/letters/test-letter", data=form_defaults(page.text) | form_data(listing=choice)
    )
    assert response.status_code == 303
    with app.app_context():
        assert only_signature().listing == choice
    email = mailbox.wait_for(1)[0]
    words = {
        "named": "List our organization",
        "count_only": "Count us, but don't show our name",
        "without_person": "List the organization, without my name and title",
    }[choice]
    assert f"How you asked to be listed: “{words}”." in text_body(email)


def test_the_form_reading_saves_the_choice_too(
    app: Flask, client: FlaskClient, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        create_letter()
    monkeypatch.setattr(public, "read_posted", lambda shape: None)
    assert sign(client, listing="without_person").status_code == 303
    with app.app_context():
        assert only_signature().listing == Listing.WITHOUT_PERSON


@pytest.mark.parametrize("hostile", ["hidden", "Named", "<script>x</script>", "count_only "])
def test_a_hostile_choice_is_refused_clearly_and_everything_typed_is_kept(
    app: Flask, client: FlaskClient, hostile: str
) -> None:
    with app.app_context():
        create_letter()
    response = sign(client, listing=hostile, title="Treasurer & Chair")
    assert response.status_code == 422
    assert "Choose how we should list you: one of the choices shown." in response.text
    assert '<a href="#listing">' in response.text  # the error summary leads to the fieldset
    assert 'value="Treasurer &amp; Chair"' in response.text
    assert "<script>x</script>" not in response.text
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Signature.id))).scalar_one() == 0


def individuals_letter() -> Letter:
    letter = create_letter()
    letter.allows_individuals = True
    db.session.commit()
    return letter


def test_an_individual_is_named_or_counted_never_listed_without_their_name(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        individuals_letter()
    html = client.get("/letters/test-letter").text
    assert "Count us, but don&#39;t show our name (or mine, if I sign as an individual)" in html
    response = sign(
        client, signing_as="individual", organization="", listing="without_person", city="Reno"
    )
    assert response.status_code == 422
    assert "When you sign as an individual, your name is the listing" in response.text
    assert 'value="Reno"' in response.text
    assert (
        sign(client, signing_as="individual", organization="", listing="count_only").status_code
        == 303
    )
    with app.app_context():
        signature = only_signature()
        assert (signature.kind, signature.listing) == ("individual", "count_only")
        assert signature.listing_words == "Count me, but don't show my name"


# --- Every public surface ----------------------------------------------------------------------


def listed_letter() -> Letter:
    """Named, counted only, and without the signer's name, plus an individual counted only."""
    owner = create_organizer()
    letter = create_letter(owner=owner)
    letter.allows_individuals = True
    db.session.commit()
    confirmed_signature(letter, organization=SHOWN, press_contact=True)
    confirmed_signature(
        letter,
        organization=HIDDEN,
        email="q@quiet.example",
        name="Quinn Hidden",
        city="Duluth",
        listing="count_only",
        press_contact=True,
    )
    confirmed_signature(
        letter,
        organization=NAMELESS,
        email="p@pff.example",
        name="Pat Nameless",
        title="Press Director",
        listing="without_person",
        press_contact=True,
    )
    confirmed_signature(
        letter,
        kind="individual",
        organization="",
        name=QUIET_PERSON,
        email="j@example.org",
        listing="count_only",
    )
    return letter


EXPECTED_LINE = "3 organizations, 1 of them not named, and 1 individual, not named"


def test_the_page_the_api_the_cache_and_the_badge_leave_out_who_asked(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        listed_letter()
    for _ in range(2):  # built, then read back from the list cache
        page = client.get("/letters/test-letter").text
        assert HIDDEN not in page
        assert "Duluth" not in page
        assert QUIET_PERSON not in page
        assert SHOWN in page
        assert NAMELESS in page
        assert "Pat Nameless" not in page
        assert "Press Director" not in page
        assert f'<p class="count">{EXPECTED_LINE}</p>' in page
        assert f"<strong>{EXPECTED_LINE},</strong> have signed." in page
        body = client.get("/api/v1/letters/test-letter").text
        data = json.loads(body)
        assert HIDDEN not in body
        assert QUIET_PERSON not in body
        assert "Pat Nameless" not in body
        assert (data["organizations"], data["individuals"], data["not_named"]) == (3, 1, 2)
        assert data["count_line"] == EXPECTED_LINE
        names = [s["name"] for g in data["groups"] for s in g["signatories"]]
        assert sorted(names) == [SHOWN, NAMELESS]
        index = json.loads(client.get("/api/v1/letters").text)["letters"][0]
        assert index["not_named"] == 2
        badge = client.get("/letters/test-letter/badge.svg").text
        assert EXPECTED_LINE in badge
        assert HIDDEN not in badge
    with app.app_context():
        letter = db.session.execute(sa.select(Letter)).scalar_one()
        cached = listing.cached_public_list(letter)
        assert (cached.organizations, cached.individuals, cached.not_named) == (3, 1, 2)
        assert cached.count_line == EXPECTED_LINE
        assert [e.name for g in cached.groups for e in g.entries] == [SHOWN, NAMELESS]
        assert listing.cached_counts(letter) == ListCounts(3, 1, 2, 1)


def test_one_colleague_asking_to_be_counted_only_hides_the_whole_line(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        letter = create_letter(owner=create_organizer("ana@coalition.example"))
        confirmed_signature(letter, organization=SHOWN)
        confirmed_signature(letter, organization=SHOWN, email="b@openrecords.example")
        # Not yet confirmed: a choice that is not approved changes nothing.
        create_signature(
            letter, organization=SHOWN, email="c@openrecords.example", listing="count_only"
        )
    assert SHOWN in client.get("/letters/test-letter").text
    with app.app_context():
        letter = db.session.execute(sa.select(Letter)).scalar_one()
        quiet = confirmed_signature(
            letter, organization=SHOWN, email="d@openrecords.example", listing="count_only"
        )
        # Anyone may sign as an organization: hiding a name others keep listed waits for a
        # moderator, even on a letter that needs no approval, and the queue says what it does.
        assert quiet.status == SignatureStatus.AWAITING_REVIEW
        quiet_id, letter_id = quiet.id, letter.id
    assert SHOWN in client.get("/letters/test-letter").text.split("Signatories")[-1]
    organizer = app.test_client()
    login_as(organizer, "ana@coalition.example")
    queue = organizer.get(f"/admin/letters/{letter_id}/signatures").text
    assert f"Approving it takes {SHOWN} off the public list" in queue
    with app.app_context():
        letter = db.session.get_one(Letter, letter_id)
        owner = db.session.execute(sa.select(Organizer)).scalar_one()
        moderation.decide(letter, [quiet_id], moderation.Decision.APPROVE, by=owner)
    page = client.get("/letters/test-letter").text
    assert SHOWN not in page.split("Signatories")[-1]
    assert "1 organization, not named" in page


# --- Exports -----------------------------------------------------------------------------------


def export(letter: Letter, fmt: str, **options: bool) -> bytes:
    return b"".join(deliverables.export(letter, fmt, ListOptions(**options)).chunks())


def docx_text(body: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs)


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_every_list_format_leaves_out_who_asked_and_says_how_many(ctx: Flask, mailbox: Mailbox):
    letter = listed_letter()
    texts = {
        "text": export(letter, "text").decode(),
        "markdown": export(letter, "markdown").decode(),
        "html": export(letter, "html").decode(),
        "csv": export(letter, "csv").decode("utf-8-sig"),
        "docx": docx_text(export(letter, "docx")),
        "pdf": pdf_text(export(letter, "pdf")),
    }
    for fmt, text in texts.items():
        for name in (HIDDEN, QUIET_PERSON, "Pat Nameless", "Press Director"):
            assert name not in text, (fmt, name)
        for name in (SHOWN, NAMELESS):
            assert name in text, (fmt, name)
    for fmt in ("text", "html", "docx"):
        assert EXPECTED_LINE in texts[fmt], fmt
    assert texts["text"].splitlines()[0] == EXPECTED_LINE
    assert "2 individuals" not in texts["pdf"]
    assert "not named" in texts["pdf"]
    rows = list(csv.DictReader(io.StringIO(texts["csv"])))
    assert sorted(r["name"] for r in rows) == [SHOWN, NAMELESS]


def test_the_recipients_copy_includes_them_when_the_organizer_asks(ctx: Flask, mailbox: Mailbox):
    letter = listed_letter()
    for fmt, read in (("docx", docx_text), ("pdf", pdf_text)):
        text = read(export(letter, fmt, with_unnamed=True))
        for name in (HIDDEN, QUIET_PERSON, "3 organizations and 1 individual"):
            assert name in text, (fmt, name)
        assert "not named" not in text, fmt
    text = export(letter, "text", with_unnamed=True).decode()
    assert text.splitlines()[0] == "3 organizations and 1 individual"
    named = deliverables.export(letter, "pdf", ListOptions(with_unnamed=True)).filename
    assert named == "test-letter-for-recipient-only.pdf"  # never mistaken for the public list
    assert (
        deliverables.export(letter, "text", ListOptions()).filename == "test-letter-signatories.txt"
    )


def test_the_export_form_offers_the_recipients_copy_off_by_default(
    app: Flask, client: FlaskClient, mailbox: Mailbox
) -> None:
    with app.app_context():
        letter_id = listed_letter().id
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/deliver").text
    assert "Include organizations that asked not to be named" in page
    assert 'name="unnamed" value="1" id="unnamed" aria-describedby' in page
    assert 'id="unnamed" aria-describedby="unnamed-hint" checked' not in page
    base = f"/admin/letters/{letter_id}/export?format=text&grouped=1&place=1"
    assert HIDDEN not in client.get(base).text
    assert HIDDEN in client.get(base + "&unnamed=1").text


def test_the_contacts_export_shows_each_choice_in_plain_words(ctx: Flask, mailbox: Mailbox):
    letter = listed_letter()
    rows = list(csv.DictReader(io.StringIO(export(letter, "contacts-csv").decode("utf-8-sig"))))
    by_email = {r["Email"]: r["Listing"] for r in rows}
    assert by_email == {
        "dana@openrecords.example": "Named",
        "q@quiet.example": "Count only",
        "p@pff.example": "Without signer's name",
        "j@example.org": "Count only",
    }
    assert rows[0]["Text version signed"] == "1"  # the columns after it are where they belong
    sheet = load_workbook(io.BytesIO(export(letter, "contacts-xlsx")))["Signatures"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("Listing")
    assert {row[column].value for row in sheet.iter_rows(min_row=2)} == {
        "Named",
        "Count only",
        "Without signer's name",
    }


def test_the_press_kit_names_nobody_who_asked_not_to_be_named(
    app: Flask, client: FlaskClient, mailbox: Mailbox
) -> None:
    with app.app_context():
        letter = listed_letter()
        letter_id = letter.id
        assert [s.email for s in contacts.press_contacts(letter)] == ["dana@openrecords.example"]
        assert contacts.press_contacts_left_out(letter) == 2
        release = press.release(letter)
        markdown = press.export(letter, "markdown").body
        docx = docx_text(press.export(letter, "docx").body)  # type: ignore[arg-type]
    assert isinstance(markdown, bytes)
    for text in (markdown.decode(), docx):
        assert HIDDEN not in text
        assert "Quinn Hidden" not in text
        assert "Pat Nameless" not in text
        assert "Press Director" not in text
        assert "Dana Reyes" in text
        assert "Three organizations" in text  # the hidden one is counted
    assert release.signatories.count_line == EXPECTED_LINE
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/press-kit").text
    assert "Pat Nameless" not in page
    assert "Quinn Hidden" not in page
    assert HIDDEN not in page
    assert "2 press contacts are left out" in page
    assert "dana@openrecords.example" in page


def test_a_frozen_list_stays_as_it_was_and_keeps_who_asked(ctx: Flask, mailbox: Mailbox):
    letter = listed_letter()
    snapshot = frozen_lists.freeze(letter, by=create_organizer("boss@coalition.example"))
    stored = {fmt: frozen_lists.snapshot_export(snapshot, fmt).body for fmt in formats.LIST_FORMATS}
    assert HIDDEN.encode() not in stored["text"]
    assert stored["text"].decode().splitlines()[0] == EXPECTED_LINE
    assert snapshot.count_line == EXPECTED_LINE
    assert {e["name"]: e.get("hidden", False) for e in snapshot.entries}[HIDDEN] is True
    # The quiet organization later agrees to be named: the frozen list stays as delivered, and
    # it is not passed off as having signed after the delivery.
    quiet = db.session.execute(
        sa.select(Signature).where(Signature.email == "q@quiet.example")
    ).scalar_one()
    listing_choices.change_listing(letter, quiet.id, "named", by=create_organizer("x@c.example"))
    again = {fmt: frozen_lists.snapshot_export(snapshot, fmt).body for fmt in formats.LIST_FORMATS}
    assert again == stored
    now = export(letter, "text").decode()
    assert HIDDEN not in now
    assert "SIGNED AFTER" not in now
    assert HIDDEN in export(letter, "text", with_unnamed=True).decode()
    # A later signatory who asks not to be named is counted in the addendum, not shown.
    confirmed_signature(
        letter, organization="Late Quiet Union", email="l@late.example", listing="count_only"
    )
    confirmed_signature(letter, organization="Late Loud Union", email="m@late.example")
    later = export(letter, "text").decode()
    _, _, addendum = later.partition("SIGNED AFTER THE LIST WAS DELIVERED ON")
    assert "Late Loud Union" in addendum
    assert "Late Quiet Union" not in later
    assert "2 organizations, 1 of them not named" in addendum
    reread = db.session.get(ListSnapshot, snapshot.id)
    assert reread is not None
    doc = list_documents.snapshot_document(letter, reread, ListOptions(with_unnamed=True))
    assert doc.count_line == "3 organizations and 1 individual"


# --- Organizers --------------------------------------------------------------------------------


def signature_of(email: str) -> Signature:
    return db.session.execute(sa.select(Signature).where(Signature.email == email)).scalar_one()


def test_moderators_see_the_choice_and_change_it_when_asked_audited(
    app: Flask, client: FlaskClient, mailbox: Mailbox
) -> None:
    with app.app_context():
        letter_id = listed_letter().id
        quiet = signature_of("q@quiet.example")
        quiet_id, signatory_id = quiet.id, quiet.signatory_id
        person_id = signature_of("j@example.org").id
    token = login_as(client, "ana@coalition.example")
    queue = client.get(f"/admin/letters/{letter_id}/signatures?status=all").text
    assert '<span class="listing-badge">Count only</span>' in queue
    assert '<span class="listing-badge">Without signer&#39;s name</span>' in queue
    line = client.get(f"/admin/letters/{letter_id}/signatories/{signatory_id}").text
    assert "Not on the public list" in line
    response = client.post(
        f"/admin/letters/{letter_id}/signatures/{quiet_id}/listing",
        data={"csrf_token": token, "listing": "named"},
        follow_redirects=True,
    )
    assert "The listing is now “List our organization”." in response.text
    assert "Not on the public list" not in response.text
    assert HIDDEN in client.get("/letters/test-letter").text
    refused = client.post(
        f"/admin/letters/{letter_id}/signatures/{person_id}/listing",
        data={"csrf_token": token, "listing": "without_person"},
        follow_redirects=True,
    )
    assert "When you sign as an individual, your name is the listing" in refused.text
    assert (
        client.post(
            f"/admin/letters/{letter_id}/signatures/{quiet_id}/listing",
            data={"listing": "count_only"},
        ).status_code
        == 400
    )
    with app.app_context():
        assert signature_of("j@example.org").listing == "count_only"
        events = db.session.execute(
            sa.select(AuditEvent.before, AuditEvent.after).where(
                AuditEvent.action == "signature.listing_changed"
            )
        ).all()
        assert [(e.before, e.after) for e in events] == [
            ({"listing": "count_only"}, {"listing": "named"})
        ]


def test_an_approval_email_tells_a_counted_signer_the_truth(
    app: Flask, client: FlaskClient, mailbox: Mailbox
) -> None:
    with app.app_context():
        letter = create_letter(requires_approval=True)
        owner = create_organizer()
        signature = confirmed_signature(letter, listing="count_only")
        mailbox.clear()
        moderation.decide(letter, [signature.id], moderation.Decision.APPROVE, by=owner)
    body = text_body(mailbox.wait_for(1)[0])
    assert "How you asked to be listed: “Count us, but don't show our name”." in body


# --- At the same moment ------------------------------------------------------------------------


def test_a_listing_change_racing_an_approval_leaves_the_public_list_right(app: Flask) -> None:
    """Without the row lock, the change could read the signature before the approval and skip
    marking the list changed; a visitor reading the list between the two commits would then
    leave the name cached, asked off it, for as long as the list does not change again."""
    with app.app_context():
        owner = create_organizer()
        create_organizer("ben@coalition.example", name="Ben")
        letter = create_letter(owner=owner, requires_approval=True)
        letter_id = letter.id
    client, visitor = app.test_client(), app.test_client()
    failed = []
    for trial in range(8):
        name = f"Racing Group {trial:02}"
        with app.app_context():
            letter = db.session.get_one(Letter, letter_id)
            signature_id = confirmed_signature(
                letter, organization=name, email=f"lead@group{trial:02}.example"
            ).id
        client.get("/letters/test-letter")  # the list is cached before the race
        before = _list_version(app, letter_id)

        def approving(by: str = "ana@coalition.example", signature_id: int = signature_id) -> Any:
            letter, who = db.session.get_one(Letter, letter_id), _organizer(by)
            db.session.get(Signature, signature_id)
            return partial(
                moderation.decide,
                letter,
                [signature_id],
                moderation.Decision.APPROVE,
                by=who,
                status="awaiting_review",
            )

        def changing(by: str = "ben@coalition.example", signature_id: int = signature_id) -> Any:
            letter, who = db.session.get_one(Letter, letter_id), _organizer(by)
            db.session.get(Signature, signature_id)
            return partial(
                listing_choices.change_listing, letter, signature_id, "count_only", by=who
            )

        def reading() -> Any:
            return lambda: [visitor.get("/letters/test-letter") for _ in range(15)]

        at_once(approving, changing, reading, app=app)
        page = client.get("/letters/test-letter").text.split("Signatories")[-1]
        if name in page:
            failed.append(f"trial {trial}: {name} still listed")
        # A change made to a signature once approved must mark the list changed itself.
        order = _actions(app, signature_id)[-2:]
        bumps = _list_version(app, letter_id) - before
        if order == ["signature.approved", "signature.listing_changed"] and bumps != 2:
            failed.append(f"trial {trial}: the change after the approval left the list as it was")
    assert not failed, failed


def _list_version(app: Flask, letter_id: int) -> int:
    with app.app_context():
        return db.session.get_one(Letter, letter_id).list_version


def _actions(app: Flask, signature_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(AuditEvent.action)
                .where(
                    AuditEvent.subject_type == "signature", AuditEvent.subject_id == signature_id
                )
                .order_by(AuditEvent.id)
            ).scalars()
        )


def test_two_organizers_changing_a_listing_at_once_change_it_once(app: Flask) -> None:
    with app.app_context():
        owner = create_organizer()
        create_organizer("ben@coalition.example", name="Ben")
        letter = create_letter(owner=owner)
        letter_id = letter.id
        signature_id = confirmed_signature(letter).id
    outcomes = []
    for choice in ("count_only", "without_person", "named", "count_only"):

        def changing(by: str, choice: str = choice) -> Any:
            letter, who = db.session.get_one(Letter, letter_id), _organizer(by)
            db.session.get(Signature, signature_id)
            return partial(listing_choices.change_listing, letter, signature_id, choice, by=who)

        results = at_once(
            partial(changing, "ana@coalition.example"),
            partial(changing, "ben@coalition.example"),
            app=app,
        )
        outcomes.append(sorted(r.changed for r in results))
    assert outcomes == [[False, True]] * 4
    with app.app_context():
        events = db.session.execute(
            sa.select(AuditEvent.after)
            .where(AuditEvent.action == "signature.listing_changed")
            .order_by(AuditEvent.id)
        ).scalars()
        assert [e["listing"] for e in events] == [
            "count_only",
            "without_person",
            "named",
            "count_only",
        ]


def _organizer(email: str) -> Organizer:
    return db.session.execute(sa.select(Organizer).where(Organizer.email == email)).scalar_one()


def test_the_cli_exports_the_recipients_copy_on_request(app: Flask, mailbox: Mailbox) -> None:
    with app.app_context():
        listed_letter()
    runner = app.test_cli_runner()
    plain = runner.invoke(cli, ["export", "test-letter", "--format", "text"])
    full = runner.invoke(cli, ["export", "test-letter", "--format", "text", "--with-unnamed"])
    assert HIDDEN not in plain.output
    assert HIDDEN in full.output


def test_an_organizer_adding_a_signature_records_how_the_signer_asked_to_be_listed(
    app: Flask, client: FlaskClient, mailbox: Mailbox
) -> None:
    with app.app_context():
        letter_id = create_letter(owner=create_organizer()).id
    token = login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/signatures/add").text
    assert "<legend>How the signer asked to be listed</legend>" in page
    data = form_data(source="By phone", tell_signer="y", approve="y", listing="count_only")
    response = client.post(
        f"/admin/letters/{letter_id}/signatures/add", data=data | {"csrf_token": token}
    )
    assert response.status_code == 302
    with app.app_context():
        assert only_signature().listing == "count_only"
    assert SHOWN not in client.get("/letters/test-letter").text.split("Signatories")[-1]
    body = text_body(mailbox.wait_for(1)[0])
    assert f"{SHOWN} is now counted, without the name shown, on the letter" in body
    assert "How you asked to be listed: “Count us, but don't show our name”." in body


def test_a_name_frozen_then_asked_not_to_be_named_leaves_the_press_kit(
    ctx: Flask, mailbox: Mailbox
):
    letter = listed_letter()
    snapshot = frozen_lists.freeze(letter, by=create_organizer("boss@coalition.example"))
    delivered = frozen_lists.snapshot_export(snapshot, "text").body
    assert SHOWN.encode() in delivered
    shown = db.session.execute(
        sa.select(Signature).where(Signature.organization == SHOWN)
    ).scalar_one()
    listing_choices.change_listing(letter, shown.id, "count_only", by=None)
    assert SHOWN not in press_drafts.listed_organizations(press.signatories(letter))
    assert SHOWN not in press.export(letter, "markdown").body.decode()  # type: ignore[union-attr]
    assert "2 of them not named" in press.signatories(letter).count_line
    assert frozen_lists.snapshot_export(snapshot, "text").body == delivered  # as delivered
