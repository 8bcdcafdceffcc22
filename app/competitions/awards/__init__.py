"""技能竞赛 · awards."""

from app.competitions.awards import todos  # noqa: E402,F401  (registers the officials' 公示-ending to-do)
