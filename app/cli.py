"""Command-line entry points: `flask seed-demo`."""

from __future__ import annotations

import click
from flask import Flask

from app.core import clock


def init_app(app: Flask) -> None:
    from app.reminders.scheduler import scheduler_cli

    app.cli.add_command(scheduler_cli)
    from app.core.risks import risks_cli

    app.cli.add_command(risks_cli)

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo data (idempotent: a second run adds nothing)."""
        if app.config["ENV_NAME"] == "production":
            raise click.ClickException("refusing to load demo accounts (known passwords) with APP_ENV=production")
        from zoneinfo import ZoneInfo

        from app.competitions.events import demo as competitions_demo
        from app.core import demo as core_demo

        click.echo(core_demo.seed())
        click.echo(competitions_demo.seed(clock.today(ZoneInfo(app.config["TZ"]))))
        from app.competitions.judging import demo as judging_demo

        click.echo(judging_demo.seed(clock.today(ZoneInfo(app.config["TZ"]))))
        from app.competitions.awards import demo as awards_demo

        click.echo(awards_demo.seed(clock.today(ZoneInfo(app.config["TZ"]))))
        from app.training_bases import demo as training_bases_demo

        click.echo(training_bases_demo.seed(clock.today(ZoneInfo(app.config["TZ"]))))
        from app.core.types import utcnow
        from app.reminders import demo as reminders_demo

        click.echo(reminders_demo.seed(utcnow()))
        from app.apprenticeships import demo as apprenticeships_demo

        click.echo(apprenticeships_demo.seed(clock.today(ZoneInfo(app.config["TZ"]))))
        from app.mentor_hours import demo as mentor_hours_demo  # after the apprenticeships: hours of their classes

        click.echo(mentor_hours_demo.seed(clock.today(ZoneInfo(app.config["TZ"]))))
