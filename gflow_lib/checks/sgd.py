r"""Feedback for the coding exercise of the chapter on stochastic gradient descent: the
covariance after one step of SGD (one draw, with replacement) from an iterate with mean ``m``
and covariance ``S``, with :func:`~gflow_lib.sgd.sgd_moment_step` as the reference.

.. math:: S' = (I - lr A)S(I - lr A) + lr^2\Big(I\sum_i \big((x_i^Tm - y_i)^2 + x_i^TSx_i\big)
    x_ix_i^T - ASA - gg^T\Big), \qquad g = Am - b
"""

from __future__ import annotations

import numpy as np

from .. import _docs
from ..data import running_example
from ..sgd import sgd_moment_step
from .harness import Case, Check, CheckResult, Mistake, run_check

__all__ = ["check_sgd_covariance_step"]


def _book(lr, spread):
    X, y, phi0 = running_example()
    return X, y, phi0, spread * np.array([[0.04, -0.01], [-0.01, 0.09]]), lr


def _random(D, I, lr, seed):  # noqa: E741
    rng = np.random.default_rng(seed)
    L = rng.normal(size=(D, D))
    return (rng.normal(size=(D, I)) / np.sqrt(I), rng.normal(size=I), rng.normal(size=D),
            0.1 * (L @ L.T / D + np.eye(D)), lr)


def _parts(X, y, m, S, lr):
    """``(P S P, A, g, q)``: the descent part, A, the mean gradient, E r_i^2 per point."""
    A = X @ X.T
    P = np.eye(X.shape[0]) - lr * A
    r = X.T @ m - y
    return P @ S @ P, A, A @ m - X @ y, r * r + np.einsum("di,de,ei->i", X, S, X)


def _with(noise):
    """A covariance step whose noise term is ``noise(X, A, S, g, q)`` (times lr^2)."""
    def step(X, y, m, S, lr):
        PSP, A, g, q = _parts(X, y, m, S, lr)
        return PSP + lr * lr * noise(X, A, S, g, q)
    return step


def _noise(X, A, S, g, q):
    return X.shape[1] * (X * q) @ X.T - A @ S @ A - np.outer(g, g)


def _no_lr_squared(X, y, m, S, lr):
    PSP, A, g, q = _parts(X, y, m, S, lr)
    return PSP + lr * _noise(X, A, S, g, q)


def _no_descent_part(X, y, m, S, lr):
    _, A, g, q = _parts(X, y, m, S, lr)
    return S + lr * lr * _noise(X, A, S, g, q)


def _second_moment(X, y, m, S, lr):
    mean, cov = sgd_moment_step(X, y, m, S, lr)
    return cov + np.outer(mean, mean)


_NOISE = ("the noise of one draw is its gradient's covariance: I sum_i E[r_i^2] x_i x_i^T minus "
          "the outer product of the mean gradient, with r_i the residual of point i.")

SGD_COVARIANCE_STEP = Check(
    "sgd_covariance_step(X, y, m, S, lr)", "sgd_covariance_step",
    "the covariance after one step, (D, D)",
    (Case("the book's data from phi0, S = 0, lr = 0.1", lambda: _book(0.1, 0.0)),
     Case("the book's data, a spread S, lr = 0.2", lambda: _book(0.2, 1.0)),
     Case("a random problem (D = 3, I = 5), lr = 0.05", lambda: _random(3, 5, 0.05, 3))),
    lambda X, y, m, S, lr: sgd_moment_step(X, y, m, S, lr).cov,
    (Mistake("descent only", lambda X, y, m, S, lr: _parts(X, y, m, S, lr)[0],
             "you moved the covariance as descent does, (I - lr A) S (I - lr A), and left out "
             "the sampling noise: add lr^2 times the covariance of one draw's gradient."),
     Mistake("no mean gradient", _with(lambda X, A, S, g, q: X.shape[1] * (X * q) @ X.T
                                       - A @ S @ A),
             "you added the second moment of one draw's gradient, not its covariance: subtract "
             "the outer product g g^T of the full gradient g = A m - b at the mean."),
     Mistake("noise at the mean", _with(lambda X, A, S, g, q: X.shape[1] * (X * (q - np.einsum(
             "di,de,ei->i", X, S, X))) @ X.T - np.outer(g, g)),
             "you took the noise at the mean m only; the iterate is spread around m, so each "
             "E[r_i^2] gains x_i^T S x_i and the full gradient's spread A S A is subtracted."),
     Mistake("one factor I", _with(lambda X, A, S, g, q: (X * q) @ X.T - A @ S @ A
                                   - np.outer(g, g)),
             "one draw's gradient is I x_i (x_i^T phi - y_i), so its second moment is "
             "(1/I) sum_i I^2 E[r_i^2] x_i x_i^T = I sum_i E[r_i^2] x_i x_i^T."),
     Mistake("lr not squared", _no_lr_squared,
             "the step multiplies the gradient by lr, so its noise enters the covariance "
             "multiplied by lr^2, not lr."),
     Mistake("second moment", _second_moment,
             "you returned the second moment E[phi phi^T]; return the covariance (subtract the "
             "outer product of the new mean)."),
     Mistake("no descent part", _no_descent_part,
             "keep the part that descent moves: (I - lr A) S (I - lr A) (you may have added the "
             "noise to S itself, or dropped the step's linear part).")),
    hint="Write the new mean first, then E[r_i^2] = (x_i^T m - y_i)^2 + x_i^T S x_i. " + _NOISE,
    error_hint="X has shape (D, I), one data point per column; m is (D,) and S is (D, D).",
    no_library=True,
)


@_docs.fill
def check_sgd_covariance_step(sgd_covariance_step) -> CheckResult:
    r"""Check a learner's ``sgd_covariance_step(X, y, m, S, lr)``: the covariance after one
    step of SGD (one draw, with replacement) from mean ``m`` and covariance ``S``.
    Introduced in the exercises of the chapter on stochastic gradient descent.

    Parameters
    ----------
    sgd_covariance_step : callable
        Called with ``X`` (D, I), ``y`` (I,), ``m`` (D,), ``S`` (D, D), ``lr`` float;
        returns an array of shape (D, D).

    Returns
    -------
    %(check_result)s
        ``descent only``, ``no mean gradient``, ``noise at the mean``, ``one factor I``,
        ``lr not squared``, ``second moment``, ``no descent part``.
    """
    return run_check(SGD_COVARIANCE_STEP, sgd_covariance_step)
