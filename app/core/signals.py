"""Domain events one area announces and another acts on, so neither imports the other.

``results_changed``: an event's results were locked again after an unlock and some changed; sent with
``event``, ``result_ids`` (the changed ones), ``actor`` and ``now``, inside the judging transaction.
``award_line_withdrawn``: an approved award line was withdrawn; sent with ``line``, ``reason``, ``actor``, ``now``.
Receivers add their writes to the same transaction (the sender commits).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

results_changed = _signals.signal("results-changed")
award_line_withdrawn = _signals.signal("award-line-withdrawn")
