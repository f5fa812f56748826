"""Feedback of the SGD covariance-step exercise: accepts correct answers written in other ways,
names typical mistakes written here independently of the check's table. What every check shares
is tested in test_checks_harness.py; hidden problems in test_hidden.py."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gflow_lib.checks import check_sgd_covariance_step, run_check
from gflow_lib.checks.hidden import HIDDEN
from gflow_lib.checks.sgd import SGD_COVARIANCE_STEP
from gflow_lib.sgd import sgd_moment_step


def by_hand(X, y, m, S, lr):
    """The book's formula with NumPy only."""
    I = X.shape[1]  # noqa: E741
    A = X @ X.T
    P = np.eye(len(m)) - lr * A
    g = A @ m - X @ y
    q = (X.T @ m - y) ** 2 + np.einsum("di,de,ei->i", X, S, X)
    return P @ S @ P + lr**2 * (I * (X * q) @ X.T - A @ S @ A - np.outer(g, g))


def by_points(X, y, m, S, lr):
    """Mixture of the I affine steps: E[phi' phi'^T] - m' m'^T, a loop over points."""
    D, I = X.shape  # noqa: E741
    means, second = [], np.zeros((D, D))
    for i in range(I):
        x = X[:, i]
        J = np.eye(D) - lr * I * np.outer(x, x)
        mi = J @ m + lr * I * x * y[i]
        means.append(mi)
        second += (J @ S @ J.T + np.outer(mi, mi)) / I
    mbar = np.mean(means, axis=0)
    return second - np.outer(mbar, mbar)


def test_accepts_correct_answers_written_two_ways():
    assert check_sgd_covariance_step(by_hand).startswith("Correct:")
    assert check_sgd_covariance_step(by_points).startswith("Correct:")


def test_the_book_formula_equals_enumeration_over_a_two_point_start():
    """Independent of the library: a start that is one of two points with equal probability
    (mean m, covariance S) and every draw, enumerated."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(2, 4)), rng.normal(size=4)
    a, b = rng.normal(size=2), rng.normal(size=2)
    m, S = (a + b) / 2, np.outer(a - b, a - b) / 4
    ends = [p - 0.1 * 4 * X[:, i] * (X[:, i] @ p - y[i])
            for p, i in itertools.product([a, b], range(4))]
    want = np.cov(np.array(ends).T, bias=True)
    np.testing.assert_allclose(by_hand(X, y, m, S, 0.1), want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sgd_moment_step(X, y, m, S, 0.1).cov, want, rtol=1e-12,
                               atol=1e-14)


def test_the_library_one_liner_is_refused():
    result = check_sgd_covariance_step(lambda *a: sgd_moment_step(*a).cov)
    assert result.startswith("Not yet:") and "sgd_moment_step" in result, result


MISTAKES = {
    "descent only": (lambda X, y, m, S, lr: (np.eye(len(m)) - lr * X @ X.T) @ S
                     @ (np.eye(len(m)) - lr * X @ X.T), "sampling noise"),
    "no mean gradient": (lambda X, y, m, S, lr: by_hand(X, y, m, S, lr) + lr**2 * np.outer(
        X @ X.T @ m - X @ y, X @ X.T @ m - X @ y), "g g^T"),
    "lr not squared": (lambda X, y, m, S, lr: by_hand(X, y, m, S, lr) + (lr - lr**2) / lr**2
                       * (by_hand(X, y, m, S, lr) - (np.eye(len(m)) - lr * X @ X.T) @ S
                          @ (np.eye(len(m)) - lr * X @ X.T)), "lr^2"),
    "none": (lambda X, y, m, S, lr: None, "None"),
    "second moment": (lambda X, y, m, S, lr: by_hand(X, y, m, S, lr) + np.outer(
        m - lr * X @ (X.T @ m - y), m - lr * X @ (X.T @ m - y)), "second moment"),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_names_typical_mistakes(name):
    fn, phrase = MISTAKES[name]
    msg = check_sgd_covariance_step(fn)
    assert msg.startswith("Not yet:") and phrase in msg, msg


def test_hidden_problems_are_new_shapes_and_pass_the_book_formula():
    visible = {(3, 5), (2, 3)}
    for seed in range(20):
        cases = HIDDEN["check_sgd_covariance_step"](seed)
        shapes = {c.make()[0].shape for c in cases}
        assert not shapes & visible
        assert run_check(SGD_COVARIANCE_STEP, by_points, cases).passed
