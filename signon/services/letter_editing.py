"""Saving the letter editor: settings change in place, signed text becomes a new version."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from signon import audit, transaction
from signon.extensions import db
from signon.models import Letter, LetterVersion, Signature
from signon.sanitize import markdown_to_html
from signon.services import letters, listing
from signon.services.letters import LetterDraft, LetterError


def draft_of(letter: Letter) -> LetterDraft:
    """The letter's current settings and text, as the editor shows them."""
    return LetterDraft(
        slug=letter.slug,
        title=letter.title,
        body_markdown=letters.current_version(letter).body_markdown,
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
    letters.validate_draft(draft)
    if draft.slug != letter.slug and letters.get_by_slug(draft.slug) is not None:
        raise LetterError(_("a letter with the address '%(slug)s' already exists", slug=draft.slug))
    before = {name: _plain(getattr(letter, name)) for name in _SETTINGS}
    draft.categories = letters.unique_categories(draft.categories)
    draft.title = draft.title.strip()
    draft.thank_you_markdown = draft.thank_you_markdown.strip()
    for name in _SETTINGS:
        setattr(letter, name, getattr(draft, name))
    version = letters.current_version(letter)
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
    if letters.content_hash(body) == version.content_hash:
        return ""
    if not body.strip():
        raise LetterError(_("the letter text is empty"))
    if not _is_signed(version):
        version.body_markdown = body
        version.body_html = markdown_to_html(body)
        version.content_hash = letters.content_hash(body)
        return f"version {version.number} edited"
    if not note.strip():
        raise LetterError(_("say in a few words what changed: people already signed this text"))
    new = letters.add_version(letter, body, note, author_id)
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
