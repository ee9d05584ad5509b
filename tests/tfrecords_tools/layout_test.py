"""tfrecords_tools/ reads as its pipeline: few top-level modules, numbered
rooms in the data's order, arrows only from later rooms to earlier ones, and
every `python -m tfrecords_tools...` command the repository names exists."""
import importlib.util
import os
import re

import tfrecords_tools
from tests import import_graph

PACKAGE = os.path.dirname(tfrecords_tools.__file__)
CLIS = {"create_pretraining_data", "build_vocab"}
SHARED = {"build_config", "build_report", "file_io"}
ROOMS = ["s0_prep", "s1_sources", "s2_tokens", "s3_instances", "s4_labels",
         "s5_records", "s6_runners"]


def _room(module):
  """'s4_labels' for tfrecords_tools.s4_labels.masking; None at the top."""
  parts = module.split(".")
  return parts[1] if len(parts) > 2 else None


def test_top_level_holds_the_two_clis_and_what_every_room_shares():
  modules = {n[:-3] for n in os.listdir(PACKAGE) if n.endswith(".py")}
  assert len(modules) <= 8, sorted(modules)
  assert modules == CLIS | SHARED | {"__init__"}


def test_rooms_are_numbered_in_the_order_the_package_docstring_draws():
  rooms = sorted(n for n in os.listdir(PACKAGE)
                 if os.path.isfile(os.path.join(PACKAGE, n, "__init__.py")))
  assert rooms == ROOMS
  assert [int(re.match(r"s(\d)_", r).group(1)) for r in rooms] == list(
      range(len(rooms)))
  doc = tfrecords_tools.__doc__
  positions = [doc.index(f"{room}/") for room in rooms]
  assert positions == sorted(positions), "the diagram lists the rooms in order"
  for room in rooms:  # each room says what it holds
    with open(os.path.join(PACKAGE, room, "__init__.py"),
              encoding="utf-8") as f:
      text = f.read()
    for name in os.listdir(os.path.join(PACKAGE, room)):
      if name.endswith(".py") and name != "__init__.py":
        assert name[:-3] in text, f"{room}/__init__.py does not name {name}"


def test_pipeline_rooms_import_only_earlier_rooms_and_shared_modules():
  graph = import_graph.import_graph(("tfrecords_tools",))
  wrong = []
  for module, targets in sorted(graph.items()):
    room = _room(module)
    if room is None or room == "s0_prep":  # s0_prep uses the whole pipeline
      continue
    for target in sorted(targets):
      target_room = _room(target)
      if target_room is None:
        ok = target.split(".")[-1] in SHARED
      else:
        ok = target_room <= room and target_room != "s0_prep"
      if not ok:
        wrong.append(f"{module} -> {target}")
  assert not wrong, wrong
  # The shared top-level modules import no room that imports the CLIs.
  for shared in SHARED:
    for target in graph[f"tfrecords_tools.{shared}"]:
      assert target.split(".")[-1] not in CLIS


def _commands():
  """(file, module) of every `python -m tfrecords_tools.X` in the repo."""
  pattern = re.compile(r"""(?:-m\s+|['"]-m['"],\s*['"]|\[['"])"""
                       r"(tfrecords_tools(?:\.\w+)+)")
  out = []
  for root, dirs, files in os.walk(import_graph.REPO):
    dirs[:] = [d for d in dirs if not d.startswith(".") and d != "out"]
    for name in files:
      if not name.endswith((".md", ".py", ".gin")) and name not in (
          "Makefile", "BUILD"):
        continue
      path = os.path.join(root, name)
      if path == os.path.abspath(__file__):
        continue
      with open(path, encoding="utf-8", errors="replace") as f:
        for module in pattern.findall(f.read()):
          out.append((os.path.relpath(path, import_graph.REPO), module))
  return out


def test_every_command_the_repository_names_exists():
  commands = _commands()
  named = {module for _, module in commands}
  # The docs name the two CLIs and the preparation tools by module path.
  assert {"tfrecords_tools.create_pretraining_data",
          "tfrecords_tools.build_vocab",
          "tfrecords_tools.s0_prep.wikitext_to_bert_format",
          "tfrecords_tools.s0_prep.demo"} <= named
  missing = sorted({(path, module) for path, module in commands
                    if importlib.util.find_spec(module) is None})
  assert not missing, missing
