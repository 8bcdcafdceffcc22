"""The password rule, for every place a password is set (an official creating or editing an account, which is also
how a forgotten password is reset, and ``flask users create-official``).

A password is refused when it is shorter than ``MIN_LENGTH``, when it contains the account's username, name or
e-mail local part, or when zxcvbn (a well-kept strength estimator: common passwords, names, words, keyboard
patterns, repeats, sequences, dates, l33t substitutions) scores it below ``PASSWORD_MIN_SCORE`` (configuration,
default 3 of 4), with the account's own details given to zxcvbn as words an attacker would try first.
The refusal says why, in the user's language: zxcvbn's warning and suggestions are mapped to translated strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import DomainError

MIN_LENGTH = 10
#: zxcvbn's running time grows with the length; it only looks at this many characters (its own maximum).
ESTIMATED_LENGTH = 72
#: Details shorter than this are too common to refuse inside a password (a username "li", a name "王").
_MIN_DETAIL = 3

_SEPARATORS = re.compile(r"[\s._\-+]+")

#: zxcvbn's English feedback (feedback.py), in the app's languages.
_FEEDBACK = {
    "Straight rows of keys are easy to guess.": _l("键盘上连成一排的按键很容易被猜到。"),
    "Short keyboard patterns are easy to guess.": _l("简短的键盘图案很容易被猜到。"),
    'Repeats like "aaa" are easy to guess.': _l("“aaa”这样的重复很容易被猜到。"),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".':
        _l("“abcabcabc”这样的重复只比“abc”难猜一点点。"),
    'Sequences like "abc" or "6543" are easy to guess.': _l("“abc”或“6543”这样的序列很容易被猜到。"),
    "Recent years are easy to guess.": _l("最近的年份很容易被猜到。"),
    "Dates are often easy to guess.": _l("日期通常很容易被猜到。"),
    "This is a top-10 common password.": _l("这是最常用的 10 个密码之一。"),
    "This is a top-100 common password.": _l("这是最常用的 100 个密码之一。"),
    "This is a very common password.": _l("这是非常常用的密码。"),
    "This is similar to a commonly used password.": _l("这与常用密码很相似。"),
    "A word by itself is easy to guess.": _l("单独一个单词很容易被猜到。"),
    "Names and surnames by themselves are easy to guess.": _l("单独的名字或姓氏很容易被猜到。"),
    "Common names and surnames are easy to guess.": _l("常见的名字和姓氏很容易被猜到。"),
    "Use a few words, avoid common phrases.": _l("请使用几个单词组合，避免常见短语。"),
    "No need for symbols, digits, or uppercase letters.": _l("不必使用符号、数字或大写字母。"),
    "Add another word or two. Uncommon words are better.": _l("再加一两个单词，不常见的单词更好。"),
    "Use a longer keyboard pattern with more turns.": _l("请使用更长、转折更多的键盘图案。"),
    "Avoid repeated words and characters.": _l("避免重复的单词和字符。"),
    "Avoid sequences.": _l("避免连续的序列。"),
    "Avoid recent years.": _l("避免最近的年份。"),
    "Avoid years that are associated with you.": _l("避免与您相关的年份。"),
    "Avoid dates and years that are associated with you.": _l("避免与您相关的日期和年份。"),
    "Capitalization doesn't help very much.": _l("大写字母帮助不大。"),
    "All-uppercase is almost as easy to guess as all-lowercase.": _l("全部大写和全部小写几乎一样容易被猜到。"),
    "Reversed words aren't much harder to guess.": _l("倒写的单词并不难猜多少。"),
    "Predictable substitutions like '@' instead of 'a' don't help very much.":
        _l("用“@”代替“a”这类可预见的替换帮助不大。"),
}


def _details(username: str, display_name: str, email: str) -> list[str]:
    """The account's own words, lower-cased: its username, name and e-mail local part, each also without its
    separators ("zhang.wei" is also "zhangwei")."""
    local = email.strip().partition("@")[0] if "@" in email else ""
    words = [w.strip().lower() for w in (username, display_name, local) if w and w.strip()]
    joined = [_SEPARATORS.sub("", w) for w in words]
    return list(dict.fromkeys(words + [w for w in joined if w]))


def _parts(details: list[str]) -> list[str]:
    """Each detail's pieces too ("zhang.wei" gives "zhang" and "wei"), for zxcvbn to try."""
    return [part for word in details for part in _SEPARATORS.split(word) if part]


def password_problem(password: str, *, username: str = "", display_name: str = "", email: str = "",
                     min_score: int | None = None) -> str | None:
    """Why ``password`` is refused for this account (a translated sentence), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("密码至少10位")  # MIN_LENGTH
    details = _details(username, display_name, email)
    lowered = password.lower()
    if any(len(word) >= _MIN_DETAIL and word in lowered for word in details):
        return _("密码不能包含您的用户名、姓名或电子邮箱")
    if min_score is None:
        min_score = int(current_app.config.get("PASSWORD_MIN_SCORE", 3))
    from zxcvbn import zxcvbn  # its dictionaries are ~11 MB: loaded where a password is set, not in every worker

    result = zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=details + _parts(details))
    if result["score"] >= min_score:
        return None
    if any(match.get("dictionary_name") == "user_inputs" for match in result["sequence"]):
        return _("密码与您的用户名、姓名或电子邮箱太接近，容易被猜到")
    feedback = result["feedback"]
    reasons = [str(_FEEDBACK[text]) for text in _feedback_texts(feedback["warning"], feedback["suggestions"])
               if text in _FEEDBACK]
    return " ".join([_("密码太容易被猜到（强度 %(score)d/4，至少需要 %(min)d）。", score=result["score"],
                       min=min_score), *reasons[:2]])


def _feedback_texts(warning: str, suggestions: Iterable[str]) -> list[str]:
    return ([warning] if warning else []) + list(suggestions)


def check_password(password: str, *, username: str = "", display_name: str = "", email: str = "",
                   field: str = "password") -> None:
    """Raise a DomainError on ``field`` when the rule refuses ``password`` (see ``password_problem``)."""
    problem = password_problem(password, username=username, display_name=display_name, email=email)
    if problem is not None:
        raise DomainError(problem, field)
