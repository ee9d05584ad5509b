"""No import circles in official_ext/ and tfrecords_tools/, and no arrow from
the trainer up to the layers built on it (static: the files are parsed, not
imported)."""
import pytest

from tests import import_graph

HEADS = "official_ext.modeling.heads."
# Head modules register their heads with the registry on import, and the
# registry imports them so that every head is known: Model Garden's
# registration pattern, the one circle allowed.
ALLOWED_CIRCLE_PREFIX = HEADS
TRAINER = "official_ext.trainer"
# What is built on the trainer (they import it; it must not import them).
ABOVE_TRAINER = ("official_ext.export", "official_ext.finetuning",
                 "official_ext.multitask", "official_ext.compare")


@pytest.fixture(scope="module")
def graph():
  return import_graph.import_graph()


def test_the_graph_sees_the_packages(graph):
  assert len(graph) > 150
  assert "official_ext.finetuning.glue_tasks" in graph[
      "official_ext.finetuning.superglue_tasks"]
  assert "tfrecords_tools.s2_tokens.vocab" in graph[
      "tfrecords_tools.s5_records.manifest"]


def test_cycles_finds_a_circle_through_several_modules():
  graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
  assert import_graph.cycles(graph) == [["a", "b", "c"]]
  assert import_graph.cycles({"a": {"b"}, "b": set()}) == []


def test_the_only_import_circle_is_the_heads_registry(graph):
  circles = import_graph.cycles(graph)
  unexpected = [c for c in circles if not (
      all(m.startswith(ALLOWED_CIRCLE_PREFIX) for m in c) and
      HEADS + "registry" in c)]
  assert not unexpected, (
      f"modules that import each other (directly or through the others): "
      f"{unexpected}")


def test_trainer_imports_nothing_built_on_it(graph):
  arrows = sorted(f"{m} -> {t}" for m, targets in graph.items()
                  if m == TRAINER or m.startswith(TRAINER + ".")
                  for t in targets if t.startswith(ABOVE_TRAINER))
  assert not arrows, arrows
