"""HTTP load from client threads, each a browser-like client with its own connection and cookies."""

from __future__ import annotations

import http.client
import itertools
import re
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

HOST = "127.0.0.1"
HIDDEN_INPUT = re.compile(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"')


@dataclass
class Reply:
    status: int
    location: str
    body: bytes


class Client:
    """One simulated browser: an http.client connection (reopened after `Connection: close`) and the
    cookies the server set."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Reply:
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return Reply(response.status, response.getheader("Location", ""), data)

    def close(self) -> None:
        self.connection.close()


Action = Callable[[], Reply]
Session = Callable[[Client], Action]
Check = Callable[[Reply], bool]


def hidden_fields(html: bytes) -> dict[str, str]:
    """The hidden inputs of a page (CSRF token, text version), as a browser would send them."""
    return dict(HIDDEN_INPUT.findall(html.decode()))


def signer_form(number: int, domain: str, hidden: dict[str, str]) -> dict[str, str]:
    """The sign form as a person fills it in, with an email and organization unique to `number`."""
    return {
        **hidden,
        "organization": f"Bench Organization {number}",
        "category": "National organizations",
        "website": "bench.example",
        "city": "Chicago",
        "region": "IL",
        "country": "USA",
        "name": f"Bench Signer {number}",
        "title": "Director",
        "email": f"signer{number}@{domain}",
        "authorized": "y",
        "note": "",
    }


def sign_session(slug: str, domain: str, numbers: itertools.count[int]) -> Session:
    """GET the letter once for the session cookie and CSRF token, then POST the form repeatedly."""
    path = f"/letters/{slug}"

    def start(client: Client) -> Action:
        page = client.request("GET", path)
        if page.status != 200:
            raise RuntimeError(f"GET {path} answered {page.status}")
        hidden = hidden_fields(page.body)
        if "csrf_token" not in hidden or "version" not in hidden:
            raise RuntimeError(f"GET {path} has no csrf_token or version field")
        return lambda: client.request("POST", path, signer_form(next(numbers), domain, hidden))

    return start


def post_session(path: str, domain: str, numbers: itertools.count[int]) -> Session:
    """POST the same form fields (with placeholder hidden values) without fetching a page first."""
    hidden = {"csrf_token": "x" * 91, "version": "1"}

    def start(client: Client) -> Action:
        return lambda: client.request("POST", path, signer_form(next(numbers), domain, hidden))

    return start


def get_session(path: str) -> Session:
    def start(client: Client) -> Action:
        return lambda: client.request("GET", path)

    return start


def redirected(reply: Reply) -> bool:
    return reply.status == 303


def ok(reply: Reply) -> bool:
    return reply.status == 200


@dataclass
class Measurement:
    label: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    response_bytes: int = 0
    first_error: str = ""
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: float | None = None

    @property
    def server_cpu_ms_per_request(self) -> float | None:
        if self.server_cpu_seconds is None or not self.requests:
            return None
        return self.server_cpu_seconds * 1000 / self.requests

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, object]:
        latencies = sorted(self.latencies_ms)
        return {
            "label": self.label,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "req_per_s": round(self.rate, 1),
            "latency_ms_p50": round(statistics.median(latencies), 2) if latencies else None,
            "latency_ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))], 2)
            if latencies
            else None,
            "response_bytes": self.response_bytes,
            "server_cpu_ms_per_request": _round(self.server_cpu_ms_per_request, 3),
            "client_cpu_share_of_one_core": round(self.client_cpu_seconds / self.seconds, 2)
            if self.seconds > 0
            else None,
            "first_error": self.first_error,
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class _Worker:
    requests: int = 0
    errors: int = 0
    finished: float = 0.0
    latencies: list[float] = field(default_factory=list)
    response_bytes: int = 0
    first_error: str = ""
    setup_error: BaseException | None = None


def _drive(
    action: Action,
    check: Check,
    tickets: itertools.count[int],
    limit: int,
    stop: threading.Event,
    state: _Worker,
) -> None:
    while not stop.is_set() and next(tickets) < limit:
        began = time.perf_counter()
        try:
            reply = action()
        except (OSError, http.client.HTTPException) as error:
            state.errors += 1
            state.first_error = state.first_error or f"{type(error).__name__}: {error}"
            continue
        state.latencies.append((time.perf_counter() - began) * 1000)
        if check(reply):
            state.requests += 1
            state.response_bytes = len(reply.body)
        else:
            state.errors += 1
            state.first_error = state.first_error or f"HTTP {reply.status}: {reply.body[:200]!r}"
    state.finished = time.perf_counter()


def run_load(
    label: str,
    port: int,
    session: Session,
    check: Check,
    *,
    threads: int,
    duration: float,
    max_requests: int,
) -> Measurement:
    """Drive `threads` clients for `duration` seconds or `max_requests` requests, whichever first."""
    states = [_Worker() for _ in range(threads)]
    clients = [Client(port) for _ in range(threads)]
    ready = threading.Barrier(threads + 1)
    stop = threading.Event()
    tickets = itertools.count()

    def work(index: int) -> None:
        state = states[index]
        try:
            action = session(clients[index])
        except Exception as error:
            state.setup_error = error
            ready.wait()
            return
        ready.wait()
        _drive(action, check, tickets, max_requests, stop, state)

    pool = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    cpu_started = time.process_time()
    deadline = started + duration
    for thread in pool:
        thread.join(max(deadline - time.perf_counter(), 0))
    stop.set()
    for thread in pool:
        thread.join()
    client_cpu = time.process_time() - cpu_started
    for client in clients:
        client.close()
    failed = [s.setup_error for s in states if s.setup_error is not None]
    if failed:
        raise RuntimeError(f"{label}: a client could not start: {failed[0]}") from failed[0]
    finished = max(s.finished for s in states)
    return Measurement(
        label=label,
        requests=sum(s.requests for s in states),
        errors=sum(s.errors for s in states),
        seconds=finished - started,
        latencies_ms=[x for s in states for x in s.latencies],
        response_bytes=max(s.response_bytes for s in states),
        first_error=next((s.first_error for s in states if s.first_error), ""),
        client_cpu_seconds=client_cpu,
    )
