"""signon's own commands, by area; signon.cli puts them in the `signon` command."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import click
from flask_babel import gettext as _

from signon import i18n
from signon.models import Letter
from signon.services.letters import get_by_slug

P = ParamSpec("P")
R = TypeVar("R")


def in_terminal_language(command: Callable[P, R]) -> Callable[P, R]:
    """Write a command's messages in the language of the terminal's locale (LANG), when the site
    speaks it. Inside the app context, as the languages are the site's settings."""

    @wraps(command)
    def speaking(*args: P.args, **kwargs: P.kwargs) -> R:
        with i18n.speaking(i18n.terminal_language()):
            return command(*args, **kwargs)

    return speaking


def letter_at(slug: str) -> Letter:
    """The letter at /letters/SLUG, or the command stops with a message saying there is none."""
    letter = get_by_slug(slug)
    if letter is None:
        raise click.ClickException(_("no letter at /letters/%(slug)s", slug=slug))
    return letter
