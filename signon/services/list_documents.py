"""The signatory list as a document: as it stands, as frozen, and as it may be published."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from flask_babel import gettext

from signon import i18n
from signon.exports.model import (
    INDIVIDUALS_HEADING,
    Entry,
    Group,
    ListDocument,
    ListOptions,
    ListWords,
)
from signon.extensions import db
from signon.models import Letter, ListSnapshot, SignatoryKind
from signon.services import letters, listing, translations


def latest_snapshot(letter: Letter) -> ListSnapshot | None:
    return db.session.execute(
        sa.select(ListSnapshot)
        .where(ListSnapshot.letter_id == letter.id)
        .order_by(ListSnapshot.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def list_words(language: str, letter: Letter | None = None) -> ListWords:
    """The fixed words of a list export in `language` (the site's default for one it does not
    speak), with the names of `letter`'s categories in it when its organizers translated them.
    The CSV's category column keeps the original names: it is data, as moderation and imports
    know the categories."""
    category_names = translations.category_names_in(letter, language) if letter else {}
    with i18n.speaking(language):
        return ListWords(
            language=i18n.current(),
            signatories=gettext("Signatories"),
            other_organizations=gettext("Other organizations"),
            individuals=gettext("Individuals"),
            # The date is put in by the export, written the language's way.
            signed_after=gettext(
                "Signed after the list was delivered on %(date)s", date="%(date)s"
            ),
            continued=gettext("%(heading)s (continued)", heading="%(heading)s"),
            csv_header=(
                gettext("section"),
                gettext("category"),
                gettext("name"),
                gettext("place"),
                gettext("kind"),
            ),
            csv_list=gettext("list"),
            category_names=category_names,
        )


def list_document(letter: Letter, options: ListOptions) -> ListDocument:
    """The list now, in the options' language. After a freeze, the frozen list stays as delivered
    and later signatories follow in a dated addendum, never silently inside it. Lines whose
    signers asked not to be named are counted and left out, unless the organizer asked for them
    (the recipient's copy)."""
    with i18n.speaking(options.language):
        return _list_document(letter, options)


def _list_document(letter: Letter, options: ListOptions) -> ListDocument:
    current = listing.public_list(
        letter, grouped=options.grouped, with_hidden=True, language=options.language
    )
    snapshot = latest_snapshot(letter)
    if snapshot is None:
        entries = [entry for group in current.groups for entry in group.entries]
        return ListDocument(
            letter.title,
            _count_line(current, options),
            shown_groups(current.groups, options),
            options,
            unnamed_organizations=_unnamed(entries, options),
            words=list_words(options.language, letter),
        )
    frozen = snapshot_document(letter, snapshot, options)
    delivered = {_key(entry) for entry in _frozen_entries(snapshot)}
    later = [
        entry for group in current.groups for entry in group.entries if _key(entry) not in delivered
    ]
    if later:
        frozen.addendum = _regroup(letter, _shown(later, options), options)
        frozen.addendum_since = snapshot.created_at.astimezone(letters.zone_of(letter))
        frozen.addendum_count_line = _count_line(_counts_of(later), options)
        frozen.unnamed_organizations += _unnamed(later, options)
    return frozen


def published_document(letter: Letter, language: str = "en") -> ListDocument:
    """The list as it may be published now (the press kit and release): list_document, except
    that a frozen name whose signer has since asked not to be named is left out too, and counted.
    The frozen list itself stays as it was delivered. In `language`: its words and its order."""
    options = ListOptions(language=language)
    doc = list_document(letter, options)
    snapshot = latest_snapshot(letter)
    if snapshot is None:
        return doc
    current = listing.public_list(letter, with_hidden=True)
    hidden_now = {_key(e) for group in current.groups for e in group.entries if e.hidden}
    frozen = [
        replace(entry, hidden=entry.hidden or _key(entry) in hidden_now)
        for entry in _frozen_entries(snapshot)
    ]
    if frozen == _frozen_entries(snapshot):
        return doc
    doc.groups = _regroup(letter, _shown(frozen, options), options)
    with i18n.speaking(options.language):
        doc.count_line = _count_line(_counts_of(frozen), options)
    delivered = {_key(entry) for entry in frozen}
    later = [e for group in current.groups for e in group.entries if _key(e) not in delivered]
    doc.unnamed_organizations = _unnamed(frozen, options) + _unnamed(later, options)
    return doc


def _key(entry: Entry) -> tuple[str, str]:
    return entry.name, entry.kind


def _shown(entries: list[Entry], options: ListOptions) -> list[Entry]:
    return entries if options.with_unnamed else [e for e in entries if not e.hidden]


def shown_groups(groups: list[Group], options: ListOptions) -> list[Group]:
    if options.with_unnamed:
        return groups
    shown = (Group(g.category, _shown(g.entries, options), g.kind) for g in groups)
    return [g for g in shown if g.entries]


def _unnamed(entries: list[Entry], options: ListOptions) -> int:
    """Organizations counted but not shown in this document."""
    if options.with_unnamed:
        return 0
    return sum(1 for e in entries if e.hidden and e.kind == SignatoryKind.ORGANIZATION)


def _counts_of(entries: list[Entry]) -> listing.ListCounts:
    organizations = sum(1 for e in entries if e.kind == SignatoryKind.ORGANIZATION)
    individuals = len(entries) - organizations
    hidden = [e for e in entries if e.hidden]
    hidden_individuals = sum(1 for e in hidden if e.kind == SignatoryKind.INDIVIDUAL)
    return listing.ListCounts(organizations, individuals, len(hidden), hidden_individuals)


def _count_line(counts: listing.ListCounts, options: ListOptions) -> str:
    """The count line of what the document shows: with those who asked not to be named listed,
    nobody in it is unnamed."""
    if options.with_unnamed:
        return listing.count_line(counts.organizations, counts.individuals)
    return counts.count_line


def _regroup(letter: Letter, entries: list[Entry], options: ListOptions) -> list[Group]:
    organizations = [e for e in entries if e.kind == SignatoryKind.ORGANIZATION]
    individuals = [e for e in entries if e.kind == SignatoryKind.INDIVIDUAL]
    organizations.sort(key=lambda e: listing.sort_key(e.name, options.language))
    individuals.sort(key=lambda e: listing.sort_key(e.name, options.language))
    groups = (
        listing.group_entries(letter, organizations)
        if options.grouped
        else [Group("", organizations)]
    )
    if individuals:
        groups.append(Group(INDIVIDUALS_HEADING, individuals, SignatoryKind.INDIVIDUAL))
    return [g for g in groups if g.entries]


def _frozen_entries(snapshot: ListSnapshot) -> list[Entry]:
    """The entries as frozen, those not to be named among them (marked so since this was kept)."""
    return [
        Entry(e["name"], e["place"], e["category"], e["kind"], bool(e.get("hidden")))
        for e in snapshot.entries
    ]


def snapshot_document(letter: Letter, snapshot: ListSnapshot, options: ListOptions) -> ListDocument:
    """The frozen list as it was: its count line as frozen (in another language, the same counts
    in its words), or, when the organizer asks for the names not to be published too, every
    frozen entry under the plain count."""
    entries = _frozen_entries(snapshot)
    with i18n.speaking(options.language):
        if options.with_unnamed:
            count = listing.count_line(snapshot.organizations, snapshot.individuals)
        elif i18n.current() == "en":
            count = snapshot.count_line
        else:
            count = _counts_of(entries).count_line
        return ListDocument(
            letter.title,
            count,
            _regroup(letter, _shown(entries, options), options),
            options,
            unnamed_organizations=_unnamed(entries, options),
            words=list_words(options.language, letter),
        )
