"""Domains of websites and email addresses: one spelling for each, which sites belong together,
and which domains say nothing about who signed (free mail, shared platforms)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import urlsplit

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "ymail.com",
        "rocketmail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "aol.com",
        "aim.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
        "tutanota.com",
        "tuta.io",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "gmx.at",
        "gmx.ch",
        "web.de",
        "t-online.de",
        "mail.com",
        "yandex.com",
        "yandex.ru",
        "ya.ru",
        "mail.ru",
        "zoho.com",
        "zohomail.com",
        "fastmail.com",
        "fastmail.fm",
        "hey.com",
        "comcast.net",
        "verizon.net",
        "att.net",
        "sbcglobal.net",
        "bellsouth.net",
        "charter.net",
        "cox.net",
        "earthlink.net",
        "optonline.net",
        "btinternet.com",
        "free.fr",
        "orange.fr",
        "laposte.net",
        "libero.it",
        "qq.com",
        "163.com",
        "126.com",
        "naver.com",
        "rediffmail.com",
    }
)

# Providers whose country variants (yahoo.co.uk, gmx.fr, hotmail.es ...) are all free mail.
_FREE_MAIL_BRANDS = frozenset({"gmail", "yahoo", "hotmail", "outlook", "gmx", "yandex"})
_COUNTRY_SUFFIX = re.compile(r"^[a-z]{2,3}(\.[a-z]{2})?$")

# Platforms where unrelated organizations keep their pages: the domain says nothing about who it is.
_SHARED_HOSTS = frozenset(
    {
        "facebook.com",
        "fb.com",
        "instagram.com",
        "twitter.com",
        "x.com",
        "linkedin.com",
        "youtube.com",
        "tiktok.com",
        "threads.net",
        "bsky.app",
        "linktr.ee",
        "medium.com",
        "google.com",
        "github.com",
        "wordpress.com",
        "blogspot.com",
        "wixsite.com",
        "squarespace.com",
        "weebly.com",
        "substack.com",
        "actionnetwork.org",
        "gofundme.com",
        "eventbrite.com",
        "patreon.com",
    }
)

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_WWW = re.compile(r"^www\d*\.")


def ascii_domain(host: str) -> str:
    """One spelling per domain (lowercase, punycode, no trailing dot), so 'Bücher.de' meets
    'xn--bcher-kva.de'; '' for anything that is not a dotted host name, IP addresses included."""
    host = unicodedata.normalize("NFKC", host).strip().lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    labels = host.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return ""
    if not all(_LABEL.match(label) for label in labels):
        return ""
    return host


def website_domain(url: str) -> str:
    """The domain a website is compared on: 'https://www.ACLU.org/about' gives 'aclu.org'."""
    text = unicodedata.normalize("NFKC", url).strip()
    if not text:
        return ""
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    domain = ascii_domain(host)
    without_www = _WWW.sub("", domain)
    return without_www if "." in without_www else domain


def email_domain(address: str) -> str:
    """The part after the last '@', in the same form as website_domain; '' without one."""
    _, at, domain = unicodedata.normalize("NFKC", address).strip().rpartition("@")
    return ascii_domain(domain) if at else ""


def parents(domain: str) -> Iterator[str]:
    """'a.b.aclu.org' yields 'b.aclu.org' then 'aclu.org': every enclosing domain of two labels or more."""
    labels = domain.split(".")
    for start in range(1, len(labels) - 1):
        yield ".".join(labels[start:])


def same_site(a: str, b: str) -> bool:
    """An affiliate on a subdomain ('ny.aclu.org') belongs to the same site as its parent."""
    a, b = ascii_domain(a), ascii_domain(b)
    if not a or not b:
        return False
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def is_free_mail(domain: str) -> bool:
    """Anyone can open an address here, so it proves no tie to an organization."""
    domain = ascii_domain(domain)
    if domain in FREE_MAIL_DOMAINS:
        return True
    brand, _, suffix = domain.partition(".")
    return brand in _FREE_MAIL_BRANDS and bool(_COUNTRY_SUFFIX.match(suffix))


def is_shared_host(domain: str) -> bool:
    return domain in _SHARED_HOSTS or any(p in _SHARED_HOSTS for p in parents(domain))
