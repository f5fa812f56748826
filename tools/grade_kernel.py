"""Start the Jupyter kernel of one submission, with limits: ``python -m tools.grade_kernel``.

``tools/grade.py`` starts this module in a new session (``start_new_session``), in an empty
temporary folder, with a minimal environment. It

* sets resource limits that every process the submission starts inherits: address space
  (``RLIMIT_AS``, ``--memory`` MB), CPU time (``RLIMIT_CPU``, ``--cpu`` seconds) and no core
  files;
* on Linux, makes itself a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``), so that a
  process the submission detaches (double fork, ``setsid``) is re-parented to the kernel and
  stays among its descendants, where the grader finds and ends it;
* runs the kernel in this process, as ``python -m ipykernel_launcher -f CONNECTION_FILE``
  does, but without a debugger (``debugpy`` is made unimportable: ipykernel would import
  pydevd and set up a debugger in each kernel: 0.15 s of the 0.5 s of CPU time a kernel took
  to answer here; grading never uses one), and with the input history in memory only
  (:data:`KERNEL_ARGS`). The folder of this file leaves ``sys.path``.

Usage: ``python -m tools.grade_kernel --memory MB --cpu SECONDS -f CONNECTION_FILE``

``--launcher`` runs it as the grader's kernel launcher instead (``Launcher`` in
``tools/grade.py``, where the system allows namespaces): it imports ipykernel and what the
notebooks import first (:data:`PRELOAD`) once, and then forks each submission's kernel from
itself on request. The forked child takes a new session, /dev/null as 0, 1 and 2 (every other
descriptor, the launcher's pipes included, closed), and a new user, mount and pid namespace
(mapped to its own uid, as ``unshare --user --map-root-user --pid --fork --mount-proc`` gives
a kernel started on its own); its child, the first process of that pid namespace (killed if
its parent dies), mounts its own /proc, and takes the kernel's folder, environment (the run's
marker included, for the processes it starts) and limits before it runs the kernel. A kernel
started so skips the imports: about 0.1 s of CPU time to answer and import numpy and gflow_lib
instead of 0.6 s here. Its command line is the launcher's. The grader writes one JSON request
a line on the launcher's stdin and reads one reply a line on its stdout; the launcher reaps a
kernel only when the grader says so (the pid it replied names that kernel until the grader has
ended it), and kills the kernels it forked when the grader goes.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 1 << 14, 1 << 18
PRELOAD = ("numpy", "scipy.linalg", "scipy.special", "gflow_lib")  # what notebooks import first
# The input history stays in memory (In, _i1, %history of the session): no SQLite file is
# written per kernel (0.015 s of CPU each here); a graded run is never resumed.
KERNEL_ARGS = ("--HistoryManager.enabled=False",)


def set_limits(memory_mb: int, cpu_s: int) -> None:
    """Address space and CPU time limits for this process and every process it starts."""
    import resource

    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if cpu_s > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def subreaper() -> bool:
    """Make this process the child subreaper of its descendants (Linux); False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memory", type=int, default=0, help="address space limit in MB")
    parser.add_argument("--cpu", type=int, default=0, help="CPU time limit in seconds")
    parser.add_argument("-f", dest="connection_file")
    parser.add_argument("--launcher", action="store_true",
                        help="fork kernels on request (see the module's docstring)")
    args = parser.parse_args(argv)
    if args.launcher:
        launcher()
        return
    if not args.connection_file:
        parser.error("-f CONNECTION_FILE is required")
    set_limits(args.memory, args.cpu)
    subreaper()
    launch(args.connection_file)


def _kernel_imports() -> None:
    """Leave this file's folder out of ``sys.path`` and make debugpy unimportable."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.modules["debugpy"] = None  # import debugpy raises ImportError: no debugger


def launch(connection_file: str) -> None:
    """Run the kernel in this process, as ``python -m ipykernel_launcher -f FILE`` would,
    without a debugger (see the module's docstring)."""
    _kernel_imports()
    sys.argv = ["ipykernel_launcher", "-f", connection_file, *KERNEL_ARGS]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        import ctypes

        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _own_namespaces() -> None:
    """Move the calling (single-threaded) process into a new user namespace where it is root
    (mapped to its own uid and gid), a new mount namespace and a new pid namespace (for its
    next child). Raises OSError where the system refuses."""
    libc = _libc()
    uid, gid = os.geteuid(), os.getegid()
    _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"),
                       ("gid_map", f"0 {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def _own_proc() -> None:
    """In the first process of a new pid namespace: mounts private, and /proc mounted anew, so
    that /proc lists this namespace's processes only."""
    libc = _libc()
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    _check(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None),
           "mount proc")


def _forked(request: dict) -> None:
    """The child forked for one kernel (never returns): a new session, no descriptor of the
    launcher's, its own namespaces; then, as the first process of its pid namespace, its own
    /proc, folder, environment, limits, and the kernel."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    _own_namespaces()
    alive_r, alive_w = os.pipe()  # this process holds the writing end until it ends
    pid = os.fork()
    if pid:  # as unshare --fork: wait for the namespace's first process, exit as it did
        os.close(alive_r)
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except ChildProcessError:
                os._exit(1)
            except InterruptedError:
                continue
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    os.close(alive_w)
    _check(_libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    import select

    if select.select([alive_r], [], [], 0)[0]:  # end of file: the parent ended before prctl
        os._exit(1)
    os.close(alive_r)
    _own_proc()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    import tempfile

    tempfile.tempdir = None  # gettempdir() reads TMPDIR again
    np_random = sys.modules.get("numpy.random")
    if np_random is not None:  # seeded in the launcher: each kernel draws its own numbers
        np_random.seed()  # (the random module reseeds itself after a fork)
    set_limits(int(request["memory"]), int(request["cpu"]))
    subreaper()
    sys.argv = ["ipykernel_launcher", "-f", request["connection_file"], *KERNEL_ARGS]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def _fork_kernel(request: dict) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _forked(request)
            code = 0
        except BaseException:  # noqa: BLE001 (nothing to report to: 2 is /dev/null)
            code = 1
        finally:
            os._exit(code)
    return pid


def _probe() -> str | None:
    """None when a child can take namespaces of its own and mount its /proc here, else why
    not."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, 1)
            os.dup2(null, 2)
            _own_namespaces()
            inner = os.fork()
            if inner == 0:
                try:
                    _own_proc()
                    alone = {e for e in os.listdir("/proc") if e.isdigit()} == {"1"}
                    os._exit(0 if os.getpid() == 1 and alone else 1)
                finally:
                    os._exit(1)
            code = os.waitstatus_to_exitcode(os.waitpid(inner, 0)[1])
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return None if code == 0 else f"a forked kernel could not take namespaces (exit {code})"


def launcher() -> None:
    """Serve the grader's requests on stdin (see the module's docstring): ``{"start": {...}}``
    forks a kernel and replies ``{"pid": PID}``; ``{"reap": PID}`` reaps an ended one and
    replies ``{"reaped": PID}``. The first reply says whether kernels can be forked here:
    ``{"ready": true}`` or ``{"ready": false, "why": ...}``."""
    import importlib

    _kernel_imports()
    from ipykernel import kernelapp  # noqa: F401

    for name in PRELOAD:
        importlib.import_module(name)
    requests, replies = sys.stdin.buffer, sys.stdout.buffer

    def reply(obj) -> None:
        replies.write(json.dumps(obj).encode() + b"\n")
        replies.flush()

    why = _probe() if sys.platform.startswith("linux") else "not Linux"
    forked = set()
    try:
        reply({"ready": why is None, "why": why})
        for line in requests:
            request = json.loads(line)
            if "start" in request:
                pid = _fork_kernel(request["start"])
                forked.add(pid)
                reply({"pid": pid})
            elif "reap" in request:
                pid = int(request["reap"])
                if pid in forked:
                    forked.discard(pid)
                    os.waitpid(pid, 0)
                reply({"reaped": pid})
            del request
    finally:
        # The grader has gone (or this failed): no kernel outlives the launcher (the first
        # process of each kernel's namespace dies with its parent: PR_SET_PDEATHSIG).
        for pid in forked:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


if __name__ == "__main__":
    main()
