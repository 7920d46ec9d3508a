"""Public pages: the letters and their sign form (the pages signers' emailed links open are in
signer_pages, on this blueprint)."""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup

from signon import i18n, templating
from signon.extensions import limiter
from signon.forms.entry import read_posted
from signon.forms.public import (
    FormShape,
    SignForm,
    sign_form,
)
from signon.forms.stamps import SignStamps
from signon.models import Letter, LetterStatus
from signon.outages import keeps_input
from signon.privacy import client_hash
from signon.security import configured_limit, form_started_stamp
from signon.services import (
    attribution,
    deliveries,
    embargo,
    letters,
    listing,
    logos,
    outreach,
    preview_links,
    sharing,
    signatures,
    translations,
    updates,
)

bp = Blueprint("public", __name__)


def no_store(view: Callable[..., Any]) -> Callable[..., Response]:
    """Pages reached by a secret link must not stay in caches or history."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped


def public_letter(slug: str) -> Letter:
    letter = letters.get_by_slug(slug)
    if letter is None or letter.status == LetterStatus.DRAFT:
        abort(404)
    embargo.reveal_if_due(letter)  # a scheduled launch happens on the first view after its time
    i18n.use_language_of_page(letter.language, lambda: translations.translated_languages(letter))
    return letter


@bp.get("/")
def index() -> str:
    return render_template("public/index.html", letters=letters.open_letters())


# The sign forms this process has shown, by letter: enough to show one again, with what was
# typed, while the database is unavailable.
_SIGN_FORMS = "signon.sign_forms"
_SIGN_FORMS_KEPT = 500


@dataclass(frozen=True)
class _SignPage:
    title: str
    shape: FormShape


_sign_forms_lock = threading.Lock()


def _remember_sign_form(letter: Letter, shape: FormShape) -> None:
    with _sign_forms_lock:
        shown: dict[str, _SignPage] = current_app.extensions.setdefault(_SIGN_FORMS, {})
        shown.pop(letter.slug, None)
        shown[letter.slug] = _SignPage(letter.title, shape)
        if len(shown) > _SIGN_FORMS_KEPT:
            shown.pop(next(iter(shown)))  # the one shown longest ago


def _sign_later() -> str:
    """The sign form again with everything typed, when the database could not take it."""
    slug = str((request.view_args or {}).get("slug", ""))
    page = current_app.extensions.get(_SIGN_FORMS, {}).get(slug) or _SignPage("", FormShape())
    form = sign_form(page.shape)
    form.started.data = form.started.data or form_started_stamp()
    shown = set(form._fields) - {
        *(() if form.allows_individuals else ("signing_as",)),
        *(() if form.categories else ("category",)),
    }
    kept = [
        (name, value)
        for name, values in request.form.lists()
        if name not in shown
        for value in values
    ]
    return render_template(
        "public/sign_later.html", title=page.title, slug=slug, form=form, kept=kept
    )


@bp.route("/letters/<slug>", methods=["GET", "POST"])
@limiter.shared_limit(
    configured_limit("SIGN"), scope="sign", methods=["POST"]
)  # with the framed form
@keeps_input(_sign_later)
def letter(slug: str) -> Any:
    letter = public_letter(slug)
    shape = FormShape.of(letter)
    _remember_sign_form(letter, shape)
    notice, form = "", None
    if request.method == "POST":
        signed, notice, form = sign_posted(letter, shape)
        if signed:  # `slug`, not letter.slug: the commit expired the letter
            return redirect(url_for("public.check_email", slug=slug), code=303)
    form = form or sign_form(shape)  # on a POST, with everything typed
    return letter_page(letter, form, notice, 422 if request.method == "POST" else 200)


def letter_page(
    letter: Letter, form: SignForm, notice: str = "", status: int = 200, *, private: bool = False
) -> Any:
    """The letter's page with this sign form (as typed, or filled from a partner's link); the
    list shows unless an embargo hides it, or always on the `private` page of the share link."""
    version = letters.current_version(letter)
    accepting = letters.accepts_signatures(letter)
    form.version.data = str(version.id)
    translated = translations.shown_in(letter, i18n.current())
    category_names = translations.category_names(letter, translated)
    form.name_categories(category_names)
    if not form.origin.data and request.method == "GET":  # the address says where they came from
        form.origin.data = attribution.origin_field(letter, request.args)
    if attribution.is_share_origin(form.origin.data):
        i18n.carry("origin", form.origin.data)
    if notice == str(LONG_OPEN):
        form.started.data = ""  # shown again with a fresh start time
    form.started.data = form.started.data or form_started_stamp()
    show_list = private or embargo.names_public(letter)
    # Under embargo the cached list is never read: nothing of it can reach the public page.
    signatories_html = (
        _signatories_html(letter, accepting, category_names)  # first: builds it on a change
        if show_list
        else _embargoed_html(letter)
    )
    return render_template(
        "public/letter.html",
        letter=letter,
        version=version,
        translated=translated,
        reading_languages=translations.translated_languages(letter),
        form=form,
        notice=notice,
        signatories=listing.cached_counts(letter) if private else embargo.public_counts(letter),
        signatories_html=signatories_html,
        private=private,
        logo_wall_html=_logo_wall_html(letter) if embargo.names_public(letter) else Markup(),
        card=sharing.card(letter, i18n.current()),
        accepting=accepting,
        deadline=letters.local_deadline(letter),
        deliveries=deliveries.deliveries(letter, public_only=True),
        updates=updates.updates(letter, public_only=True),
        zone=letters.zone_of(letter),
    ), status


def _signatories_html(letter: Letter, accepting: bool, names: dict[str, str]) -> Markup:
    """The list section, rendered once per list version for the whole site, and per category
    names: a translation saved with new ones shows at once."""
    template = "public/_signatories.html"
    named = zlib.crc32(json.dumps(sorted(names.items())).encode())
    variant = (
        f"{templating.fingerprint(template)}-{'open' if accepting else 'closed'}-{i18n.current()}"
        f"-{named:08x}"
    )
    return Markup(  # noqa: S704 - rendered by Jinja with autoescaping
        listing.cached_rendering(
            letter,
            variant,
            lambda listed: render_template(
                template, signatories=listed, accepting=accepting, category_names=names
            ),
        )
    )


def _embargoed_html(letter: Letter) -> Markup:
    """What the list section says while the list is private."""
    return Markup(  # noqa: S704 - rendered by Jinja with autoescaping
        render_template(
            "public/_embargoed.html",
            counts=embargo.public_counts(letter),
            reveal_at=embargo.local_reveal_at(letter),
        )
    )


def _logo_wall_html(letter: Letter) -> Markup:
    """The logo wall, when the organizers show it: rendered once per list version, like the list."""
    if not letter.show_logo_wall:
        return Markup()
    template = "public/_logo_wall.html"
    return Markup(  # noqa: S704 - rendered by Jinja with autoescaping
        listing.cached_rendering(
            letter,
            f"{templating.fingerprint(template)}-{i18n.current()}",
            lambda _: render_template(template, logos=logos.approved_logos(letter, cached=True)),
        )
    )


@bp.get("/letters/<slug>/preview-list/<code>")
def list_preview(slug: str, code: str) -> Any:
    """The letter's page with its list, for partners who have the private link before launch.
    A wrong code answers exactly as an unknown letter does."""
    letter = public_letter(slug)
    if not embargo.share_code_matches(letter, code):
        abort(404)
    response = make_response(letter_page(letter, sign_form(FormShape.of(letter)), private=True))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@dataclass(frozen=True)
class Framed:
    """A sign POST from the form framed on another site: its form has no session CSRF token
    (its own signed token was checked instead), and its start time and source come from it."""

    seconds_shown: float
    origin: attribution.Origin


NO_SESSION_CSRF: dict[str, Any] = {"csrf": False}  # meta of a sign form a framed page shows


def sign_posted(
    letter: Letter, shape: FormShape, framed: Framed | None = None
) -> tuple[bool, str, SignForm | None]:
    """Sign with the posted form: whether it was signed, the notice to show if not, and the
    SignForm if one was built. The common valid POST is read without WTForms; the rest goes to
    SignForm, whose rules are the same and which says what is wrong."""
    entry: SignStamps | None = read_posted(shape)
    form = None
    if entry is None:
        form = sign_form(shape, meta=NO_SESSION_CSRF if framed else {})
        if not form.validate_on_submit():
            return False, "", form
        entry = form
    if framed is not None:
        entry.shown_for(framed.seconds_shown)
    notice = _try_to_sign(letter, entry, framed.origin if framed else None)
    return not notice, notice, form


LONG_OPEN = lazy_gettext(
    "This page was open for a long time. Please check what you typed, then press the button "
    "again: everything is still here."
)


def _try_to_sign(letter: Letter, entry: SignStamps, origin: attribution.Origin | None) -> str:
    """Sign with what was posted: '' when done, else the notice shown above the kept form."""
    config = current_app.config
    if entry.stamp_expired(float(config["SIGN_FORM_MAX_AGE_HOURS"]) * 3600):
        return str(LONG_OPEN)
    try:
        signature = signatures.sign_letter(
            letter,
            entry.signature_data(),
            version_id=entry.version_id() or 0,
            client_hash=client_hash(request.remote_addr),
            trap=entry.trap_reason(float(config["MIN_FILL_SECONDS"])),
            origin=origin or attribution.posted_origin(letter.id, entry.origin_text()),
            logo=entry.logo_image(),
            language=i18n.current(),
        )
    except signatures.TextChanged:
        return gettext(
            "The letter was updated while you were reading. Please read the current text, then "
            "sign again: everything you typed is still here."
        )
    except signatures.SigningClosed:
        return gettext("Sign-on for this letter has closed, so your signature could not be added.")
    if entry.invitation_token():  # came from a partner's personal link
        outreach.signed_through_link(signature, entry.invitation_token())
    return ""


@bp.get("/letters/<slug>/check-your-email")
def check_email(slug: str) -> str:
    return render_template("public/check_email.html", letter=public_letter(slug))


@bp.get("/preview/<token>")
@no_store
def preview(token: str) -> Any:
    letter = preview_links.letter_for_preview(token)
    if letter is None:
        return render_template("public/link_invalid.html"), 404
    response = make_response(
        render_template(
            "public/preview.html",
            letter=letter,
            version=letters.current_version(letter),
            deadline=letters.local_deadline(letter),
        )
    )
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/privacy")
def privacy() -> str:
    return render_template("public/privacy.html")
