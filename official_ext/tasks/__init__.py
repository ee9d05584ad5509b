"""Model Garden `Task`s: pretraining objectives the trainer drives."""
