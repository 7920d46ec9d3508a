"""Real faults for tests: a TCP proxy a test cuts and restores, a mail server that accepts and never
answers, a slow or hooked SMTP server, and `signon send-mail` worker processes to kill."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from signon import ROOT
from tests.conftest import Mailbox, free_port

SECRET_KEY = "worker-test-secret-key-with-at-least-32-characters"


def wait_until(condition: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    """Poll until the condition holds; fail after a generous timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or condition}")


# --- Network ----------------------------------------------------------------------------------


class TcpProxy:
    """Relays 127.0.0.1:port to a server. cut() drops every open connection and refuses new ones,
    as a crashed server or a broken network does; restore() listens again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.accepted = 0
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        if self._listener is not None:
            return  # already relaying
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            _shut(listener)
        with self._lock:
            open_sockets, self._open = self._open, set()
        for sock in open_sockets:
            _shut(sock)

    def close(self) -> None:
        self.cut()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self.accepted += 1
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _shut(source)
            _shut(sink)
            with self._lock:
                self._open -= {source, sink}


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@contextmanager
def tcp_proxy(host: str, port: int) -> Iterator[TcpProxy]:
    proxy = TcpProxy(host, port)
    try:
        yield proxy
    finally:
        proxy.close()


@contextmanager
def hung_server() -> Iterator[int]:
    """A port that accepts connections and then never says a word (a hung mail server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []

    def hold() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=hold, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        _shut(listener)
        for connection in held:
            connection.close()


def via_proxy(database_uri: str, proxy: TcpProxy) -> str:
    """The same database URL, reached through the proxy."""
    url = sa.engine.make_url(database_uri).set(host="127.0.0.1", port=proxy.port)
    return url.render_as_string(hide_password=False)


# --- SMTP -------------------------------------------------------------------------------------


class SlowMailbox(Mailbox):
    """A mailbox that takes `delay` seconds to accept each message and may run a hook first (in
    the server's thread, before it answers the client)."""

    def __init__(
        self, delay: float = 0.0, before_accepting: Callable[[int], None] | None = None
    ) -> None:
        super().__init__()
        self.delay = delay
        self.before_accepting = before_accepting

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.before_accepting is not None:
            await asyncio.get_running_loop().run_in_executor(
                None, self.before_accepting, len(self.messages) + 1
            )
        return await super().handle_DATA(server, session, envelope)

    def recipients(self) -> list[str]:
        with self.lock:
            return [str(message["To"]) for message in self.messages]


class Refuser:
    """A mail server that refuses every recipient for good."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "550 5.1.1 No such user here"


@contextmanager
def mail_server(handler: Any) -> Iterator[Controller]:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


# --- Worker processes -------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    """A `signon send-mail` process in production mode, its output in a file."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, as when the machine or the OOM killer stops it."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM, as a service manager stops it; returns the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def worker_env(database_uri: str, smtp_port: int, **settings: object) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SIGNON_", "FLASK_")) and key != "DATABASE_URL"
    }
    env |= {
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "SIGNON_SECRET_KEY": SECRET_KEY,
        "SIGNON_SQLALCHEMY_DATABASE_URI": database_uri,
        "SIGNON_BASE_URL": "https://signon.example",
        "SIGNON_MAIL_SERVER": "127.0.0.1",
        "SIGNON_MAIL_PORT": str(smtp_port),
        "SIGNON_MAIL_DEFAULT_SENDER": "signon <letters@signon.example>",
    }
    env |= {f"SIGNON_{key}": str(value) for key, value in settings.items()}
    return env


class Workers:
    """Starts worker processes for a test and makes sure none outlives it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[WorkerProcess] = []

    def start(
        self, database_uri: str, smtp_port: int, *args: str, **settings: object
    ) -> WorkerProcess:
        log = self.directory / f"worker-{len(self.started) + 1}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-c", "from signon.cli import main; main()", "send-mail", *args],
                cwd=ROOT,
                env=worker_env(database_uri, smtp_port, **settings),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(process, log)
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.alive():
                worker.kill()
