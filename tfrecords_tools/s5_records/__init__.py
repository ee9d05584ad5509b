"""Step 5: labelled rows -> bytes on disk.

chunk_transform  a tokenized chunk -> serialised tf.Examples (runs s3 + s4)
example_encoder  tf.Example wire format, vectorised
tfrecord_io      TFRecord framing without TensorFlow
shard_writer     atomic shards with a seeded shuffle buffer
manifest         manifest.json: settings, inputs, features, counts
"""
