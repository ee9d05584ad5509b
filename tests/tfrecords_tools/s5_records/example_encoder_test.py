"""Tests for tfrecords_tools.s5_records.example_encoder."""
import numpy as np
import pytest
import tensorflow as tf

from tfrecords_tools.s5_records import example_encoder


def _parse(records, spec):
  return {k: v.numpy() for k, v in tf.io.parse_example(records, spec).items()}


def test_parses_like_tf_example_including_varint_edges():
  edges = np.array([[0, 1, 127, 128, 16383, 16384, 2**21 - 1, 2**21, 2**28,
                     2**34]], np.int64)
  ints = np.concatenate([edges, np.arange(10)[None]], axis=0)
  floats = np.array([[0.5, -1.25], [3.0e-8, 1e9]], np.float32)
  enc = example_encoder.ExampleEncoder([("a", "int64"), ("b", "float")])
  records = enc.encode({"a": ints, "b": floats})
  got = _parse(records, {"a": tf.io.FixedLenFeature([10], tf.int64),
                         "b": tf.io.FixedLenFeature([2], tf.float32)})
  np.testing.assert_array_equal(got["a"], ints)
  np.testing.assert_array_equal(got["b"], floats)


def test_bytes_equal_the_protobuf_serialisation_of_one_feature():
  enc = example_encoder.ExampleEncoder([("x", "int64")])
  [record] = enc.encode({"x": np.array([[300, 1]])})
  expected = tf.train.Example(features=tf.train.Features(feature={
      "x": tf.train.Feature(int64_list=tf.train.Int64List(value=[300, 1]))}))
  assert record == expected.SerializeToString()


def test_varint_rows_hand_computed():
  flat, offsets = example_encoder.encode_varint_rows(np.array([[1, 300],
                                                               [0, 128]]))
  assert flat == bytes([1, 0xAC, 0x02, 0, 0x80, 0x01])
  assert offsets.tolist() == [0, 3, 6]


def test_rejects_negative_values_and_missing_columns():
  with pytest.raises(ValueError, match="min -1"):
    example_encoder.encode_varint_rows(np.array([[-1]]))
  enc = example_encoder.ExampleEncoder([("x", "int64")])
  with pytest.raises(KeyError, match="'x' missing"):
    enc.encode({})
  with pytest.raises(ValueError, match="dtype"):
    example_encoder.ExampleEncoder([("x", "bytes")])
