"""The sign form framed on the sites a letter's organizers allow: no session, no cookie."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, make_response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext

from signon import i18n
from signon.extensions import csrf, limiter
from signon.forms.public import FormShape, SignForm, sign_form
from signon.models import Letter
from signon.privacy import client_hash
from signon.security import allow_framing, configured_limit
from signon.services import embedding, letters, sharing, translations
from signon.views.public import LONG_OPEN, NO_SESSION_CSRF, Framed, public_letter, sign_posted

bp = Blueprint("embed", __name__)

FOREIGN_SITE = lazy_gettext(
    "This form was sent from a site that may not show it, so nothing was sent. Please sign on "
    "the letter's own page."
)


def _framed(letter: Letter, body: Any, status: int = 200) -> Response:
    """Framed only by the letter's allowed sites; never cached, so each showing has a fresh token."""
    response = make_response(body, status)
    allow_framing(response, embedding.sites_of(letter))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/letters/<slug>/embed", methods=["GET", "POST"])
@csrf.exempt  # the form carries its own signed token: a framed page gets no session cookie
@limiter.shared_limit(configured_limit("SIGN"), scope="sign", methods=["POST"])
def form(slug: str) -> Response:
    letter = public_letter(slug)
    if not embedding.sites_of(letter):
        page = render_template("embed/not_enabled.html", letter=letter, title=_title(letter))
        return _framed(letter, page, 404)
    shape = FormShape.of(letter)
    if request.method == "GET":
        return _page(letter, sign_form(shape, meta=NO_SESSION_CSRF))
    signed, notice, status, posted = _sign(letter, shape)
    if signed:  # `slug`, not letter.slug: the commit expired the letter
        return _framed(letter, redirect(url_for("embed.signed", slug=slug)), 303)
    kept = posted or sign_form(shape, meta=NO_SESSION_CSRF)  # on a POST, with everything typed
    return _page(letter, kept, notice, status)


def _sign(letter: Letter, shape: FormShape) -> tuple[bool, str, int, SignForm | None]:
    """Check where the POST came from and its token, then sign by the site's rules."""
    if not embedding.from_allowed_site(
        letter, request.headers.get("Origin"), request.referrer, request.host_url
    ):
        return False, str(FOREIGN_SITE), 403, None
    try:
        token = embedding.read_token(letter, request.form.get("started"), _client())
    except embedding.TokenProblem as problem:
        return False, str(problem), 422, None
    g.csrf_valid = True  # as CSRFProtect marks a checked request, so the sign form trusts it
    signed, notice, form = sign_posted(letter, shape, Framed(token.age, token.origin()))
    return signed, notice, 422, form


def _title(letter: Letter) -> str:
    """The letter's title in the language the frame speaks."""
    return translations.title_in(letter, i18n.current())


def _client() -> str:
    return client_hash(request.remote_addr)


def _fresh_token(letter: Letter, posted: str | None, notice: str) -> str:
    """The token the page shows: the posted one while it is good, else a new one."""
    site = embedding.embedding_site(letter, request.referrer)
    if posted and notice != str(LONG_OPEN):
        try:
            token = embedding.read_token(letter, posted, _client())
        except embedding.TokenProblem:
            return embedding.form_token(letter, site, _client())
        if not embedding.token_expired(token):
            return posted
        site = token.site
    return embedding.form_token(letter, site, _client())


def _page(letter: Letter, form: SignForm, notice: str = "", status: int = 200) -> Response:
    form.version.data = str(letters.current_version(letter).id)
    form.name_categories(translations.category_names_in(letter, i18n.current()))
    form.started.data = _fresh_token(letter, form.started.data, notice)
    counts = sharing.public_counts(letter)
    body = render_template(
        "embed/form.html",
        letter=letter,
        title=_title(letter),
        form=form,
        notice=notice,
        counted=sharing.count_sentence(counts) if counts else "",
        accepting=letters.accepts_signatures(letter),
    )
    return _framed(letter, body, status)


@bp.get("/letters/<slug>/embed/check-your-email")
def signed(slug: str) -> Response:
    letter = public_letter(slug)
    return _framed(letter, render_template("embed/signed.html", letter=letter))
