"""One export measured in a fresh process: its time and its peak RSS, printed as one JSON line."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

KINDS = ("idle", "plain-csv", "signon-csv", "docx", "pdf")

# The organizers' contacts CSV written the plain way: one SQL query over the same joins, with the
# formatting signon does per cell left to SQLite (datetimes to the second, yes/no; csv.writer writes
# NULL as an empty field), straight into csv.writer. Its output is byte for byte signon's.
HEADER = [
    "Signature ID", "Status", "Signs as", "Organization (as typed)", "Listed as", "Name", "Title",
    "Email", "City", "State or region", "Country", "Website", "Category", "Note to organizers",
    "Keep informed", "Press contact", "Text version signed", "Signed at (UTC)", "Confirmed at (UTC)",
    "Decided at (UTC)", "Decided by", "Reason", "Withdrawn at (UTC)", "Added by", "Source",
    "Source co-host", "Source detail",
]  # fmt: skip
PLAIN_SQL = """
SELECT s.id, s.status, s.kind, s.organization, sy.display_name, s.name, s.title, s.email,
       s.city, s.region, s.country, s.website, s.category, s.note,
       CASE WHEN s.keep_informed THEN 'yes' ELSE 'no' END,
       CASE WHEN s.press_contact THEN 'yes' ELSE 'no' END,
       v.number,
       substr(s.created_at, 1, 19), substr(s.confirmed_at, 1, 19), substr(s.decided_at, 1, 19),
       o.email, s.reason, substr(s.withdrawn_at, 1, 19), a.email, s.source_kind, h.email, s.source
FROM signature AS s
JOIN letter_version AS v ON v.id = s.version_id
LEFT JOIN signatory AS sy ON sy.id = s.signatory_id
LEFT JOIN organizer AS o ON o.id = s.decided_by_id
LEFT JOIN organizer AS a ON a.id = s.added_by_id
LEFT JOIN organizer AS h ON h.id = s.source_host_id
WHERE s.letter_id = (SELECT id FROM letter WHERE slug = ?)
ORDER BY s.id
"""


def memory_kib() -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak since start or the last reset) of this process, in KiB.

    Not ru_maxrss: Linux carries the parent's peak over into a child's ru_maxrss at exec."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def reset_peak() -> bool:
    """Set VmHWM back to the current RSS, so the next peak is the export's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measured(export: Callable[[], int], repeat: int = 1) -> dict[str, Any]:
    """Run `export` (which returns the bytes it wrote) with the process's memory before and after;
    the memory figures are the first export's, `again_seconds` times the repeats after it."""
    ready = memory_kib()
    reset = reset_peak()
    began, cpu = time.perf_counter(), time.process_time()
    size = export()
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    after = memory_kib()
    again = []
    for _ in range(repeat - 1):
        began = time.perf_counter()
        export()
        again.append(time.perf_counter() - began)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "again_seconds": again,
        "bytes": size,
        "rss_ready_kib": ready["VmRSS"],
        "peak_before_export_kib": ready["VmHWM"],
        "peak_during_export_kib": after["VmHWM"] if reset else None,
        "peak_kib": max(ready["VmHWM"], after["VmHWM"]),
        "rss_after_kib": after["VmRSS"],
    }


def plain_csv(database: str, slug: str, out: str) -> int:
    connection = sqlite3.connect(database)
    try:
        with open(out, "w", encoding="utf-8", newline="") as sink:
            sink.write("\ufeff")
            writer = csv.writer(sink, lineterminator="\r\n")
            writer.writerow(HEADER)
            writer.writerows(connection.execute(PLAIN_SQL, (slug,)))
            return sink.tell() if out != os.devnull else 0
    finally:
        connection.close()


def signon_app(database: str, key: str) -> Any:
    """signon as the benchmarks run it, on the benchmark database, email left in the outbox."""
    from signon import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SECRET_KEY": key,
            "BASE_URL": "http://127.0.0.1:5000",
            "MAIL_DELIVER_INLINE": False,
        }
    )


def signon_export(kind: str, database: str, slug: str, out: str, repeat: int) -> dict[str, Any]:
    """`deliverables.export` inside an app context, every chunk written to `out`."""
    from signon.services import deliverables, letters

    app = signon_app(database, os.environ["BENCH_SECRET_KEY"])
    with app.app_context():
        letter = letters.get_by_slug(slug)
        if letter is None:
            raise SystemExit(f"no letter {slug!r} in {database}")
        fmt = "contacts-csv" if kind == "signon-csv" else kind

        def export() -> int:
            if kind == "idle":
                return 0
            exported = deliverables.export(letter, fmt, actor=None, via="bench")
            size = 0
            with open(out, "wb") as sink:
                for chunk in exported.chunks():
                    sink.write(chunk)
                    size += len(chunk)
            return size

        return measured(export, repeat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export_worker", description=__doc__)
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("database")
    parser.add_argument("slug")
    parser.add_argument("--out", default=os.devnull, help="where the export goes (/dev/null)")
    parser.add_argument("--repeat", type=int, default=1, help="exports in this process (1)")
    args = parser.parse_args(argv)
    if args.kind == "plain-csv":
        result = measured(lambda: plain_csv(args.database, args.slug, args.out), args.repeat)
    else:
        result = signon_export(args.kind, args.database, args.slug, args.out, args.repeat)
    result["kind"] = args.kind
    result["modules"] = len(sys.modules)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
