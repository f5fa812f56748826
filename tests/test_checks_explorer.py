"""Feedback of the frame-losses exercise (chapter on exploring the flow in time): accepts right
answers, names each typical mistake, never reveals numbers."""

from __future__ import annotations

import re

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


def test_accepts_right_answers():
    assert check_frame_losses(by_loops).startswith("Correct")
    assert check_frame_losses(lambda r: 0.5 * np.einsum("ti,ti->t", r, r)).startswith("Correct")
    assert check_frame_losses(lambda r: 0.5 * np.linalg.norm(r, axis=1) ** 2).startswith("Correct")


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
    assert msg.startswith("Not yet"), msg
    assert phrase in msg, msg


def test_other_failures_are_reported_without_numbers():
    msgs = [
        check_frame_losses(lambda r: 0.5 * np.sum(r**2, axis=1) + 1e-3),
        check_frame_losses(lambda r: np.zeros(3)),
        check_frame_losses(lambda r: 1 / 0),
        check_frame_losses(lambda r: "many"),
        check_frame_losses(42),
    ]
    for msg in msgs:
        assert msg.startswith("Not yet"), msg
        # Shapes and problem numbers may appear; no computed loss values (decimals) may.
        assert not re.search(r"\d\.\d", msg), msg
    assert "raised ZeroDivisionError" in msgs[2]
    assert "shape" in msgs[1]

    def unfinished(r):
        raise NotImplementedError

    assert "NotImplementedError" in check_frame_losses(unfinished)
