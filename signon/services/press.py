"""The press release: drafted from the letter, edited by the organizer, downloaded as DOCX or Markdown."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from babel.dates import format_date
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
from signon.links import external_url
from signon.models import (
    Letter,
    LetterUpdate,
    Organizer,
    PressRelease,
    SignatoryKind,
    utcnow,
)
from signon.sanitize import markdown_to_html
from signon.services import (
    contacts,
    counting,
    deliverables,
    deliveries,
    letters,
    list_documents,
    translations,
)
from signon.services.normalize import clean_text, organization_key

FORMATS: dict[str, tuple[str, str]] = {
    "docx": formats.LIST_FORMATS["docx"],
    "markdown": formats.LIST_FORMATS["markdown"],
}
EN_DASH = "\u2013"  # the dateline's dash, as newsrooms set it
FIELD_MAX = 300
BODY_MAX = 20_000
_BLOCK_START = re.compile(r"^\s*(#|[-*+>] |\d+[.)] |```|~~~|\||    )")
_HEADING_TAG = re.compile(r"<(/?)h([1-6])>")


@dataclass(frozen=True)
class ReleaseChoices:
    """What the organizer chose and wrote. An empty headline or text means 'the drafted one',
    which follows the count as signatures come in."""

    lead_organizations: str = ""
    ask: str = ""
    dateline: str = ""
    headline: str = ""
    body_markdown: str = ""


# --- Wording ----------------------------------------------------------------------------------


def lead_names(text: str) -> list[str]:
    """Lead organizations as typed: one per line or separated by semicolons (names hold commas)."""
    names = (clean_text(part) for part in re.split(r"[;\n]", text or ""))
    return list(dict.fromkeys(name for name in names if name))


def join_names(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C' (in the language being written: 'A, B y C')."""
    if len(names) <= 1:
        return "".join(names)
    return gettext("%(names)s and %(last)s", names=", ".join(names[:-1]), last=names[-1])


def count_phrase(count: int, language: str = "en") -> str:
    """Words below 20 and the exact figure up to 99 ('52 organizations'); from 100 up the figure
    rounds down the way journalists write it ('more than 200 organizations')."""
    if count < counting.WORDS_BELOW or count >= 100:
        return counting.headline_count(count, language)
    return counting.organizations_figure(count, language)


def third_person(action: str) -> str:
    """'call on ICE' -> 'calls on ICE', for a single organization as the subject."""
    verb, _, rest = action.partition(" ")
    if not verb.isalpha() or not verb.islower():
        return action
    irregular = {"have": "has", "be": "is", "do": "does", "go": "goes"}
    if verb in irregular:
        verb = irregular[verb]
    elif verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        verb += "es"
    elif len(verb) > 1 and verb.endswith("y") and verb[-2] not in "aeiou":
        verb = verb[:-1] + "ies"
    else:
        verb += "s"
    return f"{verb} {rest}".rstrip()


def clean_ask(ask: str) -> str:
    """The ask as it follows the subject: no final full stop, 'Call on' as 'call on'."""
    ask = clean_text(ask).rstrip(" .")
    if len(ask) > 1 and ask[0].isupper() and ask[1].islower():
        ask = ask[0].lower() + ask[1:]
    return ask


def headline(
    leads: Sequence[str], others: int, ask: str, *, title: str = "", language: str = "en"
) -> str:
    """'OpenTheGovernment and 52 organizations call on ICE to comply with FOIA'.

    `others` counts the listed organizations that are not among the leads, so nobody is counted
    twice; with no lead it is every listed organization. Written in the locale in force, whose
    code is `language` (for the count in words)."""
    if leads:
        parts = list(leads) + ([count_phrase(others, language)] if others else [])
        subject = join_names(parts)
        singular = len(parts) == 1
    elif others:
        subject = count_phrase(others, language)
        singular = others == 1
    else:
        subject, singular = gettext("a coalition"), True
    sentence = _predicate(subject, singular, clean_ask(ask), title, language)
    return sentence[0].upper() + sentence[1:]


def _predicate(subject: str, singular: bool, ask: str, title: str, language: str) -> str:
    """The subject and what it does. The organizer's ask is an English verb phrase: in English it
    agrees with its subject; in another language it is quoted as typed after a colon, whole."""
    if ask and language == "en":
        return f"{subject} {third_person(ask) if singular else ask}"
    if ask:
        return gettext("%(subject)s: %(ask)s", subject=subject, ask=ask)
    if title and singular:
        return gettext("%(subject)s signs “%(title)s”", subject=subject, title=title)
    if title:
        return gettext("%(subject)s sign “%(title)s”", subject=subject, title=title)
    if singular:
        return gettext("%(subject)s signs a letter", subject=subject)
    return gettext("%(subject)s sign a letter", subject=subject)


def others_count(leads: Sequence[str], organizations: Sequence[str]) -> int:
    """Listed organizations minus the leads that are on the list."""
    keys = {organization_key(name) for name in leads}
    return sum(1 for name in organizations if organization_key(name) not in keys)


def format_day(day: date, language: str = "en") -> str:
    """'April 24, 2017'; in another language its own long date ('24 de abril de 2017')."""
    if language == "en":
        return f"{day:%B} {day.day}, {day:%Y}"
    return format_date(day, "long", locale=language)


def dateline(city: str, day: date, language: str = "en") -> str:
    """'WASHINGTON, April 24, 2017' and an en dash; a marked placeholder until the city is named."""
    city = clean_text(city).upper() or gettext("[CITY]")
    return f"{city}, {format_day(day, language)} {EN_DASH}"


def lead_in(prefix: str, markdown: str) -> str:
    """Put a dateline or 'Update (…):' in front of the first paragraph, as releases do; on its own
    line when the text starts with a heading, a list or a quote."""
    text = markdown.replace("\r\n", "\n").strip()
    if not text or _BLOCK_START.match(text):
        return f"{prefix}\n\n{text}".strip()
    return f"{prefix} {text}"


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


def listed_organizations(doc: ListDocument) -> list[str]:
    return [
        entry.name
        for group in doc.groups + doc.addendum
        for entry in group.entries
        if entry.kind == SignatoryKind.ORGANIZATION
    ]


def release_day(letter: Letter) -> date:
    """The day of the first public delivery, else of publication, else today (a draft)."""
    delivered = deliveries.deliveries(letter, public_only=True)
    if delivered:
        return delivered[0].delivered_on
    moment = letter.opened_at or utcnow()
    return moment.astimezone(letters.zone_of(letter)).date()


def letter_url(letter: Letter) -> str:
    return external_url("public.letter", slug=letter.slug)


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


@dataclass(frozen=True)
class _Facts:
    """What the drafts are made from, read once per page or download."""

    title: str
    organizations: list[str]
    recipient: str
    url: str
    unnamed: int = 0  # organizations counted that asked not to be named
    language: str = "en"

    def others(self, leads: Sequence[str]) -> int:
        """Every organization counted, less the leads: those not named count too."""
        return others_count(leads, self.organizations) + self.unnamed


def _facts(letter: Letter, doc: ListDocument, language: str) -> _Facts:
    delivered = deliveries.deliveries(letter, public_only=True)
    return _Facts(
        title=translations.title_in(letter, language),
        organizations=listed_organizations(doc),
        recipient=delivered[0].recipient if delivered else "",
        url=letter_url(letter),
        unnamed=doc.unnamed_organizations,
        language=language,
    )


def _drafted_headline(facts: _Facts, picked: ReleaseChoices) -> str:
    leads = lead_names(picked.lead_organizations)
    others = facts.others(leads)
    with i18n.speaking(facts.language):
        return headline(leads, others, picked.ask, title=facts.title, language=facts.language)


def _drafted_body(facts: _Facts, picked: ReleaseChoices) -> str:
    """Lede, a marked place for the quote, and the link; user text escaped for Markdown."""
    with i18n.speaking(facts.language):
        return _body(facts, picked)


def _body(facts: _Facts, picked: ReleaseChoices) -> str:
    leads = lead_names(picked.lead_organizations)
    others = facts.others(leads)
    title = markdown_escape(facts.title)
    ask = markdown_escape(clean_ask(picked.ask))
    escaped = [markdown_escape(n) for n in leads]
    sentence = headline(escaped, others, ask, title=title, language=facts.language)
    if not leads:
        sentence = sentence[0].lower() + sentence[1:]
    lede = _lede(sentence, title, markdown_escape(facts.recipient), asked=bool(ask))
    lede += " " + gettext("The full list of signatories follows below.")
    speaker = escaped[0] if leads else gettext("a lead organization")
    quote = gettext(
        "[Quote from %(speaker)s: who is speaking, their title, and why this matters.]",
        speaker=speaker,
    )
    return f"{lede}\n\n{quote}\n\n{_read_the_letter(facts.url)}"


def _lede(sentence: str, title: str, recipient: str, *, asked: bool) -> str:
    """'Today, <who does what> in a letter, “<title>”, delivered to <recipient>.', whole
    sentences for the translator."""
    if asked and recipient:
        return gettext(
            "Today, %(sentence)s in a letter, “%(title)s”, delivered to %(recipient)s.",
            sentence=sentence,
            title=title,
            recipient=recipient,
        )
    if asked:
        return gettext(
            "Today, %(sentence)s in a letter, “%(title)s”.", sentence=sentence, title=title
        )
    if recipient:
        return gettext(
            "Today, %(sentence)s, a coalition letter delivered to %(recipient)s.",
            sentence=sentence,
            recipient=recipient,
        )
    return gettext("Today, %(sentence)s, a coalition letter.", sentence=sentence)


def _read_the_letter(url: str) -> str:
    return gettext("Read the letter: %(url)s", url=url)


def for_form(letter: Letter) -> ReleaseChoices:
    """The saved choices with the drafted headline and text wherever the organizer kept them,
    in the letter's language (the page edits the release every language shares)."""
    picked = choices(letter)
    language = release_language(letter)
    facts = _facts(letter, signatories(letter, language), language)
    return ReleaseChoices(
        lead_organizations=picked.lead_organizations,
        ask=picked.ask,
        dateline=picked.dateline,
        headline=picked.headline or _drafted_headline(facts, picked),
        body_markdown=picked.body_markdown or _drafted_body(facts, picked),
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
    facts = _facts(letter, doc, language)
    picked = choices(letter)
    title = clean_text(picked.headline) or _drafted_headline(facts, picked)
    body = picked.body_markdown.replace("\r\n", "\n").strip() or _drafted_body(facts, picked)
    with i18n.speaking(language):
        return _release(letter, doc, facts, picked.dateline, title, body)


def _release(
    letter: Letter, doc: ListDocument, facts: _Facts, city: str, title: str, body: str
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
        body += f"\n\n{_read_the_letter(facts.url)}"
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
    facts = _facts(letter, signatories(letter, language), language)
    before = choices(letter)
    headline_text = clean_text(submitted.headline)[:FIELD_MAX]
    body = submitted.body_markdown.replace("\r\n", "\n").strip()[:BODY_MAX]
    if _kept(headline_text, _drafted_headline(facts, before), _drafted_headline(facts, submitted)):
        headline_text = ""
    if _kept(body, _drafted_body(facts, before), _drafted_body(facts, submitted)):
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
