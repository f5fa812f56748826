"""Feedback for the coding exercises of the chapters on data and on closed-form flow: checks
on the book's data and seeded random problems (one square, so a transposed ``X`` still runs),
with :class:`~gflow_lib.LinearFlow` as the reference."""

from __future__ import annotations

import numpy as np

from .. import LinearFlow, _docs
from ..data import running_example
from .harness import Case, Check, CheckResult, Mistake, random_problem, run_check

__all__ = ["check_loss", "check_residuals_at"]

_PROBLEMS = (
    Case("the book's data", running_example),
    Case("a square X (D = I = 3)", lambda: random_problem(3, 3, 1)),
    Case("a wide X (D = 4 > I = 2)", lambda: random_problem(4, 2, 2)),
    Case("a tall X (D = 2 < I = 5)", lambda: random_problem(2, 5, 3)),
)
_TRANSPOSED = ("X looks transposed: its columns are the data points, so the outputs are "
               "X.T @ phi, not X @ phi.")


def _sq(X, y, phi):
    r = X.T @ phi - y
    return r @ r, r.size


LOSS = Check(
    "loss(X, y, phi)", "the loss", "one number", _PROBLEMS,
    lambda X, y, phi: LinearFlow(X, y, phi).loss(0.0),
    (Mistake("no half", lambda *a: _sq(*a)[0],
             "your loss is twice the book's: the one half in front of the sum of squares is "
             "missing."),
     Mistake("mean", lambda *a: 0.5 * _sq(*a)[0] / _sq(*a)[1],
             "you averaged the squared residuals; the book's loss sums them (then halves)."),
     Mistake("mean no half", lambda *a: _sq(*a)[0] / _sq(*a)[1],
             "you took the mean of the squared residuals; the book's loss is one half of "
             "their sum."),
     Mistake("X transposed", lambda X, y, phi: 0.5 * np.sum((X @ phi - y) ** 2), _TRANSPOSED),
     Mistake("norm", lambda *a: 0.5 * np.sqrt(_sq(*a)[0]),
             "the norm is not squared: the loss is one half of the SUM OF SQUARES, not of the "
             "length of the residual vector."),
     Mistake("no sum", lambda X, y, phi: 0.5 * (X.T @ phi - y) ** 2,
             "you returned one value per data point; the loss is one number, the sum over "
             "points."),
     Mistake("square of sum", lambda X, y, phi: 0.5 * np.sum(X.T @ phi - y) ** 2,
             "you squared the sum of the residuals; square each residual first, then sum "
             "(residuals of opposite signs must not cancel)."),
     Mistake("forgot y", lambda X, y, phi: 0.5 * np.sum((X.T @ phi) ** 2),
             "the targets y are missing: the residual is the output minus the target, "
             "X^T phi - y, not the output X^T phi alone."),
     Mistake("abs", lambda X, y, phi: 0.5 * np.sum(np.abs(X.T @ phi - y)),
             "you summed the sizes |r_i| of the residuals; the loss sums their SQUARES, "
             "(1/2) sum_i r_i^2."),
     Mistake("intercept row dropped",
             lambda X, y, phi: 0.5 * np.sum((X[:-1].T @ phi[:-1] - y) ** 2),
             "you left out the last row of X and the last parameter: in the book's data that "
             "row is the row of ones that carries the intercept. Every row of X enters the "
             "outputs X^T phi, the intercept's too.")),
    error_hint=f"X has shape (D, I) with one data point per column. {_TRANSPOSED}",
    no_library=True,  # the learner's own NumPy, not the library's function
)


def _modes(X, y, phi0, t):
    """The mistakes' own ``eigh`` of X^T X (as a learner's), the modes' decays, start's coords."""
    lam, U = np.linalg.eigh(X.T @ X)
    return U, np.exp(-lam * t), U.T @ (X.T @ phi0 - y)


def _thin(X, y, phi0, t):
    """The residuals from X's thin SVD only: the null space of K = X^T X (D < I) left out."""
    U, S, _ = np.linalg.svd(X.T, full_matrices=False)
    return U @ (np.exp(-S**2 * t) * (U.T @ (X.T @ phi0 - y)))


def _expm(X, y, phi0, t, K=None):
    """The residuals exp(K t) (X^T phi0 - y) for a given exponent matrix K (a mistake's)."""
    import scipy.linalg  # here: only a mistake's answer needs it (0.36 s to import)

    return scipy.linalg.expm(t * K) @ (X.T @ phi0 - y)


RESIDUALS = Check(
    "residuals_at(X, y, phi0, t)", "residuals_at", "one residual per data point, (I,)",
    tuple(Case(f"{c.label}, t = {t}", lambda c=c, t=t: (*c.make(), t))
          for c in _PROBLEMS for t in (0.3, 2)),
    lambda X, y, phi0, t: LinearFlow(X, y, phi0).residuals(t),
    (Mistake("sign", lambda X, y, p, t: _expm(X, y, p, t, X.T @ X),
             "the exponent has the wrong sign: residuals decay, so the exponent is -K t."),
     Mistake("elementwise exp", lambda X, y, p, t: np.exp(-t * (X.T @ X)) @ (X.T @ p - y),
             "you applied exp to each entry of K; the flow needs the matrix exponential, "
             "exp(-K t) = U diag(exp(-lambda t)) U^T from the eigendecomposition "
             "K = U diag(lambda) U^T."),
     Mistake("outputs", lambda X, y, p, t: LinearFlow(X, y, p).outputs(t),
             "these are the outputs f(t), not the residuals f(t) - y: do not add y back."),
     Mistake("flipped", lambda X, y, p, t: -LinearFlow(X, y, p).residuals(t),
             "the sign of the residual is flipped: the residual is f - y (outputs minus "
             "targets)."),
     Mistake("time x2", lambda X, y, p, t: LinearFlow(X, y, p).residuals(2 * t),
             "the time scale is off by a factor 2: exp(-2 K t) is what the LOSS carries (it is "
             "a square); the residuals decay as exp(-K t)."),
     Mistake("time /2", lambda X, y, p, t: LinearFlow(X, y, p).residuals(t / 2),
             "the time scale is off by a factor 1/2: with the book's loss (one half in front) "
             "the residuals decay as exp(-K t), not exp(-K t / 2)."),
     Mistake("X X^T", lambda X, y, p, t: _expm(X, y, p, t, -X @ X.T),
             "you used A = X X^T; the residuals live in function space, where the matrix is "
             "K = X^T X (X's columns are the data points: X looks transposed)."),
     Mistake("no t", lambda X, y, p, t: LinearFlow(X, y, p).residuals(1.0),
             "the result does not depend on t: multiply the eigenvalues by t inside the exp."),
     Mistake("no rotation back", lambda *a: (lambda U, e, c: e * c)(*_modes(*a)),
             "you returned the decayed residuals in the eigenbasis, exp(-lambda t) * (U^T r0); "
             "rotate them back to the data points with U: U (exp(-lambda t) * (U^T r0))."),
     Mistake("rotation order", lambda X, y, p, t: (lambda U, e, c: U.T @ (e * (U @ (X.T @ p - y))))(
                 *_modes(X, y, p, t)),
             "the rotations are in the wrong order: with K = U diag(lambda) U^T, first take "
             "coordinates with U^T, scale them by exp(-lambda t), then go back with U; you "
             "used U first and U^T last (the eigenvectors are the COLUMNS of U)."),
     Mistake("start forgotten", lambda X, y, p, t: _expm(X, y, 0 * p, t, -X.T @ X),
             "the start phi0 is missing: you let -y decay, the residuals of phi0 = 0. The "
             "residuals start at X^T phi0 - y, and that is what exp(-K t) acts on."),
     Mistake("null space dropped", _thin,
             "when D < I, K = X^T X is singular: the part of the starting residual in its null "
             "space never decays, and your answer drops it. Use all I eigenvectors of the "
             "I x I matrix K (np.linalg.eigh(X.T @ X)), not the thin SVD of X or the nonzero "
             "modes only: exp(-0 t) = 1.")),
    error_hint="X has shape (D, I) with one data point per column, so K = X^T X is I x I and "
               "the outputs are X.T @ phi0: is X transposed somewhere?",
    no_library=True,  # the learner's own NumPy, not the library's function
)


@_docs.fill
def check_loss(loss) -> CheckResult:
    r"""Check a learner's ``loss(X, y, phi)``: the loss of the chapter on data.
    Introduced in the chapter on data (exercise on coding the loss).

    .. math:: L(\phi) = \tfrac12 \lVert X^T\phi - y\rVert^2

    Parameters
    ----------
    loss : callable
        ``loss(X, y, phi) -> float`` with ``X`` of shape (D, I), ``y`` (I,), ``phi`` (D,).

    Returns
    -------
    %(check_result)s
        ``no half``, ``mean``, ``mean no half``, ``X transposed``, ``norm``, ``no sum``, ``square of
        sum``, ``forgot y``, ``abs``, ``intercept row dropped``.
    """
    return run_check(LOSS, loss)


@_docs.fill
def check_residuals_at(residuals_at) -> CheckResult:
    r"""Check a learner's ``residuals_at(X, y, phi0, t)``: the residuals of gradient flow.
    Introduced in the chapter on closed-form flow (exercise on the residuals via ``eigh``).

    .. math:: f(t) - y = e^{-X^T X\, t}\,(X^T\phi_0 - y)

    Parameters
    ----------
    residuals_at : callable
        ``residuals_at(X, y, phi0, t) -> ndarray of shape (I,)`` for a scalar time ``t``.

    Returns
    -------
    %(check_result)s
        ``sign``, ``elementwise exp``, ``outputs``, ``flipped``, ``time x2``, ``time /2``, ``X
        X^T``, ``no t``, ``no rotation back``, ``rotation order``, ``start forgotten``, ``null space
        dropped``.
    """
    return run_check(RESIDUALS, residuals_at)
