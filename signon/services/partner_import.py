"""Saving exactly the partner import an organizer previewed, all or nothing; earlier letters as rows."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from signon import audit, transaction
from signon.extensions import db
from signon.models import (
    Letter,
    Organizer,
    Partner,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
)
from signon.services import partners
from signon.services.normalize import normalize_email, organization_key
from signon.services.partner_plan import UPDATABLE, Plan, Values
from signon.services.partner_sheet import PartnerImportError, one_newline

# --- the preview travels with a seal ----------------------------------------------------------


def seal(letter: Letter, organizer_id: int | None, payload: str, digest: str) -> str:
    """Binds what the organizer saw (the rows and the plan made of them) to this letter and this
    organizer; a confirmation whose seal does not match was tampered with or is stale."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = "\0".join(
        ["partners-import", str(letter.id), str(organizer_id or ""), digest, one_newline(payload)]
    ).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sealed(letter: Letter, organizer_id: int | None, payload: str, digest: str, mark: str) -> bool:
    return hmac.compare_digest(seal(letter, organizer_id, payload, digest), mark)


# --- saving -----------------------------------------------------------------------------------


def apply(letter: Letter, planned: Plan, *, by: Organizer | None) -> tuple[int, int]:
    """Save the plan in one transaction, then tie the new partners to signatures already on the
    letter; returns (added, updated). On any error nothing is saved."""
    if planned.empty:
        raise PartnerImportError(gettext("No row adds or changes a partner; nothing was saved."))
    try:
        for row in planned.add:
            db.session.add(_new_partner(letter, row.values))
        for row in planned.update:
            partner = db.session.get(Partner, row.partner_id)
            if partner is None or partner.letter_id != letter.id:
                raise PartnerImportError(
                    gettext("A partner was removed meanwhile; check the file again.")
                )
            _update(partner, row.values)
        db.session.flush()
        matched = partners.match_existing(letter)
    except IntegrityError as error:
        transaction.rollback()
        raise PartnerImportError(
            gettext(
                "The partner list changed while saving (someone else added one of these "
                "organizations); nothing was saved. Check the file again."
            )
        ) from error
    except PartnerImportError:
        transaction.rollback()
        raise
    audit.record(
        "partners.imported",
        letter_id=letter.id,
        actor_kind="organizer" if by else "system",
        actor_id=by.id if by else None,
        subject=letter,
        after={
            "source": planned.source[:200],
            "added": len(planned.add),
            "updated": len(planned.update),
            "skipped": len(planned.skipped),
            "matched": matched,
        },
    )
    transaction.commit()
    return len(planned.add), len(planned.update)


def _new_partner(letter: Letter, values: Values) -> Partner:
    partner = Partner(letter_id=letter.id)
    _update(partner, values)
    return partner


def _update(partner: Partner, values: Values) -> None:
    for name in UPDATABLE:
        value = getattr(values, name)
        if value not in ("", None):
            setattr(partner, name, value)
    partner.organization_key = organization_key(partner.organization)
    partner.email_normalized = normalize_email(partner.email) if partner.email else ""


# --- from an earlier letter -------------------------------------------------------------------


def letter_as_rows(source: Letter) -> str:
    """The organizations listed on an earlier letter, one row each with the contact who signed
    first for it, as CSV text the import reads like any file."""
    found = db.session.execute(
        sa.select(Signatory, Signature)
        .join(Signature, Signature.signatory_id == Signatory.id)
        .where(
            Signatory.letter_id == source.id,
            Signatory.kind == SignatoryKind.ORGANIZATION,
            Signatory.merged_into_id.is_(None),
            Signature.status == SignatureStatus.APPROVED,
        )
        .order_by(Signatory.id, Signature.decided_at, Signature.id)
    ).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Organization", "Contact", "Email", "Category"])
    done: set[int] = set()
    for signatory, signature in found:
        if signatory.id in done:
            continue
        done.add(signatory.id)
        writer.writerow(
            [signatory.display_name, signature.name, signature.email, signatory.category]
        )
    return buffer.getvalue()


def preview_lines(planned: Plan) -> list[str]:
    """The preview as plain text, for the command line."""
    lines = [
        f"From {planned.source}: {len(planned.add)} to add, {len(planned.update)} to update, "
        f"{len(planned.skipped)} skipped."
    ]
    lines += [f"  add    row {row.number}: {_described(row.values)}" for row in planned.add]
    for row in planned.update:
        changed = "; ".join(f"{name} “{was}” → “{becomes}”" for name, was, becomes in row.changes)
        lines.append(f"  update row {row.number}: {row.values.organization}: {changed}")
    lines += [
        f"  note   row {row.number}: {warning}"
        for row in planned.add + planned.update
        for warning in row.warnings
    ]
    lines += [
        f"  skip   row {row.number}{f' ({row.organization})' if row.organization else ''}: {row.reason}"
        for row in planned.skipped
    ]
    return lines


def _described(values: Values) -> str:
    contact = ", ".join(part for part in (values.contact_name, values.email) if part)
    return f"{values.organization}{f' ({contact})' if contact else ''}"
