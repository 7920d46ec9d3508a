"""The invitation and reminder to a letter's partners: the organizers' texts, their schedule of
reminders, a preview, and the one function that writes such an email to the outbox. Each email is
written in the letter's language."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString

from signon import audit, i18n, mail, transaction
from signon.links import external_url
from signon.models import Letter, Organizer, OutboxMessage, Partner
from signon.services import letter_emails, letters

PLACEHOLDERS: dict[str, str | LazyString] = {
    "greeting": lazy_gettext(
        "“Dear <%(contact)s>,”, or “Dear friends at <%(organization)s>,” without a contact name",
        contact=lazy_gettext("contact name"),
        organization=lazy_gettext("organization"),
    ),
    "contact_name": lazy_gettext("the partner's contact name (may be empty)"),
    "organization": lazy_gettext("the partner organization's name"),
    "letter_title": lazy_gettext("the letter's title"),
    "deadline": lazy_gettext(
        "the deadline in the letter's time zone, or “the close of sign-on” without one"
    ),
}


@dataclass(frozen=True)
class Kind:
    label: str | LazyString  # in the organizer's language
    default: str | LazyString  # in the letter's language, as partners get it


KINDS: dict[str, Kind] = {
    "partner_invitation": Kind(
        lazy_gettext("Invitation"),
        lazy_gettext(
            "{greeting}\n\nWe are gathering organizations to sign “{letter_title}”, and we would "
            "be glad to have {organization} on it. The link below opens the letter with your "
            "details already filled in; signing takes two minutes. Sign-on closes {deadline}."
        ),
    ),
    "partner_reminder": Kind(
        lazy_gettext("Reminder"),
        lazy_gettext(
            "{greeting}\n\nA reminder: sign-on for “{letter_title}” closes {deadline}, and we "
            "have not heard from {organization} yet. We would still be glad to have you on the "
            "letter."
        ),
    ),
}
# How many days before the deadline a reminder may be scheduled.
MAX_REMINDER_DAYS = 60
MAX_REMINDERS = 5
_SAMPLE_LINK = "sample-link"


def text_for(letter: Letter, kind: str) -> str:
    """The organizers' text, or the default in the letter's language when they left it empty."""
    return (letter.outreach_texts or {}).get(kind, "").strip() or default_text(letter, kind)


def default_text(letter: Letter, kind: str) -> str:
    with i18n.speaking(letter.language):
        return str(KINDS[kind].default)


def check_text(text: str, *, reply_to: str) -> None:
    """Only these placeholders, braces closed, and no call to reply that would reach nobody."""
    letter_emails.check_text(
        text,
        reply_to=reply_to,
        placeholders=PLACEHOLDERS,
        where=gettext("on the letter's Emails page"),
    )


def parse_days(typed: str) -> list[int]:
    """'3, 1' -> [3, 1]: whole days before the deadline, largest first, each once."""
    days: set[int] = set()
    for part in typed.replace(";", ",").split(","):
        part = part.strip().removesuffix("days").removesuffix("day").strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= MAX_REMINDER_DAYS:
            raise letter_emails.SettingsError(
                "reminder_days",
                gettext(
                    "Write whole days before the deadline, from 1 to %(most)s, separated by "
                    "commas: for example 3, 1.",
                    most=MAX_REMINDER_DAYS,
                ),
            )
        days.add(int(part))
    if len(days) > MAX_REMINDERS:
        raise letter_emails.SettingsError(
            "reminder_days",
            gettext("Schedule at most %(most)s reminders.", most=MAX_REMINDERS),
        )
    return sorted(days, reverse=True)


@dataclass
class Settings:
    texts: dict[str, str]
    reminder_days: list[int]


def save_settings(letter: Letter, settings: Settings, *, by: Organizer) -> None:
    """Store the texts (one equal to the default is stored empty, so it follows the default) and
    the schedule. A scheduled time already sent stays sent: only a later one that has come goes
    out at the next run."""
    stored = letter_emails.own_texts(
        settings.texts,
        {kind: default_text(letter, kind) for kind in KINDS},
        lambda text: check_text(text, reply_to=letter.reply_to),
    )
    before = {"own_texts": sorted(letter.outreach_texts or {}), "days": letter.reminder_days}
    letter.outreach_texts = stored
    letter.reminder_days = list(settings.reminder_days)
    audit.record(
        "letter.outreach_settings_changed",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=letter,
        before=before,
        after={"own_texts": sorted(stored), "days": letter.reminder_days},
    )
    transaction.commit()


def deadline_text(letter: Letter) -> str:
    """When sign-on closes, in the language being written: 'on Friday, March 15, 2030 at ...'."""
    local = letters.local_deadline(letter)
    if local is None:
        return gettext("when the organizers close it")
    return gettext("on %(date)s", date=i18n.longdate(local))


def greeting(contact_name: str, organization: str) -> str:
    name = mail.one_line(contact_name)
    if name:
        return gettext("Dear %(name)s,", name=name)
    return gettext("Dear friends at %(organization)s,", organization=mail.one_line(organization))


def values_for(letter: Letter, partner: Any) -> dict[str, str]:
    return {
        "greeting": greeting(partner.contact_name, partner.organization),
        "contact_name": mail.one_line(partner.contact_name),
        "organization": mail.one_line(partner.organization),
        "letter_title": letter.title,
        "deadline": deadline_text(letter),
    }


def subject_for(kind: str, title: str) -> str:
    if kind == "partner_invitation":
        return gettext("Invitation to sign: %(title)s", title=title)
    return gettext("Reminder: %(title)s", title=title)


@dataclass(frozen=True)
class Links:
    sign: str
    decline: str
    unsubscribe: str

    @classmethod
    def for_token(cls, letter: Letter, raw: str) -> Links:
        return cls(
            sign=external_url("outreach.invitation", slug=letter.slug, token=raw),
            decline=external_url("outreach.decline", token=raw),
            unsubscribe=external_url("outreach.unsubscribe", token=raw),
        )


def queue(letter: Letter, partner: Partner, kind: str, links: Links) -> OutboxMessage:
    """The invitation or reminder to one partner, in the caller's transaction."""
    with i18n.speaking(letter.language):
        message = mail.queue(
            partner.email,
            kind,
            subject_for(kind, letter.title),
            sender_name=letter.sender_name,
            reply_to=letter.reply_to,
            letter_id=letter.id,
            unsubscribe_url=links.unsubscribe,
            **_context(letter, partner, kind, links),
        )
    message.partner_id = partner.id
    return message


def _context(letter: Letter, partner: Any, kind: str, links: Links) -> dict[str, Any]:
    return {
        "intro": letter_emails.intro(text_for(letter, kind), values_for(letter, partner)),
        "letter": letter,
        "deadline": deadline_text(letter),
        "sign_url": links.sign,
        "decline_url": links.decline,
    }


@dataclass
class Preview:
    kind: str
    label: str
    subject: str
    text: str


def previews(letter: Letter, texts: dict[str, str]) -> list[Preview]:
    """Each email as a sample partner would receive it, from texts not saved yet."""
    sample = SimpleNamespace(contact_name="Dana Reyes", organization="Open Records Alliance")
    return [
        preview_for(letter, sample, kind, (texts.get(kind) or "").replace("\r\n", "\n").strip())
        for kind in KINDS
    ]


def preview_for(letter: Letter, partner: Any, kind: str, text: str = "") -> Preview:
    """The email this partner would get (with links that open nothing), from `text` or the saved
    one, in the letter's language whatever the page's."""
    label = str(KINDS[kind].label)
    links = Links.for_token(letter, _SAMPLE_LINK)
    with i18n.speaking(letter.language):
        context = _context(letter, partner, kind, links)
        if text:
            context["intro"] = letter_emails.intro(text, values_for(letter, partner))
        subject = subject_for(kind, letter.title)
        body, _ = mail.render(
            kind,
            subject,
            sender_name=letter.sender_name,
            reply_to=letter.reply_to,
            unsubscribe_url=links.unsubscribe,
            **context,
        )
    return Preview(kind, label, subject, body)
