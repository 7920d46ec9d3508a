"""Where signatures come from: co-hosts' share links, ref names, and the counts by source.

Nothing follows visitors: the letter page turns its own query string into a hidden field of the
sign form, and the signature records what that field says. No cookie, nothing third-party.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from itsdangerous import BadSignature, URLSafeSerializer

from signon.extensions import db
from signon.links import external_url
from signon.models import Letter, LetterHost, Organizer, Signature, SignatureStatus, SourceKind
from signon.services.history import superseded

# What a ref or utm_source name may be once lower-cased; anything else is dropped, not repaired.
REF_RULE = re.compile(r"[a-z0-9._-]{1,40}")
# What a share code may look like (new_share_code makes 12 of these characters).
CODE_RULE = re.compile(r"[A-Za-z0-9_-]{8,16}")
_HOST, _REF = "host.", "ref."


@dataclass(frozen=True)
class Origin:
    """Where one signature came from, as the signature stores it."""

    kind: str = SourceKind.DIRECT
    host_id: int | None = None
    ref: str = ""


DIRECT = Origin()


def clean_ref(value: str | None) -> str:
    """A ref or utm_source name, lower-cased; '' unless it is a short plain token."""
    text = (value or "").strip().lower()
    return text if REF_RULE.fullmatch(text) else ""


def share_link(letter: Letter, host: LetterHost) -> str:
    """The letter's public page with this host's code, for them to pass around."""
    return external_url("public.letter", slug=letter.slug, via=host.share_code)


def host_for_code(letter: Letter, code: str | None) -> LetterHost | None:
    """The letter's host whose share code this is; None for any other value."""
    if not code or not CODE_RULE.fullmatch(code):
        return None
    return db.session.execute(
        sa.select(LetterHost).where(
            LetterHost.share_code == code, LetterHost.letter_id == letter.id
        )
    ).scalar_one_or_none()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="signon.share-link")


def origin_field(letter: Letter, args: Mapping[str, str]) -> str:
    """The sign form's hidden `origin` for a visit with these query parameters: a known share
    code, signed for this letter so the POST needs no lookup (or that signed value itself, carried
    by a language link); else a clean ref or utm_source name; else '' (direct). An unknown code
    or a forged value counts as no code."""
    host = host_for_code(letter, args.get("via"))
    if host is not None:
        return _HOST + _serializer().dumps([letter.id, host.organizer_id])
    carried = args.get("origin", "")  # a language link carries the field it was given
    if is_share_origin(carried) and posted_origin(letter.id, carried).kind == SourceKind.COHOST:
        return carried
    ref = clean_ref(args.get("ref")) or clean_ref(args.get("utm_source"))
    return _REF + ref if ref else ""


def is_share_origin(text: str | None) -> bool:
    """Whether an `origin` field names a co-host's share link (signed, so safe to carry along)."""
    return bool(text) and str(text).startswith(_HOST)


def posted_origin(letter_id: int, text: str) -> Origin:
    """The origin a posted hidden field says, checked without the database: a forged, foreign
    or malformed value is direct."""
    if text.startswith(_REF):
        ref = clean_ref(text[len(_REF) :])
        return Origin(SourceKind.REF, ref=ref) if ref else DIRECT
    if text.startswith(_HOST):
        try:
            signed_for, host_id = _serializer().loads(text[len(_HOST) :])
        except (BadSignature, TypeError, ValueError):
            return DIRECT
        if signed_for == letter_id and isinstance(host_id, int):
            return Origin(SourceKind.COHOST, host_id=host_id)
    return DIRECT


# --- The counts on the dashboard ---------------------------------------------------------------

KIND_LABELS: dict[str, LazyString] = {
    SourceKind.DIRECT: lazy_gettext("Direct (no link code)"),
    SourceKind.COHOST: lazy_gettext("A co-host's share link"),
    SourceKind.INVITATION: lazy_gettext("A partner's invitation"),
    SourceKind.REF: lazy_gettext("A ref or utm_source name"),
    SourceKind.ORGANIZER: lazy_gettext("Added by an organizer"),
    SourceKind.EMBED: lazy_gettext("The sign form on another site"),
}
MAX_REFS = 10
CONFIRMED = (SignatureStatus.AWAITING_REVIEW, SignatureStatus.APPROVED)


@dataclass
class SourceCount:
    """Signatures from one source: every one but suspected ones, the confirmed, the approved."""

    label: str
    signed: int = 0
    confirmed: int = 0
    approved: int = 0

    def add(self, signed: int, confirmed: int, approved: int) -> None:
        self.signed += signed
        self.confirmed += confirmed
        self.approved += approved


@dataclass
class SourceCounts:
    by_kind: list[SourceCount] = field(default_factory=list)
    by_host: list[SourceCount] = field(default_factory=list)
    by_ref: list[SourceCount] = field(default_factory=list)


def source_counts(letter: Letter) -> SourceCounts:
    """Signatures by kind of source, by co-host and by ref name (the ten biggest), from one
    aggregate query. A signer who withdrew and signed again counts once; suspected ones not."""
    status = Signature.status
    ref = sa.case((Signature.source_kind == SourceKind.REF, Signature.source), else_="")
    rows = db.session.execute(
        sa.select(
            Signature.source_kind,
            Organizer.id,
            Organizer.name,
            Organizer.email,
            ref,
            sa.func.count(),
            sa.func.count(sa.case((status.in_(CONFIRMED), 1))),
            sa.func.count(sa.case((status == SignatureStatus.APPROVED, 1))),
        )
        .outerjoin(Organizer, Organizer.id == Signature.source_host_id)
        .where(
            Signature.letter_id == letter.id,
            status != SignatureStatus.SUSPECTED,
            ~superseded(),
        )
        .group_by(Signature.source_kind, Organizer.id, Organizer.name, Organizer.email, ref)
    ).all()
    kinds = {kind: SourceCount(str(label)) for kind, label in KIND_LABELS.items()}
    hosts: dict[int, SourceCount] = {}
    refs: dict[str, SourceCount] = {}
    for kind, host_id, name, email, ref_name, *numbers in rows:
        kinds.setdefault(kind, SourceCount(kind)).add(*numbers)
        if kind == SourceKind.COHOST and host_id is not None:
            hosts.setdefault(host_id, SourceCount(name or email)).add(*numbers)
        if kind == SourceKind.REF:
            refs.setdefault(ref_name, SourceCount(ref_name)).add(*numbers)
    return SourceCounts(
        by_kind=list(kinds.values()),
        by_host=_ranked(hosts.values()),
        by_ref=_ranked(refs.values())[:MAX_REFS],
    )


def _ranked(counts: Iterable[SourceCount]) -> list[SourceCount]:
    return sorted(counts, key=lambda c: (-c.signed, c.label))
