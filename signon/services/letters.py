"""Letters and their versions: find and read them, create, revise, open and close."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import gettext as _

from signon import audit, transaction
from signon.extensions import db
from signon.models import (
    Letter,
    LetterHost,
    LetterStatus,
    LetterVersion,
    NotifyMode,
    Signature,
    SignatureStatus,
    utcnow,
)
from signon.sanitize import markdown_to_html

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class LetterError(ValueError):
    """A letter cannot be created or changed as asked; the message says why."""


@dataclass
class LetterDraft:
    slug: str
    title: str
    body_markdown: str
    categories: list[str] = field(default_factory=list)
    deadline_at: datetime | None = None
    timezone: str = "UTC"
    requires_approval: bool = True
    allows_individuals: bool = False
    thank_you_markdown: str = ""
    show_logo_wall: bool = False


# Built once: every public page and every signature runs these, and building a statement costs
# about as much as running it on SQLite.
_BY_SLUG = sa.select(Letter).where(Letter.slug == sa.bindparam("slug"))
_CURRENT_VERSION = (
    sa.select(LetterVersion)
    .where(LetterVersion.letter_id == sa.bindparam("letter_id"))
    .order_by(LetterVersion.number.desc())
    .limit(1)
)
_CURRENT_VERSION_ID = _CURRENT_VERSION.with_only_columns(LetterVersion.id)
# The same, to read along with other values in one statement (signing does).
CURRENT_VERSION_ID = _CURRENT_VERSION_ID.scalar_subquery()


def get_by_slug(slug: str) -> Letter | None:
    return db.session.execute(_BY_SLUG, {"slug": slug}).scalar_one_or_none()


def open_letters() -> list[Letter]:
    """Letters visible on the home page, soonest deadline first."""
    letters = db.session.execute(
        db.select(Letter)
        .where(Letter.status == LetterStatus.OPEN)
        .order_by(Letter.opened_at.desc())
    ).scalars()
    return [letter for letter in letters if accepts_signatures(letter)]


def current_version(letter: Letter) -> LetterVersion:
    version = db.session.execute(_CURRENT_VERSION, {"letter_id": letter.id}).scalar_one_or_none()
    if version is None:
        raise LetterError(f"letter {letter.slug!r} has no text")
    return version


def current_version_id(letter: Letter) -> int:
    """The current text's id alone, without loading its text (signing only compares it)."""
    version_id = db.session.execute(_CURRENT_VERSION_ID, {"letter_id": letter.id}).scalar()
    if version_id is None:
        raise LetterError(f"letter {letter.slug!r} has no text")
    return version_id


def accepts_signatures(letter: Letter, now: datetime | None = None) -> bool:
    """Open, and the deadline (if any) has not passed."""
    if letter.status != LetterStatus.OPEN:
        return False
    return letter.deadline_at is None or (now or utcnow()) < letter.deadline_at


def deadline_passed(letter: Letter, now: datetime | None = None) -> bool:
    return letter.deadline_at is not None and (now or utcnow()) >= letter.deadline_at


def zone_of(letter: Letter) -> ZoneInfo:
    return ZoneInfo(letter.timezone)


def local_deadline(letter: Letter) -> datetime | None:
    """The deadline in the letter's own time zone, for display."""
    if letter.deadline_at is None:
        return None
    return letter.deadline_at.astimezone(ZoneInfo(letter.timezone))


def create_letter(draft: LetterDraft, *, author_id: int | None = None) -> Letter:
    validate_draft(draft)
    if get_by_slug(draft.slug) is not None:
        raise LetterError(_("a letter with the address '%(slug)s' already exists", slug=draft.slug))
    letter = Letter(
        slug=draft.slug,
        title=draft.title.strip(),
        categories=unique_categories(draft.categories),
        deadline_at=draft.deadline_at,
        timezone=draft.timezone,
        requires_approval=draft.requires_approval,
        allows_individuals=draft.allows_individuals,
        thank_you_markdown=draft.thank_you_markdown.strip(),
        show_logo_wall=draft.show_logo_wall,
        owner_id=author_id,
        status=LetterStatus.DRAFT,
    )
    db.session.add(letter)
    db.session.flush()
    if author_id:
        db.session.add(
            LetterHost(letter_id=letter.id, organizer_id=author_id, notify=NotifyMode.DIGEST)
        )
    add_version(letter, draft.body_markdown, "First version", author_id)
    audit.record(
        "letter.created",
        letter_id=letter.id,
        actor_kind=_actor(author_id),
        actor_id=author_id,
        subject=letter,
        after={"slug": letter.slug},
    )
    transaction.commit()
    return letter


def revise_text(
    letter: Letter, body_markdown: str, change_note: str, *, author_id: int | None = None
) -> LetterVersion:
    """A new version; signatures keep pointing at the text their signers saw."""
    previous = current_version(letter)
    if content_hash(body_markdown) == previous.content_hash:
        return previous
    version = add_version(letter, body_markdown, change_note, author_id)
    audit.record(
        "letter.revised",
        letter_id=letter.id,
        actor_kind=_actor(author_id),
        actor_id=author_id,
        subject=version,
        before={"version": previous.number},
        after={"version": version.number},
    )
    transaction.commit()
    return version


def set_status(letter: Letter, status: LetterStatus, *, author_id: int | None = None) -> Letter:
    before = letter.status
    letter.status = status
    if status == LetterStatus.OPEN:
        letter.opened_at = letter.opened_at or utcnow()
        letter.closed_at = None
    elif status == LetterStatus.CLOSED:
        letter.closed_at = utcnow()
    audit.record(
        "letter.status",
        letter_id=letter.id,
        actor_kind=_actor(author_id),
        actor_id=author_id,
        subject=letter,
        before={"status": str(before)},
        after={"status": str(status)},
    )
    transaction.commit()
    return letter


def add_version(
    letter: Letter, body_markdown: str, note: str, author_id: int | None
) -> LetterVersion:
    """The letter's next version, numbered after the last one."""
    if not body_markdown.strip():
        raise LetterError(_("the letter text is empty"))
    number = (
        db.session.execute(
            sa.select(sa.func.max(LetterVersion.number)).where(LetterVersion.letter_id == letter.id)
        ).scalar()
        or 0
    ) + 1
    version = LetterVersion(
        letter_id=letter.id,
        number=number,
        body_markdown=body_markdown,
        body_html=markdown_to_html(body_markdown),
        content_hash=content_hash(body_markdown),
        change_note=note.strip()[:500],
        author_id=author_id,
    )
    db.session.add(version)
    db.session.flush()
    return version


def unique_categories(categories: list[str]) -> list[str]:
    """Each category once, in the order given, ignoring blank lines and spacing."""
    cleaned = (" ".join(c.split())[:120] for c in categories)
    return list(dict.fromkeys(c for c in cleaned if c))


def validate_draft(draft: LetterDraft) -> None:
    """Raise LetterError, saying why, for a draft no letter may be created or saved from."""
    if not SLUG_PATTERN.match(draft.slug) or len(draft.slug) > 80:
        raise LetterError(
            _("the address may use only lowercase letters, digits and single hyphens")
        )
    if not draft.title.strip() or len(draft.title) > 200:
        raise LetterError(_("the title must have 1 to 200 characters"))
    try:
        ZoneInfo(draft.timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise LetterError(_("unknown time zone %(zone)s", zone=repr(draft.timezone))) from error
    if draft.deadline_at is not None and draft.deadline_at.tzinfo is None:
        raise LetterError(_("the deadline needs a time zone"))
    if draft.deadline_at is not None and not 2000 <= draft.deadline_at.year <= 2200:
        raise LetterError(_("the deadline must be a date between the years 2000 and 2200"))


def content_hash(text: str) -> str:
    """The hash a version keeps of its text, to tell an unchanged text from a new one."""
    return hashlib.sha256(text.encode()).hexdigest()


def _actor(author_id: int | None) -> str:
    return "organizer" if author_id else "system"


def change_status(letter: Letter, status: LetterStatus, *, author_id: int) -> Letter:
    """Publish a draft, close sign-on, or reopen it; a published letter never returns to draft."""
    allowed = {
        LetterStatus.DRAFT: {LetterStatus.OPEN},
        LetterStatus.OPEN: {LetterStatus.CLOSED},
        LetterStatus.CLOSED: {LetterStatus.OPEN},
    }
    if status not in allowed[LetterStatus(letter.status)]:
        raise LetterError(
            _("a %(before)s letter cannot become %(after)s", before=letter.status, after=status)
        )
    return set_status(letter, status, author_id=author_id)


def signatures_on_earlier_versions(letter: Letter) -> list[Signature]:
    """Signatures still standing on a text that has since changed."""
    version = current_version(letter)
    return list(
        db.session.execute(
            db.select(Signature)
            .where(
                Signature.letter_id == letter.id,
                Signature.version_id != version.id,
                Signature.status.in_([SignatureStatus.AWAITING_REVIEW, SignatureStatus.APPROVED]),
            )
            .order_by(Signature.id)
        ).scalars()
    )
