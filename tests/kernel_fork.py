"""The Jupyter kernels of the tests, forked from one preloaded process (a "zygote").

A kernel started on its own (``python -m ipykernel_launcher``) spends about 1.2-1.4 s of CPU
before a chapter's own work: 0.4 s to start the kernel and 0.7-1.0 s to import numpy, scipy,
matplotlib and gflow_lib. The zygote pays that once per pytest process: it imports ipykernel
and what the chapters import first (:data:`PRELOAD`), then forks each kernel from itself on
request, as ``tools/grade_kernel.py --launcher`` does for the grader (without the grader's
namespaces and limits: the tests run the book's own notebooks).

Measured in a cpuacct cgroup (every process counted) on the 2-core test machine, 6 December
2026: a kernel that starts and imports what a chapter imports first took 1.17 s of CPU on its
own and 0.13 s forked; the zygote about 1.1 s once. nbval on the 14 chapters in one process
(``pytest -n 0 book/``, five runs each, interleaved): 48.6, 50.0, 49.5, 49.5, 48.4 core-s
with kernels started on their own, 39.3, 40.7, 36.9, 39.1, 35.6 forked.

A forked kernel is what a fresh one would be, where it matters:

* its own session and process group (interrupts reach it and what it started), /dev/null as
  stdin, stdout and stderr (ipykernel sends a kernel's output to the client either way), no
  descriptor of the zygote's; its folder (nbval passes the notebook's), its environment
  (``JPY_PARENT_PID`` names the zygote, its parent, which ipykernel's poller watches, as a
  fresh kernel's watches the process that started it); ``sys.path`` and ``sys.argv`` as
  ``python -m ipykernel_launcher`` makes them;
* its own numbers: numpy's global random state is seeded again from the operating system, as
  in a fresh process (Python's ``random`` reseeds itself after a fork); nothing of an earlier
  kernel, since each one is forked from the zygote, which never runs a kernel;
* matplotlib is imported with the inline backend selected (``MPLBACKEND``, as ipykernel sets
  it before a notebook's first line) but that backend's module is not: importing
  ``matplotlib_inline.backend_inline`` before a shell exists would skip its IPython set-up and
  no figure would show. The first figure of a kernel imports it, as in a fresh kernel;
* no debugger: ``debugpy`` is made unimportable, as in the grader's kernels (ipykernel sets
  one up in each kernel, 0.15 s of CPU; no test debugs a kernel);
* it dies when the zygote dies (``PR_SET_PDEATHSIG``, and ipykernel's parent poller), and
  ends with ``os._exit`` (no ``atexit`` of the zygote runs in it).

What differs, knowingly: a forked kernel has the modules of :data:`PRELOAD` imported before
its first cell. A chapter still has to import every name it uses (ruff's undefined-name
check), and ``tests/test_kernel_fork.py`` checks that no chapter reaches a preloaded submodule
it did not import (``gl.plotting`` after ``import gflow_lib as gl`` alone), which a fresh
kernel might lack; ``tests/test_colab.py`` runs a chapter in a fresh kernel. And it shares the
zygote's hash seed for ``str`` (a fresh process draws its own; no stored output depends on
the order of a set of strings, or nbval would fail at random on fresh kernels too).

A kernel is forked only where it can be exactly that: on Linux, for the ``ipykernel_launcher``
of this interpreter, when the kernel's environment is the zygote's (apart from ``JPY_*``,
``PYTEST_CURRENT_TEST`` and the ``GFLOW_*`` switches, which are read at run time) and its
folder holds no module that a preloaded one would hide and no ``matplotlibrc``; otherwise it
starts on its own, as before. ``GFLOW_FORK_KERNELS=0`` starts every kernel on its own (to
compare).

:func:`install` makes nbval's kernels forked ones (``tests/conftest.py`` calls it;
``-p kernel_fork`` does it for a pytest run without that conftest, such as ``pytest book/``);
:class:`KernelManager` and :class:`AsyncKernelManager` are jupyter_client's with the forking
provisioner, for nbclient (``NotebookClient(kernel_manager_class=...)``). The zygote is
started at the first kernel of a process and ended with it (:func:`stop`, called at the end
of the pytest session); its kernels die with it. ``python tests/kernel_fork.py`` runs the
zygote: it reads one JSON request a line on stdin and writes one reply a line on stdout.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import uuid

if __name__ == "__main__":  # the zygote: this file's folder, which Python put first in
    del sys.path[0]  # sys.path, is not on a kernel's

# A fresh kernel has imported all of jupyter_client too (ipykernel imports parts of it).
import jupyter_client  # noqa: E402
from jupyter_client.provisioning import LocalProvisioner  # noqa: E402

if __name__ == "__main__":  # the zygote answers; it asks nothing, and imports nothing a fresh
    LineClient = Forked = object  # kernel would not have (nor the repository on its path)
else:
    from tools.json_lines import Forked, LineClient

# What the chapters import first, imported once by the zygote.
PRELOAD = ("numpy", "scipy.linalg", "scipy.special", "matplotlib.pyplot", "gflow_lib",
           "gflow_lib.plotting", "gflow_lib.checks", "gflow_lib.data", "gflow_lib.prose")
INLINE = "module://matplotlib_inline.backend_inline"  # ipykernel's default MPLBACKEND
SWITCH = "GFLOW_FORK_KERNELS"  # "0": every kernel starts on its own
# Modules to import instead of PRELOAD, space-separated, when set (for a test's own zygote).
PRELOAD_VAR = "KERNEL_FORK_PRELOAD"
# Variables read at run time only, which may differ from kernel to kernel (pytest names the
# test under way in PYTEST_CURRENT_TEST).
RUNTIME_ENV = ("JPY_", "GFLOW_", "PYTEST_CURRENT_TEST")
PR_SET_PDEATHSIG = 1


# ----------------------------------------------------------------------------- the zygote
def _forked_kernel(request: dict, ready_w: int) -> None:
    """The child forked for one kernel (never returns)."""
    code = 1
    try:
        zygote = os.getppid()
        os.setsid()  # its own session and process group, as jupyter_client starts a kernel
        os.write(ready_w, b"1")
        os.close(ready_w)
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != zygote:  # the zygote ended before prctl
            os._exit(1)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(zygote)  # ipykernel's poller: the parent to watch
        import tempfile

        tempfile.tempdir = None  # gettempdir() reads TMPDIR again
        np_random = sys.modules.get("numpy.random")
        if np_random is not None:  # as a fresh process: numbers of its own
            np_random.seed()
        # as `python -m ipykernel_launcher` (which takes the folder out of sys.path: IPython
        # puts '' first, as in a fresh kernel)
        from importlib.util import find_spec

        sys.argv = [find_spec("ipykernel_launcher").origin, *request["args"]]
        from ipykernel import kernelapp

        # The parent to watch, which ipykernel reads from JPY_PARENT_PID when it is imported
        # (in the zygote, where it is not set): its poller ends the kernel when it changes.
        kernelapp.IPKernelApp.launch_instance(parent_handle=zygote)
        code = 0
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 (2 is /dev/null: nothing to report to)
        code = 1
    finally:
        os._exit(code)


def _hidden_by(cwd: str, preloaded: set[str]) -> str | None:
    """Why a kernel in ``cwd`` would not see what the zygote imported, or None: a module or
    package there named like a preloaded one (``''`` is first in a kernel's ``sys.path``), or
    a ``matplotlibrc`` (matplotlib reads the one in the current folder at import)."""
    try:
        names = os.listdir(cwd)
    except OSError as exc:
        return f"cannot list {cwd}: {exc}"
    if "matplotlibrc" in names:
        return f"{cwd} has a matplotlibrc"
    for name in names:
        stem = name.split(".")[0]
        if stem in preloaded and (name.endswith((".py", ".so", ".pyc")) or os.path.isfile(
                os.path.join(cwd, name, "__init__.py"))):
            return f"{os.path.join(cwd, name)} would hide the preloaded {stem}"
    return None


def zygote() -> None:
    """Serve requests on stdin (see the module's docstring): ``{"start": {"cwd", "env",
    "args"}}`` forks a kernel and replies ``{"pid": PID}`` (or ``{"refused": why}``);
    ``{"reap": PID}`` waits for that ended kernel and replies ``{"status": exit status}``.
    The first reply is ``{"ready": true}``. At the end of stdin the kernels are killed."""
    import gc
    import importlib

    sys.modules["debugpy"] = None  # import debugpy raises ImportError: no debugger
    os.environ.setdefault("MPLBACKEND", INLINE)  # as ipykernel sets it, before matplotlib
    from ipykernel import kernelapp  # noqa: F401

    names = os.environ.get(PRELOAD_VAR)
    for name in PRELOAD if names is None else names.split():
        importlib.import_module(name)
    preloaded = {name.split(".")[0] for name in sys.modules}
    # A kernel forked after any of these would not work (the zygote then ends before it says
    # it is ready, and kernels start on their own): its figures would not show, a ZMQ context
    # (its sockets and threads) does not survive a fork, and nor does any other thread.
    assert "matplotlib_inline.backend_inline" not in sys.modules, "figures would not show"
    import zmq

    assert zmq.Context._instance is None, "a ZMQ context exists before the fork"
    assert threading.active_count() == 1, "a thread runs before the fork"
    gc.collect()
    gc.freeze()  # the collector leaves the preloaded objects alone: fewer pages copied
    requests, replies = sys.stdin.buffer, sys.stdout.buffer

    def reply(obj) -> None:
        replies.write(json.dumps(obj).encode() + b"\n")
        replies.flush()

    forked = set()
    try:
        reply({"ready": True, "pid": os.getpid()})
        for line in requests:
            request = json.loads(line)
            if "start" in request:
                why = _hidden_by(request["start"]["cwd"], preloaded)
                if why:
                    reply({"refused": why})
                    continue
                ready_r, ready_w = os.pipe()
                pid = os.fork()
                if pid == 0:
                    os.close(ready_r)
                    _forked_kernel(request["start"], ready_w)
                os.close(ready_w)
                os.read(ready_r, 1)  # its own process group now: killpg(pid) reaches it only
                os.close(ready_r)
                forked.add(pid)
                reply({"pid": pid})
            elif "reap" in request:
                pid = int(request["reap"])
                status = None
                if pid in forked:
                    forked.discard(pid)
                    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
                reply({"status": status})
    finally:  # the tests have ended (or this failed): no kernel outlives the zygote
        for pid in forked:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass


# ----------------------------------------------------------------------------- the client
def _stat_state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
        return stat[stat.rindex(")") + 2:].split()[0]
    except (OSError, ValueError, IndexError):
        return "X"


class Zygote(LineClient):
    """The zygote of this process, seen from the tests: started with the environment of the
    first kernel (the kernels it forks must have the same); asked as the grader asks its
    launcher (:class:`tools.json_lines.LineClient`)."""

    what = "the kernel zygote"

    def __init__(self, env: dict[str, str], timeout: float = 60.0):
        self.env = _fixed(env)
        super().__init__(subprocess.Popen(
            [sys.executable, os.path.abspath(__file__)], env=self.env, cwd=os.path.dirname(
                os.path.abspath(__file__)), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True, bufsize=0), timeout)
        try:
            first = self.read_reply()
        except BaseException:
            self.close()
            raise
        if not first.get("ready"):
            self.close()
            raise RuntimeError(f"the zygote did not start: {first}")
        self.pid = first["pid"]

    def fits(self, env: dict[str, str]) -> bool:
        """True when a kernel with ``env`` is what the zygote imported its modules with."""
        return _fixed(env) == self.env

    def end(self) -> None:
        """The zygote, its input closed, ends within 10 s or is killed; its kernels die with
        it (on :meth:`close`)."""
        try:
            self.proc.wait(10)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            self.proc.wait()


def _fixed(env) -> dict[str, str]:
    """The part of an environment that the preloaded modules may have read at import."""
    return {k: v for k, v in env.items() if not k.startswith(RUNTIME_ENV)}


_lock = threading.Lock()
_state: dict = {"zygote": None, "tried": False, "forked": 0, "started": 0}


def enabled() -> bool:
    return (os.environ.get(SWITCH, "1") != "0" and sys.platform.startswith("linux")
            and hasattr(os, "fork"))


def zygote_for(env: dict[str, str]) -> Zygote | None:
    """The zygote of this process (started at its first kernel), or None where kernels are
    not forked or it failed to start."""
    with _lock:
        if not _state["tried"] and enabled():
            _state["tried"] = True
            try:
                _state["zygote"] = Zygote(env)
            except (OSError, RuntimeError, ValueError) as exc:
                print(f"kernels start on their own: no zygote ({exc})", file=sys.stderr)
        return _state["zygote"]


def stop() -> None:
    """End this process's zygote, if any (a later kernel starts another)."""
    with _lock:
        zygote_, _state["zygote"], _state["tried"] = _state["zygote"], None, False
    if zygote_ is not None:
        zygote_.close()


def counts() -> dict[str, int]:
    """Kernels started in this process: forked and started on their own."""
    return {"forked": _state["forked"], "started": _state["started"]}


class ForkedProcess(Forked):
    """A kernel forked by the zygote, seen as a ``subprocess.Popen`` (``pid``, ``poll``,
    ``wait``, ``send_signal``, ``kill``, ``terminate``, ``returncode``). The zygote reaps it
    only when it has ended and :meth:`poll` asks, so the pid names it until then."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, zygote_: Zygote):
        self.pid, self.zygote, self.returncode = pid, zygote_, None

    def poll(self):
        if self.returncode is None and _stat_state(self.pid) in ("Z", "X"):
            try:
                status = self.zygote.ask({"reap": self.pid})["status"]
            except (OSError, RuntimeError, ValueError, KeyError):
                status = None
            self.returncode = -signal.SIGKILL if status is None else status
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _launcher_args(cmd: list[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` when ``cmd`` runs it with this
    interpreter (the zygote's), else None."""
    if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"] and os.path.abspath(
            cmd[0]) == os.path.abspath(sys.executable):
        return list(cmd[3:])
    return None


class ForkingProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, forking the kernel from the zygote where it can
    (see the module's docstring) and starting it on its own otherwise."""

    async def launch_kernel(self, cmd, **kwargs):
        env = dict(kwargs.get("env") or os.environ)
        args = _launcher_args(cmd)
        zygote_ = zygote_for(env) if args is not None else None
        if zygote_ is not None and zygote_.fits(env):
            cwd = str(kwargs.get("cwd") or os.getcwd())
            try:
                reply = zygote_.ask({"start": {"cwd": cwd, "env": env, "args": args}})
            except (OSError, RuntimeError, ValueError):
                reply = {}
            if "pid" in reply:
                self.process = ForkedProcess(int(reply["pid"]), zygote_)
                self.pid = self.pgid = self.process.pid  # its own process group
                self.cwd = kwargs.get("cwd", pathlib.Path.cwd())
                _state["forked"] += 1
                return self.connection_info
        _state["started"] += 1
        return await super().launch_kernel(cmd, **kwargs)


class _Forking:
    """Makes a kernel manager use :class:`ForkingProvisioner`."""

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkingProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


class KernelManager(_Forking, jupyter_client.KernelManager):
    """jupyter_client's ``KernelManager``, its kernel forked from the zygote."""


class AsyncKernelManager(_Forking, jupyter_client.AsyncKernelManager):
    """jupyter_client's ``AsyncKernelManager``, its kernel forked from the zygote."""


def install() -> None:
    """nbval's kernels (``nbval.kernel.start_new_kernel``) are forked from now on."""
    import nbval.kernel

    nbval.kernel.KernelManager = KernelManager


# ----------------------------------------------------------------------------- as a plugin
def pytest_configure(config):  # -p kernel_fork
    install()


def pytest_unconfigure(config):
    stop()


if __name__ == "__main__":
    zygote()
