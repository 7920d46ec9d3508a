"""Big DOCX and PDF files are made by the worker, with their progress on a page that reloads itself;
freezing a big list never waits on a document; a killed worker's job is finished by another.

The threshold is set low (SIGNON_DOCUMENT_INLINE_LIMIT=5) and the PDF parts small, so that a
dozen names make a "big" letter of several parts."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from signon import demo, documentwork, mail, mailworker, transaction
from signon.cli import cli
from signon.exports import big_pdf, documents, parts
from signon.exports.model import Entry, Group, ListDocument, ListOptions
from signon.extensions import db
from signon.models import (
    DocumentJob,
    JobState,
    Letter,
    Listing,
    OutboxMessage,
    Signature,
    SnapshotFile,
    utcnow,
)
from signon.services import document_jobs, frozen_lists
from tests.conftest import Mailbox, build_app, login_as
from tests.factories import create_letter, create_organizer
from tests.faults import Workers, wait_until

NAMES = 12
SETTINGS = {
    "DOCUMENT_INLINE_LIMIT": 5,
    "DOCUMENT_CHUNK_SIZE": 4,
    "MAIL_DELIVER_INLINE": False,
}


@pytest.fixture
def app(app_config: dict[str, Any], mailbox: Mailbox) -> Iterator[Flask]:
    yield from build_app(app_config | SETTINGS)


def organizations(count: int) -> list[tuple[str, str, str, str]]:
    """Names that sort as numbered, half National, half Local."""
    return [
        (f"Org {n:03d}", "National" if n % 2 else "Local", "Austin", "TX")
        for n in range(1, count + 1)
    ]


def make_letter(app: Flask, count: int = NAMES) -> int:
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner, categories=["National", "Local"])
        demo.add_approved_signatories(
            letter, organizations(count), email_domain="example.org", signer="Signer"
        )
        transaction.commit()
        return letter.id


def expected_lines(count: int = NAMES) -> list[str]:
    """The list in the order of every export: National then Local, each sorted by name."""
    rows = organizations(count)
    national = [f"{name}, Austin, TX" for name, category, _, _ in rows if category == "National"]
    local = [f"{name}, Austin, TX" for name, category, _, _ in rows if category == "Local"]
    return national + local


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def assert_each_name_once_in_order(text: str, count: int = NAMES) -> None:
    found = re.findall(r"Org \d{3}, Austin, TX", text)
    assert found == expected_lines(count)


def work(app: Flask) -> mailworker.Totals:
    """`signon send-mail --once`, in this process."""
    with app.app_context():
        totals = mailworker.Worker(interval=0, echo=lambda line: None).drain()
        db.session.remove()
        return totals


def jobs(app: Flask) -> list[DocumentJob]:
    with app.app_context():
        found = list(db.session.execute(sa.select(DocumentJob).order_by(DocumentJob.id)).scalars())
        db.session.expunge_all()
        db.session.remove()
        return found


# --- Exports ----------------------------------------------------------------------------------


def test_big_pdf_export_makes_a_job_whose_page_shows_progress_then_the_download(
    app: Flask, client: FlaskClient
):
    letter_id = make_letter(app)
    login_as(client, "ana@coalition.example")
    response = client.get(f"/admin/letters/{letter_id}/export?format=pdf")
    assert response.status_code == 302
    [job] = jobs(app)
    assert response.headers["Location"] == f"/admin/letters/{letter_id}/documents/{job.id}"
    assert (job.state, job.format, job.total) == (JobState.QUEUED, "pdf", NAMES)

    waiting = client.get(response.headers["Location"]).text
    assert "Waiting for the worker to start the PDF of 12 names" in waiting
    # No script needed: the page reloads itself, and says how to look again by hand.
    assert '<meta http-equiv="refresh" content="3">' in waiting
    assert f'<a href="/admin/letters/{letter_id}/documents/{job.id}">Check again</a>' in waiting
    with app.app_context():
        db.session.execute(
            sa.update(DocumentJob).values(state=JobState.RUNNING, done=8, lease_until=utcnow())
        )
        db.session.commit()
    assert "Making the PDF: 8 of 12 names." in client.get(response.headers["Location"]).text
    with app.app_context():
        db.session.execute(sa.update(DocumentJob).values(state=JobState.QUEUED, done=0))
        db.session.commit()

    assert work(app).documents == {documentwork.Outcome.DONE: 1}
    ready = client.get(response.headers["Location"]).text
    assert "http-equiv" not in ready
    assert "Download the PDF" in ready
    assert "Kept until" in ready
    download = client.get(f"/admin/letters/{letter_id}/documents/{job.id}/file")
    assert download.headers["Content-Type"] == "application/pdf"
    text = pdf_text(download.data)
    assert text.index("Publish the data") < text.index("Signatories") < text.index("Org 001")
    assert_each_name_once_in_order(text)
    pages = len(PdfReader(io.BytesIO(download.data)).pages)
    assert f"Page {pages} of {pages}" in text
    # The Deliver page lists it with its download.
    deliver = client.get(f"/admin/letters/{letter_id}/deliver").text
    assert f"/admin/letters/{letter_id}/documents/{job.id}/file" in deliver
    assert "kept for 7 days" in deliver


def test_big_docx_export_is_made_by_the_worker_with_every_name(app: Flask, client: FlaskClient):
    letter_id = make_letter(app)
    login_as(client, "ana@coalition.example")
    location = client.get(f"/admin/letters/{letter_id}/export?format=docx&place=0").headers[
        "Location"
    ]
    work(app)
    [job] = jobs(app)
    assert (job.state, job.done, job.total, job.with_place) == (JobState.DONE, NAMES, NAMES, False)
    assert "Download the DOCX" in client.get(location).text
    body = client.get(f"/admin/letters/{letter_id}/documents/{job.id}/file").data
    paragraphs = [p.text for p in Document(io.BytesIO(body)).paragraphs]
    names = [p for p in paragraphs if p.startswith("Org ")]
    assert names == [line.removesuffix(", Austin, TX") for line in expected_lines()]


def test_a_list_at_the_limit_still_downloads_at_once(app: Flask, client: FlaskClient):
    letter_id = make_letter(app, count=5)
    login_as(client, "ana@coalition.example")
    response = client.get(f"/admin/letters/{letter_id}/export?format=pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert jobs(app) == []


def test_two_clicks_at_once_make_one_job(app: Flask, database_uri: str):
    """Two organizers' browsers ask at the same moment, for real in parallel on PostgreSQL."""
    letter_id = make_letter(app)
    with app.app_context():
        create_organizer("ben@coalition.example", role="admin")
    clients = [app.test_client(), app.test_client()]
    login_as(clients[0], "ana@coalition.example")
    login_as(clients[1], "ben@coalition.example")
    start = threading.Barrier(len(clients) * 2)
    answers: list[str] = []

    def ask(client: FlaskClient) -> None:
        start.wait()
        response = client.get(f"/admin/letters/{letter_id}/export?format=pdf")
        answers.append(response.headers["Location"])

    threads = [threading.Thread(target=ask, args=(c,)) for c in clients for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    [job] = jobs(app)
    assert answers == [f"/admin/letters/{letter_id}/documents/{job.id}"] * 4


def test_a_failed_job_says_so_and_can_be_tried_again(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    letter_id = make_letter(app)
    token = login_as(client, "ana@coalition.example")
    location = client.get(f"/admin/letters/{letter_id}/export?format=pdf").headers["Location"]
    monkeypatch.setattr(big_pdf, "RENDERER", tmp_path / "missing.py")  # the renderer cannot start
    assert work(app).documents == {documentwork.Outcome.FAILED: 1}
    page = client.get(location).text
    assert "The PDF could not be made." in page
    assert "the PDF renderer stopped" in page
    monkeypatch.undo()
    [failed] = jobs(app)
    again = client.post(
        f"/admin/letters/{letter_id}/documents/{failed.id}/retry", data={"csrf_token": token}
    )
    work(app)
    assert [job.state for job in jobs(app)] == [JobState.FAILED, JobState.DONE]
    assert "Download the PDF" in client.get(again.headers["Location"]).text


# --- Freezing ---------------------------------------------------------------------------------


def test_freezing_a_big_list_waits_on_no_document_and_its_pdf_is_made_once(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
):
    letter_id = make_letter(app)
    token = login_as(client, "ana@coalition.example")

    def refuse(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("a document was made inside the request")

    for module, name in (
        (documents, "letter_pdf"),
        (documents, "letter_docx"),
        (big_pdf, "letter_pdf"),
    ):
        monkeypatch.setattr(module, name, refuse)
    started = time.perf_counter()
    response = client.post(f"/admin/letters/{letter_id}/freeze", data={"csrf_token": token})
    assert time.perf_counter() - started < 5
    assert response.status_code == 302
    monkeypatch.undo()
    with app.app_context():
        [snapshot] = frozen_lists.snapshots(db.session.get_one(Letter, letter_id))
        snapshot_id = snapshot.id
        assert sorted(f.format for f in snapshot.files) == ["csv", "html", "markdown", "text"]
    assert sorted((j.format, j.snapshot_id, j.state) for j in jobs(app)) == [
        ("docx", snapshot_id, JobState.QUEUED),
        ("pdf", snapshot_id, JobState.QUEUED),
    ]
    deliver = client.get(f"/admin/letters/{letter_id}/deliver").text
    assert "PDF being made" in deliver
    assert "DOCX being made" in deliver
    pdf_url = f"/admin/letters/{letter_id}/snapshots/{snapshot_id}/pdf"
    assert "/documents/" in client.get(pdf_url).headers["Location"]

    work(app)
    first = client.get(pdf_url)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/pdf"
    assert_each_name_once_in_order(pdf_text(first.data))
    assert "being made" not in client.get(f"/admin/letters/{letter_id}/deliver").text
    # Later signatories, a later run of the worker: the frozen file stays as it was made.
    with app.app_context():
        letter = db.session.get_one(Letter, letter_id)
        demo.add_approved_signatories(
            letter, [("Late Org", "Local", "Waco", "TX")], email_domain="late.org", signer="S"
        )
        transaction.commit()
    work(app)
    assert client.get(pdf_url).data == first.data
    with app.app_context():
        assert db.session.get_one(SnapshotFile, (snapshot_id, "pdf")).content == first.data


# --- The worker -------------------------------------------------------------------------------


def test_mail_that_is_due_goes_out_before_a_document_starts(app: Flask, mailbox: Mailbox):
    letter_id = make_letter(app)
    with app.app_context():
        letter = db.session.get_one(Letter, letter_id)
        document_jobs.request(letter, "pdf", ListOptions(), by=create_organizer("x@y.example"))
        mail.queue(
            "signer@example.org",
            "confirm_signature",
            subject="Confirm",
            signature=None,
            letter=None,
            confirm_url="https://x",
            valid_days=7,
        )
        transaction.commit()
    work(app)
    with app.app_context():
        sent_at = db.session.execute(sa.select(OutboxMessage.sent_at)).scalar_one()
        started_at = db.session.execute(sa.select(DocumentJob.started_at)).scalar_one()
    assert sent_at is not None
    assert started_at is not None
    assert sent_at <= started_at


def test_two_workers_claiming_at_once_take_a_job_once(app: Flask):
    letter_id = make_letter(app)
    with app.app_context():
        letter = db.session.get_one(Letter, letter_id)
        document_jobs.request(letter, "pdf", ListOptions(), by=None)
    start = threading.Barrier(4)
    claimed: list[int | None] = []

    def claim(name: str) -> None:
        with app.app_context():
            start.wait()
            claimed.append(documentwork.claim(name))
            db.session.remove()

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(claimed, key=lambda c: c is None) == [jobs(app)[0].id, None, None, None]


def test_a_worker_killed_mid_job_leaves_it_to_another_after_the_lease(
    app: Flask, database_uri: str, smtp_server: Any, tmp_path: Path
):
    count = 40
    letter_id = make_letter(app, count=count)
    with app.app_context():
        letter = db.session.get_one(Letter, letter_id)
        job_id = document_jobs.request(letter, "pdf", ListOptions(), by=None).id
    settings = {"DOCUMENT_LEASE_SECONDS": 3, "DOCUMENT_CHUNK_SIZE": 2}
    workers = Workers(tmp_path)
    try:
        first = workers.start(database_uri, smtp_server[0].port, "--interval", "0.2", **settings)

        def under_way() -> bool:
            [job] = jobs(app)
            return job.state == JobState.RUNNING and job.done >= 4

        wait_until(under_way, what="the first worker to be making the PDF")
        first.kill()
        [held] = jobs(app)
        assert held.state == JobState.RUNNING
        assert held.done < count
        second = workers.start(database_uri, smtp_server[0].port, "--interval", "0.2", **settings)
        wait_until(lambda: jobs(app)[0].state == JobState.DONE, what="the second worker")
        assert second.alive()
    finally:
        workers.stop_all()
    [job] = jobs(app)
    assert (job.id, job.attempts, job.done) == (job_id, 2, count)
    assert job.content is not None
    assert_each_name_once_in_order(pdf_text(job.content), count)


def test_documents_are_deleted_after_the_days_kept_but_a_frozen_list_keeps_its_own(
    app: Flask, runner: Any
):
    letter_id = make_letter(app)
    with app.app_context():
        letter = db.session.get_one(Letter, letter_id)
        owner = create_organizer("boss@coalition.example")
        document_jobs.request(letter, "pdf", ListOptions(), by=owner)
        frozen_lists.freeze(letter, by=owner)
    work(app)
    with app.app_context():
        db.session.execute(sa.update(DocumentJob).values(finished_at=utcnow() - timedelta(days=8)))
        db.session.commit()
    result = runner.invoke(cli, ["purge"])
    assert "Deleted 3 documents made in the background." in result.output
    assert jobs(app) == []
    with app.app_context():
        assert (
            db.session.execute(sa.select(sa.func.count()).select_from(SnapshotFile)).scalar() == 6
        )


# --- Parts ------------------------------------------------------------------------------------


def test_a_group_cut_between_parts_carries_its_heading_on():
    national = [Entry(f"N{n:02d}", "", "National", "organization") for n in range(10)]
    local = [Entry(f"L{n:02d}", "", "Local", "organization") for n in range(3)]
    doc = ListDocument(
        "T", "13 organizations", [Group("National", national), Group("Local", local)]
    )
    cut = parts.split(doc, 4)
    headings = [[g.heading for s in p.sections for g in s.groups] for p in cut]
    assert headings == [
        ["National"],
        ["National (continued)"],
        ["National (continued)", "Local"],
        ["Local (continued)"],
    ]
    lines = [line for p in cut for s in p.sections for g in s.groups for line in g.lines]
    assert lines == [e.name for e in national + local]
    assert [p.first for p in cut] == [True, False, False, False]
    # A part ends a little early rather than leave a group's first name alone at its end.
    early = parts.split(doc, 11)
    assert [[g.heading for s in p.sections for g in s.groups] for p in early] == [
        ["National"],
        ["Local"],
    ]


def test_the_worker_follows_the_organizers_choice_about_names_not_to_be_published(
    app: Flask, client: FlaskClient
):
    letter_id = make_letter(app)
    with app.app_context():
        db.session.execute(
            sa.update(Signature)
            .where(Signature.organization.in_(["Org 001", "Org 002"]))
            .values(listing=Listing.COUNT_ONLY)
        )
        db.session.commit()
    login_as(client, "ana@coalition.example")
    client.get(f"/admin/letters/{letter_id}/export?format=docx")
    client.get(f"/admin/letters/{letter_id}/export?format=docx&unnamed=1")
    work(app)
    plain, full = jobs(app)
    assert (plain.with_unnamed, full.with_unnamed) == (False, True)
    assert plain.spec != full.spec
    texts = {}
    for job in (plain, full):
        body = client.get(f"/admin/letters/{letter_id}/documents/{job.id}/file").data
        texts[job.with_unnamed] = [p.text for p in Document(io.BytesIO(body)).paragraphs]
    assert not [p for p in texts[False] if p.startswith(("Org 001", "Org 002"))]
    assert "12 organizations, 2 of them not named" in texts[False]
    assert [p for p in texts[False] if p.startswith("Org ")] == [
        line for line in expected_lines() if not line.startswith(("Org 001", "Org 002"))
    ]
    assert [p for p in texts[True] if p.startswith("Org ")] == expected_lines()
    assert "12 organizations" in texts[True]
