"""Grade a class's notebooks: each submission runs in its own kernel, the verdict is made here.

``make grade SUBMISSIONS=DIR SEED=N`` (or ``python -m tools.grade DIR --seed N``) grades every
notebook under ``DIR``, completed student copies as well as the book's own chapter notebooks,
and writes

* ``DIR/grades.csv``: one row per auto-graded exercise of each notebook, with the columns
  ``notebook, exercise, points, max_points, feedback``;
* ``DIR/gradebook.csv``: one row per student (``student``, one column per exercise,
  ``total``), for a learning platform;
* ``DIR/feedback/STUDENT.md``: one feedback file per student;
* ``DIR/summary.csv``, also printed: per exercise, how many notebooks got full marks, the
  mean points and the most common mistakes (named by the checks) with their counts.

How it works.

1. The graded exercises are read off the chapter sources (``book/md/*.md``) by the parser of
   the student copies (``tools/student.py``): a coding exercise whose solution is followed by
   a check cell (``print(check_loss(loss))``) is graded by that check. Before any submission
   runs, the grader imports every check and reference, draws the hidden problems from the
   instructor's seed, reads every submitted notebook into memory, and hashes the source
   files of ``gflow_lib`` and ``tools`` (and the environment's ``.pth`` start-up files).
2. Each notebook runs in a kernel of its own, started by ``tools/grade_kernel.py`` in a new
   session with a memory and CPU-time limit, in an empty temporary folder that holds only the
   notebook, with a minimal environment (no seed, no secret), where the system allows it in a
   pid namespace of its own (``unshare``, so that it cannot see the grader's processes or
   another submission's). Where it does, kernels are forked from one launcher that imported
   ipykernel, numpy, scipy and gflow_lib once (``--launcher``; each kernel still in
   namespaces of its own): half a second of CPU time less per kernel. All its cells run in
   order (an error does not stop the run; a cell that runs longer than ``--cell-timeout``
   seconds, or the whole notebook longer than ``--timeout``, ends it).
3. Then, for each exercise, the grader sends the problems' inputs (visible and hidden) as
   data in a code string and receives the learner's function's outputs as data (a
   ``display_data`` message of type :data:`MIME`: arrays as base64 float64 or float32 with
   their shape, exceptions as type and message). It validates them (shape, size, dtype) and
   judges them in its own process with :func:`gflow_lib.checks.grading.grade_answers`: the
   references, the mistakes, the points (from the hidden problems only) and the feedback
   never enter the kernel.
4. The learner's source is read here (``tools/grade_source.py``): a function that uses the
   library's own version of what it must write gets no points for that exercise. It is read
   before the kernel starts: a notebook whose every graded exercise is refused so is not run.
5. The kernel and every process it started are ended (found through ``/proc``; the kernel is
   their subreaper, so detached daemons are found too, and so are processes that still carry
   the run's marker in their environment after the kernel died), the temporary folder is
   removed, and
   the hashed files are checked again: a submission that changed them stops the grading.
6. When every submission is done and every process is gone, the result files are written,
   each atomically (a temporary file, then ``os.replace``).

A submission runs with the grader's user rights: it can read and write what that user can.
Grade in a throw-away account or container; see the instructors' page (book/instructors.md).
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import json
import math
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat
import numpy as np

from tools import json_lines

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("notebook", "exercise", "points", "max_points", "feedback")
SUMMARY = ("exercise", "notebooks", "full_marks", "share_full_marks", "mean_points",
           "max_points", "most_common_mistakes", "most_common_feedback", "gflow_lib_version")
METADATA = "gflow_lib"  # notebook metadata key of the student copies: {"chapter": NAME}
MIME = "application/vnd.gflow-grade.answers+json"
SEED_HINT = ("choose a private random integer, e.g. with\n"
             "  python -c \"import secrets; print(secrets.randbelow(10**9))\"\n"
             "and keep it for the course: make grade SUBMISSIONS=DIR SEED=THAT_NUMBER")
MAX_ELEMENTS = 1_000_000  # per array received from a kernel
MAX_MESSAGE = 64 * 1024 * 1024  # bytes per message from a kernel (zmq drops the peer beyond)
FEEDBACK_CHARS = 160  # of an exception message quoted in feedback


# ----------------------------------------------------------------------------- exercises
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
        stat = src.stat()
        key = (str(src.resolve()), stat.st_mtime_ns, stat.st_size)
        if key not in _PARSED:  # a source is parsed once per process while it is unchanged
            try:
                _, exs = make_student(load(src), src.stem, banner=False, faithful=False)
                _PARSED[key] = [Exercise(src.stem, e.label, e.check,
                                         e.checked or grading.function_name(e.check))
                                for e in exs if e.coding and e.check]
            except StudentCopyError as exc:
                _PARSED[key] = exc
        graded = _PARSED[key]
        if isinstance(graded, StudentCopyError):
            if strict:
                raise graded
            print(f"warning: {src.stem} skipped: {graded}", file=sys.stderr)
            continue
        if graded:
            found[src.stem] = list(graded)
    return found


# exercises()'s parses: (path, mtime, size) of a source -> its exercises, or its error
_PARSED: dict[tuple, list[Exercise] | Exception] = {}


@dataclass
class Problems:
    """The problems of one exercise as the grader holds them: labels, arguments, hidden."""

    exercise: Exercise
    pairs: list  # (label, args)
    hidden: list  # bool per problem
    spec: str = ""  # the JSON sent to the kernel: the function's name and the arguments


def prepare(found: dict, seed: int) -> dict[str, list[Problems]]:
    """Every exercise's problems for ``seed``, built in the grader before any submission runs
    (and every reference imported)."""
    import importlib
    import pkgutil

    import gflow_lib
    from gflow_lib.checks import grading

    for mod in pkgutil.walk_packages(gflow_lib.__path__, "gflow_lib."):
        if not mod.name.startswith("gflow_lib.widgets"):
            importlib.import_module(mod.name)
    out = {}
    for chapter, exs in found.items():
        out[chapter] = []
        for ex in exs:
            probs = grading.problems(ex.check, seed)
            pairs = [(case.label, case.make()) for case, _ in probs]
            for _, args in pairs:  # the references, computed once here (and cached by nothing)
                grading.table_of(ex.check).reference(*args)
            spec = json.dumps({"function": ex.function,
                               "problems": [[_encode(a) for a in args] for _, args in pairs]})
            out[chapter].append(Problems(ex, pairs, [h for _, h in probs], spec))
    return out


def _encode(a):
    """A problem's argument as JSON data: an array as base64 float64 with its shape."""
    if isinstance(a, np.ndarray):
        arr = np.ascontiguousarray(a, dtype="<f8")
        return {"shape": list(arr.shape), "data": base64.b64encode(arr.tobytes()).decode()}
    if isinstance(a, (bool, np.bool_)):
        return bool(a)
    if isinstance(a, (int, np.integer)):
        return int(a)
    return float(a)


# ------------------------------------------------------------------------ the notebooks
def chapter_of(path: Path, chapters, nb=None) -> str | None:
    """The chapter a submitted notebook belongs to, or None: from the metadata of a student
    copy, else from the file name (``data.ipynb``, ``alice_data.ipynb``)."""
    try:
        nb = nb if nb is not None else nbformat.read(path, as_version=4)
        meta = nb.metadata.get(METADATA, {}).get("chapter")
    except Exception:  # an unreadable notebook: fall back on its name (graded as an error)
        meta = None
    if meta in chapters:
        return meta
    if path.stem in chapters:
        return path.stem
    hits = [c for c in chapters if re.search(rf"(^|[^a-z]){re.escape(c)}($|[^a-z])", path.stem)]
    return max(hits, key=len) if hits else None


def student_of(rel: PurePosixPath, chapter: str | None) -> str:
    """The student a notebook belongs to: its first folder under the submissions folder
    (``alice/data.ipynb``), else its file name without the chapter's name
    (``alice_data.ipynb``, ``data-alice.ipynb``), else its file name."""
    rel = PurePosixPath(rel)
    if len(rel.parts) > 1:
        return rel.parts[0]
    stem = rel.stem
    if chapter:
        rest = re.sub(rf"(^|[_\-. ]){re.escape(chapter)}($|[_\-. ])", " ", stem).strip(" _-.")
        if rest:
            return rest
    return stem


def submissions(folder: Path) -> list[Path]:
    """Every notebook under ``folder`` (checkpoints and the feedback folder left out)."""
    return sorted(p for p in folder.rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts and p.is_file()
                  and not p.is_symlink())


# ------------------------------------------------------------------ files that must stay
def watched_files() -> list[Path]:
    """The library's and the tools' source files, and the environment's start-up files (.pth,
    sitecustomize): what a submission could change to alter the grader."""
    import site
    import sysconfig

    files = sorted((ROOT / "gflow_lib").rglob("*.py")) + sorted((ROOT / "tools").rglob("*.py"))
    dirs = {Path(sysconfig.get_paths()["purelib"]), *(Path(p) for p in site.getsitepackages())}
    for d in sorted(dirs):
        if d.is_dir():
            files += sorted(d.glob("*.pth"))
            files += [d / n for n in ("sitecustomize.py", "usercustomize.py")]
    return files


def source_hashes(files=None) -> dict[str, str]:
    """sha256 of each watched file ("absent" for a missing one)."""
    out = {}
    for f in files if files is not None else watched_files():
        try:
            out[str(f)] = hashlib.sha256(Path(f).read_bytes()).hexdigest()
        except OSError:
            out[str(f)] = "absent"
    return out


def changed_files(before: dict[str, str]) -> list[str]:
    now = source_hashes([Path(f) for f in before])
    extra = set(source_hashes()) - set(before)
    return sorted([f for f in before if now[f] != before[f]] + list(extra))


# --------------------------------------------------------------------------- processes
def _proc_table() -> dict[int, int]:
    """{pid: parent pid} of every process, from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
            fields = stat[stat.rindex(")") + 2:].split()
            table[int(entry)] = int(fields[1])
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
    return table


def descendants(root: int) -> set[int]:
    """Every process below ``root`` (children, their children, ...), from /proc."""
    children = defaultdict(list)
    for pid, ppid in _proc_table().items():
        children[ppid].append(pid)
    out, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _signal(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


TOKEN = "GFLOW_GRADE_RUN"  # environment variable that marks a submission's processes


def marked(token: str) -> set[int]:
    """Processes whose environment carries ``GFLOW_GRADE_RUN=token``: a submission's
    processes that left its tree (an orphan re-parented to init after its kernel died, where no
    pid namespace holds them), unless they cleared their environment."""
    needle = f"{TOKEN}={token}".encode()
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if needle in f.read().split(b"\0"):
                        out.add(int(entry))
            except OSError:
                continue
    return out


def end_all(proc: subprocess.Popen, deadline: float = 30.0, token: str | None = None) -> None:
    """End ``proc`` and every process below it (and, with ``token``, every process marked by
    it), and wait until none is left.

    With /proc: stop (SIGSTOP) every descendant, again and again until no new one appears
    (a stopped process cannot fork), then kill them all (SIGKILL) at once and wait until
    /proc lists none. Without /proc: kill the process group of the session.

    A pid names a process only while that process is unreaped: pids are reused (pid_max is
    32768 here, and a test run wraps it). So the tree below ``proc`` is walked only while
    ``proc`` has not been reaped, and a process is signalled again only while its start time
    is the one recorded when it was stopped; an unrelated process that got a freed pid is
    never touched.
    """
    root = proc.pid
    if not os.path.isdir("/proc"):
        try:
            os.killpg(root, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        return

    def tree() -> set[int]:
        found = set()
        if proc.returncode is None and proc.poll() is None:  # root's pid is still its own
            found = descendants(root) | {root}
        if token:
            for pid in marked(token):
                found |= {pid} | descendants(pid)
        return found

    end = time.monotonic() + deadline
    frozen: dict[int, int | None] = {}  # pid -> start time when it was stopped
    while time.monotonic() < end:
        new = tree() - frozen.keys()
        if not new:
            break
        frozen.update({pid: _started(pid) for pid in new})
        _signal(new, signal.SIGSTOP)
    _signal(frozen, signal.SIGKILL)  # all stopped since: none has died, no pid is reused
    try:
        proc.wait(timeout=max(1.0, end - time.monotonic()))
    except subprocess.TimeoutExpired:
        pass
    while time.monotonic() < end:
        alive = [p for p, t in frozen.items() if t is not None and _started(p) == t
                 and _alive(p)]
        left = {p for p in tree() - frozen.keys() if _alive(p)}
        if not alive and not left:
            return
        _signal(set(alive) | left, signal.SIGKILL)
        time.sleep(0.05)
    raise RuntimeError(f"processes {sorted(frozen)} of a submission could not be ended")


def _started(pid: int) -> int | None:
    """The start time of ``pid`` (clock ticks after boot, field 22 of /proc/PID/stat), or
    None when it is gone: with the pid it names one process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
        return int(stat[stat.rindex(")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a zombie is dead, waiting to be
    reaped by its new parent)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
        return stat[stat.rindex(")") + 2:].split()[0] not in ("Z", "X")
    except (OSError, ValueError, IndexError):
        return False


_UNSHARE: list | None = None


def isolation_prefix() -> list[str]:
    """``unshare`` arguments that give a kernel its own user and pid namespace (its own
    /proc, so that it cannot see the grader's processes), or [] where the system refuses."""
    global _UNSHARE
    if _UNSHARE is None:
        cmd = ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc"]
        try:
            ok = shutil.which("unshare") and subprocess.run(
                [*cmd, "true"], capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        _UNSHARE = cmd if ok else []
    return list(_UNSHARE)


STARTS = 3  # attempts to start a kernel that dies before it first answers
DIED_AT_START = "the kernel did not start (died)"  # Kernel.wait_ready's text for that case
NOT_RUN = ("not run: each of its graded functions uses the library's own answer (see "
           "below), so nothing it could compute would be graded")


@dataclass
class Limits:
    """Per notebook: seconds in all (``timeout``), per cell, per exercise's calls; memory in
    MB (address space of the kernel and of each process it starts)."""

    timeout: float = 300.0
    cell_timeout: float = 60.0
    call_timeout: float = 60.0
    memory_mb: int = 4096
    isolate: str = "auto"  # "auto", "on" or "off": a pid namespace of its own (unshare)
    preload: bool = True  # fork isolated kernels from a launcher that imported them (Launcher)


def _base_env() -> dict[str, str]:
    """The environment of the kernels (and of their launcher), without a run's own folders."""
    return {"PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "MPLBACKEND": "Agg",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "PYTHONPATH": str(ROOT)}  # the library the grader judges with


class Launcher(json_lines.LineClient):
    """The kernel launcher of one grading run (``tools/grade_kernel.py --launcher``): it has
    imported ipykernel, numpy, scipy and gflow_lib once and forks each kernel from itself, in
    namespaces of the kernel's own, as ``unshare`` does for a kernel started on its own; a
    kernel so costs about 0.1 s of CPU time to answer and import numpy and gflow_lib instead
    of 0.6 s. Started in a folder of its own under the run's temporary folder, with the
    kernels' environment (no seed, no secret, no run's marker); ended with the run. After a
    failure it is not asked again (:class:`tools.json_lines.LineClient`): kernels then start
    one by one."""

    what = "the kernel launcher"

    def __init__(self, folder: Path, timeout: float = 60.0):
        folder.mkdir(mode=0o700)
        env = {**_base_env(), "HOME": str(folder), "TMPDIR": str(folder)}
        super().__init__(subprocess.Popen(
            [sys.executable, str(ROOT / "tools" / "grade_kernel.py"), "--launcher"],
            cwd=folder, env=env, start_new_session=True, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0), timeout)
        try:
            first = self.read_reply()
        except BaseException:
            self.close()
            raise
        self.why = None if first.get("ready") is True else str(first.get("why"))

    def start(self, request: dict) -> "Forked":
        return Forked(int(self.ask({"start": request})["pid"]), self)

    def reap(self, pid: int) -> None:
        try:
            self.ask({"reap": pid})
        except (OSError, RuntimeError, ValueError):
            pass  # a broken launcher: its ended children are reaped when it is ended

    def end(self) -> None:
        """End the launcher and any kernel still below it (on :meth:`close`)."""
        end_all(self.proc)


class Forked(json_lines.Forked):
    """A kernel forked by the :class:`Launcher`, seen as a ``subprocess.Popen`` (``pid``,
    ``poll``, ``wait``, ``kill``, ``returncode``). The launcher reaps it only when
    :meth:`release` asks, so that its pid names it (alive or a zombie) until then."""

    def __init__(self, pid: int, launcher: Launcher):
        self.pid, self.launcher, self.returncode = pid, launcher, None
        self.started = _started(pid)  # with the pid, names the process

    def poll(self):
        if self.returncode is None and (
                self.started is None or _started(self.pid) != self.started
                or not _alive(self.pid)):
            self.returncode = -signal.SIGKILL  # ended: its status is the launcher's to reap
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            _signal([self.pid], signal.SIGKILL)

    def release(self) -> None:
        """Let the launcher reap it, once it and its processes are ended."""
        self.launcher.reap(self.pid)


_launcher_lock = threading.Lock()
_launcher_run: dict | None = None  # grade_folder's: {"folder", "launcher", "tried"}


def _run_launcher() -> Launcher | None:
    """The launcher of the grading run under way, started at its first kernel; None outside
    a run (grade_folder), or where it did not start (kernels then start one by one)."""
    with _launcher_lock:
        run = _launcher_run
        if run is None:
            return None
        if not run["tried"]:
            run["tried"] = True
            try:
                launcher = Launcher(run["folder"])
            except (OSError, RuntimeError, ValueError) as exc:
                print(f"kernels start one by one: no launcher ({exc})", file=sys.stderr)
            else:
                if launcher.why:
                    print(f"kernels start one by one: {launcher.why}", file=sys.stderr)
                    launcher.close()
                else:
                    run["launcher"] = launcher
        return run["launcher"]


class Kernel:
    """A kernel of one submission, in its own folder, session and limits."""

    def __init__(self, tmp: Path, notebook_bytes: bytes, name: str, limits: Limits):
        import zmq
        from jupyter_client import BlockingKernelClient
        from jupyter_client.connect import write_connection_file

        self.tmp, self.limits = tmp, limits
        self.token = os.urandom(12).hex()
        work, home, private = tmp / "work", tmp / "home", tmp / "grader"
        for d in (work, home, private):
            d.mkdir(mode=0o700)
        (work / name).write_bytes(notebook_bytes)
        conn, _ = write_connection_file(str(private / "kernel.json"), ip="127.0.0.1")
        env = {**_base_env(), "HOME": str(home), "TMPDIR": str(home),
               "MPLCONFIGDIR": str(home / "matplotlib"), "IPYTHONDIR": str(home / "ipython"),
               TOKEN: self.token}
        cpu = int(limits.timeout + 30)
        cmd = [sys.executable, str(ROOT / "tools" / "grade_kernel.py"), "--memory",
               str(limits.memory_mb), "--cpu", str(cpu), "-f", conn]
        prefix = [] if limits.isolate == "off" else isolation_prefix()
        if limits.isolate == "on" and not prefix:
            raise RuntimeError("--isolate on: this system refuses a user and pid namespace "
                               "(unshare --user --pid)")
        launcher = _run_launcher() if prefix and limits.preload else None
        self.proc = None
        if launcher is not None:
            try:  # isolated as the prefix would (the launcher said so when it started)
                self.proc = launcher.start({"cwd": str(work), "env": env, "cpu": cpu,
                                            "memory": limits.memory_mb,
                                            "connection_file": conn})
            except (OSError, RuntimeError, ValueError, KeyError):
                self.proc = None  # started on its own instead
        if self.proc is None:
            self.proc = subprocess.Popen(prefix + cmd, cwd=work, env=env,
                                         start_new_session=True, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.context = zmq.Context()
        self.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
        self.kc = BlockingKernelClient(connection_file=conn, context=self.context)
        self.kc.load_connection_file()
        # No heartbeat thread: the kernel's death is seen by its process (_follow polls it).
        # jupyter_client's heartbeat thread, stopped before it has run (a kernel that died at
        # its start is closed at once), sets itself running again and spins making sockets
        # until zmq refuses one ("Too many open files"), about a second of CPU each time.
        self.kc.start_channels(hb=False)

    def wait_ready(self, timeout: float) -> str | None:
        """None when the kernel answers, else why not. A kernel_info request is sent again
        until its idle status arrives on iopub: ZMQ drops what a kernel publishes before the
        grader's subscription is connected (as jupyter_client's wait_for_ready does), so a
        single request can wait forever on a started kernel. Requests go every 0.2 s: the
        first is usually dropped, and one a second cost each notebook about half a second
        (a kernel answers 0.6 to 1.3 s after its start here)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            status, _ = self._follow(self.kc.kernel_info(), min(end, time.monotonic() + 0.2))
            if status != "timeout":
                return None if status == "ok" else (
                    DIED_AT_START if status == "died" else f"the kernel did not start ({status})")
        return "the kernel did not start (timeout)"

    def run(self, code: str, timeout: float, mime: str | None = None):
        """Execute ``code``; return (status, data) with status "ok", "timeout" or "died", and
        data the ``mime`` payloads of display messages that the request produced."""
        msg_id = self.kc.execute(code, store_history=mime is None, allow_stdin=False,
                                 stop_on_error=False)
        return self._follow(msg_id, time.monotonic() + timeout, mime)

    def _follow(self, msg_id: str, end: float, mime: str | None = None):
        """The iopub messages of request ``msg_id`` until its idle status ("ok"), the time
        ``end`` ("timeout") or the kernel's death ("died"), with the ``mime`` payloads."""
        data = []
        while True:
            if self.proc.poll() is not None:
                return "died", data
            if time.monotonic() > end:
                return "timeout", data
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                continue
            except Exception:  # a malformed message: ignore it
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg.get("msg_type"), msg.get("content", {})
            if mime and kind in ("display_data", "update_display_data"):
                payload = content.get("data", {}).get(mime)
                if payload is not None:
                    data.append(payload)
            elif kind == "status" and content.get("execution_state") == "idle":
                self._drain_shell()
                return "ok", data

    def _drain_shell(self):
        while True:
            try:
                self.kc.get_shell_msg(timeout=0.01)
            except queue.Empty:
                return
            except Exception:
                return

    def close(self):
        """End the kernel and everything it started; remove its folder."""
        try:
            self.kc.stop_channels()
        except Exception:
            pass
        try:
            end_all(self.proc, token=self.token)
            if isinstance(self.proc, Forked):
                self.proc.release()
        finally:
            try:
                self.context.destroy(linger=0)
            except Exception:
                pass


CALL = r'''
def _gflow_grade_call(spec):
    import base64, json
    import numpy as np
    from IPython.display import display

    def decode(a):
        if isinstance(a, dict):
            raw = base64.b64decode(a["data"])
            return np.frombuffer(raw, dtype="<f8").reshape(a["shape"]).copy()
        return a

    def array(a):
        a = np.asarray(a)
        if a.size > %(max)d:
            return {"kind": "toolarge", "size": int(a.size)}
        dtype = "float32" if a.dtype == np.float32 else "float64"
        out = np.array(a, dtype="<f4" if dtype == "float32" else "<f8", order="C")
        return {"kind": "array", "dtype": dtype, "shape": list(out.shape),
                "data": base64.b64encode(out.tobytes()).decode()}

    def describe(out):
        if out is None:
            return {"kind": "none"}
        try:
            a = np.asarray(out)
        except Exception:
            a = np.asarray(None)
        if a.dtype.kind == "c":
            return {"kind": "complex", "dtype": str(a.dtype)}
        if a.dtype.kind not in "biuf":
            return {"kind": "other", "type": type(out).__name__}
        return array(a)

    spec = json.loads(spec)
    fn = globals().get(spec["function"])
    if fn is None or not callable(fn):
        display({%(mime)r: {"missing": True}}, raw=True)
        return
    answers = []
    for args in spec["problems"]:
        given = [decode(a) for a in args]
        try:
            out = fn(*given)
        except BaseException as exc:
            try:
                message = str(exc)[:500]
            except BaseException:
                message = ""
            base = next((c.__name__ for c in type(exc).__mro__
                         if c.__module__ == "builtins"), "Exception")
            answers.append({"kind": "raised", "type": type(exc).__name__[:80],
                            "base": base, "message": message})
            continue
        answer = describe(out)
        answer["after"] = [array(g) if isinstance(g, np.ndarray) else None for g in given]
        answers.append(answer)
    display({%(mime)r: {"answers": answers}}, raw=True)


_gflow_grade_call(%(spec)r)
del _gflow_grade_call
'''


# ------------------------------------------------------------------ answers, validated
def _text(value, limit: int = FEEDBACK_CHARS) -> str:
    """A string received from a kernel, made safe for feedback: printable ASCII only, at most
    ``limit`` characters."""
    text = value if isinstance(value, str) else ""
    text = "".join(c if (c.isascii() and c.isprintable()) else " " for c in text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _name(value) -> str:
    text = value if isinstance(value, str) else ""
    return text if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,60}", text) else "Exception"


def _array(obj) -> np.ndarray:
    """An array received from a kernel: dtype float32/float64, at most MAX_ELEMENTS, base64 of
    exactly the right length. Raises ValueError otherwise."""
    if not isinstance(obj, dict) or obj.get("kind", "array") != "array":
        raise ValueError("not an array")
    dtype, shape, data = obj.get("dtype"), obj.get("shape"), obj.get("data")
    if dtype not in ("float32", "float64") or not isinstance(data, str):
        raise ValueError("bad dtype or data")
    if (not isinstance(shape, list) or len(shape) > 8
            or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s for s in shape)):
        raise ValueError("bad shape")
    size = math.prod(shape)
    width = 4 if dtype == "float32" else 8
    if size > MAX_ELEMENTS or len(data) > 4 * (size * width // 3 + 4):
        raise ValueError("too large")
    raw = base64.b64decode(data.encode("ascii"), validate=True)
    if len(raw) != size * width:
        raise ValueError("size does not match the shape")
    return np.frombuffer(raw, dtype="<f4" if dtype == "float32" else "<f8").reshape(shape).copy()


def parse_answers(payload, n: int):
    """The :class:`~gflow_lib.checks.harness.Answer` list from a kernel's payload, validated;
    None when the notebook's function is missing; ValueError when the payload is malformed."""
    from gflow_lib.checks.harness import Answer, complex_problem

    if not isinstance(payload, dict):
        raise ValueError("not a dict")
    if payload.get("missing") is True:
        return None
    items = payload.get("answers")
    if not isinstance(items, list) or len(items) != n:
        raise ValueError("not one answer per problem")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("an answer is not a dict")
        kind = item.get("kind")
        if kind == "raised":
            err = (_name(item.get("type")), _text(item.get("message")), _name(item.get("base")))
            out.append(Answer(error=err))
            continue
        after = item.get("after")
        after = tuple(None if a is None else _array(a) for a in after) if isinstance(
            after, list) else None
        if after is not None and any(a is None for a in after):
            after = tuple(a if a is not None else _NOT_ARRAY for a in after)
        if kind == "array":
            out.append(Answer(value=_array(item), after=after))
        elif kind == "none":
            out.append(Answer(problem="your function returned None: return the result"))
        elif kind == "complex":
            out.append(Answer(problem=complex_problem(_name(item.get("dtype")))))
        elif kind == "other":
            out.append(Answer(problem=f"your function returned {_name(item.get('type'))}, not "
                                      "numbers"))
        elif kind == "toolarge":
            out.append(Answer(problem=f"your function returned more than {MAX_ELEMENTS} "
                                      "numbers"))
        else:
            raise ValueError(f"unknown kind of answer {_text(str(kind), 20)}")
    return out


class _NotArray:
    """Stands for an argument that was not an array (nothing to compare in place)."""


_NOT_ARRAY = _NotArray()


# ------------------------------------------------------------------------ one notebook
@dataclass
class Submission:
    path: Path  # as found
    name: str  # relative to the submissions folder
    chapter: str
    student: str
    data: bytes  # read before any submission ran
    rows: list = field(default_factory=list)  # (Problems, Grade)
    note: str = ""  # what happened to the run (for the feedback file)
    seconds: float = 0.0  # wall time of its grading, kernel start to the last process ended


def _code_cells(data: bytes):
    nb = nbformat.reads(data.decode("utf-8", errors="replace"), as_version=4)
    return nb, [c for c in nb.cells if c.get("cell_type") == "code"]


def grade_notebook(sub: Submission, problems: list[Problems], seed: int, limits: Limits,
                   tmp_root: Path) -> None:
    """Run one submission in its own kernel and judge its answers here; fills ``sub.rows``."""
    from gflow_lib.checks import grading
    from tools.grade_source import cells_source, library_use

    def zero(p, text, mistake):
        return grading.zero(p.exercise.check, seed, text, mistake)

    try:
        nb, cells = _code_cells(sub.data)
    except Exception as exc:  # not a notebook
        why = _text(f"{type(exc).__name__}: {exc}")
        sub.rows = [(p, zero(p, f"Error: the notebook could not be read: {why}", "not run"))
                    for p in problems]
        return
    sources = cells_source(nb)
    refused = {}
    for p in problems:
        table = grading.table_of(p.exercise.check)
        why = library_use(sources, p.exercise.function, table.no_library, table.forbidden)
        if why:
            refused[p.exercise.label] = f"Not yet: {why}."
    if problems and len(refused) == len(problems):
        # Every exercise is refused by its source: no answer from a kernel would be graded,
        # so the notebook is not run at all (none of its code runs here).
        sub.rows = [(p, zero(p, refused[p.exercise.label], "library")) for p in problems]
        sub.note = NOT_RUN
        return
    tmp = Path(tempfile.mkdtemp(prefix="nb-", dir=tmp_root))
    began = time.monotonic()
    kernel = None
    results: dict[str, object] = {}
    try:
        start = time.monotonic()
        for _ in range(STARTS):
            # A kernel that dies before it first answers has run none of the submission's
            # code (the notebook's cells are sent only after): typically the ports it was
            # given were taken by another process between their choice and its bind (a
            # known race of jupyter_client under load). Start it again in a fresh folder.
            if kernel is not None:
                kernel.close()
                kernel = None
                shutil.rmtree(tmp, ignore_errors=True)
                tmp = Path(tempfile.mkdtemp(prefix="nb-", dir=tmp_root))
            try:
                kernel = Kernel(tmp, sub.data, Path(sub.name).name, limits)
                stop = kernel.wait_ready(min(60.0, limits.timeout))
            except (OSError, RuntimeError) as exc:  # the grader's side: say so, grade nothing
                stop = f"the grader could not start a kernel ({type(exc).__name__}: {exc})"
            if stop != DIED_AT_START:
                break
        for k, cell in enumerate(cells):
            if stop:
                break
            left = limits.timeout - (time.monotonic() - start)
            status, _ = kernel.run(str(cell.get("source", "")), max(0.1, min(
                limits.cell_timeout, left)))
            if status == "timeout":
                stop = (f"the notebook did not finish running: code cell {k + 1} was stopped "
                        f"after {min(limits.cell_timeout, left):g} s (an endless loop?)")
            elif status == "died":
                stop = (f"the notebook's kernel stopped during code cell {k + 1} (os._exit, "
                        "a crash, or the memory limit)")
        for p in problems:
            if stop:
                break
            if p.exercise.label in refused:
                continue
            code = CALL % {"max": MAX_ELEMENTS, "mime": MIME, "spec": p.spec}
            status, data = kernel.run(code, limits.call_timeout, mime=MIME)
            if status != "ok":
                what = (f"did not return within {limits.call_timeout:g} s on the test "
                        "problems (an endless loop?)" if status == "timeout"
                        else "stopped the kernel (os._exit, a crash, or the memory limit)")
                results[p.exercise.label] = ("Error", f"your function {what}; the grader "
                                             "stopped it")
                stop = f"an earlier exercise's function {what}"
                continue
            results[p.exercise.label] = data
        sub.note = stop or ""
    finally:
        if kernel is not None:
            kernel.close()
        shutil.rmtree(tmp, ignore_errors=True)
        sub.seconds = time.monotonic() - began
    for p in problems:
        label = p.exercise.label
        if label in refused:
            sub.rows.append((p, zero(p, refused[label], "library")))
            continue
        got = results.get(label)
        if got is None:
            sub.rows.append((p, zero(p, f"Error: {sub.note}; this exercise was not graded.",
                                     "not run")))
            continue
        if isinstance(got, tuple):
            sub.rows.append((p, zero(p, f"Error: {got[1]}.", "not run")))
            continue
        sub.rows.append((p, _judge(p, got, seed)))


def _judge(p: Problems, payloads: list, seed: int):
    from gflow_lib.checks import grading

    if len(payloads) != 1:
        return grading.zero(p.exercise.check, seed, "Error: the grader received "
                            f"{len(payloads)} answer messages instead of one; the notebook's "
                            "output was tampered with.", "tampered")
    try:
        answers = parse_answers(payloads[0], len(p.pairs))
    except (ValueError, TypeError, KeyError) as exc:
        return grading.zero(p.exercise.check, seed, "Error: the grader could not read the "
                            f"answers of your function ({_text(str(exc), 60)}).", "tampered")
    if answers is None:
        return grading.zero(p.exercise.check, seed,
                            grading.missing(p.exercise.check, p.exercise.function),
                            "no function")
    return grading.grade_answers(p.exercise.check, p.pairs, answers, p.hidden)


# -------------------------------------------------------------------------- the class
def _category(grade) -> str | None:
    """The mistake a row counts as in the summary (None when correct)."""
    if grade.points >= grade.max_points and grade.passed:
        return None
    if grade.mistake:
        return grade.mistake
    m = re.search(r"raised (\w+)", grade)
    if grade.startswith("Error:") and m:
        return f"raised {m.group(1)}"
    if grade.passed:
        return None
    return "error" if grade.startswith("Error:") else "wrong, not a known mistake"


def summarize(rows: list[dict]) -> list[dict]:
    """Per exercise: notebooks, full marks, their share, mean points, the most common
    mistakes with their counts, the most common feedback, and the version of gflow_lib whose
    checks graded them."""
    from gflow_lib import __version__

    out = []
    for label in dict.fromkeys(r["exercise"] for r in rows):
        mine = [r for r in rows if r["exercise"] == label]
        full = sum(r["points"] >= r["max_points"] for r in mine)
        common, _ = Counter(r["feedback"] for r in mine).most_common(1)[0]
        mistakes = Counter(r["mistake"] for r in mine if r.get("mistake"))
        out.append({"exercise": label, "notebooks": len(mine), "full_marks": full,
                    "share_full_marks": round(full / len(mine), 3),
                    "mean_points": round(sum(r["points"] for r in mine) / len(mine), 2),
                    "max_points": mine[0]["max_points"],
                    "most_common_mistakes": "; ".join(f"{m}: {n}"
                                                      for m, n in mistakes.most_common(10)),
                    "most_common_feedback": common, "gflow_lib_version": __version__})
    return out


def gradebook(subs: list[Submission], labels: list[str]) -> list[dict]:
    """One row per student: points per exercise (the best of their notebooks), total."""
    best: dict[str, dict[str, float]] = defaultdict(dict)
    for sub in subs:
        best.setdefault(sub.student, {})
        for p, g in sub.rows:
            label = p.exercise.label
            best[sub.student][label] = max(best[sub.student].get(label, 0.0), g.points)
    rows = []
    for student in sorted(best):
        row = {"student": student}
        row.update({label: best[student].get(label, 0.0) for label in labels})
        row["total"] = round(sum(row[label] for label in labels), 2)
        rows.append(row)
    return rows


def feedback_text(student: str, subs: list[Submission], labels: list[str]) -> str:
    """The feedback file of one student (markdown)."""
    from gflow_lib.checks.grading import POINTS

    mine = [s for s in subs if s.student == student]
    total = sum(g.points for s in mine for _, g in s.rows)
    from gflow_lib import __version__

    lines = [f"# Feedback for {student}", "",
             f"Total: {total:g} of {POINTS * len(labels)} points ({len(labels)} exercises, "
             f"{POINTS} each). Points come from hidden test problems; the problems that the "
             f"notebook's checks show give feedback only. Graded with gflow_lib {__version__}.",
             ""]
    for s in sorted(mine, key=lambda s: s.name):
        lines += [f"## {s.chapter} (`{s.name}`)", ""]
        if s.note:
            lines += [f"Note: {s.note}.", ""]
        for p, g in s.rows:
            lines += [f"- **{p.exercise.label}** ({p.exercise.function}): {g.points:g} of "
                      f"{g.max_points:g} points. {g}", f"  ({g.summary()})"]
        lines.append("")
    graded = {p.exercise.label for s in mine for p, _ in s.rows}
    missing = [label for label in labels if label not in graded]
    if missing:
        lines += ["## Not submitted", "", *(f"- {label}: 0 points" for label in missing), ""]
    return "\n".join(lines)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, newline="")
    os.replace(tmp, path)


def _csv_text(columns, rows) -> str:
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _safe_file(student: str) -> str:
    return re.sub(r"[^\w.-]", "_", student).strip(".") or "student"


class Tampered(SystemExit):
    """A submission changed the grader's or the library's files."""


def grade_folder(folder: Path, seed: int, jobs: int = 2, limits: Limits | None = None,
                 chapters=None) -> list[dict]:
    """Grade every notebook under ``folder``; write grades.csv, gradebook.csv, summary.csv
    and feedback/STUDENT.md there, once every submission is done and every process gone.

    ``seed`` (required) draws the hidden problems: keep it private.
    """
    if seed is None or isinstance(seed, bool) or not isinstance(seed, int):
        raise SystemExit(f"a seed is required for the hidden problems; {SEED_HINT}")
    limits = limits or Limits()
    folder = Path(folder)
    if not folder.is_dir():
        raise SystemExit(f"SUBMISSIONS must be a folder of notebooks; got {folder}")
    found = exercises(chapters)
    problems = prepare(found, seed)
    # everything the grader runs, imported before any submission runs
    import IPython.core.inputtransformer2  # noqa: F401

    import tools.grade_source  # noqa: F401

    hashes = source_hashes()
    subs: list[Submission] = []
    for path in submissions(folder):
        data = path.read_bytes()  # every notebook read before any of them runs
        try:
            nb = nbformat.reads(data.decode("utf-8", errors="replace"), as_version=4)
        except Exception:
            nb = None
        chapter = chapter_of(path, found, nb) if nb is not None else chapter_of(path, found, {})
        if chapter is None:
            print(f"skipped {path.relative_to(folder)}: no chapter with graded exercises "
                  f"matches it (chapters: {', '.join(found)})", file=sys.stderr)
            continue
        rel = PurePosixPath(path.relative_to(folder).as_posix())
        subs.append(Submission(path, rel.as_posix(), chapter, student_of(rel, chapter), data))
    if not subs:
        raise SystemExit(f"no notebook in {folder} belongs to a chapter with graded exercises")
    print(f"grading {len(subs)} notebooks ({jobs} at a time, a kernel each)")
    tmp_root = Path(tempfile.mkdtemp(prefix="gflow-grade-"))
    abort: list[str] = []
    lock = threading.Lock()
    global _launcher_run
    # a launcher pays from the second kernel on (0.5 s of CPU time to start, 0.5 s less each)
    _launcher_run = ({"folder": tmp_root / "launcher", "launcher": None, "tried": False}
                     if len(subs) > 1 else None)

    def work(sub):
        if abort:
            return
        grade_notebook(sub, problems[sub.chapter], seed, limits, tmp_root)
        changed = changed_files(hashes)
        if changed:
            with lock:
                abort.append(f"{sub.name} changed {', '.join(changed[:5])}")

    began = time.perf_counter()
    try:
        with ThreadPoolExecutor(max(1, jobs)) as pool:
            list(pool.map(work, subs))
    finally:
        with _launcher_lock:
            run, _launcher_run = _launcher_run, None
        if run is not None and run["launcher"] is not None:
            run["launcher"].close()
        shutil.rmtree(tmp_root, ignore_errors=True)
    elapsed = time.perf_counter() - began
    if abort:
        raise Tampered("GRADING ABORTED: a submission changed the grader's files: "
                       + "; ".join(abort) + ". Restore them (git status / git diff), grade "
                       "in a throw-away account or container, and look at that notebook.")
    rows = []
    for sub in subs:
        for p, g in sub.rows:
            hidden_note = f" Hidden problems right: {g.hidden_right} of {sum(g.hidden)}."
            rows.append({"notebook": sub.name, "exercise": p.exercise.label,
                         "points": g.points, "max_points": g.max_points,
                         "feedback": str(g) + hidden_note, "mistake": _category(g),
                         "student": sub.student})
    chapters_seen = [c for c in found if any(s.chapter == c for s in subs)]
    labels = [ex.label for c in chapters_seen for ex in found[c]]
    summary = summarize(rows)
    book = gradebook(subs, labels)
    outputs = {
        folder / "grades.csv": _csv_text(COLUMNS, [{k: r[k] for k in COLUMNS} for r in rows]),
        folder / "gradebook.csv": _csv_text(["student", *labels, "total"], book),
        folder / "summary.csv": _csv_text(SUMMARY, summary),
    }
    fb = folder / "feedback"
    if fb.is_symlink() or (fb.exists() and not fb.is_dir()):
        fb.unlink()
    fb.mkdir(exist_ok=True)
    for row in book:
        outputs[fb / f"{_safe_file(row['student'])}.md"] = feedback_text(row["student"], subs,
                                                                          labels)
    for path, text in outputs.items():
        _atomic_write(path, text)
    print(f"graded {len(subs)} notebooks in {elapsed:.1f} s ({elapsed / len(subs):.1f} s per "
          f"notebook, {jobs} at a time; slowest: " + ", ".join(
              f"{s.name} {s.seconds:.1f} s" for s in sorted(subs, key=lambda s: -s.seconds)[:3])
          + ")")
    print(f"wrote {folder / 'grades.csv'} ({len(rows)} rows), gradebook.csv ({len(book)} "
          f"students), summary.csv and feedback/")
    width = max(len(s["exercise"]) for s in summary)
    for s in summary:
        print(f"  {s['exercise']:<{width}}  full marks {s['full_marks']}/{s['notebooks']} "
              f"({100 * s['share_full_marks']:.0f}%), mean {s['mean_points']:g}/"
              f"{s['max_points']:g}  {s['most_common_mistakes']}")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of notebooks to grade")
    parser.add_argument("--seed", default=None,
                        help="the private seed of the hidden problems (required)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="notebooks graded at once (%(default)s)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds allowed per notebook (%(default)s)")
    parser.add_argument("--cell-timeout", type=float, default=60,
                        help="seconds allowed per code cell (%(default)s)")
    parser.add_argument("--call-timeout", type=float, default=60,
                        help="seconds allowed for one exercise's function on all its test "
                             "problems (%(default)s)")
    parser.add_argument("--memory", type=int, default=4096,
                        help="memory limit of each kernel in MB (%(default)s)")
    parser.add_argument("--isolate", choices=("auto", "on", "off"), default="auto",
                        help="run each kernel in its own pid namespace (unshare): auto = "
                             "where the system allows it")
    parser.add_argument("--no-preload", action="store_true",
                        help="start each isolated kernel on its own instead of forking it "
                             "from a launcher that imported ipykernel, numpy, scipy and "
                             "gflow_lib once (about 0.5 s of CPU time more per notebook)")
    parser.add_argument("--chapters", nargs="*", default=None,
                        help="only these chapters' exercises (default: all)")
    args = parser.parse_args(argv)
    if args.seed is None or not re.fullmatch(r"\s*-?\d+\s*", str(args.seed)):
        got = "none" if args.seed is None else repr(args.seed)
        raise SystemExit(f"make grade needs SEED=N, a private integer (got {got}): {SEED_HINT}")
    limits = Limits(timeout=args.timeout, cell_timeout=args.cell_timeout,
                    call_timeout=args.call_timeout, memory_mb=args.memory, isolate=args.isolate,
                    preload=not args.no_preload)
    grade_folder(args.submissions, seed=int(args.seed), jobs=args.jobs, limits=limits,
                 chapters=args.chapters)
    return 0


if __name__ == "__main__":
    sys.exit(main())
