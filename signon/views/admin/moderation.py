"""Moderation: the review queue, decisions one by one or in bulk, listings, duplicates, audit."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from signon import audit
from signon.forms.auth import EmptyForm
from signon.forms.manage import CorrectionDecisionForm
from signon.forms.moderation import DecisionForm, SignatoryForm
from signon.models import Letter, Signature
from signon.security import row_id, row_ids
from signon.services import (
    corrections,
    flags,
    letters,
    listing_choices,
    logos,
    moderation,
    questions,
    signatories,
    status_names,
)
from signon.views.admin.base import bp, letter_or_404, me


@bp.get("/letters/<int:letter_id>/signatures")
def signatures_queue(letter_id: int) -> str:
    letter = letter_or_404(letter_id)
    queue = moderation.review_queue(
        letter,
        status=request.args.get("status", "awaiting_review"),
        search=request.args.get("q", ""),
        page=request.args.get("page", 1, type=int),
    )
    decisions = moderation.decisions_for(queue.status)
    return render_template(
        "admin/signatures.html",
        letter=letter,
        queue=queue,
        form=DecisionForm(),
        filters=moderation.STATUS_FILTERS,
        state_label=status_names.one_signature,
        signals=flags.row_signals,
        current_number=letters.current_version(letter).number,
        decisions=decisions,
        corrections=corrections.pending_count(letter),
        answers=questions.answers_shown,
        logos=logos.by_signature([row.signature.id for row in queue.rows]),
        hides_name=listing_choices.named_lines_hidden_by([row.signature.id for row in queue.rows]),
        select_all=request.args.get("select") == "all",
        approvable=(
            moderation.plan_bulk(
                letter, moderation.Decision.APPROVE, status=queue.status, search=queue.search
            ).count
            if moderation.Decision.APPROVE in decisions
            else 0
        ),
    )


@bp.route("/letters/<int:letter_id>/signatures/bulk", methods=["GET", "POST"])
def bulk_decide(letter_id: int) -> Any:
    """Approve everything a filter matches, across pages: count first, then change on a POST."""
    letter = letter_or_404(letter_id)
    form = DecisionForm()
    plan = moderation.plan_bulk(
        letter,
        moderation.Decision.APPROVE,
        status=request.values.get("status", ""),
        search=request.values.get("q", ""),
        up_to=row_id(request.form.get("up_to")) if request.method == "POST" else None,
    )
    if request.method == "POST" and form.validate_on_submit():
        report = moderation.decide_planned(plan, letter, by=me())
        flash(_decision_message("approve", report), "success" if report.changed else "error")
        return redirect(url_for("admin.signatures_queue", letter_id=letter.id, status=plan.status))
    return render_template(
        "admin/bulk_decide.html",
        letter=letter,
        plan=plan,
        form=form,
        filter_label=moderation.STATUS_FILTERS[plan.status],
    )


@bp.post("/letters/<int:letter_id>/signatures/decide")
def decide(letter_id: int) -> Response:
    letter = letter_or_404(letter_id)
    form = DecisionForm()
    ids = row_ids(request.form.getlist("ids"))
    back = url_for(
        "admin.signatures_queue",
        letter_id=letter.id,
        status=request.form.get("status", ""),
        q=request.form.get("q", ""),
        page=request.form.get("page", 1),
    )
    if not form.validate_on_submit() or form.decision.data not in set(moderation.Decision):
        flash(_("Choose approve or reject."), "error")
    elif not ids:
        flash(_("Select at least one signature first."), "error")
    else:
        report = moderation.decide(
            letter,
            ids,
            moderation.Decision(form.decision.data),
            by=me(),
            reason=form.reason.data or "",
            status=moderation.known_filter(request.form.get("status", "")),
        )
        flash(
            _decision_message(form.decision.data, report), "success" if report.changed else "error"
        )
    return redirect(back)


def _decision_message(decision: str, report: moderation.DecisionReport) -> str:
    changed, skipped = len(report.changed), len(report.skipped)
    if decision == "approve":
        message = ngettext("Approved %(num)s signature.", "Approved %(num)s signatures.", changed)
        refused = ngettext(
            "%(num)s could not be approved:", "%(num)s could not be approved:", skipped
        )
    elif decision == "reject":
        message = ngettext("Rejected %(num)s signature.", "Rejected %(num)s signatures.", changed)
        refused = ngettext(
            "%(num)s could not be rejected:", "%(num)s could not be rejected:", skipped
        )
    else:
        message = ngettext("Released %(num)s signature.", "Released %(num)s signatures.", changed)
        refused = ngettext(
            "%(num)s could not be released:", "%(num)s could not be released:", skipped
        )
    if report.skipped:
        reasons = "; ".join(
            _("%(count)s because %(why)s", count=count, why=why)
            for why, count in report.why_skipped.items()
        )
        message += f" {refused} {reasons}."
    return message


@bp.route("/letters/<int:letter_id>/signatories/<int:signatory_id>", methods=["GET", "POST"])
def signatory(letter_id: int, signatory_id: int) -> Any:
    letter = letter_or_404(letter_id)
    signatory = signatories.signatory_of(letter, signatory_id)
    if signatory is None:
        abort(404)
    form = SignatoryForm(obj=signatory)
    form.category.choices = [SelectChoice("", _("No category"))] + [
        SelectChoice(c) for c in letter.categories or []
    ]
    if form.validate_on_submit():
        try:
            signatories.edit_signatory(
                signatory, {k: form[k].data for k in form.data if k != "csrf_token"}, by=me()
            )
            flash(_("The listing is updated."), "success")
            return redirect(
                url_for("admin.signatory", letter_id=letter.id, signatory_id=signatory.id)
            )
        except signatories.SignatoryError as error:
            form.display_name.errors.append(str(error))
    behind = signatories.signatures_behind(signatory)
    return render_template(
        "admin/signatory.html",
        letter=letter,
        signatory=signatory,
        form=form,
        signatures=behind,
        state_label=status_names.one_signature,
        pending=corrections.pending_by_signature(letter, [s.id for s in behind]),
        plan_of=corrections.line_plan,
        changes_of=corrections.changes_of,
        correction_form=CorrectionDecisionForm(),
        logos=logos.by_signature([s.id for s in behind]),
        action_form=EmptyForm(),
        listing_choices=listing_choices.choices_for,
    )


@bp.post("/letters/<int:letter_id>/signatures/<int:signature_id>/listing")
def change_listing(letter_id: int, signature_id: int) -> Response:
    """The signer asked to be listed another way: an organizer changes it (audited)."""
    letter = letter_or_404(letter_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        change = listing_choices.change_listing(
            letter, signature_id, request.form.get("listing", ""), by=me()
        )
    except listing_choices.NoSuchSignature:
        abort(404)
    except listing_choices.ListingError as error:
        flash(str(error), "error")
        return _signature_page(letter, error.signature)
    words = change.signature.listing_words
    flash(
        _("The listing is now “%(words)s”.", words=words)
        if change.changed
        else _("The listing was already “%(words)s”.", words=words),
        "success",
    )
    return _signature_page(letter, change.signature)


def _signature_page(letter: Letter, signature: Signature) -> Response:
    """The signatory the signature stands behind, else the signatures it is among."""
    if signature.signatory_id is None:
        return redirect(url_for("admin.signatures_queue", letter_id=letter.id, status="all"))
    return redirect(
        url_for("admin.signatory", letter_id=letter.id, signatory_id=signature.signatory_id)
    )


@bp.get("/letters/<int:letter_id>/duplicates")
def duplicates(letter_id: int) -> str:
    letter = letter_or_404(letter_id)
    return render_template(
        "admin/duplicates.html",
        letter=letter,
        groups=flags.groups(letter),
        form=EmptyForm(),
        select=request.args.get("select", "all"),
    )


@bp.post("/letters/<int:letter_id>/merge")
def merge(letter_id: int) -> Response:
    letter = letter_or_404(letter_id)
    ids = row_ids(request.form.getlist("ids"))
    into = row_id(request.form.get("into"))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        target = signatories.merge(letter, ids, into or 0, by=me())
        flash(_("Merged into “%(name)s”.", name=target.display_name), "success")
    except signatories.SignatoryError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.duplicates", letter_id=letter.id))


@bp.get("/letters/<int:letter_id>/audit")
def audit_log(letter_id: int) -> str:
    letter = letter_or_404(letter_id)
    return render_template("admin/audit.html", letter=letter, events=audit.letter_events(letter))
