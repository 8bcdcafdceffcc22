"""Command-line entry points: `flask seed-demo`."""

from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo data (idempotent: a second run adds nothing)."""
        from app.core.demo import seed

        report = seed()
        click.echo(report)
