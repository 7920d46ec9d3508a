"""Validators shared by the public and the organizers' forms."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString
from wtforms import Field
from wtforms.validators import ValidationError

from signon.services.normalize import clean_text


class AtMost:
    """Refuse text longer than its column and say by how much, instead of cutting it.

    Unlike Length it sets no `maxlength` flag: with that attribute a browser stops typing or
    drops the end of a pasted name without a word, and the letter lists a name nobody wrote.
    """

    def __init__(self, maximum: int, what: str | LazyString) -> None:
        self.maximum = maximum
        self.what = what

    def __call__(self, form: Any, field: Field) -> None:
        typed = len(clean_text(field.data))
        if typed > self.maximum:
            raise ValidationError(
                gettext(
                    "%(what)s can have at most %(maximum)s characters; you typed %(typed)s.",
                    what=self.what,
                    maximum=self.maximum,
                    typed=typed,
                )
            )


def limit_hint(maximum: int) -> LazyString:
    return lazy_gettext("At most %(maximum)s characters.", maximum=maximum)
