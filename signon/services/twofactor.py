"""Optional TOTP two-factor sign-in for organizers, with single-use recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from signon import audit, secretbox, transaction
from signon.extensions import db
from signon.models import Organizer, RecoveryCode, utcnow

RECOVERY_CODES = 10


def _hash(code: str) -> str:
    normalized = code.replace("-", "").replace(" ", "").lower()
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"recovery:" + normalized.encode(), hashlib.sha256).hexdigest()


def begin_setup(organizer: Organizer) -> None:
    """A fresh secret, stored encrypted but not in force until a code from the app confirms it."""
    if not organizer.totp_enabled:
        organizer.totp_secret = secretbox.encrypt(pyotp.random_base32())
        transaction.commit()


def pending_secret(organizer: Organizer) -> str | None:
    """The secret being set up, to show once more; None when none is, or it can no longer be read
    (then setting up starts again)."""
    if organizer.totp_enabled or not organizer.totp_secret:
        return None
    return _readable_secret(organizer)


def key_lost(organizer: Organizer) -> bool:
    """Two-step sign-in is on but no configured key opens its secret, so codes from the app cannot
    be checked: recovery codes, or a reset by an admin, are the way back in."""
    return organizer.totp_enabled and _readable_secret(organizer) is None


def _readable_secret(organizer: Organizer) -> str | None:
    try:
        return secretbox.decrypt(organizer.totp_secret)
    except secretbox.UnreadableSecret:
        return None


def provisioning_uri(organizer: Organizer, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=organizer.email, issuer_name=current_app.config["SITE_NAME"]
    )


def qr_svg_data_uri(organizer: Organizer, secret: str) -> str:
    return segno.make(provisioning_uri(organizer, secret), error="m").svg_data_uri(
        scale=4, border=2
    )


def _matching_step(organizer: Organizer, code: str) -> int | None:
    """The time step (current, previous or next, for clock drift) whose code this is."""
    digits = code.replace(" ", "")
    if not (digits.isascii() and digits.isdigit() and len(digits) == 6):
        return None
    secret = _readable_secret(organizer) if organizer.totp_secret else None
    if secret is None:
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time())
    for offset in (0, -1, 1):
        moment = now + offset * totp.interval
        if hmac.compare_digest(totp.at(moment), digits):
            return int(totp.timecode(datetime.fromtimestamp(moment, UTC)))
    return None


def _code_ok(organizer: Organizer, code: str) -> bool:
    """A valid code, used only once: a code of an earlier or the same step is refused."""
    step = _matching_step(organizer, code)
    if step is None or step <= organizer.totp_last_step:
        return False
    # Conditional on the step stored, not the one read: of two sign-ins racing one code, one wins.
    moved = db.session.execute(
        sa.update(Organizer)
        .where(Organizer.id == organizer.id, Organizer.totp_last_step < step)
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return False
    set_committed_value(organizer, "totp_last_step", step)
    return True


def confirm_setup(organizer: Organizer, code: str) -> list[str] | None:
    """Turn two-factor on once the app shows the right code; returns the recovery codes, once."""
    if organizer.totp_enabled or not _code_ok(organizer, code):
        return None
    organizer.totp_enabled = True
    codes = _new_recovery_codes(organizer)
    audit.record(
        "organizer.2fa_enabled",
        letter_id=None,
        actor_kind="organizer",
        actor_id=organizer.id,
        subject=organizer,
    )
    transaction.commit()
    return codes


def _new_recovery_codes(organizer: Organizer) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.organizer_id == organizer.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(
        RecoveryCode(organizer_id=organizer.id, code_hash=_hash(code)) for code in codes
    )
    return codes


def verify(organizer: Organizer, code: str) -> bool:
    """A current code from the app, or an unused recovery code (which is then spent)."""
    if not organizer.totp_enabled:
        return False
    if _code_ok(organizer, code):
        transaction.commit()
        return True
    recovery = db.session.execute(
        sa.select(RecoveryCode).where(
            RecoveryCode.organizer_id == organizer.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
    ).scalar_one_or_none()
    if recovery is None:
        return False
    recovery.used_at = utcnow()
    transaction.commit()
    return True


def disable(organizer: Organizer, code: str) -> bool:
    if not verify(organizer, code):
        return False
    organizer.totp_enabled = False
    organizer.totp_secret = ""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.organizer_id == organizer.id))
    audit.record(
        "organizer.2fa_disabled",
        letter_id=None,
        actor_kind="organizer",
        actor_id=organizer.id,
        subject=organizer,
    )
    transaction.commit()
    return True


def remaining_recovery_codes(organizer: Organizer) -> int:
    return db.session.execute(
        sa.select(sa.func.count(RecoveryCode.id)).where(
            RecoveryCode.organizer_id == organizer.id, RecoveryCode.used_at.is_(None)
        )
    ).scalar_one()


def reset(organizer: Organizer, *, by: Organizer | None) -> bool:
    """Turn two-step sign-in off for someone who cannot use it (a lost phone, or a lost key), by an
    admin or from the command line; False when it was off already."""
    moved = db.session.execute(
        sa.update(Organizer)
        .where(
            Organizer.id == organizer.id,
            sa.or_(Organizer.totp_enabled.is_(True), Organizer.totp_secret != ""),
        )
        .values(totp_enabled=False, totp_secret="")
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return False
    set_committed_value(organizer, "totp_enabled", False)
    set_committed_value(organizer, "totp_secret", "")
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.organizer_id == organizer.id))
    audit.record(
        "organizer.2fa_reset",
        letter_id=None,
        actor_kind="organizer" if by else "system",
        actor_id=by.id if by else None,
        subject=organizer,
    )
    transaction.commit()
    return True


@dataclass
class ReencryptReport:
    reencrypted: int = 0
    unreadable: list[str] = field(default_factory=list)  # emails whose secret no key opens


def reencrypt_all() -> ReencryptReport:
    """Every stored secret as a fresh token under the current key, so old keys can be retired."""
    report = ReencryptReport()
    rows = db.session.execute(
        sa.select(Organizer.id, Organizer.email, Organizer.totp_secret)
        .where(Organizer.totp_secret != "")
        .order_by(Organizer.email)
    ).all()
    for organizer_id, email, token in rows:
        try:
            fresh = secretbox.reencrypt(token)
        except secretbox.UnreadableSecret:
            report.unreadable.append(email)
            continue
        # Conditional on the token read: a secret set up meanwhile is already under the new key.
        moved = db.session.execute(
            sa.update(Organizer)
            .where(Organizer.id == organizer_id, Organizer.totp_secret == token)
            .values(totp_secret=fresh)
            .execution_options(synchronize_session=False)
        )
        report.reencrypted += getattr(moved, "rowcount", 0)
    transaction.commit()
    return report
