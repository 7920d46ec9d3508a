"""The sign form framed on other sites: which sites may frame it, and the signed token its form
carries instead of a session, since a browser does not send cookies to a framed site."""

from __future__ import annotations

import hmac
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from signon import audit, transaction
from signon.config import uses_https
from signon.models import Letter, Organizer, SourceKind
from signon.services.attribution import Origin

MAX_SITES = 20
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
_IPV6 = re.compile(r"[0-9a-f:.]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SiteError(ValueError):
    """What is wrong with the sites an organizer typed, in words for them."""


def _host(hostname: str) -> str | None:
    """A host name as browsers write it in an origin (lower case, IDN as punycode), or None."""
    if ":" in hostname:
        return f"[{hostname}]" if _IPV6.fullmatch(hostname) else None
    try:
        ascii_host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return ascii_host if _HOST.fullmatch(ascii_host) else None


def normalize_site(text: str, *, http_ok: bool = False) -> str:
    """'https://Partner.org/' becomes 'https://partner.org'; anything but a site's address (a
    path, a wildcard, a user name, plain http to a public host) is a SiteError saying why."""
    value = text.strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise SiteError(_not_a_site(value)) from None
    scheme = parts.scheme.lower()
    host = _host(parts.hostname or "") if parts.hostname else None
    if scheme not in _DEFAULT_PORTS or host is None:
        raise SiteError(_not_a_site(value))
    if parts.username is not None or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SiteError(
            _(
                "“%(site)s”: give only the site, without a page or anything after it: write it "
                "like https://partner.org.",
                site=value,
            )
        )
    if scheme == "http" and not (http_ok or host in _LOCAL_HOSTS):
        raise SiteError(
            _(
                "“%(site)s” uses plain http: give its https address, like https://%(host)s.",
                site=value,
                host=host,
            )
        )
    shown_port = f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{host}{shown_port}"


def _not_a_site(value: str) -> str:
    return _("“%(site)s” is not a web address: write it like https://partner.org.", site=value)


def http_allowed() -> bool:
    """Sites on plain http may frame the form only while this site runs on plain http itself."""
    return not uses_https(current_app)


def parse_sites(text: str) -> list[str]:
    """The sites typed one per line, normalized, each once; a SiteError names every line that is
    not a site."""
    sites: list[str] = []
    problems: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            site = normalize_site(line, http_ok=http_allowed())
        except SiteError as error:
            problems.append(str(error))
            continue
        if site not in sites:
            sites.append(site)
    if problems:
        raise SiteError(" ".join(problems))
    if len(sites) > MAX_SITES:
        raise SiteError(_("List at most %(maximum)s sites.", maximum=MAX_SITES))
    return sites


def sites_of(letter: Letter) -> list[str]:
    """The sites allowed to frame the letter's sign form, as saved; a value that is not a clean
    origin (it would go into a header) is skipped, however it got there."""
    return [site for site in letter.embed_origins or [] if isinstance(site, str) and _clean(site)]


def _clean(site: str) -> bool:
    try:
        return normalize_site(site, http_ok=True) == site
    except SiteError:
        return False


def save_sites(letter: Letter, sites: list[str], *, by: Organizer) -> None:
    before = {"sites": sites_of(letter)}
    letter.embed_origins = list(sites)
    audit.record(
        "letter.embed_sites_changed",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=letter,
        before=before,
        after={"sites": list(sites)},
    )
    transaction.commit()


def own_site() -> str:
    """This site's origin, from its public address."""
    base = urlsplit(str(current_app.config["BASE_URL"]))
    return normalize_site(f"{base.scheme}://{base.netloc}", http_ok=True)


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        return normalize_site(f"{parts.scheme}://{parts.netloc}", http_ok=True)
    except (SiteError, ValueError):
        return None


def embedding_site(letter: Letter, referrer: str | None) -> str:
    """The allowed site the form is framed on, as the browser's Referer says; '' if unknown."""
    site = _origin_of(referrer) if referrer else None
    return site if site in sites_of(letter) else ""


def from_allowed_site(letter: Letter, origin: str | None, referrer: str | None, here: str) -> bool:
    """Whether a POST's Origin (or, without one, its Referer) is this site (`here` is the
    request's own origin) or one allowed to frame the form. A browser that sends neither passes:
    the form's token is the check that counts."""
    allowed = {own_site(), _origin_of(here), *sites_of(letter)}
    if origin:
        return origin in allowed
    if referrer:
        return _origin_of(referrer) in allowed
    return True


# --- The form's token ---------------------------------------------------------------------------


class TokenProblem(Exception):
    """The form's token is missing, forged, or made for another letter."""


NOT_CHECKED = (
    "This form could not be checked, so nothing was sent. Please press the button again: "
    "everything you typed is still here."
)


@dataclass(frozen=True)
class FormToken:
    """A checked token: when its form was shown (seconds ago) and the site that framed it."""

    age: float
    site: str

    def origin(self) -> Origin:
        """Where a signature through this form came from, for the counts by source."""
        return Origin(SourceKind.EMBED, ref=self.site)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="signon.embed-form")


_CLIENT_CHARS = 16


def form_token(letter: Letter, site: str, client: str) -> str:
    """A token for one showing of the letter's framed form: bound to the letter and to the client
    it was shown to (privacy.client_hash, so one token cannot be replayed from many addresses),
    stamped with the time (its age is the form's fill time; SIGN_FORM_MAX_AGE_HOURS ends it)."""
    return _serializer().dumps([letter.id, site, time.time(), client[:_CLIENT_CHARS]])


def read_token(letter: Letter, raw: str | None, client: str) -> FormToken:
    """The token the form came back with, checked: made here, for this letter and this client."""
    if not raw or len(raw) > 500:
        raise TokenProblem(NOT_CHECKED)
    try:
        letter_id, site, shown, shown_to = _serializer().loads(raw)
        age = time.time() - float(shown)
    except (BadSignature, TypeError, ValueError):
        raise TokenProblem(NOT_CHECKED) from None
    if letter_id != letter.id or not isinstance(site, str) or not isinstance(shown_to, str):
        raise TokenProblem(NOT_CHECKED)
    if not hmac.compare_digest(shown_to, client[:_CLIENT_CHARS]):
        raise TokenProblem(NOT_CHECKED)
    return FormToken(age=age, site=site if site in sites_of(letter) else "")


def token_expired(token: FormToken) -> bool:
    return token.age > float(current_app.config["SIGN_FORM_MAX_AGE_HOURS"]) * 3600
