"""The sandbox package has no import cycles, hidden ones (imports inside functions) included, and every module
imports on its own. Request/response types live in a leaf module; Graph resource modules never import the router."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[3] / "w365_sandbox"


def _imports(path: Path) -> set[str]:
    """Sibling modules a module imports anywhere in its body (module level or inside functions)."""
    deps = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            deps.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("w365_sandbox."):
            deps.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            deps.update(a.name.split(".")[1] for a in node.names if a.name.startswith("w365_sandbox."))
    return deps


def _graph() -> dict[str, set[str]]:
    mods = {p.stem: p for p in PKG.glob("*.py")}
    return {name: _imports(path) & set(mods) - {name} for name, path in mods.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_the_sandbox():
    assert _cycles(_graph()) == []


def test_leaf_modules_import_only_leaves():
    graph = _graph()
    assert graph["messages"] <= {"errors"}
    assert graph["errors"] == set()
    assert graph["graph_common"] <= {"errors", "messages", "odata"}
    assert graph["arm_common"] <= {"errors"}
    for name, deps in graph.items():
        if name.startswith("graph_"):
            assert "graph" not in deps and "server" not in deps, f"{name} imports the router or the server"


def test_provisioning_policies_have_their_own_module():
    graph_images = (PKG / "graph_images.py").read_text(encoding="utf-8")
    assert "provisioningPolicies" not in graph_images and "def policies" not in graph_images
    assert "def policies" in (PKG / "graph_policies.py").read_text(encoding="utf-8")


def test_one_graph_dispatch_table():
    """graph.py routes virtualEndpoint collections through one table, not an if/elif chain per collection."""
    tree = ast.parse((PKG / "graph.py").read_text(encoding="utf-8"))
    compares = [n for n in ast.walk(tree) if isinstance(n, ast.Compare)
                and any(isinstance(c, ast.Constant) and c.value in ("onpremisesconnections", "deviceimages",
                                                                     "provisioningpolicies", "galleryimages")
                        for c in n.comparators)]
    assert compares == []


@pytest.mark.parametrize("module", sorted(p.stem for p in PKG.glob("*.py") if p.stem != "__main__"))
def test_every_module_imports_on_its_own(module):
    proc = subprocess.run([sys.executable, "-c", f"import w365_sandbox.{module}"], cwd=PKG.parent,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
