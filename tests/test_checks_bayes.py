"""Tests of the exercise check of the chapter on the Bayesian view over time.

The reference solution here is written independently (scipy.linalg.expm, no eigenvalues),
and each typical mistake is a small variation of it. What every check shares is tested in
test_checksharness.py."""

from __future__ import annotations

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


def thin_svd(X, X_new, t, s):  # the null space of X X^T forgotten
    U, S, _ = np.linalg.svd(X, full_matrices=False)
    return s * np.sum((np.exp(-S**2 * t)[:, None] * (U.T @ X_new)) ** 2, axis=0)


def slightly_off(X, X_new, t, s):
    return 1.001 * reference(X, X_new, t, s)


def test_accepts_the_reference_solution():
    assert check_predictive_variance(reference).startswith("Correct:")


def test_accepts_a_float32_computation_with_a_note():
    def in_float32(X, X_new, t, s):
        lam, V = np.linalg.eigh((X @ X.T).astype(np.float32))
        E = (V * np.exp(-np.clip(lam, 0, None) * np.float32(t))) @ V.T
        return np.float32(s) * np.sum((E @ X_new.astype(np.float32)) ** 2, axis=0)

    result = check_predictive_variance(in_float32)
    assert result.passed and "float32" in result, result


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
        (thin_svd, "null space"),
        (slightly_off, "not by a mistake this check knows"),
    ],
)
def test_names_each_mistake(fn, words):
    msg = check_predictive_variance(fn)
    assert msg.startswith("Not yet:"), msg
    assert words in msg, msg


def test_learner_exception_is_reported():
    def broken(X, X_new, t, s):
        # X^T X with the inputs: a shape mismatch whenever D != I
        return s * np.diag(X_new.T @ scipy.linalg.expm(-(X.T @ X) * t) @ X_new)

    msg = check_predictive_variance(broken)
    assert "raised ValueError" in msg and "transposed" in msg


def rows(X, X_new, t, s):  # the eigenvectors of X X^T read as the rows of V
    lam, V = np.linalg.eigh(X @ X.T)
    E = V.T @ np.diag(np.exp(-lam * t)) @ V
    return s * np.sum((E @ X_new) ** 2, axis=0)


@pytest.mark.parametrize(
    "fn, mistake",
    [(rows, "eigenvectors as rows"),
     (lambda X, X_new, t, s: reference(X, X_new, 2 * t, s), "time doubled")],
    ids=["rows", "time doubled"],
)
def test_names_rows_and_a_doubled_time(fn, mistake):
    result = check_predictive_variance(fn)
    assert result.mistake == mistake and not result.passed, result
