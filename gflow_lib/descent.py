r"""Gradient descent with a finite step, to compare with the flow.

Introduced in the chapter on the loss landscape (``book/landscape.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import _validation as v
from .flow import _gram, _gram_and_xy, gram_eigen, mode_factors

__all__ = [
    "descent_closed_form",
    "gradient_descent",
    "modified_flow_params",
    "modified_loss",
    "stability_thresholds",
]


def gradient_descent(X, y, phi0, lr, n_steps):
    r"""Run plain gradient descent on :math:`L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2`.

    .. math::

        \phi_{k+1} = \phi_k - \mathrm{lr}\, X (X^T \phi_k - y)

    After k steps it is compared with the flow at :math:`t = k\,\mathrm{lr}`.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    phi0 : array_like, shape (D,)
    lr : float
        Step size, > 0. Stable iff ``lr < 2 / lambda_max`` of ``X X^T``.
    n_steps : int
        Number of steps, >= 0.

    Returns
    -------
    ndarray, shape (n_steps + 1, D)
        The iterates, ``phi0`` first. A diverging run overflows to ``inf`` silently only in
        the sense of floating point: no warning is emitted, the values are returned as computed.
    """
    X = v.design_matrix(X)
    v.check_finite(X, "X")
    D, n_points = X.shape
    y = v.vector(y, "y", n_points, X.shape, " (one target per column of X)")
    phi0 = v.vector(phi0, "phi0", D, what=" (one entry per row of X)")
    lr = v.positive_scalar(lr, "lr")
    n_steps = v.non_negative_int(n_steps, "n_steps")
    out = np.empty((n_steps + 1, D))
    out[0] = phi0
    use_gram = D <= n_points
    if use_gram:
        A, b = _gram_and_xy(X, y)
        v.check_gram_diagonal(np.diagonal(A))  # entries whose squares overflow
    else:
        v.check_gram_diagonal(np.diagonal(_gram(X, False)))
    phi = phi0.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(n_steps):
            grad = A @ phi - b if use_gram else X @ (X.T @ phi - y)
            phi = phi - lr * grad
            out[k + 1] = phi
    return out


# --------------------------------------------------------------------------------------
# Closed forms for gradient descent and for the flow that it follows more closely.
# Introduced in the chapter on the loss landscape.


def stability_thresholds(X):
    r"""The two step sizes that shape gradient descent: ``1/lambda_max`` and ``2/lambda_max``.

    Introduced in the chapter on the loss landscape.

    Along the eigenvector of :math:`A = X X^T` with eigenvalue :math:`\lambda`, one step
    multiplies the distance to the minimum by :math:`1 - \mathrm{lr}\,\lambda`:

    .. math::

        |1 - \mathrm{lr}\,\lambda_{\max}| < 1 \iff \mathrm{lr} < \frac{2}{\lambda_{\max}},
        \qquad
        1 - \mathrm{lr}\,\lambda_{\max} > 0 \iff \mathrm{lr} < \frac{1}{\lambda_{\max}}.

    Below the first threshold descent moves monotonically, like the flow; between the two it
    overshoots and oscillates but converges; above the second it diverges.

    Parameters
    ----------
    X : array_like, shape (D, I)
        Data matrix (columns are data points); not all zero.

    Returns
    -------
    monotone, stable : float
        ``1 / lambda_max`` and ``2 / lambda_max``.
    """
    X = _checked_X(X)
    lam, _ = gram_eigen(X)
    lam_max = float(lam[-1])
    if lam_max <= 0:
        raise ValueError("X must not be all zeros: its Gram matrix has no positive eigenvalue")
    return 1.0 / lam_max, 2.0 / lam_max


def descent_closed_form(X, y, phi0, lr, k):
    r"""Gradient descent after ``k`` steps, in closed form (no loop over steps).

    Introduced in the chapter on the loss landscape.

    .. math::

        \phi_k = \phi^* + (I - \mathrm{lr}\,A)^k (\phi_0 - \phi^*), \qquad A = X X^T,

    on the range of :math:`A` (the part of :math:`\phi_0` in the null space of :math:`X^T`
    never moves). In the eigenbasis of the smaller Gram matrix each mode gets the factor
    :math:`(1 - \mathrm{lr}\,\lambda)^k` where the flow has :math:`e^{-\lambda t}`.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    phi0 : array_like, shape (D,)
    lr : float
        Step size, > 0.
    k : int or array_like of int, shape (K,)
        Non-negative step counts.

    Returns
    -------
    ndarray, shape (D,) for scalar ``k``, (K, D) for an array
        Equal (to rounding) to ``gradient_descent(X, y, phi0, lr, n)[k]``. A diverging run
        overflows to ``inf`` without warnings.
    """
    X, y, phi0 = _checked_problem(X, y, phi0)
    lr = v.positive_scalar(lr, "lr")
    kk, scalar = _step_counts(k)
    lam, vecs = gram_eigen(X, outer=X.shape[0] <= X.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.power.outer(1.0 - lr * lam, kk.astype(float)).T  # (K, n)
    out = _affine_path(X, y, phi0, lam, vecs, e)
    return out[0] if scalar else out


def modified_flow_params(X, y, phi0, lr, t):
    r"""Gradient flow of the modified loss :math:`L + \tfrac{\mathrm{lr}}{4}\lVert\nabla L\rVert^2`.

    Introduced in the chapter on the loss landscape (backward error analysis: Barrett and
    Dherin, "Implicit gradient regularization", ICLR 2021).

    The gradient of the modified loss is :math:`(I + \tfrac{\mathrm{lr}}{2}A)(A\phi - b)` with
    :math:`A = X X^T`, :math:`b = X y`: a linear flow with the same minimum whose mode with
    eigenvalue :math:`\lambda` decays at the rate :math:`\lambda(1 + \mathrm{lr}\,\lambda/2)`,

    .. math::

        \phi(t) = \phi^* + V e^{-\Lambda (I + \mathrm{lr}\Lambda/2)\, t} V^T (\phi_0 - \phi^*).

    Gradient descent with step ``lr`` stays closer to this flow at :math:`t = k\,\mathrm{lr}`
    than to the plain flow (error :math:`O(\mathrm{lr}^2)` instead of :math:`O(\mathrm{lr})`
    per unit time).

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    phi0 : array_like, shape (D,)
    lr : float
        The step size of the gradient descent being modelled, > 0.
    t : float or array_like, shape (T,)
        Non-negative finite times.

    Returns
    -------
    ndarray, shape (D,) for scalar ``t``, (T, D) for an array
    """
    X, y, phi0 = _checked_problem(X, y, phi0)
    lr = v.positive_scalar(lr, "lr")
    tt, scalar = v.times(t)
    lam, vecs = gram_eigen(X, outer=X.shape[0] <= X.shape[1])
    rate = lam * (1.0 + 0.5 * lr * lam)
    e, _ = mode_factors(rate, tt)
    out = _affine_path(X, y, phi0, lam, vecs, e)
    return out[0] if scalar else out


def modified_loss(X, y, phi, lr):
    r"""The modified loss that gradient descent with step ``lr`` follows more closely.

    Introduced in the chapter on the loss landscape.

    .. math::

        \tilde L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2
        + \tfrac{\mathrm{lr}}{4}\,\lVert X (X^T\phi - y)\rVert^2.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    phi : array_like, shape (D,) or (T, D)
        One parameter vector or a path of them.
    lr : float
        Step size, > 0.

    Returns
    -------
    float for ``phi`` of shape (D,), ndarray of shape (T,) for a path
    """
    X = _checked_X(X)
    D, n_points = X.shape
    y = v.vector(y, "y", n_points, X.shape, " (one target per column of X)")
    lr = v.positive_scalar(lr, "lr")
    P = v.as_real_array(phi, "phi")
    if P.ndim not in (1, 2) or P.shape[-1] != D:
        raise ValueError(
            f"phi must have shape ({D},) or (T, {D}) (one entry per row of X); got shape {P.shape}"
        )
    v.check_finite(P, "phi")
    r = P @ X - y  # (..., I)
    g = r @ X.T  # (..., D) gradient
    out = 0.5 * np.sum(r * r, axis=-1) + 0.25 * lr * np.sum(g * g, axis=-1)
    return float(out) if P.ndim == 1 else out


def _checked_X(X):
    X = v.design_matrix(X)
    v.check_finite(X, "X")
    return X


def _checked_problem(X, y, phi0):
    X = _checked_X(X)
    D, n_points = X.shape
    y = v.vector(y, "y", n_points, X.shape, " (one target per column of X)")
    phi0 = v.vector(phi0, "phi0", D, what=" (one entry per row of X)")
    return X, y, phi0


def _step_counts(k):
    """A non-negative integer or a 1-D array of them -> (1-D int array, is_scalar)."""
    if isinstance(k, (bool, np.bool_)):
        raise TypeError("k must be a non-negative integer or a 1-D array of them; got bool")
    arr = np.asarray(k)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"k must be a non-negative integer or a 1-D array of integers (step counts); "
            f"got {v._describe(k)}"
        )
    if arr.ndim > 1:
        raise ValueError(f"k must be a scalar or a 1-D array of step counts; got shape {arr.shape}")
    if np.any(arr < 0):
        raise ValueError(f"k must be non-negative; got minimum {int(arr.min())}")
    return np.atleast_1d(arr), arr.ndim == 0


def _affine_path(X, y, phi0, lam, vecs, e):
    r"""Parameters whose mode ``j`` has moved the fraction ``1 - e[:, j]`` of the way from
    ``phi0`` to the minimum-norm solution (modes with ``lam == 0`` never move).

    ``lam, vecs`` are the eigenpairs of the smaller Gram matrix (:func:`gram_eigen` with
    ``outer = D <= I``) and
    ``e`` has shape (T, n). With :math:`g_0 = X(X^T\phi_0 - y)` the gradient at the start,

    .. math::

        \phi = \phi_0 - V\,\mathrm{diag}\Big(\frac{1 - e}{\lambda}\Big) V^T g_0
        \quad\text{or}\quad
        \phi_0 - X U\,\mathrm{diag}\Big(\frac{1 - e}{\lambda}\Big) U^T r_0 .
    """
    nz = lam > 0
    with np.errstate(over="ignore", invalid="ignore"):
        w = np.where(nz, (1.0 - e) / np.where(nz, lam, 1.0), 0.0)  # (T, n)
    r0 = X.T @ phi0 - y
    if X.shape[0] <= X.shape[1]:  # eigenbasis V of A = X X^T
        c = vecs.T @ (X @ r0)
        with np.errstate(over="ignore", invalid="ignore"):
            return phi0 - (w * c) @ vecs.T
    c = vecs.T @ r0  # eigenbasis U of K = X^T X
    with np.errstate(over="ignore", invalid="ignore"):
        return phi0 - ((w * c) @ vecs.T) @ X.T
