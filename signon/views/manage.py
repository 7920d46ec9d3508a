"""The signer's "Manage your signature" pages: the emailed link opens a short signer session, in
which they see their signature, propose a correction, or withdraw."""

from __future__ import annotations

import time
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response

from signon import i18n
from signon.extensions import limiter
from signon.forms.manage import CorrectionForm, NewLinkForm
from signon.forms.public import ConfirmForm, WithdrawForm
from signon.models import LetterStatus, SignatoryKind, Signature
from signon.security import configured_limit
from signon.services import corrections, letters, listing_choices, self_service, signer_links
from signon.services.self_service import Opening
from signon.views.signer_pages import result_page

bp = Blueprint("manage", __name__)

# The signer session: which signature, and until when (epoch seconds). The session cookie itself
# ends when the browser closes; the organizer's keys in it are left alone.
_SESSION_KEY = "manage"


@bp.after_request
def private(response: Response) -> Response:
    """These pages show one signer's personal data: kept out of caches, search engines and the
    Referer of any link followed from them."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _start_session(signature: Signature) -> None:
    minutes = float(current_app.config["MANAGE_SESSION_MINUTES"])
    session[_SESSION_KEY] = {"s": signature.id, "until": int(time.time() + minutes * 60)}


def _session_signature() -> Signature | None:
    held = session.get(_SESSION_KEY)
    if not isinstance(held, dict) or not isinstance(held.get("s"), int):
        return None
    if not isinstance(held.get("until"), int) or held["until"] < time.time():
        session.pop(_SESSION_KEY, None)
        return None
    return self_service.session_signature(held["s"])


def _signer() -> Signature | Any:
    """The session's signature, or the page to show instead (no session; letter closed)."""
    signature = _session_signature()
    if signature is None:
        return render_template("public/manage_ended.html"), 403
    i18n.use_language_of_page(signature.language)
    if not letters.accepts_signatures(signature.letter):
        session.pop(_SESSION_KEY, None)
        return render_template("public/manage_closed.html", letter=signature.letter)
    return signature


def _link_state_page(state: self_service.LinkState) -> Any:
    if state.opening == Opening.INVALID or state.letter is None:
        return render_template("public/link_invalid.html"), 404
    if state.opening == Opening.CLOSED:
        return render_template("public/manage_closed.html", letter=state.letter)
    return render_template("public/manage_link_used.html", letter=state.letter, form=NewLinkForm())


@bp.route("/manage/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("CONFIRM"))
def open_link(token: str) -> Any:
    """GET shows a button, so a mail scanner opening the link spends nothing; the POST spends it."""
    held = _session_signature()
    state = self_service.link_state(token)
    if held is not None and state.signature is not None and held.id == state.signature.id:
        return redirect(url_for("manage.page"), code=303)  # reopened in the same session
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        state = self_service.open_link(token)
        if state.opening == Opening.OPENED and state.signature is not None:
            _start_session(state.signature)
            return redirect(url_for("manage.page"), code=303)
    if state.opening != Opening.READY:
        return _link_state_page(state)
    return render_template("public/manage_open.html", letter=state.letter, form=form)


@bp.post("/letters/<slug>/manage-link")
@limiter.limit(configured_limit("MANAGE_LINK"))
def new_link(slug: str) -> Any:
    """The same answer whether or not the address signed: only its mailbox learns which."""
    letter = letters.get_by_slug(slug)
    if letter is None or letter.status == LetterStatus.DRAFT:
        abort(404)
    if not letters.accepts_signatures(letter):
        return render_template("public/manage_closed.html", letter=letter)
    form = NewLinkForm()
    if not form.validate_on_submit():
        return render_template("public/manage_link_used.html", letter=letter, form=form), 422
    self_service.send_new_link(letter, form.email.data or "")
    return render_template("public/manage_link_sent.html", letter=letter)


@bp.get("/manage")
def page() -> Any:
    signer = _signer()
    if not isinstance(signer, Signature):
        return signer
    return _page(signer, _correction_form(signer, prefill=True))


def _correction_form(signature: Signature, *, prefill: bool) -> CorrectionForm:
    form = CorrectionForm(obj=signature if prefill else None)
    if signature.kind == SignatoryKind.INDIVIDUAL:
        form.for_individual()
    return form


def _page(signature: Signature, form: CorrectionForm, status: int = 200) -> Any:
    return render_template(
        "public/manage.html",
        view=self_service.overview(signature),
        letter=signature.letter,
        form=form,
        end_form=ConfirmForm(),
        listing_choices=listing_choices.choices_for,
        deadline=letters.local_deadline(signature.letter),
    ), status


@bp.post("/manage/correction")
def propose_correction() -> Any:
    signer = _signer()
    if not isinstance(signer, Signature):
        return signer
    form = _correction_form(signer, prefill=False)
    if not form.validate_on_submit():
        return _page(signer, form, 422)
    try:
        proposed = corrections.propose(signer, {f: form[f].data or "" for f in corrections.FIELDS})
    except corrections.CorrectionError as error:
        form.organization.errors = [*form.organization.errors, str(error)]
        return _page(signer, form, 422)
    if proposed is None:
        flash(gettext("That is what your signature already says: nothing to correct."), "notice")
    else:
        flash(gettext("Thank you: the organizers will look at your correction."), "success")
    return redirect(url_for("manage.page") + "#correction", code=303)


@bp.post("/manage/listing")
def change_listing() -> Any:
    """The signer lists their signature another way (counted only, without their name, named)."""
    signer = _signer()
    if not isinstance(signer, Signature):
        return signer
    if not ConfirmForm().validate_on_submit() or signer.status not in self_service.MANAGEABLE:
        abort(400)
    try:
        change = listing_choices.change_listing(
            signer.letter, signer.id, request.form.get("listing", ""), by=None
        )
    except listing_choices.ListingError as error:
        flash(str(error), "error")
        return redirect(url_for("manage.page") + "#listing", code=303)
    said = change.signature.listing_words
    if change.to_review:
        flash(
            gettext(
                "Saved: “%(choice)s”. Others signed for your organization too, so the organizers "
                "will look at this change before your organization's name leaves the public list.",
                choice=said,
            ),
            "success",
        )
    else:
        flash(
            gettext("Saved: “%(choice)s”.", choice=said)
            if change.changed
            else gettext("That was already your choice: “%(choice)s”.", choice=said),
            "success",
        )
    return redirect(url_for("manage.page") + "#listing", code=303)


@bp.route("/manage/withdraw", methods=["GET", "POST"])
def withdraw() -> Any:
    signer = _signer()
    if not isinstance(signer, Signature):
        return signer
    form = WithdrawForm()
    if request.method == "POST" and form.validate_on_submit():
        result = signer_links.withdraw(signer)
        return result_page("public/withdraw_result.html", result)
    return render_template("public/manage_withdraw.html", signature=signer, form=form)


@bp.post("/manage/end")
def end() -> Response:
    """Leave the page on a shared computer: the session ends at once."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session.pop(_SESSION_KEY, None)
    flash(
        gettext(
            "You have left the page. To come back, open the link in your email: it offers to "
            "send you a new one."
        ),
        "success",
    )
    return redirect(url_for("public.index"), code=303)
