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
  to answer here; grading never uses one). The folder of this file leaves ``sys.path``.

Usage: ``python -m tools.grade_kernel --memory MB --cpu SECONDS -f CONNECTION_FILE``
"""

from __future__ import annotations

import argparse
import os
import sys

PR_SET_CHILD_SUBREAPER = 36


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
    parser.add_argument("-f", dest="connection_file", required=True)
    args = parser.parse_args(argv)
    set_limits(args.memory, args.cpu)
    subreaper()
    launch(args.connection_file)


def launch(connection_file: str) -> None:
    """Run the kernel in this process, as ``python -m ipykernel_launcher -f FILE`` would,
    without a debugger (see the module's docstring)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.modules["debugpy"] = None  # import debugpy raises ImportError: no debugger
    sys.argv = ["ipykernel_launcher", "-f", connection_file]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
