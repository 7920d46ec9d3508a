"""Duplicating a letter as a new draft, with its questions, email texts and translations."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext

from signon import transaction
from signon.extensions import db
from signon.models import Letter, LetterTranslation, LetterVersion
from signon.services import letter_editing, letters


def duplicate_letter(letter: Letter, *, author_id: int) -> Letter:
    """A new draft with this letter's text and settings, to start the next campaign from."""
    draft = letter_editing.draft_of(letter)
    draft.title = gettext("Copy of %(title)s", title=letter.title)[:200]
    draft.slug = _free_slug(f"{letter.slug}-copy")
    draft.deadline_at = None
    copy = letters.create_letter(draft, author_id=author_id)
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
    first = letters.current_version(copy)
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
                categories=list(translation.categories or []),
                updated_by_id=author_id,
            )
        )


def _free_slug(base: str) -> str:
    base = base[:70].strip("-")
    candidate, number = base, 2
    while letters.get_by_slug(candidate) is not None:
        candidate, number = f"{base}-{number}", number + 1
    return candidate
