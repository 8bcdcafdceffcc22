from datetime import date

import pytest

from app.core import rules
from app.core.enums import DocType, Sex, SkillLevel
from app.core.pagination import decode_cursor, encode_cursor

VALID_ID = "11010519491231002X"  # GB 11643's own worked example


def test_resident_id_yields_birth_date_and_sex():
    facts = rules.check_id_number(DocType.RIC, "110105 19491231 002x")
    assert facts.number == VALID_ID
    assert facts.birth_date == date(1949, 12, 31)
    assert facts.sex is Sex.FEMALE


def test_resident_id_with_wrong_check_digit_is_refused():
    with pytest.raises(rules.RuleError) as err:
        rules.check_id_number(DocType.RIC, "110105194912310021")
    assert err.value.code == "id_checksum"


@pytest.mark.parametrize("number, code", [("11010519491231002", "id_length"), ("", "id_required"),
                                          ("110105194913310021", "id_date")])
def test_resident_id_shape_errors_are_named(number, code):
    with pytest.raises(rules.RuleError) as err:
        rules.check_id_number(DocType.RIC, number)
    assert err.value.code == code


def test_the_normal_form_is_nfkc_without_spaces_in_upper_case():
    full_width = "１１０１０５　１９４９１２３１－００２ｘ"
    assert rules.normalise_id_number(full_width) == VALID_ID
    assert rules.check_id_number(DocType.RIC, full_width).number == VALID_ID


def _checked(body17: str) -> str:
    from stdnum.cn import ric

    return body17 + ric.calc_check_digit(body17 + "0")


@pytest.mark.parametrize("number, code", [
    ("110105491231002", "id_15_digits"),
    (_checked("11010519490229002"), "id_date"),  # 1949 was no leap year
    (_checked("99000019491231002"), "id_region"),
    (_checked("11010520270101002"), "id_birth_future"),
    (_checked("11010520150101002"), "id_age"),  # 11 years old
    (_checked("11010519200101002"), "id_age"),  # 106 years old
    ("11010519491231002Y", "id_format"),
])
def test_resident_id_rule_with_today(number, code):
    with pytest.raises(rules.RuleError) as err:
        rules.check_id_number(DocType.RIC, number, today=date(2026, 12, 4))
    assert err.value.code == code


def test_a_sixteen_year_old_may_work_a_day_younger_may_not():
    number = _checked("11010520101204002")
    assert rules.check_id_number(DocType.RIC, number, today=date(2026, 12, 4)).birth_date == date(2010, 12, 4)
    with pytest.raises(rules.RuleError):
        rules.check_id_number(DocType.RIC, number, today=date(2026, 12, 3))


def test_passport_numbers_are_accepted_without_derived_facts():
    facts = rules.check_id_number(DocType.PASSPORT, "e12345678")
    assert facts.number == "E12345678" and facts.birth_date is None and facts.sex is None


def test_uscc_check_character_is_verified():
    from stdnum.cn import uscc

    body = "91310115MA1K3A2B1"
    good = body + uscc.calc_check_digit(body)
    assert rules.check_uscc(good.lower()) == good
    bad = body + ("0" if good[-1] != "0" else "1")
    with pytest.raises(rules.RuleError) as err:
        rules.check_uscc(bad)
    assert err.value.code == "uscc_checksum"


@pytest.mark.parametrize("raw, expected", [("138 1234 5678", "13812345678"), ("+8613812345678", "13812345678")])
def test_mobile_numbers_are_normalised(raw, expected):
    assert rules.check_mobile(raw) == expected


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "021-12345678"])
def test_bad_mobile_numbers_are_refused(raw):
    with pytest.raises(rules.RuleError):
        rules.check_mobile(raw)


def test_masks_show_only_the_ends():
    assert rules.mask_id_number("310104199805170013") == "310*************13"
    assert rules.mask_phone("13812345678") == "138****5678"


def test_scrub_masks_ids_and_phones_inside_free_text():
    text = "looked up 310104199805170013 and 11010519491231002X, phone 13812345678, order 12345"
    assert rules.scrub(text) == "looked up 310*************13 and 110*************2X, phone 138****5678, order 12345"


def test_id_tail_search_recognises_four_characters():
    assert rules.looks_like_id_tail("002X") and rules.looks_like_id_tail("1234")
    assert not rules.looks_like_id_tail("王") and not rules.looks_like_id_tail("12345")


def test_ladder_promotes_one_rung_and_stops_at_the_top():
    assert rules.next_level(None) is SkillLevel.LEVEL_5
    assert rules.next_level(SkillLevel.LEVEL_3) is SkillLevel.LEVEL_2
    assert rules.next_level(SkillLevel.CHIEF) is SkillLevel.CHIEF
    assert rules.highest_level([SkillLevel.LEVEL_4, SkillLevel.LEVEL_2, SkillLevel.LEVEL_5]) is SkillLevel.LEVEL_2


def test_keyset_cursor_round_trips_and_rejects_garbage():
    cursor = encode_cursor(["王芳", 42])
    assert decode_cursor(cursor, 2) == ["王芳", 42]
    assert decode_cursor("not-a-cursor!!", 2) is None
    assert decode_cursor(cursor, 1) is None


def test_other_documents_are_masked_harder():
    assert rules.mask_id_number("E12345678") == "E******78"
    assert rules.mask_id_number("H1234567890") == "H********90"
