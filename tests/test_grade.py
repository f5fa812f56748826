"""``make grade`` (tools/grade.py), in this process: the exercises found, the protocol between
the grader and a kernel (answers as data, validated), the library read from the source,
processes ended, files that must not change, students and the class's outputs.

One end-to-end run that grades a whole class folder, attacks included, is in
tests/test_grade_attacks.py.
"""

from __future__ import annotations

import base64
import csv
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path, PurePosixPath
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from gflow_lib.checks import grading
from tools import grade as tool
from tools import student
from tools.grade_source import library_use

ROOT = Path(__file__).resolve().parent.parent
SEED = 4242
# The chapters with a graded exercise, read cheaply for the parametrization: every
# pytest-xdist worker collects every file, and parsing the chapters here (tool.exercises) cost
# each one 0.5 s of CPU. test_the_graded_chapters_are_the_parsed_ones checks them.
GRADED = sorted(p.stem for p in (ROOT / "book" / "md").glob("*.md")
                if "print(check_" in p.read_text())


def exercises() -> dict:
    """tool.exercises(strict=True), parsed once per process (tools.grade keeps the parse)."""
    return tool.exercises(strict=True)


def test_the_graded_chapters_are_the_parsed_ones():
    assert GRADED == sorted(exercises())


# -------------------------------------------------------------------------- exercises
@pytest.mark.slow  # every chapter parsed (2 s)
def test_every_coding_exercise_with_a_check_is_graded():
    for path in sorted((ROOT / "book" / "md").glob("*.md")):
        _, exs = student.make_student(student.load(path), path.stem, faithful=False)
        coding = [e.label for e in exs if e.coding]
        assert coding == [e.label for e in exercises().get(path.stem, [])], path.stem


def test_exercises_are_read_again_when_a_source_changes(tmp_path, monkeypatch):
    """A source is parsed once per process while it is unchanged; an edit is read."""
    import tools.notebooks

    src = tmp_path / "data.md"
    text = (ROOT / "book" / "md" / "data.md").read_text()
    src.write_text(text)
    monkeypatch.setattr(tools.notebooks, "sources", lambda chapters=None: [src])
    (ex,) = tool.exercises()["data"]
    assert tool.exercises()["data"] == [ex]
    src.write_text(text.replace(ex.label, ex.label + "-renamed"))
    assert [e.label for e in tool.exercises()["data"]] == [ex.label + "-renamed"]


@pytest.mark.slow  # every exercise's problems and references (3 s)
def test_problems_are_prepared_with_the_seed_and_sent_as_data():
    problems = tool.prepare(exercises(), SEED)
    for probs in problems.values():
        for p in probs:
            assert len(p.pairs) == len(p.hidden) == len(grading.problems(p.exercise.check, SEED))
            assert str(SEED) not in p.spec and "reference" not in p.spec
            # every problem's arguments, and nothing else: no answer travels to the kernel
            table = grading.table_of(p.exercise.check)
            for _, args in p.pairs:
                want = np.ravel(table.reference(*args))
                encoded = base64.b64encode(np.ascontiguousarray(want, "<f8").tobytes())
                if want.size > 1:
                    assert encoded.decode() not in p.spec


# --------------------------------------------------------------------------- protocol
def _call_here(spec: str, namespace: dict) -> list:
    """Run the kernel's side of the protocol in ``namespace`` here; the payloads it shows."""
    shown = []
    import IPython.display

    real = IPython.display.display
    IPython.display.display = lambda obj, raw=False: shown.append(obj[tool.MIME])
    try:
        exec(tool.CALL % {"max": tool.MAX_ELEMENTS, "mime": tool.MIME, "spec": spec},
             namespace)
    finally:
        IPython.display.display = real
    return shown


@pytest.mark.parametrize("chapter", GRADED)
def test_the_protocol_carries_answers_that_the_grader_judges(chapter):
    """The kernel's code calls the function on each problem and returns its answers as data;
    parsed and judged here they give the verdict of a function called here."""
    for p in tool.prepare({chapter: exercises()[chapter]}, SEED)[chapter]:
        table = grading.table_of(p.exercise.check)
        in_float32 = (lambda ref: lambda *a: np.asarray(ref(*a), dtype=np.float32))(
            table.reference)
        for fn in (table.reference, table.mistakes[0].answer, in_float32):
            (payload,) = _call_here(p.spec, {p.exercise.function: fn})
            answers = tool.parse_answers(payload, len(p.pairs))
            got = grading.grade_answers(p.exercise.check, p.pairs, answers, p.hidden)
            here = grading.grade(p.exercise.check, fn, SEED)
            assert (str(got), got.points) == (str(here), here.points)


def test_the_protocol_reports_errors_missing_functions_and_non_numbers():
    p = tool.prepare({"data": exercises()["data"]}, SEED)["data"][0]
    (payload,) = _call_here(p.spec, {})
    assert tool.parse_answers(payload, len(p.pairs)) is None
    for fn, words in [(lambda X, y, phi: 1 / 0, "ZeroDivisionError: division by zero"),
                      (lambda X, y, phi: "x", "returned str, not numbers"),
                      (lambda X, y, phi: None, "returned None"),
                      (lambda X, y, phi: 1 + 1j, "complex"),
                      (lambda X, y, phi: float("nan"), "NaN")]:
        (payload,) = _call_here(p.spec, {"loss": fn})
        answers = tool.parse_answers(payload, len(p.pairs))
        verdict = grading.grade_answers("check_loss", p.pairs, answers, p.hidden)
        assert words in verdict and verdict.points == 0, verdict


def _array(values, dtype="float64", shape=None):
    a = np.asarray(values, dtype="<f8" if dtype == "float64" else "<f4")
    return {"kind": "array", "dtype": dtype, "shape": list(a.shape if shape is None else shape),
            "data": base64.b64encode(a.tobytes()).decode()}


@pytest.mark.parametrize("bad", [
    {"kind": "array", "dtype": "object", "shape": [], "data": ""},
    {"kind": "array", "dtype": "float64", "shape": [2], "data": "AAAA"},  # wrong length
    {**_array([1.0, 2.0]), "shape": [3]},
    {**_array([1.0]), "shape": [-1]},
    {**_array([1.0]), "shape": [10**7]},  # too many elements
    {"kind": "array", "dtype": "float64", "shape": [1], "data": "not base64!!"},
    {"kind": "pickle", "data": base64.b64encode(b"\x80\x04K\x01.").decode()},
    "a string",
], ids=["dtype", "length", "shape", "negative", "size", "base64", "pickle", "type"])
def test_malformed_answers_are_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        tool.parse_answers({"answers": [bad]}, 1)


def test_answers_are_parsed_with_dtype_and_shape():
    (a, b) = tool.parse_answers({"answers": [_array([[1.0, 2.0]]), _array(3.5, "float32")]}, 2)
    assert a.value.shape == (1, 2) and a.value.dtype == np.float64
    assert b.value.shape == () and b.value.dtype == np.float32
    with pytest.raises(ValueError, match="one answer per problem"):
        tool.parse_answers({"answers": [_array(1.0)]}, 2)


def test_student_text_is_sanitized_and_cut():
    (a,) = tool.parse_answers({"answers": [{
        "kind": "raised", "type": "Bad\x1bName", "base": "ValueError",
        "message": "line\none\x1b[31m" + "x" * 500}]}, 1)
    name, message, base = a.error
    assert name == "Exception" and base == "ValueError"
    assert len(message) <= tool.FEEDBACK_CHARS and all(c.isprintable() for c in message)
    assert "\x1b" not in message and message.endswith("...")


# ------------------------------------------------------------------- the library in it
NOTEBOOK = """
import numpy as np
import importlib
import gflow_lib as g
from gflow_lib import LinearFlow
from gflow_lib import LinearFlow as LF
from gflow_lib.network import last_layer_flow
flow = LinearFlow(np.eye(2), np.zeros(2), np.zeros(2))
alias = g.flow
"""
CASES = {
    "numpy": ("r = X.T @ phi - y\n    return 0.5 * r @ r", None),
    "direct": ("return LinearFlow(X, y, phi).loss(0.0)", "uses LinearFlow"),
    "aliased": ("return LF(X, y, phi).loss(0.0)", "uses LinearFlow"),
    "module": ("return g.LinearFlow(X, y, phi).loss(0.0)", "uses LinearFlow"),
    "submodule alias": ("return alias.LinearFlow(X, y, phi).loss(0.0)", "uses flow.LinearFlow"),
    "object": ("return flow.loss(0.0)", "uses LinearFlow"),
    "inner import": ("from gflow_lib.flow import LinearFlow as F\n    return F(X, y, phi)",
                     "uses flow.LinearFlow"),
    "importlib": ("return importlib.import_module('numpy').sum(X)", "module importlib"),
    "dunder import": ("return __import__('numpy').sum(X)", "__import__"),
    "exec": ("exec('v = 1')\n    return 0.0", "exec"),
    "getattr string": ("return getattr(g, 'Linear' + 'Flow')(X, y, phi)", "getattr"),
    "getattr constant": ("return getattr(g, 'LinearFlow')(X, y, phi)", "uses LinearFlow"),
    "globals": ("return globals()['LinearFlow'](X, y, phi)", "globals"),
    "dunder": ("return loss.__globals__['g']", "__globals__"),
    "default": ("return f(X, y, phi)", "uses LinearFlow"),
    "references": ("from gflow_lib.checks.basics import LOSS\n    return LOSS.reference(X, y, phi)",
                   "checks.basics.LOSS"),
    "undefined": ("return mystery(X)", "mystery"),
}


def _library(body: str, extra: str = "", no_library=True, forbidden=()):
    signature = "def loss(X, y, phi, f=LinearFlow):" if "f(X" in body else (
        "def loss(X, y, phi):")
    source = NOTEBOOK + extra + f"\n{signature}\n    {body}\n"
    return library_use([source], "loss", no_library, forbidden)


@pytest.mark.parametrize("case", list(CASES))
def test_the_library_is_found_in_the_source(case):
    body, words = CASES[case]
    why = _library(body)
    if words is None:
        assert why is None
    else:
        assert why is not None and words in why, why


def test_helpers_classes_and_decorators_are_followed():
    helper = "def helper(X, y, phi):\n    return LinearFlow(X, y, phi).loss(0.0)\n"
    assert "uses LinearFlow" in _library("return helper(X, y, phi)", helper)
    klass = "class K:\n    def __call__(self, X):\n        return g.LinearFlow\n"
    assert "uses LinearFlow" in _library("return K()(X)", klass)
    deco = "\ndef wrap(fn):\n    return lambda *a: LF(*a).loss(0.0)\n"
    source = NOTEBOOK + deco + "\n@wrap\ndef loss(X, y, phi):\n    return 0.0\n"
    assert "uses LinearFlow" in library_use([source], "loss", True)
    last = NOTEBOOK + "\nloss = lambda X, y, phi: LF(X, y, phi).loss(0.0)\n"
    assert "uses LinearFlow" in library_use([last], "loss", True)


def test_forbidden_names_when_the_library_is_allowed():
    """The last-layer exercise may use the library's flow, not the function that is its
    answer (also when reached through a re-export), nor the checks' references."""
    forbidden = ("gflow_lib.network.last_layer_flow",)
    assert _library("return LinearFlow(X, y, phi)", no_library=False,
                    forbidden=forbidden) is None
    why = _library("return last_layer_flow(X, y)", no_library=False, forbidden=forbidden)
    assert "network.last_layer_flow" in why and "computes the answer" in why
    why = _library("return g.network.last_layer_flow(X)", no_library=False,
                   forbidden=forbidden)
    assert why and "last_layer_flow" in why
    why = _library("from gflow_lib.checks import ntk\n    return ntk.LAST_LAYER.reference(X)",
                   no_library=False)
    assert why and "checks.ntk" in why


def test_patching_a_module_is_refused():
    for patch in ("np.asarray = lambda *a: 0", "setattr(g, 'x', 1)",
                  "import sys\nsys.modules['json'] = None",
                  "import gflow_lib.checks.harness as h\nh._close = lambda *a: True"):
        why = _library("return 0.0", "\n" + patch + "\n")
        assert why and "the notebook replaces" in why, patch
    assert _library("r = X.T @ phi - y\n    return 0.5 * r @ r",
                    "\nnp.set_printoptions(precision=3)\nx = {}\nx['a'] = 1\n") is None


def test_the_books_solutions_pass_the_source_rule():
    for chapter, exs in exercises().items():
        nb = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
        from tools.grade_source import cells_source

        sources = cells_source(nb)
        for ex in exs:
            table = grading.table_of(ex.check)
            assert library_use(sources, ex.function, table.no_library,
                               table.forbidden) is None, ex.label


# ---------------------------------------------------------------------------- processes
def _marked(marker: str) -> list[int]:
    """Live processes whose command line holds ``marker``."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if marker.encode() in cmd and state not in "ZX":
                out.append(int(entry))
    return out


def _wait_for(marker, n):
    end = time.monotonic() + 20
    while len(_marked(marker)) < n and time.monotonic() < end:
        time.sleep(0.05)
    return len(_marked(marker))


def _cleanup(marker):
    for pid in _marked(marker):
        try:
            os.kill(pid, 9)
        except OSError:
            pass


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_every_descendant_is_ended_also_a_detached_daemon():
    """A subreaper (as the kernel launcher makes itself) with a child, a grandchild in a new
    session whose parent exits (a double-forked daemon), and a process in a new session:
    end_all leaves none of them."""
    marker = f"GFLOW-TEST-TREE-{os.urandom(6).hex()}"
    script = textwrap.dedent("""
        import os, subprocess, sys, time
        sys.path.insert(0, sys.argv[1])
        import grade_kernel
        grade_kernel.subreaper()
        me = [sys.executable, "-c", "import time; time.sleep(600)", sys.argv[2]]
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, me)
            os._exit(0)
        subprocess.Popen(me, start_new_session=True)
        subprocess.Popen(me)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script, str(ROOT / "tools"), marker],
                            start_new_session=True)
    try:
        assert _wait_for(marker, 4) == 4
        tool.end_all(proc)
        assert _marked(marker) == [] and proc.poll() is not None
    finally:
        _cleanup(marker)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_an_orphan_of_a_dead_kernel_is_found_by_its_marker():
    """Without a pid namespace, a daemon whose kernel has exited is outside the kernel's
    tree; the run's marker in its environment still finds it.

    Here a holder process starts the kernel (which exits at once and is reaped) and the
    daemon, in a session of its own, beside it: the daemon carries the run's marker and is no
    descendant of the kernel. (The double-forked daemon below a kernel is
    test_every_descendant_is_ended_also_a_detached_daemon's.)"""
    marker = f"GFLOW-TEST-TREE-{os.urandom(6).hex()}"
    holder_script = textwrap.dedent("""
        import os, subprocess, sys, time
        marker = os.environ.pop("TEST_MARKER")
        kernel = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
        kernel.wait()
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", marker],
                         start_new_session=True)
        print(kernel.pid, flush=True)
        time.sleep(600)
    """)
    token = os.urandom(8).hex()
    env = {**os.environ, tool.TOKEN: token, "TEST_MARKER": marker}
    holder = subprocess.Popen([sys.executable, "-c", holder_script], env=env,
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    kernel_pid = int(holder.stdout.readline())
    try:
        assert _wait_for(marker, 1) == 1
        (daemon,) = _marked(marker)
        assert daemon not in tool.descendants(kernel_pid)
        assert not os.path.exists(f"/proc/{kernel_pid}")  # the kernel has exited
        fake_kernel = SimpleNamespace(pid=kernel_pid, returncode=0, poll=lambda: 0,
                                      wait=lambda timeout=None: 0)  # reaped by the holder
        tool.end_all(fake_kernel, token=token)
        assert _marked(marker) == []
    finally:
        _cleanup(marker)
        holder.kill()
        holder.wait()


def test_a_changed_library_file_stops_the_grading(tmp_path, monkeypatch):
    """A submission that changes a watched file aborts the run, naming the notebook, and no
    result file is written."""
    watched = tmp_path / "lib.py"
    watched.write_text("x = 1\n")
    folder = tmp_path / "class"
    (folder / "mallory").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), folder / "mallory" / "data.ipynb")
    monkeypatch.setattr(tool, "watched_files", lambda: [watched])

    def evil(sub, problems, seed, limits, tmp_root):
        watched.write_text("x = 2\n")
        sub.rows = []

    monkeypatch.setattr(tool, "grade_notebook", evil)
    with pytest.raises(tool.Tampered, match=r"mallory/data\.ipynb changed .*lib\.py"):
        tool.grade_folder(folder, seed=SEED, chapters=["data"])
    assert not (folder / "grades.csv").exists()


def test_a_notebook_refused_for_every_exercise_is_not_run(tmp_path, monkeypatch):
    """The source is read before a kernel starts: a notebook whose every graded function uses
    the library's own answer gets 0 points, saying why, and no kernel runs it."""
    folder = tmp_path / "class"
    (folder / "mallory").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from gflow_lib import LinearFlow\n\ndef loss(X, y, phi):\n"
        "    return LinearFlow(X, y, phi).loss(0.0)")]
    nbformat.write(nb, folder / "mallory" / "data.ipynb")

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(tool, "Kernel", no_kernel)
    (row,) = tool.grade_folder(folder, seed=SEED, chapters=["data"])
    assert row["points"] == 0 and "uses" in row["feedback"] and "LinearFlow" in row["feedback"]
    assert tool.NOT_RUN in (folder / "feedback" / "mallory.md").read_text()


# ---------------------------------------------------------------------- students, class
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


@pytest.mark.parametrize("path, chapter, who", [
    ("alice/data.ipynb", "data", "alice"), ("alice/week1/closed_form.ipynb", "closed_form",
                                            "alice"),
    ("alice_data.ipynb", "data", "alice"), ("data-bob.ipynb", "data", "bob"),
    ("carol_closed_form.ipynb", "closed_form", "carol"), ("dave.ipynb", "data", "dave"),
    ("data.ipynb", "data", "data")])
def test_the_student_is_the_folder_or_the_file_name(path, chapter, who):
    assert tool.student_of(PurePosixPath(path), chapter) == who


def test_summarize_counts_the_mistakes():
    rows = [{"exercise": "a", "points": 10.0, "max_points": 10.0, "feedback": "Correct: x",
             "mistake": None},
            {"exercise": "a", "points": 2.5, "max_points": 10.0, "feedback": "Not yet: y",
             "mistake": "no half"},
            {"exercise": "a", "points": 0.0, "max_points": 10.0, "feedback": "Not yet: y",
             "mistake": "no half"},
            {"exercise": "a", "points": 0.0, "max_points": 10.0, "feedback": "Not yet: z",
             "mistake": "library"}]
    (s,) = tool.summarize(rows)
    assert (s["full_marks"], s["share_full_marks"], s["mean_points"]) == (1, 0.25, 3.12)
    assert s["most_common_mistakes"] == "no half: 2; library: 1"
    assert s["most_common_feedback"] == "Not yet: y"
    assert s["gflow_lib_version"] == __import__("gflow_lib").__version__
    assert tuple(s) == tool.SUMMARY


def test_results_are_written_atomically(tmp_path):
    target = tmp_path / "grades.csv"
    tool._atomic_write(target, tool._csv_text(tool.COLUMNS, []))
    assert list(csv.reader(target.open())) == [list(tool.COLUMNS)]
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


@pytest.mark.e2e  # `python -m tools.grade` in a subprocess
def test_grade_needs_a_seed_and_a_folder(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tools.grade", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "SEED" in proc.stderr and "secrets.randbelow" in proc.stderr
    with pytest.raises(SystemExit, match="must be a folder"):
        tool.grade_folder(tmp_path / "nope", seed=5)
    with pytest.raises(SystemExit, match="seed is required"):
        tool.grade_folder(tmp_path, seed=None)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^grade:.*?\n\t\$\(BIN\)/python -m tools\.grade .*--seed", makefile,
                     re.MULTILINE | re.DOTALL)
    # without SEED, the target refuses before the grader starts, and says how to choose one
    assert re.search(r'test -n "\$\(SEED\)" \|\| \{ echo .*secrets\.randbelow', makefile,
                     re.DOTALL)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_a_reaped_kernels_pid_now_anothers_is_left_alone():
    """pids are reused (pid_max is 32768 here, and a test run wraps it): once the grader has
    reaped a kernel, its pid may be another process's, whose tree end_all must not touch.
    Simulated by a reaped kernel whose pid is an unrelated live process with a child (the
    grader before this killed that child: it walked the tree below a reaped pid)."""
    marker = f"GFLOW-TEST-TREE-{os.urandom(6).hex()}"
    script = textwrap.dedent("""
        import os, subprocess, sys, time
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)",
                          os.environ.pop("TEST_MARKER")])
        time.sleep(600)
    """)
    other = subprocess.Popen([sys.executable, "-c", script],
                             env={**os.environ, "TEST_MARKER": marker}, start_new_session=True)
    try:
        assert _wait_for(marker, 1) == 1
        reaped = SimpleNamespace(pid=other.pid, returncode=0, poll=lambda: 0,
                                 wait=lambda timeout=None: 0)
        tool.end_all(reaped, deadline=5.0, token=os.urandom(8).hex())
        time.sleep(0.2)
        assert len(_marked(marker)) == 1 and other.poll() is None
    finally:
        _cleanup(marker)
        other.kill()
        other.wait()


ISOLATION_PROBE = r"""
import os, resource
from IPython.display import display
links = {}
for fd in os.listdir("/proc/self/fd"):
    try:
        links[fd] = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        pass
display({%(mime)r: {
    "pid": os.getpid(), "procs": sorted(e for e in os.listdir("/proc") if e.isdigit()),
    "env": dict(os.environ), "cwd": os.getcwd(), "files": sorted(os.listdir(".")),
    "as": resource.getrlimit(resource.RLIMIT_AS)[0],
    "cpu": resource.getrlimit(resource.RLIMIT_CPU)[0], "fds": links}}, raw=True)
"""


@pytest.mark.e2e  # kernels
@pytest.mark.skipif(not tool.isolation_prefix(), reason="the system refuses namespaces")
@pytest.mark.parametrize("preload", [True, False], ids=["forked", "started"])
def test_a_kernel_sees_only_its_own_processes(tmp_path, monkeypatch, preload):
    """Each kernel, forked by the run's launcher or started on its own (unshare): the first
    process of a pid namespace whose /proc lists it alone (not the grader, the launcher or
    another kernel running meanwhile), in its folder with its notebook, with its environment
    (its own run marker) and limits, no descriptor of the launcher's pipes, and random numbers
    of its own."""
    monkeypatch.setattr(tool, "_launcher_run", {"folder": tmp_path / "launcher",
                                                "launcher": None, "tried": False})
    limits = tool.Limits(timeout=60, memory_mb=2048, preload=preload)
    kernels = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            kernels.append(tool.Kernel(tmp_path / name, b"{}", f"{name}.ipynb", limits))
        for k in kernels:
            assert k.wait_ready(60) is None
            assert isinstance(k.proc, tool.Forked) == preload
        started = {pid: tool._started(pid) for k in kernels
                   for pid in tool.descendants(k.proc.pid) | {k.proc.pid}}
        status, (info,) = kernels[0].run(ISOLATION_PROBE % {"mime": tool.MIME}, 30,
                                         mime=tool.MIME)
        assert status == "ok" and kernels[1].proc.poll() is None  # b ran meanwhile
        assert info["pid"] == 1 and info["procs"] == ["1"], info["procs"]
        assert info["env"][tool.TOKEN] == kernels[0].token
        assert {k for k in info["env"] if k.startswith("GFLOW")} == {tool.TOKEN}
        assert info["env"]["HOME"] == str(tmp_path / "a" / "home")
        assert info["cwd"] == str(tmp_path / "a" / "work") and info["files"] == ["a.ipynb"]
        assert (info["as"], info["cpu"]) == (2048 * 2**20, 90)
        launcher = tool._launcher_run["launcher"]
        assert (launcher is not None) == preload
        if launcher is not None:
            pipes = {f"pipe:[{os.fstat(f.fileno()).st_ino}]"
                     for f in (launcher.proc.stdin, launcher.proc.stdout)}
            assert not pipes & set(info["fds"].values()), info["fds"]
        if preload:  # numpy's global generator, seeded in the launcher, is not shared either
            draws = [k.run(f"import numpy\ndisplay({{{tool.MIME!r}: numpy.random.random()}}, "
                           "raw=True)", 30, mime=tool.MIME)[1] for k in kernels]
            assert draws[0] != draws[1], draws
        kernels[1].proc.kill()  # as a crash: seen as a death; the kernel below it ends too
        kernels[1].proc.wait(timeout=10)
        assert kernels[1].run("1", 5) == ("died", [])
    finally:
        for k in kernels:
            k.close()
        if tool._launcher_run["launcher"] is not None:
            tool._launcher_run["launcher"].close()
    assert len(started) >= 4  # each kernel and the process that started it
    assert not [p for p, t in started.items() if tool._started(p) == t and tool._alive(p)]


@pytest.mark.e2e  # kernels
def test_a_kernel_closed_right_after_its_start_leaves_no_thread(tmp_path, monkeypatch):
    """A kernel that dies at its start is closed at once. The grader's client runs no
    heartbeat thread: jupyter_client's, stopped before it has run, set itself running again
    and spun making sockets until zmq refused one (ZMQError "Too many open files" in a thread,
    a second of CPU, seen in a full run). No thread is left running and none fails."""
    import threading

    failed = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failed.append(args.exc_value))
    before = set(threading.enumerate())
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        k = tool.Kernel(tmp_path / name, b"{}", f"{name}.ipynb",
                        tool.Limits(timeout=60, memory_mb=2048, isolate="off"))
        try:
            assert not [t for t in threading.enumerate() if "HB" in type(t).__name__]
        finally:
            k.close()
    assert not set(threading.enumerate()) - before
    assert not failed, failed


def _data_solution_notebook():
    """The data chapter's graded function, written out: a submission that earns full marks."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import numpy as np\n\ndef loss(X, y, phi):\n    r = X.T @ phi - y\n"
        "    return 0.5 * float(r @ r)")]
    return nb


@pytest.mark.e2e
@pytest.mark.parametrize("deaths, marks", [(1, 10.0), (tool.STARTS, 0.0)])
def test_a_kernel_that_dies_before_it_answers_is_started_again(tmp_path, monkeypatch, deaths,
                                                               marks):
    """No cell has run before the kernel first answers, so a kernel that dies then (a port
    taken between its choice and the bind, seen once in a loaded full run) is started again,
    up to STARTS times; after that the notebook gets nothing, saying why."""
    folder = tmp_path / "class"
    (folder / "ann").mkdir(parents=True)
    nbformat.write(_data_solution_notebook(), folder / "ann" / "data.ipynb")
    started, real_wait = [], tool.Kernel.wait_ready

    def wait_ready(self, timeout):
        started.append(self.proc.pid)
        if len(started) <= deaths:  # this start "dies": end it as a crash would
            self.proc.kill()
            self.proc.wait()
            return real_wait(self, timeout)
        return real_wait(self, timeout)

    monkeypatch.setattr(tool.Kernel, "wait_ready", wait_ready)
    rows = tool.grade_folder(folder, seed=SEED, chapters=["data"])
    assert [r["points"] for r in rows] == [marks]
    assert len(started) == min(deaths + 1, tool.STARTS)
    if not marks:
        assert tool.DIED_AT_START in rows[0]["feedback"]
