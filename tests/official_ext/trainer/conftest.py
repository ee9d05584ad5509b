"""Session fixtures of the trainer tests: tiny builder records."""
import pytest

from tests.official_ext.trainer import trainer_fixtures as fx


@pytest.fixture(scope='session')
def tiny_manifest(tmp_path_factory):
  """manifest.json of ~64 records of 64 tokens (vocab: 7027 tokens)."""
  return fx.build_records(str(tmp_path_factory.mktemp('tiny_records')))
