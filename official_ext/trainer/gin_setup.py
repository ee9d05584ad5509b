"""Parses gin files and bindings with errors that name the culprit, and
writes the operative config.

Includes (`include 'gin/sizes/small.gin'`) resolve against the working
directory and the repository root, so `--gin_file=gin/teams_small.gin` works
from anywhere. Errors are `GinConfigError`s naming the file or the
`--gin_bindings` entry at fault: unknown configurable, unknown parameter,
bad syntax, missing file, or a macro (`%NAME`) used but never defined.
"""

import os
from typing import Iterable, Optional

import gin
import tensorflow as tf

from official_ext.trainer import configurables  # pylint: disable=unused-import

# Gin files (and operative configs) may be remote (gs://...): gin tries the
# builtin open first, then gfile.
gin.config.register_file_reader(tf.io.gfile.GFile, tf.io.gfile.exists)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


_SEARCH_PATHS = set()


class GinConfigError(ValueError):
  """A gin file or binding that cannot be used."""


def _indented(error: Exception) -> str:
  return str(error).strip().replace('\n', '\n  ')


def _undefined_macros():
  """`[(macro name, 'scope/configurable.param')]` used but never bound."""
  config = gin.config._CONFIG  # pylint: disable=protected-access
  out = []
  for (scope, selector), params in config.items():
    for param, value in params.items():
      for ref in gin.config.iterate_references(value):
        if ref.config_key[1] == 'gin.macro' and ref.config_key not in config:
          name = selector.rsplit('.', 1)[-1]
          where = f'{scope + "/" if scope else ""}{name}.{param}'
          out.append((ref.config_key[0], where))
  return out


def _unknown_kwargs():
  """`[(binding, valid names)]` binding names a configurable's **kwargs
  does not accept (gin lets any name through to **kwargs)."""
  out = []
  for (scope, selector), params in gin.config._CONFIG.items():  # pylint: disable=protected-access
    name = selector.rsplit('.', 1)[-1]
    allowed = configurables.KWARGS.get(name)
    if allowed is None:
      continue
    for param in sorted(set(params) - set(allowed)):
      out.append((f'{scope + "/" if scope else ""}{name}.{param}',
                  sorted(allowed)))
  return out


def parse(gin_files: Iterable[str], bindings: Iterable[str] = (),
          search_paths: Optional[Iterable[str]] = None) -> None:
  """Clears gin, then parses `gin_files` and `bindings` in order (later
  bindings override earlier ones)."""
  gin.clear_config(clear_constants=False)
  for path in search_paths or (os.getcwd(), REPO_ROOT):
    if path not in _SEARCH_PATHS:
      gin.add_config_file_search_path(path)
      _SEARCH_PATHS.add(path)
  for gin_file in gin_files:
    try:
      gin.parse_config_file(gin_file)
    except Exception as e:  # pylint: disable=broad-except
      raise GinConfigError(f'gin file {gin_file!r}: {_indented(e)}') from e
  for binding in bindings:
    try:
      gin.parse_config(binding)
    except Exception as e:  # pylint: disable=broad-except
      raise GinConfigError(
          f'--gin_bindings {binding!r}: {_indented(e)}') from e
  undefined = _undefined_macros()
  if undefined:
    name, where = undefined[0]
    raise GinConfigError(
        f'gin macro %{name} (used by {where}) is never defined; define it in '
        f'a gin file or pass --gin_bindings="{name} = ...".')
  unknown = _unknown_kwargs()
  if unknown:
    binding, allowed = unknown[0]
    raise GinConfigError(f'gin binding {binding}: no such parameter; valid '
                         f'ones are {allowed}.')


def build_experiment():
  """Calls the configured `Experiment`, adding gin's context to errors."""
  return configurables.Experiment()  # pylint: disable=no-value-for-parameter


def operative_config() -> str:
  """The bindings actually used so far (call after building)."""
  return gin.operative_config_str()
