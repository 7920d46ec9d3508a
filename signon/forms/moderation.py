"""Forms of moderation: decisions, how a signatory is listed, email rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from signon.forms.validators import AtMost, limit_hint


class DecisionForm(FlaskForm):
    decision = HiddenField()
    reason = TextAreaField(
        "Reason (optional, sent to the signer)",
        validators=[Optional(), Length(max=500)],
        description="Be brief and polite: the signer reads it in the email.",
    )


class SignatoryForm(FlaskForm):
    display_name = StringField(
        "Listed name",
        validators=[
            DataRequired("The listed name cannot be empty."),
            AtMost(200, "The listed name"),
        ],
        description=limit_hint(200),
    )
    category = SelectField("Category", choices=[], validate_choice=False)
    city = StringField("City", validators=[Optional(), Length(max=100)])
    region = StringField("State or region", validators=[Optional(), Length(max=100)])
    country = StringField("Country", validators=[Optional(), Length(max=100)])


class EmailRuleForm(FlaskForm):
    pattern = StringField(
        "Email domain or address",
        validators=[
            DataRequired("Enter a domain such as example.org, or an address."),
            Length(max=254),
        ],
        description="A domain covers its subdomains too. The most specific rule wins, so you can block a domain and allow one address in it.",
    )
    action = RadioField(
        "Rule",
        choices=[
            SelectChoice(
                "block", "Block: signatures are kept aside as suspected, never listed or emailed"
            ),
            SelectChoice("allow", "Allow: never blocked by a broader rule"),
        ],
        default="block",
    )
    note = StringField("Note (optional)", validators=[Optional(), Length(max=300)])
