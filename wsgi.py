"""WSGI entry point: `gunicorn wsgi:app`."""

import gc

from app import create_app

app = create_app()
# The app's ~100k long-lived objects (modules, SQLAlchemy and Jinja structures) never need collecting;
# freezing them keeps full collections from pausing requests (see bench/README.md, finding 6).
gc.freeze()
