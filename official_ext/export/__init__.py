"""Export of pretrained encoders for fine-tuning and serving."""
