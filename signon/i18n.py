"""The language of each page and email: the visitor's own choice, the letter's, the browser's."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import wraps
from pathlib import Path
from typing import NamedTuple, ParamSpec, TypeVar
from urllib.parse import urlencode, urlsplit

import flask_babel
from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from flask import Flask, current_app, g, has_request_context, request
from flask_login import current_user
from werkzeug.wrappers import Response

P = ParamSpec("P")
R = TypeVar("R")
COOKIE = "signon_language"
COOKIE_DAYS = 365
CATALOGS = Path(__file__).resolve().parent / "translations"


def languages() -> list[str]:
    """The languages the site speaks (SIGNON_LANGUAGES), the first the default."""
    configured = str(current_app.config["LANGUAGES"])
    return [code.strip() for code in configured.split(",") if code.strip()] or ["en"]


def missing_catalogs(configured: str) -> list[str]:
    """The configured languages, other than English, without a catalog to speak them from."""
    codes = [code.strip() for code in configured.split(",") if code.strip()]
    return [
        code
        for code in codes
        if code != "en" and not (CATALOGS / code / "LC_MESSAGES" / "messages.po").is_file()
    ]


def compile_catalogs() -> list[Path]:
    """Compile each catalog whose .mo is missing or older than its .po (what `make install` and
    the container build do with pybabel); returns the ones compiled."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = []
    for po in sorted(CATALOGS.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        with mo.open("wb") as target:
            write_mo(target, catalog)
        compiled.append(mo)
    return compiled


def select_locale() -> str:
    """The visitor's choice (the language link's cookie), else the signed-in organizer's own
    language, else the language of the letter the page belongs to when it is not the default
    (unless the letter is translated into the browser's language), else the browser's best match,
    else the default."""
    spoken = languages()
    if has_request_context():
        chosen = request.cookies.get(COOKIE)
        if chosen in spoken:
            return str(chosen)
        own = _organizer_language()
        if own in spoken:
            return own
    letter_language = g.get("letter_language")
    if letter_language in spoken[1:]:  # a letter in the default language leaves it to the browser
        # ... and so does one translated into the browser's language.
        best = request.accept_languages.best_match(spoken) if has_request_context() else None
        readable = g.get("letter_languages")
        if best is not None and best != letter_language and readable and best in readable():
            return str(best)
        return str(letter_language)
    if has_request_context():
        best = request.accept_languages.best_match(spoken)
        if best:
            return str(best)
    return spoken[0]


def _organizer_language() -> str:
    """The stored language of the organizer signed in on this request; "" for everyone else.

    A visitor who never signed in carries no user id in their session, so this costs them no
    query and their pages keep choosing as before."""
    if getattr(current_app, "login_manager", None) is None or not current_user.is_authenticated:
        return ""
    return str(getattr(current_user, "language", "") or "")


def use_language_of_page(
    language: str | None, readable: Callable[[], Sequence[str]] | None = None
) -> None:
    """This page belongs to a letter (or a signature) that speaks `language`; a letter can also
    be read in the languages `readable()` gives (its translations), asked only when they matter."""
    g.letter_language = language
    g.letter_languages = readable
    flask_babel.refresh()


def current() -> str:
    """The language this page or email is written in, as a code: 'en', 'es'."""
    locale = flask_babel.get_locale()
    return str(locale) if locale is not None else "en"


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Write what follows in `language` (an email to a signer, in a request or in the worker);
    an unknown or missing one is the default."""
    spoken = languages()
    with flask_babel.force_locale(language if language in spoken else spoken[0]):
        yield


def terminal_language() -> str:
    """The language of the terminal a command runs in, as gettext reads it (LANGUAGE's list,
    then LC_ALL, LC_MESSAGES, LANG): 'es_MX.UTF-8' is 'es'; one the site does not speak, or the
    C locale, is the site's default."""
    locale = (
        os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or "C"
    )
    wanted = os.environ.get("LANGUAGE", "").split(":") if locale not in ("C", "POSIX") else []
    for candidate in [*wanted, locale]:
        code = re.split(r"[_.@-]", candidate, maxsplit=1)[0].lower()
        if code in languages():
            return code
    return languages()[0]


def direction(language: str | None = None) -> str:
    """'rtl' for a language written right to left, else 'ltr' (for `<html dir>`)."""
    locale = Locale.parse(language or current())
    return "rtl" if locale.character_order == "right-to-left" else "ltr"


class LanguageLink(NamedTuple):
    code: str
    name: str  # in its own language: "Español"
    current: bool


def language_links() -> list[LanguageLink]:
    """The header's language links, each named in its own language."""
    here = current()
    return [
        LanguageLink(code, _own_name(code), code == here)
        for code in languages()
        if len(languages()) > 1
    ]


# What a language link carries back of the address: names that say where a visitor came from.
# A co-host's share code or any other secret in it is never written into the page (the sign
# form's signed origin, which the page holds anyway, is carried instead: see carry).
_KEPT_ARGS = frozenset({"ref"})


def back_here() -> str:
    """Where a language link returns to: this page, or the home page from a page that is not
    one of the site's (an unknown address is never written back into the page)."""
    if not has_request_context() or request.url_rule is None:
        return "/"
    if request.endpoint == "language.choose":
        return "/"
    kept = [
        (k, v) for k, v in request.args.items(multi=True) if k in _KEPT_ARGS or k.startswith("utm_")
    ]
    kept += g.get("carried_args", [])
    return f"{request.path}?{urlencode(kept)}" if kept else request.path


def carry(name: str, value: str) -> None:
    """Have this page's language links bring `name=value` back (a value the page shows anyway,
    such as the sign form's signed origin, so that choosing a language keeps where a visitor came
    from)."""
    g.carried_args = [*g.get("carried_args", []), (name, value)]


def own_names() -> list[tuple[str, str]]:
    """The site's languages, each with its name in its own language: ('es', 'Español')."""
    return [(code, _own_name(code)) for code in languages()]


def spoken_or_default(language: str | None) -> str:
    """`language` if the site speaks it, else the site's default."""
    spoken = languages()
    return language if language in spoken else spoken[0]


def _own_name(code: str) -> str:
    return language_name(code, code, capitalized=True)


def language_name(code: str, in_language: str | None = None, *, capitalized: bool = False) -> str:
    """A language's name in `in_language` (the page's by default), as written within a sentence:
    'Spanish', 'inglés', 'español'; `capitalized` where it stands alone (a heading, a link, an
    option: 'Español')."""
    name = Locale.parse(code).get_display_name(in_language or current()) or code
    return name[:1].upper() + name[1:] if capitalized else name


def safe_next(target: str | None) -> str:
    """A path on this site to go back to; anything else (another site, a scheme) is the home page."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(not ch.isprintable() or ch == "\\" for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def remember(response: Response, code: str) -> None:
    """Keep the visitor's choice of language for a year (readable by no script: none needs it)."""
    response.set_cookie(
        COOKIE,
        code,
        max_age=COOKIE_DAYS * 24 * 3600,
        samesite="Lax",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        httponly=True,
    )


def longdate(value: datetime | None) -> str:
    """'Friday, December 18, 2026 at 5:00 PM EST' in the time zone the value carries, in the
    page's language."""
    if value is None:
        return ""
    language = current()
    if language == "en":
        hour = value.strftime("%I").lstrip("0")
        return f"{value:%A, %B} {value.day}, {value:%Y} at {hour}:{value:%M %p} {value.tzname()}"
    return flask_babel.gettext(
        "%(date)s at %(time)s %(zone)s",
        date=format_date(value, "full", locale=language),
        time=format_time(value, "short", tzinfo=value.tzinfo, locale=language),
        zone=value.tzname() or "",
    )


def daydate(value: date | datetime | None) -> str:
    """'December 18, 2026' in the page's language."""
    if value is None:
        return ""
    return format_date(value, "long", locale=current())


def shortstamp(value: datetime | None) -> str:
    """'Mar 05, 14:30 UTC': the day and time of a moment in UTC, short, in the page's language
    (a naive value is taken as UTC)."""
    if value is None:
        return ""
    language = current()
    if language == "en":
        return value.strftime("%b %d, %H:%M UTC")
    return format_datetime(value, "d MMM, HH:mm", tzinfo=UTC, locale=language) + " UTC"


def number(value: int) -> str:
    """A count written the page's language's way: '1,234' or '1234' / '12.345'."""
    return format_decimal(value, locale=current())


@contextmanager
def english() -> Iterator[None]:
    """What follows is written in English whatever the page speaks (documents made for a
    letter's recipients, until they have languages of their own)."""
    with flask_babel.force_locale("en"):
        yield


def in_english(function: Callable[P, R]) -> Callable[P, R]:
    """english() around a whole function: a document and the records it is made from."""

    @wraps(function)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with english():
            return function(*args, **kwargs)

    return wrapped


def _vary(response: Response) -> Response:
    """A page whose words depend on the browser's language must not be cached across browsers."""
    if getattr(g.get("_flask_babel"), "babel_locale", None) is not None:
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def init_app(app: Flask) -> None:
    babel = flask_babel.Babel()
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(CATALOGS),
    )
    app.after_request(_vary)
    app.add_template_filter(longdate)
    app.add_template_filter(daydate)
    app.add_template_filter(number)
    app.add_template_filter(shortstamp)
    app.add_template_global(current, "page_language")
    app.add_template_global(direction, "text_direction")
    app.add_template_global(language_links)
    app.add_template_global(back_here)
    app.add_template_global(language_name)
