"""Tests of the exercise check of the chapter on the Bayesian view over time.

The reference solution here is written independently (scipy.linalg.expm, no eigenvalues),
and each typical mistake is a small variation of it."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.linalg

from gflow_lib.checks import check_predictive_variance


def _E(X, t, sign=-1.0):
    return scipy.linalg.expm(sign * (X @ X.T) * t)


def reference(X, X_new, t, s):
    return s * np.sum((_E(X, t) @ X_new) ** 2, axis=0)


def once(X, X_new, t, s):  # exp(-At) once: wrong time scale
    return s * np.einsum("dm,dk,km->m", X_new, _E(X, t), X_new)


def plus(X, X_new, t, s):  # sign error
    return s * np.sum((_E(X, t, +1.0) @ X_new) ** 2, axis=0)


def transposed(X, X_new, t, s):  # X^T X in place of X X^T
    return s * np.sum((scipy.linalg.expm(-(X.T @ X) * t) @ X_new) ** 2, axis=0)


def std(X, X_new, t, s):
    return np.sqrt(reference(X, X_new, t, s))


def sqrt_s(X, X_new, t, s):
    return np.sqrt(s) * np.sum((_E(X, t) @ X_new) ** 2, axis=0)


def no_s(X, X_new, t, s):
    return np.sum((_E(X, t) @ X_new) ** 2, axis=0)


def full_cov(X, X_new, t, s):
    B = _E(X, t) @ X_new
    return s * B.T @ B


def not_done(X, X_new, t, s):
    raise NotImplementedError("write your solution here")


def slightly_off(X, X_new, t, s):
    return 1.001 * reference(X, X_new, t, s)


def test_accepts_the_reference_solution():
    assert check_predictive_variance(reference).startswith("Correct")


@pytest.mark.parametrize(
    "fn, words",
    [
        (once, "time scale"),
        (plus, "Sign error"),
        (transposed, "X transposed"),
        (std, "standard deviation"),
        (sqrt_s, "sqrt(s)"),
        (no_s, "prior variance s is missing"),
        (full_cov, "full M x M covariance"),
        (not_done, "Not implemented"),
        (slightly_off, "Not yet"),
    ],
)
def test_names_each_mistake(fn, words):
    msg = check_predictive_variance(fn)
    assert not msg.startswith("Correct"), msg
    assert words in msg, msg


def test_not_callable():
    assert "Pass your function itself" in check_predictive_variance(np.zeros(3))


def test_learner_exception_is_reported():
    def broken(X, X_new, t, s):
        # X^T X with the inputs: a shape mismatch whenever D != I
        return s * np.diag(X_new.T @ scipy.linalg.expm(-(X.T @ X) * t) @ X_new)

    msg = check_predictive_variance(broken)
    assert "raised ValueError" in msg and "transposed" in msg


@pytest.mark.parametrize("fn", [reference, once, plus, transposed, std, sqrt_s, no_s])
def test_feedback_reveals_no_numbers(fn):
    """No expected value with decimals appears in the feedback."""
    msg = check_predictive_variance(fn)
    assert not re.search(r"\d\.\d{2,}", msg), msg
