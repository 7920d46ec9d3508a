"""The partners list as CSV, to chase by phone: every typed value kept from becoming a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from signon.exports.safety import neutralize

COLUMNS = ["Organization", "Contact", "Email", "Category", "Notes", "Co-host", "Status"]


def as_csv(rows: Iterable[Sequence[str]]) -> bytes:
    """One row per partner, in the order of COLUMNS; UTF-8 with a byte-order mark, so Excel
    reads accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([neutralize(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
