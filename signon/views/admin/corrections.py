"""Corrections signers proposed from their "Manage your signature" page: the list, and a
moderator's accept or decline."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response

from signon.forms.manage import CorrectionDecisionForm
from signon.services import corrections
from signon.services.corrections import Decided
from signon.views.admin.base import bp, letter_or_404, me

_SAID = {
    Decided.ACCEPTED: (
        lazy_gettext("The correction is applied; the audit log keeps the original."),
        "success",
    ),
    Decided.DECLINED: (
        lazy_gettext("The correction is declined; the signature stays as it was."),
        "success",
    ),
    Decided.ALREADY_DECIDED: (
        lazy_gettext(
            "Nothing changed: this correction was already decided, or the signer replaced it."
        ),
        "error",
    ),
    Decided.WITHDRAWN: (
        lazy_gettext("Nothing changed: the signer has withdrawn this signature."),
        "error",
    ),
    Decided.CONFLICT: (
        lazy_gettext(
            "Nothing changed: this signer already has another signature for that organization on this letter."
        ),
        "error",
    ),
}


@bp.get("/letters/<int:letter_id>/corrections")
def corrections_list(letter_id: int) -> str:
    letter = letter_or_404(letter_id)
    return render_template(
        "admin/corrections.html",
        letter=letter,
        pending=corrections.pending_on_letter(letter),
        plan_of=corrections.line_plan,
        changes_of=corrections.changes_of,
        form=CorrectionDecisionForm(),
    )


@bp.post("/letters/<int:letter_id>/corrections/<int:correction_id>/accept")
def accept_correction(letter_id: int, correction_id: int) -> Response:
    letter = letter_or_404(letter_id)
    form = CorrectionDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    rename = bool(form.rename_line.data)
    return _said(corrections.accept(letter, correction_id, by=me(), rename_line=rename), letter_id)


@bp.post("/letters/<int:letter_id>/corrections/<int:correction_id>/decline")
def decline_correction(letter_id: int, correction_id: int) -> Response:
    letter = letter_or_404(letter_id)
    if not CorrectionDecisionForm().validate_on_submit():
        abort(400)
    return _said(corrections.decline(letter, correction_id, by=me()), letter_id)


def _said(decided: Decided, letter_id: int) -> Response:
    if decided == Decided.NOT_FOUND:
        abort(404)
    message, category = _SAID[decided]
    flash(str(message), category)
    return redirect(_back(letter_id))


def _back(letter_id: int) -> str:
    """Back to the signatory page the decision was made on, else the list."""
    signatory_id = request.form.get("signatory", type=int)
    if signatory_id:
        return url_for("admin.signatory", letter_id=letter_id, signatory_id=signatory_id)
    return url_for("admin.corrections_list", letter_id=letter_id)
