"""Trainable pretraining models wrapping networks and heads."""
