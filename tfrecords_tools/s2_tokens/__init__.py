"""Step 2: sentences -> WordPiece tokens, with per-token facts.

wordpiece        BERT WordPiece in plain Python (no TensorFlow), with offsets
tokenizer        a chunk at a time; capitalisation and token length per token
vocab            vocab files: loading, validation, per-id tables
tokenized_chunk  the flat token arrays the workers transform
"""
