"""Pure rules of certificates and prize-money accounts: codes, masked names, card numbers."""

from __future__ import annotations

import pytest

from app.certificates import rules
from app.core import rules as core_rules


def test_a_code_is_80_random_bits_in_16_base32_characters():
    codes = {rules.new_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) == 16 and rules.looks_like_code(c) for c in codes)
    assert rules.CODE_BYTES * 8 >= 80


def test_a_typed_or_grouped_code_is_read_back():
    code = rules.new_code()
    assert rules.normalise_code(rules.grouped(code).lower()) == code
    assert rules.normalise_code(" " + code[:8] + " " + code[8:]) == code
    assert not rules.looks_like_code("ABCDEFGHIJKLMNO1")  # 1 is not a base-32 digit


@pytest.mark.parametrize(("name", "masked"), [("张三华", "张*华"), ("李四", "李*"), ("欧阳振华", "欧**华"),
                                              ("王", "王"), (" 赵六 ", "赵*")])
def test_names_are_masked_keeping_the_first_and_last_character(name, masked):
    assert rules.mask_name(name) == masked


def test_card_numbers_are_luhn_checked_and_masked():
    assert core_rules.check_card_number("6222 0212 3456 7890 128") == "6222021234567890128"
    for raw, reason in [("6222021234567890123", "check"), ("62220", "length"), ("6222-02x", "digits")]:
        with pytest.raises(core_rules.CardNumberError) as info:
            core_rules.check_card_number(raw)
        assert info.value.reason == reason
    assert core_rules.mask_card_number("6222021234567890128") == "6222 **** **** 0128"
