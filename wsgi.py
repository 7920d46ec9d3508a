"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from signon import create_app

app = create_app()
