"""Checkpoint interchange: import released encoders, export to other formats."""
