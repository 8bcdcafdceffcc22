"""技能竞赛 · registration."""
