"""Forms of the workspace for a letter itself: its text and settings, questions and emails."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import gettext as _
from flask_babel import lazy_gettext, pgettext
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
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

from signon.models import Letter
from signon.services import embargo, embedding, letter_emails
from signon.services.letters import SLUG_PATTERN, LetterDraft
from signon.services.questions import KINDS as QUESTION_KINDS

COMMON_ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "UTC",
]  # fmt: skip


def _letter_title() -> str:
    # "Title" alone is a signer's job title in the catalog; a letter's title has its own context.
    return pgettext("letter", "Title")


LETTER_TITLE = LazyString(_letter_title)


@cache
def timezone_choices() -> list[SelectChoice]:
    others = sorted(available_timezones() - set(COMMON_ZONES))
    return [SelectChoice(zone, zone.replace("_", " ")) for zone in COMMON_ZONES + others]


class LetterForm(FlaskForm):
    title = StringField(
        LETTER_TITLE,
        validators=[DataRequired(lazy_gettext("Give the letter a title.")), Length(max=200)],
    )
    slug = StringField(
        lazy_gettext("Web address"),
        validators=[
            DataRequired(lazy_gettext("Choose the web address.")),
            Length(max=80),
            Regexp(
                SLUG_PATTERN,
                message=lazy_gettext(
                    "Use lowercase letters, digits and single hyphens, like foia-letter-2027."
                ),
            ),
        ],
        description=lazy_gettext("The letter's page will be /letters/ followed by this."),
    )
    body = TextAreaField(
        lazy_gettext("Letter text"),
        validators=[DataRequired(lazy_gettext("Write the letter text.")), Length(max=100_000)],
        description=lazy_gettext(
            "Markdown: a blank line between paragraphs, **bold**, *italic*, 1. numbered lists, "
            "[links](https://example.org)."
        ),
    )
    change_note = StringField(
        lazy_gettext("What changed (for signers who already signed)"),
        validators=[Optional(), Length(max=500)],
        description=lazy_gettext(
            "Needed when people have already signed the text you are changing."
        ),
    )
    categories = TextAreaField(
        lazy_gettext("Signatory categories"),
        validators=[Optional(), Length(max=2000)],
        description=lazy_gettext(
            "One per line, in the order the final list should use. Leave empty for one list."
        ),
    )
    deadline = DateTimeLocalField(
        lazy_gettext("Sign-on deadline"), validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    timezone = SelectField(
        lazy_gettext("Time zone of the deadline"), choices=[], default="America/New_York"
    )
    requires_approval = BooleanField(
        lazy_gettext("Signatures need approval before they are listed"), default=True
    )
    allows_individuals = BooleanField(
        lazy_gettext("Individuals may sign too (listed and counted apart)")
    )
    show_logo_wall = BooleanField(
        lazy_gettext("Show the logo wall on the public page"),
        description=lazy_gettext(
            "The logos of the listed organizations that sent one, under the list. They are "
            "always in the press kit's logo pack."
        ),
    )
    thank_you = TextAreaField(
        lazy_gettext("Thank-you message"),
        validators=[Optional(), Length(max=5000)],
        description=lazy_gettext("Shown to signers once they confirm. Markdown."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()

    def validate_deadline(self, field: DateTimeLocalField) -> None:
        if field.data is not None and not 2000 <= field.data.year <= 2200:
            raise ValidationError(_("Enter a deadline between the years 2000 and 2200."))

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
        self.show_logo_wall.data = draft.show_logo_wall

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
            show_logo_wall=bool(self.show_logo_wall.data),
        )


class RevealForm(FlaskForm):
    """The launch button, with the box that says the organizer means it: a list made public cannot
    be taken back."""

    ready = BooleanField(lazy_gettext("Yes, make the list public now"))


class EmbargoForm(FlaskForm):
    """Collecting signatures under embargo, and when the list is revealed."""

    embargoed = BooleanField(
        lazy_gettext("Keep the list private until launch"),
        description=lazy_gettext(
            "The letter and the sign form stay public; the names of the signatories appear "
            "nowhere public (page, API, share images) until you reveal the list."
        ),
    )
    hides_count = BooleanField(lazy_gettext("Also hide the count"))
    reveal_at = DateTimeLocalField(
        lazy_gettext("Reveal the list on"), validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )

    def in_zone(self, timezone: str) -> EmbargoForm:
        """Says in the hint which time zone the reveal time is read in."""
        self.reveal_at.description = _(
            "Optional, in the letter's time zone (%(zone)s). The list is published at that time "
            "without anyone pressing a button. Leave it empty to reveal it with the button.",
            zone=timezone.replace("_", " "),
        )
        return self

    def validate_reveal_at(self, field: DateTimeLocalField) -> None:
        if field.data is not None and not 2000 <= field.data.year <= 2200:
            raise ValidationError(_("Enter a date between the years 2000 and 2200."))

    def fill_from(self, letter: Letter) -> None:
        self.embargoed.data = letter.embargoed
        self.hides_count.data = letter.embargo_hides_count
        local = embargo.local_reveal_at(letter)
        self.reveal_at.data = local.replace(tzinfo=None) if local else None

    def settings(self, timezone: str) -> embargo.EmbargoSettings:
        """What was chosen; the reveal time is read in the letter's time zone."""
        reveal_at: datetime | None = self.reveal_at.data
        return embargo.EmbargoSettings(
            embargoed=bool(self.embargoed.data),
            hides_count=bool(self.hides_count.data),
            reveal_at=reveal_at.replace(tzinfo=ZoneInfo(timezone)) if reveal_at else None,
        )


class EmbedForm(FlaskForm):
    sites = TextAreaField(
        lazy_gettext("Sites allowed to embed the sign form"),
        validators=[Optional(), Length(max=5000)],
        description=lazy_gettext(
            "One per line, like https://partner.org: only these sites can show the sign form in "
            "a frame. Leave empty to allow none."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.chosen: list[str] = []  # the sites, normalized, once validated

    def validate_sites(self, field: TextAreaField) -> None:
        try:
            self.chosen = embedding.parse_sites(field.data or "")
        except embedding.SiteError as error:
            raise ValidationError(str(error)) from None


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


class UpdateSignersForm(FlaskForm):
    message = TextAreaField(
        lazy_gettext("Message to these signers"),
        validators=[DataRequired(lazy_gettext("Write a short message.")), Length(max=5000)],
        description=lazy_gettext(
            "Sent with two links: one to keep their signature on the new text, one to withdraw it."
        ),
    )


class QuestionForm(FlaskForm):
    label = StringField(
        lazy_gettext("Question"),
        validators=[DataRequired(lazy_gettext("Write the question.")), Length(max=300)],
        description=lazy_gettext(
            "For example: May we list your organization's logo? Signers see it on the sign form."
        ),
    )
    kind = RadioField(
        lazy_gettext("Kind of answer"),
        choices=[SelectChoice(k, v) for k, v in QUESTION_KINDS.items()],
        default="text",
    )
    choices = TextAreaField(
        lazy_gettext("Options (for a choice)"),
        validators=[Optional(), Length(max=2000)],
        description=lazy_gettext("One per line. Needed only for a choice."),
    )
    required = BooleanField(lazy_gettext("Signers must answer it"))


def _email_text(kind: str) -> TextAreaField:
    spec = letter_emails.KINDS[kind]
    return TextAreaField(
        lazy_gettext("Email “%(email)s”", email=spec.label),
        validators=[Optional(), Length(max=5000)],
        description=lazy_gettext(
            "Always added after your text: %(added)s", added=spec.always_added
        ),
    )


class EmailSettingsForm(FlaskForm):
    """A letter's sender name, Reply-To and the texts of the emails its signers get."""

    sender_name = StringField(
        lazy_gettext("Sender name"),
        validators=[
            Optional(),
            Length(max=120),
            Regexp(
                r"^[^@<>\"]*$",
                message=lazy_gettext(
                    'Write a name only, without an email address or the characters < > " @.'
                ),
            ),
        ],
        description=lazy_gettext(
            "Shown in From, for example “Coalition for Open Records via signon”. The address "
            "stays the site's own."
        ),
    )
    reply_to = EmailField(
        lazy_gettext("Reply-To address"),
        validators=[Optional(), Email(lazy_gettext("Enter an email address.")), Length(max=254)],
        description=lazy_gettext(
            "The lead organization's address. Without one, the emails never invite a reply."
        ),
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
