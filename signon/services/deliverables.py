"""What goes out at the end: the list and letter exports, and the frozen lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from signon import audit, i18n, transaction
from signon.exports import big_pdf, documents, lists, parts
from signon.exports.formats import CONTACT_FORMATS, FORMATS, LIST_FORMATS, ExportFile
from signon.exports.model import (
    INDIVIDUALS_HEADING,
    Entry,
    Group,
    ListDocument,
    ListOptions,
    ListWords,
)
from signon.extensions import db
from signon.models import (
    DocumentJob,
    Letter,
    LetterVersion,
    ListSnapshot,
    Organizer,
    SignatoryKind,
    SnapshotFile,
    utcnow,
)
from signon.services import (
    contacts,
    counting,
    document_jobs,
    letters,
    listing,
)


class ExportError(ValueError):
    """The export cannot be made as asked; the message says why."""


def export(
    letter: Letter,
    fmt: str,
    options: ListOptions | None = None,
    *,
    actor: Organizer | None = None,
    via: str = "web",
) -> ExportFile:
    """One code path for the dashboard and `signon export`."""
    options = options or ListOptions()
    if fmt in CONTACT_FORMATS:
        return contacts.export_contacts(letter, fmt, actor=actor, via=via)
    if fmt not in LIST_FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    doc = list_document(letter, options)
    return _render(letter, fmt, doc, letters.current_version(letter), utcnow())


def export_language(letter: Letter, chosen: str | None = None) -> str:
    """The language a list export is written in: the one chosen if the site speaks it, else the
    letter's, else the site's default."""
    spoken = i18n.languages()
    if chosen in spoken:
        return str(chosen)
    return i18n.spoken_or_default(letter.language)


def export_or_queue(
    letter: Letter, fmt: str, options: ListOptions, *, actor: Organizer
) -> ExportFile | DocumentJob:
    """The export at once; or, for a DOCX or PDF of more names than SIGNON_DOCUMENT_INLINE_LIMIT,
    the job the worker makes it in (the one already under way, if any)."""
    if fmt in document_jobs.DOCUMENT_FORMATS:
        names = parts.names_in(list_document(letter, options))
        if document_jobs.made_by_worker(fmt, names):
            return document_jobs.request(letter, fmt, options, by=actor, total=names)
    return export(letter, fmt, options, actor=actor)


def make_document(
    job: DocumentJob, begin: documents.Progress, progress: documents.Progress
) -> ExportFile:
    """The file a document job asked for, made now (in the worker): of the frozen list, as frozen
    and dated then, or of the list as it stands. `begin` hears how many names the file will hold,
    `progress` how many are laid out so far."""
    letter = db.session.get_one(Letter, job.letter_id)
    options = document_jobs.options_of(job)
    if job.snapshot_id is not None:
        snapshot = db.session.get_one(ListSnapshot, job.snapshot_id)
        doc = snapshot_document(letter, snapshot, options)
        version, dated = snapshot.version, snapshot.created_at
    else:
        doc = list_document(letter, options)
        version, dated = letters.current_version(letter), utcnow()
    begin(parts.names_in(doc))
    return _render(letter, job.format, doc, version, dated, progress=progress)


def _render(
    letter: Letter,
    fmt: str,
    doc: ListDocument,
    version: LetterVersion,
    dated: datetime,
    *,
    progress: documents.Progress | None = None,
) -> ExportFile:
    """The file; with `progress` (in the worker) a PDF is laid out in parts, as big ones must be."""
    extension, mimetype = LIST_FORMATS[fmt]
    # The copy that names everyone is marked, so it is never published by mistake.
    private = "-for-recipient-only" if doc.options.with_unnamed else ""
    filename = (
        f"{letter.slug}-signatories{private}.{extension}"
        if fmt not in ("docx", "pdf")
        else f"{letter.slug}{private}.{extension}"
    )
    local = dated.astimezone(letters.zone_of(letter))
    body: bytes
    if fmt == "docx":
        body = documents.letter_docx(doc, version.body_html, local, progress)
    elif fmt == "pdf" and progress is not None:
        size = int(current_app.config["DOCUMENT_CHUNK_SIZE"])
        body = big_pdf.letter_pdf(doc, version.body_html, local, size=size, progress=progress)
    elif fmt == "pdf":
        body = documents.letter_pdf(doc, version.body_html, local)
    else:
        renderer = {
            "text": lists.as_text,
            "markdown": lists.as_markdown,
            "html": lists.as_html,
            "csv": lists.as_csv,
        }[fmt]
        body = renderer(doc).encode("utf-8")
    return ExportFile(filename, mimetype, body)


def latest_snapshot(letter: Letter) -> ListSnapshot | None:
    return db.session.execute(
        sa.select(ListSnapshot)
        .where(ListSnapshot.letter_id == letter.id)
        .order_by(ListSnapshot.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def snapshots(letter: Letter) -> list[ListSnapshot]:
    return list(
        db.session.execute(
            sa.select(ListSnapshot)
            .where(ListSnapshot.letter_id == letter.id)
            .order_by(ListSnapshot.id.desc())
        ).scalars()
    )


def list_words(language: str) -> ListWords:
    """The fixed words of a list export in `language` (the site's default for one it does not
    speak)."""
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
            _shown_groups(current.groups, options),
            options,
            unnamed_organizations=_unnamed(entries, options),
            words=list_words(options.language),
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


def _shown_groups(groups: list[Group], options: ListOptions) -> list[Group]:
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
            words=list_words(options.language),
        )


@i18n.in_english
def freeze(letter: Letter, *, by: Organizer, note: str = "") -> ListSnapshot:
    """Record the list as delivered: when, which text, exactly which names, and its files. The
    DOCX and PDF of a long list are queued for the worker in the same transaction, so freezing
    never waits on a document; they are stored with the frozen list once made."""
    current = listing.public_list(letter, with_hidden=True)
    version = letters.current_version(letter)
    now = utcnow()
    snapshot = ListSnapshot(
        letter_id=letter.id,
        version_id=version.id,
        created_at=now,
        created_by_id=by.id,
        entries=[_frozen(e) for g in current.groups for e in g.entries],
        organizations=current.organizations,
        individuals=current.individuals,
        count_line=current.count_line,
        note=" ".join(note.split())[:500],
    )
    doc = ListDocument(
        letter.title, current.count_line, _shown_groups(current.groups, ListOptions())
    )
    names = parts.names_in(doc)
    later = [f for f in LIST_FORMATS if document_jobs.made_by_worker(f, names)]
    for fmt in LIST_FORMATS:
        if fmt not in later:
            snapshot.files.append(stored_file(fmt, _render(letter, fmt, doc, version, now)))
    db.session.add(snapshot)
    db.session.flush()
    for fmt in later:
        document_jobs.queue(letter, fmt, ListOptions(), by=by, snapshot_id=snapshot.id, total=names)
    audit.record(
        "list.frozen",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=snapshot,
        after={"count": current.count_line, "version": version.number},
    )
    transaction.commit()
    return snapshot


def _frozen(entry: Entry) -> dict[str, Any]:
    """A frozen entry; one whose signers asked not to be named is kept, marked, so the frozen
    list stays whole (its files leave it out, and it never returns as 'signed after')."""
    frozen: dict[str, Any] = {
        "name": entry.name,
        "place": entry.place,
        "category": entry.category,
        "kind": entry.kind,
    }
    if entry.hidden:
        frozen["hidden"] = True
    return frozen


def stored_file(fmt: str, rendered: ExportFile) -> SnapshotFile:
    assert isinstance(rendered.body, bytes)
    return SnapshotFile(
        format=fmt, filename=rendered.filename, mimetype=rendered.mimetype, content=rendered.body
    )


def stored_formats(letter: Letter) -> set[tuple[int, str]]:
    """(frozen list, format) of every file stored with the letter's frozen lists, without reading them."""
    rows = db.session.execute(
        sa.select(SnapshotFile.snapshot_id, SnapshotFile.format)
        .join(ListSnapshot, ListSnapshot.id == SnapshotFile.snapshot_id)
        .where(ListSnapshot.letter_id == letter.id)
    ).all()
    return {(snapshot_id, fmt) for snapshot_id, fmt in rows}


def snapshot_of(letter: Letter, snapshot_id: int) -> ListSnapshot | None:
    snapshot = db.session.get(ListSnapshot, snapshot_id)
    return snapshot if snapshot is not None and snapshot.letter_id == letter.id else None


def snapshot_export(snapshot: ListSnapshot, fmt: str) -> ExportFile:
    """The file made when the list was frozen, byte for byte."""
    stored = db.session.get(SnapshotFile, (snapshot.id, fmt))
    if stored is None and (snapshot.id, fmt) in document_jobs.pending_for_snapshots(
        snapshot.letter
    ):
        raise ExportError(f"the {fmt} file of this frozen list is not made yet")
    if stored is None:
        raise ExportError(f"no {fmt} file in this frozen list")
    dated = snapshot.created_at.strftime("%Y%m%d-%H%M")
    stem, _, extension = stored.filename.rpartition(".")
    return ExportFile(f"{stem}-frozen-{dated}.{extension}", stored.mimetype, stored.content)


def headline_count(count: int, language: str = "en") -> str:
    """How a journalist writes it: 'seven organizations', '50 organizations', 'more than 50
    organizations' (signon.services.counting), in `language`."""
    return counting.headline_count(count, language)
