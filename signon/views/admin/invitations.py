"""Invitations and reminders to a letter's partners: see who gets one, send it, edit the texts."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from signon.extensions import db
from signon.forms.outreach import OutreachSettingsForm, SendOutreachForm
from signon.models import Partner
from signon.services import outreach, outreach_emails
from signon.views.admin.base import bp, letter_or_404, me


def _action(value: str | None) -> outreach.Action:
    if value not in set(outreach.Action):
        abort(400)
    return outreach.Action(value)


@bp.get("/letters/<int:letter_id>/partners/send")
def partners_send_check(letter_id: int) -> str:
    """The confirm step: how many will get the email, who is left out and why, and what it says."""
    letter = letter_or_404(letter_id)
    action = _action(request.args.get("action", outreach.Action.INVITE))
    picked = [int(v) for v in request.args.getlist("partner") if v.isdigit()] or None
    audience = outreach.audience(letter, action, picked)
    first = db.session.get(Partner, audience.ids[0]) if audience.ids else None
    form = SendOutreachForm(
        formdata=None,
        action=action,
        partners=",".join(map(str, picked or [])),
        expected=str(audience.count),
    )
    return render_template(
        "admin/partners_send.html",
        letter=letter,
        audience=audience,
        inviting=action == outreach.Action.INVITE,
        preview=outreach_emails.preview_for(letter, first, outreach.KIND_OF[action])
        if first
        else None,
        first=first,
        form=form,
        selected=picked is not None,
    )


@bp.post("/letters/<int:letter_id>/partners/send")
def partners_send(letter_id: int) -> Response:
    letter = letter_or_404(letter_id)
    form = SendOutreachForm()
    back = redirect(url_for("admin.partners_page", letter_id=letter.id))
    if not form.validate_on_submit():
        flash(_("The request could not be checked, so nothing was sent. Try again."), "error")
        return back
    action = outreach.Action(form.action.data)
    try:
        sent = outreach.send(letter, action, form.selected(), by=me())
    except outreach.OutreachError as error:
        flash(str(error), "error")
        return back
    flash(*_sent_message(action, sent))
    return back


def _sent_message(action: outreach.Action, sent: int) -> tuple[str, str]:
    if action == outreach.Action.INVITE:
        if sent:
            return ngettext(
                "%(num)s invitation on the way.", "%(num)s invitations on the way.", sent
            ), "success"
        return _("No invitation was sent: nobody left to send one to (already done?)."), "info"
    if sent:
        return ngettext(
            "%(num)s reminder on the way.", "%(num)s reminders on the way.", sent
        ), "success"
    return _("No reminder was sent: nobody left to send one to (already done?)."), "info"


@bp.route("/letters/<int:letter_id>/partners/emails", methods=["GET", "POST"])
def partner_emails(letter_id: int) -> Any:
    """The invitation and reminder texts and the reminder schedule; Preview shows them first."""
    letter = letter_or_404(letter_id)
    form = OutreachSettingsForm()
    previews = None
    if request.method == "GET":
        form.fill_from(letter)
    else:
        settings = form.check(letter)
        if settings is not None and "preview" in request.form:
            previews = outreach_emails.previews(letter, settings.texts)
        elif settings is not None:
            outreach_emails.save_settings(letter, settings, by=me())
            flash(_("Invitation and reminder settings saved."), "success")
            return redirect(url_for("admin.partner_emails", letter_id=letter.id))
    return render_template(
        "admin/partner_emails.html",
        letter=letter,
        form=form,
        previews=previews,
        placeholders=outreach_emails.PLACEHOLDERS,
    ), 422 if form.errors else 200
