"""The explorer's JavaScript numbers (gflow_lib/widgets/explorer.js) under node's test runner.

gflow_lib writes the fixtures (``tests/js/fixtures.py``: random problems, points at one input,
one point, diverging descent), and ``node --test tests/js/`` checks ``gflowLive.params``,
``loss``, ``spectrum``, ``descent`` and ``prediction`` against them to 1e-10. Node is already
needed for the book's assets (``make assets``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.js.fixtures import fixtures

ROOT = Path(__file__).resolve().parent.parent
JS_TESTS = ROOT / "tests" / "js"


def run_node(fixture_file: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for the JavaScript tests (Debian: apt-get install -y nodejs)",
                    pytrace=False)
    env = dict(os.environ, GFLOW_FIXTURES=str(fixture_file))
    return subprocess.run([node, "--test", str(JS_TESTS)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def counts(output: str) -> dict:
    return {k: int(v) for k, v in re.findall(r"^# (pass|fail|tests) (\d+)$", output, re.M)}


def test_javascript_numbers_equal_gflow_lib(tmp_path):
    fx = tmp_path / "fixtures.json"
    fx.write_text(json.dumps(fixtures()))
    proc = run_node(fx)
    n = counts(proc.stdout)
    assert proc.returncode == 0 and n.get("fail") == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert n.get("pass", 0) >= 100, f"too few JavaScript tests ran: {n}"


def test_javascript_tests_fail_on_a_wrong_fixture(tmp_path):
    """The node tests can fail: one wrong expected parameter is reported."""
    cases = fixtures()
    cases[0]["params"][4][0] += 1e-6
    fx = tmp_path / "wrong.json"
    fx.write_text(json.dumps(cases))
    proc = run_node(fx)
    assert proc.returncode != 0 and counts(proc.stdout).get("fail") == 1, proc.stdout[-3000:]
    failed = re.findall(r"^not ok \d+ - (.*)$", proc.stdout, re.M)
    assert failed == ["params equal LinearFlow: the book's three points"], failed
