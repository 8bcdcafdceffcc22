"""技能竞赛 · events."""
