"""The links in a partner's invitation or reminder: the sign form filled in for them, "we can't sign
this time", and no more emails about the letter."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, make_response, render_template, request
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from signon.extensions import csrf
from signon.forms.public import ConfirmForm, FormShape, sign_form
from signon.models import LetterStatus
from signon.services import embargo, letters, outreach
from signon.views.public import letter_page, no_store
from signon.views.signer_pages import one_click

bp = Blueprint("outreach", __name__)


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        lazy_gettext("Anything you would like the organizers to know? (optional)"),
        validators=[Optional(), Length(max=500)],
        description=lazy_gettext(
            "For example: our board has not decided yet, or this is outside our mission."
        ),
    )


@bp.get("/letters/<slug>/invitation/<token>")
@no_store
def invitation(slug: str, token: str) -> Any:
    """The letter's page, its form filled in from the partner the link was sent to; a link that
    does not work here shows the form empty, as anyone would see it. The email address travels in
    the page, never in the link."""
    letter = letters.get_by_slug(slug)
    if letter is None or letter.status == LetterStatus.DRAFT:
        return render_template("public/link_invalid.html"), 404
    embargo.reveal_if_due(letter)
    form = sign_form(FormShape.of(letter))
    partner = outreach.partner_for_link(token, letter)
    if partner is not None:
        form.organization.data = partner.organization
        form.name.data = partner.contact_name
        form.email.data = partner.email
        form.invitation.data = token
    response = make_response(letter_page(letter, form))
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/outreach/decline/<token>", methods=["GET", "POST"])
@no_store
def decline(token: str) -> Any:
    form = DeclineForm()
    if request.method == "POST" and form.validate_on_submit():
        answered = outreach.decline(token, form.reason.data or "")
        if answered is None:
            return render_template("public/link_invalid.html"), 404
        return render_template("public/declined.html", partner=answered[0], answer=answered[1])
    partner = outreach.partner_for_link(token)
    if partner is None:
        return render_template("public/link_invalid.html"), 404
    return render_template("public/decline.html", partner=partner, form=form)


@bp.route("/outreach/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # checked by one_click, except for a mail client's one-click POST, which has no token
@no_store
def unsubscribe(token: str) -> Any:
    clicked = one_click(lambda: outreach.unsubscribe(token))
    if clicked is not None:
        return clicked
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        answered = outreach.unsubscribe(token)
        if answered is None:
            return render_template("public/link_invalid.html"), 404
        return render_template("public/outreach_unsubscribed.html", partner=answered[0])
    partner = outreach.partner_for_link(token)
    if partner is None:
        return render_template("public/link_invalid.html"), 404
    return render_template("public/outreach_unsubscribe.html", partner=partner, form=form)
