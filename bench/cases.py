"""The measured things, in the order they are printed.

A page is registered with ``@page(name)`` on a function that returns its URL (it may look up what it needs
in the database, e.g. a cursor 50,000 rows deep); the runner times the page through the WSGI app and, as
``<name>_sql``, the SQL that page sent, replayed straight on the engine. Anything that is not a page
(a service call, a scheduler tick) is registered with ``@timed(name)`` on a function returning the call to
time. Later areas add their cases in their own module under bench/ and import it at the bottom here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.core.pagination import encode_cursor
from app.extensions import db

#: The page's rows are on it (an empty list or the sign-in page must not be timed as a success).
PERSON_ROW = 'id="person-'
DEEP_ROWS = 50_000


@dataclass
class BenchContext:
    app: Flask
    client: FlaskClient  # signed in as the municipal official

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.app.app_context():
            return db.session.execute(sa.text(sql), params).scalar()

    def row(self, sql: str, **params: Any) -> sa.Row[Any] | None:
        with self.app.app_context():
            return db.session.execute(sa.text(sql), params).first()


@dataclass(frozen=True)
class PageCase:
    name: str
    url: Callable[[BenchContext], str]
    expect: str | None = PERSON_ROW
    sql_twin: bool = True
    #: One of issue 21's list pages: its p95 is held to at most 2 × its SQL twin's p95 + 5 ms
    #: (``bench.timing.latency_target``).
    list_page: bool = False


@dataclass(frozen=True)
class TimedCase:
    name: str
    make: Callable[[BenchContext], Callable[[], object]]
    #: At most this many timed runs (and one warm-up), whatever --requests says: for the heavy jobs.
    at_most: int | None = None
    #: Untimed runs first, at most (with ``at_most``): 0 when the bench data's making already ran the job.
    warmups: int = 1


REGISTRY: list[PageCase | TimedCase] = []


def page(name: str, *, expect: str | None = PERSON_ROW, sql_twin: bool = True, list_page: bool = False
         ) -> Callable[[Callable[[BenchContext], str]], Callable[[BenchContext], str]]:
    def register(url: Callable[[BenchContext], str]) -> Callable[[BenchContext], str]:
        REGISTRY.append(PageCase(name, url, expect, sql_twin, list_page))
        return url
    return register


Make = Callable[[BenchContext], Callable[[], object]]


def timed(name: str, *, at_most: int | None = None, warmups: int = 1) -> Callable[[Make], Make]:
    def register(make: Callable[[BenchContext], Callable[[], object]]
                 ) -> Callable[[BenchContext], Callable[[], object]]:
        REGISTRY.append(TimedCase(name, make, at_most, warmups))
        return make
    return register


def people_url(**args: str) -> str:
    return "/people" + (f"?{urlencode(args)}" if args else "")


# ---------------------------------------------------------------- the floor

@page("healthz", expect='"ok"')
def healthz(ctx: BenchContext) -> str:
    return "/healthz"


# ---------------------------------------------------------------- people (core)

NAME_PREFIX = "王"  # the commonest surname, about 7 % of people
NAME_RANGE = "name >= :low AND name < :high"
NAME_BOUNDS = {"low": NAME_PREFIX, "high": NAME_PREFIX + "\U0010ffff"}  # the app's prefix range


@page("people_first_page", list_page=True)
def people_first_page(ctx: BenchContext) -> str:
    return people_url()


@page("people_deep_page")
def people_deep_page(ctx: BenchContext) -> str:
    """The page after the row ~50,000 deep in the default (newest first) order."""
    total = ctx.scalar("SELECT count(*) FROM people")
    depth = min(DEEP_ROWS, total // 2)
    last_id = ctx.scalar("SELECT id FROM people ORDER BY id DESC LIMIT 1 OFFSET :skip", skip=depth - 1)
    return people_url(after=encode_cursor([last_id]))


@page("people_search_name", list_page=True)
def people_search_name(ctx: BenchContext) -> str:
    return people_url(q=NAME_PREFIX)


@page("people_search_name_deep")
def people_search_name_deep(ctx: BenchContext) -> str:
    """A name search paged far down: the cursor is (name, id) of a row in the middle of the "王" range."""
    matches = ctx.scalar(f"SELECT count(*) FROM people WHERE {NAME_RANGE}", **NAME_BOUNDS)
    depth = min(DEEP_ROWS, matches // 2)
    row = ctx.row(f"SELECT name, id FROM people WHERE {NAME_RANGE} ORDER BY name, id LIMIT 1 OFFSET :skip",
                  **NAME_BOUNDS, skip=depth - 1)
    assert row is not None, f"no people named {NAME_PREFIX}…"
    return people_url(q=NAME_PREFIX, after=encode_cursor([row.name, row.id]))


@page("people_search_id_tail")
def people_search_id_tail(ctx: BenchContext) -> str:
    tail = ctx.scalar("SELECT id_tail FROM people WHERE id = (SELECT (min(id) + max(id)) / 2 FROM people)")
    return people_url(q=tail)


def enterprise_prefix(ctx: BenchContext, length: int) -> str:
    """The first ``length`` characters of a mid-list enterprise named "上海…" (as a user would type)."""
    name = ctx.scalar("SELECT name FROM organisations WHERE kind = 'enterprise' AND name LIKE '上海%' "
                      "ORDER BY id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM organisations "
                      "WHERE kind = 'enterprise' AND name LIKE '上海%')")
    return str(name)[:length]


@page("people_filter_employer")
def people_filter_employer(ctx: BenchContext) -> str:
    """A company's own prefix ("上海申港"): the few enterprises of one brand."""
    return people_url(employer=enterprise_prefix(ctx, 4))


@page("people_filter_employer_broad")
def people_filter_employer_broad(ctx: BenchContext) -> str:
    """A three-character prefix ("上海申"): about 2 % of the enterprises (25 at 100,000 people, 220 at 1,000,000)."""
    return people_url(employer=enterprise_prefix(ctx, 3))


@page("people_filter_level")
def people_filter_level(ctx: BenchContext) -> str:
    return people_url(level="level2")


@page("people_search_name_level")
def people_search_name_level(ctx: BenchContext) -> str:
    return people_url(q=NAME_PREFIX, level="level2")


# ---------------------------------------------------------------- people: filters combined in the URL

@page("people_filter_employer_level")
def people_filter_employer_level(ctx: BenchContext) -> str:
    return people_url(employer=enterprise_prefix(ctx, 4), level="level5")


@page("people_search_name_employer")
def people_search_name_employer(ctx: BenchContext) -> str:
    return people_url(q=NAME_PREFIX, employer=enterprise_prefix(ctx, 3))


# Areas register their cases in their own modules (imported last, so they print after the people pages).
from bench import (  # noqa: E402,F401
    apprenticeships,
    competitions,
    judging,
    mentor_hours,
    supervision,
    training_bases,
)
