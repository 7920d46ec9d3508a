"""The pages a signer's emailed links open: confirm, withdraw, keep the signature on a new text,
unsubscribe from updates, and erase contact details. Each shows a button first (mail scanners
open links), and a link that is not valid says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_wtf import FlaskForm

from signon import i18n
from signon.extensions import csrf, limiter
from signon.forms.public import ConfirmForm, WithdrawForm
from signon.models import Letter, Signature, SignatureStatus, Token
from signon.security import configured_limit
from signon.services import letters, retention, signer_links, translations, updates
from signon.services.signer_links import Outcome
from signon.views.public import bp, no_store


def _link_page(signature: Signature | None, template: str, form: FlaskForm, **context: Any) -> Any:
    """The page a secret link opens: its button, or an explanation when the link is not valid."""
    if signature is None:
        return render_template("public/link_invalid.html"), 404
    return _signer_page(signature, template, form=form, **context)


def _signer_page(signature: Signature, template: str, **context: Any) -> str:
    """A page about one signature, in the language it was signed in, the letter named and
    linked in that language."""
    i18n.use_language_of_page(signature.language)
    return render_template(
        template, signature=signature, **_letter_in_page_language(signature.letter), **context
    )


def _letter_in_page_language(letter: Letter) -> dict[str, Any]:
    """The letter's title as this page's reader reads it, the link that opens the letter in
    their language, and whether its translation is of an earlier text than the current one."""
    here = i18n.current()
    url = url_for("public.letter", slug=letter.slug)
    if here != letter.language:
        url = url_for("language.choose", code=here, next=url)
    return {
        "letter_title": translations.title_in(letter, here),
        "letter_url": url,
        "translation_behind": translations.behind(letter, here),
    }


def result_page(template: str, result: signer_links.Result, **context: Any) -> str:
    """What a signer's link did, in the language they signed in."""
    if result.signature is not None:
        i18n.use_language_of_page(result.signature.language)
        context["thank_you"] = translations.thank_you_in(result.signature.letter, i18n.current())
        context |= _letter_in_page_language(result.signature.letter)
    return render_template(template, result=result, Outcome=Outcome, **context)


def _signature_of(token: Token | None) -> Signature | None:
    return token.signature if token is not None else None


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("CONFIRM"))
@no_store
def confirm(token: str) -> Any:
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        result = signer_links.confirm_signature(token)
        return result_page("public/confirm_result.html", result, token=token)
    signature = _signature_of(signer_links.confirmation_token(token))
    if (
        signature is not None
        and signature.status == SignatureStatus.UNCONFIRMED
        and not signer_links.can_still_confirm(signature)
    ):
        closed = signer_links.Result(Outcome.CLOSED, signature)
        return result_page("public/confirm_result.html", closed)
    return _link_page(signature, "public/confirm.html", form)


@bp.post("/confirm/<token>/resend")
@limiter.limit(configured_limit("RESEND"))
@no_store
def resend(token: str) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    signer_links.resend_confirmation(token)
    return render_template("public/check_email.html", letter=None)


@bp.route("/withdraw/<token>", methods=["GET", "POST"])
@no_store
def withdraw(token: str) -> Any:
    form = WithdrawForm()
    if request.method == "POST" and form.validate_on_submit():
        return result_page("public/withdraw_result.html", signer_links.withdraw_signature(token))
    return _link_page(
        _signature_of(signer_links.withdrawal_token(token)), "public/withdraw.html", form
    )


@bp.route("/keep/<token>", methods=["GET", "POST"])
@no_store
def keep(token: str) -> Any:
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        return result_page("public/keep_result.html", signer_links.keep_signature(token))
    signature = _signature_of(signer_links.reconfirmation_token(token))
    version = letters.current_version(signature.letter) if signature else None
    return _link_page(signature, "public/keep.html", form, version=version)


def one_click(unsubscribe: Callable[[], object]) -> Response | None:
    """The answer to a mail client's one-click unsubscribe (RFC 8058: posted on the reader's
    click, without cookies; the secret link itself is the authority, as it is for the button on
    the page). None for any other request, once a POST's CSRF token has been checked."""
    if request.method == "POST" and request.form.get("List-Unsubscribe") == "One-Click":
        done = unsubscribe() is not None
        said = "Unsubscribed.\n" if done else "This link is not valid.\n"
        return Response(said, 200 if done else 404, mimetype="text/plain")
    if request.method == "POST":
        csrf.protect()
    return None


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # checked by one_click, except for a mail client's one-click POST, which has no token
@no_store
def unsubscribe(token: str) -> Any:
    clicked = one_click(lambda: updates.unsubscribe(token))
    if clicked is not None:
        return clicked
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        signature = updates.unsubscribe(token)
        if signature is None:
            return render_template("public/link_invalid.html"), 404
        return _signer_page(signature, "public/unsubscribed.html")
    return _link_page(updates.unsubscribe_token(token), "public/unsubscribe.html", form)


@bp.route("/erase/<token>", methods=["GET", "POST"])
@no_store
def erase(token: str) -> Any:
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        signature = retention.erase_on_request(token)
        if signature is None:
            return render_template("public/link_invalid.html"), 404
        return _signer_page(signature, "public/erased.html")
    return _link_page(_signature_of(retention.erasure_token(token)), "public/erase.html", form)
