r"""Feedback for the coding exercise of the chapter on the Bayesian view over time:
``predictive_variance(X, X_new, t, s)``, the variance of the output at the columns of ``X_new``
after gradient flow for time ``t`` from :math:`\phi_0 \sim N(0, s I)`, with
:func:`~gflow_lib.prediction_distribution` as the reference.

.. math:: \operatorname{var} f_*(t) = s\, \lVert e^{-X X^T t} x_* \rVert^2
"""

from __future__ import annotations

import numpy as np

from .. import _docs, prediction_distribution
from ..data import design_matrix, running_example
from .harness import Case, Check, CheckResult, Mistake, run_check

__all__ = ["check_predictive_variance"]


def _book(t, s):
    return running_example()[0], design_matrix([0.0, 0.5, 1.0]), t, s


def _random(D, I, M, t, s, seed):  # noqa: E741
    rng = np.random.default_rng(seed)
    return rng.normal(size=(D, I)), rng.normal(size=(D, M)), t, s


def _variance(X, X_new, t, s):
    D = X.shape[0]
    return prediction_distribution(X, np.zeros(X.shape[1]), X_new, t, np.zeros(D),
                                   s * np.eye(D))[1]


def _decayed(K, X_new, t):
    """exp(-K t) X_new for a symmetric K (a mistake's matrix, or X X^T)."""
    import scipy.linalg  # here: only a mistake's answer needs it (0.36 s to import)

    return scipy.linalg.expm(-t * K) @ X_new


def _rows(X, X_new, t, s):
    """exp(-X X^T t) built with the eigenvectors as the rows of V."""
    lam, V = np.linalg.eigh(X @ X.T)
    return s * np.sum(((V.T * np.exp(-lam * t)) @ V @ X_new) ** 2, 0)


def _thin(X, X_new, t, s):
    """The variance from the modes of X's thin SVD only: the null space of X X^T left out."""
    U, S, _ = np.linalg.svd(X, full_matrices=False)
    return s * np.exp(-2 * S**2 * t) @ (U.T @ X_new) ** 2


PREDICTIVE_VARIANCE = Check(
    "predictive_variance(X, X_new, t, s)", "predictive_variance",
    "one variance per column of X_new, (M,)",
    (Case("the book's three points (D = 2, I = 3), t = 0", lambda: _book(0.0, 2.0)),
     Case("the book's three points (D = 2, I = 3), t = 0.4", lambda: _book(0.4, 2.0)),
     Case("the book's three points (D = 2, I = 3), t = 2, s = 0.5", lambda: _book(2.0, 0.5)),
     Case("a square X (D = I = 3), t = 0.3", lambda: _random(3, 3, 2, 0.3, 1.5, 1)),
     Case("an overparameterized X (D = 4 > I = 2), t = 5", lambda: _random(4, 2, 3, 5.0, 3.0, 2))),
    _variance,
    (Mistake("X transposed", lambda X, Xn, t, s: s * np.sum(_decayed(X.T @ X, Xn, t) ** 2, 0),
             "X transposed: you used X^T X (I x I, the kernel of the function view) where the "
             "parameters decay with A = X X^T (D x D). Columns of X are data points."),
     Mistake("sign", lambda X, Xn, t, s: s * np.sum(_decayed(-X @ X.T, Xn, t) ** 2, 0),
             "Sign error: your spread grows with t. The flow is d phi/dt = -X X^T phi + X y, so "
             "the start decays as exp(-X X^T t), not exp(+X X^T t)."),
     Mistake("time scale", lambda X, Xn, t, s: s * np.sum(Xn * _decayed(X @ X.T, Xn, t), 0),
             "Wrong time scale: you used exp(-X X^T t) once, but the variance is a quadratic "
             "form in E = exp(-X X^T t), so E appears twice: s x*^T E E^T x* = "
             "s x*^T exp(-2 X X^T t) x*."),
     Mistake("std", lambda *a: np.sqrt(_variance(*a)),
             "You returned the standard deviation; the exercise asks for the variance (its "
             "square)."),
     Mistake("prior sd", lambda X, Xn, t, s: _variance(X, Xn, t, s) / np.sqrt(s),
             "You scaled by sqrt(s), but s is the prior variance of each parameter, so the "
             "variance of the prediction scales with s itself."),
     Mistake("no prior", lambda X, Xn, t, s: _variance(X, Xn, t, s) / s,
             "The prior variance s is missing: with phi0 ~ N(0, s I) every variance carries "
             "the factor s."),
     Mistake("full covariance", lambda X, Xn, t, s: s * (B := _decayed(X @ X.T, Xn, t)).T @ B,
             "You returned the full M x M covariance matrix; the exercise asks for the "
             "variance at each input, its diagonal, of shape (M,)."),
     Mistake("null space", _thin,
             "When D > I, X X^T is singular: the part of x* in its null space keeps its prior "
             "variance forever, and your answer leaves it out. Use exp(-X X^T t) through an "
             "eigendecomposition of the D x D matrix X X^T."),
     Mistake("s squared", lambda X, Xn, t, s: s * _variance(X, Xn, t, s),
             "You multiplied by s^2; s is already the prior VARIANCE of each parameter, so the "
             "variance of the prediction carries s itself."),
     Mistake("elementwise exp",
             lambda X, Xn, t, s: s * np.sum((np.exp(-t * (X @ X.T)) @ Xn) ** 2, 0),
             "you applied exp to each entry of X X^T; the flow needs the matrix exponential, "
             "exp(-X X^T t) = U diag(exp(-lambda t)) U^T from the eigendecomposition "
             "X X^T = U diag(lambda) U^T."),
     Mistake("eigenvectors as rows", _rows,
             "np.linalg.eigh returns the eigenvectors as the COLUMNS of V: "
             "exp(-X X^T t) = V diag(exp(-lambda t)) V^T; you used V^T diag(exp(-lambda t)) V."),
     Mistake("time doubled", lambda X, Xn, t, s: _variance(X, Xn, 2 * t, s),
             "your variance is the one at time 2t: the start decays as E = exp(-X X^T t) and "
             "the variance s x*^T E E^T x* squares it once, to exp(-2 X X^T t); you squared "
             "twice, exp(-4 X X^T t).")),
    hint="Check the formula s * ||exp(-X X^T t) x*||^2 for each column x* of X_new.",
    error_hint="A shape mismatch here often means X was used transposed: X is (D, I) with data "
               "points as columns, and A = X X^T is D x D.",
    no_library=True,  # the learner's own NumPy, not the library's function
)


@_docs.fill
def check_predictive_variance(predictive_variance) -> CheckResult:
    r"""Check the learner's ``predictive_variance(X, X_new, t, s)``.
    Introduced in the exercises of the chapter on the Bayesian view over time.

    Parameters
    ----------
    predictive_variance : callable
        ``(X (D, I), X_new (D, M), t float, s float) -> (M,)`` variances of the model
        output at the columns of ``X_new`` at time ``t`` when :math:`\phi_0 \sim N(0, sI)`.

    Returns
    -------
    %(check_result)s
        ``X transposed``, ``sign``, ``time scale``, ``std``, ``prior sd``, ``no prior``, ``full
        covariance``, ``null space``, ``s squared``, ``elementwise exp``, ``eigenvectors as rows``,
        ``time doubled``.
    """
    return run_check(PREDICTIVE_VARIANCE, predictive_variance)
