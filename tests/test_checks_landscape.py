"""Feedback of the gradient-descent-step exercise: accepts the answer, names typical mistakes
written here independently of the check's table. What every check shares is tested in
test_checksharness.py."""

from __future__ import annotations

import numpy as np
import pytest

from gflow_lib.checks import check_gd_step
from gflow_lib.descent import gradient_descent


def reference(X, y, phi, lr):
    # Independent of the check's own formula: one step of the library's loop.
    return gradient_descent(X, y, phi, lr, 1)[1]


def by_hand(X, y, phi, lr):
    """The learner's step, with NumPy only (the check refuses the library's function)."""
    return phi - lr * X @ (X.T @ phi - y)


def test_accepts_the_reference_solution():
    assert check_gd_step(by_hand).startswith("Correct:")
    rng = np.random.default_rng(0)
    X, y, phi = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=3)
    np.testing.assert_allclose(by_hand(X, y, phi, 0.1), reference(X, y, phi, 0.1), rtol=1e-12)


def test_the_library_one_liner_is_refused():
    """The exercise asks for the learner's own step: calling the library's loop is named."""
    result = check_gd_step(reference)
    assert result.startswith("Not yet:") and "gradient_descent" in result, result
    assert result.score == 0 and not result.passed


def test_accepts_a_float32_computation_with_a_note():
    def in_float32(X, y, phi, lr):
        X, y, phi = (a.astype(np.float32) for a in (X, y, phi))
        return phi - np.float32(lr) * X @ (X.T @ phi - y)

    result = check_gd_step(in_float32)
    assert result.passed and "float32" in result, result


def test_accepts_an_explicit_loop_over_points():
    def by_points(X, y, phi, lr):
        g = np.zeros_like(phi)
        for i in range(X.shape[1]):
            g += (X[:, i] @ phi - y[i]) * X[:, i]
        return phi - lr * g

    assert check_gd_step(by_points).startswith("Correct")


MISTAKES = {
    "sign": (lambda X, y, p, lr: p + lr * X @ (X.T @ p - y), "Sign error"),
    "half": (lambda X, y, p, lr: p - 2 * lr * X @ (X.T @ p - y), "one-half"),
    "mean": (lambda X, y, p, lr: p - lr * X @ (X.T @ p - y) / len(y), "mean"),
    "no lr": (lambda X, y, p, lr: p - X @ (X.T @ p - y), "lr"),
    "transposed": (lambda X, y, p, lr: p - lr * X.T @ (X @ p - y), "transposed"),
    "step only": (lambda X, y, p, lr: -lr * X @ (X.T @ p - y), "returned the step"),
    "gradient": (lambda X, y, p, lr: X @ (X.T @ p - y), "returned the gradient"),
    "outputs": (lambda X, y, p, lr: X.T @ p, "one per data point"),
    "none": (lambda X, y, p, lr: None, "None"),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_names_each_typical_mistake(name):
    fn, phrase = MISTAKES[name]
    msg = check_gd_step(fn)
    assert msg.startswith("Not yet:")
    assert phrase in msg, msg


def test_in_place_update_is_reported():
    def in_place(X, y, phi, lr):
        phi -= lr * X @ (X.T @ phi - y)
        return phi

    assert "in place" in check_gd_step(in_place)


def test_unknown_error_and_shape_errors_are_reported():
    assert check_gd_step(lambda X, y, p, lr: p * 0.5).startswith("Not yet:")
    msg = check_gd_step(lambda X, y, p, lr: p - lr * (X.T @ X) @ (X @ p - y))
    assert msg.startswith("Error:") and "ValueError" in msg and "transposed" in msg


def test_a_wrong_answer_on_a_wide_problem_does_not_crash_the_check():
    calls = []

    def right_then_wrong(X, y, p, lr):
        calls.append(X.shape)
        if len(calls) == 1:
            return by_hand(X, y, p, lr)
        return p + 0.123

    msg = check_gd_step(right_then_wrong)
    assert msg.startswith("Not yet:") and msg.score == 1
