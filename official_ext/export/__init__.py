"""`python -m official_ext.export`: a pretraining run's trunk for fine-tuning
and serving. The export directory's layout itself (`interchange/
encoder_export.py`) sits a layer below, beside the other formats, because
the trainer's warm start, fine-tuning and multi-task training all read it."""
