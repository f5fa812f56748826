r"""The loss as a surface over the two parameters of a line.

Introduced in the chapter on the loss landscape (``book/landscape.ipynb``).
"""

from __future__ import annotations

import numpy as np

from typing import NamedTuple

from . import _validation as v
from .spectrum import Spectrum

__all__ = ["EigenCoordinates", "eigen_coordinates", "loss_along", "loss_grid"]


class EigenCoordinates(NamedTuple):
    """Eigenvalues, eigen-directions (columns) and a path's coordinates along them."""

    lam: np.ndarray
    vecs: np.ndarray
    coords: np.ndarray


def loss_grid(X, y, slopes, intercepts):
    r"""The loss :math:`L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2` on a grid, vectorized.

    Written around the computed minimum :math:`\hat\phi` (the least-squares solution rounded
    to floats), so the cost is O(grid size), not O(grid size x I), and nothing cancels:

    .. math::

        L(\phi) = \hat L + d^T \hat g + \tfrac12 \sum_k \lambda_k (v_k^T d)^2,
        \qquad d = \phi - \hat\phi,

    with the residual :math:`\hat r = X^T\hat\phi - y`, :math:`\hat L = \tfrac12\lVert\hat
    r\rVert^2` and :math:`\hat g = X\hat r` formed once in extended precision
    (``numpy.longdouble``). Expanding :math:`\tfrac12\phi^TA\phi - \phi^Tb + \tfrac12 y^Ty`
    instead loses every digit when y is large (offset 1e8: -2.0 at the minimum).

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
    if X.shape[0] != 2:
        raise ValueError(f"X must have 2 rows (slope, intercept) for a landscape; got {X.shape}")
    X, y = v.problem(X, y)
    s = v.vector(slopes, "slopes")[:, None]
    c = v.vector(intercepts, "intercepts")[None, :]
    spec = Spectrum(X, y, checked=True)
    centre = spec.solution
    with np.errstate(over="ignore", invalid="ignore"):
        Xl = X.astype(np.longdouble)
        r = centre.astype(np.longdouble) @ Xl - y.astype(np.longdouble)
        g = (Xl @ r).astype(float)
        out = np.full((s.shape[0], c.shape[1]), float(0.5 * (r @ r)))
        d_s, d_c = s - centre[0], c - centre[1]  # exact near the centre
        out += d_s * g[0] + d_c * g[1]
        V = spec.range_basis  # (2, rank)
        for k in range(spec.rank):
            out += 0.5 * spec.lam[k] * (V[0, k] * d_s + V[1, k] * d_c) ** 2
    _finite_or_raise(out, "slopes and intercepts")
    return np.maximum(out, 0.0)  # a sum of squares: clip rounding below zero


def _finite_or_raise(out, name):
    if not np.all(np.isfinite(out)):
        raise ValueError(
            f"{name} must be small enough, relative to X and y, for the loss to be finite; "
            "the loss overflows"
        )


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
    EigenCoordinates
        ``lam``: eigenvalues of ``X X^T``, ascending (slow first): all D of them when
        D <= I, the ``rank`` nonzero ones when D > I (the D x D eigenbasis is not formed).
        ``vecs``: the eigenvectors as columns, shape (D, D) or (D, rank), each signed so
        that its largest-magnitude entry is positive (a reproducible choice: an
        eigenvector's sign is otherwise arbitrary).
        ``coords``: shape (T, n), or (n,) for a single vector; ``coords[..., j]`` is the
        coordinate along ``vecs[:, j]``.
    """
    X, y = v.problem(X, y)
    D = X.shape[0]
    P = _path(params, D)
    v.check_finite(P, "params")
    spec = Spectrum(X, y, checked=True)
    if spec.params_side:
        lam, vecs = spec.eigenvalues, np.array(spec.basis)
    else:
        lam, vecs = spec.lam, np.array(spec.range_basis)
    n = vecs.shape[1]
    pivot = vecs[np.argmax(np.abs(vecs), axis=0), np.arange(n)]
    vecs *= np.where(pivot < 0, -1.0, 1.0)
    return EigenCoordinates(np.array(lam), vecs, (P - spec.solution) @ vecs)


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
