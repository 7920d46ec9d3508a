"""What the moderator should look at: likely duplicate signatories and warning signals per row,
computed from the database by the pure rules in services/duplicates.py."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext, lazy_gettext

from signon.extensions import db
from signon.models import Letter, Signatory, Signature
from signon.services import moderation, signatories
from signon.services.disposable import is_disposable
from signon.services.domains import email_domain
from signon.services.duplicates import (
    Signal,
    SignatoryFacts,
    SignatureFacts,
    likely_duplicates,
    signals,
)

# The warnings about an organization's name are stored in English as the signature arrives
# (services/suspicion.py); each is shown in the page's language by its opening words.
_NAME_WARNINGS = {
    "Contains invisible characters: ": lazy_gettext("Contains invisible characters: %(which)s"),
    "Mixes scripts within a word: ": lazy_gettext("Mixes scripts within a word: %(which)s"),
    "Imitates Latin letters: ": lazy_gettext("Imitates Latin letters: %(which)s"),
}


@dataclass
class FlaggedGroup:
    signatories: list[Signatory]
    reasons: tuple[str, ...]


def groups(letter: Letter) -> list[FlaggedGroup]:
    """Groups of listed-or-pending signatories that are probably the same organization."""
    listed = {s.id: s for s in signatories.active_signatories(letter)}
    if len(listed) < 2:
        return []
    typed: dict[int, set[str]] = defaultdict(set)
    domains: dict[int, set[str]] = defaultdict(set)
    rows = db.session.execute(
        sa.select(Signature.signatory_id, Signature.organization, Signature.email_normalized).where(
            Signature.signatory_id.in_(listed)
        )
    ).all()
    for signatory_id, organization, email in rows:
        if signatory_id is None:
            continue
        typed[signatory_id].add(organization)
        domains[signatory_id].add(email_domain(email))
    facts = [
        SignatoryFacts(
            id=s.id,
            display_name=s.display_name,
            typed_names=tuple(sorted(typed[s.id])),
            website=s.website,
            email_domains=tuple(sorted(domains[s.id])),
        )
        for s in listed.values()
    ]
    return [
        FlaggedGroup([listed[i] for i in group.ids], group.reasons)
        for group in likely_duplicates(facts)
    ]


def row_signals(row: moderation.QueueRow, current_version_number: int) -> list[Signal]:
    signature = row.signature
    found = signals(
        SignatureFacts(
            email=signature.email_normalized,
            organization=signature.organization,
            website=signature.website,
            version_number=row.version_number,
            current_version_number=current_version_number,
            organizations_for_same_email=row.organizations_for_email,
        )
    )
    domain = email_domain(signature.email_normalized)
    if is_disposable(domain):
        message = gettext("Disposable email address (%(domain)s)", domain=domain)
        found.append(Signal("disposable_email", message))
    found += [
        Signal("organization_name", _name_warning(stored))
        for stored in signature.name_warnings.splitlines()
        if stored
    ]
    return found


def _name_warning(stored: str) -> str:
    for opening, words in _NAME_WARNINGS.items():
        if stored.startswith(opening):
            return str(words) % {"which": stored[len(opening) :]}
    return stored
