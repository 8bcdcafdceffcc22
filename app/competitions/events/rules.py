"""Pure rules of events: the WorldSkills age limit an event sets. No Flask, no DB."""

from __future__ import annotations

from datetime import date


def worldskills_cutoff(competition_year: int, max_age: int = 22) -> date:
    """Oldest allowed birth date: "not older than ``max_age`` in the calendar year of the competition"."""
    return date(competition_year - max_age, 1, 1)
