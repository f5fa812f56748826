"""Grade submitted notebooks with otter-grader, on this machine, offline, without Docker.

``make grade SUBMISSIONS=DIR`` (or ``python -m tools.grade DIR``) grades every notebook under
``DIR``, completed student copies as well as the book's own chapter notebooks, and writes

* ``DIR/grades.csv``: one row per auto-graded exercise of each notebook, with the columns
  ``notebook, exercise, points, max_points, feedback``;
* ``DIR/summary.csv``, also printed: per exercise, how many notebooks got full marks, the
  share, the mean points and the most common feedback.

How it works. The graded exercises are read off the chapter sources (``book/md/*.md``) by the
same parser as the student copies (``tools/student.py``): a coding exercise whose solution is
followed by a check cell (``print(check_loss(loss))``) is graded by that check, so a new
chapter's exercises are graded without a change here. For each chapter an otter autograder
zip is written to ``_build/autograder/SEED/CHAPTER.zip``, with one exception-based otter test
file per exercise and one otter test case per problem: the check's visible problems and the
hidden ones of ``gflow_lib.checks.hidden`` drawn from ``--seed``. Each case calls
``gflow_lib.checks.grading.assert_problem``, which fails with the check's feedback line. Each
exercise is worth ``POINTS`` points, shared equally by its problems (partial credit).

Every notebook is graded by ``otter run`` (otter's non-containerized grading: it executes the
notebook in a fresh kernel of this environment, then runs the tests in that kernel) in a
subprocess of its own, at most ``--jobs`` at a time, stopped after ``--timeout`` seconds. A
notebook is matched to its chapter by the metadata the student copies carry
(``gflow_lib.chapter``), else by its file name (``data.ipynb``, ``alice_data.ipynb``).

This is not a sandbox: a submission runs with the grader's rights, as with ``otter run``
itself. Grade in a throw-away account or container when that matters.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build" / "autograder"
COLUMNS = ("notebook", "exercise", "points", "max_points", "feedback")
SUMMARY = ("exercise", "notebooks", "full_marks", "share_full_marks", "mean_points",
           "max_points", "most_common_feedback")
POINTS = 10
METADATA = "gflow_lib"  # notebook metadata key of the student copies: {"chapter": NAME}

TEST_FILE = '''\
"""Exercise {label} of the chapter {chapter}: {function}, graded by {check}.

Written by tools/grade.py: {n} problems ({n_visible} visible, {n_hidden} hidden, seed
{seed}) sharing {points} points. Each case passes when its problem is right, and otherwise
fails with the check's feedback line.
"""

OK_FORMAT = False

from otter.test_files import test_case

from gflow_lib.checks.grading import assert_problem

name = {label!r}
points = {points}
SEED = {seed}
'''

TEST_CASE = '''

@test_case(name={name!r}, hidden={hidden}, success_message={success!r})
def problem_{k}(env):
    assert_problem(env, {check!r}, {k}, SEED, {function!r})
'''


@dataclass(frozen=True)
class Exercise:
    """An auto-graded exercise: where it is, the check that grades it, the function it asks
    for."""

    chapter: str
    label: str
    check: str
    function: str


def exercises(chapters=None, strict: bool = False) -> dict[str, list[Exercise]]:
    """The auto-graded exercises of each chapter, ``{chapter: [Exercise, ...]}``.

    A chapter whose exercises cannot be read (a solution left open while it is being written)
    is skipped with a warning, or raises when ``strict``.
    """
    from gflow_lib.checks import grading
    from tools.notebooks import sources
    from tools.student import StudentCopyError, load, make_student

    found = {}
    for src in sources(chapters):
        try:
            _, exs = make_student(load(src), src.stem, banner=False)
        except StudentCopyError as exc:
            if strict:
                raise
            print(f"warning: {src.stem} skipped: {exc}", file=sys.stderr)
            continue
        graded = [Exercise(src.stem, e.label, e.check,
                           e.checked or grading.function_name(e.check))
                  for e in exs if e.coding and e.check]
        if graded:
            found[src.stem] = graded
    return found


def write_autograder(chapter: str, graded: list[Exercise], seed: int, out_dir: Path) -> Path:
    """Write the otter autograder zip of one chapter and return its path."""
    from gflow_lib.checks import grading

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{chapter}.zip"
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr("otter_config.json", json.dumps({"lang": "python"}))
        for ex in graded:
            probs = grading.problems(ex.check, seed)
            n_hidden = sum(hidden for _, hidden in probs)
            what = grading.table_of(ex.check).what
            success = (f"Correct: {what} matches the reference on all {len(probs)} test "
                       f"problems ({len(probs) - n_hidden} visible, {n_hidden} hidden).")
            text = TEST_FILE.format(label=ex.label, chapter=chapter, function=ex.function,
                                    check=ex.check, n=len(probs), n_visible=len(probs) - n_hidden,
                                    n_hidden=n_hidden, seed=seed, points=POINTS)
            for k, (case, hidden) in enumerate(probs):
                text += TEST_CASE.format(name=f"{ex.label}: {case.label}", hidden=hidden,
                                         success=success, k=k, check=ex.check,
                                         function=ex.function)
            zf.writestr(f"tests/{ex.label}.py", text)
    return target


def chapter_of(path: Path, chapters) -> str | None:
    """The chapter a submitted notebook belongs to, or None."""
    try:
        nb = nbformat.read(path, as_version=4)
        meta = nb.metadata.get(METADATA, {}).get("chapter")
    except Exception:  # an unreadable notebook: fall back on its name (graded as an error)
        meta = None
    if meta in chapters:
        return meta
    if path.stem in chapters:
        return path.stem
    hits = [c for c in chapters if re.search(rf"(^|[^a-z]){re.escape(c)}($|[^a-z])", path.stem)]
    return max(hits, key=len) if hits else None


def submissions(folder: Path) -> list[Path]:
    """Every notebook under ``folder`` (checkpoints left out), sorted."""
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


# ------------------------------------------------------------------------- one notebook
def _worker(autograder: str, notebook: str, out: str) -> None:
    """Grade one notebook with ``otter run`` and write what the rows need as JSON."""
    from otter.run import main as otter_run

    results = otter_run(notebook, autograder=autograder, output_dir=None, no_logo=True)
    data = {"error": None, "files": {}}
    if results.has_catastrophic_failure():
        data["error"] = str(results.catastrophic_error)
    for name, tf in results.results.items():
        data["files"][name] = {
            "score": float(tf.score), "possible": float(tf.possible),
            "cases": [{"hidden": bool(r.test_case.hidden), "passed": bool(r.passed),
                       "message": r.message or "", "success": r.test_case.success_message or ""}
                      for r in tf.test_case_results]}
    Path(out).write_text(json.dumps(data))


def _feedback(result: dict) -> str:
    """The exercise's feedback line: the check's, from the first failed case, or the
    success message when every case passed."""
    failed = [c for c in result["cases"] if not c["passed"]]
    if not failed:
        return result["cases"][0]["success"] if result["cases"] else "Error: no test problems."
    m = re.search(r"AssertionError: (.*)\Z", failed[0]["message"], re.DOTALL)
    if m:
        return m.group(1).strip()
    last = failed[0]["message"].strip().splitlines()[-1:] or ["unknown error"]
    return f"Error: the grader could not run this exercise: {last[0]}"


def grade_notebook(path: Path, folder: Path, chapter: str, graded: list[Exercise],
                   autograder: Path, timeout: float) -> list[dict]:
    """The rows of one notebook: one per auto-graded exercise of its chapter."""
    name = path.relative_to(folder).as_posix()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        cmd = [sys.executable, "-m", "tools.grade", "--worker", str(autograder),
               str(path.resolve()), str(out)]
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True,
                                  timeout=timeout)
            error = None if proc.returncode == 0 and out.is_file() else (
                (proc.stderr.strip().splitlines() or ["no output"])[-1])
        except subprocess.TimeoutExpired:
            error = f"grading stopped after {timeout:g} s (an endless loop?)"
        data = json.loads(out.read_text()) if error is None else {"error": error, "files": {}}
    rows = []
    for ex in graded:
        result = data["files"].get(ex.label)
        if result is None:
            why = data["error"] or "the exercise's test did not run"
            rows.append({"notebook": name, "exercise": ex.label, "points": 0.0,
                         "max_points": float(POINTS),
                         "feedback": f"Error: the notebook could not be graded: {why}"})
            continue
        rows.append({"notebook": name, "exercise": ex.label,
                     "points": round(result["score"], 2),
                     "max_points": round(result["possible"], 2),
                     "feedback": _feedback(result)})
    return rows


# ------------------------------------------------------------------------------ the folder
def summarize(rows: list[dict]) -> list[dict]:
    """Per exercise: notebooks, full marks, their share, mean points, most common feedback."""
    out = []
    for label in dict.fromkeys(r["exercise"] for r in rows):
        mine = [r for r in rows if r["exercise"] == label]
        full = sum(r["points"] >= r["max_points"] for r in mine)
        common, _ = Counter(r["feedback"] for r in mine).most_common(1)[0]
        out.append({"exercise": label, "notebooks": len(mine), "full_marks": full,
                    "share_full_marks": round(full / len(mine), 3),
                    "mean_points": round(sum(r["points"] for r in mine) / len(mine), 2),
                    "max_points": mine[0]["max_points"], "most_common_feedback": common})
    return out


def _write_csv(path: Path, columns, rows) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def grade_folder(folder: Path, seed: int | None = None, jobs: int = 2, timeout: float = 600,
                 chapters=None) -> list[dict]:
    """Grade every notebook under ``folder``; write grades.csv and summary.csv there."""
    from gflow_lib.checks.grading import DEFAULT_SEED

    seed = DEFAULT_SEED if seed is None else int(seed)
    folder = Path(folder)
    if not folder.is_dir():
        raise SystemExit(f"SUBMISSIONS must be a folder of notebooks; got {folder}")
    found = exercises(chapters)
    zips = {c: write_autograder(c, g, seed, BUILD / str(seed)) for c, g in found.items()}
    work = []
    for path in submissions(folder):
        chapter = chapter_of(path, found)
        if chapter is None:
            print(f"skipped {path.relative_to(folder)}: no chapter with graded exercises "
                  f"matches it (chapters: {', '.join(found)})", file=sys.stderr)
            continue
        work.append((path, chapter))
    if not work:
        raise SystemExit(f"no notebook in {folder} belongs to a chapter with graded exercises")
    print(f"grading {len(work)} notebooks with otter-grader (seed {seed}, {jobs} at a time)")
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        parts = list(pool.map(lambda w: grade_notebook(w[0], folder, w[1], found[w[1]],
                                                       zips[w[1]], timeout), work))
    rows = [r for part in parts for r in part]
    _write_csv(folder / "grades.csv", COLUMNS, rows)
    summary = summarize(rows)
    _write_csv(folder / "summary.csv", SUMMARY, summary)
    print(f"wrote {folder / 'grades.csv'} ({len(rows)} rows) and {folder / 'summary.csv'}")
    width = max(len(s["exercise"]) for s in summary)
    for s in summary:
        print(f"  {s['exercise']:<{width}}  full marks {s['full_marks']}/{s['notebooks']} "
              f"({100 * s['share_full_marks']:.0f}%), mean {s['mean_points']:g}/"
              f"{s['max_points']:g}")
    return rows


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(*argv[1:4])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of notebooks to grade")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the hidden problems (default: GRADE_SEED or "
                             "gflow_lib.checks.grading.DEFAULT_SEED); keep a course's seed private")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="notebooks graded at once (%(default)s)")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds allowed per notebook (%(default)s)")
    parser.add_argument("--chapters", nargs="*", default=None,
                        help="only these chapters' exercises (default: all)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else os.environ.get("GRADE_SEED") or None
    grade_folder(args.submissions, seed=seed, jobs=args.jobs, timeout=args.timeout,
                 chapters=args.chapters)
    return 0


if __name__ == "__main__":
    sys.exit(main())
