"""The demo data of every area, loaded in the one order that works (`flask seed-demo`, and the user-guide tests).

Each area (and each competitions sub-package) seeds only its own records, reading what the areas before it made.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from app.apprenticeships import demo as apprenticeships_demo
from app.certificates import demo as certificates_demo
from app.competitions.awards import demo as awards_demo
from app.competitions.events import demo as events_demo
from app.competitions.judging import demo as judging_demo
from app.competitions.registration import demo as registration_demo
from app.competitions.squads import demo as squads_demo
from app.core import demo as core_demo
from app.mentor_hours import demo as mentor_hours_demo
from app.training_bases import demo as training_bases_demo


def seed_all(today: date, now: datetime, people: int = 240) -> Iterator[str]:
    """Load each area's demo (idempotent) and yield what each loaded, area by area."""
    yield core_demo.seed(people=people)
    yield events_demo.seed(today)
    yield registration_demo.seed(today)  # entries for the city event
    yield judging_demo.seed(today)
    yield squads_demo.seed(today)  # after judging: the district event's locked results
    yield awards_demo.seed(today)
    yield training_bases_demo.seed(today)
    yield registration_demo.seed_reminders(now)  # every event's deadlines, one approval reminder due at once
    yield apprenticeships_demo.seed(today)
    yield mentor_hours_demo.seed(today)  # after the apprenticeships: hours of their classes
    yield certificates_demo.seed(today)  # after awards and apprenticeships: their certificates
