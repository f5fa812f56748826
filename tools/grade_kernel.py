"""Start the Jupyter kernel of one submission, with limits: ``python -m tools.grade_kernel``.

``tools/grade.py`` starts this module in a new session (``start_new_session``), in an empty
temporary folder, with a minimal environment. It

* sets resource limits that every process the submission starts inherits: address space
  (``RLIMIT_AS``, ``--memory`` MB), CPU time (``RLIMIT_CPU``, ``--cpu`` seconds) and no core
  files;
* on Linux, makes itself a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``), so that a
  process the submission detaches (double fork, ``setsid``) is re-parented to the kernel and
  stays among its descendants, where the grader finds and ends it; the setting survives
  ``execv``;
* replaces itself (``os.execv``) by ``python -m ipykernel_launcher -f CONNECTION_FILE``.

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
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f",
                              args.connection_file])


if __name__ == "__main__":
    main()
