"""A helper process spoken to in JSON lines: one request a line on its standard input, one
reply a line on its standard output. The grader's kernel launcher (``Launcher`` in
``tools/grade.py``) and the tests' kernel zygote (``Zygote`` in ``tests/kernel_fork.py``)
are such processes; this is the asking side they share, and the view of a process they fork
(:class:`Forked`)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import threading
import time


class LineClient:
    """Asks ``proc`` (a ``subprocess.Popen`` with unbuffered binary pipes) one request at a
    time, each reply within ``timeout`` seconds. After a failure it is not asked again: a late
    reply would answer the next request. ``what`` names the process in errors."""

    what = "the helper process"

    def __init__(self, proc, timeout: float):
        self.proc = proc
        self.timeout = timeout
        self.lock = threading.Lock()
        self.broken = False

    def read_reply(self) -> dict:
        """One reply line, within ``timeout`` seconds."""
        line, end = b"", time.monotonic() + self.timeout
        while not line.endswith(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [],
                                        max(0.0, end - time.monotonic()))
            byte = os.read(self.proc.stdout.fileno(), 1) if ready else b""
            if not byte:
                raise RuntimeError(f"{self.what} did not answer")
            line += byte
        return json.loads(line)

    def ask(self, request: dict) -> dict:
        """The reply to ``request``."""
        with self.lock:
            if self.broken or self.proc.poll() is not None:
                raise RuntimeError(f"{self.what} has ended or failed")
            try:
                data = json.dumps(request).encode() + b"\n"
                while data:
                    data = data[os.write(self.proc.stdin.fileno(), data):]
                return self.read_reply()
            except BaseException:
                self.broken = True
                raise

    def close(self) -> None:
        """End the helper: its input closed (which asks it to stop), then :meth:`end`, then
        its output closed."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.end()
        finally:
            self.proc.stdout.close()

    def end(self) -> None:
        """Wait for the helper to stop (a subclass says how, and what else ends with it)."""
        self.proc.wait()


class Forked:
    """A process that such a helper forked, seen as a ``subprocess.Popen``: ``pid``,
    ``returncode``, and :meth:`wait` on the ``poll`` a subclass defines (the helper, not
    this process, is its parent)."""

    pid: int
    returncode: int | None = None

    def poll(self) -> int | None:
        raise NotImplementedError

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"process {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode
