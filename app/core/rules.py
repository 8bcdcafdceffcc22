"""Pure rules about people and documents: validation, masking, the skill ladder. No Flask, no DB."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from stdnum import exceptions as stdnum_exceptions
from stdnum import luhn
from stdnum.cn import ric, uscc

from app.core.enums import DocType, Sex, SkillLevel


class RuleError(ValueError):
    """A rule was broken; ``code`` names which one so the caller can translate it."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class IdentityFacts:
    number: str
    birth_date: date | None
    sex: Sex | None


MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
OTHER_DOC_RE = re.compile(r"^[A-Z0-9]{5,20}$")


#: 劳动法: no one under 16 may be employed; nobody on the people roll is over 100 (a typo in the year).
MIN_WORKING_AGE = 16
MAX_AGE = 100


def normalise_id_number(raw: str) -> str:
    """The one normal form of a document number: Unicode NFKC (full-width digits and letters become ASCII),
    no spaces or hyphens, upper case (a trailing ``x`` becomes ``X``). Every lookup and every stored hash uses it."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s\-\u2010-\u2015\u2212]", "", text).upper()


def _age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def check_id_number(doc_type: DocType, raw: str, today: date | None = None) -> IdentityFacts:
    """Normalise, then validate a document number; for a 居民身份证 also derive birth date and sex (GB 11643).

    The 居民身份证 rule: 18 characters (an old 15-digit number is refused: 18 digits are needed), a correct
    check character, a real calendar date, a known region code, and — given ``today`` — a birth date not in
    the future and an age a worker can have (16–100).
    """
    number = normalise_id_number(raw)
    if not number:
        raise RuleError("id_required")
    if doc_type is DocType.RIC:
        if len(number) == 15 and number.isascii() and number.isdigit():
            raise RuleError("id_15_digits")
        if len(number) != 18:
            raise RuleError("id_length")
        if not (number.isascii() and number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
            raise RuleError("id_format")
        try:
            birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError as exc:
            raise RuleError("id_date") from exc
        if number[17] != ric.calc_check_digit(number):
            raise RuleError("id_checksum")
        try:
            ric.get_birth_place(number)
        except stdnum_exceptions.ValidationError as exc:
            raise RuleError("id_region") from exc
        if today is not None:
            if birth > today:
                raise RuleError("id_birth_future")
            if not MIN_WORKING_AGE <= _age_on(birth, today) <= MAX_AGE:
                raise RuleError("id_age")
        sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
        return IdentityFacts(number, birth, sex)
    if not OTHER_DOC_RE.match(number):
        raise RuleError("doc_invalid")
    return IdentityFacts(number, None, None)


def check_uscc(raw: str) -> str:
    """Validate a 统一社会信用代码 (GB 32100 check character) and return it compacted."""
    code = normalise_id_number(raw)
    if len(code) != 18:
        raise RuleError("uscc_length")
    try:
        uscc.validate(code)
    except stdnum_exceptions.InvalidChecksum as exc:
        raise RuleError("uscc_checksum") from exc
    except stdnum_exceptions.ValidationError as exc:
        raise RuleError("uscc_invalid") from exc
    return code


def check_mobile(raw: str) -> str:
    phone = re.sub(r"[\s-]", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not MOBILE_RE.match(phone):
        raise RuleError("phone_invalid")
    return phone


def mask_id_number(number: str) -> str:
    """310*************34 for an 18-character 身份证号; other documents (shorter, so each visible character
    says more) keep only their first and last two characters: E******78.

    A 身份证号 keeps its province/city prefix and its last two characters (the sex digit and the check character)
    only: with the birth year (all that a role without the reveal permission is shown), the month and day and
    two order digits stay hidden, so even with the district known thousands of numbers fit what is shown
    (tests/web/test_id_reconstruction.py counts them page by page).
    """
    if len(number) == 18:
        return number[:3] + "*" * 13 + number[-2:]
    if len(number) <= 3:
        return "*" * len(number)
    return number[0] + "*" * (len(number) - 3) + number[-2:]


def remask_id_number(masked: str) -> str:
    """Mask again a value masked by an older, more generous rule (kept 15–18): for audit rows written before."""
    if len(masked) == 18:
        return masked[:3] + "*" * 13 + masked[-2:]
    return masked


def mask_phone(phone: str) -> str:
    """138****5678."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def id_tail(number: str) -> str:
    return number[-4:]


ID_TAIL_RE = re.compile(r"^\d{3}[\dXx]$")


def looks_like_id_tail(text: str) -> bool:
    return bool(ID_TAIL_RE.match(text))


def highest_level(levels: list[SkillLevel]) -> SkillLevel | None:
    return max(levels, key=lambda lv: lv.rank) if levels else None


def next_level(level: SkillLevel | None) -> SkillLevel:
    """The next rung of the ladder ("promote one level"); the top rung stays where it is."""
    ladder = list(SkillLevel)
    if level is None:
        return SkillLevel.LEVEL_5
    return ladder[min(level.rank + 1, len(ladder) - 1)]


# A full ID number or mainland mobile anywhere in a text (used to scrub logs): wherever it stands — after a
# letter ("q=ABC3101…"), after an encoded "=" ("q%3D3101…", "%2B86138…") or inside a word; only a digit next
# to it makes it part of a longer number.
FULL_ID_RE = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[0-9Xx])(?!\d)")
FULL_PHONE_RE = re.compile(r"(?:(?<=\+86)|(?<=%2[Bb]86)|(?<=0086)|(?<!\d))(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def scrub(text: str) -> str:
    """Mask every full ID number and mobile number in free text."""
    text = FULL_ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return FULL_PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


# ---------------------------------------------------------------- bank card numbers (prize money)

class CardNumberError(ValueError):
    """A card number that cannot be right; ``reason`` is "digits", "length" or "check" (services translate it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_card_number(raw: str) -> str:
    """The number's digits, checked: 12–19 digits with a correct Luhn check digit (python-stdnum)."""
    digits = "".join(ch for ch in raw if ch not in " -")
    if not digits.isdigit():
        raise CardNumberError("digits")
    if not 12 <= len(digits) <= 19:
        raise CardNumberError("length")
    try:
        luhn.validate(digits)
    except stdnum_exceptions.ValidationError as exc:
        raise CardNumberError("check") from exc
    return digits


def mask_card_number(digits: str) -> str:
    """6222 **** **** 1234: the bank's prefix and the last four digits."""
    return f"{digits[:4]} **** **** {digits[-4:]}"
