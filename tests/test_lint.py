"""ruff over the library, tests, tools and benchmarks, and (through nbqa) over the chapter
notebooks. In notebooks E401/I001 are ignored for the Colab install cell, which keeps its
imports on one line, and E402/F401 because an imports cell follows it."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(args):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True)


def test_ruff_clean():
    out = _run([str(BIN / "ruff"), "check", "gflow_lib", "tests", "tools", "benchmarks"])
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.e2e
def test_notebooks_ruff_clean():
    notebooks = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "book").glob("*.ipynb"))
    out = _run(
        [str(BIN / "nbqa"), "ruff", *notebooks, "--extend-ignore=E401,E402,F401,I001"]
    )
    assert out.returncode == 0, out.stdout + out.stderr
