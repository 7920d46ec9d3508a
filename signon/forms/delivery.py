"""Forms of the last mile: freezing the list, deliveries, updates, the press release."""

from __future__ import annotations

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

from signon.services.press import ReleaseChoices


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
