"""Prometheus metrics: request latency, signatures by state, the outbox and mail delivery failures."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Iterator
from typing import Any

import flask
import sqlalchemy as sa
from flask import request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from signon import logs
from signon.config import ConfigError
from signon.extensions import db
from signon.models import OutboxMessage, OutboxStatus, Signature, SignatureStatus, utcnow

REQUEST_SECONDS = Histogram(
    "signon_request_duration_seconds",
    "Time to answer a request, by endpoint (the route's name), method and status class.",
    ["endpoint", "method", "status"],
)
MAIL_DELIVERY_FAILURES = Counter(
    "signon_mail_delivery_failures",
    "Failed email deliveries: kind=retry (tried again later) or kind=failed (given up).",
    ["kind"],
)
for _kind in ("retry", "failed"):  # shown from 0, so that a rate can be taken from the start
    MAIL_DELIVERY_FAILURES.labels(kind=_kind)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def count_delivery_failure(*, given_up: bool) -> None:
    """One failed delivery of one email, whichever process delivered it."""
    MAIL_DELIVERY_FAILURES.labels(kind="failed" if given_up else "retry").inc()


def multiprocess_dir() -> str | None:
    """Set under gunicorn with several workers: each process writes its metrics there."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's hook (in gunicorn.conf.py): tidy up after a worker exits; its counts stay."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(worker.pid)


def allowed_networks(
    setting: str | Iterable[str],
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """SIGNON_METRICS_ALLOW: addresses and networks, comma-separated (or a JSON list)."""
    items = setting.split(",") if isinstance(setting, str) else setting
    try:
        return [ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip()]
    except ValueError as error:
        raise ConfigError(f"SIGNON_METRICS_ALLOW: {error}") from None


def is_allowed(address: str | None, networks: list[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    candidates = [ip] + ([ip.ipv4_mapped] if ip.version == 6 and ip.ipv4_mapped else [])
    return any(candidate in network for candidate in candidates for network in networks)


class DatabaseCollector(Collector):
    """Counts read from the database when Prometheus scrapes: never per letter, never personal."""

    def collect(self) -> Iterator[Metric]:
        yield self._signatures()
        yield from self._outbox()

    def _signatures(self) -> Metric:
        family = GaugeMetricFamily(
            "signon_signatures", "Signatures in each state, all letters together.", labels=["state"]
        )
        rows = db.session.execute(
            sa.select(Signature.status, sa.func.count()).group_by(Signature.status)
        )
        counts = {str(status): int(count) for status, count in rows}
        for state in SignatureStatus:
            family.add_metric([state.value], counts.get(state.value, 0))
        return family

    def _outbox(self) -> Iterator[Metric]:
        now = utcnow()
        rows = db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count())
            .where(OutboxMessage.status != OutboxStatus.SENT)
            .group_by(OutboxMessage.status)
        )
        counts = {str(status): int(count) for status, count in rows}
        oldest_due = db.session.execute(
            sa.select(sa.func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now
            )
        ).scalar()
        yield GaugeMetricFamily(
            "signon_outbox_pending_messages",
            "Emails not yet delivered (waiting or being sent).",
            value=counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0),
        )
        yield GaugeMetricFamily(
            "signon_outbox_failed_messages",
            "Emails given up on (refused for good, or out of attempts).",
            value=counts.get(OutboxStatus.DEAD, 0),
        )
        yield GaugeMetricFamily(
            "signon_outbox_oldest_due_age_seconds",
            "How long the oldest email that is due has been waiting; 0 when none is.",
            value=max((now - oldest_due).total_seconds(), 0.0) if oldest_due else 0.0,
        )


class _ThisProcess(Collector):
    """The metrics this process keeps (one process: no gunicorn workers to add up)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def exposition() -> bytes:
    """The text format for one scrape: the processes' metrics and the database's counts."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector())
    return generate_latest(registry)


def _observe(response: flask.Response) -> flask.Response:
    endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
    method = request.method if request.method in _METHODS else "other"
    status = f"{response.status_code // 100}xx"
    REQUEST_SECONDS.labels(endpoint, method, status).observe(logs.elapsed_seconds())
    return response


def register(app: flask.Flask) -> None:
    """Time every request; only called when SIGNON_METRICS_ENABLED is on."""
    app.extensions["signon.metrics_allow"] = allowed_networks(app.config["METRICS_ALLOW"])
    app.after_request(_observe)
