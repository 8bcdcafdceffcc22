"""The scheduler process: `flask scheduler run` (APScheduler BlockingScheduler: the reminders' tick, and the
refresh of the stored risk prompts every third of RISK_PROMPTS_MAX_AGE_SECONDS) and
`flask scheduler tick` (one tick now, for cron, tests and demos).

Never started inside create_app(): a scheduler per gunicorn worker would run every job once per worker.
Several scheduler processes may run (a spare on another host, a restart overlapping the old one); only
the holder of a lock acts — a session advisory lock on PostgreSQL, a file lock beside an SQLite database —
the others wait for it to be released (the lock goes with its holder, so a killed scheduler hands over
within one interval).
Whoever acts, claims use FOR UPDATE SKIP LOCKED and the deliveries' unique key, so even two acting
schedulers would not send twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import signal
from datetime import UTC
from typing import IO, Any

import click
import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import AppGroup

from app.core import clock
from app.extensions import db

log = logging.getLogger(__name__)

#: The advisory lock key: any fixed 64-bit number ("jntremnd" in ASCII).
ADVISORY_LOCK_KEY = 0x6A6E7472656D6E64 & 0x7FFFFFFFFFFFFFFF

scheduler_cli = AppGroup("scheduler", help="Send due reminders (the scheduler process).")


class Leadership:
    """Only one scheduler acts: the holder of a PostgreSQL advisory lock (on a connection of its own), or on
    SQLite — a file on this machine — of an exclusive lock on a file beside the database. Both locks go
    with the process: the kernel or the server drops them when it dies, however it dies."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.connection: sa.Connection | None = None
        self.lock_file: IO[bytes] | None = None

    def acting(self) -> bool:
        """True when this process may act now (it holds, or has just taken, the lock)."""
        if self.engine.dialect.name == "sqlite":
            return self._file_lock()
        try:
            if self.connection is not None:
                self.connection.execute(sa.text("SELECT 1"))  # still ours? a lost connection lost the lock
                return True
            connection = self.engine.connect()
            taken = connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"),
                                       {"key": ADVISORY_LOCK_KEY}).scalar()
            connection.commit()
            if taken:
                self.connection = connection
                log.info("reminder scheduler: this process now acts (advisory lock taken)")
                return True
            connection.close()
            return False
        except sa.exc.DBAPIError:
            self.release()
            return False

    def _file_lock(self) -> bool:
        if self.lock_file is not None:
            return True
        database = self.engine.url.database
        if not database or database == ":memory:":
            return True
        handle = open(f"{database}.scheduler-lock", "ab")  # noqa: SIM115 - held open for the lock's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self.lock_file = handle
        log.info("reminder scheduler: this process now acts (file lock taken)")
        return True

    def release(self) -> None:
        if self.lock_file is not None:
            self.lock_file.close()  # closing the file drops the lock
            self.lock_file = None
        if self.connection is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self.connection.invalidate()  # closing the session releases the lock
            self.connection = None


def tick_job(app: Flask, leadership: Leadership) -> None:
    """The one periodic job: if this process acts, do everything that is due."""
    from app.reminders.services import tick

    with app.app_context():
        if not leadership.acting():
            return
        try:
            result = tick()
        except sa.exc.DBAPIError:
            db.session.rollback()
            log.exception("reminder tick failed; the next tick starts again")
            return
        finally:
            db.session.remove()
        if result.work:
            log.info("reminder tick: %s", result)


def risk_refresh_job(app: Flask, leadership: Leadership) -> None:
    """The second job: if this process acts, find the risk prompts again (the desk then never waits)."""
    from app.core import risks

    with app.app_context():
        if not leadership.acting():
            return
        try:
            done = risks.refresh()
        except sa.exc.DBAPIError:
            db.session.rollback()
            log.exception("risk prompts refresh failed; the next run starts again")
            return
        finally:
            db.session.remove()
        log.info("risk prompts refreshed: %s", {k: v for k, v in done.items() if any(v)})


def risk_refresh_seconds(app: Flask) -> float:
    """A third of the desk's max age (at least a minute): stored prompts are refreshed well before stale."""
    return max(60.0, float(app.config["RISK_PROMPTS_MAX_AGE_SECONDS"]) / 3)


def build_scheduler(app: Flask, leadership: Leadership) -> BlockingScheduler:
    """A BlockingScheduler with two jobs: the reminders' tick, and the refresh of the stored risk prompts.

    ``misfire_grace_time=None``: a tick that is late (the process was suspended, the machine asleep, a
    long tick) still runs, however late — APScheduler's default (1 s) would silently drop it.
    ``coalesce=True``: several missed ticks run once, not in a burst (one tick catches up on everything).
    ``max_instances=1``: a tick never overlaps the previous one in the same process.
    """
    scheduler = BlockingScheduler(timezone=UTC)
    scheduler.add_job(tick_job, "interval", args=(app, leadership), id="reminders.tick",
                      seconds=app.config["REMINDER_INTERVAL_SECONDS"], next_run_time=clock.now(),
                      misfire_grace_time=None, coalesce=True, max_instances=1)
    scheduler.add_job(risk_refresh_job, "interval", args=(app, leadership), id="risks.refresh",
                      seconds=risk_refresh_seconds(app), next_run_time=clock.now(),
                      misfire_grace_time=None, coalesce=True, max_instances=1)
    return scheduler


@scheduler_cli.command("run")
def run() -> None:
    """Run the scheduler until Ctrl-C or SIGTERM (start one per deployment; spares only wait)."""
    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    leadership = Leadership(db.engine)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick
    scheduler = build_scheduler(app, leadership)

    def stop(signum: int, frame: object) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"reminder scheduler: ticking every {app.config['REMINDER_INTERVAL_SECONDS']} s (Ctrl-C stops)")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        leadership.release()


@scheduler_cli.command("tick")
def tick_once() -> None:
    """Do everything that is due now, once, and print what was done."""
    from app.reminders.services import tick

    click.echo(f"reminder tick: {tick()}")
