"""Feedback of the frame-losses exercise (chapter on exploring the flow in time): accepts right
answers, names each typical mistake written here independently of the check's table. What
every check shares is tested in test_checksharness.py."""

from __future__ import annotations

import numpy as np
import pytest

from gflow_lib.checks import check_frame_losses


def by_loops(residuals):
    # Written independently of the check: explicit loops over frames and points.
    out = []
    for row in residuals:
        total = 0.0
        for r in row:
            total += r * r
        out.append(total / 2)
    return out


@pytest.mark.parametrize("fn", [by_loops, lambda r: 0.5 * np.linalg.norm(r, axis=1) ** 2])
def test_accepts_right_answers(fn):
    assert check_frame_losses(fn).startswith("Correct:")


def test_accepts_a_float32_computation_with_a_note():
    result = check_frame_losses(lambda r: 0.5 * np.sum(r.astype(np.float32) ** 2, axis=1))
    assert result.passed and "float32" in result, result


MISTAKES = {
    "no half": (lambda r: np.sum(r**2, axis=1), "one half is missing"),
    "mean": (lambda r: 0.5 * np.mean(r**2, axis=1), "averaged"),
    "wrong axis": (lambda r: 0.5 * np.sum(r**2, axis=0), "summed over time (axis 0)"),
    "square of sum": (lambda r: 0.5 * np.sum(r, axis=1) ** 2, "squared the sum"),
    "no square": (lambda r: 0.5 * np.sum(np.abs(r), axis=1), "not squared"),
    "norm": (lambda r: 0.5 * np.linalg.norm(r, axis=1), "SQUARED length"),
    "no sum": (lambda r: 0.5 * r**2, "one value per frame and data point"),
    "sum all": (lambda r: np.full(len(r), 0.5 * np.sum(r**2)), "same number"),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_names_each_typical_mistake(name):
    fn, phrase = MISTAKES[name]
    msg = check_frame_losses(fn)
    assert msg.startswith("Not yet:") and msg.mistake == name, msg
    assert phrase in msg, msg


def test_other_failures():
    off = check_frame_losses(lambda r: 0.5 * np.sum(r**2, axis=1) + 1e-3)
    assert off.startswith("Not yet:") and off.mistake is None
    short = check_frame_losses(lambda r: np.zeros(3))
    assert short.startswith("Not yet:") and "expected shape (40,)" in short
