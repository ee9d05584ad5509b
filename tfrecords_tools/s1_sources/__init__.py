"""Step 1: where documents come from, as chunks of sentences.

corpus_source       --input_format: bert_text / jsonl / parquet / tfds
corpus_reader       BERT-format text files -> Document chunks
jsonl_source, parquet_source, tfds_source   one document a record
line_decoding       UTF-8 repair of a few bad lines, refusal of bad files
sentence_splitter   a record's text -> sentences
"""
