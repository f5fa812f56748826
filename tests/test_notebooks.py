"""Checks on the committed chapter notebooks that nbval cannot make by itself.

nbval silently skips cells without an execution count, so an unexecuted notebook would
"pass"; these tests catch that, out-of-order execution, stored errors, memory addresses in
outputs, and a notebook that drifted from its MyST source.
"""

from __future__ import annotations

import json
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
SOURCES = sorted(p for p in (BOOK / "md").glob("*.md") if p.name != "README.md")


def _ids(paths):
    return [p.stem for p in paths]


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_executed_in_order_without_errors(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cells"
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: code cells must be executed once, in order, from a fresh kernel "
        f"(run `make notebooks`); execution counts are {counts}"
    )
    for i, cell in enumerate(code):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name}: code cell {i} stored an error"
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            assert " at 0x" not in text, (
                f"{path.name}: code cell {i} prints a memory address (end plotting lines with ';')"
            )
            assert "Traceback" not in text, f"{path.name}: code cell {i} printed a traceback"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_has_myst_source(path):
    assert (BOOK / "md" / f"{path.stem}.md").exists(), f"{path.name} has no MyST source"


@pytest.mark.parametrize("src", SOURCES, ids=_ids(SOURCES))
def test_notebook_in_sync_with_myst_source(src):
    """The generated notebook holds exactly the cells of its MyST source."""
    nb_path = BOOK / f"{src.stem}.ipynb"
    assert nb_path.exists(), f"{src.name} has no generated notebook (run `make notebooks`)"
    want = jupytext.read(src, fmt="md:myst")
    have = jupytext.read(nb_path, fmt="ipynb")

    def shape(nb):
        return [
            (c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells
        ]

    w, h = shape(want), shape(have)
    for i, (a, b) in enumerate(zip(w, h, strict=False)):
        assert a == b, f"{nb_path.name} cell {i} differs from {src.name}: run `make notebooks`"
    assert len(w) == len(h), f"{nb_path.name} has {len(h)} cells, {src.name} has {len(w)}"


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections"))
            for part in e.get("chapters", []) if isinstance(e, dict) else []:
                walk([part])

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


def test_every_notebook_is_in_the_toc():
    listed = set(_toc_files())
    for path in NOTEBOOKS:
        assert f"book/{path.stem}" in listed, f"{path.name} is not in _toc.yml"
