"""``make grade`` end to end, once: a class folder graded in one run of the grader.

The folder holds the book's own solutions (each chapter notebook cut to its install, imports,
solution and check cells: nbval executes the whole chapters once per run), a few students'
completed copies (correct functions written in other ways, one of them a whole student copy,
a named mistake, an untouched stub), and one notebook per attack: a handed-out student copy of
the data chapter (cut to its install, imports, exercise and check cells, to keep the run
short) with cells a student could append. The cut notebooks leave their plotting imports out
(nothing in them draws). Every attack must get 0 points, leave no process and no temporary
file behind, and leave the result files as the grader wrote them; those that the source rule
refuses are not run at all, every other one runs all its cells; the book's solutions and the
correct variants get full marks.

Each attack was seen to get marks from the grader this replaces (otter-grader running the
checks inside the student's kernel); see :data:`OLD_GRADER`.
"""

from __future__ import annotations

import ast
import copy
import csv
import functools
import os
import re
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from gflow_lib.checks import grading
from tools import grade as tool
from tools import student

pytestmark = pytest.mark.e2e  # one end-to-end run of the grader, kernels and all

ROOT = Path(__file__).resolve().parent.parent
SEED = 618033988  # the test's private seed: it must appear nowhere a submission can read
PUBLIC_SEED = 2026  # the old grader's public default seed
MARKER = "GFLOW-ATTACK-MARKER"
# The cell and call limits are waited out by the endless cell and function (spinning at nice
# 19: the CPU they take is what nothing else wants); the slowest cell of the class (alice's
# imports, matplotlib) took 0.65 s and the slowest exercise's calls 0.1 s at load 4, so 6 s
# and 2 s leave room at a load several times that (15 s and 5 s, then 10 s and 3 s before;
# alone, grading the class took 11.0 s with 10 s and 3 s, 7.1 s with these).
LIMITS = tool.Limits(timeout=150, cell_timeout=6, call_timeout=2, memory_mb=3072) if hasattr(
    tool, "Limits") else None  # (None: the old grader, when this file writes a class for it)
# Kernels at a time: two of the notebooks (the endless loops) hold theirs while the grader
# waits out a limit at the lowest priority, so four keep two kernels working on two cores
# (grading 81-89 s with three, 60-63 s with four, same minutes, load 19-22; CPU unchanged).
JOBS = 4
MIME = getattr(tool, "MIME", "application/vnd.gflow-grade.answers+json")
STUB = re.compile(r"^(?P<indent>\s*)raise NotImplementedError\(\"Exercise (?P<label>[\w-]+): ")

# What the grader this replaces (otter-grader, the checks run inside the student's kernel;
# commit 061735d^) gave the attacks on data-ex-loss, in points out of 10 (seed 4242;
# "pasted_answers" without a seed, as `make grade` then allowed). The others got 0 there too,
# but "read_secrets" put the autograder's test file, seed included, into its feedback, and
# "detached" left a kernel process running after the grader had finished.
OLD_GRADER: dict[str, float] = {
    "hard_coded_visible": 5.0, "visible_shapes_only": 5.0, "memory_bomb": 5.0,
    "library_dunder_import": 10.0, "library_exec": 10.0, "library_importlib": 10.0,
    "library_reference": 10.0, "patch_modules_plainly": 10.0,
    "pasted_answers": 10.0,
}


# ------------------------------------------------------------------- building notebooks
def _fill(nb, body: str, label: str) -> None:
    """Write ``body`` into the stub of exercise ``label``, in place."""
    for cell in nb.cells:
        if cell.cell_type != "code" or f"Exercise {label}:" not in cell.source:
            continue
        out = []
        for line in cell.source.splitlines():
            m = STUB.match(line)
            if m and m.group("label") == label:
                out += [m.group("indent") + b for b in textwrap.dedent(body).strip().splitlines()]
            elif not line.strip().startswith("# Your code here"):
                out.append(line)
        cell.source = "\n".join(out)
        return
    raise AssertionError(f"no stub of {label}")


PLOTTING = ("matplotlib", "gflow_lib.plotting")


def without_plotting(source: str) -> str:
    """An imports cell without its plotting imports (matplotlib, gflow_lib.plotting) and its
    ``apply_style()``: nothing in a cut notebook draws, and importing matplotlib was 0.7 s of
    the 1.5 s of CPU of each kernel. Any other line stays (data made there, too)."""
    drop = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""])
            if all(any(n == m or n.startswith(m + ".") for m in PLOTTING) for n in names):
                drop.update(range(node.lineno, node.end_lineno + 1))
        elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
              and getattr(node.value.func, "id", None) == "apply_style"):
            drop.update(range(node.lineno, node.end_lineno + 1))
    lines = source.splitlines()
    return "\n".join(line for k, line in enumerate(lines, 1) if k not in drop).strip()


@functools.lru_cache(maxsize=None)
def _exercises():
    return tool.exercises(strict=True)


@functools.lru_cache(maxsize=None)
def _student_copy(chapter):
    """The student copy of ``chapter`` with the chapter's text as it is (``faithful=False``):
    it changes markdown only (roles resolved, captions under figures: 1.1 s of CPU for the
    two chapters here), and the grader reads the code cells and the metadata; the code cells
    are those of the copy students get. tests/test_student.py checks the faithful text."""
    return student.make_student(student.load(ROOT / "book" / "md" / f"{chapter}.md"), chapter,
                                faithful=False)


def copy_of(chapter: str, body: str | None = None, cells=(), short: bool = False,
            signature: str | None = None):
    """A student copy of ``chapter`` (generated by tools/student.py) with its exercise's body
    written and ``cells`` appended; ``short`` keeps only the install, imports, exercise and
    check cells (and the markdown), which run in a second instead of several, and leaves the
    plotting imports out of the imports cell (nothing in it draws; importing matplotlib was
    a third of each kernel's start)."""
    nb, exs = _student_copy(chapter)
    nb = copy.deepcopy(nb)
    label = next(e.label for e in exs if e.coding)
    if short:
        code = [c for c in nb.cells if c.cell_type == "code"]
        keep = {id(code[0]), id(code[1])} | {
            id(c) for c in code if "NotImplementedError" in c.source or "check_" in c.source}
        nb.cells = [c for c in nb.cells if c.cell_type != "code" or id(c) in keep]
        lean = without_plotting(code[1].source)
        assert "apply_style" not in lean and lean != code[1].source.strip(), code[1].source
        code[1].source = lean
    if body is not None:
        _fill(nb, body, label)
    if signature is not None:  # the exercise's def line, changed
        cell = next(c for c in nb.cells if c.cell_type == "code" and f'"Exercise {label}' in
                    c.source or (c.cell_type == "code" and c.source.startswith("def ")))
        cell.source = re.sub(r"^def [^\n]*:", signature, cell.source, count=1)
    nb.cells += [nbformat.v4.new_code_cell(textwrap.dedent(c).strip()) for c in cells]
    return nb


def _loss_table(seed: int | None, visible: bool) -> dict:
    """{(shape, rounded sum of X): answer} of the loss's visible problems or of its hidden
    problems for ``seed``: what a student pastes from a run of the public grader."""
    table = grading.table_of("check_loss")
    probs = grading.problems("check_loss", seed if seed is not None else PUBLIC_SEED)
    out = {}
    for case, hidden in probs:
        if hidden == visible:
            continue
        X, y, phi = case.make()
        out[(X.shape, round(float(X.sum()), 6))] = float(table.reference(X, y, phi))
    return out


LOOKUP = """
known = {table!r}
key = (X.shape, round(float(X.sum()), 6))
return known.get(key, 0.0)
"""

CORRECT = "r = X.T @ phi - y\nreturn 0.5 * float(r @ r)"
NICE = "import os\nos.nice(19)"
VISIBLE_ONLY = """
if X.shape in {shapes}:
    r = X.T @ phi - y
    return 0.5 * float(r @ r)
"""


def attacks(folder: Path, loot: Path) -> dict[str, nbformat.NotebookNode]:
    """One notebook per attack on data-ex-loss; each must get 0 points."""
    visible = sorted({c.make()[0].shape for c in grading.table_of("check_loss").cases})
    shapes = repr(visible)
    grades, book = folder / "grades.csv", folder / "gradebook.csv"
    daemon = f"""
import time
time.sleep(0.5)
for _ in range(600):
    for f in ({str(grades)!r}, {str(book)!r}):
        try:
            open(f, "w").write("notebook,exercise,points,max_points,feedback\\n"
                               "HACKED,data-ex-loss,10,10,Correct\\n")
        except OSError:
            pass
    time.sleep(0.1)
"""
    out = {
        # replacing the grading functions, the harness's comparison, the check itself
        "patch_modules": copy_of("data", "return 0.0", [
            """
            m = __import__("sys").modules
            setattr(m["gflow_lib.checks.grading"], "assert_problem", lambda *a, **k: None)
            setattr(m["gflow_lib.checks.grading"], "grade", lambda *a, **k: "Correct: yes")
            setattr(m["gflow_lib.checks.harness"], "_" + "close", lambda *a, **k: True)
            setattr(m["gflow_lib.checks.harness"], "judge", lambda *a, **k: "Correct: yes")
            setattr(m["gflow_lib.checks"], "check_loss", lambda fn: "Correct: all right")
            """], short=True),
        "patch_modules_plainly": copy_of("data", "return 0.0", [
            """
            import gflow_lib.checks.harness as harness
            harness._close = lambda *a, **k: True
            """], short=True),
        # rewriting every file in the working folder and above it, in the grader's folders
        "rewrite_files": copy_of("data", "return 0.0", [
            f"""
            import os, sys
            test = ("from otter.test_files import test_case\\nOK_FORMAT = False\\n"
                    "name = 'x'\\npoints = 10\\n")
            os.makedirs("tests", exist_ok=True)
            open("tests/data-ex-loss.py", "w").write(test)
            seen = []
            for arg in sys.argv:
                if os.path.isfile(arg):
                    seen.append(arg)
            base = os.path.dirname(os.getcwd())
            for dirpath, dirs, files in os.walk(base):
                for f in files:
                    p = os.path.join(dirpath, f)
                    seen.append(p)
                    try:
                        open(p, "a").write("\\nSEED = 0\\n")
                    except OSError:
                        pass
            open({str(loot / 'rewrite_files.txt')!r}, "w").write("\\n".join(seen))
            """], short=True),
        # reading secrets: environment, argv, files around, /proc of every visible process
        "read_secrets": copy_of("data", """
            raise RuntimeError(_found)
            """, [f"""
            import glob, os, sys
            found = [repr(dict(os.environ)), " ".join(sys.argv)]
            for p in glob.glob("/proc/[0-9]*/cmdline") + glob.glob("/proc/[0-9]*/environ"):
                try:
                    found.append(open(p, "rb").read().replace(b"\\0", b" ").decode())
                except OSError:
                    pass
            for dirpath, dirs, files in os.walk(os.path.dirname(os.getcwd())):
                for f in files:
                    try:
                        found.append(open(os.path.join(dirpath, f)).read())
                    except (OSError, UnicodeDecodeError):
                        pass
            text = "\\n".join(found)
            open({str(loot / 'read_secrets.txt')!r}, "w").write(text)
            loss.__defaults__ = ("secrets\\x1b[31m: " + text[-2000:],)
            """], short=True, signature="def loss(X, y, phi, _found=None):"),
        # a detached process (double fork + setsid) and a new session, both rewriting results
        "detached": copy_of("data", "return 0.0", [
            f"""
            import os, subprocess, sys
            code = {daemon!r}
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c", code, "{MARKER}-daemon"])
                os._exit(0)
            subprocess.Popen([sys.executable, "-c", code, "{MARKER}-session"],
                             start_new_session=True)
            if os.fork() == 0:  # a plain fork that keeps the kernel's command line
                os.setsid()
                import time
                time.sleep(600)
                os._exit(0)
            """], short=True),
        # answers pasted from a run of the old grader with its public default seed
        "pasted_answers": copy_of(
            "data", LOOKUP.format(table={**_loss_table(None, True),
                                         **_loss_table(PUBLIC_SEED, False)}), short=True),
        "hard_coded_visible": copy_of(
            "data", LOOKUP.format(table=_loss_table(None, True)), short=True),
        "visible_shapes_only": copy_of(
            "data", VISIBLE_ONLY.format(shapes=shapes) + "return 0.0", short=True),
        # the library's own answer, called from the function
        "library_direct": copy_of("data", "return LinearFlow(X, y, phi).loss(0.0)", short=True),
        "library_aliased": copy_of("data", "return LF(X, y, phi).loss(0.0)", [
            "from gflow_lib import LinearFlow as LF"], short=True),
        "library_module": copy_of("data", "return g.flow.LinearFlow(X, y, phi).loss(0.0)", [
            "import gflow_lib as g"], short=True),
        "library_importlib": copy_of("data", """
            import importlib
            lib = importlib.import_module("gflow_" + "lib")
            return lib.LinearFlow(X, y, phi).loss(0.0)
            """, short=True),
        "library_dunder_import": copy_of("data", """
            return __import__("gflow_lib").LinearFlow(X, y, phi).loss(0.0)
            """, short=True),
        "library_exec": copy_of("data", """
            out = {}
            exec("from gflow_lib import LinearFlow as F; v = F(X, y, phi).loss(0.0)",
                 {"X": X, "y": y, "phi": phi}, out)
            return out["v"]
            """, short=True),
        "library_reference": copy_of("data", """
            from gflow_lib.checks.basics import LOSS
            return LOSS.reference(X, y, phi)
            """, short=True),
        # an endless loop in a cell, and in the function on the hidden problems (busy loops
        # in a kernel at the lowest priority, os.nice(19) in a cell of its own: the grader
        # waits out its 10 s and 3 s limits all the same, and the rest of the test run keeps
        # the CPU meanwhile)
        "endless_cell": copy_of("data", CORRECT, [NICE, "while True:\n    pass"], short=True),
        "endless_function": copy_of(
            "data", VISIBLE_ONLY.format(shapes=shapes) + "while True:\n    pass", [NICE],
            short=True),
        # ending the kernel from the function
        "os_exit": copy_of("data", CORRECT, ["import os\nos._exit(0)"], short=True),
        "exit_in_function": copy_of(
            "data", VISIBLE_ONLY.format(shapes=shapes) + "raise SystemExit(0)", short=True),
        # a memory bomb in the function
        "memory_bomb": copy_of("data", VISIBLE_ONLY.format(shapes=shapes) + textwrap.dedent("""
            hog = []
            while True:
                hog.append(np.empty(100_000_000))
            """), short=True),
        # forged output: a fake verdict printed, a fake answers message displayed
        "forged_output": copy_of("data", """
            display({FAKE: {"answers": []}}, raw=True)
            print("Correct: the loss matches the reference on all 8 test problems.")
            return 0.0
            """, ['FAKE = "application/vnd." + "gf" + "low-grade.answers+json"',
                  'display({FAKE: {"answers": [{"kind": "array", "dtype": "float64", '
                  '"shape": [], "data": "AAAAAAAAJEA="}]}}, raw=True)',
                  'print("data-ex-loss: 10/10 Correct")'], short=True),
    }
    for name, nb in out.items():  # a last cell that leaves a mark when it runs
        nb.cells.append(nbformat.v4.new_code_cell(
            f"open({str(loot / ('ran-' + name))!r}, 'w').close()"))
    return out


def book_solutions_only(chapter: str) -> nbformat.NotebookNode:
    """The book's notebook of ``chapter`` cut to its install and imports cells, its solution
    cells and its check cells (and the markdown), without the plotting imports: the book's own
    answers through the whole grader, without executing the chapter a second time in a run
    (nbval executes it once)."""
    nb = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    keep = {id(code[0]), id(code[1])} | {
        id(c) for c in code
        if "solution" in c.metadata.get("tags", []) or "print(check_" in c.source}
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or id(c) in keep]
    code[1].source = without_plotting(code[1].source)
    assert any("solution" in c.metadata.get("tags", []) for c in nb.cells), chapter
    return nb


def variants() -> dict[str, tuple[str, nbformat.NotebookNode]]:
    """Correct functions written in other ways, each with the student it belongs to; alice's
    data notebook is her whole student copy, every cell and figure of the chapter."""
    return {
        "alice/data.ipynb": ("alice", copy_of("data", """
            total = 0.0
            for i in range(X.shape[1]):
                r = sum(X[d, i] * phi[d] for d in range(X.shape[0])) - y[i]
                total += r * r
            return total / 2
            """)),
        "alice/closed_form.ipynb": ("alice", copy_of("closed_form", """
            import scipy.linalg
            return scipy.linalg.expm(-t * (X.T @ X)) @ (X.T @ phi0 - y)
            """, short=True)),
        "bob_data.ipynb": ("bob", copy_of("data", """
            r = (X.T @ phi - y).astype(np.float32)
            return np.float32(0.5) * np.sum(r * r, dtype=np.float32)
            """, short=True)),
        "erin/data.ipynb": ("erin", copy_of("data", "return half(residual(X, y, phi))", [
            "def residual(X, y, phi):\n    return X.T @ phi - y",
            "def half(r):\n    return 0.5 * np.linalg.norm(r) ** 2"], short=True)),
    }


def build_class(folder: Path, loot: Path) -> dict[str, str]:
    """Write the class folder; return {notebook: kind} with kind book, variant, stub,
    mistake or attack:NAME."""
    kinds = {}
    folder.mkdir(parents=True, exist_ok=True)
    loot.mkdir(parents=True, exist_ok=True)
    for chapter in _exercises():
        (folder / "book").mkdir(exist_ok=True)
        nbformat.write(book_solutions_only(chapter), folder / "book" / f"{chapter}.ipynb")
        kinds[f"book/{chapter}.ipynb"] = "book"
    for name, (_, nb) in variants().items():
        (folder / name).parent.mkdir(exist_ok=True)
        nbformat.write(nb, folder / name)
        kinds[name] = "variant"
    (folder / "carol").mkdir(exist_ok=True)
    nbformat.write(copy_of("data", short=True), folder / "carol" / "data.ipynb")
    kinds["carol/data.ipynb"] = "stub"
    (folder / "dave").mkdir(exist_ok=True)
    nbformat.write(copy_of("data", "r = X.T @ phi\nreturn 0.5 * float(r @ r)", short=True),
                   folder / "dave" / "data.ipynb")
    kinds["dave/data.ipynb"] = "mistake"
    for name, nb in attacks(folder, loot).items():
        (folder / f"attack-{name}").mkdir(exist_ok=True)
        nbformat.write(nb, folder / f"attack-{name}" / "data.ipynb")
        kinds[f"attack-{name}/data.ipynb"] = f"attack:{name}"
    return kinds


def _cmdlines() -> dict[int, str]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = Path(f"/proc/{entry}/cmdline").read_bytes()
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if stat[stat.rindex(")") + 2:].split()[0] not in "ZX":
                out[int(entry)] = raw.replace(b"\0", b" ").decode(errors="replace")
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the class in one run (JOBS kernels at a time); record time, processes and the
    temporary folder around it."""
    base = tmp_path_factory.mktemp("grade")
    folder, loot, scratch = base / "class", base / "loot", base / "tmp"
    scratch.mkdir()
    kinds = build_class(folder, loot)
    mp = pytest.MonkeyPatch()
    mp.setattr(tempfile, "tempdir", str(scratch))
    t0 = time.perf_counter()
    try:
        rows = tool.grade_folder(folder, seed=SEED, jobs=JOBS, limits=LIMITS)
    finally:
        mp.undo()
    seconds = time.perf_counter() - t0
    written = {n: (folder / n).read_text() for n in ("grades.csv", "gradebook.csv")}
    # A surviving daemon would rewrite the results within this time: it writes them every
    # 0.1 s from 0.5 s after the detached notebook ran, long before the results were written.
    time.sleep(0.5)
    return {"folder": folder, "loot": loot, "scratch": scratch, "kinds": kinds, "rows": rows,
            "seconds": seconds, "written": written}


def _rows(graded, kind):
    return [r for r in graded["rows"] if graded["kinds"][r["notebook"]] == kind]


ATTACKS = ("detached", "endless_cell", "endless_function", "exit_in_function", "forged_output",
           "hard_coded_visible",
           "library_aliased", "library_direct", "library_dunder_import", "library_exec",
           "library_importlib", "library_module", "library_reference", "memory_bomb", "os_exit",
           "pasted_answers", "patch_modules", "patch_modules_plainly", "read_secrets",
           "rewrite_files", "visible_shapes_only")


def test_the_attack_list_is_complete(graded):
    assert sorted(k.split(":")[1] for k in graded["kinds"].values()
                  if k.startswith("attack:")) == sorted(ATTACKS)


@pytest.mark.parametrize("name", ATTACKS)
def test_every_attack_gets_zero(graded, name):
    rows = _rows(graded, f"attack:{name}")
    assert rows, f"attack {name} was not graded"
    for r in rows:
        assert r["points"] == 0, (name, r)
        assert not r["feedback"].startswith("Correct"), (name, r)


# Refused by the source rule for every exercise they are graded on: the grader never runs them.
REFUSED = ("library_aliased", "library_direct", "library_dunder_import", "library_exec",
           "library_importlib", "library_module", "library_reference", "patch_modules_plainly")
STOPPED = ("endless_cell", "os_exit")  # no cell runs after the one that ends the notebook


def test_only_the_attacks_refused_for_their_source_are_not_run(graded):
    """The others ran every cell (the last one leaves a mark), up to the cell that ended the
    run where one does."""
    ran = {p.name.removeprefix("ran-") for p in graded["loot"].glob("ran-*")}
    assert ran == set(ATTACKS) - set(REFUSED) - set(STOPPED)
    for name in ATTACKS:
        text = (graded["folder"] / "feedback" / f"attack-{name}.md").read_text()
        assert (tool.NOT_RUN in text) == (name in REFUSED), name


def test_attacks_get_zero_for_the_reason_named(graded):
    feedback = {graded["kinds"][r["notebook"]].split(":", 1)[-1]: r["feedback"]
                for r in graded["rows"] if graded["kinds"][r["notebook"]].startswith("attack:")}
    for name in ("library_direct", "library_aliased", "library_module"):
        assert "uses" in feedback[name] and "LinearFlow" in feedback[name], feedback[name]
    for name in ("library_importlib", "library_dunder_import", "library_exec"):
        assert "cannot tell what your function" in feedback[name], feedback[name]
    assert "gflow_lib" in feedback["library_reference"] or "cannot tell" in feedback[
        "library_reference"]
    assert "the notebook replaces" in feedback["patch_modules_plainly"]
    assert "did not finish running" in feedback["endless_cell"]
    assert "did not return within" in feedback["endless_function"]
    assert "kernel stopped during code cell" in feedback["os_exit"]
    assert "SystemExit" in feedback["exit_in_function"]
    assert "answer messages" in feedback["forged_output"]
    for name in ("patch_modules", "detached", "rewrite_files"):
        assert "differs from the reference" in feedback[name], feedback[name]
    assert "MemoryError" in feedback["memory_bomb"]
    for name in ("hard_coded_visible", "visible_shapes_only", "pasted_answers"):
        assert "Hidden problems right: 0 of" in feedback[name], feedback[name]


def test_no_secret_reaches_the_submission_or_the_feedback(graded):
    loot = (graded["loot"] / "read_secrets.txt").read_text()
    assert len(loot) > 1000  # the attack did read the environment, argv and /proc
    assert str(SEED) not in loot
    # its /proc listed its own kernel only: not the grader's process (this one), the kernels'
    # launcher or another submission's kernel (grade_kernel.py is in each one's command line)
    grader = Path("/proc/self/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    assert grader not in loot and loot.count("grade_kernel.py") == 1
    seen = (graded["loot"] / "rewrite_files.txt").read_text()
    for name in ("grades.csv", "gradebook.csv", "summary.csv"):
        assert str(SEED) not in (graded["folder"] / name).read_text()
    for f in (graded["folder"] / "feedback").iterdir():
        assert str(SEED) not in f.read_text()
    assert "SEED" not in seen and ".zip" not in seen
    row = next(r for r in graded["rows"] if graded["kinds"][r["notebook"]] == (
        "attack:read_secrets"))
    assert row["feedback"].startswith("Error: ") and len(row["feedback"]) < 600
    assert all(c.isprintable() for c in row["feedback"])


def _elsewhere(pid: int, cmd: str, ours: Path, tests: Path) -> bool:
    """Whether process ``pid`` (command line ``cmd``) shows it belongs to another test of this
    pytest run: its command line, working folder or environment names a folder under
    ``tests`` (the run's temporary folders, every worker's) that is not under ``ours``."""
    seen = [cmd]
    try:
        seen.append(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        pass
    try:
        seen.append(Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace"))
    except OSError:
        pass
    folders = re.compile(re.escape(str(tests)) + r"/[^\s\x00:]*")
    named = [m.group() for text in seen for m in folders.finditer(text)]
    return bool(named) and not any(p == str(ours) or p.startswith(f"{ours}/") for p in named)


def test_no_process_and_no_temporary_file_is_left(graded):
    """Nothing of this grading run: processes of another test running meanwhile on another
    pytest worker (test_grade's kernels, in their own temporary folders) are not its."""
    ours = graded["scratch"].parent
    tests = ours.parent.parent  # every worker's temporary folders: <run>/popen-gwN/...
    left = {pid: c for pid, c in _cmdlines().items()
            if (MARKER in c or "gflow-grade-" in c or "grade_kernel" in c)
            and not _elsewhere(pid, c, ours, tests)}
    assert not left, left
    assert list(graded["scratch"].iterdir()) == []


def test_a_process_of_another_test_is_told_apart(tmp_path_factory, tmp_path):
    ours = tmp_path_factory.mktemp("grade")
    tests = ours.parent.parent
    other = tmp_path / "grader" / "kernel.json"
    me = os.getpid()  # this process: its folder and environment name no test folder
    assert _elsewhere(me, f"unshare python grade_kernel.py -f {other}", ours, tests)
    assert not _elsewhere(me, f"unshare python grade_kernel.py -f {ours}/tmp/k.json", ours,
                          tests)
    assert not _elsewhere(me, "python grade_kernel.py --launcher", ours, tests)


def test_the_results_are_the_graders(graded):
    folder = graded["folder"]
    for name, text in graded["written"].items():
        assert (folder / name).read_text() == text, name
        assert "HACKED" not in text


def test_the_books_notebooks_and_correct_variants_get_full_marks(graded):
    rows = _rows(graded, "book") + _rows(graded, "variant")
    assert len(_rows(graded, "book")) == sum(len(v) for v in _exercises().values())
    bad = [r for r in rows if r["points"] != r["max_points"] or r["max_points"] != 10]
    assert not bad, bad
    assert all(r["feedback"].startswith("Correct: ") for r in rows)
    bob = next(r for r in rows if r["notebook"] == "bob_data.ipynb")
    assert "float32" in bob["feedback"]


def test_the_cut_notebooks_leave_out_the_plotting_imports(graded):
    """Nothing in them draws (importing matplotlib was 0.7 s of CPU per kernel); alice's data
    notebook is the whole student copy, figures and all."""
    for name in graded["kinds"]:
        nb = nbformat.read(graded["folder"] / name, as_version=4)
        imports = [c.source for c in nb.cells if c.cell_type == "code"][1]
        drawn = any(w in imports for w in ("matplotlib", "gflow_lib.plotting", "apply_style"))
        assert drawn == (name == "alice/data.ipynb"), (name, imports)


def test_a_stub_and_a_mistake_get_zero_and_their_feedback(graded):
    (stub,) = _rows(graded, "stub")
    assert stub["points"] == 0 and "NotImplementedError" in stub["feedback"]
    (mistake,) = _rows(graded, "mistake")
    feedback = next(m.feedback for m in grading.table_of("check_loss").mistakes
                    if m.name == "forgot y")
    assert mistake["points"] == 0 and mistake["feedback"].startswith(f"Not yet: {feedback}")


def test_grades_csv_has_one_row_per_notebook_and_exercise(graded):
    folder, rows = graded["folder"], graded["rows"]
    with open(folder / "grades.csv", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == tool.COLUMNS
        assert len(list(reader)) == len(rows) == len(graded["kinds"])
    assert all(r["feedback"].startswith(grading.PREFIXES) for r in rows)


def test_the_gradebook_has_one_row_per_student(graded):
    folder = graded["folder"]
    with open(folder / "gradebook.csv", newline="") as f:
        book = {r["student"]: r for r in csv.DictReader(f)}
    labels = [ex.label for exs in _exercises().values() for ex in exs]
    assert list(next(iter(book.values()))) == ["student", *labels, "total"]
    assert float(book["book"]["total"]) == 10 * len(labels)
    assert float(book["alice"]["data-ex-loss"]) == 10
    assert float(book["alice"]["closed-form-ex-residuals"]) == 10
    assert float(book["alice"]["total"]) == 20
    assert float(book["bob"]["total"]) == 10  # bob_data.ipynb: the student from the file name
    assert all(float(book[s]["total"]) == 0 for s in book if s.startswith("attack-"))
    assert {"carol", "dave", "erin"} <= set(book)
    text = (folder / "feedback" / "alice.md").read_text()
    assert "# Feedback for alice" in text and "closed-form-ex-residuals" in text
    assert "hidden problems right" in text
    assert "data-ex-loss" in (folder / "feedback" / "carol.md").read_text()
    assert len(list((folder / "feedback").iterdir())) == len(book)


def test_the_summary_counts_the_mistakes(graded):
    with open(graded["folder"] / "summary.csv", newline="") as f:
        summary = {s["exercise"]: s for s in csv.DictReader(f)}
    loss = summary["data-ex-loss"]
    assert "forgot y: 1" in loss["most_common_mistakes"]
    assert "library: " in loss["most_common_mistakes"]
    assert {s["gflow_lib_version"] for s in summary.values()} == {
        __import__("gflow_lib").__version__}
    assert int(loss["notebooks"]) == sum(1 for r in graded["rows"]
                                         if r["exercise"] == "data-ex-loss")


def test_grading_takes_a_few_seconds_per_notebook(graded):
    """JOBS kernels at a time; the attacks that run into a timeout are included."""
    per = graded["seconds"] / len(graded["kinds"])
    print(f"graded {len(graded['kinds'])} notebooks in {graded['seconds']:.1f} s "
          f"({per:.1f} s per notebook)")
    assert per < 15


if __name__ == "__main__":  # write the class folder, to grade it with another grader
    build_class(Path(sys.argv[1]), Path(sys.argv[2]))
    np.set_printoptions()
