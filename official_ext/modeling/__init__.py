"""Networks, heads, pretraining models and losses (Model Garden layout)."""
