"""What goes out at the end: list and letter exports, frozen lists, deliveries and updates to signers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from signon import audit, tokens, transaction
from signon.exports import big_pdf, documents, lists, parts, spreadsheets
from signon.exports.model import INDIVIDUALS_HEADING, Entry, Group, ListDocument, ListOptions
from signon.extensions import db
from signon.links import external_url
from signon.models import (
    Delivery,
    DocumentJob,
    Letter,
    LetterUpdate,
    LetterVersion,
    ListSnapshot,
    Organizer,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
    SnapshotFile,
    TokenPurpose,
    utcnow,
)
from signon.services import document_jobs, history, letter_emails, letters, listing, questions

LIST_FORMATS: dict[str, tuple[str, str]] = {
    "text": ("txt", "text/plain; charset=utf-8"),
    "markdown": ("md", "text/markdown; charset=utf-8"),
    "html": ("html", "text/html; charset=utf-8"),
    "csv": ("csv", "text/csv; charset=utf-8"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pdf": ("pdf", "application/pdf"),
}
CONTACT_FORMATS: dict[str, tuple[str, str]] = {
    "contacts-csv": ("csv", "text/csv; charset=utf-8"),
    "contacts-xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
FORMATS = LIST_FORMATS | CONTACT_FORMATS
DELIVERY_METHODS = {
    "email": "By email",
    "portal": "Through an online portal",
    "in_person": "In person",
    "mail": "By post",
    "other": "Another way",
}
UNSUBSCRIBE_VALID = timedelta(days=730)


class ExportError(ValueError):
    """The export cannot be made as asked; the message says why."""


@dataclass
class ExportFile:
    filename: str
    mimetype: str
    body: bytes | Iterator[bytes]

    def chunks(self) -> Iterator[bytes]:
        if isinstance(self.body, bytes):
            yield self.body
        else:
            yield from self.body


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
        return _contacts(letter, fmt, actor=actor, via=via)
    if fmt not in LIST_FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    doc = list_document(letter, options)
    return _render(letter, fmt, doc, letters.current_version(letter), utcnow())


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
    filename = (
        f"{letter.slug}-signatories.{extension}"
        if fmt not in ("docx", "pdf")
        else f"{letter.slug}.{extension}"
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


def list_document(letter: Letter, options: ListOptions) -> ListDocument:
    """The list now. After a freeze, the frozen list stays as delivered and later signatories
    follow in a dated addendum, never silently inside it."""
    current = listing.public_list(letter, grouped=options.grouped)
    snapshot = latest_snapshot(letter)
    if snapshot is None:
        return ListDocument(letter.title, current.count_line, current.groups, options)
    frozen = snapshot_document(letter, snapshot, options)
    delivered = {_key(entry) for group in frozen.groups for entry in group.entries}
    later = [
        entry for group in current.groups for entry in group.entries if _key(entry) not in delivered
    ]
    if later:
        frozen.addendum = _regroup(letter, later, options)
        frozen.addendum_since = snapshot.created_at.astimezone(letters.zone_of(letter))
        organizations = sum(1 for e in later if e.kind == SignatoryKind.ORGANIZATION)
        frozen.addendum_count_line = listing.count_line(organizations, len(later) - organizations)
    return frozen


def _key(entry: Entry) -> tuple[str, str]:
    return entry.name, entry.kind


def _regroup(letter: Letter, entries: list[Entry], options: ListOptions) -> list[Group]:
    organizations = [e for e in entries if e.kind == SignatoryKind.ORGANIZATION]
    individuals = [e for e in entries if e.kind == SignatoryKind.INDIVIDUAL]
    organizations.sort(key=lambda e: listing.sort_key(e.name))
    individuals.sort(key=lambda e: listing.sort_key(e.name))
    groups = (
        listing.group_entries(letter, organizations)
        if options.grouped
        else [Group("", organizations)]
    )
    if individuals:
        groups.append(Group(INDIVIDUALS_HEADING, individuals, SignatoryKind.INDIVIDUAL))
    return [g for g in groups if g.entries]


def snapshot_document(letter: Letter, snapshot: ListSnapshot, options: ListOptions) -> ListDocument:
    entries = [Entry(e["name"], e["place"], e["category"], e["kind"]) for e in snapshot.entries]
    return ListDocument(
        letter.title, snapshot.count_line, _regroup(letter, entries, options), options
    )


def freeze(letter: Letter, *, by: Organizer, note: str = "") -> ListSnapshot:
    """Record the list as delivered: when, which text, exactly which names, and its files. The
    DOCX and PDF of a long list are queued for the worker in the same transaction, so freezing
    never waits on a document; they are stored with the frozen list once made."""
    current = listing.public_list(letter)
    version = letters.current_version(letter)
    now = utcnow()
    snapshot = ListSnapshot(
        letter_id=letter.id,
        version_id=version.id,
        created_at=now,
        created_by_id=by.id,
        entries=[
            {"name": e.name, "place": e.place, "category": e.category, "kind": e.kind}
            for g in current.groups
            for e in g.entries
        ],
        organizations=current.organizations,
        individuals=current.individuals,
        count_line=current.count_line,
        note=" ".join(note.split())[:500],
    )
    doc = ListDocument(letter.title, current.count_line, current.groups)
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


def record_delivery(
    letter: Letter,
    snapshot: ListSnapshot,
    *,
    delivered_on: date,
    recipient: str,
    method: str,
    notes: str,
    public: bool,
    by: Organizer,
) -> Delivery:
    if method not in DELIVERY_METHODS:
        raise ExportError("choose how the letter was delivered")
    if not recipient.strip():
        raise ExportError("say to whom the letter was delivered")
    delivery = Delivery(
        letter_id=letter.id,
        snapshot_id=snapshot.id,
        delivered_on=delivered_on,
        recipient=" ".join(recipient.split())[:300],
        method=method,
        notes=notes.strip()[:5000],
        public=public,
        created_by_id=by.id,
    )
    db.session.add(delivery)
    db.session.flush()
    audit.record(
        "letter.delivered",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=delivery,
        after={
            "to": delivery.recipient,
            "on": delivered_on.isoformat(),
            "how": method,
            "snapshot": snapshot.id,
        },
    )
    transaction.commit()
    return delivery


def deliveries(letter: Letter, *, public_only: bool = False) -> list[Delivery]:
    query = sa.select(Delivery).where(Delivery.letter_id == letter.id)
    if public_only:
        query = query.where(Delivery.public.is_(True))
    return list(db.session.execute(query.order_by(Delivery.delivered_on, Delivery.id)).scalars())


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
            subject=letter_emails.subject_for("letter_update", letter.title, update.subject),
            message=update.body_markdown,
            letter_url=external_url("public.letter", slug=letter.slug),
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


def _utc_text(column: Any) -> Any:
    """A timestamp formatted by the database, so 100,000 rows skip parsing and reformatting."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS")
    return sa.func.substr(column, 1, 19)


def contact_rows(letter: Letter, *, dates_as_text: bool = False) -> Iterator[list[Any]]:
    """Every signature of the letter with its decisions, read in batches so memory stays flat."""
    decided_by = sa.orm.aliased(Organizer)
    added_by = sa.orm.aliased(Organizer)
    when = _utc_text if dates_as_text else (lambda column: column)
    query = (
        sa.select(
            Signature.id,
            Signature.status,
            Signature.kind,
            Signature.organization,
            Signatory.display_name,
            Signature.name,
            Signature.title,
            Signature.email,
            Signature.city,
            Signature.region,
            Signature.country,
            Signature.website,
            Signature.category,
            Signature.note,
            Signature.keep_informed,
            Signature.press_contact,
            LetterVersion.number,
            when(Signature.created_at),
            when(Signature.confirmed_at),
            when(Signature.decided_at),
            decided_by.email,
            Signature.reason,
            when(Signature.withdrawn_at),
            added_by.email,
            Signature.source,
            Signature.answers,
        )
        .join(LetterVersion, LetterVersion.id == Signature.version_id)
        .outerjoin(Signatory, Signatory.id == Signature.signatory_id)
        .outerjoin(decided_by, decided_by.id == Signature.decided_by_id)
        .outerjoin(added_by, added_by.id == Signature.added_by_id)
        .where(Signature.letter_id == letter.id)
        .order_by(Signature.id)
        .execution_options(yield_per=1000)
    )
    # Core rows, not ORM: nothing here needs identity tracking, and it costs a third of the time.
    asked = bool(letter.questions)
    for row in db.session.connection().execute(query):
        values = list(row)
        answers = values.pop()
        yield values + questions.answer_columns(letter, answers) if asked else values


def _contacts(letter: Letter, fmt: str, *, actor: Organizer | None, via: str) -> ExportFile:
    extension, mimetype = CONTACT_FORMATS[fmt]
    audit.record(
        "contacts.exported",
        letter_id=letter.id,
        actor_kind="organizer" if actor else "system",
        actor_id=actor.id if actor else None,
        subject=letter,
        after={"format": fmt, "via": via},
    )
    transaction.commit()
    filename = f"{letter.slug}-contacts.{extension}"
    asked = [q.label for q in questions.questions_of(letter)]
    if fmt == "contacts-xlsx":
        return ExportFile(
            filename,
            mimetype,
            spreadsheets.contacts_xlsx(contact_rows(letter), letter.title, asked),
        )
    return ExportFile(
        filename,
        mimetype,
        spreadsheets.contacts_csv(contact_rows(letter, dates_as_text=True), asked),
    )


def press_contacts(letter: Letter) -> list[Signature]:
    return list(
        db.session.execute(
            sa.select(Signature)
            .where(
                Signature.letter_id == letter.id,
                Signature.press_contact.is_(True),
                Signature.status == SignatureStatus.APPROVED,
                Signature.erased_at.is_(None),
            )
            .order_by(Signature.organization, Signature.name)
        ).scalars()
    )


_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]


def headline_count(
    count: int, singular: str = "organization", plural: str = "organizations"
) -> str:
    """How a journalist writes it: 'seven organizations', '50 organizations', 'more than 50 organizations'."""
    noun = singular if count == 1 else plural
    if count < 20:
        return f"{_SMALL[count]} {noun}"
    step = 10 if count < 100 else 50 if count < 1000 else 100
    floor = count - count % step
    return f"{count:,} {noun}" if floor == count else f"more than {floor:,} {noun}"
