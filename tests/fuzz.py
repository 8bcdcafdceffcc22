"""The app's own route fuzzer: every rule of ``app.url_map``, as each demo role, with hostile values.

It loads the demo data, then, until its time or request budget is spent, picks a role, a route and a method,
fills the route's ids (real small ids, zero, negative, beyond 32 and 64 bits) and sends hostile values in
the query string and, for a POST (CSRF token included), in the form fields the app's forms and views read.
Any exception or HTTP 500 is a failure; the statuses seen are counted.

``tests/web/test_route_fuzz.py`` runs a bounded run in the suite; ``make fuzz`` a long one
(``FUZZ_REQUESTS``, ``FUZZ_SECONDS``).
"""

from __future__ import annotations

import random
import re
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from wtforms.fields.core import UnboundField

HOSTILE = [
    "", " ", "\r\n", "\t", "\x00", "a\r\nBcc: evil@example.com", "NaN", "nan", "Infinity", "-Infinity", "1e309",
    "-1", "0", "1", "2", "3", "1.5", "-0", "9" * 30, str(2**31), str(2**63), str(-(2**63) - 1), "１２", "²",
    "2026-13-45", "2026-02-30", "0000-00-00", "9999-12-31T25:61", "<script>alert(1)</script>", "' OR 1=1--",
    "%00", "../../etc/passwd", '=HYPERLINK("http://x","x")', "None", "null", "[]", "{}", "true", "a" * 5000,
    "😀" * 100, "310104199805170013", "draft", "approved", "paid", "M", "F", "zh_CN", "en", "advance",
]
INT_VALUES = [1, 2, 3, 4, 5, 7, 10, 20, 50, 0, -1, 2**31, 2**63, 10**30]
#: Writes that would end the fuzzing role's own session or touch credentials: left out (tested elsewhere).
SKIP_POST = {"auth.logout", "auth.login", "core.user_end_sessions"}
_ARG_RE = re.compile(r"request\.(?:form|args|values)\.get(?:list)?\(\s*[\"']([\w-]+)[\"']")


def field_names(app: Flask) -> list[str]:
    """The names the app reads from forms and query strings: its forms' fields and the views' .get(...)s."""
    from app.core.form_base import AppForm

    names: set[str] = set()
    pending = list(AppForm.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        names.update(n for n in dir(cls) if isinstance(getattr(cls, n, None), UnboundField))
    for path in Path(app.root_path).rglob("*.py"):
        names.update(_ARG_RE.findall(path.read_text(encoding="utf-8")))
    names.update(["after", "page", "q", "status", "year", "competition", "block", "next", "confirm", "token"])
    return sorted(names)


@dataclass
class Report:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    #: Seconds spent per endpoint (to see where a slow run goes).
    seconds: Counter = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def summary(self) -> str:
        shown = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items(), key=lambda kv: str(kv[0])))
        rate = self.requests / max(time.monotonic() - self.started, 1e-9)
        return f"{self.requests} requests ({rate:.0f}/s); statuses {shown}; {len(self.failures)} failures"

    def slowest(self, n: int = 10) -> str:
        spent, wall = sum(self.seconds.values()), time.monotonic() - self.started
        return (f"{spent:.0f} s of {wall:.0f} s in the app; slowest endpoints (s): "
                + ", ".join(f"{e} {s:.1f}" for e, s in self.seconds.most_common(n)))


def _no_fsync(app: Flask) -> None:
    """On SQLite, commit without waiting for the disk (a fuzz database is thrown away): on a loaded machine the
    fsync of each commit was a sixth of the run's time."""
    from app.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @sa.event.listens_for(engine, "connect")
        def _pragma(connection, _record) -> None:  # noqa: ANN001
            cursor = connection.cursor()
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.close()

        engine.dispose()  # connections already open were made without it


def seed_demo(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def _sign_in(client, username: str) -> None:
    """Sign in without the password (the fuzzer may change it): the session a sign-in would make."""
    from app.auth.sessions import session_token
    from app.core.models import User
    from app.extensions import db

    with client.application.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        user.active = True
        db.session.commit()
        token = session_token(user)
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True


def _csrf(client, signed_in: bool) -> str:
    from tests.conftest import CSRF_RE

    with client.application.app_context():
        html = client.get("/" if signed_in else "/login").get_data(as_text=True)
    match = CSRF_RE.search(html)
    return (match.group(1) or match.group(2)) if match else ""


def _url(rule, rng: random.Random) -> str | None:
    path = rule.rule
    for name, converter in rule._converters.items():  # noqa: SLF001 (werkzeug keeps them here)
        if type(converter).__name__.endswith("IntConverter") or "Integer" in type(converter).__name__:
            value = str(rng.choice(INT_VALUES))
        else:
            value = rng.choice(["x", "1", "demo", "..", "%0d%0a", "a" * 300, "中文", "draft"])
        path = re.sub(r"<(?:[^:<>]+:)?" + re.escape(name) + r">", value, path)
    return path


#: The production values of settings the test configuration sets for other tests' sake (the risk desk finding its
#: prompts again on every view, and waiting as long as that takes, was a tenth of a loaded run's time).
PRODUCTION_SHAPE = {"RISK_PROMPTS_MAX_AGE_SECONDS": 900.0, "RISK_PROMPTS_WAIT_SECONDS": 1.0}


def run(app: Flask, *, seconds: float, max_requests: int, seed: int = 1, progress: Path | None = None) -> Report:
    """Fuzz until ``seconds`` of CPU time have been spent or ``max_requests`` were sent, with the production's
    risk-desk settings."""
    saved = {key: app.config.get(key) for key in PRODUCTION_SHAPE}
    app.config.update(PRODUCTION_SHAPE)
    try:
        return _run(app, seconds=seconds, max_requests=max_requests, seed=seed, progress=progress)
    finally:
        app.config.update(saved)


def _run(app: Flask, *, seconds: float, max_requests: int, seed: int, progress: Path | None) -> Report:
    from app.core.demo import DEMO_USERS, PERSON_USER

    _no_fsync(app)
    rng = random.Random(seed)
    names = field_names(app)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    roles = [u[0] for u in DEMO_USERS] + [PERSON_USER[0], None]  # None: signed out
    clients = {}
    for role in roles:
        client = app.test_client()
        if role is not None:
            _sign_in(client, role)
        clients[role] = (client, _csrf(client, role is not None))
    report = Report()
    # The budget is this process's CPU time, not the wall clock: on a loaded machine (CI runs the suite's parts side
    # by side) the same budget still sends as many requests.
    deadline = time.process_time() + seconds
    while report.requests < max_requests and time.process_time() < deadline:
        role = rng.choice(roles)
        client, token = clients[role]
        rule = rng.choice(rules)
        methods = sorted((rule.methods or set()) & {"GET", "POST"})
        if not methods:
            continue
        method = rng.choice(methods)
        if method == "POST" and rule.endpoint in SKIP_POST:
            continue
        url = _url(rule, rng)
        query = {n: rng.choice(HOSTILE) for n in rng.sample(names, rng.randint(0, 3))}
        data = {n: rng.choice(HOSTILE) for n in rng.sample(names, rng.randint(0, 8))} if method == "POST" else None
        if data is not None and rng.random() < 0.95:
            data["csrf_token"] = token
        headers = {"HX-Request": "true"} if rng.random() < 0.3 else {}
        report.requests += 1
        sent = time.monotonic()
        try:
            response = client.open(url, method=method, query_string=query, data=data, headers=headers)
            status = response.status_code
            response.close()
        except Exception:  # noqa: BLE001 — every exception is a finding
            status = "exception"
            report.failures.append(f"{role} {method} {url} {query} {data and {k: v[:40] for k, v in data.items()}}\n"
                                   + traceback.format_exc(limit=-8))
        report.statuses[status] += 1
        report.seconds[rule.endpoint] += time.monotonic() - sent
        if status == 500:
            report.failures.append(f"{role} {method} {url} {query} {data}: HTTP 500")
        if role is not None and (status == 401 or (status == 302 and "/login" in response.headers.get("Location", ""))):
            _sign_in(client, role)  # the fuzz changed this account's password or ended its sessions
            clients[role] = (client, _csrf(client, role is not None))
        if progress is not None and report.requests % 1000 == 0:
            progress.write_text(report.summary() + "\n" + report.slowest() + "\n" + "\n\n".join(report.failures[:20]))
    if progress is not None:
        progress.write_text(report.summary() + "\n" + report.slowest() + "\n" + "\n\n".join(report.failures[:50]))
    return report
