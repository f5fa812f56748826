"""Feedback for the coding exercise of the chapter on ML vs MAP, with
:func:`~gflow_lib.map_params` as the reference (:func:`~gflow_lib.ml_params` forgets the prior)."""

from __future__ import annotations

import numpy as np

from .. import _docs, map_params, ml_params
from .harness import Case, Check, CheckResult, Mistake, run_check

__all__ = ["check_map_estimate"]


def _problem(D, I, sigma_sq, sigma_sq_p, seed):  # noqa: E741
    rng = np.random.default_rng(1000 + seed)
    X = rng.normal(size=(D, I))
    X[-1] = 1.0  # a bias row, as in the book
    return X, rng.normal(size=I), sigma_sq, sigma_sq_p


def _dual(X, y, penalty):
    """(X^T X + penalty I)^{-1} y: valid for any D and I, and for a negative penalty."""
    return np.linalg.solve(X.T @ X + penalty * np.eye(X.shape[1]), y)


def _ridge(X, y, penalty):
    return X @ _dual(X, y, penalty)


def _free_intercept(X, y, penalty):
    """Ridge with the intercept's (last) row of the penalty dropped: the intercept unpenalised."""
    P = penalty * np.eye(X.shape[0])
    P[-1, -1] = 0.0
    return np.linalg.solve(X @ X.T + P, X @ y)


_HALF = ("check the one-half in the loss 0.5 ||X^T phi - y||^2 against the one-half in the "
         "log prior.")

MAP_ESTIMATE = Check(
    "map_estimate(X, y, sigma_sq, sigma_sq_p)", "map_estimate",
    "one entry per parameter, (D,)",
    (Case("a tall X (D = 2 < I = 3)", lambda: _problem(2, 3, 0.05, 3.0, 0)),
     Case("a tall X (D = 3 < I = 7)", lambda: _problem(3, 7, 0.4, 0.5, 1)),
     Case("a wide X (D = 4 > I = 2)", lambda: _problem(4, 2, 0.2, 2.0, 2))),
    map_params,
    (Mistake("ML", lambda X, y, s2, sp2: ml_params(X, y),
             "this is the maximum-likelihood solution: the prior is missing. MAP adds "
             "lambda = sigma_sq / sigma_sq_p to the diagonal of X X^T."),
     Mistake("inverted", lambda X, y, s2, sp2: _ridge(X, y, sp2 / s2),
             "the penalty is upside down: you used sigma_sq_p / sigma_sq. A vaguer prior (larger "
             "sigma_sq_p) must mean a smaller penalty, so lambda = sigma_sq / sigma_sq_p."),
     Mistake("std", lambda X, y, s2, sp2: _ridge(X, y, np.sqrt(s2 / sp2)),
             "the penalty uses standard deviations: sigma_sq and sigma_sq_p are already "
             "variances, so lambda = sigma_sq / sigma_sq_p, with no square root."),
     Mistake("double", lambda X, y, s2, sp2: _ridge(X, y, 2 * s2 / sp2),
             f"the penalty is twice too large: {_HALF}"),
     Mistake("half", lambda X, y, s2, sp2: _ridge(X, y, 0.5 * s2 / sp2),
             f"the penalty is half what it should be: {_HALF}"),
     Mistake("minus penalty", lambda X, y, s2, sp2: _ridge(X, y, -s2 / sp2),
             "Sign error: the prior adds lambda to the diagonal of X X^T; you subtracted it."),
     Mistake("minus result", lambda X, y, s2, sp2: -_ridge(X, y, s2 / sp2),
             "Sign error: your answer is the MAP solution with the opposite sign. The "
             "right-hand side is + X y."),
     Mistake("dual", lambda X, y, s2, sp2: _dual(X, y, s2 / sp2),
             "you returned one number per data point, a = (X^T X + lambda I)^{-1} y; the MAP "
             "parameters are X a, one per parameter. Is X transposed? Columns of X are data "
             "points, so use X X^T and X y."),
     Mistake("+ penalty without the identity",
             lambda X, y, s2, sp2: np.linalg.solve(X @ X.T + s2 / sp2, X @ y),
             "you added lambda to EVERY entry of X X^T (X @ X.T + lam); the prior adds it to "
             "the diagonal only: X @ X.T + lam * np.eye(D)."),
     Mistake("lambda squared", lambda X, y, s2, sp2: _ridge(X, y, (s2 / sp2) ** 2),
             "the penalty is squared: lambda = sigma_sq / sigma_sq_p enters the diagonal as "
             "it is, not as lambda^2."),
     Mistake("lambda = sigma_sq", lambda X, y, s2, sp2: _ridge(X, y, s2),
             "the penalty is sigma_sq alone: the prior variance is missing. lambda = "
             "sigma_sq / sigma_sq_p."),
     Mistake("lambda = 1/sigma_sq_p", lambda X, y, s2, sp2: _ridge(X, y, 1 / sp2),
             "the penalty is 1 / sigma_sq_p: the noise variance is missing. lambda = "
             "sigma_sq / sigma_sq_p (the loss's one half goes with the noise variance)."),
     Mistake("intercept unpenalised", lambda X, y, s2, sp2: _free_intercept(X, y, s2 / sp2),
             "you dropped the intercept's row from the penalty (lambda added to every diagonal "
             "entry but the last), as scikit-learn's Ridge does. The prior N(0, sigma_sq_p I) "
             "covers every parameter, the intercept too: add lambda to the whole diagonal, "
             "X X^T + lambda I.")),
    hint="Solve (X X^T + lambda I) phi = X y with lambda = sigma_sq / sigma_sq_p.",
    error_hint="X is D x I with one data point per column: is X transposed somewhere? X X^T "
               "is D x D and X y has length D.",
    no_library=True,  # the learner's own NumPy, not the library's function
)


@_docs.fill
def check_map_estimate(map_estimate) -> CheckResult:
    r"""Check a learner's ``map_estimate(X, y, sigma_sq, sigma_sq_p)``.
    Introduced in the exercises of the chapter on ML vs MAP.

    .. math:: \phi_{\mathrm{MAP}} = (X X^T + \lambda I)^{-1} X y,
        \qquad \lambda = \sigma^2 / \sigma_p^2

    Parameters
    ----------
    map_estimate : callable
        ``map_estimate(X, y, sigma_sq, sigma_sq_p)`` with ``X`` of shape (D, I) (columns are
        data points) and ``y`` of shape (I,), returning the MAP parameters, shape (D,).

    Returns
    -------
    %(check_result)s
        ``ML``, ``inverted``, ``std``, ``double``, ``half``, ``minus penalty``, ``minus result``,
        ``dual``, ``+ penalty without the identity``, ``lambda squared``, ``lambda = sigma_sq``,
        ``lambda = 1/sigma_sq_p``, ``intercept unpenalised``.
    """
    return run_check(MAP_ESTIMATE, map_estimate)
