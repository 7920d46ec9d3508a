"""The public signatory list and its counts: the one place every public surface reads them from."""

from __future__ import annotations

import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import sqlalchemy as sa
from pyuca import Collator

from signon.extensions import db
from signon.models import Letter, Signatory, SignatoryKind, Signature, SignatureStatus, utcnow
from signon.services.normalize import without_leading_article


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    place: str
    category: str
    kind: str


INDIVIDUALS_HEADING = "Individuals"


@dataclass
class Group:
    category: str
    entries: list[Entry] = field(default_factory=list)
    kind: str = SignatoryKind.ORGANIZATION


@dataclass
class SignatoryList:
    groups: list[Group]
    organizations: int
    individuals: int

    @property
    def total(self) -> int:
        return self.organizations + self.individuals

    @property
    def count_line(self) -> str:
        return count_line(self.organizations, self.individuals)


@cache
def _collator() -> Collator:
    return Collator()


@lru_cache(maxsize=100_000)
def _collation_key(name: str) -> bytes:
    """pyuca's weights (each below 2**16) packed big-endian: the bytes compare as the tuple of
    weights does, in a quarter of its memory, and faster."""
    weights = _collator().sort_key(without_leading_article(name).casefold())
    return struct.pack(f">{len(weights)}H", *weights)


def sort_key(name: str) -> tuple[bytes, str]:
    """Alphabetical for people, not code points: accents and case sort as readers expect,
    and 'The Sentencing Project' files under S."""
    return _collation_key(name), name


def place_of(signatory: Any) -> str:
    return _place(signatory.city, signatory.region or signatory.country)


def _place(city: str | None, area: str | None) -> str:
    return f"{city}, {area}" if city and area else city or area or ""


def plural(count: int, singular: str, plural_form: str) -> str:
    return f"{count:,} {singular if count == 1 else plural_form}"


def count_line(organizations: int, individuals: int = 0) -> str:
    """'53 organizations and 12 individuals'; individuals are named only when there are some."""
    line = plural(organizations, "organization", "organizations")
    if individuals:
        line += " and " + plural(individuals, "individual", "individuals")
    return line


def listed_signatories(letter: Letter) -> list[Signatory]:
    """Signatories with at least one approved signature behind them."""
    approved = sa.exists().where(
        Signature.signatory_id == Signatory.id, Signature.status == SignatureStatus.APPROVED
    )
    return list(
        db.session.execute(
            db.select(Signatory).where(Signatory.letter_id == letter.id, approved)
        ).scalars()
    )


def _listed_rows(letter: Letter) -> list[Any]:
    """The six columns the list shows, as plain rows (no ORM work per row)."""
    approved = sa.exists().where(
        Signature.signatory_id == Signatory.id, Signature.status == SignatureStatus.APPROVED
    )
    query = sa.select(
        Signatory.display_name,
        Signatory.city,
        Signatory.region,
        Signatory.country,
        Signatory.category,
        Signatory.kind,
    ).where(Signatory.letter_id == letter.id, approved)
    return list(db.session.connection().execute(query).all())


def public_list(letter: Letter, *, grouped: bool = True) -> SignatoryList:
    """The list as it stands now, read from the database (exports always use this)."""
    entries = [
        Entry(name, _place(city, region or country), category, kind)
        for name, city, region, country, category, kind in _listed_rows(letter)
    ]
    entries.sort(key=lambda e: sort_key(e.name))
    organizations = [e for e in entries if e.kind == SignatoryKind.ORGANIZATION]
    individuals = [e for e in entries if e.kind == SignatoryKind.INDIVIDUAL]
    groups = group_entries(letter, organizations) if grouped else [Group("", organizations)]
    if individuals:
        groups = [g for g in groups if g.entries]
        groups.append(Group(INDIVIDUALS_HEADING, individuals, SignatoryKind.INDIVIDUAL))
    return SignatoryList(
        groups=[g for g in groups if g.entries],
        organizations=len(organizations),
        individuals=len(individuals),
    )


def group_entries(letter: Letter, entries: list[Entry]) -> list[Group]:
    """Groups in the organizer's category order; anything uncategorized comes last."""
    order = list(dict.fromkeys(letter.categories or []))
    groups = {name: Group(name) for name in order}
    for entry in entries:
        category = entry.category if entry.category in groups else ""
        groups.setdefault(category, Group(category)).entries.append(entry)
    ordered = [groups[name] for name in order] + ([groups[""]] if "" in groups else [])
    return [g for g in ordered if g.entries]


# The public page reads the list through a small per-process cache, keyed by the letter's
# list_version, which every change to the list bumps in its own transaction; the time limit is a
# safety net, not the mechanism.
_CACHE_SECONDS = 300
_CACHE_SIZE = 64
_cache: OrderedDict[tuple[Any, ...], tuple[float, SignatoryList]] = OrderedDict()
_rendered: OrderedDict[tuple[Any, ...], tuple[float, str]] = OrderedDict()
_cache_lock = threading.Lock()


def _cache_key(letter: Letter, *extra: Any) -> tuple[Any, ...]:
    return (
        letter.id,
        letter.created_at,
        letter.list_version,
        tuple(letter.categories or ()),
        *extra,
    )


def cached_rendering(letter: Letter, variant: Any, render: Callable[[SignatoryList], str]) -> str:
    """The list rendered once per list version (and variant), like the list itself."""
    key = _cache_key(letter, "rendered", variant)
    now = time.monotonic()
    with _cache_lock:
        hit = _rendered.get(key)
        if hit and now - hit[0] < _CACHE_SECONDS:
            _rendered.move_to_end(key)
            return hit[1]
    fresh = render(cached_public_list(letter))
    with _cache_lock:
        _rendered[key] = (now, fresh)
        while len(_rendered) > _CACHE_SIZE:
            _rendered.popitem(last=False)
    return fresh


def cached_public_list(letter: Letter) -> SignatoryList:
    key = _cache_key(letter)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < _CACHE_SECONDS:
            _cache.move_to_end(key)
            return hit[1]
    fresh = public_list(letter)
    with _cache_lock:
        _cache[key] = (now, fresh)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return fresh


def list_changed(letter_id: int) -> None:
    """Mark the letter's public list as changed, in the caller's transaction."""
    db.session.execute(
        sa.update(Letter)
        .where(Letter.id == letter_id)
        .values(list_version=Letter.list_version + 1, list_changed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
