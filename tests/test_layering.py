"""The package's layers: no import circle, no private name used across modules, and the
numbers and front-end layers importable in any order without the drawing layer.

Read from the source (ast) and checked in fresh interpreters, so that what an earlier test
imported cannot hide a problem."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import gflow_lib

PACKAGE = Path(gflow_lib.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in SOURCES}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(name: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` statement in module ``name`` reads from."""
    if not node.level:
        return node.module or ""
    base = name.split(".") if _is_package(name) else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str):
    """``(statement, source module, imported names)`` for every import of a module, also those
    inside functions: a deferred import hides a circle from Python, not from the layers."""
    tree = ast.parse(MODULES[name].read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield node, _resolve(name, node), [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield node, a.name, []


def _edges(name: str) -> set[str]:
    """The gflow_lib modules that ``name`` imports (its own parent packages aside: Python
    runs a package's __init__ before its submodules)."""
    out = set()
    for _, source, names in _imports(name):
        if source not in MODULES:
            continue
        modules = [f"{source}.{n}" for n in names if f"{source}.{n}" in MODULES]
        out.update(modules)
        if len(modules) < len(names) or not names:  # a name defined in the module itself
            out.add(source)
    return {m for m in out if not name.startswith(m + ".") and m != name}


def test_the_module_graph_has_no_cycle():
    graph = {name: _edges(name) for name in MODULES}
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    # The check sees real edges: the numbers layer imports the core, drawing imports style.
    assert "gflow_lib.spectrum" in graph["gflow_lib.frames"]
    assert "gflow_lib.plotting.style" in graph["gflow_lib.plotting.flow"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: _module_name(p))
def test_no_private_name_is_imported_or_used_across_modules(path):
    """``from .x import _y`` and ``x._y`` on another gflow_lib module are forbidden. The one
    private *module*, ``_validation`` (the checks at the public boundary), may be imported
    whole; its own names are public."""
    name = _module_name(path)
    tree = ast.parse(path.read_text())
    aliases, bad = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(name, node)
            if source not in MODULES:
                continue
            for a in node.names:
                if f"{source}.{a.name}" in MODULES:  # a module
                    aliases.add(a.asname or a.name)
                elif a.name.startswith("_") and not a.name.startswith("__"):
                    bad.append(f"line {node.lineno}: from {source} import {a.name}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name in MODULES:
                    aliases.add(a.asname or a.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            bad.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    assert not bad, f"{name} uses private names of other modules: {bad}"


def _run(code: str) -> set[str]:
    """Run ``code`` in a fresh interpreter; the top-level packages it loaded."""
    code += "\nimport sys\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "first, second",
    [
        ("gflow_lib.widgets", "gflow_lib.plotting"),
        ("gflow_lib.plotting", "gflow_lib.widgets"),
        ("gflow_lib.frames", "gflow_lib.plotting"),
        ("gflow_lib.plotting", "gflow_lib.frames"),
        ("gflow_lib.plotting.flow", "gflow_lib.plotting.landscape"),
        ("gflow_lib.plotting.landscape", "gflow_lib.plotting.flow"),
    ],
)
def test_modules_import_fresh_in_either_order(first, second):
    _run(f"import {first}\nimport {second}")


def test_the_numbers_and_the_widget_load_no_drawing_layer():
    assert not _run("import gflow_lib, gflow_lib.frames") & {"matplotlib", "ipywidgets",
                                                             "IPython"}
    assert "matplotlib" not in _run("import gflow_lib.widgets")


@pytest.mark.parametrize("heavy, use", [
    ("scipy.optimize", "from gflow_lib.regularization import variance_ratio_sup\n"
                       "variance_ratio_sup()"),
    ("scipy.special", "from gflow_lib.momentum import NesterovFlow\nNesterovFlow()([1.0], [2.0])"),
    ("scipy.linalg", "import gflow_lib.checks\nfrom gflow_lib import sgd_stability_threshold\n"
                     "sgd_stability_threshold([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], 1)"),
])
def test_import_gflow_lib_does_not_load_what_few_functions_use(heavy, use):
    """scipy.optimize (closest_time, variance_ratio_sup), scipy.special (NesterovFlow's Bessel
    function) and scipy.linalg (sgd_stability_threshold, and the checks' answers of two
    mistakes) are imported where they are used, not on ``import gflow_lib`` or
    ``gflow_lib.checks``: every kernel, grader and test process imports the package (scipy.linalg
    cost each 0.36 s of CPU, scipy.special 0.04 s more). Using them then works. (gflow_lib.numerics,
    the only user of scipy.integrate, is itself imported on first use.)"""
    code = (f"import sys, gflow_lib\nprint({heavy!r} in sys.modules)\n{use}\n"
            f"print({heavy!r} in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]
