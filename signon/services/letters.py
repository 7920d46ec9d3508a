"""Letters and their versions: create, revise, open and close."""

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
    LetterTranslation,
    LetterVersion,
    NotifyMode,
    Signature,
    SignatureStatus,
    utcnow,
)
from signon.sanitize import markdown_to_html
from signon.services import listing

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
    _validate(draft)
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
        content_hash=_hash(body_markdown),
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


def _validate(draft: LetterDraft) -> None:
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


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _actor(author_id: int | None) -> str:
    return "organizer" if author_id else "system"


def draft_of(letter: Letter) -> LetterDraft:
    """The letter's current settings and text, as the editor shows them."""
    return LetterDraft(
        slug=letter.slug,
        title=letter.title,
        body_markdown=current_version(letter).body_markdown,
        categories=list(letter.categories or []),
        deadline_at=letter.deadline_at,
        timezone=letter.timezone,
        requires_approval=letter.requires_approval,
        allows_individuals=letter.allows_individuals,
        thank_you_markdown=letter.thank_you_markdown,
        show_logo_wall=letter.show_logo_wall,
    )


_SETTINGS = (
    "slug",
    "title",
    "categories",
    "deadline_at",
    "timezone",
    "requires_approval",
    "allows_individuals",
    "thank_you_markdown",
    "show_logo_wall",
)


def update_letter(
    letter: Letter, draft: LetterDraft, change_note: str, *, author_id: int
) -> Letter:
    """Save the editor. Text someone already signed is never changed in place: it becomes a new
    version with a note saying what changed."""
    _validate(draft)
    if draft.slug != letter.slug and get_by_slug(draft.slug) is not None:
        raise LetterError(_("a letter with the address '%(slug)s' already exists", slug=draft.slug))
    before = {name: _plain(getattr(letter, name)) for name in _SETTINGS}
    draft.categories = unique_categories(draft.categories)
    draft.title = draft.title.strip()
    draft.thank_you_markdown = draft.thank_you_markdown.strip()
    for name in _SETTINGS:
        setattr(letter, name, getattr(draft, name))
    version = current_version(letter)
    try:
        text_action = _save_text(letter, version, draft.body_markdown, change_note, author_id)
    except LetterError:
        transaction.rollback()  # nothing of a refused edit may be saved by a later commit
        raise
    after = {name: _plain(getattr(letter, name)) for name in _SETTINGS}
    changed = {k: v for k, v in after.items() if before[k] != v}
    if "categories" in changed:
        listing.list_changed(letter.id)  # in SQL: a list change committed meanwhile still counts
    if changed or text_action:
        audit.record(
            "letter.edited",
            letter_id=letter.id,
            actor_kind="organizer",
            actor_id=author_id,
            subject=letter,
            before={k: before[k] for k in changed}
            | ({"text": version.number} if text_action else {}),
            after=changed | ({"text": text_action} if text_action else {}),
        )
    transaction.commit()
    return letter


def _save_text(letter: Letter, version: LetterVersion, body: str, note: str, author_id: int) -> str:
    if _hash(body) == version.content_hash:
        return ""
    if not body.strip():
        raise LetterError(_("the letter text is empty"))
    if not _is_signed(version):
        version.body_markdown = body
        version.body_html = markdown_to_html(body)
        version.content_hash = _hash(body)
        return f"version {version.number} edited"
    if not note.strip():
        raise LetterError(_("say in a few words what changed: people already signed this text"))
    new = _add_version(letter, body, note, author_id)
    return f"version {new.number}: {new.change_note}"


def _is_signed(version: LetterVersion) -> bool:
    return (
        db.session.execute(
            sa.select(Signature.id).where(Signature.version_id == version.id).limit(1)
        ).first()
        is not None
    )


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def duplicate_letter(letter: Letter, *, author_id: int) -> Letter:
    """A new draft with this letter's text and settings, to start the next campaign from."""
    draft = draft_of(letter)
    draft.title = f"Copy of {letter.title}"[:200]
    draft.slug = _free_slug(f"{letter.slug}-copy")
    draft.deadline_at = None
    copy = create_letter(draft, author_id=author_id)
    # The rest of what organizers set up: their questions and how the letter's emails read.
    copy.language = letter.language
    copy.questions = [dict(q) for q in letter.questions or []]
    copy.sender_name = letter.sender_name
    copy.reply_to = letter.reply_to
    copy.email_texts = dict(letter.email_texts or {})
    _copy_translations(letter, copy, author_id)
    transaction.commit()
    return copy


def _copy_translations(letter: Letter, copy: Letter, author_id: int) -> None:
    """The translations a reader of `letter` sees, one per language, onto the copy's first
    version. Each keeps the hash of the text it was made from: one made of an earlier text than
    the copied one stays marked as needing an update."""
    latest: dict[str, LetterTranslation] = {}
    for translation in db.session.execute(
        sa.select(LetterTranslation)
        .join(LetterVersion, LetterVersion.id == LetterTranslation.version_id)
        .where(LetterTranslation.letter_id == letter.id)
        .order_by(LetterVersion.number.desc())
    ).scalars():
        latest.setdefault(translation.language, translation)
    first = current_version(copy)
    for language, translation in sorted(latest.items()):
        db.session.add(
            LetterTranslation(
                letter_id=copy.id,
                language=language,
                version_id=first.id,
                source_hash=translation.source_hash,
                title=translation.title,
                body_markdown=translation.body_markdown,
                body_html=translation.body_html,
                thank_you_markdown=translation.thank_you_markdown,
                updated_by_id=author_id,
            )
        )


def _free_slug(base: str) -> str:
    base = base[:70].strip("-")
    candidate, number = base, 2
    while get_by_slug(candidate) is not None:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


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
