"""Flask-WTF forms and their validators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileSize
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from signon import images
from signon.forms.stamps import SignStamps
from signon.forms.validators import AtMost, limit_hint
from signon.models import Letter, Listing, SignatoryKind
from signon.services import listing_choices
from signon.services.normalize import clean_text
from signon.services.questions import MAX_ANSWER, Question, answer_record, questions_of
from signon.services.signatures import SignatureData


def strip_text(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def normalize_website(value: str | None) -> str | None:
    """'example.org' becomes 'https://example.org'; anything else typed stays for the validator."""
    value = strip_text(value)
    if value and "://" not in value:
        value = "https://" + value
    return value


def is_web_address(value: str) -> bool:
    """An http(s) address with a dotted host and no spaces (after normalize_website)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:  # brackets that are not an IPv6 address, for instance
        return False
    return parts.scheme in {"http", "https"} and "." in host and " " not in value


def validate_website(form: FlaskForm, field: StringField) -> None:
    if field.data and not is_web_address(field.data):
        raise ValidationError(
            gettext("Enter a web address like https://example.org, or leave it blank.")
        )


# The widths of Signature.organization and Signature.name.
ORGANIZATION_MAX = 200
NAME_MAX = 120
# The other limits of the sign form (signon.forms.entry reads it by the same ones).
TITLE_MAX = 120
EMAIL_MAX = 254
PLACE_MAX = 100  # city, region, country
WEBSITE_MAX = 300
NOTE_MAX = 2000
TRAP_MAX = 200
INVITATION_MAX = 200
ORIGIN_MAX = 200  # a signed co-host origin is about 40 characters
LOGO_TOO_LARGE = lazy_gettext(
    "The logo file is larger than 2 MB. Choose a smaller file: a logo of about 1000 pixels across is plenty."
)
CHOOSE_AGAIN = lazy_gettext(
    "Everything else you typed is still here, but browsers cannot keep a chosen file: please choose the logo file again."
)
EMAIL_RULE = Email(
    lazy_gettext("Enter an email address like name@example.org."), check_deliverability=False
)


class SignForm(SignStamps, FlaskForm):
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
    name = StringField(
        lazy_gettext("Your full name"),
        filters=[strip_text],
        validators=[
            DataRequired(lazy_gettext("Enter your full name.")),
            AtMost(NAME_MAX, lazy_gettext("Your full name")),
        ],
        description=limit_hint(NAME_MAX),
    )
    title = StringField(
        lazy_gettext("Your title or role"),
        filters=[strip_text],
        validators=[Optional(), Length(max=TITLE_MAX)],
        description=lazy_gettext("For example: Executive Director."),
    )
    email = EmailField(
        lazy_gettext("Email address"),
        filters=[strip_text],
        validators=[
            DataRequired(lazy_gettext("Enter your email address.")),
            Length(max=EMAIL_MAX),
            EMAIL_RULE,
        ],
        description=lazy_gettext(
            "We send a link to this address to confirm your signature. It is never published."
        ),
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
    website = StringField(
        lazy_gettext("Organization website (optional)"),
        filters=[normalize_website],
        validators=[Optional(), Length(max=WEBSITE_MAX), validate_website],
    )
    category = SelectField(lazy_gettext("Category"), choices=[], validate_choice=False)
    authorized = BooleanField(
        lazy_gettext("I am authorized to sign on behalf of this organization"),
        validators=[
            InputRequired(lazy_gettext("Confirm that you may sign for this organization."))
        ],
    )
    keep_informed = BooleanField(lazy_gettext("Keep me informed about this letter"))
    press_contact = BooleanField(
        lazy_gettext("I agree to be named to journalists as a press contact for this letter"),
        description=lazy_gettext(
            "Only the organizers see this; they may pass your name and email to the press."
        ),
    )
    note = TextAreaField(
        lazy_gettext("Private note to the organizers (optional)"),
        filters=[strip_text],
        validators=[Optional(), Length(max=NOTE_MAX)],
        description=lazy_gettext("Only the organizers see this."),
    )
    logo = FileField(
        lazy_gettext("Your organization's logo (PNG, JPEG or WebP, up to 2 MB)"),
        validators=[FileSize(images.MAX_BYTES, message=LOGO_TOO_LARGE)],
        description=lazy_gettext(
            "Optional. Organizers may show the logos of the signing organizations to the press and on this page. Not for individuals."
        ),
    )
    signing_as = RadioField(
        lazy_gettext("I am signing"),
        choices=[
            SelectChoice(SignatoryKind.ORGANIZATION, lazy_gettext("for an organization")),
            SelectChoice(SignatoryKind.INDIVIDUAL, lazy_gettext("as an individual")),
        ],
        default=SignatoryKind.ORGANIZATION,
        validators=[Optional()],
    )
    listing = RadioField(
        lazy_gettext("How should we list you?"),
        choices=[SelectChoice(k, v) for k, v in listing_choices.form_choices(False).items()],
        default=Listing.NAMED,
        filters=[listing_choices.choice_of],
        invalid_choice_message=listing_choices.UNKNOWN_CHOICE,
        description=lazy_gettext(
            "Everyone who signs is counted. A name left off is left off the public page and everything published; the organizers still see who signed."
        ),
    )
    version = HiddenField()
    # The token of a partner's personal link, when the form was opened from one.
    invitation = HiddenField(validators=[Optional(), Length(max=INVITATION_MAX)])
    # Where the signer came from (a co-host's share link, a ref name), from the page's address.
    origin = HiddenField(validators=[Optional(), Length(max=ORIGIN_MAX)])
    questions: tuple[Question, ...] = ()  # the letter's own questions; see sign_form()
    # Bot traps: a field people never see, and when the form was shown.
    contact_fax = StringField(
        lazy_gettext("Leave this field empty"), validators=[Optional(), Length(max=TRAP_MAX)]
    )
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
        self.category.choices = [SelectChoice("", gettext("Choose a category"))] + [
            SelectChoice(c) for c in categories
        ]
        # Read now, in the page's language, and escaped like any other text.
        self.listing.choices = [
            SelectChoice(k, str(v))
            for k, v in listing_choices.form_choices(allows_individuals).items()
        ]
        self.signing_as.choices = [
            SelectChoice(SignatoryKind.ORGANIZATION, gettext("for an organization")),
            SelectChoice(SignatoryKind.INDIVIDUAL, gettext("as an individual")),
        ]

    def name_categories(self, names: dict[str, str]) -> None:
        """Show each category by its name in the page's language (`names`, by original name);
        the value sent stays the original, which moderation and the exports know."""
        self.category.choices = [self.category.choices[0]] + [
            SelectChoice(c, names.get(c, c)) for c in self.categories
        ]

    @property
    def individual(self) -> bool:
        return self.allows_individuals and self.signing_as.data == SignatoryKind.INDIVIDUAL

    def validate(self, extra_validators: object = None) -> bool:
        if self.individual:
            # An individual needs no organization, category or authority to sign for one.
            self.organization.validators = [
                Optional(),
                AtMost(ORGANIZATION_MAX, lazy_gettext("The organization name")),
            ]
            self.authorized.validators = [Optional()]
        return super().validate(extra_validators)

    def validate_category(self, field: SelectField) -> None:
        if not self.categories or self.individual:
            field.data = ""
            return
        if field.data not in self.categories:
            raise ValidationError(gettext("Choose the category that fits your organization."))

    def validate_organization(self, field: StringField) -> None:
        if not self.individual and not clean_text(field.data):
            raise ValidationError(gettext("Enter the name of your organization."))

    def validate_name(self, field: StringField) -> None:
        if not clean_text(field.data):
            raise ValidationError(gettext("Enter your full name."))

    def validate_logo(self, field: FileField) -> None:
        """Checked and re-encoded here, once; an individual's file is ignored."""
        self._logo: images.PreparedLogo | None = None
        if not field.data or self.individual:
            return
        try:
            self._logo = images.prepare(field.data.stream.read(images.MAX_BYTES + 1))
        except images.LogoRefused as refused:
            raise ValidationError(str(refused)) from refused

    def logo_image(self) -> images.PreparedLogo | None:
        return getattr(self, "_logo", None)

    @property
    def logo_to_choose_again(self) -> bool:
        """A logo was sent with a form that is shown again (it was not signed): the browser has
        forgotten the file."""
        return bool(self.logo.data) and not self.individual

    def validate_listing(self, field: RadioField) -> None:
        why = listing_choices.refusal(field.data or "", individual=self.individual)
        if why and why not in field.errors:
            raise ValidationError(why)

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
            listing=Listing(self.listing.data),
            answers={q.id: answer_record(q, self[q.field_name].data) for q in self.questions},
        )

    def trap_field(self) -> str:
        return self.contact_fax.data or ""

    def started_stamp(self) -> str | None:
        return self.started.data

    def version_text(self) -> str | None:
        return self.version.data

    def invitation_token(self) -> str:
        return self.invitation.data or ""

    def origin_text(self) -> str:
        return self.origin.data or ""


class ConfirmForm(FlaskForm):
    """Only a POST confirms, so mail scanners that open links confirm nothing."""


class WithdrawForm(FlaskForm):
    pass


def _question_field(question: Question, required: bool) -> Field:
    if question.kind == "checkbox":
        return BooleanField(
            question.label,
            validators=[InputRequired(lazy_gettext("Tick this box to sign."))]
            if required
            else [Optional()],
        )
    if question.kind == "choice":
        return RadioField(
            question.label,
            choices=[SelectChoice(c, c) for c in question.choices],
            validators=[InputRequired(lazy_gettext("Choose an answer."))]
            if required
            else [Optional()],
        )
    return StringField(
        question.label,
        filters=[strip_text],
        validators=[
            DataRequired(lazy_gettext("Answer this question.")) if required else Optional(),
            Length(
                max=MAX_ANSWER,
                message=lazy_gettext(
                    "Keep the answer under %(maximum)s characters.", maximum=MAX_ANSWER
                ),
            ),
        ],
    )


@dataclass(frozen=True)
class FormShape:
    """What a letter's sign form is made of, as plain values that outlive a database session."""

    categories: tuple[str, ...] = ()
    allows_individuals: bool = False
    questions: tuple[Question, ...] = ()

    @classmethod
    def of(cls, letter: Letter) -> FormShape:
        return cls(tuple(letter.categories), letter.allows_individuals, tuple(questions_of(letter)))


def sign_form(
    letter: Letter | FormShape, form_class: type[SignForm] = SignForm, **kwargs: Any
) -> SignForm:
    """The sign form with the letter's own questions; organizers adding a signature may leave
    them unanswered."""
    shape = letter if isinstance(letter, FormShape) else FormShape.of(letter)
    required = form_class is SignForm
    fields = {q.field_name: _question_field(q, required and q.required) for q in shape.questions}
    cls = type(form_class.__name__, (form_class,), fields) if fields else form_class
    form = cls(list(shape.categories), allows_individuals=shape.allows_individuals, **kwargs)
    form.questions = shape.questions
    return form
