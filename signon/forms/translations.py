"""The form an organizer translates a letter's text with, one per language on the page."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from signon.forms.letters import LETTER_TITLE
from signon.forms.validators import AtMost
from signon.models import LetterTranslation
from signon.services.translations import CATEGORY_NAME_MAX, TranslationDraft


class TranslationForm(FlaskForm):
    """Built with prefix=<language code>, so each language's fields have their own ids."""

    title = StringField(LETTER_TITLE, validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(
        lazy_gettext("Text of the letter"),
        validators=[DataRequired(), Length(max=100_000)],
        description=lazy_gettext(
            "Markdown, as in the original: a blank line between paragraphs, **bold**, "
            "[links](https://example.org)."
        ),
    )
    thank_you = TextAreaField(
        lazy_gettext("Thank-you message"),
        validators=[Optional(), Length(max=5000)],
        description=lazy_gettext("Shown to signers in this language once they confirm. Markdown."),
    )

    category_originals: tuple[
        str, ...
    ] = ()  # one `category_<n>` field each; see translation_form()

    @property
    def category_fields(self) -> list[StringField]:
        return [self[f"category_{n}"] for n in range(len(self.category_originals))]

    def fill_from(self, translation: LetterTranslation | None) -> None:
        if translation is None:
            return
        self.title.data = translation.title
        self.body.data = translation.body_markdown
        self.thank_you.data = translation.thank_you_markdown
        names = {original: name for original, name in translation.categories or []}
        for field, original in zip(self.category_fields, self.category_originals, strict=True):
            field.data = names.get(original, "")

    def draft(self) -> TranslationDraft:
        return TranslationDraft(
            title=self.title.data or "",
            body_markdown=(self.body.data or "").replace("\r\n", "\n"),
            thank_you_markdown=(self.thank_you.data or "").replace("\r\n", "\n"),
            categories=[field.data or "" for field in self.category_fields],
        )


def translation_form(categories: list[str], **kwargs: Any) -> TranslationForm:
    """The form for a letter with these signatory categories: one field for each one's name,
    labelled with the original; left blank, the original name is kept."""
    fields = {
        f"category_{n}": StringField(
            original,
            validators=[Optional(), AtMost(CATEGORY_NAME_MAX, lazy_gettext("A category's name"))],
        )
        for n, original in enumerate(categories)
    }
    fields["category_originals"] = tuple(categories)
    cls = type(TranslationForm.__name__, (TranslationForm,), fields)
    return cls(**kwargs)
