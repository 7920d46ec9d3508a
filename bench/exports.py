"""The exports benchmark: the 100,000-row contacts CSV against plain csv.writer, DOCX, PDF, peak RSS."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import dataset, export_hotspots, export_worker, servers
from signon.extensions import db

RESULTS = Path(__file__).resolve().parent / "results"
CSV_AIM = 2.0  # signon seconds / plain seconds, at most
PEAK_AIM_KIB = 150_000_000 // 1024  # 150 MB of peak RSS for the whole process, at most
WORKER_TIMEOUT = 300


@dataclass
class Settings:
    signatures: int = 100_000
    listed: int = 2_000
    rounds: int = 5
    document_runs: int = 3
    profile: bool = True
    keep: bool = False


def _mib(kib: float) -> float:
    return round(kib / 1024, 1)


def prepare_database(database: str, key: str, settings: Settings) -> float:
    """Schema from `signon db upgrade`, letters from signon's services, signatures bulk-inserted."""
    began = time.monotonic()
    env = servers.clean_environment(
        {"SIGNON_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SIGNON_SECRET_KEY": key}
    )
    subprocess.run(
        servers.signon_command("db", "upgrade"),
        cwd=servers.ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    app = export_worker.signon_app(database, key)
    with app.app_context():
        dataset.create_export_letters(settings.signatures, settings.listed)
        db.engine.dispose()
    return round(time.monotonic() - began, 1)


def spawn(
    kind: str, database: str, slug: str, key: str, *, out: str = os.devnull, repeat: int = 1
) -> dict[str, Any]:
    """One export in a fresh `python -m bench.export_worker` process; its JSON line, parsed."""
    command = [sys.executable, "-m", "bench.export_worker", kind, database, slug]
    done = subprocess.run(
        [*command, "--out", out, "--repeat", str(repeat)],
        cwd=servers.ROOT,
        env=servers.clean_environment({"BENCH_SECRET_KEY": key}),
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} worker exited with {done.returncode}:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _digest(path: Path) -> tuple[str, int, int]:
    """SHA-256, size and line count of a file."""
    sha, size, lines = hashlib.sha256(), 0, 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            sha.update(block)
            size += len(block)
            lines += block.count(b"\n")
    return sha.hexdigest(), size, lines


def check_same_output(database: str, key: str, workdir: Path) -> dict[str, Any]:
    """Both CSVs written to files once, untimed (this also warms the page cache): identical bytes?"""
    found = {}
    for kind in ("plain-csv", "signon-csv"):
        path = workdir / f"{kind}.csv"
        spawn(kind, database, dataset.CONTACTS_SLUG, key, out=str(path))
        found[kind] = _digest(path)
        path.unlink()
    (plain_sha, plain_size, lines), (signon_sha, signon_size, _) = (
        found["plain-csv"],
        found["signon-csv"],
    )
    return {
        "identical": plain_sha == signon_sha,
        "sha256_plain": plain_sha,
        "sha256_signon": signon_sha,
        "bytes_plain": plain_size,
        "bytes_signon": signon_size,
        "lines": lines,
    }


def csv_rounds(database: str, key: str, rounds: int) -> dict[str, Any]:
    """plain, signon, plain, signon, ...: each export in its own fresh process."""
    plain: list[dict[str, Any]] = []
    signon: list[dict[str, Any]] = []
    for number in range(1, rounds + 1):
        plain.append(spawn("plain-csv", database, dataset.CONTACTS_SLUG, key))
        signon.append(spawn("signon-csv", database, dataset.CONTACTS_SLUG, key))
        a, b = plain[-1], signon[-1]
        print(
            f"  round {number}: plain {a['seconds']:6.2f} s   signon {b['seconds']:6.2f} s"
            f"   ratio {b['seconds'] / a['seconds']:.2f}",
            flush=True,
        )
    ratios = [s["seconds"] / p["seconds"] for p, s in zip(plain, signon, strict=True)]
    cpu_ratios = [s["cpu_seconds"] / p["cpu_seconds"] for p, s in zip(plain, signon, strict=True)]
    ratio = statistics.median(ratios)
    return {
        "plain": plain,
        "signon": signon,
        "ratios": [round(r, 3) for r in ratios],
        "ratio": round(ratio, 3),
        "cpu_ratio": round(statistics.median(cpu_ratios), 3),
        "aim": CSV_AIM,
        "met": ratio <= CSV_AIM,
    }


def document_rounds(database: str, key: str, runs: int) -> dict[str, list[dict[str, Any]]]:
    """DOCX, PDF, DOCX, PDF, ...: each a fresh process that exports twice (cold, then warm)."""
    found: dict[str, list[dict[str, Any]]] = {"docx": [], "pdf": []}
    for number in range(1, runs + 1):
        for kind in found:
            found[kind].append(spawn(kind, database, dataset.DOCUMENTS_SLUG, key, repeat=2))
        docx, pdf = found["docx"][-1], found["pdf"][-1]
        print(
            f"  run {number}: docx {docx['seconds']:5.2f} s (again {docx['again_seconds'][0]:.2f})"
            f"   pdf {pdf['seconds']:5.2f} s (again {pdf['again_seconds'][0]:.2f})",
            flush=True,
        )
    return found


def _seconds(values: list[float]) -> dict[str, Any]:
    return {"median": round(statistics.median(values), 3), "runs": [round(v, 3) for v in values]}


def _memory(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Whole-process peak (the highest of the runs), RSS when ready, and what the export added."""
    peak = max(r["peak_kib"] for r in runs)
    ready = statistics.median(r["rss_ready_kib"] for r in runs)
    reset = [r for r in runs if r["peak_during_export_kib"] is not None]
    added = [r["peak_during_export_kib"] - r["rss_ready_kib"] for r in reset]
    return {
        "peak_mib": _mib(peak),
        "peak_runs_mib": [_mib(r["peak_kib"]) for r in runs],
        "rss_ready_mib": _mib(ready),
        "peak_during_export_mib": (
            _mib(max(r["peak_during_export_kib"] for r in reset)) if reset else None
        ),
        "export_adds_mib": _mib(statistics.median(added)) if added else None,
    }


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "flask": version("flask"),
        "sqlalchemy": version("sqlalchemy"),
        "python-docx": version("python-docx"),
        "weasyprint": version("weasyprint"),
    }


def run(settings: Settings, workdir: Path) -> dict[str, Any]:
    """Every exports measurement on a new database in `workdir`; returns the report."""
    database = str(workdir / "exports.sqlite3")
    key = secrets.token_hex(32)
    began = time.monotonic()
    print(f"\nexports: {settings.signatures:,} signatures, {settings.listed:,} listed", flush=True)
    setup_seconds = prepare_database(database, key, settings)
    print(f"  database ready in {setup_seconds} s", flush=True)
    os.sync()  # the new database's pages on disk before any timing, not written back during it
    check = check_same_output(database, key, workdir)
    os.sync()
    print(f"  plain and signon CSV identical: {check['identical']}", flush=True)
    csv = csv_rounds(database, key, settings.rounds)
    idle = [
        spawn("idle", database, dataset.CONTACTS_SLUG, key) for _ in range(settings.document_runs)
    ]
    documents = document_rounds(database, key, settings.document_runs)
    profile = export_hotspots.profile(database, key) if settings.profile else {}
    csv_peak_kib = max(r["peak_kib"] for r in csv["signon"])
    return {
        "settings": settings.__dict__,
        "setup_seconds": setup_seconds,
        "check": check,
        "csv": {
            **csv,
            "rows": settings.signatures,
            "plain_seconds": _seconds([r["seconds"] for r in csv["plain"]]),
            "signon_seconds": _seconds([r["seconds"] for r in csv["signon"]]),
            "plain_memory": _memory(csv["plain"]),
            "signon_memory": _memory(csv["signon"]),
            "peak_aim_mib": _mib(PEAK_AIM_KIB),
            "peak_met": csv_peak_kib <= PEAK_AIM_KIB,
        },
        "idle": {
            "rss_after_imports_mib": _mib(statistics.median(r["rss_ready_kib"] for r in idle)),
            "peak_mib": _mib(max(r["peak_kib"] for r in idle)),
            "modules": idle[0]["modules"],
            "runs": idle,
        },
        "documents": {
            kind: {
                "seconds": _seconds([r["seconds"] for r in runs]),
                "again_seconds": _seconds([r["again_seconds"][0] for r in runs]),
                "bytes": runs[0]["bytes"],
                "memory": _memory(runs),
                "runs": runs,
            }
            for kind, runs in documents.items()
        },
        "profile": profile,
        "seconds": round(time.monotonic() - began, 1),
    }


def print_report(report: dict[str, Any]) -> None:
    csv, idle, docs = report["csv"], report["idle"], report["documents"]
    rows = f"{csv['rows']:,}"
    print(
        f"\n{'exports':<40} {'median s':>9} {'again s':>8} {'peak RSS MiB':>13}"
        f" {'ready MiB':>10} {'export adds MiB':>16}"
    )
    lines: list[tuple[str, dict[str, Any], dict[str, Any] | None, dict[str, Any]]] = [
        (f"contacts CSV, {rows}, signon", csv["signon_seconds"], None, csv["signon_memory"]),
        (f"contacts CSV, {rows}, plain", csv["plain_seconds"], None, csv["plain_memory"]),
    ]
    for kind, label in (("docx", "DOCX"), ("pdf", "PDF")):
        entry = docs[kind]
        listed = f"{report['settings']['listed']:,}"
        lines.append(
            (
                f"{label}, {listed} signatories",
                entry["seconds"],
                entry["again_seconds"],
                entry["memory"],
            )
        )
    for label, seconds, again, memory in lines:
        again_text = f"{again['median']:8.2f}" if again else f"{'':8}"
        print(
            f"{label:<40} {seconds['median']:9.2f} {again_text} {memory['peak_mib']:13.1f}"
            f" {memory['rss_ready_mib']:10.1f} {memory['export_adds_mib'] or 0:16.1f}"
        )
    print(
        f"{'signon after imports + app (idle)':<40} {'':9} {'':8} {idle['peak_mib']:13.1f}"
        f" {idle['rss_after_imports_mib']:10.1f}"
    )
    print(
        f"\nCSV time ratio signon / plain: {csv['ratio']:.2f} (rounds {', '.join(f'{r:.2f}' for r in csv['ratios'])};"
        f" CPU ratio {csv['cpu_ratio']:.2f}); aim <= {csv['aim']}: {'met' if csv['met'] else 'NOT met'}"
    )
    print(
        f"CSV peak RSS {csv['signon_memory']['peak_mib']} MiB; aim <= {csv['peak_aim_mib']} MiB"
        f" (150 MB): {'met' if csv['peak_met'] else 'NOT met'}"
    )
    print(f"same bytes from both CSVs: {report['check']['identical']}")
    if report["profile"]:
        print_profile(report["profile"])


def print_profile(profile: dict[str, Any]) -> None:
    for name in ("csv_cprofile", "docx_cprofile"):
        summary = profile[name]
        print(
            f"\n{name.split('_')[0].upper()} export: signon functions by cumulative time (cProfile):"
        )
        for row in summary["top_signon_cumulative"][:8]:
            print(
                f"  {row['cumulative_ms']:9.1f} ms  {row['cumulative_share']:6.1%}  {row['function']}"
            )
        shares = ", ".join(
            f"{row['package']} {row['share']:.0%}" for row in summary["own_time_by_package"][:5]
        )
        print(f"  own time by package: {shares}")


def parse(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__)
    parser.add_argument("--signatures", type=int, default=100_000, help="rows in the CSV")
    parser.add_argument("--listed", type=int, default=2_000, help="signatories in DOCX and PDF")
    parser.add_argument("--rounds", type=int, default=5, help="plain, signon CSV pairs (5)")
    parser.add_argument("--document-runs", type=int, default=3, help="DOCX and PDF runs (3)")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="skip profiling")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    return Settings(
        signatures=args.signatures,
        listed=args.listed,
        rounds=args.rounds,
        document_runs=args.document_runs,
        profile=args.profile,
        keep=args.keep,
    )


def main(argv: list[str] | None = None) -> int:
    settings = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="signon-bench-exports-"))
    before = machine()
    print(f"signon exports benchmark: {before['cpus']} CPUs, load {before['load_average']}")
    try:
        report = run(settings, workdir)
    finally:
        if not settings.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print_report(report)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.exports "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine_before": before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        **report,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"exports-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{report['seconds']} s; results in {path.relative_to(servers.ROOT)}")
    return 0 if report["check"]["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
