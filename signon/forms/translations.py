"""The form an organizer translates a letter's text with, one per language on the page."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from signon.forms.letters import LETTER_TITLE
from signon.models import LetterTranslation
from signon.services.translations import TranslationDraft


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

    def fill_from(self, translation: LetterTranslation | None) -> None:
        if translation is None:
            return
        self.title.data = translation.title
        self.body.data = translation.body_markdown
        self.thank_you.data = translation.thank_you_markdown

    def draft(self) -> TranslationDraft:
        return TranslationDraft(
            title=self.title.data or "",
            body_markdown=(self.body.data or "").replace("\r\n", "\n"),
            thank_you_markdown=(self.thank_you.data or "").replace("\r\n", "\n"),
        )
