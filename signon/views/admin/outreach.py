"""Partners: the organizations a letter's coalition wants on it, imported, matched and tracked."""

from __future__ import annotations

from typing import Any

from flask import Response as FlaskResponse
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from signon.exports import partners as partner_export
from signon.forms.outreach import (
    ConfirmPartnersForm,
    MatchPartnerForm,
    PartnerImportForm,
    PartnersFromLetterForm,
)
from signon.models import Letter
from signon.services import access, partner_import, partner_plan, partner_sheet, partners
from signon.services.deliverables import ExportFile
from signon.views.admin.base import bp, download, letter_or_404, me

# Where rows come from when no file name says it, as the import records it.
PASTED = "pasted rows"
A_FILE = "the file"


def _from_letter_form(letter: Letter) -> PartnersFromLetterForm:
    form = PartnersFromLetterForm()
    form.source.choices = [
        SelectChoice(other.id, other.title)
        for other in access.letters_for(me())
        if other.id != letter.id
    ]
    return form


@bp.get("/letters/<int:letter_id>/partners")
def partners_page(letter_id: int) -> str:
    letter = letter_or_404(letter_id)
    state = request.args.get("state", "all")
    if state not in partners.FILTERS:
        state = "all"
    everyone = partners.rows(letter)
    return render_template(
        "admin/partners.html",
        letter=letter,
        state=state,
        counts=partners.counts(everyone),
        shown=partners.filtered(everyone, state),
        filters=partners.FILTERS,
        proposals=partners.proposals(letter),
        status_names=partners.STATUS_WORDS,
        import_form=PartnerImportForm(formdata=None),
        from_letter=_from_letter_form(letter),
        match_form=MatchPartnerForm(formdata=None),
    )


def _preview(letter: Letter, plan: partner_plan.Plan, kind: str, payload: str) -> str:
    digest = plan.digest()
    confirm = ConfirmPartnersForm(
        formdata=None,
        kind=kind,
        payload=payload,
        filename=plan.source,
        digest=digest,
        seal=partner_import.seal(letter, me().id, f"{kind}:{payload}", digest),
    )
    return render_template(
        "admin/partners_preview.html",
        letter=letter,
        plan=plan,
        confirm=confirm,
        source=_shown_source(plan.source, kind, payload),
        field_names=partner_plan.FIELD_WORDS,
    )


def _shown_source(source: str, kind: str, payload: str) -> str:
    """Where the rows come from, in the page's language (the plan keeps it as recorded)."""
    if kind == "letter":
        return _("the signatories of “%(title)s”", title=letter_or_404(int(payload)).title)
    return {PASTED: _("pasted rows"), A_FILE: _("the file")}.get(source, source)


@bp.post("/letters/<int:letter_id>/partners/import")
def partners_import(letter_id: int) -> Any:
    """Upload or paste, then see every row checked; nothing is saved until the organizer confirms."""
    letter = letter_or_404(letter_id)
    form = PartnerImportForm()
    if form.validate_on_submit():
        try:
            text, source = _uploaded_text(form)
            plan = partner_plan.plan(letter, partner_sheet.read_text(text), source)
        except partner_sheet.PartnerImportError as error:
            form.file.errors = [str(error)]
        else:
            return _preview(letter, plan, "file", text)
    return render_template("admin/partners_import.html", letter=letter, import_form=form), 422


def _uploaded_text(form: PartnerImportForm) -> tuple[str, str]:
    if not form.file.data:
        return form.pasted.data or "", PASTED
    upload = form.file.data
    with upload.stream:  # a large upload waits in a temporary file: close it once read
        raw = upload.stream.read()
    limit = int(current_app.config["IMPORT_MAX_BYTES"])
    return partner_sheet.decoded(raw, limit), upload.filename or A_FILE


@bp.post("/letters/<int:letter_id>/partners/from-letter")
def partners_from_letter(letter_id: int) -> Any:
    letter = letter_or_404(letter_id)
    form = _from_letter_form(letter)
    if not form.validate_on_submit():
        flash(_("Choose one of your letters."), "error")
        return redirect(url_for("admin.partners_page", letter_id=letter.id))
    source = letter_or_404(form.source.data)
    plan = _letter_plan(letter, source)
    return _preview(letter, plan, "letter", str(source.id))


def _letter_plan(letter: Letter, source: Letter) -> partner_plan.Plan:
    sheet = partner_sheet.read_text(partner_import.letter_as_rows(source))
    return partner_plan.plan(letter, sheet, f"the signatories of “{source.title}”")


@bp.post("/letters/<int:letter_id>/partners/confirm")
def partners_confirm(letter_id: int) -> Any:
    """Save the previewed rows, only if the seal holds and the plan is still the one shown."""
    letter = letter_or_404(letter_id)
    form = ConfirmPartnersForm()
    kind, payload = form.kind.data or "", form.payload.data or ""
    if not form.validate_on_submit() or not partner_import.sealed(
        letter, me().id, f"{kind}:{payload}", form.digest.data or "", form.seal.data or ""
    ):
        flash(_("The preview could not be checked, so nothing was saved. Import again."), "error")
        return redirect(url_for("admin.partners_page", letter_id=letter.id)), 400
    try:
        plan = _plan_again(letter, kind, payload, form.filename.data or A_FILE)
        if plan.digest() != form.digest.data:
            flash(_("The partners changed since the preview. Check this preview again."), "error")
            return _preview(letter, plan, kind, payload), 409
        added, updated = partner_import.apply(letter, plan, by=me())
    except partner_sheet.PartnerImportError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.partners_page", letter_id=letter.id))
    flash(
        ngettext(
            "Added %(num)s partner, updated %(updated)s.",
            "Added %(num)s partners, updated %(updated)s.",
            added,
            updated=updated,
        ),
        "success",
    )
    return redirect(url_for("admin.partners_page", letter_id=letter.id))


def _plan_again(letter: Letter, kind: str, payload: str, source: str) -> partner_plan.Plan:
    if kind == "letter":
        return _letter_plan(letter, letter_or_404(int(payload)))
    return partner_plan.plan(letter, partner_sheet.read_text(payload), source)


@bp.post("/letters/<int:letter_id>/partners/match")
def partners_match(letter_id: int) -> Response:
    """A moderator confirms that a likely match is the same organization."""
    letter = letter_or_404(letter_id)
    form = MatchPartnerForm()
    if form.validate_on_submit():
        try:
            partner = partners.confirm_match(
                letter, _number(form.partner_id.data), _number(form.signature_id.data), by=me()
            )
            flash(
                _(
                    "%(organization)s is matched to its signature.",
                    organization=partner.organization,
                ),
                "success",
            )
        except partners.MatchError as error:
            flash(str(error), "error")
    return redirect(url_for("admin.partners_page", letter_id=letter.id))


def _number(value: str | None) -> int:
    if not (value or "").isdigit():
        abort(400)
    return int(value or 0)


@bp.get("/letters/<int:letter_id>/partners/not-signed.csv")
def partners_export(letter_id: int) -> FlaskResponse:
    letter = letter_or_404(letter_id)
    body = partner_export.as_csv(partners.chase_list(letter))
    filename = f"{letter.slug}-partners-not-signed.csv"
    return download(ExportFile(filename, "text/csv; charset=utf-8", body))


@bp.get("/letters/<int:letter_id>/partners/<int:partner_id>")
def partner_page(letter_id: int, partner_id: int) -> str:
    """One partner organization: its contact, where it stands, and the letters it signed."""
    letter = letter_or_404(letter_id)
    partner = partners.partner_of(letter, partner_id)
    if partner is None:
        abort(404)
    status = partner.signature.status if partner.signature else None
    return render_template(
        "admin/partner.html",
        letter=letter,
        partner=partner,
        state=partners.STATE_LABELS[partners.state_of(partner, status)],
        status_names=partners.STATUS_WORDS,
        signed=partners.letters_signed(partner.organization_key, me()),
    )
