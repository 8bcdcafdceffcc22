"""Domain events one area announces and another acts on, so neither imports the other.

``results_changed``: an event's results were locked again after an unlock and some changed; sent with
``event``, ``result_ids`` (the changed ones), ``actor`` and ``now``, inside the judging transaction.
``award_line_withdrawn``: an approved award line was withdrawn; sent with ``line``, ``reason``, ``actor``, ``now``.
``organisation_changed``: an organisation was edited; sent with the organisation (changed, not yet flushed) and
``district`` / ``name`` (what they were before), inside the editing transaction (the competitions' medal tallies
keep each unit's district and name).
Receivers add their writes to the same transaction (the sender commits).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

results_changed = _signals.signal("results-changed")
award_line_withdrawn = _signals.signal("award-line-withdrawn")
organisation_changed = _signals.signal("organisation-changed")
