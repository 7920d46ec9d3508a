"""Organizers adding signatures themselves: one by hand, or the rows of a CSV file."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from signon.forms.intake import AddSignatureForm, ConfirmImportForm, ImportForm, check_row
from signon.forms.public import sign_form
from signon.models import Letter
from signon.services import intake
from signon.views.admin.base import bp, letter_or_404, me


def _add_form(letter: Letter) -> AddSignatureForm:
    form = sign_form(letter, AddSignatureForm)
    assert isinstance(form, AddSignatureForm)
    return form


@bp.route("/letters/<int:letter_id>/signatures/add", methods=["GET", "POST"])
def add_signature(letter_id: int) -> Any:
    letter = letter_or_404(letter_id)
    form = _add_form(letter)
    if form.validate_on_submit():
        try:
            signature = intake.add_signature(
                letter,
                form.signature_data(),
                by=me(),
                source=form.source.data or "",
                approve=bool(form.approve.data),
                tell_signer=bool(form.tell_signer.data),
            )
        except intake.IntakeError as error:
            form.email.errors = [*form.email.errors, str(error)]
        else:
            flash(
                _(
                    "Added %(listed_as)s (%(name)s).",
                    listed_as=signature.listed_as,
                    name=signature.name,
                ),
                "success",
            )
            return redirect(url_for("admin.signatures_queue", letter_id=letter.id, status="all"))
    status = 422 if form.errors else 200
    return render_template("admin/add_signature.html", letter=letter, form=form), status


@bp.route("/letters/<int:letter_id>/signatures/import", methods=["GET", "POST"])
def import_signatures(letter_id: int) -> Any:
    """Upload, then see every row checked; nothing is saved until the organizer confirms."""
    letter = letter_or_404(letter_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/import.html", letter=letter, form=form
        ), 422 if form.errors else 200
    upload = form.file.data
    filename = upload.filename or "the file"
    try:
        with upload.stream:  # a large upload waits in a temporary file: close it once read
            raw = upload.stream.read()
        text = intake.decode(raw)
        check = intake.check_file(
            letter, text, check_row(letter.categories, letter.allows_individuals)
        )
    except intake.IntakeError as error:
        form.file.errors = [str(error)]
        return render_template("admin/import.html", letter=letter, form=form), 422
    confirm = ConfirmImportForm(
        formdata=None,
        csv_text=text,
        filename=filename,
        approve="1" if form.approve.data else "",
        tell_signers="1" if form.tell_signers.data else "",
    )
    return render_template(
        "admin/import_check.html", letter=letter, check=check, confirm=confirm, filename=filename
    ), 200 if check.ok else 422


@bp.post("/letters/<int:letter_id>/signatures/import/confirm")
def confirm_import(letter_id: int) -> Any:
    letter = letter_or_404(letter_id)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        flash(_("The import expired. Choose the file again."), "error")
        return redirect(url_for("admin.import_signatures", letter_id=letter.id))
    filename = form.filename.data or "a CSV file"
    try:
        check = intake.check_file(
            letter,
            form.csv_text.data or "",
            check_row(letter.categories, letter.allows_individuals),
        )
        added = intake.import_rows(
            letter,
            check,
            by=me(),
            filename=filename,
            approve=form.approve.data == "1",
            tell_signers=form.tell_signers.data == "1",
        )
    except intake.IntakeError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.import_signatures", letter_id=letter.id))
    flash(
        ngettext(
            "Imported %(num)s signature from %(filename)s.",
            "Imported %(num)s signatures from %(filename)s.",
            len(added),
            filename=form.filename.data or _("a CSV file"),
        ),
        "success",
    )
    return redirect(url_for("admin.signatures_queue", letter_id=letter.id, status="all"))
