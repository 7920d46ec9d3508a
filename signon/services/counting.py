"""Counts in words, in the letter's language: 'fifty-three organizations', 'cincuenta y tres
organizaciones', and the rounded figure a headline uses ('more than 50 organizations')."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import flask_babel
from babel.numbers import format_decimal
from flask import has_app_context
from flask_babel import gettext, ngettext
from num2words import num2words

# Below this a headline writes the count in words, as journalists do.
WORDS_BELOW = 20

# Spanish cardinals agree with a feminine noun ("organizaciones") in the units and the
# hundreds, not in the millions, which are nouns of their own: num2words writes the masculine,
# so the part after the last "millón"/"millones" is made feminine: "uno" -> "una" (also in
# "veintiuno", "treinta y uno"), "cientos" -> "cientas" ("doscientas"); "un"/"veintiún" before
# "mil" -> "una"/"veintiuna" (the form the RAE prefers before a feminine noun).
_SPANISH_MILLIONS = re.compile(r"\b(?:millón|millones|billón|billones)\b")
_BEFORE_THOUSANDS = re.compile(r"\b(veinti)?uno (?=(?:mil|millones|billones)\b)")
_SPANISH_FEMININE: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"uno\b"), "una"),
    (re.compile(r"\b(veinti)?(ún|un)\b"), lambda m: (m.group(1) or "") + "una"),
    (re.compile(r"cientos\b"), "cientas"),
]


def count_in_words(count: int, language: str = "en", *, feminine: bool = False) -> str:
    """The number in words ('fifty-three', 'cincuenta y tres'); `feminine` for a Spanish count
    of a feminine noun ('veintiuna organizaciones'). An unknown language is English."""
    lang = language.split("_")[0].split("-")[0] or "en"
    try:
        words: str = num2words(count, lang=lang)
    except NotImplementedError:
        words = num2words(count, lang="en")
        lang = "en"
    if lang == "es":
        # num2words writes "veintiuno mil"; before "mil" or "millones" it is "veintiún"/"un".
        words = _BEFORE_THOUSANDS.sub(lambda m: "veintiún " if m.group(1) else "un ", words)
        if feminine:
            words = _feminine_spanish(words)
    return words


def _feminine_spanish(words: str) -> str:
    head, tail = "", words
    millions = list(_SPANISH_MILLIONS.finditer(words))
    if millions:
        cut = millions[-1].end()
        head, tail = words[:cut], words[cut:]
    for pattern, replacement in _SPANISH_FEMININE:
        tail = pattern.sub(replacement, tail)
    return head + tail


def _organizations(count: int, figure: str) -> str:
    return ngettext("%(count)s organization", "%(count)s organizations", count, count=figure)


def _in(language: str) -> AbstractContextManager[None]:
    """The words of `language` inside a Flask app; outside one, English (the catalog's source)."""
    return flask_babel.force_locale(language) if has_app_context() else nullcontext()


def organizations_in_words(count: int, language: str = "en") -> str:
    """'one organization', 'fifty-three organizations', 'cincuenta y tres organizaciones'."""
    with _in(language):
        return _organizations(count, count_in_words(count, language, feminine=True))


def organizations_figure(count: int, language: str = "en") -> str:
    """'52 organizations', '1,234 organizations', '1234 organizaciones'."""
    with _in(language):
        return _organizations(count, format_decimal(count, locale=language))


def headline_count(count: int, language: str = "en") -> str:
    """How a journalist writes it: 'seven organizations', '50 organizations', 'more than 50
    organizations'; in Spanish 'siete organizaciones', 'más de 50 organizaciones'."""
    if count < WORDS_BELOW:
        return organizations_in_words(count, language)
    step = 10 if count < 100 else 50 if count < 1000 else 100
    floor = count - count % step
    if floor == count:
        return organizations_figure(count, language)
    with _in(language):
        return gettext(
            "more than %(organizations)s", organizations=organizations_figure(floor, language)
        )
