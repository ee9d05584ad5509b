"""Session fixtures shared by the fine-tuning tests."""

import pytest

from tests.official_ext.finetuning import finetuning_fixtures as ffx


@pytest.fixture(scope='session')
def tiny_export(tmp_path_factory):
  """Our export directory of a tiny TEAMS encoder (vocab = bundled 7,027)."""
  return ffx.export_tiny_encoder(tmp_path_factory.mktemp('tiny_export'))
