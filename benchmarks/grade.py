"""Benchmark G1: ``make grade`` on one student's nine notebooks, and on a class of 30.

Each notebook runs in a kernel of its own (tools/grade.py), two at a time on this 2-core
machine. The submissions are the book's own chapter notebooks (every exercise completed), so
the time is the grading of complete work: the kernel's start, every cell of the chapter, the
exercise's test problems, and ending every process. Target: at most 5 s per notebook (wall
time of the whole run divided by the number of notebooks).

Usage::

    python -m benchmarks.grade              # one student's nine notebooks
    python -m benchmarks.grade --class 30   # and a class of 30 students (slow: 270 notebooks)
    python -m benchmarks.grade --jobs 2 --seed 12345
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

from tools import grade as tool

ROOT = Path(__file__).resolve().parent.parent


def class_folder(folder: Path, students: int) -> int:
    """Write ``students`` students' submissions (the book's notebooks); return the count."""
    chapters = list(tool.exercises())
    for k in range(students):
        who = folder / f"student{k + 1:02d}"
        who.mkdir(parents=True)
        for chapter in chapters:
            shutil.copy(ROOT / "book" / f"{chapter}.ipynb", who / f"{chapter}.ipynb")
    return students * len(chapters)


def bench(students: int, jobs: int, seed: int) -> dict:
    """Grade a class of ``students``; the times and whether every exercise got full marks."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        n = class_folder(folder, students)
        t0 = time.perf_counter()
        with redirect_stdout(StringIO()):
            rows = tool.grade_folder(folder, seed=seed, jobs=jobs)
        total = time.perf_counter() - t0
    for r in rows:
        if r["points"] != r["max_points"]:
            print(f"not full marks: {r['notebook']} {r['exercise']}: {r['feedback']}",
                  file=sys.stderr)
    return {"case": f"G1 {students} student(s)", "notebooks": n, "jobs": jobs,
            "total_s": total, "per_notebook_s": total / n,
            "full_marks": all(r["points"] == r["max_points"] for r in rows)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--class", dest="students", type=int, default=0,
                    help="also grade a class of this many students (e.g. 30; slow)")
    ap.add_argument("--jobs", type=int, default=2, help="kernels at a time (%(default)s)")
    ap.add_argument("--seed", type=int, default=271828, help="the hidden problems' seed")
    args = ap.parse_args(argv)
    rows = [bench(1, args.jobs, args.seed)]
    if args.students:
        rows.append(bench(args.students, args.jobs, args.seed))
    for r in rows:
        print(f"{r['case']}: {r['notebooks']} notebooks in {r['total_s']:.1f} s, "
              f"{r['per_notebook_s']:.2f} s per notebook ({r['jobs']} at a time), "
              f"full marks: {r['full_marks']}")
    ok = all(r["full_marks"] and r["per_notebook_s"] <= 5 for r in rows)
    print(f"{'PASS' if ok else 'FAIL'}  G1 at most 5 s per notebook, full marks for the book")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
