"""The feedback of the ML vs MAP coding exercise: it accepts the reference, names each typical
mistake written here independently of the check's table. What every check shares is tested in
test_checksharness.py."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from gflow_lib import ridge_params
from gflow_lib.checks import check_map_estimate


def reference(X, y, sigma_sq, sigma_sq_p):
    """The book's MAP estimate: ridge with lambda = sigma^2 / sigma_p^2, via the library."""
    return ridge_params(X, y, sigma_sq / sigma_sq_p)


def primal(X, y, sigma_sq, sigma_sq_p):
    """A second correct implementation, in the primal (D x D) form, by Cholesky."""
    D = X.shape[0]
    return scipy.linalg.solve(X @ X.T + sigma_sq / sigma_sq_p * np.eye(D), X @ y, assume_a="pos")


def _solve(X, y, lam):
    return np.linalg.pinv(X @ X.T + lam * np.eye(X.shape[0])) @ X @ y


def dual(X, y, sigma_sq, sigma_sq_p):
    """A third: phi = X (X^T X + lambda I)^{-1} y, by NumPy."""
    return X @ np.linalg.solve(X.T @ X + sigma_sq / sigma_sq_p * np.eye(X.shape[1]), y)


def test_accepts_reference_and_alternative():
    assert check_map_estimate(primal).startswith("Correct:")
    assert check_map_estimate(dual).startswith("Correct:")
    X, y = np.random.default_rng(3).normal(size=(3, 4)), np.arange(4.0)
    np.testing.assert_allclose(primal(X, y, 0.2, 0.5), reference(X, y, 0.2, 0.5), rtol=1e-10)


def test_the_library_one_liner_is_refused():
    result = check_map_estimate(reference)
    assert result.startswith("Not yet:") and "ridge_params" in result, result
    assert result.score == 0


def test_accepts_a_float32_computation_with_a_note():
    def in_float32(X, y, sigma_sq, sigma_sq_p):
        X, y = X.astype(np.float32), y.astype(np.float32)
        A = X @ X.T + np.float32(sigma_sq / sigma_sq_p) * np.eye(len(X), dtype=np.float32)
        return np.linalg.solve(A, X @ y)

    result = check_map_estimate(in_float32)
    assert result.passed and "float32" in result, result


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda X, y, s2, sp2: np.linalg.pinv(X.T) @ y, "prior is missing"),
        (lambda X, y, s2, sp2: _solve(X, y, sp2 / s2), "upside down"),
        (lambda X, y, s2, sp2: _solve(X, y, np.sqrt(s2) / np.sqrt(sp2)), "standard deviations"),
        (lambda X, y, s2, sp2: _solve(X, y, 2 * s2 / sp2), "twice too large"),
        (lambda X, y, s2, sp2: _solve(X, y, s2 / sp2 / 2), "half"),
        (lambda X, y, s2, sp2: _solve(X, y, -s2 / sp2), "Sign error"),
        (lambda X, y, s2, sp2: -_solve(X, y, s2 / sp2), "opposite sign"),
    ],
    ids=["ml", "inverted", "std", "double", "half", "minus-lambda", "minus-result"],
)
def test_names_each_typical_mistake(wrong, words):
    msg = check_map_estimate(wrong)
    assert words in msg
    assert msg.startswith("Not yet:")


def test_x_transposed_is_named():
    def transposed_gram(X, y, s2, sp2):
        # treats rows as data points: (X^T X + lam I)^{-1} X^T y -> shape error
        return np.linalg.solve(X.T @ X + s2 / sp2 * np.eye(X.shape[1]), X.T @ y)

    def transposed_dual(X, y, s2, sp2):
        # returns one number per data point
        return np.linalg.solve(X.T @ X + s2 / sp2 * np.eye(X.shape[1]), y)

    assert "transposed" in check_map_estimate(transposed_gram)
    assert "transposed" in check_map_estimate(transposed_dual)


def test_other_failures():
    msg = check_map_estimate(lambda X, y, s2, sp2: primal(X, y, s2, sp2) + 0.01)
    assert msg.startswith("Not yet:") and msg.mistake is None
    assert "lambda = sigma_sq / sigma_sq_p" in msg


def test_right_only_on_the_seed_problem_is_not_enough():
    def special_case(X, y, s2, sp2):
        if X.shape == (2, 3):
            return primal(X, y, s2, sp2)
        return np.linalg.pinv(X.T) @ y

    assert not check_map_estimate(special_case).startswith("Correct")


def intercept_unpenalised(X, y, sigma_sq, sigma_sq_p):
    """The penalty's last (intercept) row dropped, as scikit-learn's Ridge leaves it."""
    P = np.diag(np.r_[np.full(X.shape[0] - 1, sigma_sq / sigma_sq_p), 0.0])
    return np.linalg.solve(X @ X.T + P, X @ y)


def test_names_an_unpenalised_intercept():
    result = check_map_estimate(intercept_unpenalised)
    assert result.mistake == "intercept unpenalised" and "intercept" in result, result
