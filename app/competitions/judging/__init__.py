"""技能竞赛 · judging."""
