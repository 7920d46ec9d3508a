"""Forms of the last mile: freezing the list, deliveries, updates, the press release."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from signon.services.press_drafts import ReleaseChoices


class FreezeForm(FlaskForm):
    note = StringField(
        lazy_gettext("Note (optional)"),
        validators=[Optional(), Length(max=500)],
        description=lazy_gettext("For example: the list as sent to the Secretary."),
    )


class DeliveryForm(FlaskForm):
    snapshot = SelectField(
        lazy_gettext("Frozen list that was delivered"), choices=[], validate_choice=True, coerce=int
    )
    delivered_on = DateField(
        lazy_gettext("Delivered on"),
        validators=[DataRequired(lazy_gettext("Enter the date of delivery."))],
    )
    recipient = StringField(
        lazy_gettext("Delivered to"),
        validators=[
            DataRequired(lazy_gettext("Say to whom the letter was delivered.")),
            Length(max=300),
        ],
        description=lazy_gettext("For example: Secretary of Homeland Security."),
    )
    method = RadioField(lazy_gettext("How"), choices=[], default="email")
    notes = TextAreaField(
        lazy_gettext("Notes (private)"), validators=[Optional(), Length(max=5000)]
    )
    public = BooleanField(
        lazy_gettext("Show this delivery on the public letter page"), default=True
    )


class SignerUpdateForm(FlaskForm):
    subject = StringField(
        lazy_gettext("Subject"),
        validators=[DataRequired(lazy_gettext("Write a subject.")), Length(max=200)],
        description=lazy_gettext("For example: The letter was delivered."),
    )
    message = TextAreaField(
        lazy_gettext("Message"),
        validators=[DataRequired(lazy_gettext("Write the update.")), Length(max=10_000)],
        description=lazy_gettext(
            "Markdown: a blank line between paragraphs, **bold**, *italic*, [links](https://example.org). Each signer is greeted by the name they are listed under."
        ),
    )
    public = BooleanField(
        lazy_gettext("Also post this update on the public letter page"),
        default=True,
        id="update_public",
    )


class PressReleaseForm(FlaskForm):
    lead_organizations = StringField(
        lazy_gettext("Lead organization(s)"),
        validators=[Optional(), Length(max=300)],
        description=lazy_gettext(
            "The organizations that lead the letter, separated by semicolons. Leave empty to lead with the count."
        ),
    )
    ask = StringField(
        lazy_gettext("The ask (what the coalition calls for)"),
        validators=[Optional(), Length(max=300)],
        description=lazy_gettext(
            "It follows the organizations in the headline, for example: call on ICE to comply with FOIA."
        ),
    )
    dateline = StringField(
        lazy_gettext("Dateline city"),
        validators=[Optional(), Length(max=100)],
        description=lazy_gettext(
            "For example: Washington. The date is the day the letter was delivered, or else published."
        ),
    )
    headline = StringField(
        lazy_gettext("Headline"),
        validators=[Optional(), Length(max=300)],
        description=lazy_gettext(
            "Drafted from the lead organizations, the count and the ask. Kept as drafted, it follows the count; once edited, it is yours. Public updates add “Updated:” in front."
        ),
    )
    body = TextAreaField(
        lazy_gettext("Release text"),
        validators=[Optional(), Length(max=20_000)],
        description=lazy_gettext(
            "Markdown. The dateline goes in front of the first paragraph; the signatory list and the press contacts follow the text. Replace the part in square brackets with a real quote."
        ),
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
