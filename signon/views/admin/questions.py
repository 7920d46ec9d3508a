"""A letter's own questions on the sign form: add and remove them."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from signon.forms.auth import EmptyForm
from signon.forms.letters import QuestionForm
from signon.services import questions
from signon.views.admin.base import bp, letter_or_404, me


@bp.route("/letters/<int:letter_id>/questions", methods=["GET", "POST"])
def letter_questions(letter_id: int) -> Any:
    letter = letter_or_404(letter_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            question = questions.add_question(
                letter,
                form.label.data or "",
                form.kind.data or "",
                required=bool(form.required.data),
                choices=(form.choices.data or "").splitlines(),
                by=me(),
            )
        except questions.QuestionError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Added the question “%(question)s”.", question=question.label), "success")
            return redirect(url_for("admin.letter_questions", letter_id=letter.id))
    return render_template(
        "admin/questions.html",
        letter=letter,
        form=form,
        questions=questions.questions_of(letter),
        action_form=EmptyForm(),
    ), 422 if form.errors or form.form_errors else 200


@bp.post("/letters/<int:letter_id>/questions/<question_id>/remove")
def remove_question(letter_id: int, question_id: str) -> Any:
    letter = letter_or_404(letter_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    questions.remove_question(letter, question_id, by=me())
    flash(_("Question removed. Answers already given stay with their signatures."), "success")
    return redirect(url_for("admin.letter_questions", letter_id=letter.id))
