"""``make grade`` (tools/grade.py): otter-grader over a folder of notebooks, offline, no Docker.

One grading run (about a minute per ten notebooks, two at a time) grades three kinds of
submission of every chapter that has auto-graded exercises:

* the book's own chapter notebook, whose solutions must get full marks;
* the untouched student copy, which must get zero;
* the student copy with one typical mistake written into each coding exercise, which must
  not get full marks and whose feedback must name the mistake.

The rest is tested without otter: the exercises found, the autograder written, notebooks
matched to chapters, the summary.
"""

from __future__ import annotations

import ast
import csv
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from gflow_lib.checks import grading
from tools import grade as tool
from tools import student

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = tool.exercises(strict=True)
STUB = re.compile(r"^(?P<indent>\s*)raise NotImplementedError\(\"Exercise (?P<label>[\w-]+): ")

# A realistic wrong body per exercise of the first chapters, and the mistake it must be named as.
# Exercises without one here get the first mistake of their check's table, called from the body.
WRONG = {
    "data-ex-loss": ("forgot y", "r = X.T @ phi\nreturn 0.5 * float(r @ r)"),
    "closed-form-ex-residuals": (
        "no rotation back",
        "lam, U = np.linalg.eigh(X.T @ X)\nr0 = X.T @ phi0 - y\n"
        "return np.exp(-lam * t) * (U.T @ r0)"),
    "landscape-ex-step": ("X X^T phi - y", "return phi - lr * (X @ X.T @ phi - y)"),
    "ml-vs-map-ex-map": (
        "+ penalty without the identity",
        "A = X @ X.T + sigma_sq / sigma_sq_p\nreturn np.linalg.solve(A, X @ y)"),
    "bayes-over-time-ex-variance": (
        "elementwise exp",
        "decay = np.exp(-(X @ X.T) * t)\nreturn s * np.sum((decay @ X_new) ** 2, axis=0)"),
    "explorer-ex-losses": ("mean no half", "return np.mean(residuals**2, axis=1)"),
}


def injected(ex: tool.Exercise, params: list[str]) -> tuple[str, str]:
    """(mistake name, function body) for an exercise."""
    if ex.label in WRONG:
        return WRONG[ex.label]
    mistake = grading.table_of(ex.check).mistakes[0]
    return mistake.name, (
        "from gflow_lib.checks.grading import table_of\n"
        f"wrong = [m for m in table_of({ex.check!r}).mistakes if m.name == {mistake.name!r}]\n"
        f"return wrong[0].answer({', '.join(params)})")


def with_mistakes(copy: nbformat.NotebookNode, chapter: str) -> dict[str, str]:
    """Write one mistake into each stub of a student copy, in place; {label: mistake name}."""
    by_label = {ex.label: ex for ex in EXERCISES[chapter]}
    names = {}
    for cell in copy.cells:
        if cell.cell_type != "code" or "NotImplementedError" not in cell.source:
            continue
        lines = cell.source.splitlines()
        out = []
        for line in lines:
            m = STUB.match(line)
            if not m or m.group("label") not in by_label:
                if not line.strip().startswith("# Your code here"):
                    out.append(line)
                continue
            ex = by_label[m.group("label")]
            fn = next(n for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.FunctionDef))
            name, body = injected(ex, [a.arg for a in fn.args.args])
            out += [m.group("indent") + b for b in body.splitlines()]
            names[ex.label] = name
        cell.source = "\n".join(out)
    return names


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the three kinds of submission of every graded chapter in one run."""
    folder = tmp_path_factory.mktemp("submissions")
    mistakes = {}
    for kind in ("book", "student", "mistakes"):
        (folder / kind).mkdir()
    for chapter in EXERCISES:
        (folder / "book" / f"{chapter}.ipynb").write_bytes(
            (ROOT / "book" / f"{chapter}.ipynb").read_bytes())
        copy, _ = student.make_student(student.load(ROOT / "book" / "md" / f"{chapter}.md"),
                                       chapter)
        nbformat.write(copy, folder / "student" / f"{chapter}.ipynb")
        mistakes.update(with_mistakes(copy, chapter))
        # a student's own file name: matched by the chapter in the copy's metadata
        nbformat.write(copy, folder / "mistakes" / f"{chapter}_alice.ipynb")
    rows = tool.grade_folder(folder, jobs=2)
    return folder, rows, mistakes


def _rows(graded, kind):
    return [r for r in graded[1] if r["notebook"].startswith(f"{kind}/")]


def test_every_exercise_of_every_notebook_has_a_row(graded):
    folder, rows, _ = graded
    with open(folder / "grades.csv", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == tool.COLUMNS
        assert len(list(reader)) == len(rows)
    want = {(kind, ex.label) for kind in ("book", "student", "mistakes")
            for exs in EXERCISES.values() for ex in exs}
    assert {(r["notebook"].split("/")[0], r["exercise"]) for r in rows} == want
    assert all(r["feedback"].startswith(grading.PREFIXES) for r in rows)


def test_the_books_chapters_get_full_marks(graded):
    rows = _rows(graded, "book")
    bad = [r for r in rows if r["points"] != r["max_points"] or r["max_points"] != tool.POINTS]
    assert not bad, bad
    assert all(r["feedback"].startswith("Correct: ") and "hidden" in r["feedback"] for r in rows)


def test_untouched_student_copies_get_zero(graded):
    rows = _rows(graded, "student")
    assert rows and all(r["points"] == 0 for r in rows), rows
    assert all("NotImplementedError" in r["feedback"] for r in rows), rows


def test_one_mistake_per_exercise_is_named_and_costs_marks(graded):
    rows = _rows(graded, "mistakes")
    names = graded[2]
    assert {r["exercise"] for r in rows} == set(names)
    for r in rows:
        table = grading.table_of(next(ex.check for exs in EXERCISES.values() for ex in exs
                                      if ex.label == r["exercise"]))
        feedback = next(m.feedback for m in table.mistakes if m.name == names[r["exercise"]])
        assert r["points"] < r["max_points"], r
        assert r["feedback"].startswith(f"Not yet: {feedback}"), (names[r["exercise"]], r)


def test_the_summary_gives_the_share_of_full_marks(graded):
    folder, rows, _ = graded
    with open(folder / "summary.csv", newline="") as f:
        summary = {s["exercise"]: s for s in csv.DictReader(f)}
    assert set(summary) == {r["exercise"] for r in rows}
    for s in summary.values():
        # three notebooks per exercise, the book's alone with full marks
        assert (s["notebooks"], s["full_marks"], s["share_full_marks"]) == ("3", "1", "0.333")


# ---------------------------------------------------------------- without running otter
def test_every_coding_exercise_with_a_check_is_graded():
    for path in sorted((ROOT / "book" / "md").glob("*.md")):
        _, exs = student.make_student(student.load(path), path.stem)
        coding = [e.label for e in exs if e.coding]
        assert coding == [e.label for e in EXERCISES.get(path.stem, [])], path.stem


def test_the_autograder_holds_one_otter_test_file_per_exercise(tmp_path):
    from otter.test_files import ExceptionTestFile

    chapter, graded = next(iter(EXERCISES.items()))
    target = tool.write_autograder(chapter, graded, seed=5, out_dir=tmp_path)
    with zipfile.ZipFile(target) as zf:
        names = sorted(zf.namelist())
        assert names == sorted(["otter_config.json"] + [f"tests/{e.label}.py" for e in graded])
        text = zf.read(f"tests/{graded[0].label}.py").decode()
    test = ExceptionTestFile.from_string(text)
    probs = grading.problems(graded[0].check, 5)
    assert len(test.test_cases) == len(probs)
    assert [tc.hidden for tc in test.test_cases] == [h for _, h in probs]
    assert sum(tc.points for tc in test.test_cases) == pytest.approx(tool.POINTS)
    assert "SEED = 5" in text and not test.all_or_nothing


def test_notebooks_are_matched_to_their_chapters(tmp_path):
    chapters = {"ntk": [], "ntk_training": [], "data": []}
    nb = nbformat.v4.new_notebook()
    for name in ("ntk.ipynb", "ntk_training.ipynb", "alice_ntk_training.ipynb",
                 "data-bob.ipynb", "metadata.ipynb", "other.ipynb"):
        nbformat.write(nb, tmp_path / name)
    found = {p.name: tool.chapter_of(p, chapters) for p in tmp_path.iterdir()}
    assert found == {"ntk.ipynb": "ntk", "ntk_training.ipynb": "ntk_training",
                     "alice_ntk_training.ipynb": "ntk_training", "data-bob.ipynb": "data",
                     "metadata.ipynb": None, "other.ipynb": None}
    nb.metadata[tool.METADATA] = {"chapter": "data"}
    nbformat.write(nb, tmp_path / "other.ipynb")
    assert tool.chapter_of(tmp_path / "other.ipynb", chapters) == "data"


def test_summarize_and_feedback_parsing():
    rows = [{"exercise": "a", "points": 10.0, "max_points": 10.0, "feedback": "Correct: x"},
            {"exercise": "a", "points": 2.5, "max_points": 10.0, "feedback": "Not yet: y"},
            {"exercise": "a", "points": 0.0, "max_points": 10.0, "feedback": "Not yet: y"}]
    (s,) = tool.summarize(rows)
    assert (s["full_marks"], s["share_full_marks"], s["mean_points"]) == (1, 0.333, 4.17)
    assert s["most_common_feedback"] == "Not yet: y"
    message = "❌ Test case failed\nError at line 3 in test t:\n  x\nAssertionError: Not yet: z."
    assert tool._feedback({"cases": [{"passed": False, "message": message}]}) == "Not yet: z."


def test_grade_refuses_a_missing_folder_and_make_has_the_target(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tools.grade", str(tmp_path / "nope")],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0 and "must be a folder" in proc.stderr
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^grade:.*\n(\t.*\n)*\t.*-m tools\.grade", makefile, re.MULTILINE)
