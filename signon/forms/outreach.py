"""Forms of the Partners page and of outreach: imports, matches, invitations and reminders."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp

from signon.models import Letter
from signon.services import letter_emails, outreach, outreach_emails

ALWAYS_ADDED = lazy_gettext(
    "Always added after your text: the personal link to sign (the form opens filled in), the "
    "“We can't sign this time” link, and the link to stop emails about this letter."
)


class SendOutreachForm(FlaskForm):
    """The confirm step sent back: what to send, to whom (empty: everyone it applies to)."""

    action = HiddenField(validators=[AnyOf([str(a) for a in outreach.Action])])
    partners = HiddenField(validators=[Optional(), Regexp(r"^[0-9]+(,[0-9]+)*$")])
    expected = HiddenField(validators=[Optional(), Regexp(r"^[0-9]+$")])

    def selected(self) -> list[int] | None:
        typed = self.partners.data or ""
        return [int(value) for value in typed.split(",")] if typed else None


def _text(label: LazyString) -> TextAreaField:
    return TextAreaField(label, validators=[Optional(), Length(max=5000)], description=ALWAYS_ADDED)


class OutreachSettingsForm(FlaskForm):
    partner_invitation = _text(lazy_gettext("Text of the invitation"))
    partner_reminder = _text(lazy_gettext("Text of the reminder"))
    reminder_days = StringField(
        lazy_gettext("Send a reminder this many days before the deadline"),
        validators=[Optional(), Length(max=60)],
        description=lazy_gettext(
            "For example 3, 1. Each goes to the partners who have not answered, at most once a "
            "day each; leave empty for no scheduled reminders."
        ),
    )

    def fill_from(self, letter: Letter) -> None:
        for kind in outreach_emails.KINDS:
            self[kind].data = outreach_emails.text_for(letter, kind)
        self.reminder_days.data = ", ".join(str(days) for days in letter.reminder_days or [])

    def text_fields(self) -> list[TextAreaField]:
        return [self[kind] for kind in outreach_emails.KINDS]

    def texts(self) -> dict[str, str]:
        return {kind: self[kind].data or "" for kind in outreach_emails.KINDS}

    def check(self, letter: Letter) -> outreach_emails.Settings | None:
        """The settings as typed, or None with each error next to its field."""
        valid = self.validate_on_submit()
        for field in self.text_fields():
            try:
                outreach_emails.check_text(field.data or "", reply_to=letter.reply_to)
            except ValueError as error:
                field.errors = [*field.errors, str(error)]
                valid = False
        try:
            days = outreach_emails.parse_days(self.reminder_days.data or "")
        except letter_emails.SettingsError as error:
            self.reminder_days.errors = [*self.reminder_days.errors, str(error)]
            return None
        return outreach_emails.Settings(self.texts(), days) if valid else None


class PartnerImportForm(FlaskForm):
    """A CSV file of partners, or rows pasted from a spreadsheet; one of the two."""

    file = FileField(
        lazy_gettext("CSV file"),
        validators=[
            FileAllowed(
                ["csv", "txt", "tsv"],
                lazy_gettext("Choose a .csv file: in your spreadsheet, File > Download > CSV."),
            )
        ],
        description=lazy_gettext(
            "The first row names the columns, in English or Spanish: Organization is needed; "
            "Contact, Email, Category, Notes and Co-host are read when present. UTF-8 or Excel's "
            "CSV, with commas or semicolons."
        ),
    )
    pasted = TextAreaField(
        lazy_gettext("Or paste rows from a spreadsheet"),
        validators=[Optional()],
        description=lazy_gettext(
            "With a heading row, or in this order: organization, contact, email, category, "
            "notes, co-host."
        ),
    )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.file.data and not (self.pasted.data or "").strip():
            self.file.errors = [gettext("Choose a CSV file, or paste rows.")]
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
        lazy_gettext("Add the organizations listed on"),
        coerce=int,
        validate_choice=True,
        description=lazy_gettext(
            "Each organization on that letter's public list, with the contact who signed for it. "
            "You see the preview first."
        ),
    )


class MatchPartnerForm(FlaskForm):
    partner_id = HiddenField(validators=[DataRequired()])
    signature_id = HiddenField(validators=[DataRequired()])
