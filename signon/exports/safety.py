"""Spreadsheet formula injection: a cell a user typed never starts a formula."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralize(value: object) -> object:
    """Prefix risky text with an apostrophe, as OWASP advises, so Excel shows it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
