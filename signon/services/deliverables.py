"""What goes out at the end: the list and the letter as files, made at once or by the worker."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from signon import i18n
from signon.exports import big_pdf, documents, lists, parts
from signon.exports.formats import CONTACT_FORMATS, FORMATS, LIST_FORMATS, ExportFile
from signon.exports.model import ListDocument, ListOptions
from signon.extensions import db
from signon.models import DocumentJob, Letter, LetterVersion, ListSnapshot, Organizer, utcnow
from signon.services import contacts, document_jobs, letters
from signon.services.list_documents import list_document, snapshot_document


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
    return render(letter, fmt, doc, letters.current_version(letter), utcnow())


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
    return render(letter, job.format, doc, version, dated, progress=progress)


def render(
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
