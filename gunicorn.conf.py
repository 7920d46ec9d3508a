"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Settings given on the command line win over these (e.g. `-b 0.0.0.0:8000`, `-w 4`).
"""

from typing import Any

from signon import serving
from signon.metrics import child_exit  # noqa: F401 - hands an exited worker's metrics over

wsgi_app = "wsgi:app"

workers = serving.worker_count()  # WEB_CONCURRENCY, or 2 per CPU + 1, at most 8
timeout = 60  # a worker silent this long is restarted (large PDF exports take a few seconds)
graceful_timeout = 30  # on restart, requests under way get this long to finish
keepalive = 5

# Build the app once in the master: a settings error stops everything with one line before any
# worker starts, and the plain-http warning is logged once.
preload_app = True


def post_fork(server: Any, worker: Any) -> None:
    serving.forget_inherited_connections(server.app.wsgi())


# The app alone reads X-Forwarded-For and -Proto (ProxyFix, SIGNON_TRUSTED_PROXIES hops deep);
# gunicorn takes no scheme, path or script name from headers of its own accord.
forwarded_allow_ips = serving.forwarded_allow_ips()
secure_scheme_headers: dict[str, str] = {}
forwarder_headers = ""

accesslog = "-"
errorlog = "-"
access_log_format = serving.ACCESS_LOG_FORMAT
logger_class = "signon.serving.RedactingLogger"  # no confirm, withdraw or reset token in the log
