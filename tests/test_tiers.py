"""The test tiers (CONTRIBUTING.md, "Test tiers"): what `make quick` leaves out, what
`make test` runs, and the check that the built book is there and fresh."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import conftest
import nbformat
import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent


def _recipe(target: str) -> str:
    makefile = (ROOT / "Makefile").read_text()
    rule = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert rule, f"no {target} target in the Makefile"
    return rule.group(1)


def test_make_quick_and_make_test_select_the_tiers():
    quick, full = _recipe("quick"), _recipe("test")
    assert re.search(r"pytest tests -m \"not slow\"", quick), quick
    assert "--dist loadfile" in full and ' -m "' not in full, full
    # else pytest-xdist starts the files with the most tests first, not conftest's order
    assert "--no-loadscope-reorder" in full, full
    assert re.search(r"^test:.*\bbook\b", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    # every process keeps the bytecode of the library and the tests (where the environment
    # sets PYTHONDONTWRITEBYTECODE, each worker and kernel would compile them again)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^KEEP_BYTECODE := PYTHONDONTWRITEBYTECODE=$", makefile, re.MULTILINE)
    for recipe in (quick, full):
        assert recipe.startswith("\t$(KEEP_BYTECODE) $(BIN)/python -m pytest"), recipe


def test_the_markers_are_registered_and_strict():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"]
    names = {line.split(":")[0] for line in config["markers"]}
    assert names == {"slow", *conftest.TIER_MARKERS}, names
    assert "--strict-markers" in config["addopts"] and "--nbval" in config["addopts"]
    assert set(conftest.HEAVY_FIXTURES.values()) <= names
    assert set(conftest.SLOW_TESTS.values()) <= names


def test_the_longest_files_exist_and_start_first():
    """conftest's LONGEST_FILES name files that exist; in a collection they come first, in
    that order, each file's tests together and in their order."""
    for name in conftest.LONGEST_FILES:
        assert (ROOT / name).is_file(), f"conftest.LONGEST_FILES names a missing file: {name}"

    class Item:
        def __init__(self, path, name, marker=None):
            self.path, self.name, self.fixturenames = ROOT / path, name, ()
            self.marker, self.added = marker, []

        def add_marker(self, marker):
            self.added.append(marker)

        def get_closest_marker(self, name):
            return name if name in (self.marker, *self.added) else None

    first, second = conftest.LONGEST_FILES[:2]
    items = [Item("tests/test_flow.py", "test_a"), Item(second, "test_b"),
             Item("book/data.ipynb", "Cell 0"), Item(first, "test_c"), Item(second, "test_d"),
             Item("tests/test_lab.py", "test_e", marker="e2e"), Item("book/data.ipynb", "Cell 1")]
    conftest.pytest_collection_modifyitems(None, items)
    assert [i.name for i in items] == ["test_c", "test_b", "test_d", "test_e", "Cell 0",
                                       "Cell 1", "test_a"]


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A scratch book root for the built-book check."""
    html = tmp_path / "_build" / "html"
    monkeypatch.setattr(conftest, "BOOK_ROOT", tmp_path)
    monkeypatch.setattr(conftest, "HTML", html)
    monkeypatch.setattr(conftest, "BOOK_STAMP", tmp_path / "_build" / ".book-built")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "data.ipynb").write_text("{}")
    return tmp_path


def test_the_built_book_check_names_a_missing_and_a_stale_build(book):
    assert "the built book is missing" in conftest.built_book_problem()
    (book / "_build" / "html").mkdir(parents=True)
    (book / "_build" / "html" / "index.html").write_text("<html></html>")
    assert "run `make book` first" in conftest.built_book_problem()  # no stamp: not make book's
    stamp = book / "_build" / ".book-built"
    stamp.touch()
    os.utime(stamp, (1_000_000_000, 1_000_000_000))  # built long before the source
    assert "is older than book/data.ipynb" in conftest.built_book_problem()
    os.utime(stamp, None)
    os.utime(book / "book" / "data.ipynb", (1_000_000_000, 1_000_000_000))
    assert conftest.built_book_problem() == ""


@pytest.mark.slow
def test_quick_collects_no_notebook_and_marks_the_heavy_tests():
    """In a real collection with `-m "not slow"`: nbval's cells are collected and deselected
    (they are `notebooks`, so `slow`); so are a test using a heavy fixture and one marked
    `notebooks`; plain unit tests stay."""
    intro = ROOT / "book" / "intro.ipynb"
    cells = sum(c.cell_type == "code" for c in nbformat.read(intro, as_version=4).cells)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist",
         "-m", "not slow", "tests/test_notebooks.py", "tests/test_browser.py",
         str(intro.relative_to(ROOT))],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    quick = [line for line in proc.stdout.splitlines() if "::" in line]
    summary = re.search(r"(\d+)/(\d+) tests collected \((\d+) deselected\)", proc.stdout)
    assert summary, proc.stdout[-500:]
    selected, total, deselected = map(int, summary.groups())
    assert selected == len(quick) and total == selected + deselected
    assert not [n for n in quick if n.startswith("book/")]
    assert deselected >= cells  # intro's cells were collected (nbval gives one per code cell)
    assert "tests/test_browser.py::test_raw_tex_detector" in quick  # no fixture: a unit test
    for heavy in ("tests/test_browser.py::test_no_page_loads_anything_from_another_host",
                  "tests/test_browser.py::test_live_params_equal_linear_flow",
                  "tests/test_notebooks.py::test_nbval_fails_on_a_wrong_stored_output"):
        assert heavy not in quick
    assert "tests/test_notebooks.py::test_there_are_chapters" in quick
