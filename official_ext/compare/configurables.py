"""The gin configurables of a comparison (bound by `gin/compare/*.gin`):

  compare_arm    spec.arm (one arm; scope it per arm: `@teams/compare_arm()`)
  Comparison     spec.Comparison (the top level)
"""
from typing import Iterable

import gin

from official_ext.compare import spec

compare_arm = gin.external_configurable(spec.arm, 'compare_arm')
Comparison = gin.external_configurable(spec.Comparison, 'Comparison')


def parse(gin_file: str, bindings: Iterable[str] = ()) -> spec.Comparison:
  """The comparison a gin file (plus bindings) describes."""
  gin.clear_config()
  gin.parse_config_files_and_bindings([gin_file], list(bindings),
                                      finalize_config=False)
  return Comparison()
