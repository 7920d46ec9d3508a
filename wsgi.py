"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from signon import create_app
from signon.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # gunicorn prints an AppImportError as one line and stops, instead of a traceback per worker.
    from gunicorn.errors import AppImportError

    raise AppImportError(f"Error: {error}") from None
