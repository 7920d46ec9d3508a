"""Comparable forms of what people type: organization names and email addresses."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import icu

# Providers known to ignore dots and/or "+tag" suffixes in the local part.
_DOTLESS_PROVIDERS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
_PLUS_TAG_PROVIDERS = {
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "fastmail.com",
    "fastmail.fm",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "icloud.com",
    "me.com",
    "mac.com",
    "yahoo.com",
    "ymail.com",
    "aol.com",
    "hey.com",
    "zoho.com",
    "gmx.com",
    "gmx.net",
}
_LEADING_ARTICLE = re.compile(r"^\s*the\s+", re.IGNORECASE)
_INITIALISM_DOTS = re.compile(r"(?<=\b\w)\.(?=\w\b|\w\.)|(?<=\b\w)\.$")
_NOT_WORD = re.compile(r"[\W_]+")


def normalize_email(address: str) -> str:
    """The form two addresses that reach the same mailbox share."""
    address = unicodedata.normalize("NFKC", address).strip().lower()
    local, _, domain = address.rpartition("@")
    if not local:
        return address
    domain = domain.rstrip(".")
    domain = _DOTLESS_PROVIDERS.get(domain, domain)
    if domain in _PLUS_TAG_PROVIDERS:
        local = local.split("+", 1)[0]
    if domain == "gmail.com":
        local = local.replace(".", "")
    return f"{local}@{domain}"


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def organization_key(name: str) -> str:
    """'The A.C.L.U.' and 'aclu' share a key; used to keep one signature per organization."""
    text = strip_accents(unicodedata.normalize("NFKC", name)).casefold()
    text = text.replace("&", " and ")
    text = _LEADING_ARTICLE.sub("", text)
    text = _INITIALISM_DOTS.sub("", text)
    return " ".join(_NOT_WORD.sub(" ", text).split())[:200]


@cache
def _spoof_checker() -> icu.SpoofChecker:
    # ICU documents the checker's read-only calls, getSkeleton among them, as thread safe.
    return icu.SpoofChecker()


def confusable_skeleton(text: str) -> str:
    """The Unicode TR39 skeleton: 'Amnesty' with a Cyrillic capital A shares one with 'Amnesty'.

    ICU's implementation of the standard, with the confusables data of the Unicode version it
    ships (NFD, each character replaced by its prototype, NFD again).
    """
    return str(_spoof_checker().getSkeleton(0, text))


def without_leading_article(name: str) -> str:
    """The name as it sorts: 'The Sentencing Project' files under S."""
    stripped = _LEADING_ARTICLE.sub("", name, count=1)
    return stripped if stripped.strip() else name


def clean_text(value: str | None) -> str:
    """Typed text with surrounding and repeated whitespace folded, control characters dropped."""
    if not value:
        return ""
    value = unicodedata.normalize("NFC", value)
    return " ".join("".join(_visible(ch) for ch in value).split())


def _visible(ch: str) -> str:
    """Invisible format characters (zero-width, direction overrides) go; control characters
    become spaces, so words they separated stay apart."""
    if ch.isprintable():
        return ch
    return "" if unicodedata.category(ch) == "Cf" else " "
