"""The public signatory list and its counts: the one place every public surface reads them from."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import icu
import sqlalchemy as sa
from flask_babel import gettext, ngettext
from pyuca import Collator

from signon import cache
from signon.exports.model import INDIVIDUALS_HEADING, Entry, Group
from signon.extensions import db
from signon.i18n import number as format_decimal
from signon.models import (
    Letter,
    Listing,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
    utcnow,
)
from signon.services.normalize import without_leading_article


@dataclass
class ListCounts:
    """Everyone counted: `not_named` of them (`individuals_not_named` of the individuals) asked
    to be counted without their name shown."""

    organizations: int
    individuals: int
    not_named: int = 0
    individuals_not_named: int = 0

    @property
    def total(self) -> int:
        return self.organizations + self.individuals

    @property
    def organizations_not_named(self) -> int:
        return self.not_named - self.individuals_not_named

    @property
    def count_line(self) -> str:
        return count_line(
            self.organizations,
            self.individuals,
            self.organizations_not_named,
            self.individuals_not_named,
        )

    @property
    def count_subject(self) -> str:
        """The count line as the subject of a sentence: a trailing 'not named' clause is closed
        with a comma ('53 organizations, 4 of them not named, have signed')."""
        last_hidden = (
            self.individuals_not_named if self.individuals else self.organizations_not_named
        )
        return self.count_line + ("," if last_hidden else "")


@dataclass
class SignatoryList(ListCounts):
    groups: list[Group] = field(default_factory=list)


@lru_cache(maxsize=1)
def _collator() -> Collator:
    return Collator()


@lru_cache(maxsize=100_000)
def _collation_key(name: str) -> bytes:
    """pyuca's weights (each below 2**16) packed big-endian: the bytes compare as the tuple of
    weights does, in a quarter of its memory, and faster."""
    weights = _collator().sort_key(without_leading_article(name).casefold())
    return struct.pack(f">{len(weights)}H", *weights)


def sort_key(name: str, language: str = "en") -> tuple[bytes, str]:
    """Alphabetical for people, not code points: accents and case sort as readers expect,
    and 'The Sentencing Project' files under S. English (and the public page) sorts by the
    root collation; another language by its own (Spanish: "ñ" after "n", accents ignored at
    first, so "Ángeles" files with the A's). Only the English article is set aside: an
    organization called "La Raza" is known by the whole name, and Spanish lists file it under L."""
    if language == "en":
        return _collation_key(name), name
    return _language_key(name, language), name


@lru_cache(maxsize=16)
def _icu_collator(language: str) -> icu.Collator:
    return icu.Collator.createInstance(icu.Locale(language))


@lru_cache(maxsize=100_000)
def _language_key(name: str, language: str) -> bytes:
    key: bytes = _icu_collator(language).getSortKey(without_leading_article(name))
    return key


def place_of(signatory: Any) -> str:
    return _place(signatory.city, signatory.region or signatory.country)


def _place(city: str | None, area: str | None) -> str:
    return f"{city}, {area}" if city and area else city or area or ""


def plural(count: int, singular: str, plural_form: str) -> str:
    return f"{count:,} {singular if count == 1 else plural_form}"


def _organizations(count: int) -> str:
    return ngettext(
        "%(count)s organization", "%(count)s organizations", count, count=format_decimal(count)
    )


def _individuals(count: int) -> str:
    return ngettext(
        "%(count)s individual", "%(count)s individuals", count, count=format_decimal(count)
    )


def count_line(
    organizations: int,
    individuals: int = 0,
    organizations_not_named: int = 0,
    individuals_not_named: int = 0,
) -> str:
    """'53 organizations and 12 individuals'; individuals are named only when there are some.
    Those counted without their name shown are said: '53 organizations, 4 of them not named, and
    12 individuals, 1 of them not named'. In the page's language (signon.i18n.english() for
    documents)."""
    line = _organizations(organizations) + _not_named(organizations, organizations_not_named)
    if not individuals:
        return line
    others = _individuals(individuals) + _not_named(individuals, individuals_not_named)
    if organizations_not_named:
        return gettext(
            "%(organizations)s, and %(individuals)s", organizations=line, individuals=others
        )
    return gettext("%(organizations)s and %(individuals)s", organizations=line, individuals=others)


def _not_named(count: int, hidden: int) -> str:
    """', 4 of them not named'; ', not named' for the only one; ', none of them named' for all."""
    if not hidden:
        return ""
    if hidden == count == 1:
        return gettext(", not named")
    if hidden >= count:
        return gettext(", none of them named")
    return gettext(", %(count)s of them not named", count=format_decimal(hidden))


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


def line_hidden(signatory_id: int) -> bool:
    """Whether the line is left off the public list: an approved signature behind it asked to be
    counted only."""
    hidden = sa.select(Signature.id).where(
        Signature.signatory_id == signatory_id,
        Signature.status == SignatureStatus.APPROVED,
        Signature.listing == Listing.COUNT_ONLY,
    )
    return db.session.execute(sa.select(hidden.exists())).scalar_one()


def _listed_rows(letter: Letter) -> list[Any]:
    """The six columns the list shows and whether the line is hidden, as plain rows (no ORM work
    per row). A line is hidden when any approved signature behind it asked to be counted only:
    the most private choice among them wins."""
    approved = sa.exists().where(
        Signature.signatory_id == Signatory.id, Signature.status == SignatureStatus.APPROVED
    )
    hidden = sa.exists().where(
        Signature.signatory_id == Signatory.id,
        Signature.status == SignatureStatus.APPROVED,
        Signature.listing == Listing.COUNT_ONLY,
    )
    query = sa.select(
        Signatory.display_name,
        Signatory.city,
        Signatory.region,
        Signatory.country,
        Signatory.category,
        Signatory.kind,
        hidden.label("hidden"),
    ).where(Signatory.letter_id == letter.id, approved)
    return list(db.session.connection().execute(query).all())


def public_list(
    letter: Letter, *, grouped: bool = True, with_hidden: bool = False, language: str = "en"
) -> SignatoryList:
    """The list as it stands now, read from the database (exports always use this), in the
    order of `language`. Lines whose signers asked not to be named are counted, and left out
    unless `with_hidden` (the recipient's copy, when the organizer asks for it; those entries
    are marked hidden)."""
    entries = [
        Entry(name, _place(city, region or country), category, kind, bool(hidden))
        for name, city, region, country, category, kind, hidden in _listed_rows(letter)
    ]
    entries.sort(key=lambda e: sort_key(e.name, language))
    organizations = [e for e in entries if e.kind == SignatoryKind.ORGANIZATION]
    individuals = [e for e in entries if e.kind == SignatoryKind.INDIVIDUAL]
    counts = ListCounts(
        len(organizations),
        len(individuals),
        not_named=sum(1 for e in entries if e.hidden),
        individuals_not_named=sum(1 for e in individuals if e.hidden),
    )
    if not with_hidden:
        organizations = [e for e in organizations if not e.hidden]
        individuals = [e for e in individuals if not e.hidden]
    groups = group_entries(letter, organizations) if grouped else [Group("", organizations)]
    if individuals:
        groups = [g for g in groups if g.entries]
        groups.append(Group(INDIVIDUALS_HEADING, individuals, SignatoryKind.INDIVIDUAL))
    return SignatoryList(
        counts.organizations,
        counts.individuals,
        counts.not_named,
        counts.individuals_not_named,
        groups=[g for g in groups if g.entries],
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


# The list, its counts and its rendering are cached per letter in the site's cache (signon/cache.py):
# Redis when configured, one copy for every worker and node, else each process's memory. An entry
# names the list version it was built from; every change to the list bumps that version in its own
# transaction, and a reader asks for the version it has just read, so a change shows at once.
_FORMAT = 2  # raise when what is stored changes shape


def _group(letter: Letter) -> str:
    return f"list{_FORMAT}:{letter.id}"


def _version(letter: Letter) -> str:
    """The list version with the time it changed (a restored backup reuses numbers, never times)
    and the categories the groups follow."""
    categories = zlib.crc32(json.dumps(letter.categories or []).encode())
    return f"{letter.list_version}.{letter.list_changed_at:%Y%m%d%H%M%S%f}.{categories:08x}"


def _encode(listed: SignatoryList) -> bytes:
    """Compact JSON, the groups in the shape the API gives them."""
    groups = [
        {
            "category": group.category,
            "kind": group.kind,
            "signatories": [{"name": e.name, "place": e.place} for e in group.entries],
        }
        for group in listed.groups
    ]
    data = {
        "groups": groups,
        "organizations": listed.organizations,
        "individuals": listed.individuals,
        "not_named": listed.not_named,
        "individuals_not_named": listed.individuals_not_named,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _decode(payload: bytes) -> SignatoryList:
    """The list again; each entry carries its group's category and kind."""
    data = json.loads(payload)
    groups = [
        Group(
            group["category"],
            [
                Entry(e["name"], e["place"], group["category"], group["kind"])
                for e in group["signatories"]
            ],
            group["kind"],
        )
        for group in data["groups"]
    ]
    return SignatoryList(
        data["organizations"],
        data["individuals"],
        data["not_named"],
        data["individuals_not_named"],
        groups,
    )


def _counts(listed: ListCounts) -> bytes:
    counts = (
        listed.organizations,
        listed.individuals,
        listed.not_named,
        listed.individuals_not_named,
    )
    return " ".join(map(str, counts)).encode()


def _list_entry(letter: Letter) -> tuple[cache.Entry, SignatoryList | None]:
    """The stored list, and the list itself when this call had to build it."""
    version = _version(letter)
    built: list[SignatoryList] = []

    def build() -> cache.Entry:
        built.append(public_list(letter))
        cache.store().put(_group(letter), "counts", cache.Entry(version, _counts(built[0])))
        return cache.Entry(version, _encode(built[0]))

    entry = cache.fetch(_group(letter), "list", version, build)
    return entry, built[0] if built else None


def cached_public_list(letter: Letter) -> SignatoryList:
    """The list as the public pages show it, built once per list version for the whole site."""
    entry, built = _list_entry(letter)
    return built if built is not None else _decode(entry.payload)


def cached_public_groups(letter: Letter) -> list[dict[str, Any]]:
    """The list's groups as plain data, as the API gives them: category, kind and signatories
    (name and place), without making an object per signatory."""
    groups: list[dict[str, Any]] = json.loads(_list_entry(letter)[0].payload)["groups"]
    return groups


def cached_counts(letter: Letter) -> ListCounts:
    """The public list's counts, without reading the list itself when they are cached."""
    version = _version(letter)

    def build() -> cache.Entry:  # seldom: building the list stores its counts too
        entry, built = _list_entry(letter)
        return cache.Entry(entry.version, _counts(built or _decode(entry.payload)))

    entry = cache.fetch(_group(letter), "counts", version, build)
    return ListCounts(*map(int, entry.payload.split()))


def cached_rendering(letter: Letter, variant: str, render: Callable[[SignatoryList], str]) -> str:
    """The list rendered once per list version and variant (which names the template and whatever
    else the rendering depends on), like the list itself."""
    return cached_made(
        letter, f"html:{variant}", lambda: render(cached_public_list(letter)).encode()
    ).decode()


def cached_made(letter: Letter, name: str, make: Callable[[], bytes]) -> bytes:
    """Something made from the letter's list (a rendering, an image), made once per list version
    for the whole site; `name` also says whatever else it depends on."""
    version = _version(letter)
    return cache.fetch(_group(letter), name, version, lambda: cache.Entry(version, make())).payload


def list_changed(letter_id: int) -> None:
    """Mark the letter's public list as changed, in the caller's transaction."""
    db.session.execute(
        sa.update(Letter)
        .where(Letter.id == letter_id)
        .values(list_version=Letter.list_version + 1, list_changed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
