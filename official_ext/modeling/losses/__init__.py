"""Pretraining losses and metrics."""
