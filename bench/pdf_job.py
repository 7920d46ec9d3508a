"""The PDF of a 12,000-signatory letter made as `signon send-mail` makes it: a document job claimed
and made in a fresh process, its wall time and the peak memory of the worker and of its renderer.

    python -m bench.pdf_job [--names 12000] [--inline]

--inline also times the old way, one WeasyPrint document made in the request (minutes)."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.export_worker import memory_kib, signon_app


def create_database(database: Path, names: int) -> None:
    from bench import dataset
    from signon.extensions import db

    app = signon_app(str(database), os.environ["BENCH_SECRET_KEY"])
    with app.app_context():
        db.create_all()
        dataset.add_listed_signatories(dataset.create_letter(dataset.DOCUMENTS_SLUG), names)
        db.engine.dispose()


class ChildMemory:
    """Samples this process's children (the renderer) every 50 ms: each child's own peak (VmHWM),
    and the largest sum of this process's and its children's resident memory seen."""

    def __init__(self) -> None:
        self.child_peak_kib = 0
        self.tree_peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ChildMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            total = memory_kib()["VmRSS"]
            for pid in _children():
                status = _status(pid)
                self.child_peak_kib = max(self.child_peak_kib, status.get("VmHWM", 0))
                total += status.get("VmRSS", 0)
            self.tree_peak_kib = max(self.tree_peak_kib, total)


def _children() -> list[int]:
    found = []
    for task in Path("/proc/self/task").iterdir():
        try:
            found += [int(pid) for pid in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _status(pid: int) -> dict[str, int]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    values = {}
    for line in lines:
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(value.split()[0])
    return values


def run_job(database: str) -> dict[str, Any]:
    """In this (fresh) process: queue the job, then claim and make it as the worker does."""
    from signon import documentwork
    from signon.exports.model import ListOptions
    from signon.extensions import db
    from signon.models import DocumentJob
    from signon.services import document_jobs, letters

    app = signon_app(database, os.environ["BENCH_SECRET_KEY"])
    with app.app_context():
        letter = letters.get_by_slug("bench-documents")
        assert letter is not None
        job_id = document_jobs.request(letter, "pdf", ListOptions(), by=None).id
        ready = memory_kib()
        began = time.perf_counter()
        with ChildMemory() as children:
            assert documentwork.claim("bench") == job_id
            outcome = documentwork.make(job_id, "bench")
        seconds = time.perf_counter() - began
        job = db.session.get_one(DocumentJob, job_id)
        return {
            "outcome": outcome,
            "names": job.total,
            "seconds": round(seconds, 1),
            "bytes": len(job.content or b""),
            "chunk_size": app.config["DOCUMENT_CHUNK_SIZE"],
            "worker_ready_mib": round(ready["VmRSS"] / 1024, 1),
            "worker_peak_mib": round(memory_kib()["VmHWM"] / 1024, 1),
            "renderer_peak_mib": round(children.child_peak_kib / 1024, 1),
            "worker_and_renderer_peak_mib": round(children.tree_peak_kib / 1024, 1),
        }


def fresh(*args: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, *args], check=True, capture_output=True, text=True, env=os.environ
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pdf_job", description=__doc__)
    parser.add_argument("--names", type=int, default=12_000)
    parser.add_argument("--inline", action="store_true", help="also time the old inline PDF")
    parser.add_argument("--run", metavar="DATABASE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("BENCH_SECRET_KEY", secrets.token_hex(32))
    if args.run:
        print(json.dumps(run_job(args.run)))
        return 0
    with tempfile.TemporaryDirectory(prefix="signon-pdf-job-") as directory:
        database = Path(directory) / "bench.sqlite3"
        create_database(database, args.names)
        results = {"job": fresh("-m", "bench.pdf_job", "--run", str(database))}
        if args.inline:
            old = fresh("-m", "bench.export_worker", "pdf", str(database), "bench-documents")
            results["inline"] = {
                "seconds": round(old["seconds"], 1),
                "peak_mib": round(old["peak_kib"] / 1024, 1),
            }
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
