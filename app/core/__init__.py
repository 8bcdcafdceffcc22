"""What every area shares: people, organisations, users, the audit trail and the policy table."""

from flask import Blueprint

bp = Blueprint("core", __name__, template_folder="templates")

from app.core import labels, views  # noqa: E402,F401
