"""The press release: the organizer's choices kept, the release put together and downloaded."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext
from markupsafe import escape

from signon import audit, i18n, transaction
from signon.exports import formats
from signon.exports import press as press_export
from signon.exports.formats import ExportFile
from signon.exports.lists import markdown_escape
from signon.exports.model import ListDocument
from signon.exports.press import PressReleaseDocument
from signon.extensions import db
from signon.models import Letter, LetterUpdate, Organizer, PressRelease, utcnow
from signon.sanitize import markdown_to_html
from signon.services import (
    contacts,
    deliverables,
    deliveries,
    letters,
    list_documents,
    translations,
)
from signon.services.normalize import clean_text
from signon.services.press_drafts import (
    Facts,
    ReleaseChoices,
    clean_ask,
    dateline,
    drafted_body,
    drafted_headline,
    facts_for,
    format_day,
    lead_in,
    lead_names,
    read_the_letter,
)

FORMATS: dict[str, tuple[str, str]] = {
    "docx": formats.LIST_FORMATS["docx"],
    "markdown": formats.LIST_FORMATS["markdown"],
}
FIELD_MAX = 300
BODY_MAX = 20_000
_HEADING_TAG = re.compile(r"<(/?)h([1-6])>")


# --- From the letter --------------------------------------------------------------------------


def stored(letter: Letter) -> PressRelease | None:
    return db.session.get(PressRelease, letter.id)


def choices(letter: Letter) -> ReleaseChoices:
    saved = stored(letter)
    return choices_of(saved) if saved is not None else ReleaseChoices()


def choices_of(row: PressRelease) -> ReleaseChoices:
    return ReleaseChoices(
        row.lead_organizations, row.ask, row.dateline, row.headline, row.body_markdown
    )


def signatories(letter: Letter, language: str = "en") -> ListDocument:
    """The list every export uses (frozen as delivered, with any dated addendum), less anyone who
    has since asked not to be named; in `language` (its words and its order)."""
    return list_documents.published_document(letter, language)


def release_day(letter: Letter) -> date:
    """The day of the first public delivery, else of publication, else today (a draft)."""
    delivered = deliveries.deliveries(letter, public_only=True)
    if delivered:
        return delivered[0].delivered_on
    moment = letter.opened_at or utcnow()
    return moment.astimezone(letters.zone_of(letter)).date()


def languages(letter: Letter) -> list[str]:
    """The languages a release can be drafted in: the letter's own and those it is translated
    into, that the site speaks."""
    spoken = i18n.languages()
    return [code for code in translations.translated_languages(letter) if code in spoken]


def release_language(letter: Letter, chosen: str | None = None) -> str:
    """The language asked for if the release can be drafted in it, else the letter's."""
    offered = languages(letter)
    if chosen in offered:
        return str(chosen)
    return offered[0] if offered else i18n.spoken_or_default(letter.language)


def for_form(letter: Letter) -> ReleaseChoices:
    """The saved choices with the drafted headline and text wherever the organizer kept them,
    in the letter's language (the page edits the release every language shares)."""
    picked = choices(letter)
    language = release_language(letter)
    facts = facts_for(letter, signatories(letter, language), language)
    return ReleaseChoices(
        lead_organizations=picked.lead_organizations,
        ask=picked.ask,
        dateline=picked.dateline,
        headline=picked.headline or drafted_headline(facts, picked),
        body_markdown=picked.body_markdown or drafted_body(facts, picked),
    )


def public_updates(letter: Letter) -> list[LetterUpdate]:
    return list(
        db.session.execute(
            sa.select(LetterUpdate)
            .where(LetterUpdate.letter_id == letter.id, LetterUpdate.public.is_(True))
            .order_by(LetterUpdate.created_at.desc(), LetterUpdate.id.desc())
        ).scalars()
    )


def contact_lines(letter: Letter) -> list[str]:
    """'Dana Reyes, Director, Open Records Alliance: dana@example.org' for each press contact
    who may be named (contacts.press_contacts leaves out those who asked not to be)."""
    lines = []
    for signature in contacts.press_contacts(letter):
        who = ", ".join(p for p in (signature.name, signature.title, signature.listed_as) if p)
        lines.append(f"{who}: {signature.email}")
    return lines


def release(letter: Letter, language: str | None = None) -> PressReleaseDocument:
    """The whole release as it downloads: the organizer's words as they wrote them, the letter's
    current facts, and the drafted parts and fixed words in `language` (else the letter's)."""
    language = release_language(letter, language)
    doc = signatories(letter, language)
    facts = facts_for(letter, doc, language)
    picked = choices(letter)
    title = clean_text(picked.headline) or drafted_headline(facts, picked)
    body = picked.body_markdown.replace("\r\n", "\n").strip() or drafted_body(facts, picked)
    with i18n.speaking(language):
        return _release(letter, doc, facts, picked.dateline, title, body)


def _release(
    letter: Letter, doc: ListDocument, facts: Facts, city: str, title: str, body: str
) -> PressReleaseDocument:
    language = facts.language
    updates = public_updates(letter)
    updated = gettext("Updated: %(headline)s", headline="")
    if updates and not title.casefold().startswith(updated.strip().casefold()):
        title = gettext("Updated: %(headline)s", headline=title)
    zone = letters.zone_of(letter)
    update_texts = [
        lead_in(_update_line(u.created_at.astimezone(zone).date(), language), u.body_markdown)
        for u in updates
    ]
    if facts.url not in body:
        body += f"\n\n{read_the_letter(facts.url)}"
    return PressReleaseDocument(
        headline=title,
        updates=update_texts,
        body_markdown=lead_in(dateline(markdown_escape(city), release_day(letter), language), body),
        signatories=doc,
        contacts=contact_lines(letter),
        contacts_heading=gettext("Press contacts"),
    )


def _update_line(day: date, language: str) -> str:
    return gettext("Update (%(date)s):", date=format_day(day, language))


def preview_html(document: PressReleaseDocument) -> str:
    """The release as sanitized HTML for the press kit page, whose section heading is an h2: the
    headline becomes an h3 and the release's own sections h4 and below."""
    _headline, _, rest = press_export.as_markdown(document).partition("\n\n")
    html = markdown_to_html(rest)
    html = _HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 2, 6)}>", html)
    return f"<h3>{escape(document.headline)}</h3>\n{html}"


def export(letter: Letter, fmt: str, language: str | None = None) -> ExportFile:
    """The release as a file, in `language` (else the letter's); reading it changes nothing."""
    if fmt not in FORMATS:
        raise deliverables.ExportError(f"unknown format {fmt!r}; choose docx or markdown")
    extension, mimetype = FORMATS[fmt]
    language = release_language(letter, language)
    document = release(letter, language)
    if fmt == "docx":
        now = utcnow().astimezone(letters.zone_of(letter))
        body = press_export.as_docx(document, now)
    else:
        body = press_export.as_markdown(document).encode("utf-8")
    in_language = "" if language == letter.language else f"-{language}"
    return ExportFile(f"{letter.slug}-press-release{in_language}.{extension}", mimetype, body)


# --- Saving -----------------------------------------------------------------------------------


def _kept(text: str, *drafts: str) -> bool:
    """True when the organizer left the drafted text as it was shown."""
    typed = text.replace("\r\n", "\n").strip()
    return any(typed == draft.strip() for draft in drafts)


def save(letter: Letter, submitted: ReleaseChoices, *, by: Organizer) -> PressRelease:
    """Keep what the organizer chose; a headline or text left as drafted is stored empty so it
    keeps following the count."""
    language = release_language(letter)
    facts = facts_for(letter, signatories(letter, language), language)
    before = choices(letter)
    headline_text = clean_text(submitted.headline)[:FIELD_MAX]
    body = submitted.body_markdown.replace("\r\n", "\n").strip()[:BODY_MAX]
    if _kept(headline_text, drafted_headline(facts, before), drafted_headline(facts, submitted)):
        headline_text = ""
    if _kept(body, drafted_body(facts, before), drafted_body(facts, submitted)):
        body = ""
    row = stored(letter) or PressRelease(letter_id=letter.id)
    row.lead_organizations = "; ".join(lead_names(submitted.lead_organizations))[:FIELD_MAX]
    row.ask = clean_ask(submitted.ask)[:FIELD_MAX]
    row.dateline = clean_text(submitted.dateline)[:100]
    row.headline = headline_text
    row.body_markdown = body
    row.updated_at = utcnow()
    row.updated_by_id = by.id
    db.session.add(row)
    audit.record(
        "press_release.saved",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=letter,
        before=_summary(before),
        after=_summary(choices_of(row)),
    )
    transaction.commit()
    return row


def _summary(picked: ReleaseChoices) -> dict[str, str]:
    return {
        "lead": picked.lead_organizations,
        "ask": picked.ask,
        "dateline": picked.dateline,
        "headline": picked.headline or "(drafted)",
        "text": f"{len(picked.body_markdown):,} characters"
        if picked.body_markdown
        else "(drafted)",
    }
