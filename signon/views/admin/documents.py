"""Big documents the worker makes: their progress page, the download, and trying again."""

from __future__ import annotations

from flask import Response as FlaskResponse
from flask import abort, redirect, render_template, url_for
from werkzeug.wrappers import Response

from signon.exports import formats
from signon.forms.auth import EmptyForm
from signon.models import DocumentJob, JobState, Letter
from signon.services import document_jobs
from signon.views.admin.base import bp, download, letter_or_404, me

REFRESH_SECONDS = 3


def _job_or_404(letter: Letter, job_id: int) -> DocumentJob:
    job = document_jobs.job_of(letter, job_id)
    if job is None:
        abort(404)
    return job


@bp.get("/letters/<int:letter_id>/documents/<int:job_id>")
def document_job(letter_id: int, job_id: int) -> str:
    """Reloads itself every few seconds while the worker is at it (no script needed)."""
    letter = letter_or_404(letter_id)
    job = _job_or_404(letter, job_id)
    return render_template(
        "admin/document_job.html",
        letter=letter,
        job=job,
        active=job.state in document_jobs.ACTIVE,
        refresh=REFRESH_SECONDS,
        expires_at=document_jobs.expires_at(job),
        action_form=EmptyForm(),
    )


@bp.get("/letters/<int:letter_id>/documents/<int:job_id>/file")
def document_file(letter_id: int, job_id: int) -> FlaskResponse | Response:
    letter = letter_or_404(letter_id)
    job = _job_or_404(letter, job_id)
    if job.state != JobState.DONE:
        return redirect(url_for("admin.document_job", letter_id=letter.id, job_id=job.id))
    if job.snapshot_id is not None:  # kept with the frozen list
        return redirect(
            url_for(
                "admin.snapshot_file",
                letter_id=letter.id,
                snapshot_id=job.snapshot_id,
                fmt=job.format,
            )
        )
    if job.content is None:
        abort(404)
    return download(formats.ExportFile(job.filename, job.mimetype, job.content))


@bp.post("/letters/<int:letter_id>/documents/<int:job_id>/retry")
def retry_document(letter_id: int, job_id: int) -> Response:
    letter = letter_or_404(letter_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    job = document_jobs.retry(_job_or_404(letter, job_id), by=me())
    return redirect(url_for("admin.document_job", letter_id=letter.id, job_id=job.id))
