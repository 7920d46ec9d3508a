"""Who runs a letter and how it speaks: co-hosts, notifications, the letter's emails."""

from __future__ import annotations

from typing import Any

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response

from signon.extensions import limiter
from signon.forms.auth import EmptyForm
from signon.forms.letters import EmailSettingsForm
from signon.forms.people import HostForm, NotifyForm
from signon.models import NotifyMode
from signon.security import configured_limit
from signon.services import (
    access,
    accounts,
    letter_emails,
)
from signon.views.admin.base import bp, letter_or_404, me

_HOST_MESSAGES = {
    access.HostAdded.INVITED: lazy_gettext(
        "%(email)s had no account: we created one and emailed them an invitation to co-host "
        "this letter."
    ),
    access.HostAdded.ADDED: lazy_gettext(
        "%(email)s now co-hosts this letter; we emailed them a link to it."
    ),
    access.HostAdded.ALREADY: lazy_gettext(
        "%(email)s already co-hosts this letter. Nothing changed."
    ),
}


@bp.post("/letters/<int:letter_id>/hosts")
@limiter.limit(configured_limit("INVITE"))
def add_host(letter_id: int) -> Response:
    letter = letter_or_404(letter_id)
    form = HostForm()
    if form.validate_on_submit():
        try:
            outcome = access.add_host(letter, form.email.data or "", by=me())
            flash(_HOST_MESSAGES[outcome] % {"email": form.email.data}, "success")
        except accounts.AccountError as error:
            flash(str(error), "error")
    else:
        flash(_("Enter the co-host's email address."), "error")
    return redirect(url_for("admin.letter", letter_id=letter.id) + "#hosts")


@bp.post("/letters/<int:letter_id>/hosts/<int:organizer_id>/remove")
def remove_host(letter_id: int, organizer_id: int) -> Response:
    letter = letter_or_404(letter_id)
    if EmptyForm().validate_on_submit():
        try:
            access.remove_host(letter, organizer_id, by=me())
            flash(_("Co-host removed."), "success")
        except accounts.AccountError as error:
            flash(str(error), "error")
    return redirect(url_for("admin.letter", letter_id=letter.id) + "#hosts")


@bp.post("/letters/<int:letter_id>/notifications")
def notifications(letter_id: int) -> Response:
    letter = letter_or_404(letter_id)
    form = NotifyForm()
    if form.validate_on_submit():
        access.set_notify(letter, me(), NotifyMode(form.notify.data))
        flash(_("Notification choice saved."), "success")
    return redirect(url_for("admin.letter", letter_id=letter.id) + "#notifications")


@bp.route("/letters/<int:letter_id>/emails", methods=["GET", "POST"])
def email_settings(letter_id: int) -> Any:
    """Sender name, Reply-To and the signers' email texts; Preview shows them before saving."""
    letter = letter_or_404(letter_id)
    form = EmailSettingsForm()
    previews = None
    if request.method == "GET":
        form.fill_from(letter)
    elif form.validate_on_submit():
        settings = form.settings()
        if "preview" in request.form:
            previews = letter_emails.previews(letter, settings)
        else:
            try:
                letter_emails.save_settings(letter, settings, by=me())
                flash(_("Email settings saved."), "success")
                return redirect(url_for("admin.email_settings", letter_id=letter.id))
            except letter_emails.SettingsError as error:
                form[error.field].errors.append(str(error))
    return render_template(
        "admin/emails.html",
        letter=letter,
        form=form,
        previews=previews,
        placeholders=letter_emails.PLACEHOLDERS,
    ), 422 if form.errors else 200
