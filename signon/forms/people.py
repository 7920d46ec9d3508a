"""Forms about people: co-hosts, notifications, inviting organizers."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    RadioField,
    SelectChoice,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from signon.models import NotifyMode, Role


class HostForm(FlaskForm):
    email = EmailField(
        lazy_gettext("Co-host's email"),
        validators=[
            DataRequired(lazy_gettext("Enter the organizer's email.")),
            Email(lazy_gettext("Enter an email address.")),
            Length(max=254),
        ],
    )


class NotifyForm(FlaskForm):
    notify = RadioField(
        lazy_gettext("Email me about new signatures"),
        choices=[
            SelectChoice(NotifyMode.EACH, lazy_gettext("For each new confirmed signature")),
            SelectChoice(NotifyMode.DIGEST, lazy_gettext("Once a day, in a digest")),
            SelectChoice(NotifyMode.NONE, lazy_gettext("Never")),
        ],
        default=NotifyMode.DIGEST,
    )


class InviteForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter the email address."),
            Email("Enter an email address."),
            Length(max=254),
        ],
    )
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    role = RadioField(
        "Role",
        choices=[
            SelectChoice(Role.ORGANIZER, "Organizer: runs the letters shared with them"),
            SelectChoice(Role.ADMIN, "Admin: also manages accounts and sees every letter"),
        ],
        default=Role.ORGANIZER,
    )
