"""Domain events of competitions and events, for the other sub-packages to subscribe to (blinker signals).

``year_changed`` is sent by ``services.update_competition`` when a competition moves to another year, inside the
writing transaction, with the competition as sender and ``before`` / ``after`` (the years). The judging
sub-package's medal tallies (``app/competitions/judging/tallies.py``) subscribe to it.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

year_changed = _signals.signal("competitions.year-changed")
