"""Real faults for tests: a TCP proxy on loopback in front of a real server, which a test cuts
(every connection dropped, new ones refused) and restores, as when a server dies or fails over."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


def _drop(sock: socket.socket) -> None:
    """Close a connection at once; shutdown first, so a thread blocked reading it wakes up."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to target_host:target_port until cut()."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._cut = False
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        self._start(self._accept_loop)

    def cut(self) -> None:
        """Drop every open connection; new ones are accepted and dropped at once."""
        with self._lock:
            self._cut = True
            dropping, self._open = self._open, set()
        for sock in dropping:
            _drop(sock)

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def close(self) -> None:
        self._closed.set()
        self.cut()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        client.settimeout(None)
        upstream: socket.socket | None = None
        if not self._cut:
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                upstream = None
        with self._lock:
            accepted = upstream is not None and not self._cut
            if accepted:
                self._open.update((client, upstream))  # type: ignore[arg-type]
        if not accepted or upstream is None:
            _drop(client)
            if upstream is not None:
                _drop(upstream)
            return
        self._start(self._pump, client, upstream)
        self._start(self._pump, upstream, client)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        with self._lock:
            mine = source in self._open
            self._open.discard(source)
            self._open.discard(sink)
        if mine:
            _drop(source)
            _drop(sink)
