"""The repository's module import graph, read statically (no import runs).

Every `import` and `from ... import` of a module file counts, also those
inside functions (a lazy import is still an arrow between the files).
"""
import ast
import os
from typing import Dict, List, Set

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("official_ext", "tfrecords_tools")


def module_files(packages=PACKAGES) -> Dict[str, str]:
  """Dotted module name -> file path, for every .py file of `packages`."""
  out = {}
  for package in packages:
    for root, dirs, files in os.walk(os.path.join(REPO, package)):
      dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
      for name in files:
        if not name.endswith(".py"):
          continue
        path = os.path.join(root, name)
        parts = os.path.relpath(path, REPO)[:-len(".py")].split(os.sep)
        if parts[-1] == "__init__":
          parts = parts[:-1]
        out[".".join(parts)] = path
  return out


def _imported(node, module: str, is_package: bool) -> List[str]:
  """Dotted names one import statement asks for (candidates, longest)."""
  if isinstance(node, ast.Import):
    return [alias.name for alias in node.names]
  base = node.module or ""
  if node.level:
    parent = module.split(".")
    parent = parent[:len(parent) - node.level + (1 if is_package else 0)]
    base = ".".join(parent + ([base] if base else []))
  return [f"{base}.{alias.name}" for alias in node.names] + [base]


def import_graph(packages=PACKAGES) -> Dict[str, Set[str]]:
  """Module -> the modules of `packages` it imports."""
  files = module_files(packages)
  graph = {}
  for module, path in files.items():
    with open(path, encoding="utf-8") as f:
      tree = ast.parse(f.read(), path)
    is_package = path.endswith("__init__.py")
    targets = set()
    for node in ast.walk(tree):
      if not isinstance(node, (ast.Import, ast.ImportFrom)):
        continue
      names = _imported(node, module, is_package)
      if isinstance(node, ast.ImportFrom):
        # `from a.b import c`: the module a.b.c if it is one, else a.b.
        found = [n for n in names[:-1] if n in files] or [names[-1]]
      else:
        found = names
      for name in found:
        while name and name not in files:  # `import a.b.c` imports a.b.c
          name = name.rpartition(".")[0]
        if name and name != module:
          targets.add(name)
    graph[module] = targets
  return graph


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
  """The strongly connected components with more than one module (each a
  set of files that import each other, directly or through the others),
  sorted; Tarjan's algorithm, iterative."""
  index, low, on_stack, stack, out = {}, {}, set(), [], []
  counter = [0]
  for start in sorted(graph):
    if start in index:
      continue
    work = [(start, iter(sorted(graph[start])))]
    index[start] = low[start] = counter[0]
    counter[0] += 1
    stack.append(start)
    on_stack.add(start)
    while work:
      node, children = work[-1]
      child = next(children, None)
      if child is not None:
        if child not in graph:
          continue
        if child not in index:
          index[child] = low[child] = counter[0]
          counter[0] += 1
          stack.append(child)
          on_stack.add(child)
          work.append((child, iter(sorted(graph[child]))))
        elif child in on_stack:
          low[node] = min(low[node], index[child])
        continue
      work.pop()
      if work:
        low[work[-1][0]] = min(low[work[-1][0]], low[node])
      if low[node] == index[node]:
        component = []
        while True:
          member = stack.pop()
          on_stack.discard(member)
          component.append(member)
          if member == node:
            break
        if len(component) > 1:
          out.append(sorted(component))
  return sorted(out)
