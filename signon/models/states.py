"""The fixed sets of values some columns hold."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext


class LetterStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class SignatureStatus(enum.StrEnum):
    UNCONFIRMED = "unconfirmed"
    AWAITING_REVIEW = "awaiting_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    SUSPECTED = "suspected"


class SignatoryKind(enum.StrEnum):
    ORGANIZATION = "organization"
    INDIVIDUAL = "individual"


class Listing(enum.StrEnum):
    """How a signer asked to be listed; count_only keeps the line off every public list."""

    NAMED = "named"  # list the organization (or the individual): the default
    COUNT_ONLY = "count_only"  # "Count us, but don't show our name"
    WITHOUT_PERSON = "without_person"  # "List the organization, without my name and title"


# The choices in the signer's words, for an organization and for an individual (who has no
# "without my name": their name is the line). The moderator's short words, and the contacts column.
# In the signer's words, in the page's or email's language (lazy: read when shown).
LISTING_CHOICES = {
    Listing.NAMED: lazy_gettext("List our organization"),
    Listing.COUNT_ONLY: lazy_gettext("Count us, but don't show our name"),
    Listing.WITHOUT_PERSON: lazy_gettext("List the organization, without my name and title"),
}
INDIVIDUAL_LISTING_CHOICES = {
    Listing.NAMED: lazy_gettext("List my name"),
    Listing.COUNT_ONLY: lazy_gettext("Count me, but don't show my name"),
}
LISTING_BADGES = {
    Listing.NAMED: "Named",
    Listing.COUNT_ONLY: "Count only",
    Listing.WITHOUT_PERSON: "Without signer's name",
}
# The same short words on the moderators' pages, in the page's language (the contacts column
# above stays in English, like the rest of the file).
SHOWN_LISTING_BADGES = {
    Listing.NAMED: lazy_gettext("Named"),
    Listing.COUNT_ONLY: lazy_gettext("Count only"),
    Listing.WITHOUT_PERSON: lazy_gettext("Without signer's name"),
}


class TokenPurpose(enum.StrEnum):
    CONFIRM = "confirm"
    WITHDRAW = "withdraw"
    RECONFIRM = "reconfirm"
    INVITE = "invite"
    RESET = "reset"
    PREVIEW = "preview"
    UNSUBSCRIBE = "unsubscribe"
    ERASE = "erase"
    SETUP = "setup"
    # A partner's links in an invitation or reminder: the personal sign link, "we can't sign this
    # time", and the unsubscribe; one token per email.
    PARTNER = "partner"
    # The signer's "Manage your signature" link: opened once, it starts a short signer session.
    MANAGE = "manage"


class CorrectionStatus(enum.StrEnum):
    """A signer's proposed correction: waiting for a moderator, decided, or replaced by a newer one."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REPLACED = "replaced"


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORGANIZER = "organizer"


class NotifyMode(enum.StrEnum):
    EACH = "each"
    DIGEST = "digest"
    NONE = "none"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class SourceKind(enum.StrEnum):
    """Where a signature came from."""

    DIRECT = "direct"
    COHOST = "cohost"  # a co-host's share link (?via=)
    INVITATION = "invitation"  # a partner's personal invitation link
    REF = "ref"  # a ?ref= or ?utm_source= name on the link
    ORGANIZER = "organizer"  # added by an organizer, by hand or from a file
    EMBED = "embed"  # the sign form framed on another site; `source` is that site when known


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class PartnerMatch(enum.StrEnum):
    """How a partner was tied to a signature."""

    EMAIL = "email"
    ORGANIZATION = "organization"
    FUZZY = "fuzzy"  # a likely match a moderator confirmed
    LINK = "link"  # the signer came through the partner's invitation link


# Partners without an email address are many; only the ones with one must differ.
