"""Step 3: tokens -> training instances, as rows of source indices.

sentence_pairing  one document -> instances for each pair mode
row_assembly      instances -> padded rows ([CLS] A [SEP] B [SEP])
"""
