"""The common valid sign POST, read without WTForms by the sign form's own rules."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app, g, request
from werkzeug.datastructures import MultiDict

from signon.forms.public import (
    EMAIL_MAX,
    EMAIL_RULE,
    INVITATION_MAX,
    NAME_MAX,
    NOTE_MAX,
    ORGANIZATION_MAX,
    ORIGIN_MAX,
    PLACE_MAX,
    TITLE_MAX,
    TRAP_MAX,
    WEBSITE_MAX,
    FormShape,
    is_web_address,
    normalize_website,
)
from signon.forms.stamps import SignStamps
from signon.models import Listing, SignatoryKind
from signon.services import listing_choices
from signon.services.normalize import clean_text
from signon.services.signatures import SignatureData


@dataclass
class SignEntry(SignStamps):
    """A sign submission SignForm would accept, as SignForm would read it."""

    data: SignatureData
    version: str | None
    started: str | None
    contact_fax: str
    invitation: str = ""
    origin: str = ""

    def trap_field(self) -> str:
        return self.contact_fax

    def started_stamp(self) -> str | None:
        return self.started

    def version_text(self) -> str | None:
        return self.version

    def signature_data(self) -> SignatureData:
        return self.data

    def invitation_token(self) -> str:
        return self.invitation

    def origin_text(self) -> str:
        return self.origin


def read_posted(shape: FormShape) -> SignEntry | None:
    """read_entry() of this request's form, when SignForm would read that form too: a chosen file
    (a logo) or a JSON body is SignForm's. A file input left empty sends a part without a file name,
    which SignForm ignores too."""
    if any(upload.filename for upload in request.files.values()) or not request.form:
        return None
    return read_entry(request.form, shape)


def read_entry(form: MultiDict[str, str], shape: FormShape) -> SignEntry | None:
    """An organization's signature with every field valid, read with plain functions (a tenth of
    what building and validating SignForm costs); None whenever SignForm must decide: a letter
    with its own questions, an individual signing, a CSRF token not yet checked, anything missing
    or invalid. What this accepts, SignForm accepts with the same data (tests/test_sign_entry.py)."""
    if shape.questions or not _csrf_checked():
        return None
    signing_as = form.get("signing_as")
    if signing_as not in (None, "", SignatoryKind.ORGANIZATION, SignatoryKind.INDIVIDUAL):
        return None
    if shape.allows_individuals and signing_as == SignatoryKind.INDIVIDUAL:
        return None
    organization = _required(form, "organization", ORGANIZATION_MAX)
    name = _required(form, "name", NAME_MAX)
    email = _email(form)
    category = form.get("category") if shape.categories else ""
    fax = form.get("contact_fax") or ""
    invitation = form.get("invitation") or ""
    origin = form.get("origin") or ""
    website = normalize_website(form.get("website")) or ""
    text = {key: (form.get(key) or "").strip() for key in _OPTIONAL}
    listing = listing_choices.choice_of(form.get("listing"))
    if (
        organization is None
        or name is None
        or email is None
        or category is None
        or (shape.categories and category not in shape.categories)
        or not form.get("authorized")
        or listing_choices.refusal(listing, individual=False)
        or _too_long(fax, TRAP_MAX)
        or _too_long(invitation, INVITATION_MAX)
        or _too_long(origin, ORIGIN_MAX)
        or (website and (len(website) > WEBSITE_MAX or not is_web_address(website)))
        or any(len(text[key]) > limit for key, limit in _OPTIONAL.items())
    ):
        return None
    data = SignatureData(
        organization=organization,
        name=name,
        email=email,
        title=text["title"],
        city=text["city"],
        region=text["region"],
        country=text["country"],
        website=website,
        category=category,
        note=text["note"],
        keep_informed=_ticked(form, "keep_informed"),
        press_contact=_ticked(form, "press_contact"),
        listing=Listing(listing),
    )
    return SignEntry(data, form.get("version"), form.get("started"), fax, invitation, origin)


_OPTIONAL = {
    "title": TITLE_MAX,
    "city": PLACE_MAX,
    "region": PLACE_MAX,
    "country": PLACE_MAX,
    "note": NOTE_MAX,
}


def _csrf_checked() -> bool:
    """SignForm skips its CSRF check once CSRFProtect has passed the request, and has none when
    CSRF is off; otherwise it must check the token itself."""
    return bool(g.get("csrf_valid")) or not current_app.config.get("WTF_CSRF_ENABLED", True)


def _too_long(value: str, limit: int) -> bool:
    """An optional field's Length check: Optional() ends the checks for a blank value."""
    return bool(value.strip()) and len(value) > limit


def _required(form: MultiDict[str, str], key: str, limit: int) -> str | None:
    """Stripped, not blank once cleaned, and at most `limit` characters once cleaned (AtMost)."""
    value = (form.get(key) or "").strip()
    cleaned = clean_text(value)
    return value if cleaned and len(cleaned) <= limit else None


def _email(form: MultiDict[str, str]) -> str | None:
    value = (form.get("email") or "").strip()
    if not value or len(value) > EMAIL_MAX:
        return None
    try:
        validate_email(
            value,
            check_deliverability=EMAIL_RULE.check_deliverability,
            test_environment=EMAIL_RULE.test_environment,
            allow_smtputf8=EMAIL_RULE.allow_smtputf8,
            allow_empty_local=EMAIL_RULE.allow_empty_local,
        )
    except EmailNotValidError:
        return None
    return value


def _ticked(form: MultiDict[str, str], key: str) -> bool:
    """A BooleanField's reading: absent, empty and "false" are unticked."""
    return form.get(key, "") not in ("", "false")
