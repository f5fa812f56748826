"""Checks on the committed chapter notebooks that nbval cannot make by itself.

nbval silently skips cells without an execution count, so an unexecuted notebook would
"pass"; these tests catch that, out-of-order execution, stored errors, memory addresses in
outputs, and a notebook that drifted from its MyST source.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jupytext
import kernel_fork
import nbformat
import pytest
import yaml

from gflow_lib.plotting.style import DRAW_ONCE_SWITCH, PHONE_SWITCH

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
SOURCES = sorted(p for p in (BOOK / "md").glob("*.md") if p.name != "README.md")


def _ids(paths):
    return [p.stem for p in paths]


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 3


def execution_problems(path) -> list[str]:
    """What keeps nbval from checking a stored notebook: cells not executed once and in order
    from a fresh kernel (nbval skips a cell without a count), stored errors or tracebacks,
    memory addresses in the outputs. Empty when there is none."""
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    if not code:
        return [f"{path.name} has no code cells"]
    problems = []
    counts = [c.get("execution_count") for c in code]
    if counts != list(range(1, len(code) + 1)):
        problems.append(f"{path.name}: code cells must be executed once, in order, from a fresh "
                        f"kernel (run `make notebooks`); execution counts are {counts}")
    for i, cell in enumerate(code):
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                problems.append(f"{path.name}: code cell {i} stored an error")
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            if " at 0x" in text:
                problems.append(f"{path.name}: code cell {i} prints a memory address (end "
                                "plotting lines with ';')")
            if "Traceback" in text:
                problems.append(f"{path.name}: code cell {i} printed a traceback")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_executed_in_order_without_errors(path):
    problems = execution_problems(path)
    assert not problems, "\n".join(problems)


def _tiny_notebook(counts, outputs=None):
    cells = [nbformat.v4.new_code_cell(f"print({k})", execution_count=c,
                                       outputs=[nbformat.v4.new_output(
                                           "stream", name="stdout", text=f"{k}\n")])
             for k, c in enumerate(counts)]
    for k, extra in (outputs or {}).items():
        cells[k].outputs.append(extra)
    return nbformat.v4.new_notebook(cells=cells)


@pytest.mark.parametrize("counts, outputs, found", [
    ([1, 2, 3], None, None),
    ([1, None, 3], None, "execution counts are [1, None, 3]"),  # unexecuted cell
    ([None, None, None], None, "execution counts are [None, None, None]"),  # never executed
    ([2, 1, 3], None, "execution counts are [2, 1, 3]"),  # out of order
    ([1, 2, 4], None, "execution counts are [1, 2, 4]"),  # a cell run twice
    ([1, 2, 3], {1: nbformat.v4.new_output("error", ename="E", evalue="", traceback=[])},
     "code cell 1 stored an error"),
    ([1, 2, 3], {2: nbformat.v4.new_output("execute_result", execution_count=3, data={
        "text/plain": "<Axes at 0x7f00beef>"})}, "code cell 2 prints a memory address"),
], ids=["good", "unexecuted-cell", "unexecuted", "out-of-order", "run-twice", "error",
        "address"])
def test_the_execution_check_can_fail(tmp_path, counts, outputs, found):
    path = tmp_path / "chapter.ipynb"
    nbformat.write(_tiny_notebook(counts, outputs), path)
    problems = execution_problems(path)
    if found is None:
        assert problems == []
    else:
        assert any(found in p for p in problems), problems


FIGURE = "<Figure size 200x100 with 1 Axes>"
# Stored like a figure that was drawn: nbval compares its text, never its PNG.
DRAWN = [nbformat.v4.new_output("display_data", data={"text/plain": FIGURE,
                                                      "image/png": "iVBORw0KGgo="})]
# True in a kernel forked from tests/kernel_fork.py's zygote (its parent runs that file).
FORKED = ("import os, pathlib\n"
          "cmdline = pathlib.Path(f'/proc/{os.getppid()}/cmdline')\n"
          "print(cmdline.exists() and cmdline.read_bytes().split(b'\\0')[1].endswith(\n"
          "    b'kernel_fork.py'))")
# The name of the kernels that numpy's OpenBLAS runs (x86-64 Linux wheels), and a number whose
# last digits depend on them (an LU solve; the kernels round the products differently).
CORENAME = ("import ctypes, glob, os\nimport numpy as np\n"
            "lib = ctypes.CDLL(glob.glob(os.path.join(os.path.dirname(np.__file__), '..',\n"
            "    'numpy.libs', 'libscipy_openblas64_*.so'))[0])\n"
            "lib.scipy_openblas_get_corename64_.restype = ctypes.c_char_p\n"
            "print(lib.scipy_openblas_get_corename64_().decode())")
KERNEL_DIGITS = ("import numpy as np\n"
                 "a = np.random.default_rng(0).normal(size=(40, 40))\n"
                 "print(repr(float(np.linalg.solve(a, np.ones(40))[0])))")
HOOK = ("import IPython\n"
        "print(plt._draw_all_if_interactive in IPython.get_ipython().events.callbacks["
        "'post_execute'])")


@pytest.mark.notebooks
def test_nbval_fails_on_a_wrong_stored_output(tmp_path):
    """nbval as `make test` runs it (the options of pyproject.toml, GFLOW_DRAW_ONCE=1 as
    tests/conftest.py sets it) re-executes a notebook and fails on the cell whose printed
    number differs from the stored one; the cell with the correct number passes, and
    rounding-level numbers are sanitized (tests/nbval_sanitize.cfg). A figure is drawn once,
    when shown (pyplot's hook that drew it after the cell is out: gflow_lib.plotting.style),
    and still drawn in full: a figure that draws passes, one whose label cannot be drawn fails
    its cell. One notebook, so one kernel: nbval checks each cell by itself. The kernel is
    forked, as `make test` has nbval's (``-p kernel_fork``, which tests/conftest.py installs
    there: tests/kernel_fork.py); its seventh cell checks that its parent is the zygote. On
    x86-64 Linux three more: the kernel runs the BLAS kernels tests/conftest.py picks, a
    number computed with them passes, and the same number stored by a machine with other
    BLAS kernels fails (the chapters print no digits that depend on them)."""
    def printed(text):
        return [nbformat.v4.new_output("stream", name="stdout", text=text)]

    cells = [(printed("0.300000\n"), "print(f'{0.1 * 3:.6f}')"),  # stored right
             (printed("0.300001\n"), "print(f'{0.1 * 3:.6f}')"),  # stored wrong
             (printed("3.3e-16\n"), "print(f'{2.0**-50:.1e}')"),  # rounding level: sanitized
             # a short traceback: IPython's full one of a drawing error costs 1.1 s of CPU
             (printed("Exception reporting mode: Minimal\n"),
              "%xmode Minimal\nimport matplotlib.pyplot as plt\n\n"
              "from gflow_lib.plotting import apply_style\n\napply_style()"),
             (printed("False\n") + DRAWN, "fig, ax = plt.subplots(figsize=(2, 1))\n"
                                          "label = ax.set_xlabel('$x_1$')\n" + HOOK),
             (DRAWN, "fig, ax = plt.subplots(figsize=(2, 1))\n"  # a label that cannot be drawn
                     "label = ax.set_xlabel(r'$\\frac{1}$')"),
             (printed(f"{kernel_fork.enabled()}\n"), FORKED)]
    core = os.environ.get("OPENBLAS_CORETYPE")  # tests/conftest.py: Sandybridge on x86-64
    if core:
        # what the chapters' kernels compute, and what a machine with other BLAS kernels
        # (here SSE4's) stored: it differs in the last digits, and nbval fails on it
        def digits(kernels):
            return subprocess.run([sys.executable, "-c", KERNEL_DIGITS], capture_output=True,
                                  text=True, check=True,
                                  env={**os.environ, "OPENBLAS_CORETYPE": kernels}).stdout
        ours, theirs = digits(core), digits("Nehalem")
        assert ours != theirs, (ours, theirs)  # else the check below proves nothing
        cells += [(printed(f"{core}\n"), CORENAME), (printed(ours), KERNEL_DIGITS),
                  (printed(theirs), KERNEL_DIGITS)]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(code, execution_count=k + 1, outputs=outputs)
        for k, (outputs, code) in enumerate(cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, tmp_path / "checked.ipynb")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"),
         "--rootdir", str(tmp_path), "-q", "-rf", "-p", "no:xdist", "-p", "kernel_fork",
         str(tmp_path / "checked.ipynb")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, DRAW_ONCE_SWITCH: "1", PHONE_SWITCH: "0",
             "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get(
                 "PYTHONPATH", "")]).rstrip(os.pathsep)})
    out, tail = proc.stdout, proc.stdout[-4000:]
    outcome = "3 failed, 7 passed" if core else "2 failed, 5 passed"
    assert proc.returncode == 1 and outcome in tail, tail
    failed = [line for line in tail.splitlines() if line.startswith("FAILED")]
    assert len(failed) == (3 if core else 2), tail
    assert "checked.ipynb::Cell 1" in failed[0] and "checked.ipynb::Cell 5" in failed[1], tail
    if core:
        assert "checked.ipynb::Cell 9" in failed[2], tail
    assert "0.300001" in out and "Expected \\frac{num}{den}" in out, tail


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
