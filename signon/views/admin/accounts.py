"""Accounts: organizers, two-step sign-in, email rules."""

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
from flask_babel import gettext
from werkzeug.wrappers import Response

from signon import i18n
from signon.extensions import db
from signon.forms.auth import CodeForm, EmptyForm, LanguageForm
from signon.forms.moderation import EmailRuleForm
from signon.forms.people import InviteForm
from signon.models import Organizer
from signon.services import (
    accounts,
    screening,
    twofactor,
)
from signon.views.admin.base import bp, me


@bp.route("/organizers", methods=["GET", "POST"])
def organizers() -> Any:
    if not me().is_admin:
        abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            accounts.invite_organizer(
                form.email.data or "",
                name=form.name.data or "",
                role=form.role.data or "",
                invited_by=me(),
            )
            flash(gettext("Invitation sent to %(address)s.", address=form.email.data), "success")
            return redirect(url_for("admin.organizers"))
        except accounts.AccountError as error:
            form.email.errors.append(str(error))
    return render_template(
        "admin/organizers.html",
        organizers=accounts.organizers(),
        form=form,
        action_form=EmptyForm(),
    )


@bp.post("/organizers/<int:organizer_id>/reset-two-step")
def reset_two_step(organizer_id: int) -> Response:
    """An admin turns two-step sign-in off for an organizer locked out of it."""
    organizer = db.session.get(Organizer, organizer_id)
    if not me().is_admin or organizer is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        if twofactor.reset(organizer, by=me()):
            flash(
                gettext(
                    "Two-step sign-in is off for %(address)s. They sign in with their password "
                    "and can set it up again under Account.",
                    address=organizer.email,
                ),
                "success",
            )
        else:
            flash(
                gettext(
                    "Two-step sign-in was already off for %(address)s.", address=organizer.email
                ),
                "info",
            )
    return redirect(url_for("admin.organizers"))


@bp.route("/account", methods=["GET", "POST"])
def account() -> Any:
    """Two-step sign-in: start, confirm with a code from the app (recovery codes shown once), or turn off."""
    organizer = me()
    form = CodeForm()
    codes = None
    action = request.form.get("action", "")
    if request.method == "POST" and action == "start" and EmptyForm().validate_on_submit():
        twofactor.begin_setup(organizer)
    elif request.method == "POST" and form.validate_on_submit():
        if action == "confirm":
            codes = twofactor.confirm_setup(organizer, form.code.data or "")
            if codes is None:
                form.code.errors.append(
                    gettext("That code is not right. Codes change every 30 seconds.")
                )
        elif action == "disable":
            if twofactor.disable(organizer, form.code.data or ""):
                flash(gettext("Two-step sign-in is off."), "success")
                return redirect(url_for("admin.account"))
            form.code.errors.append(gettext("That code is not right."))
    secret = twofactor.pending_secret(organizer)
    return render_template(
        "admin/account.html",
        me=organizer,
        form=form,
        codes=codes,
        secret=secret,
        action_form=EmptyForm(),
        language_form=_language_form(organizer),
        qr=twofactor.qr_svg_data_uri(organizer, secret) if secret else None,
        remaining=twofactor.remaining_recovery_codes(organizer) if organizer.totp_enabled else 0,
    )


def _language_form(organizer: Organizer) -> LanguageForm | None:
    """The choice of the organizer's own language, on a site that speaks more than one."""
    if len(i18n.languages()) < 2:
        return None
    return LanguageForm(language=i18n.spoken_or_default(organizer.language))


@bp.post("/account/language")
def account_language() -> Response:
    """The organizer's own language: stored on the account for their workspace and emails, and
    in this browser's cookie, which an earlier choice left there."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.account"))
    code = form.language.data or ""
    accounts.set_language(me(), code)
    with i18n.speaking(code):
        flash(
            gettext(
                "Your language is saved: %(name)s.",
                name=i18n.language_name(code, code, capitalized=True),
            ),
            "success",
        )
    response = redirect(url_for("admin.account"))
    i18n.remember(response, code)
    return response


@bp.route("/email-rules", methods=["GET", "POST"])
def email_rules() -> Any:
    if not me().is_admin:
        abort(404)
    form = EmailRuleForm()
    if form.validate_on_submit():
        try:
            rule = screening.add_rule(
                form.pattern.data or "", form.action.data or "", note=form.note.data or "", by=me()
            )
            flash(_rule_added(rule.action, rule.pattern), "success")
            return redirect(url_for("admin.email_rules"))
        except screening.RuleError as error:
            form.pattern.errors.append(str(error))
    return render_template(
        "admin/email_rules.html", form=form, rules=screening.rules(), action_form=EmptyForm()
    )


@bp.post("/email-rules/<int:rule_id>/remove")
def remove_email_rule(rule_id: int) -> Response:
    if not me().is_admin:
        abort(404)
    if EmptyForm().validate_on_submit():
        screening.remove_rule(rule_id, by=me())
        flash(gettext("Rule removed."), "success")
    return redirect(url_for("admin.email_rules"))


def _rule_added(action: str, pattern: str) -> str:
    if action == screening.BLOCK:
        return gettext("Blocked %(pattern)s.", pattern=pattern)
    return gettext("Allowed %(pattern)s.", pattern=pattern)
