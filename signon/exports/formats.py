"""The export formats (file extension and content type) and the file an export makes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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
