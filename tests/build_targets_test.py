"""BUILD stays honest: every module, test and bench script has a target."""
import glob
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _build_srcs():
  with open(os.path.join(REPO, "BUILD")) as f:
    text = f.read()
  return set(re.findall(r'srcs = \["([^"]+)"\]', text)), text


def _python_files():
  out = set()
  for pattern in ("official_ext/**/*.py", "tfrecords_tools/**/*.py",
                  "tests/**/*_test.py", "bench/*.py"):
    for path in glob.glob(os.path.join(REPO, pattern), recursive=True):
      rel = os.path.relpath(path, REPO)
      if not rel.endswith("__init__.py"):
        out.add(rel)
  return out


def test_every_python_file_has_a_target():
  srcs, _ = _build_srcs()
  missing = sorted(_python_files() - srcs)
  assert not missing, f"add BUILD targets for {missing}"


def test_every_target_names_an_existing_file_and_tests_are_py_test():
  srcs, text = _build_srcs()
  assert not [s for s in srcs if not os.path.exists(os.path.join(REPO, s))]
  for path in re.findall(r'py_(?:library|binary)\(\n[^)]*srcs = \["([^"]+)"',
                         text):
    assert not path.endswith("_test.py"), path


def test_target_names_follow_the_file_layout():
  """A library or binary is named after its path (`tfrecords_tools/
  s1_sources/jsonl_source.py` -> `tfrecords_tools_s1_sources_jsonl_source`;
  a package's `__main__.py` after the package), a test after its file."""
  _, text = _build_srcs()
  targets = re.findall(r'(py_\w+)\(\n    name = "([^"]+)",\n'
                       r'    srcs = \["([^"]+)"\]', text)
  assert len(targets) == len(_build_srcs()[0])
  wrong = []
  for kind, name, src in targets:
    if kind == "py_test":
      expected = os.path.basename(src)[:-len(".py")]
    else:
      expected = src[:-len(".py")].replace("/__main__", "").replace("/", "_")
    if name != expected:
      wrong.append(f"{name} ({src}): expected {expected}")
  assert not wrong, wrong
