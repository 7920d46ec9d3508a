"""Forms of the organizer workspace."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from signon.forms.validators import AtMost, limit_hint
from signon.models import Letter, NotifyMode, Role
from signon.services import letter_emails
from signon.services.letters import SLUG_PATTERN, LetterDraft
from signon.services.press import ReleaseChoices
from signon.services.questions import KINDS as QUESTION_KINDS

COMMON_ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "UTC",
]  # fmt: skip


@cache
def timezone_choices() -> list[SelectChoice]:
    others = sorted(available_timezones() - set(COMMON_ZONES))
    return [SelectChoice(zone, zone.replace("_", " ")) for zone in COMMON_ZONES + others]


class LetterForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired("Give the letter a title."), Length(max=200)]
    )
    slug = StringField(
        "Web address",
        validators=[
            DataRequired("Choose the web address."),
            Length(max=80),
            Regexp(
                SLUG_PATTERN,
                message="Use lowercase letters, digits and single hyphens, like foia-letter-2027.",
            ),
        ],
        description="The letter's page will be /letters/ followed by this.",
    )
    body = TextAreaField(
        "Letter text",
        validators=[DataRequired("Write the letter text."), Length(max=100_000)],
        description="Markdown: a blank line between paragraphs, **bold**, *italic*, 1. numbered lists, [links](https://example.org).",
    )
    change_note = StringField(
        "What changed (for signers who already signed)",
        validators=[Optional(), Length(max=500)],
        description="Needed when people have already signed the text you are changing.",
    )
    categories = TextAreaField(
        "Signatory categories",
        validators=[Optional(), Length(max=2000)],
        description="One per line, in the order the final list should use. Leave empty for one list.",
    )
    deadline = DateTimeLocalField(
        "Sign-on deadline", validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    timezone = SelectField("Time zone of the deadline", choices=[], default="America/New_York")
    requires_approval = BooleanField(
        "Signatures need approval before they are listed", default=True
    )
    allows_individuals = BooleanField("Individuals may sign too (listed and counted apart)")
    thank_you = TextAreaField(
        "Thank-you message",
        validators=[Optional(), Length(max=5000)],
        description="Shown to signers once they confirm. Markdown.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()

    def validate_deadline(self, field: DateTimeLocalField) -> None:
        if field.data is not None and not 2000 <= field.data.year <= 2200:
            raise ValidationError("Enter a deadline between the years 2000 and 2200.")

    def fill_from(self, draft: LetterDraft) -> None:
        self.title.data = draft.title
        self.slug.data = draft.slug
        self.body.data = draft.body_markdown
        self.categories.data = "\n".join(draft.categories)
        self.timezone.data = draft.timezone
        self.deadline.data = (
            draft.deadline_at.astimezone(ZoneInfo(draft.timezone)).replace(tzinfo=None)
            if draft.deadline_at
            else None
        )
        self.requires_approval.data = draft.requires_approval
        self.allows_individuals.data = draft.allows_individuals
        self.thank_you.data = draft.thank_you_markdown

    def draft(self) -> LetterDraft:
        zone = self.timezone.data or "UTC"
        deadline: datetime | None = self.deadline.data
        return LetterDraft(
            slug=(self.slug.data or "").strip(),
            title=self.title.data or "",
            body_markdown=(self.body.data or "").replace("\r\n", "\n"),
            categories=(self.categories.data or "").splitlines(),
            deadline_at=deadline.replace(tzinfo=ZoneInfo(zone)) if deadline else None,
            timezone=zone,
            requires_approval=bool(self.requires_approval.data),
            allows_individuals=bool(self.allows_individuals.data),
            thank_you_markdown=self.thank_you.data or "",
        )


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


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


class HostForm(FlaskForm):
    email = EmailField(
        "Co-host's email",
        validators=[
            DataRequired("Enter the organizer's email."),
            Email("Enter an email address."),
            Length(max=254),
        ],
    )


class NotifyForm(FlaskForm):
    notify = RadioField(
        "Email me about new signatures",
        choices=[
            SelectChoice(NotifyMode.EACH, "For each new confirmed signature"),
            SelectChoice(NotifyMode.DIGEST, "Once a day, in a digest"),
            SelectChoice(NotifyMode.NONE, "Never"),
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


class UpdateSignersForm(FlaskForm):
    message = TextAreaField(
        "Message to these signers",
        validators=[DataRequired("Write a short message."), Length(max=5000)],
        description="Sent with two links: one to keep their signature on the new text, one to withdraw it.",
    )


class FreezeForm(FlaskForm):
    note = StringField(
        "Note (optional)",
        validators=[Optional(), Length(max=500)],
        description="For example: the list as sent to the Secretary.",
    )


class DeliveryForm(FlaskForm):
    snapshot = SelectField(
        "Frozen list that was delivered", choices=[], validate_choice=True, coerce=int
    )
    delivered_on = DateField(
        "Delivered on", validators=[DataRequired("Enter the date of delivery.")]
    )
    recipient = StringField(
        "Delivered to",
        validators=[DataRequired("Say to whom the letter was delivered."), Length(max=300)],
        description="For example: Secretary of Homeland Security.",
    )
    method = RadioField("How", choices=[], default="email")
    notes = TextAreaField("Notes (private)", validators=[Optional(), Length(max=5000)])
    public = BooleanField("Show this delivery on the public letter page", default=True)


class SignerUpdateForm(FlaskForm):
    subject = StringField(
        "Subject",
        validators=[DataRequired("Write a subject."), Length(max=200)],
        description="For example: The letter was delivered.",
    )
    message = TextAreaField(
        "Message",
        validators=[DataRequired("Write the update."), Length(max=10_000)],
        description="Markdown: a blank line between paragraphs, **bold**, *italic*, [links](https://example.org). Each signer is greeted by the name they are listed under.",
    )
    public = BooleanField(
        "Also post this update on the public letter page", default=True, id="update_public"
    )


class PressReleaseForm(FlaskForm):
    lead_organizations = StringField(
        "Lead organization(s)",
        validators=[Optional(), Length(max=300)],
        description="The organizations that lead the letter, separated by semicolons. Leave empty to lead with the count.",
    )
    ask = StringField(
        "The ask (what the coalition calls for)",
        validators=[Optional(), Length(max=300)],
        description="It follows the organizations in the headline, for example: call on ICE to comply with FOIA.",
    )
    dateline = StringField(
        "Dateline city",
        validators=[Optional(), Length(max=100)],
        description="For example: Washington. The date is the day the letter was delivered, or else published.",
    )
    headline = StringField(
        "Headline",
        validators=[Optional(), Length(max=300)],
        description="Drafted from the lead organizations, the count and the ask. Kept as drafted, it follows the count; once edited, it is yours. Public updates add “Updated:” in front.",
    )
    body = TextAreaField(
        "Release text",
        validators=[Optional(), Length(max=20_000)],
        description="Markdown. The dateline goes in front of the first paragraph; the signatory list and the press contacts follow the text. Replace the part in square brackets with a real quote.",
    )

    def choices(self) -> ReleaseChoices:
        return ReleaseChoices(
            lead_organizations=self.lead_organizations.data or "",
            ask=self.ask.data or "",
            dateline=self.dateline.data or "",
            headline=self.headline.data or "",
            body_markdown=self.body.data or "",
        )

    def fill_from(self, picked: ReleaseChoices) -> None:
        self.lead_organizations.data = picked.lead_organizations
        self.ask.data = picked.ask
        self.dateline.data = picked.dateline
        self.headline.data = picked.headline
        self.body.data = picked.body_markdown


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


class QuestionForm(FlaskForm):
    label = StringField(
        "Question",
        validators=[DataRequired("Write the question."), Length(max=300)],
        description="For example: May we list your organization's logo? Signers see it on the sign form.",
    )
    kind = RadioField(
        "Kind of answer",
        choices=[SelectChoice(k, v) for k, v in QUESTION_KINDS.items()],
        default="text",
    )
    choices = TextAreaField(
        "Options (for a choice)",
        validators=[Optional(), Length(max=2000)],
        description="One per line. Needed only for a choice.",
    )
    required = BooleanField("Signers must answer it")


def _email_text(kind: str) -> TextAreaField:
    spec = letter_emails.KINDS[kind]
    return TextAreaField(
        f"Email “{spec.label}”",
        validators=[Optional(), Length(max=5000)],
        description=f"Always added after your text: {spec.always_added[0].lower()}{spec.always_added[1:]}",
    )


class EmailSettingsForm(FlaskForm):
    """A letter's sender name, Reply-To and the texts of the emails its signers get."""

    sender_name = StringField(
        "Sender name",
        validators=[
            Optional(),
            Length(max=120),
            Regexp(
                r"^[^@<>\"]*$",
                message='Write a name only, without an email address or the characters < > " @.',
            ),
        ],
        description="Shown in From, for example “Coalition for Open Records via signon”. The address stays the site's own.",
    )
    reply_to = EmailField(
        "Reply-To address",
        validators=[Optional(), Email("Enter an email address."), Length(max=254)],
        description="The lead organization's address. Without one, the emails never invite a reply.",
    )
    confirm_signature = _email_text("confirm_signature")
    signature_approved = _email_text("signature_approved")
    signature_rejected = _email_text("signature_rejected")
    letter_update = _email_text("letter_update")

    def fill_from(self, letter: Letter) -> None:
        """The saved settings, with each default text written out so organizers see it."""
        self.sender_name.data = letter.sender_name
        self.reply_to.data = letter.reply_to
        for kind in letter_emails.KINDS:
            self[kind].data = letter_emails.text_for(letter, kind)

    def text_fields(self) -> list[TextAreaField]:
        return [self[kind] for kind in letter_emails.KINDS]

    def settings(self) -> letter_emails.Settings:
        return letter_emails.Settings(
            sender_name=self.sender_name.data or "",
            reply_to=self.reply_to.data or "",
            texts={kind: self[kind].data or "" for kind in letter_emails.KINDS},
        )

    def validate(self, extra_validators: Any = None) -> bool:
        """Each text's placeholders are checked here, so the error shows next to its field."""
        valid = super().validate(extra_validators)
        reply_to = "" if self.reply_to.errors else (self.reply_to.data or "").strip()
        for field in self.text_fields():
            try:
                letter_emails.check_text(field.data or "", reply_to=reply_to)
            except ValueError as error:
                field.errors = [*field.errors, str(error)]
                valid = False
        return valid


class PartnerImportForm(FlaskForm):
    """A CSV file of partners, or rows pasted from a spreadsheet; one of the two."""

    file = FileField(
        "CSV file",
        validators=[
            FileAllowed(
                ["csv", "txt", "tsv"],
                "Choose a .csv file: in your spreadsheet, File > Download > CSV.",
            )
        ],
        description="The first row names the columns: Organization is needed; Contact, Email, "
        "Category, Notes and Co-host are read when present. UTF-8 or Excel's CSV, with commas "
        "or semicolons.",
    )
    pasted = TextAreaField(
        "Or paste rows from a spreadsheet",
        validators=[Optional()],
        description="With a heading row, or in this order: organization, contact, email, "
        "category, notes, co-host.",
    )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.file.data and not (self.pasted.data or "").strip():
            self.file.errors = ["Choose a CSV file, or paste rows."]
            return False
        return True


class ConfirmPartnersForm(FlaskForm):
    """The preview sent back: the rows (or the earlier letter), the plan's digest and its seal."""

    kind = HiddenField()
    payload = HiddenField()
    filename = HiddenField()
    digest = HiddenField()
    seal = HiddenField()


class PartnersFromLetterForm(FlaskForm):
    source = SelectField(
        "Add the organizations listed on",
        coerce=int,
        validate_choice=True,
        description="Each organization on that letter's public list, with the contact who signed "
        "for it. You see the preview first.",
    )


class MatchPartnerForm(FlaskForm):
    partner_id = HiddenField(validators=[DataRequired()])
    signature_id = HiddenField(validators=[DataRequired()])
