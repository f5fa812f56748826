"""ruff over the library, tests, tools and benchmarks, and over the chapter notebooks (ruff
reads .ipynb itself; this was nbqa, 50 times slower, with the same rules). In notebooks
E401/I001 are ignored for the Colab install cell, which keeps its imports on one line, and
E402/F401 because an imports cell follows it. Both are quick-tier tests."""

import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(args):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True)


def test_ruff_clean():
    out = _run([str(BIN / "ruff"), "check", "gflow_lib", "tests", "tools", "benchmarks"])
    assert out.returncode == 0, out.stdout + out.stderr


NOTEBOOK_IGNORE = "--extend-ignore=E401,E402,F401,I001"


def _ruff_notebooks(paths):
    return _run([str(BIN / "ruff"), "check", "--no-cache", NOTEBOOK_IGNORE, *map(str, paths)])


def test_notebooks_ruff_clean():
    notebooks = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "book").glob("*.ipynb"))
    assert notebooks
    out = _ruff_notebooks(notebooks)
    assert out.returncode == 0, out.stdout + out.stderr


def test_notebook_lint_catches_an_undefined_name(tmp_path):
    """The notebook check reads code cells: a name used but never defined is reported."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_code_cell("total = np.sum(undefined_name)")])
    nbformat.write(nb, tmp_path / "chapter.ipynb")
    out = _ruff_notebooks([tmp_path / "chapter.ipynb"])
    assert out.returncode == 1 and "F821" in out.stdout and "undefined_name" in out.stdout, (
        out.stdout + out.stderr)
