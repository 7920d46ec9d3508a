"""The development mailbox: registered only in debug mode, so it never exists in production."""

from __future__ import annotations

import re

from flask import Blueprint, render_template
from markupsafe import Markup, escape

from signon.extensions import db
from signon.models import OutboxMessage

bp = Blueprint("dev", __name__, url_prefix="/dev")

_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Escape a plain-text email and make its links clickable."""
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))  # noqa: S704 - input escaped above


@bp.get("/mailbox")
def mailbox() -> str:
    messages = db.session.execute(
        db.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(50)
    ).scalars()
    return render_template("dev/mailbox.html", messages=list(messages), linkify=linkify)
