from decimal import Decimal

from app.competitions.squads.rules import proposed_continuers


def test_the_best_scores_go_through_up_to_the_advance_count():
    scores = {1: Decimal("88"), 2: Decimal("91.5"), 3: Decimal("70"), 4: Decimal("85")}
    assert proposed_continuers(scores, 2) == {1, 2}


def test_everyone_tied_at_the_cut_goes_through_too():
    scores = {1: Decimal("90"), 2: Decimal("80"), 3: Decimal("80"), 4: Decimal("60")}
    assert proposed_continuers(scores, 2) == {1, 2, 3}


def test_a_stage_with_no_more_members_than_places_keeps_them_all():
    assert proposed_continuers({1: Decimal("50"), 2: Decimal("40")}, 3) == {1, 2}
