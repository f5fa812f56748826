r"""Feedback for the coding exercises of the first chapters (data, closed-form flow).

Introduced in the exercises of the chapters on data and on closed-form flow. Each check calls
the learner's function on a few small problems (the book's data and seeded random ones, one
of them square so that a transposed ``X`` cannot hide), compares with a reference written
independently of :mod:`gflow_lib.flow` (a dense matrix exponential), and, when the answer is
wrong, tries the usual mistakes one by one to name the one that was made. The feedback never
shows the expected numbers.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ..data import seed_data
from ..flow import LinearFlow
from ._common import close as _close

__all__ = ["check_loss", "check_residuals_at"]

_OK = "Correct: "
_NO = "Not yet: "


def _cases():
    """(X, y, phi) problems: the book's data, a square one, and a wide one (D > I)."""
    rng = np.random.default_rng(20240129)
    X0, y0, phi0 = seed_data()
    cases = [(X0, y0, phi0)]
    for d, n in [(3, 3), (4, 2), (2, 5)]:
        X = rng.normal(size=(d, n))
        cases.append((X, rng.normal(size=n), rng.normal(size=d)))
    return cases


def _evaluate(fn, args_list):
    """Call ``fn`` on every argument tuple; return (outputs, None) or (None, message)."""
    if not callable(fn):
        return None, f"{_NO}pass your function itself (got {type(fn).__name__}, not a function)."
    outs = []
    for args in args_list:
        try:
            out = fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
        except NotImplementedError:
            return None, f"{_NO}the function still raises NotImplementedError; write its body."
        except Exception as exc:  # the learner's code may fail in any way
            X = args[0]
            hint = ""
            if isinstance(exc, ValueError) and ("shape" in str(exc) or "matmul" in str(exc)):
                hint = (
                    f" X has shape (D, I) = {X.shape}: its columns are the data points, so "
                    "the outputs are X.T @ phi. Did you use X where X.T belongs (X transposed)?"
                )
            return None, f"{_NO}your function raised {type(exc).__name__}: {exc}.{hint}"
        try:
            outs.append(np.asarray(out, dtype=float))
        except (TypeError, ValueError):
            return None, f"{_NO}your function returned {type(out).__name__}, not numbers."
    return outs, None


def _diagnose(outs, refs, mistakes, what, square=None):
    """Compare with the reference, then with each mistake (name, outputs, feedback).

    ``square[k]`` tells whether problem k has a square X, where X and X.T both fit."""
    if all(_close(o, r) for o, r in zip(outs, refs, strict=True)):
        return f"{_OK}{what} matches the reference on all {len(refs)} test problems."
    for _, wrong, feedback in mistakes:
        if all(_close(o, w) for o, w in zip(outs, wrong, strict=True)):
            return f"{_NO}{feedback}"
    for k, (o, r) in enumerate(zip(outs, refs, strict=True)):
        if o.shape != r.shape:
            return (
                f"{_NO}on test problem {k + 1} your function returned shape {o.shape}; "
                f"expected shape {r.shape}."
            )
    bad = [k + 1 for k, (o, r) in enumerate(zip(outs, refs, strict=True)) if not _close(o, r)]
    if square is not None and all(square[k - 1] for k in bad):
        return (
            f"{_NO}{what} is right except on the problem(s) {bad} where X is square, the only "
            "shape where X and X.T both fit: X looks transposed somewhere (its columns are "
            "the data points)."
        )
    return (
        f"{_NO}{what} differs from the reference on test problem(s) {bad} "
        f"(problem 1 is the book's data). Check each step against the equations."
    )


def check_loss(loss):
    r"""Check a learner's ``loss(X, y, phi)``: the loss of the chapter on data.

    Introduced in the chapter on data (exercise on coding the loss).

    .. math::

        L(\phi) = \tfrac12 \lVert X^T\phi - y\rVert^2

    Parameters
    ----------
    loss : callable
        ``loss(X, y, phi) -> float`` with ``X`` of shape (D, I), ``y`` (I,), ``phi`` (D,).

    Returns
    -------
    str
        Starts with "Correct:" or "Not yet:"; names the mistake when it recognizes it
        (one half missing, mean instead of sum, X transposed, norm not squared, no sum).
    """
    cases = _cases()
    outs, err = _evaluate(loss, cases)
    if err:
        return err
    res = [X.T @ phi - y for X, y, phi in cases]
    sq = [float(r @ r) for r in res]
    refs = [np.asarray(0.5 * s) for s in sq]
    mistakes = [
        ("no half", [np.asarray(s) for s in sq],
         "your loss is twice the book's: the one half in front of the sum of squares is "
         "missing."),
        ("mean", [np.asarray(0.5 * s / r.size) for s, r in zip(sq, res, strict=True)],
         "you averaged the squared residuals; the book's loss sums them (then halves)."),
        ("mean no half", [np.asarray(s / r.size) for s, r in zip(sq, res, strict=True)],
         "you took the mean of the squared residuals; the book's loss is one half of their "
         "sum."),
        ("X transposed", [np.asarray(0.5 * float((X @ phi - y) @ (X @ phi - y)))
                          if X.shape[0] == X.shape[1] else np.asarray(np.nan)
                          for X, y, phi in cases],
         "X looks transposed: its columns are the data points, so the outputs are X.T @ phi, "
         "not X @ phi."),
        ("norm", [np.asarray(0.5 * np.sqrt(s)) for s in sq],
         "the norm is not squared: the loss is one half of the SUM OF SQUARES, not of the "
         "length of the residual vector."),
        ("no sum", [0.5 * r**2 for r in res],
         "you returned one value per data point; the loss is one number, the sum over points."),
    ]
    square = [X.shape[0] == X.shape[1] for X, _, _ in cases]
    return _diagnose(outs, refs, mistakes, "the loss", square)


def check_residuals_at(residuals_at):
    r"""Check a learner's ``residuals_at(X, y, phi0, t)``: the residuals of gradient flow.

    Introduced in the chapter on closed-form flow (exercise on the residuals via ``eigh``).

    .. math::

        f(t) - y = e^{-X^T X\, t}\,(X^T\phi_0 - y)

    Parameters
    ----------
    residuals_at : callable
        ``residuals_at(X, y, phi0, t) -> ndarray of shape (I,)`` for a scalar time ``t``.

    Returns
    -------
    str
        Starts with "Correct:" or "Not yet:"; names the mistake when it recognizes it
        (sign of the exponent, elementwise exp instead of the matrix exponential, X X^T
        instead of X^T X, wrong time scale, outputs instead of residuals, flipped residual,
        time ignored).
    """
    base = _cases()
    cases = [(X, y, phi, t) for (X, y, phi) in base for t in (0.3, 2.0)]
    outs, err = _evaluate(residuals_at, cases)
    if err:
        return err

    def ref(X, y, phi, t, scale=1.0, sign=-1.0):
        return scipy.linalg.expm(sign * scale * t * (X.T @ X)) @ (X.T @ phi - y)

    # The reference is the library's closed form, so checks and book agree by construction.
    refs = [LinearFlow(X, y, phi).residuals(t) for X, y, phi, t in cases]

    def with_outer_gram(X, y, phi, t):
        if X.shape[0] != X.shape[1]:  # X X^T does not fit the residuals: never matches
            return np.full(X.shape[1], np.nan)
        return scipy.linalg.expm(-t * (X @ X.T)) @ (X.T @ phi - y)

    mistakes = [
        ("sign", [ref(*c, sign=1.0) for c in cases],
         "the exponent has the wrong sign: residuals decay, so the exponent is -K t."),
        ("elementwise exp", [np.exp(-t * (X.T @ X)) @ (X.T @ phi - y) for X, y, phi, t in cases],
         "you applied exp to each entry of K; the flow needs the matrix exponential, "
         "exp(-K t) = U diag(exp(-lambda t)) U^T from the eigendecomposition "
         "K = U diag(lambda) U^T."),
        ("outputs", [y + ref(X, y, phi, t) for X, y, phi, t in cases],
         "these are the outputs f(t), not the residuals f(t) - y: do not add y back."),
        ("flipped", [-r for r in refs],
         "the sign of the residual is flipped: the residual is f - y (outputs minus targets)."),
        ("time x2", [ref(*c, scale=2.0) for c in cases],
         "the time scale is off by a factor 2: exp(-2 K t) is what the LOSS carries (it is a "
         "square); the residuals decay as exp(-K t)."),
        ("time /2", [ref(*c, scale=0.5) for c in cases],
         "the time scale is off by a factor 1/2: with the book's loss (one half in front) the "
         "residuals decay as exp(-K t), not exp(-K t / 2)."),
        ("X X^T", [with_outer_gram(*c) for c in cases],
         "you used A = X X^T; the residuals live in function space, where the matrix is "
         "K = X^T X (X's columns are the data points: X looks transposed)."),
        ("no t", [ref(X, y, phi, 1.0) for X, y, phi, t in cases],
         "the result does not depend on t: multiply the eigenvalues by t inside the exp."),
    ]
    square = [X.shape[0] == X.shape[1] for X, _, _, _ in cases]
    return _diagnose(outs, refs, mistakes, "residuals_at", square)
