"""技能竞赛 · squads."""
