"""Forms of moderation: decisions, how a signatory is listed, email rules."""

from __future__ import annotations

from flask_babel import lazy_gettext
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
        lazy_gettext("Reason (optional, sent to the signer)"),
        validators=[Optional(), Length(max=500)],
        description=lazy_gettext("Be brief and polite: the signer reads it in the email."),
    )


class SignatoryForm(FlaskForm):
    display_name = StringField(
        lazy_gettext("Listed name"),
        validators=[
            DataRequired(lazy_gettext("The listed name cannot be empty.")),
            AtMost(200, lazy_gettext("The listed name")),
        ],
        description=limit_hint(200),
    )
    category = SelectField(lazy_gettext("Category"), choices=[], validate_choice=False)
    city = StringField(lazy_gettext("City"), validators=[Optional(), Length(max=100)])
    region = StringField(lazy_gettext("State or region"), validators=[Optional(), Length(max=100)])
    country = StringField(lazy_gettext("Country"), validators=[Optional(), Length(max=100)])


class EmailRuleForm(FlaskForm):
    pattern = StringField(
        lazy_gettext("Email domain or address"),
        validators=[
            DataRequired(lazy_gettext("Enter a domain such as example.org, or an address.")),
            Length(max=254),
        ],
        description=lazy_gettext(
            "A domain covers its subdomains too. The most specific rule wins, so you can block a domain and allow one address in it."
        ),
    )
    action = RadioField(
        lazy_gettext("Rule"),
        choices=[
            SelectChoice(
                "block",
                lazy_gettext(
                    "Block: signatures are kept aside as suspected, never listed or emailed"
                ),
            ),
            SelectChoice("allow", lazy_gettext("Allow: never blocked by a broader rule")),
        ],
        default="block",
    )
    note = StringField(lazy_gettext("Note (optional)"), validators=[Optional(), Length(max=300)])
