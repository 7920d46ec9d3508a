"""The organizer's forms for adding signatures: one by hand, or the rows of a CSV file, checked
by the sign form's own rules."""

from __future__ import annotations

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from signon.forms.public import SignForm, strip_text
from signon.services.intake import RowValidator
from signon.services.signatures import SignatureData


class AddSignatureForm(SignForm):
    """A signature an organizer adds for someone who signed by email, phone or in person."""

    authorized = BooleanField(
        lazy_gettext("The signer told us they may sign on behalf of this organization"),
        validators=[
            InputRequired(lazy_gettext("Confirm that the signer may sign for this organization."))
        ],
    )
    source = StringField(
        lazy_gettext("How the signature reached you"),
        filters=[strip_text],
        validators=[
            DataRequired(lazy_gettext("Say how the signature reached you.")),
            Length(max=200),
        ],
        description=lazy_gettext(
            "Kept in the audit log. For example: by email to Ana on May 3, or by phone."
        ),
    )
    approve = BooleanField(lazy_gettext("List it now (approve it)"), default=True)
    tell_signer = BooleanField(
        lazy_gettext("Email the signer that they were added, with a link to withdraw"), default=True
    )
    keep_informed = BooleanField(
        lazy_gettext("The signer wants to be kept informed about this letter")
    )
    press_contact = BooleanField(
        lazy_gettext("The signer agreed to be named to journalists as a press contact")
    )
    # Organizers are not bots, and the text version is the current one.
    logo = None
    contact_fax = None
    started = None
    version = None
    invitation = None
    origin = None


def check_row(categories: list[str], allows_individuals: bool) -> RowValidator:
    """A row of an imported sheet, checked by the very rules of the sign form."""

    by_folded = {c.casefold(): c for c in categories}

    def validate(values: dict[str, str]) -> tuple[SignatureData | None, list[str]]:
        typed = (values.get("category") or "").strip()
        values = {**values, "category": by_folded.get(typed.casefold(), typed)}
        # A sheet without categories lists its rows uncategorized; a category given must exist.
        form = SignForm(
            categories if typed and categories else [],
            formdata=MultiDict({**values, "authorized": "y"}),
            allows_individuals=allows_individuals,
            meta={"csrf": False},
        )
        if form.validate():
            return form.signature_data(), []
        if form.category.errors:
            form.category.errors = [
                gettext(
                    "“%(typed)s” is not one of this letter's categories (%(categories)s).",
                    typed=typed,
                    categories=", ".join(categories),
                )
            ]
        return None, [
            gettext("%(field)s: %(message)s", field=form[name].label.text, message=message)
            for name, messages in form.errors.items()
            for message in messages
        ]

    return validate


class ImportForm(FlaskForm):
    file = FileField(
        lazy_gettext("CSV file"),
        validators=[
            FileRequired(lazy_gettext("Choose the CSV file to import.")),
            FileAllowed(
                ["csv", "txt"],
                lazy_gettext("Choose a .csv file: in your spreadsheet, File > Download > CSV."),
            ),
        ],
        description=lazy_gettext(
            "The first row names the columns, in English or Spanish: organization, name and "
            "email are needed; title, city, state, country, website, category and note are read "
            "when present. A Google Form sheet works as it is."
        ),
    )
    approve = BooleanField(lazy_gettext("List them now (approve them)"), default=True)
    tell_signers = BooleanField(
        lazy_gettext("Email each signer that they were added, with a link to withdraw"),
        default=True,
    )


class ConfirmImportForm(FlaskForm):
    csv_text = HiddenField()
    filename = HiddenField()
    approve = HiddenField()
    tell_signers = HiddenField()
