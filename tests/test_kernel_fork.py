"""The kernels forked from one preloaded process (``tests/kernel_fork.py``) are sound.

nbval starts them (``nbval.kernel.start_new_kernel``, patched by ``tests/conftest.py``), so
these tests start theirs the same way. A forked kernel keeps nothing of an earlier one, draws
numbers of its own, runs in the folder and environment it was given, shows figures, can be
interrupted, and ends with the zygote, leaving no process behind; apart from the debugger it
is what a fresh kernel is (same ``sys.path``, modules, hooks, environment, signals).
``tests/test_notebooks.py`` shows nbval failing on a wrong stored output in a forked kernel.
No chapter uses a preloaded submodule that it did not import (a fresh kernel might lack it).
"""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import jupyter_client
import kernel_fork
import nbval.kernel
import pytest
from nbval.kernel import CURRENT_ENV_KERNEL_NAME, RunningKernel

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def run(kernel: RunningKernel, code: str, timeout: float = 60.0) -> dict:
    """Execute ``code``: its printed text, the MIME types it displayed, and its error name."""
    msg_id = kernel.kc.execute(code, allow_stdin=False)
    found = {"text": "", "mimes": [], "error": None}
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        msg = kernel.kc.get_iopub_msg(timeout=max(0.1, end - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            found["text"] += content["text"]
        elif kind in ("display_data", "execute_result"):
            found["mimes"].append(sorted(content["data"]))
        elif kind == "error":
            found["error"] = content["ename"]
        elif kind == "status" and content["execution_state"] == "idle":
            return found
    raise TimeoutError(code)


def printed_json(kernel: RunningKernel, code: str) -> dict:
    """The JSON that ``code`` prints last."""
    out = run(kernel, code)
    assert out["error"] is None, out
    return json.loads(out["text"].strip().splitlines()[-1])


STATE = """\
import json, os, random
import numpy as np
print(json.dumps({"cwd": os.getcwd(), "pid": os.getpid(), "ppid": os.getppid(),
                  "own_session": os.getsid(0) == os.getpid(), "np": np.random.random(),
                  "py": random.random(), "token": os.environ.get("GFLOW_KERNEL_TOKEN"),
                  "leak": "leak" in dir() or "leak" in dir(__builtins__)}))
leak = 1
"""


@pytest.mark.notebooks
@pytest.mark.skipif(not kernel_fork.enabled(), reason="kernels are forked on Linux only")
def test_forked_kernels_are_separate_and_fresh(tmp_path, monkeypatch):
    """Two kernels forked in turn, as nbval runs two chapters: each in its folder and
    environment, in a session of its own, forked (its parent is the zygote), nothing defined
    in the first is defined in the second, numpy's global random state and Python's are
    their own (the zygote's state, inherited unchanged, would give both the same number),
    and a figure is shown inline (importing matplotlib's inline backend in the zygote, before
    a shell exists, loses it)."""
    assert nbval.kernel.KernelManager is kernel_fork.KernelManager  # nbval forks its kernels
    states = []
    for k, name in enumerate(("first", "second")):
        folder = tmp_path / name
        folder.mkdir()
        monkeypatch.setenv("GFLOW_KERNEL_TOKEN", name)  # read at run time: kernels may differ
        before = kernel_fork.counts()["forked"]
        kernel = RunningKernel(CURRENT_ENV_KERNEL_NAME, cwd=str(folder))
        try:
            assert kernel_fork.counts()["forked"] == before + 1
            states.append(printed_json(kernel, STATE))
            if k == 1:
                figure = run(kernel, "from gflow_lib.plotting import apply_style\n"
                                     "import matplotlib.pyplot as plt\n\napply_style()\n"
                                     "fig, ax = plt.subplots(figsize=(2, 1))\n"
                                     "line = ax.plot([0, 1])")
        finally:
            kernel.stop()
        assert states[-1]["cwd"] == str(folder)
        assert states[-1]["token"] == name
    first, second = states
    zygote = kernel_fork._state["zygote"]
    assert first["ppid"] == second["ppid"] == zygote.pid, (states, zygote.pid)
    assert first["own_session"] and second["own_session"]
    assert not first["leak"] and not second["leak"]
    assert first["np"] != second["np"], "numpy's global random state is the zygote's"
    assert first["py"] != second["py"], "Python's random state is the zygote's"
    assert figure["error"] is None and ["image/png", "text/plain"] in figure["mimes"], figure


PROBE = """\
import json, os, resource, signal, sys
import matplotlib, numpy, scipy.linalg, scipy.special, matplotlib.pyplot
import gflow_lib, gflow_lib.plotting, gflow_lib.checks, gflow_lib.data, gflow_lib.prose
from ipykernel.kernelapp import IPKernelApp
DEBUGGER = ("debugpy", "pydevd", "_pydev", "PYDEVD_")
print(json.dumps({
    "cwd": os.getcwd(), "path": sys.path, "argv0": sys.argv[0], "flags": str(sys.flags),
    "env": {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", *DEBUGGER))},
    "signals": {int(s): str(signal.getsignal(s)) for s in (1, 2, 13, 15, 17)},
    "group": os.getpgid(0) == os.getpid(), "main": sys.modules["__main__"].__name__,
    "backend": matplotlib.get_backend(), "umask": os.umask(0o022),
    "limits": [resource.getrlimit(r) for r in (0, 1, 2, 3, 4, 5, 6, 7, 9)],
    "hooks": {event: [getattr(f, "__qualname__", str(f)) for f in fs]
              for event, fs in get_ipython().events.callbacks.items()},
    "displayhook": type(sys.displayhook).__name__, "stdout": type(sys.stdout).__name__,
    "watches_parent": IPKernelApp.instance().parent_handle == os.getppid()
    and IPKernelApp.instance().poller.is_alive(),
    "modules": sorted(m for m in sys.modules if not m.startswith(DEBUGGER)),
}))
"""


@pytest.mark.notebooks
@pytest.mark.skipif(not kernel_fork.enabled(), reason="kernels are forked on Linux only")
def test_a_forked_kernel_is_a_fresh_kernel_but_for_the_debugger(tmp_path, monkeypatch):
    """A kernel started on its own (jupyter_client's KernelManager, as nbval had it) and a
    forked one, in the same folder, after the imports of a chapter: the same folder,
    ``sys.path``, ``sys.argv[0]``, interpreter flags, environment, signal handlers, process
    group, ``__main__``, matplotlib backend, umask, limits, IPython hooks (pyplot's and the
    inline backend's), display hook, a poller that ends it when its parent goes (the zygote
    for the forked one), and no module that the fresh one has not imported.
    The one difference: the forked kernel has no debugger (debugpy and pydevd are not
    loaded, and do not set PYDEVD_USE_FRAME_EVAL)."""
    monkeypatch.setattr(nbval.kernel, "KernelManager", jupyter_client.KernelManager)
    fresh_kernel = RunningKernel(CURRENT_ENV_KERNEL_NAME, cwd=str(tmp_path))
    try:
        fresh = printed_json(fresh_kernel, PROBE)
        debugger = run(fresh_kernel, "import sys; print('pydevd' in sys.modules)")["text"]
    finally:
        fresh_kernel.stop()
    monkeypatch.undo()
    before = kernel_fork.counts()["forked"]
    forked_kernel = RunningKernel(CURRENT_ENV_KERNEL_NAME, cwd=str(tmp_path))
    try:
        assert kernel_fork.counts()["forked"] == before + 1
        forked = printed_json(forked_kernel, PROBE)
    finally:
        forked_kernel.stop()
    assert debugger.strip() == "True"  # the fresh kernel has one (what the forked one skips)
    # The forked kernel has no module that the fresh one lacks (a chapter that forgot an
    # import would pass here and fail elsewhere); the fresh one has the debugger's (email,
    # http, xmlrpc, pydev_ipython ...) and runpy (of `python -m`) besides.
    extra = sorted(set(forked.pop("modules")) - set(fresh.pop("modules")))
    assert extra == [], f"a forked kernel has modules a fresh one has not: {extra}"
    for key in fresh:
        assert forked[key] == fresh[key], (key, fresh[key], forked[key])


def _gone(pid: int) -> bool:
    """True when ``pid`` has ended and been reaped (a zombie is not gone)."""
    return not Path(f"/proc/{pid}").exists()


def _wait_gone(pids, timeout: float = 10.0) -> list[int]:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not all(_gone(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if not _gone(p)]


@pytest.mark.notebooks
@pytest.mark.skipif(not kernel_fork.enabled(), reason="kernels are forked on Linux only")
def test_a_forked_kernel_is_interrupted_ended_and_dies_with_the_zygote(tmp_path, monkeypatch):
    """The kernel manager interrupts a forked kernel (SIGINT to its process group), and its
    shutdown leaves no process (the zygote reaps it). When the zygote ends, its kernels and
    the processes they started end with it; the next kernel gets a new zygote. A zygote of
    this test's own, which imports nothing but ipykernel (1 s of CPU less), so that the
    chapters' zygote lives on."""
    monkeypatch.setenv(kernel_fork.PRELOAD_VAR, "")
    monkeypatch.setattr(kernel_fork, "_state", {"zygote": None, "tried": False, "forked": 0,
                                                "started": 0})
    try:
        _interrupt_end_and_die(tmp_path)
    finally:
        kernel_fork.stop()


def _interrupt_end_and_die(tmp_path):
    kernel = RunningKernel(CURRENT_ENV_KERNEL_NAME, cwd=str(tmp_path))
    pid = kernel.km.provisioner.pid
    try:
        assert isinstance(kernel.km.provisioner.process, kernel_fork.ForkedProcess)
        msg_id = kernel.kc.execute("import time\ntime.sleep(60)")
        time.sleep(0.5)
        start = time.monotonic()
        kernel.km.interrupt_kernel()
        while True:
            msg = kernel.kc.get_iopub_msg(timeout=10)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "error":
                break
        assert msg["content"]["ename"] == "KeyboardInterrupt"
        assert time.monotonic() - start < 10
    finally:
        kernel.stop()
    assert _wait_gone([pid]) == [], "a forked kernel was left after its shutdown"

    kernel = RunningKernel(CURRENT_ENV_KERNEL_NAME, cwd=str(tmp_path))
    zygote = kernel_fork._state["zygote"]
    try:
        child = int(run(kernel, "import subprocess\n"
                                "sleeper = subprocess.Popen(['sleep', '60'])\n"
                                "print(sleeper.pid)")["text"])
        pids = [zygote.pid, kernel.km.provisioner.pid, child]
        kernel_fork.stop()
        assert _wait_gone(pids) == [], "the zygote's kernel outlived it"
        assert kernel.km.provisioner.process.poll() is not None
    finally:
        kernel.kc.stop_channels()
        kernel.km.cleanup_resources()
    kernel = RunningKernel(CURRENT_ENV_KERNEL_NAME, cwd=str(tmp_path))
    try:
        assert kernel_fork._state["zygote"] is not zygote
        assert run(kernel, "print(1 + 1)")["text"] == "2\n"
    finally:
        kernel.stop()


def unimported_preloaded_modules(source: str) -> list[str]:
    """The preloaded submodules (:data:`kernel_fork.PRELOAD`) that ``source`` reaches as an
    attribute of a package it imported (``gl.plotting`` after ``import gflow_lib as gl``)
    without importing them: they are there in a forked kernel, maybe not in a fresh one."""
    preloaded = set(kernel_fork.PRELOAD)
    tree = ast.parse(source)
    aliases, imported = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for name in node.names:
                imported.add(name.name)
                aliases[name.asname or name.name.split(".")[0]] = (
                    name.name if name.asname else name.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update(f"{node.module}.{name.name}" for name in node.names)
    found = []
    for node in ast.walk(tree):
        chain = []
        while isinstance(node, ast.Attribute):
            chain.insert(0, node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in aliases:
            dotted = aliases[node.id]
            for attr in chain:
                dotted = f"{dotted}.{attr}"
                if dotted in preloaded and dotted not in imported:
                    found.append(dotted)
    return sorted(set(found))


def _code(path: Path) -> str:
    """A notebook's code, without IPython's magics and shell lines (read as JSON: nbformat's
    validation took 0.1 s a chapter)."""
    cells = json.loads(path.read_text())["cells"]
    lines = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return "\n".join(line for line in lines.splitlines()
                     if not line.lstrip().startswith(("%", "!")))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_a_chapter_imports_the_preloaded_modules_it_uses(path):
    """A chapter passes in a forked kernel only if it would pass in a fresh one: it does not
    use a preloaded submodule that it never imported (see :func:`unimported_preloaded_modules`,
    which finds ``gl.plotting`` after ``import gflow_lib as gl`` alone, below)."""
    assert unimported_preloaded_modules(_code(path)) == []


def test_the_preloaded_module_check_can_fail():
    assert unimported_preloaded_modules(
        "import gflow_lib as gl\nimport matplotlib\n\ngl.plotting.apply_style()\n"
        "matplotlib.pyplot.figure()") == ["gflow_lib.plotting", "matplotlib.pyplot"]
    assert unimported_preloaded_modules(
        "import gflow_lib as gl\nimport matplotlib.pyplot\nfrom gflow_lib import plotting\n"
        "\ngl.plotting.apply_style()\nmatplotlib.pyplot.figure()") == []
