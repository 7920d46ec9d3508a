"""Letters and their versions: create, revise, open and close."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from signon import audit, transaction
from signon.extensions import db
from signon.models import Letter, LetterStatus, LetterVersion, utcnow
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


def get_by_slug(slug: str) -> Letter | None:
    return db.session.execute(db.select(Letter).where(Letter.slug == slug)).scalar_one_or_none()


def open_letters() -> list[Letter]:
    """Letters visible on the home page, soonest deadline first."""
    letters = db.session.execute(
        db.select(Letter)
        .where(Letter.status == LetterStatus.OPEN)
        .order_by(Letter.opened_at.desc())
    ).scalars()
    return [letter for letter in letters if accepts_signatures(letter)]


def current_version(letter: Letter) -> LetterVersion:
    version = db.session.execute(
        db.select(LetterVersion)
        .where(LetterVersion.letter_id == letter.id)
        .order_by(LetterVersion.number.desc())
        .limit(1)
    ).scalar_one_or_none()
    if version is None:
        raise LetterError(f"letter {letter.slug!r} has no text")
    return version


def accepts_signatures(letter: Letter, now: datetime | None = None) -> bool:
    """Open, and the deadline (if any) has not passed."""
    if letter.status != LetterStatus.OPEN:
        return False
    return letter.deadline_at is None or (now or utcnow()) < letter.deadline_at


def deadline_passed(letter: Letter, now: datetime | None = None) -> bool:
    return letter.deadline_at is not None and (now or utcnow()) >= letter.deadline_at


def local_deadline(letter: Letter) -> datetime | None:
    """The deadline in the letter's own time zone, for display."""
    if letter.deadline_at is None:
        return None
    return letter.deadline_at.astimezone(ZoneInfo(letter.timezone))


def create_letter(draft: LetterDraft, *, author_id: int | None = None) -> Letter:
    _validate(draft)
    if get_by_slug(draft.slug) is not None:
        raise LetterError(f"a letter with the address {draft.slug!r} already exists")
    letter = Letter(
        slug=draft.slug,
        title=draft.title.strip(),
        categories=[c.strip() for c in draft.categories if c.strip()],
        deadline_at=draft.deadline_at,
        timezone=draft.timezone,
        requires_approval=draft.requires_approval,
        owner_id=author_id,
        status=LetterStatus.DRAFT,
    )
    db.session.add(letter)
    db.session.flush()
    _add_version(letter, draft.body_markdown, "First version", author_id)
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
    if _hash(body_markdown) == previous.content_hash:
        return previous
    version = _add_version(letter, body_markdown, change_note, author_id)
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


def _add_version(
    letter: Letter, body_markdown: str, note: str, author_id: int | None
) -> LetterVersion:
    if not body_markdown.strip():
        raise LetterError("the letter text is empty")
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
        content_hash=_hash(body_markdown),
        change_note=note.strip()[:500],
        author_id=author_id,
    )
    db.session.add(version)
    db.session.flush()
    return version


def _validate(draft: LetterDraft) -> None:
    if not SLUG_PATTERN.match(draft.slug) or len(draft.slug) > 80:
        raise LetterError("the address may use only lowercase letters, digits and single hyphens")
    if not draft.title.strip() or len(draft.title) > 200:
        raise LetterError("the title must have 1 to 200 characters")
    try:
        ZoneInfo(draft.timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise LetterError(f"unknown time zone {draft.timezone!r}") from error
    if draft.deadline_at is not None and draft.deadline_at.tzinfo is None:
        raise LetterError("the deadline needs a time zone")


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _actor(author_id: int | None) -> str:
    return "organizer" if author_id else "system"
