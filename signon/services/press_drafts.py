"""The press release's drafted words, in a language: headline, lede, count phrase and dateline."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from flask_babel import gettext

from signon import i18n
from signon.exports.lists import markdown_escape
from signon.exports.model import ListDocument
from signon.links import external_url
from signon.models import Letter, SignatoryKind
from signon.services import counting, deliveries, translations
from signon.services.normalize import clean_text, organization_key

EN_DASH = "\u2013"  # the dateline's dash, as newsrooms set it
_BLOCK_START = re.compile(r"^\s*(#|[-*+>] |\d+[.)] |```|~~~|\||    )")


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


# --- From the letter's facts ------------------------------------------------------------------


def listed_organizations(doc: ListDocument) -> list[str]:
    return [
        entry.name
        for group in doc.groups + doc.addendum
        for entry in group.entries
        if entry.kind == SignatoryKind.ORGANIZATION
    ]


def letter_url(letter: Letter) -> str:
    return external_url("public.letter", slug=letter.slug)


@dataclass(frozen=True)
class Facts:
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


def facts_for(letter: Letter, doc: ListDocument, language: str) -> Facts:
    delivered = deliveries.deliveries(letter, public_only=True)
    return Facts(
        title=translations.title_in(letter, language),
        organizations=listed_organizations(doc),
        recipient=delivered[0].recipient if delivered else "",
        url=letter_url(letter),
        unnamed=doc.unnamed_organizations,
        language=language,
    )


def drafted_headline(facts: Facts, picked: ReleaseChoices) -> str:
    leads = lead_names(picked.lead_organizations)
    others = facts.others(leads)
    with i18n.speaking(facts.language):
        return headline(leads, others, picked.ask, title=facts.title, language=facts.language)


def drafted_body(facts: Facts, picked: ReleaseChoices) -> str:
    """Lede, a marked place for the quote, and the link; user text escaped for Markdown."""
    with i18n.speaking(facts.language):
        return _body(facts, picked)


def _body(facts: Facts, picked: ReleaseChoices) -> str:
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
    return f"{lede}\n\n{quote}\n\n{read_the_letter(facts.url)}"


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


def read_the_letter(url: str) -> str:
    return gettext("Read the letter: %(url)s", url=url)
