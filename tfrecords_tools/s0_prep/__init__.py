"""Data preparation beside the pipeline (each module is a CLI).

wikitext_to_bert_format   WikiText release -> BERT-format text
unlabelled_text           a GLUE-layout TSV's text column -> BERT-format text
heldout_split             every n-th document held out (+ vocab of the rest)
overlap_similarity_task   an STS-B-layout similarity task made from any text
demo                      the README demo's data step: vocab -> records
"""
