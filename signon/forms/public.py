"""Flask-WTF forms and their validators."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from signon.forms.validators import AtMost, limit_hint
from signon.models import SignatoryKind
from signon.security import seconds_since_stamp
from signon.services.normalize import clean_text
from signon.services.signatures import SignatureData


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def normalize_website(value: str | None) -> str | None:
    """'example.org' becomes 'https://example.org'; anything else typed stays for the validator."""
    value = _strip(value)
    if value and "://" not in value:
        value = "https://" + value
    return value


def validate_website(form: FlaskForm, field: StringField) -> None:
    if not field.data:
        return
    try:
        parts = urlsplit(field.data)
        host = parts.hostname or ""
    except ValueError as error:  # brackets that are not an IPv6 address, for instance
        raise ValidationError(
            "Enter a web address like https://example.org, or leave it blank."
        ) from error
    if parts.scheme not in {"http", "https"} or "." not in host or " " in field.data:
        raise ValidationError("Enter a web address like https://example.org, or leave it blank.")


# The widths of Signature.organization and Signature.name.
ORGANIZATION_MAX = 200
NAME_MAX = 120


class SignForm(FlaskForm):
    organization = StringField(
        "Organization name",
        filters=[_strip],
        validators=[
            DataRequired("Enter the name of your organization."),
            AtMost(ORGANIZATION_MAX, "The organization name"),
        ],
        description=f"As it should appear on the letter. {limit_hint(ORGANIZATION_MAX)}",
    )
    name = StringField(
        "Your full name",
        filters=[_strip],
        validators=[DataRequired("Enter your full name."), AtMost(NAME_MAX, "Your full name")],
        description=limit_hint(NAME_MAX),
    )
    title = StringField(
        "Your title or role",
        filters=[_strip],
        validators=[Optional(), Length(max=120)],
        description="For example: Executive Director.",
    )
    email = EmailField(
        "Email address",
        filters=[_strip],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254),
            Email("Enter an email address like name@example.org.", check_deliverability=False),
        ],
        description="We send a link to this address to confirm your signature. It is never published.",
    )
    city = StringField("City", filters=[_strip], validators=[Optional(), Length(max=100)])
    region = StringField(
        "State or region", filters=[_strip], validators=[Optional(), Length(max=100)]
    )
    country = StringField("Country", filters=[_strip], validators=[Optional(), Length(max=100)])
    website = StringField(
        "Organization website (optional)",
        filters=[normalize_website],
        validators=[Optional(), Length(max=300), validate_website],
    )
    category = SelectField("Category", choices=[], validate_choice=False)
    authorized = BooleanField(
        "I am authorized to sign on behalf of this organization",
        validators=[InputRequired("Confirm that you may sign for this organization.")],
    )
    keep_informed = BooleanField("Keep me informed about this letter")
    press_contact = BooleanField(
        "I agree to be named to journalists as a press contact for this letter",
        description="Only the organizers see this; they may pass your name and email to the press.",
    )
    note = TextAreaField(
        "Private note to the organizers (optional)",
        filters=[_strip],
        validators=[Optional(), Length(max=2000)],
        description="Only the organizers see this.",
    )
    signing_as = RadioField(
        "I am signing",
        choices=[
            SelectChoice(SignatoryKind.ORGANIZATION, "for an organization"),
            SelectChoice(SignatoryKind.INDIVIDUAL, "as an individual"),
        ],
        default=SignatoryKind.ORGANIZATION,
        validators=[Optional()],
    )
    version = HiddenField()
    # Bot traps: a field people never see, and when the form was shown.
    contact_fax = StringField("Leave this field empty", validators=[Optional(), Length(max=200)])
    started = HiddenField()

    def __init__(
        self,
        categories: list[str],
        *args: object,
        allows_individuals: bool = False,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.allows_individuals = allows_individuals
        self.categories = categories
        self.category.choices = [SelectChoice("", "Choose a category")] + [
            SelectChoice(c) for c in categories
        ]

    @property
    def individual(self) -> bool:
        return self.allows_individuals and self.signing_as.data == SignatoryKind.INDIVIDUAL

    def validate(self, extra_validators: object = None) -> bool:
        if self.individual:
            # An individual needs no organization, category or authority to sign for one.
            self.organization.validators = [
                Optional(),
                AtMost(ORGANIZATION_MAX, "The organization name"),
            ]
            self.authorized.validators = [Optional()]
        return super().validate(extra_validators)

    def validate_category(self, field: SelectField) -> None:
        if not self.categories or self.individual:
            field.data = ""
            return
        if field.data not in self.categories:
            raise ValidationError("Choose the category that fits your organization.")

    def validate_organization(self, field: StringField) -> None:
        if not self.individual and not clean_text(field.data):
            raise ValidationError("Enter the name of your organization.")

    def validate_name(self, field: StringField) -> None:
        if not clean_text(field.data):
            raise ValidationError("Enter your full name.")

    def signature_data(self) -> SignatureData:
        return SignatureData(
            organization=self.organization.data or "",
            name=self.name.data or "",
            email=self.email.data or "",
            title=self.title.data or "",
            city=self.city.data or "",
            region=self.region.data or "",
            country=self.country.data or "",
            website=self.website.data or "",
            category=self.category.data or "",
            note=self.note.data or "",
            keep_informed=bool(self.keep_informed.data),
            press_contact=bool(self.press_contact.data),
            kind=SignatoryKind.INDIVIDUAL if self.individual else SignatoryKind.ORGANIZATION,
        )

    def trap_reason(self, min_seconds: float) -> str:
        """Why this submission looks like a bot's, or '' if it looks like a person's."""
        if (self.contact_fax.data or "").strip():
            return "filled the hidden field"
        elapsed = seconds_since_stamp(self.started.data)
        if elapsed is None:
            return "no valid form start time"
        if elapsed < min_seconds:
            return f"submitted {elapsed:.1f} s after the form was shown"
        return ""

    def version_id(self) -> int | None:
        try:
            return int(self.version.data or "")
        except ValueError:
            return None


class ConfirmForm(FlaskForm):
    """Only a POST confirms, so mail scanners that open links confirm nothing."""


class WithdrawForm(FlaskForm):
    pass
