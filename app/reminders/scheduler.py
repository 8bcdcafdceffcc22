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

Heavy jobs apart: the tick runs on a thread of its own (APScheduler's "default" executor), and the risk-prompt
refresh (~11 s of rules at a million rows) in a **child process** started from a second executor, so it never
holds the tick up — neither by the GIL (a CPU-bound thread would slow every sender's socket wake-up) nor by a
shared connection — and at a lower CPU priority (``REFRESH_NICENESS``).

SIGTERM (systemd stop, a deploy) and Ctrl-C: the tick's senders finish the message in hand, record it and
stop; the e-mails claimed but not tried are given back; the refresh child is terminated (its transaction rolls
back); the process exits within STOP_GRACE_SECONDS — nothing is sent twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import sys
import threading
import time
from datetime import UTC
from typing import IO, TYPE_CHECKING, Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from app.core import clock, risks
from app.extensions import db
from app.reminders.services import beat, tick

if TYPE_CHECKING:
    from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger(__name__)

#: The advisory lock key: any fixed 64-bit number ("jntremnd" in ASCII).
ADVISORY_LOCK_KEY = 0x6A6E7472656D6E64 & 0x7FFFFFFFFFFFFFFF
#: How much nicer than the scheduler the risk-prompt refresh child runs.
REFRESH_NICENESS = 10
#: After SIGTERM the process is gone within this (systemd's default stop timeout is 90 s; ours is 10 s).
STOP_GRACE_SECONDS = 8.0

scheduler_cli = AppGroup("scheduler", help="Send due reminders (the scheduler process).")


class Leadership:
    """Only one scheduler acts: the holder of a PostgreSQL advisory lock (on a connection of its own), or on
    SQLite — a file on this machine — of an exclusive lock on a file beside the database. Both locks go
    with the process: the kernel or the server drops them when it dies, however it dies.
    The two jobs ask from their own threads: one at a time (the lock's connection is not shared at once)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.connection: sa.Connection | None = None
        self.lock_file: IO[bytes] | None = None
        self.mutex = threading.Lock()

    def acting(self) -> bool:
        """True when this process may act now (it holds, or has just taken, the lock)."""
        with self.mutex:
            if self.engine.dialect.name == "sqlite":
                return self._file_lock()
            return self._advisory_lock()

    def _advisory_lock(self) -> bool:
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
            self._release()
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
        with self.mutex:
            self._release()

    def _release(self) -> None:
        if self.lock_file is not None:
            self.lock_file.close()  # closing the file drops the lock
            self.lock_file = None
        if self.connection is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                # Unlock first: the server ends a closed session (and drops its locks) a moment after the socket
                # closes, and another process asking in that moment would be refused.
                self.connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                self.connection.commit()
            with contextlib.suppress(sa.exc.DBAPIError):
                self.connection.invalidate()  # closing the session releases the lock in any case
            self.connection = None


def prepare_database(engine: sa.Engine) -> None:
    """SQLite: write-ahead logging, so the senders' one-row commits are cheap (no fsync each with
    ``synchronous = NORMAL``) and the web's readers never wait for the scheduler's writes. The mode is kept in
    the database file; switching needs a moment without other connections, so a failure is only logged."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    try:
        with engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode = WAL").scalar()
        if str(mode).lower() != "wal":
            log.warning("reminder scheduler: SQLite journal mode stays %s", mode)
    except sa.exc.DBAPIError:
        log.warning("reminder scheduler: could not switch SQLite to WAL", exc_info=True)


class Running:
    """Counts the jobs running now, so a stop can wait for them (at most a grace period)."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = threading.Condition()

    @contextlib.contextmanager
    def job(self) -> Any:
        with self.idle:
            self.count += 1
        try:
            yield
        finally:
            with self.idle:
                self.count -= 1
                self.idle.notify_all()

    def wait(self, seconds: float) -> bool:
        with self.idle:
            return self.idle.wait_for(lambda: self.count == 0, timeout=seconds)


def tick_job(app: Flask, leadership: Leadership, stop: threading.Event | None = None,
             running: Running | None = None) -> None:
    """The one periodic job: if this process acts, do everything that is due (a heartbeat before each round)."""
    host, pid = socket.gethostname(), os.getpid()
    with (running or Running()).job(), app.app_context():
        if (stop is not None and stop.is_set()) or not leadership.acting():
            return
        try:
            result = tick(stop=stop, heartbeat=lambda: beat(clock.now(), host, pid))
        except sa.exc.DBAPIError:
            db.session.rollback()
            log.exception("reminder tick failed; the next tick starts again")
            return
        finally:
            db.session.remove()
        if result.work:
            log.info("reminder tick: %s", result)


def risk_refresh_job(app: Flask, leadership: Leadership, stop: threading.Event | None = None,
                     running: Running | None = None) -> int | None:
    """The second job: if this process acts, find the risk prompts again — in a child process, which it waits
    for (terminating it on a stop). Returns the child's exit code (None: not this process's turn)."""
    stop = stop or threading.Event()
    with (running or Running()).job():
        with app.app_context():
            if stop.is_set() or not leadership.acting():
                return None
        child = multiprocessing.get_context("spawn").Process(
            target=refresh_in_child, args=(portable_config(app), os.getpid()), name="risk-refresh", daemon=True)
        child.start()
        while child.exitcode is None:
            child.join(timeout=0.2)
            if stop.is_set() and child.exitcode is None:
                child.terminate()  # its transaction rolls back; the next acting scheduler refreshes again
                child.join(timeout=STOP_GRACE_SECONDS / 2)
                break
        if child.exitcode:
            log.error("risk prompts refresh (child process) ended with exit code %s", child.exitcode)
        return child.exitcode


def portable_config(app: Flask) -> dict[str, Any]:
    """The app's configuration as a child process can receive it (what pickles)."""
    portable = {}
    for key, value in app.config.items():
        try:
            pickle.dumps(value)
        except Exception:  # noqa: BLE001, S112 - what does not pickle stays behind (the child rebuilds defaults)
            continue
        portable[key] = value
    return portable


def refresh_in_child(config: dict[str, Any], parent: int) -> None:
    """The risk-prompt refresh, in a process of its own: the app built again from the parent's configuration.
    It stops if its parent dies (a killed scheduler's child does not refresh on beside the next one's)."""
    # The factory is above every module (it registers this CLI): imported when the child process runs, not with
    # this module, which the factory itself loads.
    from app import create_app
    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(3)

    threading.Thread(target=orphaned, daemon=True, name="watch-parent").start()
    # Behind the tick for the CPU too: on a small machine the rules' seconds of Python would otherwise take turns
    # with the senders (the refresh is due within minutes; a reminder's tick within its second).
    with contextlib.suppress(OSError):
        os.nice(REFRESH_NICENESS)
    app = create_app(config)
    started = time.monotonic()
    with app.app_context():
        done = risks.refresh()
        db.session.remove()
    log.info("risk prompts refreshed in %.1f s: %s", time.monotonic() - started,
             {k: v for k, v in done.items() if any(v)})
    sys.stdout.flush()


def risk_refresh_seconds(app: Flask) -> float:
    """A third of the desk's max age (at least a minute): stored prompts are refreshed well before stale."""
    return max(60.0, float(app.config["RISK_PROMPTS_MAX_AGE_SECONDS"]) / 3)


def build_scheduler(app: Flask, leadership: Leadership, stop: threading.Event | None = None,
                    running: Running | None = None) -> BlockingScheduler:
    """A BlockingScheduler with two jobs, each on an executor of its own: the reminders' tick, and the refresh
    of the stored risk prompts (which waits for its child process there, never in the tick's way).

    ``misfire_grace_time=None``: a tick that is late (the process was suspended, the machine asleep, a
    long tick) still runs, however late — APScheduler's default (1 s) would silently drop it.
    ``coalesce=True``: several missed ticks run once, not in a burst (one tick catches up on everything).
    ``max_instances=1``: a tick never overlaps the previous one in the same process.
    """
    # Imported here, not with the module: create_app registers this CLI in every web worker, which never runs a
    # scheduler (APScheduler is ~14 MB of a worker's memory).
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    stop = stop or threading.Event()
    running = running or Running()
    scheduler = BlockingScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(1),
                                                           "heavy": ThreadPoolExecutor(1)})
    scheduler.add_job(tick_job, "interval", args=(app, leadership, stop, running), id="reminders.tick",
                      seconds=app.config["REMINDER_INTERVAL_SECONDS"], next_run_time=clock.now(),
                      misfire_grace_time=None, coalesce=True, max_instances=1)
    scheduler.add_job(risk_refresh_job, "interval", args=(app, leadership, stop, running), id="risks.refresh",
                      executor="heavy", seconds=risk_refresh_seconds(app), next_run_time=clock.now(),
                      misfire_grace_time=None, coalesce=True, max_instances=1)
    return scheduler


@scheduler_cli.command("run")
def run() -> None:
    """Run the scheduler until Ctrl-C or SIGTERM (start one per deployment; spares only wait)."""
    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    leadership = Leadership(db.engine)
    prepare_database(db.engine)
    # Not a line per tick, nor per tick skipped while a long one (a catch-up) still runs.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    stop, running = threading.Event(), Running()
    scheduler = build_scheduler(app, leadership, stop, running)

    def on_stop(signum: int, frame: object) -> None:
        if stop.is_set():  # a Ctrl-C reaches the process group and `make run` also sends SIGTERM: stop once
            return
        stop.set()
        # Not here: the handler runs on the main thread, possibly inside the scheduler's own loop (which would
        # then find its jobs gone). Another thread waits for the loop's lock and stops it between two rounds.
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": False}, name="scheduler-stop").start()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    click.echo(f"reminder scheduler: ticking every {app.config['REMINDER_INTERVAL_SECONDS']} s (Ctrl-C stops)")
    try:
        scheduler.start()
    finally:
        stop.set()
        finished = running.wait(STOP_GRACE_SECONDS)
        leadership.release()
        log.info("reminder scheduler: stopped (%s)", "jobs finished" if finished else "a job did not finish")
        if not finished:
            logging.shutdown()
            os._exit(1)  # the job threads would keep the interpreter alive past the stop timeout


@scheduler_cli.command("tick")
def tick_once() -> None:
    """Do everything that is due now, once, and print what was done."""
    click.echo(f"reminder tick: {tick()}")
