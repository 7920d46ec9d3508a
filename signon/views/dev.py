"""The development mailbox: registered only in debug mode, so it never exists in production."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from signon.extensions import db
from signon.forms.auth import EmptyForm
from signon.models import OutboxMessage
from signon.services import setup

bp = Blueprint("dev", __name__, url_prefix="/dev")

PER_PAGE = 25

_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Escape a plain-text email and make its links clickable."""
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))  # noqa: S704 - input escaped above


@bp.get("/mailbox")
def mailbox() -> str:
    total = db.session.execute(sa.select(sa.func.count(OutboxMessage.id))).scalar_one()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    messages = db.session.execute(
        sa.select(OutboxMessage)
        .order_by(OutboxMessage.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).scalars()
    return render_template(
        "dev/mailbox.html",
        messages=list(messages),
        total=total,
        page=page,
        pages=pages,
        first=(page - 1) * PER_PAGE + 1,
        linkify=linkify,
        first_run=setup.needs_setup(),
        form=EmptyForm(),
    )


@bp.post("/setup-link")
def setup_link() -> Any:
    """Make a fresh first-admin link and open it: the button for `make run` without a terminal."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    raw = setup.issue_setup_token()
    if raw is None:
        flash(
            gettext("An organizer account exists already: sign in, or use Forgot your password."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.first_account", token=raw))
