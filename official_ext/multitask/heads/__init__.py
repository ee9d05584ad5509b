"""Supervised heads of multi-task training: one file per head, `registry`."""
