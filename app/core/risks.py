"""Risk prompts (风险发现提示): each area registers rules that find suspicious records with grouped SQL; the
supervision desk lists them with their review status. Core knows no area.

A rule is ``fn(district) -> list[RiskPrompt]`` registered with ``@risks.rule(kind, label)``; the prompt's
``subject_key`` identifies what it is about, so a review (reviewed, with a note) sticks to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from app.core.enums import District


@dataclass(frozen=True)
class RiskPrompt:
    kind: str
    subject_key: str
    title: str
    detail: str
    link: str | None
    district: District | None
    found_on: date | None = None


RuleFn = Callable[[District | None], list[RiskPrompt]]
RULES: dict[str, tuple[object, RuleFn]] = {}


def rule(kind: str, label: object) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        RULES[kind] = (label, fn)
        return fn
    return register


def prompts(district: District | None, kind: str | None = None) -> list[RiskPrompt]:
    found: list[RiskPrompt] = []
    for name, (_label, fn) in RULES.items():
        if kind is None or kind == name:
            found.extend(fn(district))
    return found


def labels() -> dict[str, object]:
    return {name: label for name, (label, _fn) in RULES.items()}
