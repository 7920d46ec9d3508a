"""Freezing the list as delivered, and the frozen lists with the files stored with them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from signon import audit, i18n, transaction
from signon.exports import parts
from signon.exports.formats import LIST_FORMATS, ExportFile
from signon.exports.model import Entry, ListDocument, ListOptions
from signon.extensions import db
from signon.models import Letter, ListSnapshot, Organizer, SnapshotFile, utcnow
from signon.services import document_jobs, letters, listing
from signon.services.deliverables import ExportError, render
from signon.services.list_documents import shown_groups


def snapshots(letter: Letter) -> list[ListSnapshot]:
    return list(
        db.session.execute(
            sa.select(ListSnapshot)
            .where(ListSnapshot.letter_id == letter.id)
            .order_by(ListSnapshot.id.desc())
        ).scalars()
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
        letter.title, current.count_line, shown_groups(current.groups, ListOptions())
    )
    names = parts.names_in(doc)
    later = [f for f in LIST_FORMATS if document_jobs.made_by_worker(f, names)]
    for fmt in LIST_FORMATS:
        if fmt not in later:
            snapshot.files.append(stored_file(fmt, render(letter, fmt, doc, version, now)))
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
