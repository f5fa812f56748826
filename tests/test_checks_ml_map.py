"""The feedback of the ML vs MAP coding exercise: it accepts the reference, names each typical
mistake, and never prints an expected number."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.linalg

from gflow_lib import ridge_params
from gflow_lib.checks.ml_map import check_map_estimate


def reference(X, y, sigma_sq, sigma_sq_p):
    """The book's MAP estimate: ridge with lambda = sigma^2 / sigma_p^2, via the library."""
    return ridge_params(X, y, sigma_sq / sigma_sq_p)


def primal(X, y, sigma_sq, sigma_sq_p):
    """A second correct implementation, in the primal (D x D) form, by Cholesky."""
    D = X.shape[0]
    return scipy.linalg.solve(X @ X.T + sigma_sq / sigma_sq_p * np.eye(D), X @ y, assume_a="pos")


def _solve(X, y, lam):
    return np.linalg.pinv(X @ X.T + lam * np.eye(X.shape[0])) @ X @ y


def test_accepts_reference_and_alternative():
    assert check_map_estimate(reference).startswith("Correct")
    assert check_map_estimate(primal).startswith("Correct")


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
    assert not msg.startswith("Correct")


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
    def unimplemented(X, y, s2, sp2):
        raise NotImplementedError("write map_estimate")

    assert "Not implemented" in check_map_estimate(unimplemented)
    assert "Expected a function" in check_map_estimate(3.0)
    assert "shape" in check_map_estimate(lambda X, y, s2, sp2: np.zeros((1, X.shape[0])))
    assert "NaN" in check_map_estimate(lambda X, y, s2, sp2: np.full(X.shape[0], np.nan))
    msg = check_map_estimate(lambda X, y, s2, sp2: reference(X, y, s2, sp2) + 0.01)
    assert msg.startswith("Not the MAP solution")
    assert "raised ZeroDivisionError" in check_map_estimate(lambda X, y, s2, sp2: 1 / 0)


def test_right_only_on_the_seed_problem_is_not_enough():
    def special_case(X, y, s2, sp2):
        if X.shape == (2, 3):
            return reference(X, y, s2, sp2)
        return np.linalg.pinv(X.T) @ y

    assert not check_map_estimate(special_case).startswith("Correct")


@pytest.mark.parametrize("fn", [reference, lambda X, y, s2, sp2: _solve(X, y, sp2 / s2)])
def test_feedback_reveals_no_numbers(fn):
    msg = check_map_estimate(fn)
    assert not re.search(r"\d\.\d", msg), msg
