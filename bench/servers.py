"""The processes under test: gunicorn servers and an SMTP sink, started and stopped by pid."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
WORKERS = 2
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _process_tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid] + [p for child in children for p in _process_tree(int(child))]


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def check_running(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
            )

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the server process and its workers so far (Linux /proc only)."""
        try:
            return sum(_cpu_ticks(pid) for pid in _process_tree(self.process.pid)) / TICKS
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def clean_environment(extra: dict[str, str]) -> dict[str, str]:
    """The current environment without signon or Flask settings, plus `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SIGNON_", "FLASK_"))
        and key not in {"DATABASE_URL", "BENCH_DATABASE"}
    }
    env.update(extra)
    return env


def signon_command(*args: str) -> list[str]:
    """`signon ARGS` through the console script's own entry point, run with `cwd=ROOT` so the
    signon beside this bench/ is the one imported (the script in the virtualenv would take the
    editable install's path instead)."""
    entry = "import sys; from signon.cli import main; sys.argv[0] = 'signon'; sys.exit(main())"
    return [sys.executable, "-c", entry, *args]


def _spawn(name: str, command: list[str], env: dict[str, str], log_dir: Path, port: int) -> Server:
    log = log_dir / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, port, process, log)


def start_gunicorn(
    name: str,
    app: str,
    env: dict[str, str],
    log_dir: Path,
    port: int | None = None,
    *,
    config: Path | None = None,
    workers: int = WORKERS,
) -> Server:
    """`gunicorn -w 2 -b 127.0.0.1:PORT APP` with the default sync workers.

    Without `config`, with bench/gunicorn_plain.conf.py (empty): gunicorn would otherwise read the repository's
    gunicorn.conf.py (its cwd), whose production hooks expect signon's app, and both sides of a
    comparison run on gunicorn's defaults."""
    port = port or free_port()
    if config is None:
        config = Path(__file__).resolve().parent / "gunicorn_plain.conf.py"
    command = [
        str(BIN / "gunicorn"),
        "-c",
        str(config),
        "-w",
        str(workers),
        "-b",
        f"{HOST}:{port}",
        "--log-level",
        "warning",
        app,
    ]
    return _spawn(name, command, env, log_dir, port)


def start_signon(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> Server:
    """A long-running `signon ARGS` command (such as `send-mail`), its output in a log file."""
    return _spawn(name, signon_command(*args), env, log_dir, 0)


def start_smtp_sink(env: dict[str, str], log_dir: Path) -> Server:
    """aiosmtpd on loopback with its Sink handler, which accepts every message and keeps none."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "aiosmtpd",
        "-n",
        "-c",
        "aiosmtpd.handlers.Sink",
        "-l",
        f"{HOST}:{port}",
    ]
    return _spawn("smtp-sink", command, env, log_dir, port)


def wait_for_http(server: Server, path: str = "/", timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        server.check_running()
        try:
            connection = http.client.HTTPConnection(HOST, server.port, timeout=5)
            try:
                connection.request("GET", path)
                if connection.getresponse().status == 200:
                    return
            finally:
                connection.close()
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{server.name} did not answer on port {server.port}:\n{server.log_tail()}"
            )
        time.sleep(0.1)


def wait_for_smtp(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        server.check_running()
        try:
            with socket.create_connection((HOST, server.port), timeout=5) as connection:
                if connection.recv(3) == b"220":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{server.name} did not answer on port {server.port}:\n{server.log_tail()}"
            )
        time.sleep(0.1)
