"""Step 6: who runs steps 1-5 over a corpus.

local_builder    one reader/tokenizer process, N shard-owning workers
worker_lifetime  a worker dies with its builder, whatever kills it
beam_pipeline    the same transform on an Apache Beam runner
"""
