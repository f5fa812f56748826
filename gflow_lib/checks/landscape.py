r"""Feedback for the coding exercise of the chapter on the loss landscape: one step of
gradient descent.

Introduced in the exercises of the chapter on the loss landscape.
"""

from __future__ import annotations

import numpy as np

from ..data import seed_data
from ..descent import gradient_descent
from ._common import close

__all__ = ["check_gd_step"]


def _problems():
    """Test problems: the book's data, a square X (so a transposed X still runs) and a
    problem with more points, all with steps of different sizes."""
    X, y, phi0 = seed_data()
    rng = np.random.default_rng(7)
    Xs = rng.normal(size=(3, 3))
    ys, ps = rng.normal(size=3), rng.normal(size=3)
    Xl = np.vstack([rng.uniform(-1, 1, size=6), np.ones(6)])
    yl, pl = rng.normal(size=6), np.array([0.3, -0.2])
    return [(Xs, ys, ps, 0.07), (X, y, phi0, 0.1), (Xl, yl, pl, 0.23)]


def _mistakes(X, y, phi, lr):
    """What common slips produce, each with the feedback that names it."""
    g = X @ (X.T @ phi - y)
    out = [
        (phi + lr * g, "Sign error: you stepped uphill. Gradient descent subtracts the gradient "
         "(phi - lr * grad), and the gradient of (1/2) ||X^T phi - y||^2 is X (X^T phi - y)."),
        (phi - 2 * lr * g, "Your step is twice too long: the loss has a one-half in front, "
         "L = (1/2) ||X^T phi - y||^2, so its gradient is X (X^T phi - y) with no factor 2."),
        (phi - lr * g / X.shape[1], "You divided by the number of points I: the book's loss is "
         "a sum of squares (times one half), not a mean."),
        (phi - g, "You took a step of size 1: the gradient must be multiplied by lr."),
        (-lr * g, "You returned the step -lr * grad, not the new parameters phi - lr * grad."),
        (g, "You returned the gradient, not the new parameters phi - lr * grad."),
        (X.T @ phi, "You returned the outputs X^T phi, one per data point; return the new "
         "parameters phi - lr * X (X^T phi - y)."),
        (X.T @ phi - y, "You returned the residuals X^T phi - y, one per data point; return the "
         "new parameters phi - lr * X (X^T phi - y)."),
    ]
    if X.shape[0] == X.shape[1]:
        gt = X.T @ (X @ phi - y)
        out.append((phi - lr * gt, "X is transposed: X has shape (D, I) with one data point "
                    "per column, so the outputs are X^T phi and the gradient X (X^T phi - y)."))
    return out


def check_gd_step(gd_step) -> str:
    """Check a learner's ``gd_step(X, y, phi, lr)`` that returns the parameters after one step.

    Introduced in the exercises of the chapter on the loss landscape.

    .. math::

        \\phi \\mapsto \\phi - \\mathrm{lr}\\, X (X^T \\phi - y)

    Parameters
    ----------
    gd_step : callable
        ``gd_step(X, y, phi, lr)`` with ``X`` (D, I), ``y`` (I,), ``phi`` (D,), ``lr`` float;
        returns an array of shape (D,).

    Returns
    -------
    str
        "Correct ..." or a message naming the likely mistake. It never shows the expected
        numbers.
    """
    if not callable(gd_step):
        return f"Pass your function itself (gd_step), not {type(gd_step).__name__}."
    for X, y, phi, lr in _problems():
        D, n_points = X.shape
        phi_in = phi.copy()
        try:
            got = gd_step(X.copy(), y.copy(), phi_in, lr)
        except NotImplementedError:
            return "Not implemented yet: replace the raise with your step."
        except ValueError as exc:
            if "matmul" in str(exc) or "shapes" in str(exc) or "align" in str(exc):
                return (f"Shape error ({exc}). X has shape (D, I) = ({D}, {n_points}): outputs are "
                        "X^T phi, and the gradient is X (X^T phi - y). Is X transposed?")
            return f"Your function raised ValueError: {exc}"
        except Exception as exc:  # noqa: BLE001 - report any failure to the learner
            return f"Your function raised {type(exc).__name__}: {exc}"
        if not np.array_equal(phi_in, phi):
            return ("Your function changed phi in place (phi -= ...). Return a new array "
                    "instead, so that the caller's phi is left as it was.")
        if got is None:
            return "Your function returned None: return the new parameters."
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return f"Your function returned {type(got).__name__}, not an array of numbers."
        if got.shape != (D,):
            if got.shape == (n_points,):
                return (f"You returned {n_points} numbers, one per data point: that looks like "
                        f"outputs or residuals. Return the {D} new parameters.")
            return f"Expected an array of shape ({D},) (one entry per parameter); got {got.shape}."
        want = gradient_descent(X, y, phi, lr, 1)[1]  # the library's step
        if close(got, want, rtol=1e-9, atol=1e-12):
            continue
        for wrong, msg in _mistakes(X, y, phi, lr):
            if close(got, wrong, rtol=1e-9, atol=1e-12):
                return msg
        return ("Not quite: the result is not phi - lr * X (X^T phi - y). Check the residual "
                "X^T phi - y, then the gradient, then the step.")
    return "Correct: your step is right on all three test problems."
