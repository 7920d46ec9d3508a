"""Translations of a letter's text: saved per version, and which one a reader in a language sees."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from signon import audit, i18n, transaction
from signon.extensions import db
from signon.models import Letter, LetterTranslation, LetterVersion, Organizer
from signon.sanitize import markdown_to_html
from signon.services import letters

CATEGORY_NAME_MAX = 120  # as long as the original's may be (letters.unique_categories)


class TranslationError(ValueError):
    """A translation cannot be saved as given; the message says why."""


@dataclass
class TranslationDraft:
    title: str
    body_markdown: str
    thank_you_markdown: str = ""
    # One name per category of the letter, in its order; "" keeps the original name.
    categories: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Shown:
    """The translation a reader sees; `outdated` when it is of an earlier version of the text."""

    translation: LetterTranslation
    outdated: bool


@dataclass(frozen=True)
class LanguageState:
    """One language on the organizer's page: its latest translation, if any, and the current text."""

    language: str
    translation: LetterTranslation | None
    translated_number: int | None
    current: LetterVersion
    category_originals: tuple[str, ...] = ()

    @property
    def current_number(self) -> int:
        return self.current.number

    @property
    def up_to_date(self) -> bool:
        return self.translation is not None and is_current(self.translation, self.current)

    @property
    def edited_since(self) -> bool:
        """Translated from this same version, which was edited afterwards (nobody had signed it)."""
        return self.translated_number == self.current.number and not self.up_to_date

    @property
    def needs_update(self) -> bool:
        return self.translation is not None and not self.up_to_date

    @property
    def categories_need_update(self) -> bool:
        """Its category names were translated from a list the letter has since changed."""
        return self.translation is not None and not _names_fit(
            self.translation.categories, self.category_originals
        )


def is_current(translation: LetterTranslation, version: LetterVersion) -> bool:
    """Made from this version's text as it is now."""
    return translation.version_id == version.id and translation.source_hash == version.content_hash


def offered_languages(letter: Letter) -> list[str]:
    """The languages a letter can be translated into: the site's, other than its own."""
    return [code for code in i18n.languages() if code != letter.language]


def save_translation(
    letter: Letter, language: str, draft: TranslationDraft, *, by: Organizer
) -> LetterTranslation:
    """Save the translation of the current version into `language`: a new one, or the one
    already made of this version, corrected."""
    if language not in offered_languages(letter):
        raise TranslationError(_("this letter cannot be translated into that language"))
    title, body, thanks = _checked(draft)
    categories = _checked_categories(draft.categories, list(letter.categories or []))
    version = letters.current_version(letter)
    translation = _for_version(letter, language, version.id, lock=True)
    before = _summary(translation)
    if translation is None:
        translation = _insert(letter, language, version, by)
    translation.source_hash = version.content_hash
    translation.title = title
    translation.body_markdown = body
    translation.body_html = markdown_to_html(body)
    translation.thank_you_markdown = thanks
    translation.categories = categories
    translation.updated_by_id = by.id
    audit.record(
        "letter.translated",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=translation,
        before=before,
        after={"language": language, "version": version.number},
    )
    transaction.commit()
    return translation


def _checked(draft: TranslationDraft) -> tuple[str, str, str]:
    title = " ".join(draft.title.split())
    if not title or len(title) > 200:
        raise TranslationError(_("the translated title must have 1 to 200 characters"))
    body = draft.body_markdown.strip()
    if not body:
        raise TranslationError(_("the translated text is empty"))
    return title, body, draft.thank_you_markdown.strip()


def _checked_categories(typed: list[str], originals: list[str]) -> list[list[str]]:
    """The names as saved: an [original, name] pair per category, blanks kept as "", or [] when
    none is translated. Two categories may not end up with the same name, or their signatories
    would look alike."""
    if not typed:
        return []
    if len(typed) != len(originals):
        raise TranslationError(
            _("the letter's categories changed while you were translating: check their names")
        )
    names = [" ".join(name.split()) for name in typed]
    for name in names:
        if len(name) > CATEGORY_NAME_MAX:
            raise TranslationError(
                _(
                    "a category's name must have at most %(maximum)s characters",
                    maximum=CATEGORY_NAME_MAX,
                )
            )
    seen: set[str] = set()
    for name, original in zip(names, originals, strict=True):
        shown = name or original
        if shown.casefold() in seen:
            raise TranslationError(
                _(
                    "two categories would both be called “%(name)s”: give each its own name",
                    name=shown,
                )
            )
        seen.add(shown.casefold())
    pairs = [[original, name] for original, name in zip(originals, names, strict=True)]
    return pairs if any(names) else []


def _insert(
    letter: Letter, language: str, version: LetterVersion, by: Organizer
) -> LetterTranslation:
    """A new row for this version, or, when another organizer saved one at the same moment, that
    one (the unique constraint decides; the later save wins, as an edit of it would)."""
    translation = LetterTranslation(
        letter_id=letter.id,
        language=language,
        version_id=version.id,
        source_hash=version.content_hash,
        title="",
        body_markdown="",
        body_html="",
        updated_by_id=by.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(translation)
    except sa.exc.IntegrityError:
        existing = _for_version(letter, language, version.id, lock=True)
        if existing is None:
            raise
        return existing
    return translation


def _for_version(
    letter: Letter, language: str, version_id: int, *, lock: bool = False
) -> LetterTranslation | None:
    query = sa.select(LetterTranslation).where(
        LetterTranslation.letter_id == letter.id,
        LetterTranslation.language == language,
        LetterTranslation.version_id == version_id,
    )
    if lock:
        query = query.with_for_update()
    return db.session.execute(query).scalar_one_or_none()


def _summary(translation: LetterTranslation | None) -> dict[str, object] | None:
    if translation is None:
        return None
    return {"language": translation.language, "version": translation.version.number}


def _latest(letter: Letter, language: str) -> tuple[LetterTranslation, int] | None:
    """The translation of the latest version translated into `language`, with its number."""
    row = db.session.execute(
        sa.select(LetterTranslation, LetterVersion.number)
        .join(LetterVersion, LetterVersion.id == LetterTranslation.version_id)
        .where(LetterTranslation.letter_id == letter.id, LetterTranslation.language == language)
        .order_by(LetterVersion.number.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def shown_in(letter: Letter, language: str) -> Shown | None:
    """What a reader in `language` sees: the translation of the current version; else the latest
    earlier one, marked outdated; else None, and they read the original."""
    if language == letter.language or language not in i18n.languages():
        return None
    latest = _latest(letter, language)
    if latest is None:
        return None
    translation, _number = latest
    return Shown(translation, outdated=not is_current(translation, letters.current_version(letter)))


def states(letter: Letter) -> list[LanguageState]:
    """Each language the letter can be translated into, with where its translation stands."""
    current = letters.current_version(letter)
    result = []
    for language in offered_languages(letter):
        latest = _latest(letter, language)
        result.append(
            LanguageState(
                language,
                latest[0] if latest else None,
                latest[1] if latest else None,
                current,
                tuple(letter.categories or []),
            )
        )
    return result


def needing_update(letter: Letter) -> list[LanguageState]:
    """The translations made of an earlier version than the current one, or of its text before
    an edit."""
    return [state for state in states(letter) if state.needs_update]


def translated_languages(letter: Letter) -> list[str]:
    """The languages a reader can read the letter in: its own, then those translated."""
    done = set(
        db.session.execute(
            sa.select(LetterTranslation.language)
            .where(LetterTranslation.letter_id == letter.id)
            .distinct()
        ).scalars()
    )
    return [letter.language, *(code for code in offered_languages(letter) if code in done)]


def title_in(letter: Letter, language: str | None) -> str:
    """The letter's title for a reader in `language`: the title of the translation they would
    read (an earlier version's too, as the letter's page shows it), else the original's. The one
    rule for every place the title is shown outside the letter's page: emails, the embedded form,
    the share card, the press release."""
    shown = shown_in(letter, language) if language else None
    return shown.translation.title if shown is not None else letter.title


def behind(letter: Letter, language: str) -> bool:
    """A reader in `language` reads a translation made of an earlier text than the current one."""
    shown = shown_in(letter, language)
    return shown is not None and shown.outdated


def thank_you_in(letter: Letter, language: str) -> tuple[str, str]:
    """The thank-you message a signer reading in `language` sees, and the language it is in."""
    shown = shown_in(letter, language)
    if shown is not None and shown.translation.thank_you_markdown:
        return shown.translation.thank_you_markdown, language
    return letter.thank_you_markdown, letter.language


def _names_fit(pairs: list[list[str]], originals: tuple[str, ...] | list[str]) -> bool:
    """Translated names still name the letter's categories: none, or one for each as it is now
    (a category added, removed or renamed since asks for them again)."""
    return not pairs or {original for original, _name in pairs} == set(originals)


def category_names_in(letter: Letter, language: str | None) -> dict[str, str]:
    """Each category's name for a reader in `language`, by its original name: from the
    translation they would read (the title's rule, title_in). Empty when they read the original
    names."""
    return category_names(letter, shown_in(letter, language) if language else None)


def category_names(letter: Letter, shown: Shown | None) -> dict[str, str]:
    """The category names of the translation `shown`, for the categories the letter still has (a
    renamed one keeps its new original name)."""
    if shown is None:
        return {}
    originals = set(letter.categories or [])
    return {
        original: name
        for original, name in shown.translation.categories or []
        if name and original in originals
    }
