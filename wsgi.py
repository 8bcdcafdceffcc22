"""WSGI entry point: `gunicorn wsgi:app`."""

import gc
import os

from app import create_app

# A gunicorn worker never migrates: Flask-Migrate (with Alembic, ~11 MB of each worker) is set up only when this
# module serves the `flask` command (`flask --app wsgi.py db upgrade`, which sets FLASK_RUN_FROM_CLI).
app = create_app({"MIGRATIONS": os.environ.get("FLASK_RUN_FROM_CLI") == "true"})
# The app's ~100k long-lived objects (modules, SQLAlchemy and Jinja structures) never need collecting;
# freezing them keeps full collections from pausing requests (see bench/README.md, finding 6).
gc.freeze()
