"""``make lab``: JupyterLab on the chapters, for a learner. Started headless on 127.0.0.1 and
asked for its API, then stopped. It builds no book and needs no browser."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "gflow-lab-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
        return response.status, response.read().decode()


def test_the_lab_target_needs_only_the_venv():
    makefile = (ROOT / "Makefile").read_text()
    rule = re.search(r"^lab:(?P<deps>.*)\n(?P<recipe>(\t.*\n)+)", makefile, re.MULTILINE)
    assert rule, "no lab target in the Makefile"
    assert rule.group("deps").split() == ["$(STAMP)"], rule.group("deps")
    assert "jupyter lab" in rule.group("recipe") and "root_dir=book" in rule.group("recipe")
    assert "venv" in re.search(r"^\$\(STAMP\):.*\n(\t.*\n)+", makefile, re.MULTILINE).group(0)


@pytest.mark.browser
def test_make_lab_serves_the_chapters(tmp_path):
    port = _free_port()
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={TOKEN} "
            "--ServerApp.port_retries=0")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = open(tmp_path / "lab.log", "w")
    # -o: take .venv as installed (the test runs inside it); the recipe is make lab's own.
    proc = subprocess.Popen(["make", "--no-print-directory", "-o", ".venv/.installed", "lab",
                             f"LAB_ARGS={args}"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, status = time.time() + 120, None
        while time.time() < deadline and proc.poll() is None:
            try:
                status, body = _get(f"{base}/api")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, f"JupyterLab did not answer: {(tmp_path / 'lab.log').read_text()}"
        assert "version" in json.loads(body)
        _, listing = _get(f"{base}/api/contents?token={TOKEN}")
        names = {item["name"] for item in json.loads(listing)["content"]}
        chapters = {p.name for p in (ROOT / "book").glob("*.ipynb")}
        assert chapters and chapters <= names, names
        # The MyST sources (md/) and the site's files (site/) are not listed; a Markdown page
        # opens as a file, not as a notebook (jupytext would make it one); a chapter does.
        assert not {"md", "site"} & names, f"make lab lists book/md or book/site: {names}"
        kinds = {name: json.loads(_get(f"{base}/api/contents/{name}?content=0&token={TOKEN}")[1])
                 ["type"] for name in ("instructors.md", min(chapters))}
        assert kinds == {"instructors.md": "file", min(chapters): "notebook"}, kinds
        status, page = _get(f"{base}/lab?token={TOKEN}")
        assert status == 200 and "JupyterLab" in page
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
