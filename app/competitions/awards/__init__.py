"""技能竞赛 · awards."""
