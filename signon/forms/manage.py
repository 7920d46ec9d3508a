"""Forms of "Manage your signature": a proposed correction, a fresh link, and the moderators'
decision on a correction."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Length, Optional

from signon.forms.public import (
    EMAIL_MAX,
    ORGANIZATION_MAX,
    PLACE_MAX,
    TITLE_MAX,
    strip_text,
)
from signon.forms.validators import AtMost


class CorrectionForm(FlaskForm):
    organization = StringField(
        lazy_gettext("Organization name"),
        filters=[strip_text],
        validators=[
            DataRequired(lazy_gettext("Enter the name of your organization.")),
            AtMost(ORGANIZATION_MAX, lazy_gettext("The organization name")),
        ],
        description=lazy_gettext(
            "As it should appear on the letter. At most %(maximum)s characters.",
            maximum=ORGANIZATION_MAX,
        ),
    )
    title = StringField(
        lazy_gettext("Your title or role"),
        filters=[strip_text],
        validators=[Optional(), Length(max=TITLE_MAX)],
    )
    city = StringField(
        lazy_gettext("City"), filters=[strip_text], validators=[Optional(), Length(max=PLACE_MAX)]
    )
    region = StringField(
        lazy_gettext("State or region"),
        filters=[strip_text],
        validators=[Optional(), Length(max=PLACE_MAX)],
    )
    country = StringField(
        lazy_gettext("Country"),
        filters=[strip_text],
        validators=[Optional(), Length(max=PLACE_MAX)],
    )

    def for_individual(self) -> None:
        """A person's organization is optional."""
        self.organization.validators = [
            Optional(),
            AtMost(ORGANIZATION_MAX, lazy_gettext("The organization name")),
        ]
        self.organization.label.text = lazy_gettext("Organization (optional)")
        self.organization.description = lazy_gettext(
            "Shown with your name if the organizers list it."
        )


class NewLinkForm(FlaskForm):
    email = EmailField(
        lazy_gettext("Your email address"),
        filters=[strip_text],
        validators=[
            DataRequired(lazy_gettext("Enter the email address you signed with.")),
            Length(max=EMAIL_MAX),
        ],
        description=lazy_gettext(
            "The address you signed with. If it signed this letter, we email it a new link."
        ),
    )


class CorrectionDecisionForm(FlaskForm):
    rename_line = BooleanField(lazy_gettext("Also change the listed line"))
