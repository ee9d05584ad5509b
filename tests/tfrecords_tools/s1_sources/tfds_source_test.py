"""Tests for tfrecords_tools.s1_sources.tfds_source:
units per shard, no download."""
import pytest

from tests.tfrecords_tools.s1_sources import corpus_formats as cf
from tfrecords_tools.s1_sources import corpus_reader
from tfrecords_tools.s1_sources import tfds_source


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
  docs = [["First sentence here.", "Second one."], ["Third doc.", "End."]]
  return cf.build_tfds(tmp_path_factory.mktemp("tfds"), docs)


def test_units_and_rows(data_dir):
  units = tfds_source.expand(cf.TFDS_NAME, "train", data_dir, "text")
  assert units == [f"tfds:{cf.TFDS_NAME}:train[0:2]"]
  rows = list(tfds_source.iter_rows(units[0], data_dir, "text", None))
  assert rows == [(0, "First sentence here. Second one."),
                  (1, "Third doc. End.")]
  part = f"tfds:{cf.TFDS_NAME}:train[1:2]"
  assert [r for r, _ in tfds_source.iter_rows(part, data_dir, "text",
                                              None)] == [1]


@pytest.mark.parametrize("name,split,field,message", [
    (cf.TFDS_NAME, "test", "text",
     r"has no split 'test' \(--tfds_split\); it has \['train'\]"),
    (cf.TFDS_NAME, "train", "body",
     r"has no feature 'body' \(--text_field\); it has \['text', 'title'\]"),
    ("wikipedia/20230601.en", "train", "text",
     r"^TFDS dataset 'wikipedia/20230601.en' is not prepared in "),
    ("no_such_dataset_xyz", "train", "text",
     r"^TFDS dataset 'no_such_dataset_xyz' is not prepared in "),
])
def test_errors_name_the_dataset_and_flag(data_dir, name, split, field,
                                          message):
  with pytest.raises(corpus_reader.InputError, match=message):
    tfds_source.expand(name, split, data_dir, field)
