"""Feedback for the coding exercise of the chapter on the loss landscape: one step of
gradient descent, with :func:`~gflow_lib.gradient_descent` as the reference."""

from __future__ import annotations

import numpy as np

from .. import _docs, gradient_descent
from ..data import running_example
from .harness import Case, Check, CheckResult, Mistake, random_problem, run_check

__all__ = ["check_gd_step"]


def _points(seed):
    """Six points on a line's design (a bias row), with a start of two parameters."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.uniform(-1, 1, size=6), np.ones(6)])
    return X, rng.normal(size=6), np.array([0.3, -0.2])


def _grad(X, y, phi):
    return X @ (X.T @ phi - y)


_NEW = "return the new parameters phi - lr * X (X^T phi - y)."

GD_STEP = Check(
    "gd_step(X, y, phi, lr)", "gd_step", "one entry per parameter, (D,)",
    (Case("a square X (D = I = 3), lr = 0.07", lambda: (*random_problem(3, 3, 7), 0.07)),
     Case("the book's data, lr = 0.1", lambda: (*running_example(), 0.1)),
     Case("six points (D = 2, I = 6), lr = 0.23", lambda: (*_points(8), 0.23))),
    lambda X, y, phi, lr: gradient_descent(X, y, phi, lr, 1)[1],
    (Mistake("sign", lambda X, y, p, lr: p + lr * _grad(X, y, p),
             "Sign error: you stepped uphill. Gradient descent subtracts the gradient "
             "(phi - lr * grad), and the gradient of (1/2) ||X^T phi - y||^2 is "
             "X (X^T phi - y)."),
     Mistake("no half", lambda X, y, p, lr: p - 2 * lr * _grad(X, y, p),
             "your step is twice too long: the loss has a one-half in front, "
             "L = (1/2) ||X^T phi - y||^2, so its gradient is X (X^T phi - y) with no "
             "factor 2."),
     Mistake("mean", lambda X, y, p, lr: p - lr * _grad(X, y, p) / len(y),
             "you divided by the number of points I: the book's loss is a sum of squares "
             "(times one half), not a mean."),
     Mistake("no lr", lambda X, y, p, lr: p - _grad(X, y, p),
             "you took a step of size 1: the gradient must be multiplied by lr."),
     Mistake("step only", lambda X, y, p, lr: -lr * _grad(X, y, p),
             f"you returned the step -lr * grad; {_NEW}"),
     Mistake("gradient", lambda X, y, p, lr: _grad(X, y, p),
             f"you returned the gradient; {_NEW}"),
     Mistake("outputs", lambda X, y, p, lr: X.T @ p,
             f"you returned the outputs X^T phi, one per data point; {_NEW}"),
     Mistake("residuals", lambda X, y, p, lr: X.T @ p - y,
             f"you returned the residuals X^T phi - y, one per data point; {_NEW}"),
     Mistake("X X^T phi - y", lambda X, y, p, lr: p - lr * (X @ X.T @ p - y),
             "the gradient is X (X^T phi - y): multiply the residual X^T phi - y by X; you "
             "subtracted y from X X^T phi, which mixes a parameter-space vector (length D) "
             "with a data-space one (length I)."),
     Mistake("X transposed", lambda X, y, p, lr: p - lr * X.T @ (X @ p - y),
             "X is transposed: X has shape (D, I) with one data point per column, so the "
             "outputs are X^T phi and the gradient X (X^T phi - y).")),
    hint="Check the residual X^T phi - y, then the gradient, then the step.",
    error_hint="X has shape (D, I) with one data point per column: the outputs are X^T phi and "
               "the gradient is X (X^T phi - y). Is X transposed?",
    no_library=True,  # the learner's own NumPy, not the library's function
)


@_docs.fill
def check_gd_step(gd_step) -> CheckResult:
    r"""Check a learner's ``gd_step(X, y, phi, lr)`` that returns the parameters after one step.
    Introduced in the exercises of the chapter on the loss landscape.

    .. math:: \phi \mapsto \phi - \mathrm{lr}\, X (X^T \phi - y)

    Parameters
    ----------
    gd_step : callable
        ``gd_step(X, y, phi, lr)`` with ``X`` (D, I), ``y`` (I,), ``phi`` (D,), ``lr`` float;
        returns a new array of shape (D,) and leaves ``phi`` unchanged.

    Returns
    -------
    %(check_result)s
        ``sign``, ``no half``, ``mean``, ``no lr``, ``step only``, ``gradient``, ``outputs``,
        ``residuals``, ``X X^T phi - y``, ``X transposed``.
    """
    return run_check(GD_STEP, gd_step)
