r"""Feedback for the coding exercise of the chapter on the Bayesian view over time.

Introduced in the exercises of the chapter on the Bayesian view over time.

The learner writes ``predictive_variance(X, X_new, t, s)``: the variance of the model output
at the columns of ``X_new`` after gradient flow for time ``t`` from
:math:`\phi_0 \sim N(0, s I)`,

.. math::

    \operatorname{var} f_*(t) = s\, \lVert e^{-X X^T t} x_* \rVert^2
    = s\, x_*^T e^{-2 X X^T t} x_*.

The check runs it on a few small problems and compares with the closed form and with the
closed forms of typical mistakes, without revealing any expected number.
"""

from __future__ import annotations

import numpy as np

from ..bayes import prediction_distribution
from ..data import design_matrix, seed_data
from ._common import close

__all__ = ["check_predictive_variance"]


def _expm_sym(G, t, sign=-1.0):
    """exp(sign G t) for a symmetric positive semidefinite G, by eigendecomposition."""
    lam, V = np.linalg.eigh(G)
    return (V * np.exp(sign * np.clip(lam, 0.0, None) * t)) @ V.T


def _cases():
    """(X, X_new, t, s) test problems: the book's line, a square X whose transpose is a
    different valid matrix, and an overparameterized X (D > I)."""
    X, _, _ = seed_data()
    X_new = design_matrix([0.0, 0.5, 1.0])
    rng = np.random.default_rng(20240129)
    Xsq = rng.normal(size=(3, 3))
    Xsq_new = rng.normal(size=(3, 2))
    Xwide = rng.normal(size=(4, 2))
    Xwide_new = rng.normal(size=(4, 3))
    return [
        ("the book's three points (D = 2, I = 3), t = 0", X, X_new, 0.0, 2.0),
        ("the book's three points (D = 2, I = 3), t = 0.4", X, X_new, 0.4, 2.0),
        ("the book's three points (D = 2, I = 3), t = 2, s = 0.5", X, X_new, 2.0, 0.5),
        ("a square X (D = I = 3), t = 0.3", Xsq, Xsq_new, 0.3, 1.5),
        ("an overparameterized X (D = 4 > I = 2), t = 5", Xwide, Xwide_new, 5.0, 3.0),
    ]


def _reference(X, X_new, t, s):
    D = X.shape[0]
    _, var = prediction_distribution(
        X, np.zeros(X.shape[1]), X_new, t, np.zeros(D), s * np.eye(D)
    )
    return var


def _mistakes(X, X_new, t, s):
    """Closed forms of typical mistakes, each with the feedback that names it."""
    A = X @ X.T
    E1 = _expm_sym(A, t)
    out = {}
    out["time scale"] = (
        s * np.einsum("dm,dk,km->m", X_new, E1, X_new),
        "Wrong time scale: you used exp(-X X^T t) once, but the variance is a quadratic form "
        "in E = exp(-X X^T t), so E appears twice: s x*^T E E^T x* = s x*^T exp(-2 X X^T t) x*.",
    )
    out["sign"] = (
        s * np.sum((_expm_sym(A, t, sign=1.0) @ X_new) ** 2, axis=0),
        "Sign error: your spread grows with t. The flow is d phi/dt = -X X^T phi + X y, so the "
        "start decays as exp(-X X^T t), not exp(+X X^T t).",
    )
    sd = np.sqrt(_reference(X, X_new, t, s))
    out["std"] = (
        sd,
        "You returned the standard deviation; the exercise asks for the variance (its square).",
    )
    out["prior sd"] = (
        np.sqrt(s) * np.sum((E1 @ X_new) ** 2, axis=0),
        "You scaled by sqrt(s), but s is the prior variance of each parameter, so the "
        "variance of the prediction scales with s itself.",
    )
    out["no prior"] = (
        np.sum((E1 @ X_new) ** 2, axis=0),
        "The prior variance s is missing: with phi0 ~ N(0, s I) every variance carries the "
        "factor s.",
    )
    if X.shape[0] == X.shape[1]:
        Et = _expm_sym(X.T @ X, t)
        out["transposed"] = (
            s * np.sum((Et @ X_new) ** 2, axis=0),
            "X transposed: you used X^T X (I x I, the kernel of the function view) where the "
            "parameters decay with A = X X^T (D x D). Columns of X are data points.",
        )
    return out


def _close(a, b):
    return close(a, b, rtol=1e-6, atol=1e-12)


def check_predictive_variance(predictive_variance) -> str:
    """Check the learner's ``predictive_variance(X, X_new, t, s)``.

    Introduced in the exercises of the chapter on the Bayesian view over time.

    Parameters
    ----------
    predictive_variance : callable
        ``(X (D, I), X_new (D, M), t float, s float) -> (M,)`` variances of the model
        output at the columns of ``X_new`` at time ``t`` when :math:`\\phi_0 \\sim N(0, sI)`.

    Returns
    -------
    str
        "Correct ..." or feedback naming the likely mistake. Never the expected numbers.
    """
    if not callable(predictive_variance):
        return (
            "Pass your function itself, predictive_variance, not its result "
            f"(got {type(predictive_variance).__name__})."
        )
    results = []
    for name, X, X_new, t, s in _cases():
        try:
            got = predictive_variance(X.copy(), X_new.copy(), t, s)
        except NotImplementedError:
            return "Not implemented yet: replace the NotImplementedError with your code."
        except Exception as exc:  # the learner's code may raise anything
            results.append((name, X, X_new, t, s, exc))
            continue
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return f"On {name} your function returned something that is not an array of numbers."
        M = X_new.shape[1]
        if got.shape == (M, M) and M > 1:
            return (
                "You returned the full M x M covariance matrix; the exercise asks for the "
                "variance at each input, its diagonal, of shape (M,)."
            )
        if got.shape != (M,):
            return (
                f"On {name} your function returned shape {got.shape}; expected one variance "
                f"per column of X_new, shape ({M},)."
            )
        if not np.all(np.isfinite(got)):
            return f"On {name} your function returned NaN or infinite values."
        results.append((name, X, X_new, t, s, got))
    errors = [c for c in results if isinstance(c[5], Exception)]
    failed = [c for c in results if not isinstance(c[5], Exception)]
    if errors:
        for _, X, X_new, t, s, got in failed:
            if X.shape[0] == X.shape[1]:
                value, msg = _mistakes(X, X_new, t, s)["transposed"]
                if _close(got, value) and not _close(got, _reference(X, X_new, t, s)):
                    return msg
        name, X, exc = errors[0][0], errors[0][1], errors[0][5]
        hint = ""
        if X.shape[0] != X.shape[1] and isinstance(exc, ValueError):
            hint = (
                " A shape mismatch here often means X was used transposed: X is (D, I) "
                "with data points as columns, and A = X X^T is D x D."
            )
        return f"On {name} your function raised {type(exc).__name__}: {exc}.{hint}"
    wrong = [c for c in failed if not _close(c[5], _reference(*c[1:5]))]
    if not wrong:
        return "Correct: your variances match the closed form on all test problems."
    # Which typical mistake explains every wrong answer?
    keys = None
    messages = {}
    for _, X, X_new, t, s, got in wrong:
        found = set()
        for key, (value, msg) in _mistakes(X, X_new, t, s).items():
            messages[key] = msg
            if _close(got, value):
                found.add(key)
        keys = found if keys is None else keys & found
    for key in ("transposed", "sign", "time scale", "std", "prior sd", "no prior"):
        if keys and key in keys:
            return messages[key]
    names = ", ".join(c[0] for c in wrong)
    if any(c[1].shape[0] > c[1].shape[1] for c in wrong) and len(wrong) == 1:
        return (
            f"Not yet: wrong on {names}. When D > I, X X^T is singular: the part of x* in "
            "its null space keeps its prior variance forever. Avoid inverting X X^T; use "
            "exp(-X X^T t) through an eigendecomposition."
        )
    return (
        f"Not yet: wrong on {names}. Check the formula s * ||exp(-X X^T t) x*||^2 "
        "for each column x* of X_new."
    )
