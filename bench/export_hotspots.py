"""Where the contacts CSV and the DOCX spend their time, under cProfile, in this process."""

from __future__ import annotations

from typing import Any

from bench import dataset, export_worker, hotspots
from signon.services import deliverables, letters


def profile(database: str, key: str) -> dict[str, Any]:
    """One contacts CSV export and one DOCX export under cProfile."""
    app = export_worker.signon_app(database, key)
    with app.app_context():
        contacts = letters.get_by_slug(dataset.CONTACTS_SLUG)
        listed = letters.get_by_slug(dataset.DOCUMENTS_SLUG)
        assert contacts is not None
        assert listed is not None

        def export_csv() -> None:
            for _ in deliverables.export(contacts, "contacts-csv", via="bench").chunks():
                pass

        def export_docx() -> None:
            deliverables.export(listed, "docx")

        return {
            "csv_cprofile": hotspots.profile_calls(export_csv, 1),
            "docx_cprofile": hotspots.profile_calls(export_docx, 1),
        }
