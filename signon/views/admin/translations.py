"""A letter's translations: where each language stands, and the form to translate into it."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from signon import i18n
from signon.forms.translations import TranslationForm, translation_form
from signon.models import Letter
from signon.services import letters, translations
from signon.views.admin.base import bp, letter_or_404, me


@bp.get("/letters/<int:letter_id>/translations")
def letter_translations(letter_id: int) -> Any:
    letter = letter_or_404(letter_id)
    return _page(letter, {})


@bp.post("/letters/<int:letter_id>/translations/<language>")
def save_translation(letter_id: int, language: str) -> Any:
    letter = letter_or_404(letter_id)
    if language not in translations.offered_languages(letter):
        abort(404)
    form = translation_form(list(letter.categories or []), prefix=language)
    if form.validate_on_submit():
        try:
            translations.save_translation(letter, language, form.draft(), by=me())
        except translations.TranslationError as error:
            message = str(error)  # begins in lower case; a name in it keeps its own
            form.form_errors.append(message[:1].upper() + message[1:] + ".")
        else:
            flash(
                _("Saved the %(language)s translation.", language=i18n.language_name(language)),
                "success",
            )
            return redirect(
                url_for("admin.letter_translations", letter_id=letter_id)
                + f"#translation-{language}"
            )
    return _page(letter, {language: form}, 422)


def _page(letter: Letter, posted: dict[str, TranslationForm], status: int = 200) -> Any:
    states = translations.states(letter)
    forms = {}
    for state in states:
        form = posted.get(state.language)
        if form is None:
            form = translation_form(
                list(letter.categories or []), prefix=state.language, formdata=None
            )
            form.fill_from(state.translation)
        forms[state.language] = form
    return render_template(
        "admin/translations.html",
        letter=letter,
        version=letters.current_version(letter),
        states=states,
        forms=forms,
    ), status
