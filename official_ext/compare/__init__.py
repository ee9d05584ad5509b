"""Comparing pretraining objectives: budgets, significance, leaderboards."""
