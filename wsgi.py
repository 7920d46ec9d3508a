"""Entry point for gunicorn: `gunicorn -c gunicorn.conf.py wsgi:app`."""

import sys

from gunicorn.arbiter import Arbiter

from signon import create_app
from signon.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # One line, not a traceback; and the exit status gunicorn reads as "App failed to load", so it
    # stops instead of starting worker after worker, whether the master loads the app
    # (preload_app) or each worker does.
    print(f"Error: {error}", file=sys.stderr, flush=True)
    raise SystemExit(Arbiter.APP_LOAD_ERROR) from None
