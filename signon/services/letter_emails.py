"""A letter's emails to its signers: who they come from, where replies go, and the organizers' texts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString

from signon import audit, i18n, mail, transaction
from signon.links import external_url
from signon.models import (
    LISTING_CHOICES,
    Letter,
    Listing,
    Organizer,
    OutboxMessage,
    SignatoryKind,
    Signature,
)
from signon.services import embargo, translations

PLACEHOLDERS: dict[str, str | LazyString] = {
    "name": lazy_gettext(
        "the signer's name (left out of the confirmation email, sent before the address is proven)"
    ),
    "organization": lazy_gettext(
        "the name listed on the letter (the organization, or the person signing)"
    ),
    "letter_title": lazy_gettext("the letter's title"),
    "signed_as": lazy_gettext(
        "'on behalf of <%(organization)s>' or 'as an individual'",
        organization=lazy_gettext("organization"),
    ),
    "listed": lazy_gettext(
        "how it now stands: 'is now listed on the letter', or counted without its name as the "
        "signer asked, or on a list kept private until launch"
    ),
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# The secret part of the links in previews: a sample that opens nothing.
_SAMPLE_LINK = "sample-link"
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+(?=[,.;:!?])")
# Sent before anyone proved they own the address: typed text must not ride along to a stranger.
UNVERIFIED = frozenset({"confirm_signature"})
_REPLY = re.compile(r"\breply|\breplies|\breplied", re.IGNORECASE)


@dataclass(frozen=True)
class Kind:
    """One email whose message organizers may rewrite; the system adds what must be there."""

    label: str | LazyString  # in the organizer's language
    default: str | LazyString  # in the language of the signer it is written to
    always_added: str | LazyString  # what the system adds, in the organizer's language


KINDS: dict[str, Kind] = {
    "confirm_signature": Kind(
        lazy_gettext("Please confirm your signature"),
        lazy_gettext("Hello,\n\nPlease confirm that you sign “{letter_title}” {signed_as}."),
        lazy_gettext(
            "the confirm button and link, how long the link works, and what happens without it."
        ),
    ),
    "signature_approved": Kind(
        lazy_gettext("Your signature is approved"),
        lazy_gettext(
            "Hello {name},\n\nGood news: the organizers approved your signature on "
            "“{letter_title}” {signed_as}, and {organization} {listed}.\n\n"
            "Thank you for signing."
        ),
        lazy_gettext("the link to the letter, and how to withdraw later."),
    ),
    "signature_rejected": Kind(
        lazy_gettext("Your signature is not listed"),
        lazy_gettext(
            "Hello {name},\n\nThank you for your interest in “{letter_title}”. The organizers "
            "have decided not to list {organization} on this letter."
        ),
        lazy_gettext("the organizers' reason when they give one, and how to reach them."),
    ),
    "letter_update": Kind(
        lazy_gettext("Update to signers"),
        lazy_gettext(
            "Dear {organization},\n\nAn update from the organizers of “{letter_title}”, "
            "which you signed {signed_as}:"
        ),
        lazy_gettext("the update itself, the link to the letter and the link to stop updates."),
    ),
}


@dataclass
class Settings:
    """What organizers typed on the settings page, saved or only previewed."""

    sender_name: str
    reply_to: str
    texts: dict[str, str]


class SettingsError(ValueError):
    """The settings cannot be saved as typed; `field` says which one, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_text(
    text: str,
    *,
    reply_to: str,
    placeholders: dict[str, str | LazyString] = PLACEHOLDERS,
    where: str | None = None,
) -> None:
    """Only known placeholders, and no invitation to reply when replies would go nowhere
    (`where` says where the Reply-To address is set: "above" by default)."""
    unknown = [m for m in _PLACEHOLDER.findall(text) if m.strip() not in placeholders]
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in placeholders)
        raise ValueError(
            gettext(
                "Unknown placeholder %(placeholder)s. Use only %(known)s.",
                placeholder=f"{{{unknown[0]}}}",
                known=known,
            )
        )
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        raise ValueError(gettext("A brace is not closed. Placeholders look like {name}."))
    if not reply_to and _REPLY.search(text):
        raise ValueError(
            gettext(
                "This text asks for replies, but replies reach nobody without a Reply-To "
                "address. Set one %(where)s, or reword the text.",
                where=where or gettext("above"),
            )
        )


def check_reply_to(address: str) -> str:
    """The normalized Reply-To address, or empty; raises SettingsError when it is not an address."""
    address = mail.one_line(address)
    if not address:
        return ""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise SettingsError(
            "reply_to", gettext("Not a valid email address: %(error)s", error=error)
        ) from error


def text_for(letter: Letter, kind: str) -> str:
    """The organizers' text for this email, or the default when they left it empty."""
    return (letter.email_texts or {}).get(kind, "").strip() or str(KINDS[kind].default)


def save_settings(letter: Letter, settings: Settings, *, by: Organizer) -> None:
    """Store the sender name, Reply-To and texts; a text equal to the default is stored as empty,
    so it follows later improvements of the default."""
    reply_to = check_reply_to(settings.reply_to)
    stored = own_texts(
        settings.texts,
        {kind: str(spec.default) for kind, spec in KINDS.items()},
        lambda text: check_text(text, reply_to=reply_to),
    )
    before = _settings(letter)
    letter.sender_name = mail.one_line(settings.sender_name)[:120]
    letter.reply_to = reply_to
    letter.email_texts = stored
    audit.record(
        "letter.email_settings_changed",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=letter,
        before=before,
        after=_settings(letter),
    )
    transaction.commit()


def own_texts(
    texts: dict[str, str], defaults: dict[str, str], check: Callable[[str], None]
) -> dict[str, str]:
    """The organizers' texts to store, by kind, each checked (a SettingsError names the one that
    fails); a text equal to its default is left out, so it follows later improvements of it."""
    stored: dict[str, str] = {}
    for kind, text in texts.items():
        if kind not in defaults:
            continue
        text = text.replace("\r\n", "\n").strip()
        try:
            check(text)
        except ValueError as error:
            raise SettingsError(kind, str(error)) from error
        if text and text != defaults[kind]:
            stored[kind] = text
    return stored


def _settings(letter: Letter) -> dict[str, Any]:
    return {
        "sender_name": letter.sender_name,
        "reply_to": letter.reply_to,
        "own_texts": sorted(letter.email_texts or {}),
    }


def intro(text: str, values: dict[str, str]) -> str:
    """The filled text, without the space an empty value leaves before punctuation ("Hello ,")."""
    return _SPACE_BEFORE_PUNCTUATION.sub("", fill(text, values))


def fill(text: str, values: dict[str, str]) -> str:
    """Put the values in; an unknown placeholder stays as typed (never an error at send time)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), text)


def listed_name(signature: Signature) -> str:
    """The name on the list that the signer stands behind, else what they typed."""
    if signature.signatory is not None and signature.signatory.display_name:
        return signature.signatory.display_name
    return signature.listed_as


def values_for(letter: Letter, signature: Signature, kind: str = "") -> dict[str, str]:
    """The placeholders' values; an email to an address not yet proven gets no typed name, and
    the organization only quoted, as plain text, so the form cannot send a stranger a message."""
    if kind in UNVERIFIED:
        individual = signature.kind == SignatoryKind.INDIVIDUAL
        organization = "" if individual else f"“{signature.organization}”"
        return {
            "name": "",
            "organization": organization,
            "letter_title": title_for(signature),
            "signed_as": gettext("as an individual")
            if individual
            else gettext("on behalf of %(organization)s", organization=organization),
            "listed": "",
        }
    return {
        "name": signature.name,
        "organization": listed_name(signature),
        "letter_title": title_for(signature),
        "signed_as": signature.on_behalf,
        "listed": _how_listed(letter, signature),
    }


def title_for(signature: Signature) -> str:
    """The letter's title in the language the signer signed in (its translation, if any)."""
    return translations.title_in(signature.letter, signature.language)


def letter_url_for(signature: Signature) -> str:
    """The letter's page, read in the signer's language: through the language link (which
    remembers the choice) when the page would otherwise open in the letter's own language."""
    letter = signature.letter
    url = external_url("public.letter", slug=letter.slug)
    if signature.language == letter.language or signature.language not in i18n.languages():
        return url
    return external_url("language.choose", code=signature.language, next=urlsplit(url).path)


def _how_listed(letter: Letter, signature: Signature) -> str:
    """What {listed} says: true for a name counted only, and while the list is under embargo."""
    counted_only = signature.listing == Listing.COUNT_ONLY
    if not embargo.names_public(letter):
        if counted_only:
            return gettext(
                "is counted on the list without its name, which the organizers keep private "
                "until launch"
            )
        return gettext("is on the list, which the organizers keep private until launch")
    if counted_only:
        return gettext("is now counted on the letter, without its name shown, as you asked")
    return gettext("is now listed on the letter")


def queue_to_signer(
    signature: Signature, template: str, subject: str | LazyString, **context: Any
) -> OutboxMessage:
    """Every email to a letter's signer goes through here: in the language they signed in, with
    the letter's sender name and Reply-To, and the organizers' own text for the emails they may
    rewrite."""
    with i18n.speaking(signature.language):
        return mail.queue(
            signature.email, template, str(subject), **_to_signer(signature, template, context)
        )


def insert_to_signer(
    signature: Signature, template: str, subject: str | LazyString, **context: Any
) -> int:
    """queue_to_signer(), written at once with mail.insert() (the hot path of signing)."""
    with i18n.speaking(signature.language):
        return mail.insert(
            signature.email, template, str(subject), **_to_signer(signature, template, context)
        )


def _to_signer(signature: Signature, template: str, context: dict[str, Any]) -> dict[str, Any]:
    letter = signature.letter
    if template in KINDS:
        context["intro"] = intro(
            text_for(letter, template), values_for(letter, signature, template)
        )
    return {
        "sender_name": letter.sender_name,
        "reply_to": letter.reply_to,
        "letter_id": letter.id,
        "signature": signature,
        "letter": letter,
        "letter_title": title_for(signature),
        **context,
    }


@dataclass
class Preview:
    kind: str
    label: str
    subject: str
    sender: str
    reply_to: str
    text: str


def previews(letter: Letter, settings: Settings) -> list[Preview]:
    """Each editable email as a sample signer would receive it, from settings not saved yet."""
    sample = SimpleNamespace(
        name="Dana Reyes",
        organization="Open Records Alliance",
        kind=SignatoryKind.ORGANIZATION,
        listed_as="Open Records Alliance",
        on_behalf="on behalf of Open Records Alliance",
        listing=Listing.NAMED,
        listing_words=LISTING_CHOICES[Listing.NAMED],
        signatory=None,
        letter=letter,
        language=letter.language,
    )
    sender_name = mail.one_line(settings.sender_name)[:120]
    reply_to = mail.one_line(settings.reply_to)
    name, address = mail.sender_of(sender_name)
    letter_url = external_url("public.letter", slug=letter.slug) if letter.slug else ""
    context: dict[str, Any] = {
        "signature": sample,
        "letter": letter,
        "letter_title": letter.title,
        "sender_name": sender_name,
        "reply_to": reply_to,
        "letter_url": letter_url,
        "confirm_url": external_url("public.confirm", token=_SAMPLE_LINK),
        "valid_days": current_app.config["CONFIRM_TOKEN_DAYS"],
        "reason": "We list only organizations based in the United States.",
        "message": "We delivered the letter to the **Secretary** this morning.",
        "unsubscribe_url": external_url("public.unsubscribe", token=_SAMPLE_LINK),
    }
    shown = []
    for kind, spec in KINDS.items():
        text = (settings.texts.get(kind) or "").replace("\r\n", "\n").strip() or str(spec.default)
        values = values_for(letter, sample, kind)  # type: ignore[arg-type]
        body, _ = mail.render(kind, kind, intro=intro(text, values), **context)
        shown.append(
            Preview(
                kind=kind,
                label=str(spec.label),
                subject=str(subject_for(kind, letter.title, "The letter was delivered")),
                sender=f"{name} <{address}>",
                reply_to=reply_to,
                text=body,
            )
        )
    return shown


def subject_for(kind: str, title: str, update_subject: str = "") -> str | LazyString:
    """The subject lines of the editable emails, one place for sending and previewing (lazy:
    written in the language of the signer the email goes to)."""
    if kind == "letter_update":
        return f"{update_subject.strip()} ({title})"[:300]
    return {
        "confirm_signature": lazy_gettext("Please confirm your signature: %(title)s", title=title),
        "signature_approved": lazy_gettext("Your signature is approved: %(title)s", title=title),
        "signature_rejected": lazy_gettext("About your signature: %(title)s", title=title),
    }[kind]
