r"""Feedback for the coding exercise of the chapter on function space:
``kernel_predict(K, y, K_new, t)``, the predictions of gradient flow in function space from
:math:`f_0 = 0` through :math:`K = U\operatorname{diag}(\lambda)U^T`, no inverse, with
:meth:`gflow_lib.KernelFlow.predict` as the reference.

.. math:: f_*(t) = K_{*X}\, U \operatorname{diag}\Big(\frac{1 - e^{-\lambda_k t}}{\lambda_k}\Big)
    U^T y \quad (\text{zero eigenvalues contribute nothing})
"""

from __future__ import annotations

import numpy as np

from .. import KernelFlow, _docs
from ..kernels import rbf_kernel, relu_kernel
from .harness import Case, Check, CheckResult, Mistake, run_check

__all__ = ["KERNEL_PREDICT", "check_kernel_predict"]


def _rbf(I, M, t, seed):  # noqa: E741
    rng = np.random.default_rng(seed)
    x, xn = np.sort(rng.uniform(0, 1, I)), rng.uniform(-0.2, 1.2, M)
    return rbf_kernel(x, lengthscale=0.2), np.sin(2 * np.pi * x), rbf_kernel(xn, x, 0.2), t


def _relu(t):
    x, xn = np.array([0.1, 0.3, 0.45, 0.7, 0.9]), np.array([0.0, 0.5, 1.2])
    return relu_kernel(x), np.array([0.2, -0.1, 0.4, 0.0, -0.3]), relu_kernel(xn, x), t


def _features(D, I, M, t, seed):  # noqa: E741
    """K = X^T X of random features, singular when D < I."""
    rng = np.random.default_rng(seed)
    X, Xn = rng.normal(size=(D, I)), rng.normal(size=(D, M))
    return X.T @ X, rng.normal(size=I), Xn.T @ X, t


def _predict(K, y, K_new, t):
    return KernelFlow(K, y).predict(K_new, t)


def _eigen(K):
    """The mistakes' own eigendecomposition (the learner's would use numpy too)."""
    lam, U = np.linalg.eigh(K)
    return np.where(lam > 1e-10 * lam.max(), lam, 0.0), U


def _filtered(K, y, K_new, gain):
    """K_new U diag(gain(lam)) U^T y for a mistaken gain, zero modes dropped."""
    lam, U = _eigen(K)
    g = np.where(lam > 0, gain(np.where(lam > 0, lam, 1.0)), 0.0)
    return K_new @ (U @ (g * (U.T @ y)))


def _rows(K, y, K_new, t):
    """Eigenvectors taken as the rows of U, every eigenvalue kept."""
    lam, U = np.linalg.eigh(K)
    g = np.where(lam != 0, -np.expm1(-lam * t) / np.where(lam != 0, lam, 1.0), t)
    return K_new @ (U.T @ (g * (U @ y)))


def _rows_masked(K, y, K_new, t):
    """Eigenvectors taken as the rows of U, the zero modes dropped as they should be."""
    lam, U = _eigen(K)
    g = np.where(lam > 0, -np.expm1(-lam * t) / np.where(lam > 0, lam, 1.0), 0.0)
    return K_new @ (U.T @ (g * (U @ y)))


def _ridge(K, y, K_new, t):
    """Kernel ridge with penalty 1/t in place of the flow."""
    return _filtered(K, y, K_new, lambda lam: 1.0 / (lam + 1.0 / t))


def _limit(K, y, K_new, t):
    """The t -> infinity interpolant: t ignored."""
    return _filtered(K, y, K_new, lambda lam: 1.0 / lam)


_ROWS = ("np.linalg.eigh returns the eigenvectors as the columns of U: use U[:, k], and "
         "U.T @ y for the coordinates of y, not U @ y.")

KERNEL_PREDICT = Check(
    "kernel_predict(K, y, K_new, t)", "kernel_predict",
    "one prediction per row of K_new, (M,)",
    (Case("an RBF kernel on 6 points, t = 0.5", lambda: _rbf(6, 4, 0.5, 1)),
     Case("an RBF kernel on 8 points, t = 20", lambda: _rbf(8, 5, 20.0, 2)),
     Case("the ReLU (arc-cosine) kernel on 5 points, t = 3", lambda: _relu(3.0)),
     Case("K = X^T X of 6 random features on 4 points, t = 0.7",
          lambda: _features(6, 4, 3, 0.7, 3)),
     Case("a singular K = X^T X (D = 2 < I = 5), t = 2", lambda: _features(2, 5, 3, 2.0, 4))),
    _predict,
    (Mistake("no division by lambda",
             lambda K, y, Kn, t: _filtered(K, y, Kn, lambda lam: -np.expm1(-lam * t)),
             "You applied the flow's filter 1 - exp(-lambda t) to y and then multiplied by "
             "K_new: that maps the training outputs f(t), not the coefficients. The "
             "coefficients are U diag((1 - exp(-lambda t)) / lambda) U^T y, and K_new turns "
             "them into predictions."),
     Mistake("sign", lambda K, y, Kn, t: -_predict(K, y, Kn, t),
             "Sign error: your predictions move away from the data. The flow is "
             "df/dt = -K (f - y), so from f0 = 0 the coefficients are "
             "(1 - exp(-lambda t)) / lambda, which are positive."),
     Mistake("decay instead of gain",
             lambda K, y, Kn, t: _filtered(K, y, Kn, lambda lam: np.exp(-lam * t) / lam),
             "You used exp(-lambda t) / lambda: the part that is left, not the part that is "
             "learned. From f0 = 0 the coefficient of mode k is (1 - exp(-lambda_k t)) / "
             "lambda_k, which is 0 at t = 0."),
     Mistake("eigenvectors as rows", _rows, _ROWS),
     Mistake("eigenvectors as rows, zero modes masked", _rows_masked,
             f"{_ROWS} (Dropping the zero eigenvalues is right.)"),
     Mistake("time doubled", lambda K, y, Kn, t: _predict(K, y, Kn, 2 * t),
             "your predictions are those at time 2t: the coefficient of mode k is "
             "(1 - exp(-lambda_k t)) / lambda_k. exp(-2 lambda t) is what the LOSS carries (a "
             "square); the outputs move with exp(-lambda t)."),
     Mistake("ridge", _ridge,
             "You computed kernel ridge with penalty 1/t, K_new (K + I/t)^(-1) y. It is close "
             "to the flow but not equal: the flow's filter is 1 - exp(-lambda t), ridge's is "
             "lambda / (lambda + 1/t)."),
     Mistake("limit", _limit,
             "Your answer does not depend on t: it is the t -> infinity interpolant "
             "K_new K^(-1) y. At time t each mode has only learned the fraction "
             "1 - exp(-lambda t).")),
    hint="Check the formula K_new U diag((1 - exp(-lambda t)) / lambda) U^T y, with zero "
         "eigenvalues contributing nothing.",
    error_hint="K_new has shape (M, I): one row per new input, one column per training input, "
               "so K_new @ c maps coefficients c of shape (I,) to predictions.",
    no_library=True,  # the learner's own NumPy, not the library's function
)


@_docs.fill
def check_kernel_predict(kernel_predict) -> CheckResult:
    r"""Check the learner's ``kernel_predict(K, y, K_new, t)``.
    Introduced in the exercises of the chapter on function space.

    Parameters
    ----------
    kernel_predict : callable
        ``(K (I, I), y (I,), K_new (M, I), t float) -> (M,)`` predictions of gradient flow in
        function space from :math:`f_0 = 0` at time ``t``.

    Returns
    -------
    %(check_result)s
        ``no division by lambda``, ``sign``, ``decay instead of gain``, ``eigenvectors as rows``,
        ``eigenvectors as rows, zero modes masked``, ``time doubled``, ``ridge``, ``limit``.
    """
    return run_check(KERNEL_PREDICT, kernel_predict)
