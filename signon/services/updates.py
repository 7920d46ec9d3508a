"""Updates to the signers who asked to be kept informed, and their way out (unsubscribe)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from signon import audit, tokens, transaction
from signon.extensions import db
from signon.links import external_url
from signon.models import Letter, LetterUpdate, Organizer, Signature, SignatureStatus, TokenPurpose
from signon.services import history, letter_emails

UNSUBSCRIBE_VALID = timedelta(days=730)


def informed_signers(letter: Letter) -> list[Signature]:
    """Signers who asked to be kept informed and still stand behind the letter."""
    return list(
        db.session.execute(
            sa.select(Signature)
            .where(
                Signature.letter_id == letter.id,
                Signature.keep_informed.is_(True),
                Signature.status.in_([SignatureStatus.APPROVED, SignatureStatus.AWAITING_REVIEW]),
            )
            .order_by(Signature.id)
        ).scalars()
    )


def send_update(
    letter: Letter, subject: str, message: str, *, by: Organizer, public: bool = True
) -> LetterUpdate:
    """An update ('the letter was delivered', 'the agency answered'): emailed through the outbox to
    the signers who asked, and kept (and shown on the public page unless `public` is off)."""
    recipients = informed_signers(letter)
    update = LetterUpdate(
        letter_id=letter.id,
        subject=" ".join(subject.split())[:200],
        body_markdown=message.replace("\r\n", "\n").strip(),
        public=public,
        recipients=len(recipients),
        created_by_id=by.id,
    )
    db.session.add(update)
    db.session.flush()
    for signature in recipients:
        raw = tokens.issue(TokenPurpose.UNSUBSCRIBE, UNSUBSCRIBE_VALID, signature=signature)
        letter_emails.queue_to_signer(
            signature,
            "letter_update",
            subject=letter_emails.subject_for(
                "letter_update", letter_emails.title_for(signature), update.subject
            ),
            message=update.body_markdown,
            letter_url=letter_emails.letter_url_for(signature),
            unsubscribe_url=external_url("public.unsubscribe", token=raw),
        )
    audit.record(
        "letter.update_sent",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=update,
        after={"subject": update.subject, "recipients": len(recipients), "public": public},
    )
    transaction.commit()
    return update


def updates(letter: Letter, *, public_only: bool = False) -> list[LetterUpdate]:
    """The letter's updates, newest first."""
    query = sa.select(LetterUpdate).where(LetterUpdate.letter_id == letter.id)
    if public_only:
        query = query.where(LetterUpdate.public.is_(True))
    return list(
        db.session.execute(
            query.order_by(LetterUpdate.created_at.desc(), LetterUpdate.id.desc())
        ).scalars()
    )


def unpublish_update(letter: Letter, update_id: int, *, by: Organizer) -> bool:
    """Take an update off the public page (and out of the press release); the emails stay sent."""
    update = db.session.get(LetterUpdate, update_id)
    if update is None or update.letter_id != letter.id or not update.public:
        return False
    update.public = False
    audit.record(
        "letter.update_unpublished",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=update,
        before={"public": True, "subject": update.subject},
        after={"public": False},
    )
    transaction.commit()
    return True


def unsubscribe(raw: str) -> Signature | None:
    token = tokens.find(raw, TokenPurpose.UNSUBSCRIBE)
    if token is None or token.signature is None or tokens.is_expired(token):
        return None
    signature = token.signature
    # Their other signatures for the organization on the letter too: one who withdrew and signed
    # again may still hold the older email's link.
    informed = [s for s in history.same_signer(signature) if s.keep_informed]
    for each in informed:
        each.keep_informed = False
        audit.record(
            "signature.unsubscribed",
            letter_id=each.letter_id,
            actor_kind="signer",
            subject=each,
        )
    if informed:
        transaction.commit()
    return signature


def unsubscribe_token(raw: str) -> Signature | None:
    token = tokens.find(raw, TokenPurpose.UNSUBSCRIBE)
    return token.signature if token is not None and not tokens.is_expired(token) else None
