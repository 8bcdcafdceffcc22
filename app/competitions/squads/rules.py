"""Pure rules of squads: who a stage assessment's scores put through. No Flask, no DB."""

from __future__ import annotations

from decimal import Decimal


def proposed_continuers(scores: dict[int, Decimal], advance_count: int) -> set[int]:
    """The members a stage's scores put through: the best ``advance_count``, everyone tied at the cut too."""
    ordered = sorted(scores.items(), key=lambda item: -item[1])
    if len(ordered) <= advance_count:
        return set(scores)
    cut = ordered[advance_count - 1][1]
    return {member for member, score in ordered if score >= cut}
