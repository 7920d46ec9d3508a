"""Forms of "Manage your signature": a proposed correction, a fresh link, and the moderators'
decision on a correction."""

from __future__ import annotations

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
from signon.forms.validators import AtMost, limit_hint


class CorrectionForm(FlaskForm):
    organization = StringField(
        "Organization name",
        filters=[strip_text],
        validators=[
            DataRequired("Enter the name of your organization."),
            AtMost(ORGANIZATION_MAX, "The organization name"),
        ],
        description=f"As it should appear on the letter. {limit_hint(ORGANIZATION_MAX)}",
    )
    title = StringField(
        "Your title or role", filters=[strip_text], validators=[Optional(), Length(max=TITLE_MAX)]
    )
    city = StringField("City", filters=[strip_text], validators=[Optional(), Length(max=PLACE_MAX)])
    region = StringField(
        "State or region", filters=[strip_text], validators=[Optional(), Length(max=PLACE_MAX)]
    )
    country = StringField(
        "Country", filters=[strip_text], validators=[Optional(), Length(max=PLACE_MAX)]
    )

    def for_individual(self) -> None:
        """A person's organization is optional."""
        self.organization.validators = [
            Optional(),
            AtMost(ORGANIZATION_MAX, "The organization name"),
        ]
        self.organization.label.text = "Organization (optional)"
        self.organization.description = "Shown with your name if the organizers list it."


class NewLinkForm(FlaskForm):
    email = EmailField(
        "Your email address",
        filters=[strip_text],
        validators=[
            DataRequired("Enter the email address you signed with."),
            Length(max=EMAIL_MAX),
        ],
        description="The address you signed with. If it signed this letter, we email it a new link.",
    )


class CorrectionDecisionForm(FlaskForm):
    rename_line = BooleanField("Also change the listed line")
