"""Logos: stored with a new signature, shown to organizers, removed by a moderator, erased with
the signer's data, and gathered in the order of the public list."""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from signon import audit, transaction
from signon.exports import logo_pack
from signon.exports.formats import ExportFile
from signon.extensions import db
from signon.images import MEDIA_TYPE, SUFFIX, PreparedLogo
from signon.models import (
    Letter,
    LetterStatus,
    Logo,
    Organizer,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
)
from signon.services import embargo, listing

log = logging.getLogger(__name__)

_NAME = re.compile(r"\A[A-Za-z0-9_-]{32}\.png\Z")
_UNLINK_AFTER_COMMIT = "signon.logo_files_to_remove"


def upload_dir() -> Path:
    """SIGNON_UPLOAD_DIR, created on first use, readable by this user only."""
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def file_of(stored_name: str) -> Path | None:
    """The file of a stored logo; None for any name signon could not have made (no paths)."""
    if not _NAME.match(stored_name):
        return None
    return upload_dir() / stored_name


def read(logo: Logo) -> bytes | None:
    """The stored PNG, or None when its file is gone."""
    path = file_of(logo.stored_name)
    try:
        return path.read_bytes() if path else None
    except FileNotFoundError:
        log.warning("logo file %s is missing", logo.stored_name)
        return None


# --- Storing -----------------------------------------------------------------------------------


def store(signature: Signature, prepared: PreparedLogo) -> Logo | None:
    """Keep the logo of a signature just committed: the file first, then its row.

    Called after the signature's own commit, so a signature that failed leaves no file behind, and
    a file that cannot be written (a full disk) costs the logo, never the signature: it is logged
    and the signature stays without one."""
    if _space_used(signature.letter_id) + prepared.size > _space_allowed():
        log.warning(
            "letter %s has no logo space left; kept the signature without it", signature.letter_id
        )
        return None
    name = secrets.token_urlsafe(24) + SUFFIX
    try:
        path = upload_dir() / name
        _write_new(path, prepared.png)
    except OSError:
        log.exception(
            "a logo could not be written to SIGNON_UPLOAD_DIR; kept the signature without it"
        )
        return None
    logo = Logo(
        signature_id=signature.id,
        stored_name=name,
        width=prepared.width,
        height=prepared.height,
        size=prepared.size,
    )
    db.session.add(logo)
    try:
        transaction.commit()
    except SQLAlchemyError:
        transaction.rollback()
        path.unlink(missing_ok=True)
        log.exception("a logo's row could not be saved; kept the signature without it")
        return None
    return logo


def _space_used(letter_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Logo.size), 0))
        .join(Signature, Signature.id == Logo.signature_id)
        .where(Signature.letter_id == letter_id)
    ).scalar_one()


def _space_allowed() -> int:
    return int(float(current_app.config["LOGO_SPACE_PER_LETTER_MB"]) * 1024 * 1024)


def _write_new(path: Path, body: bytes) -> None:
    """Written under a temporary name, then linked to its own: a reader never sees half a file,
    and an existing file is never replaced (FileExistsError)."""
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.link(partial, path)
    finally:
        partial.unlink(missing_ok=True)


# --- Removing ----------------------------------------------------------------------------------


def forget(signature_ids: list[int]) -> int:
    """Delete the logos of these signatures in the caller's transaction (their letters' logo walls
    change with them); their files go once it commits, and a rollback keeps both."""
    if not signature_ids:
        return 0
    rows = db.session.execute(
        sa.select(Logo.stored_name, Signature.letter_id)
        .join(Signature, Signature.id == Logo.signature_id)
        .where(Logo.signature_id.in_(signature_ids))
    ).all()
    if not rows:
        return 0
    names = [name for name, _ in rows]
    deleted = db.session.execute(
        sa.delete(Logo)
        .where(Logo.stored_name.in_(names))
        .execution_options(synchronize_session=False)
    )
    for letter_id in sorted({letter_id for _, letter_id in rows}):
        listing.list_changed(letter_id)
    db.session.info.setdefault(_UNLINK_AFTER_COMMIT, []).extend(names)
    return int(deleted.rowcount)  # type: ignore[attr-defined]


@sa.event.listens_for(Session, "after_commit")
def _remove_forgotten_files(session: Session) -> None:
    for name in session.info.pop(_UNLINK_AFTER_COMMIT, []):
        path = file_of(name)
        try:
            if path is not None:
                path.unlink(missing_ok=True)
        except OSError:
            log.exception("the file of a removed logo could not be deleted: %s", name)


@sa.event.listens_for(Session, "after_soft_rollback")
def _keep_files_of_rolled_back_removals(session: Session, previous: Any) -> None:
    session.info.pop(_UNLINK_AFTER_COMMIT, None)


def remove(letter: Letter, signature_id: int, *, by: Organizer) -> bool:
    """A moderator takes a logo off a signature (which stays as it is): False if it had none, or
    another moderator removed it first."""
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.letter_id != letter.id:
        return False
    logo = logo_of(signature.id)
    if logo is None or not forget([signature.id]):
        transaction.rollback()
        return False
    audit.record(
        "logo.removed",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=signature,
        before={"logo": f"{logo.width}x{logo.height}"},
    )
    transaction.commit()
    return True


# --- Reading -----------------------------------------------------------------------------------


def logo_of(signature_id: int) -> Logo | None:
    return db.session.execute(
        sa.select(Logo).where(Logo.signature_id == signature_id)
    ).scalar_one_or_none()


def by_signature(signature_ids: list[int]) -> dict[int, Logo]:
    """The logos of these signatures (a moderation page's rows), by signature id."""
    if not signature_ids:
        return {}
    rows = db.session.execute(sa.select(Logo).where(Logo.signature_id.in_(signature_ids)))
    return {logo.signature_id: logo for logo in rows.scalars()}


def for_organizers(letter: Letter, stored_name: str) -> Logo | None:
    """A logo of this letter's signatures, whatever their state (organizers moderate them)."""
    return db.session.execute(
        sa.select(Logo)
        .join(Signature, Signature.id == Logo.signature_id)
        .where(Logo.stored_name == stored_name, Signature.letter_id == letter.id)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class ListedLogo:
    """One organization's logo as the list shows the organization."""

    organization: str
    stored_name: str
    width: int
    height: int


def approved_logos(letter: Letter, *, cached: bool = False) -> list[ListedLogo]:
    """The logos of the organizations on the public list, in its order: one per organization, from
    its latest approved signature that has one. Whatever the list leaves out, this leaves out."""
    listed = listing.cached_public_list(letter) if cached else listing.public_list(letter)
    names = [
        entry.name
        for group in listed.groups
        if group.kind == SignatoryKind.ORGANIZATION
        for entry in group.entries
    ]
    rows = db.session.execute(
        sa.select(Signatory.display_name, Logo.stored_name, Logo.width, Logo.height)
        .join(Signature, Signature.signatory_id == Signatory.id)
        .join(Logo, Logo.signature_id == Signature.id)
        .where(
            Signatory.letter_id == letter.id,
            Signatory.kind == SignatoryKind.ORGANIZATION,
            Signature.status == SignatureStatus.APPROVED,
        )
        .order_by(Logo.uploaded_at.desc(), Logo.id.desc())
    ).all()
    latest: dict[str, ListedLogo] = {}
    for name, stored_name, width, height in rows:
        latest.setdefault(name, ListedLogo(name, stored_name, width, height))
    return [latest[name] for name in dict.fromkeys(names) if name in latest]


def shown_publicly(stored_name: str) -> Logo | None:
    """A logo anyone may fetch: on the logo wall of a published letter whose organizers show it."""
    if file_of(stored_name) is None:
        return None
    found = db.session.execute(
        sa.select(Logo, Letter)
        .join(Signature, Signature.id == Logo.signature_id)
        .join(Letter, Letter.id == Signature.letter_id)
        .where(Logo.stored_name == stored_name, Signature.status == SignatureStatus.APPROVED)
    ).first()
    if found is None:
        return None
    logo, letter = found
    if not letter.show_logo_wall or letter.status == LetterStatus.DRAFT:
        return None
    if not embargo.names_public(letter):  # the wall names its organizations
        return None
    return logo if stored_name in _on_wall(letter) else None


def _on_wall(letter: Letter) -> set[str]:
    """The stored names on the letter's logo wall, worked out once per list version for the whole
    site (a wall of 300 logos is 300 requests for them)."""
    made = listing.cached_made(
        letter,
        "logo-wall-names",
        lambda: "\n".join(
            listed.stored_name for listed in approved_logos(letter, cached=True)
        ).encode(),
    )
    return set(made.decode().split("\n")) - {""}


# --- The press kit's logo pack -------------------------------------------------------------------


def _files(letter: Letter) -> list[tuple[str, bytes]]:
    """(organization, PNG) for each approved logo in list order whose file is there."""
    found = []
    for listed in approved_logos(letter):
        path = file_of(listed.stored_name)
        try:
            found.append((listed.organization, path.read_bytes() if path else b""))
        except FileNotFoundError:
            log.warning("logo file %s is missing", listed.stored_name)
    return [(organization, png) for organization, png in found if png]


def pack(letter: Letter) -> ExportFile | None:
    """The ZIP of the logos named by organization, with the logo wall; None without logos."""
    files = _files(letter)
    if not files:
        return None
    wall = logo_pack.draw_wall([png for _, png in files])
    return ExportFile(
        f"{letter.slug}-logos.zip", "application/zip", logo_pack.zip_pack(files, wall)
    )


def wall(letter: Letter) -> ExportFile | None:
    """The logo wall alone, as a PNG; None without logos."""
    files = _files(letter)
    if not files:
        return None
    png = logo_pack.draw_wall([png for _, png in files])
    return ExportFile(f"{letter.slug}-{logo_pack.WALL_NAME}", MEDIA_TYPE, png)
