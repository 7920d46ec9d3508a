"""The last mile: exports, frozen lists, deliveries and updates to signers."""

from __future__ import annotations

from typing import Any

from flask import Response as FlaskResponse
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

from signon import i18n
from signon.exports import formats
from signon.exports.model import ListOptions
from signon.forms.auth import EmptyForm
from signon.forms.delivery import DeliveryForm, FreezeForm, SignerUpdateForm
from signon.models import DocumentJob, Letter, ListSnapshot
from signon.services import (
    deliverables,
    deliveries,
    document_jobs,
    frozen_lists,
    listing,
    updates,
)
from signon.views.admin.base import bp, download, letter_or_404, me


@bp.get("/letters/<int:letter_id>/deliver")
def deliver(letter_id: int) -> str:
    return _render_deliver(letter_or_404(letter_id))


def _render_deliver(letter: Letter, update_form: SignerUpdateForm | None = None) -> str:
    frozen = frozen_lists.snapshots(letter)
    delivery_form = DeliveryForm()
    _delivery_choices(delivery_form, frozen)
    return render_template(
        "admin/deliver.html",
        letter=letter,
        snapshots=frozen,
        freeze_form=FreezeForm(),
        delivery_form=delivery_form,
        update_form=update_form or SignerUpdateForm(formdata=None),
        action_form=EmptyForm(),
        deliveries=deliveries.deliveries(letter),
        updates=updates.updates(letter),
        informed=len(updates.informed_signers(letter)),
        formats=formats.LIST_FORMATS,
        listed=listing.public_list(letter),
        jobs=document_jobs.recent(letter),
        being_made=document_jobs.pending_for_snapshots(letter),
        made_files=frozen_lists.stored_formats(letter),
        keep_days=document_jobs.keep_days(),
        inline_limit=document_jobs.inline_limit(),
        export_languages=i18n.own_names(),
        export_language=deliverables.export_language(letter),
        delivery_methods=deliveries.METHOD_WORDS,
    )


def _delivery_choices(form: DeliveryForm, frozen: list[ListSnapshot]) -> None:
    form.snapshot.choices = [
        SelectChoice(
            s.id,
            _(
                "Frozen %(time)s UTC: %(count)s",
                time=f"{s.created_at:%Y-%m-%d %H:%M}",
                count=s.count_line,
            ),
        )
        for s in frozen
    ]
    form.method.choices = [SelectChoice(k, v) for k, v in deliveries.DELIVERY_METHODS.items()]


@bp.route("/letters/<int:letter_id>/export", methods=["GET", "POST"])
def export(letter_id: int) -> FlaskResponse | Response:
    """List formats download with GET; contact lists need a POST, because each download is audited."""
    letter = letter_or_404(letter_id)
    fmt = request.values.get("format", "")
    if fmt in formats.CONTACT_FORMATS and (
        request.method != "POST" or not EmptyForm().validate_on_submit()
    ):
        abort(405 if request.method != "POST" else 400)
    options = ListOptions(
        grouped=request.values.get("grouped", "1") == "1",
        with_place=request.values.get("place", "1") == "1",
        with_unnamed=request.values.get("unnamed", "0") == "1",
        language=deliverables.export_language(letter, request.values.get("language")),
    )
    try:
        exported = deliverables.export_or_queue(letter, fmt, options, actor=me())
    except deliverables.ExportError:
        abort(404)
    if isinstance(exported, DocumentJob):  # too big for a request: the worker makes it
        return redirect(url_for("admin.document_job", letter_id=letter.id, job_id=exported.id))
    return download(exported)


@bp.post("/letters/<int:letter_id>/freeze")
def freeze(letter_id: int) -> Response:
    letter = letter_or_404(letter_id)
    form = FreezeForm()
    if form.validate_on_submit():
        snapshot = frozen_lists.freeze(letter, by=me(), note=form.note.data or "")
        frozen = _(
            "List frozen: %(count)s. Its files will download the same forever.",
            count=snapshot.count_line,
        )
        if len(snapshot.files) < len(formats.LIST_FORMATS):
            frozen += " " + _(
                "The DOCX and PDF are being made; this page shows when they are ready."
            )
        flash(frozen, "success")
    return redirect(url_for("admin.deliver", letter_id=letter.id))


@bp.get("/letters/<int:letter_id>/snapshots/<int:snapshot_id>/<fmt>")
def snapshot_file(letter_id: int, snapshot_id: int, fmt: str) -> FlaskResponse | Response:
    letter = letter_or_404(letter_id)
    snapshot = frozen_lists.snapshot_of(letter, snapshot_id)
    if snapshot is None:
        abort(404)
    job = document_jobs.pending_for_snapshots(letter).get((snapshot.id, fmt))
    try:
        return download(frozen_lists.snapshot_export(snapshot, fmt))
    except deliverables.ExportError:
        if job is None:
            abort(404)
    return redirect(url_for("admin.document_job", letter_id=letter.id, job_id=job.id))


@bp.post("/letters/<int:letter_id>/deliveries")
def record_delivery(letter_id: int) -> Any:
    letter = letter_or_404(letter_id)
    form = DeliveryForm()
    frozen = frozen_lists.snapshots(letter)
    _delivery_choices(form, frozen)
    if form.validate_on_submit():
        snapshot = frozen_lists.snapshot_of(letter, form.snapshot.data or 0)
        if snapshot is not None and form.delivered_on.data is not None:
            deliveries.record_delivery(
                letter,
                snapshot,
                delivered_on=form.delivered_on.data,
                recipient=form.recipient.data or "",
                method=form.method.data or "",
                notes=form.notes.data or "",
                public=bool(form.public.data),
                by=me(),
            )
            flash(_("Delivery recorded."), "success")
            return redirect(url_for("admin.deliver", letter_id=letter.id))
    flash(
        _(
            "The delivery could not be recorded: %(errors)s",
            errors="; ".join(str(e) for errors in form.errors.values() for e in errors),
        ),
        "error",
    )
    return redirect(url_for("admin.deliver", letter_id=letter.id) + "#delivery")


@bp.post("/letters/<int:letter_id>/updates")
def send_update(letter_id: int) -> Any:
    letter = letter_or_404(letter_id)
    form = SignerUpdateForm()
    if form.validate_on_submit():
        update = updates.send_update(
            letter,
            form.subject.data or "",
            form.message.data or "",
            by=me(),
            public=bool(form.public.data),
        )
        count = update.recipients
        if update.public:
            sent = ngettext(
                "Update sent to %(num)s signer and posted on the public page.",
                "Update sent to %(num)s signers and posted on the public page.",
                count,
            )
        else:
            sent = ngettext(
                "Update sent to %(num)s signer.", "Update sent to %(num)s signers.", count
            )
        flash(sent, "success")
        return redirect(url_for("admin.deliver", letter_id=letter.id) + "#updates")
    return _render_deliver(letter, form), 422  # what was typed stays, errors beside it


@bp.post("/letters/<int:letter_id>/updates/<int:update_id>/unpublish")
def unpublish_update(letter_id: int, update_id: int) -> Response:
    letter = letter_or_404(letter_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if updates.unpublish_update(letter, update_id, by=me()):
        flash(_("The update is no longer shown on the public page."), "success")
    return redirect(url_for("admin.deliver", letter_id=letter.id) + "#updates")
