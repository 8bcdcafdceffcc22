"""Domain events the competitions area raises, for other areas to subscribe to (blinker signals).

``places_changed`` is sent by every service that makes a registration take or give back a place (entering,
re-entering, review decisions, withdrawal, the Excel import, confirming qualifiers, the demo data), inside the
writing transaction, with the net change per (event, entering unit). Supervision's tallies subscribe to it; a
write made around the services (raw SQL, a bulk load) is followed by ``flask supervision rebuild-tallies``.
"""

from __future__ import annotations

from collections.abc import Iterable

from blinker import Namespace

from app.competitions.registration.models import Registration, RegistrationStatus

_signals = Namespace()

#: Sent with ``deltas={(event_id, unit_id): n}`` (n ≠ 0: places taken, negative when given back).
places_changed = _signals.signal("competitions.places-changed")

Place = tuple[int, int]


def place_of(registration: Registration) -> Place | None:
    """The (event, unit) place the registration holds, None when it holds none (a new row counts as submitted)."""
    status = registration.status or RegistrationStatus.SUBMITTED
    if not status.holds_a_place or registration.event_id is None or registration.unit_id is None:
        return None
    return registration.event_id, registration.unit_id


def announce(moves: Iterable[tuple[Place | None, Place | None]]) -> None:
    """Send ``places_changed`` for registrations that went from one place (or none) to another (or none)."""
    deltas: dict[Place, int] = {}
    for before, after in moves:
        if before is not None:
            deltas[before] = deltas.get(before, 0) - 1
        if after is not None:
            deltas[after] = deltas.get(after, 0) + 1
    deltas = {place: n for place, n in deltas.items() if n}
    if deltas:
        places_changed.send("competitions", deltas=deltas)
