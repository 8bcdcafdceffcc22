"""Command-line entry points: `flask seed-demo`, `flask users create-official`, `flask keys rotate`."""

from __future__ import annotations

import sys
from zoneinfo import ZoneInfo

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import force_locale

from app.core import clock
from app.core.bootstrap import MUNICIPAL_BUREAU_NAME
from app.core.bootstrap import create_official as create
from app.core.keys import rotate_all
from app.core.risks import risks_cli
from app.errors import DomainError
from app.reminders.scheduler import scheduler_cli


def init_app(app: Flask) -> None:
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(risks_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(keys_cli)

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo data (idempotent: a second run adds nothing)."""
        if app.config["ENV_NAME"] == "production":
            raise click.ClickException("refusing to load demo accounts (known passwords) with APP_ENV=production")
        # The demo data (every area's demo module) is imported by this command only, not by each web worker.
        from app.demo import seed_all

        for loaded in seed_all(clock.today(ZoneInfo(app.config["TZ"])), clock.now()):
            click.echo(loaded)


users_cli = AppGroup("users", help="Accounts made from the server's terminal.")


@users_cli.command("create-official")
@click.option("--username", required=True, help="the sign-in name")
@click.option("--name", "display_name", required=True, help="the name shown in the app, e.g. 陈主任")
@click.option("--email", default="", help="for reminder e-mails")
@click.option("--organisation", default="", help="the municipal bureau's name, if it has to be created")
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of standard input instead of asking twice")
def create_official(username: str, display_name: str, email: str, organisation: str, password_stdin: bool) -> None:
    """Create an official of the municipal bureau (the bureau too, if missing): the first account of a new site.

    The password is never an argument (it would stay in the shell history and the process list) and never logged.
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    try:
        with force_locale("en"):  # the terminal speaks English; the password rule's reason is translated
            user, bureau_created = create(username, display_name, password, email,
                                          organisation or MUNICIPAL_BUREAU_NAME)
    except DomainError as refused:
        raise click.ClickException(refused.message) from None
    if bureau_created:
        click.echo(f"created the organisation {user.organisation.name} (municipal bureau)")
    click.echo(f"created the official {user.username} of {user.organisation.name}: sign in at /login")


keys_cli = AppGroup("keys", help="Keys for personal data (new keys: deploy/new-key NAME).")


@keys_cli.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1),
              help="rows re-encrypted per transaction")
@click.option("--max-batches", type=click.IntRange(1), default=None,
              help="stop after this many batches (run again to go on)")
@click.option("--quiet", is_flag=True, help="only the summary")
def rotate_keys(batch_size: int, max_batches: int | None, quiet: bool) -> None:
    """Re-encrypt every stored personal value under the newest key (the first of PERSONAL_DATA_KEYS).

    Safe to stop and run again; when it reports "done", the older keys can be removed from PERSONAL_DATA_KEYS.
    """
    report = rotate_all(batch_size=batch_size, max_batches=max_batches,
                        progress=(lambda _line: None) if quiet else click.echo)
    for (table, column), (rotated, current) in report.columns.items():
        click.echo(f"{table}.{column}: {rotated} re-encrypted, {current} already under the newest key")
    if report.unfinished:
        click.echo(f"stopped after {report.batches} batches: run `flask keys rotate` again to go on")
    else:
        click.echo("done: every stored value is under the newest key; the older keys can now be removed")
