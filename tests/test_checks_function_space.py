"""Tests of the exercise check of the chapter on function space.

The reference solution here is written independently: the integral of exp(-K s) from 0 to t
comes from the matrix exponential of an augmented matrix (Van Loan), with no eigenvalues and no
inverse, so it holds for singular K too. Each typical mistake is a small variation of it. What
every check shares is tested in test_checks_harness.py."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from gflow_lib.checks import check_kernel_predict


def _integral(K, y, t):
    """(int_0^t exp(-K s) ds) y: the last column of expm(t [[-K, y], [0, 0]])."""
    I = K.shape[0]  # noqa: E741
    M = np.zeros((I + 1, I + 1))
    M[:I, :I], M[:I, I] = -K, y
    return scipy.linalg.expm(t * M)[:I, I]


def reference(K, y, K_new, t):
    return K_new @ _integral(K, y, t)


def no_division(K, y, K_new, t):  # the filter applied to y: the training outputs' formula
    return K_new @ (y - scipy.linalg.expm(-K * t) @ y)


def minus(K, y, K_new, t):
    return -reference(K, y, K_new, t)


def decay(K, y, K_new, t):  # exp(-lambda t) / lambda
    return K_new @ np.linalg.pinv(K, rcond=1e-10) @ scipy.linalg.expm(-K * t) @ y


def rows(K, y, K_new, t):  # eigenvectors read as rows
    lam, U = np.linalg.eigh(K)
    g = np.array([t if lk == 0 else -np.expm1(-lk * t) / lk for lk in lam])
    return K_new @ U.T @ (g * (U @ y))


def ridge(K, y, K_new, t):
    return K_new @ np.linalg.solve(K + np.eye(K.shape[0]) / t, y)


def limit(K, y, K_new, t):
    return K_new @ np.linalg.pinv(K, rcond=1e-10) @ y


def slightly_off(K, y, K_new, t):
    return 1.001 * reference(K, y, K_new, t)


def test_accepts_the_reference_solution():
    assert check_kernel_predict(reference).startswith("Correct:")


def test_accepts_the_chapters_solution_without_a_threshold():
    """The plain eigendecomposition, with rounding-level (even negative) eigenvalues kept."""
    def by_eigh(K, y, K_new, t):
        lam, U = np.linalg.eigh(K)
        g = np.where(lam != 0, -np.expm1(-lam * t) / np.where(lam != 0, lam, 1.0), t)
        return K_new @ (U @ (g * (U.T @ y)))

    assert check_kernel_predict(by_eigh).startswith("Correct:")


@pytest.mark.parametrize(
    "fn, words",
    [
        (no_division, "applied the flow's filter"),
        (minus, "Sign error"),
        (decay, "the part that is left"),
        (rows, "columns of U"),
        (ridge, "kernel ridge with penalty 1/t"),
        (limit, "does not depend on t"),
        (slightly_off, "not by a mistake this check knows"),
    ],
)
def test_names_each_mistake(fn, words):
    msg = check_kernel_predict(fn)
    assert msg.startswith("Not yet:"), msg
    assert words in msg, msg


def test_learner_exception_is_reported():
    def transposed(K, y, K_new, t):
        return K_new.T @ _integral(K, y, t)  # (I, M) @ (I,): a shape mismatch when M != I

    msg = check_kernel_predict(transposed)
    assert "raised ValueError" in msg and "K_new has shape (M, I)" in msg


def rows_masked(K, y, K_new, t):  # eigenvectors read as rows, the zero modes dropped
    lam, U = np.linalg.eigh(K)
    keep = lam > 1e-9 * lam.max()
    g = np.zeros_like(lam)
    g[keep] = -np.expm1(-lam[keep] * t) / lam[keep]
    return K_new @ U.T @ (g * (U @ y))


@pytest.mark.parametrize(
    "fn, mistake",
    [(rows_masked, "eigenvectors as rows, zero modes masked"),
     (lambda K, y, K_new, t: reference(K, y, K_new, 2 * t), "time doubled")],
    ids=["rows masked", "time doubled"],
)
def test_names_rows_with_masked_zero_modes_and_a_doubled_time(fn, mistake):
    result = check_kernel_predict(fn)
    assert result.mistake == mistake and not result.passed, result
