"""Encoder networks built on Model Garden's EncoderScaffold."""
