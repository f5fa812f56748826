r"""Feedback for the coding exercise of the chapter on ML vs MAP.

Introduced in the exercises of the chapter on ML vs MAP (``book/ml_vs_map.ipynb``).
"""

from __future__ import annotations

import numpy as np

from ..regression import map_params, ml_params
from ._common import close as _close

__all__ = ["check_map_estimate"]

_PROBLEMS = (
    # (D, I, sigma_sq, sigma_sq_p, seed): tall, wide and square designs, penalties of all sizes
    (2, 3, 0.05, 3.0, 0),
    (3, 7, 0.4, 0.5, 1),
    (4, 2, 0.2, 2.0, 2),
)


def _problem(D, I, seed):  # noqa: E741
    rng = np.random.default_rng(1000 + seed)
    X = rng.normal(size=(D, I))
    X[-1] = 1.0  # a bias row, as in the book
    y = rng.normal(size=I)
    return X, y


def _ridge(X, y, lam):
    """(X X^T + lam I)^{-1} X y in the dual form, valid for any D and I."""
    I = X.shape[1]  # noqa: E741
    return X @ np.linalg.solve(X.T @ X + lam * np.eye(I), y)


# Each typical mistake as a function of (X, y, s2, sp2), with the feedback that names it.
_MISTAKES = (
    (lambda X, y, s2, sp2: ml_params(X, y),
     "This is the maximum-likelihood solution: the prior is missing. MAP adds "
     "lambda = sigma_sq / sigma_sq_p to the diagonal of X X^T."),
    (lambda X, y, s2, sp2: _ridge(X, y, sp2 / s2),
     "The penalty is upside down: you used sigma_sq_p / sigma_sq. A vaguer prior (larger "
     "sigma_sq_p) must mean a smaller penalty, so lambda = sigma_sq / sigma_sq_p."),
    (lambda X, y, s2, sp2: _ridge(X, y, np.sqrt(s2 / sp2)),
     "The penalty uses standard deviations: sigma_sq and sigma_sq_p are already variances, "
     "so lambda = sigma_sq / sigma_sq_p, with no square root."),
    (lambda X, y, s2, sp2: _ridge(X, y, 2 * s2 / sp2),
     "The penalty is twice too large: check the one-half in the loss "
     "0.5 ||X^T phi - y||^2 against the one-half in the log prior."),
    (lambda X, y, s2, sp2: _ridge(X, y, 0.5 * s2 / sp2),
     "The penalty is half what it should be: check the one-half in the loss "
     "0.5 ||X^T phi - y||^2 against the one-half in the log prior."),
    (lambda X, y, s2, sp2: _ridge(X, y, -s2 / sp2),
     "Sign error: the prior adds lambda to the diagonal of X X^T; you subtracted it."),
    (lambda X, y, s2, sp2: -_ridge(X, y, s2 / sp2),
     "Sign error: your answer is the MAP solution with the opposite sign. "
     "The right-hand side is + X y."),
)


def check_map_estimate(map_estimate) -> str:
    """Check a learner's ``map_estimate(X, y, sigma_sq, sigma_sq_p)``.

    Introduced in the exercises of the chapter on ML vs MAP.

    The function is called on a few small problems (D < I, D > I) and compared with the MAP
    solution and with the results of typical mistakes. No expected number is revealed.

    Parameters
    ----------
    map_estimate : callable
        ``map_estimate(X, y, sigma_sq, sigma_sq_p)`` with ``X`` of shape (D, I) (columns are
        data points) and ``y`` of shape (I,), returning the MAP parameters, shape (D,).

    Returns
    -------
    str
        Feedback: "Correct ..." or a message that names the likely mistake.
    """
    if not callable(map_estimate):
        got = type(map_estimate).__name__
        return f"Expected a function map_estimate(X, y, sigma_sq, sigma_sq_p); got {got}."
    for D, I, s2, sp2, seed in _PROBLEMS:  # noqa: E741
        X, y = _problem(D, I, seed)
        try:
            out = map_estimate(X.copy(), y.copy(), s2, sp2)
        except NotImplementedError:
            return "Not implemented yet: replace the `raise NotImplementedError` with your code."
        except Exception as exc:  # report any failure of the learner's code
            msg = f"Your function raised {type(exc).__name__}: {exc}"
            if isinstance(exc, ValueError) and ("shape" in str(exc) or "dimension" in str(exc)
                                                or "aligned" in str(exc)):
                msg += (f" (for X of shape {X.shape}). X is D x I with one data point per "
                        f"column: is X transposed somewhere? X X^T is D x D and X y has length D.")
            return msg
        try:
            out = np.asarray(out, dtype=float)
        except (TypeError, ValueError):
            return f"Expected an array of {D} numbers; got {type(out).__name__}."
        if out.shape != (D,):
            if out.size == I and I != D:
                return (f"Your result has {I} entries (one per data point) for X of shape "
                        f"{X.shape}; MAP has one entry per parameter (D = {D}). Is X transposed? "
                        f"Columns of X are data points, so use X X^T and X y.")
            return f"Expected shape ({D},) for X of shape {X.shape}; got shape {out.shape}."
        if not np.all(np.isfinite(out)):
            return "Your result contains NaN or infinity."
        want = map_params(X, y, s2, sp2)  # the library's MAP: checks agree with the book
        if _close(out, want):
            continue
        for wrong, feedback in _MISTAKES:
            if _close(out, np.asarray(wrong(X, y, s2, sp2), float)):
                return feedback
        return (f"Not the MAP solution for a problem with X of shape {X.shape}, and not one of the "
                f"usual slips. Solve (X X^T + lambda I) phi = X y with "
                f"lambda = sigma_sq / sigma_sq_p.")
    return "Correct: your MAP estimate matches on tall, wide and square problems."
