r"""The loss as a surface over the two parameters of a line.

Introduced in the chapter on the loss landscape (``book/landscape.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import _validation as v
from .flow import gram_eigen

__all__ = ["eigen_coordinates", "loss_along", "loss_grid"]


def loss_grid(X, y, slopes, intercepts):
    r"""The loss :math:`L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2` on a grid, vectorized.

    Expanded as a quadratic form, so the cost is O(grid size), not O(grid size x I):

    .. math::

        L(\phi) = \tfrac12 \phi^T A \phi - \phi^T b + \tfrac12 y^T y,
        \qquad A = X X^T,\; b = X y.

    Parameters
    ----------
    X : array_like, shape (2, I)
        Slope row, then intercept row (ones).
    y : array_like, shape (I,)
    slopes : array_like, shape (S,)
    intercepts : array_like, shape (N,)

    Returns
    -------
    ndarray, shape (S, N)
        ``out[i, j]`` is the loss at slope ``slopes[i]`` and intercept ``intercepts[j]``
        (rows follow the slope, ready for ``contourf(intercepts, slopes, out)``).
    """
    X = v.design_matrix(X)
    v.check_finite(X, "X")
    if X.shape[0] != 2:
        raise ValueError(f"X must have 2 rows (slope, intercept) for a landscape; got {X.shape}")
    y = v.vector(y, "y", X.shape[1], X.shape, " (one target per column of X)")
    s = v.vector(slopes, "slopes")[:, None]
    c = v.vector(intercepts, "intercepts")[None, :]
    # Residual-free form: exact to rounding, no (S, N, I) array.
    A = X @ X.T
    b = X @ y
    quad = 0.5 * (A[0, 0] * s * s + 2 * A[0, 1] * s * c + A[1, 1] * c * c)
    return quad - (b[0] * s + b[1] * c) + 0.5 * float(y @ y)


def loss_along(X, y, params):
    r"""The loss at every point of a path of parameters (a flow or descent trajectory).

    Introduced in the chapter on the loss landscape.

    .. math::

        L(\phi_k) = \tfrac12 \lVert X^T \phi_k - y \rVert^2, \qquad k = 0, \dots, T-1.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    params : array_like, shape (T, D) or (D,)
        Rows are parameter vectors, e.g. ``LinearFlow.params(t)`` or ``gradient_descent(...)``.
        Infinite entries (a diverged descent) give an infinite loss rather than an error.

    Returns
    -------
    ndarray, shape (T,), or float for a single vector
    """
    X = v.design_matrix(X)
    v.check_finite(X, "X")
    D, n_points = X.shape
    y = v.vector(y, "y", n_points, X.shape, " (one target per column of X)")
    P = _path(params, D)
    with np.errstate(over="ignore", invalid="ignore"):
        r = P @ X - y
        out = 0.5 * np.sum(r * r, axis=-1)
    out = np.where(np.any(np.isinf(P), axis=-1), np.inf, out)
    return float(out) if P.ndim == 1 else out


def eigen_coordinates(X, y, params):
    r"""Where a path stands along each eigen-direction of :math:`A = X X^T`, relative to the
    minimum.

    Introduced in the chapter on the loss landscape: under the flow, the coordinate along the
    eigenvector :math:`v_j` decays as :math:`e^{-\lambda_j t}`, so the fast coordinate vanishes
    first and the slow one lingers.

    .. math::

        c_j(\phi) = v_j^T (\phi - \phi^*), \qquad A v_j = \lambda_j v_j,

    with :math:`\phi^*` the minimum-norm least-squares solution.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    params : array_like, shape (T, D) or (D,)

    Returns
    -------
    lam : ndarray, shape (D,)
        Eigenvalues of ``X X^T``, ascending (slow first).
    vecs : ndarray, shape (D, D)
        The eigenvectors as columns, each signed so that its largest-magnitude entry is
        positive (a reproducible choice: an eigenvector's sign is otherwise arbitrary).
    coords : ndarray, shape (T, D), or (D,) for a single vector
        ``coords[..., j]`` is the coordinate along ``vecs[:, j]``.
    """
    X = v.design_matrix(X)
    v.check_finite(X, "X")
    D, n_points = X.shape
    y = v.vector(y, "y", n_points, X.shape, " (one target per column of X)")
    P = _path(params, D)
    v.check_finite(P, "params")
    lam, vecs = gram_eigen(X, outer=True)
    pivot = vecs[np.argmax(np.abs(vecs), axis=0), np.arange(D)]
    vecs = vecs * np.where(pivot < 0, -1.0, 1.0)
    phi_star = np.linalg.lstsq(X.T, y, rcond=None)[0]
    return lam, vecs, (P - phi_star) @ vecs


def _path(params, D):
    P = v.as_real_array(params, "params")
    if P.ndim not in (1, 2) or P.shape[-1] != D:
        raise ValueError(
            f"params must have shape (T, {D}) or ({D},) (one entry per row of X); "
            f"got shape {P.shape}"
        )
    if np.any(np.isnan(P)):
        raise ValueError("params must not contain NaN")
    return P
