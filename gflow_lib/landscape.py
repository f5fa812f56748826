"""The loss as a surface over the parameters, and where a path stands on it.
Introduced in the chapter on the loss landscape (``book/landscape.ipynb``). ``params`` is one
parameter vector (D,) or a path of them (T, D), e.g. from ``LinearFlow.params(t)``."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _docs
from . import _validation as v
from .spectrum import spectrum_of

__all__ = ["EigenCoordinates", "eigen_coordinates", "loss_along", "loss_grid"]


class EigenCoordinates(NamedTuple):
    """Eigenvalues, eigen-directions (columns) and a path's coordinates along them."""

    lam: np.ndarray
    vecs: np.ndarray
    coords: np.ndarray


@_docs.fill
def loss_grid(X, y, slopes, intercepts):
    r"""The loss :math:`L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2` on a grid of lines.
    Introduced in the chapter on the loss landscape. Written around the minimum
    :math:`\hat\phi` (residual :math:`\hat r`, gradient :math:`\hat g = X\hat r`, formed once in
    extended precision), so nothing cancels even when y is offset by 1e8:

    .. math:: L(\phi) = \tfrac12\lVert\hat r\rVert^2 + d^T \hat g
        + \tfrac12 \sum_k \lambda_k (v_k^T d)^2, \qquad d = \phi - \hat\phi

    Parameters
    ----------
    X : array_like, shape (2, I), or Spectrum
        Slope row, then intercept row; or its built :class:`~gflow_lib.Spectrum`.
    %(y_or_none)s
    slopes, intercepts : array_like, shapes (S,) and (N,)

    Returns
    -------
    ndarray, shape (S, N)
        The loss at ``slopes[i]``, ``intercepts[j]`` (for ``contourf(intercepts, slopes, out)``).
    """
    spec = spectrum_of(X, y)
    if spec.D != 2:
        raise ValueError(f"X must have 2 rows (slope, intercept) for a landscape; got "
                         f"{spec.X.shape}")
    if spec.y is None:
        raise ValueError("the spectrum has no targets y: build it as Spectrum(X, y)")
    X, y = spec.X, spec.y
    s = v.vector(slopes, "slopes")[:, None]
    c = v.vector(intercepts, "intercepts")[None, :]
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
    if not np.all(np.isfinite(out)):
        raise ValueError("slopes and intercepts must be small enough, relative to X and y, for "
                         "the loss to be finite; the loss overflows")
    return np.maximum(out, 0.0)  # a sum of squares: clip rounding below zero


@_docs.fill
def loss_along(X, y, params):
    r"""The loss at each point of a path. Introduced in the chapter on the loss landscape.

    .. math:: L(\phi_k) = \tfrac12 \lVert X^T \phi_k - y \rVert^2, \qquad k = 0, \dots, T-1

    Parameters
    ----------
    %(X_y)s
    params : array_like, shape (T, D) or (D,)
        Infinite entries (a diverged descent) give an infinite loss; NaN is refused.

    Returns
    -------
    ndarray, shape (T,), or float for a single vector
    """
    X, y = v.problem(X, y)
    v.check_finite(X, "X")
    P = v.path(params, X.shape[0], finite=False)
    with np.errstate(over="ignore", invalid="ignore"):
        r = P @ X - y
        out = 0.5 * np.sum(r * r, axis=-1)
    out = np.where(np.any(np.isinf(P), axis=-1), np.inf, out)
    return float(out) if P.ndim == 1 else out


@_docs.fill
def eigen_coordinates(X, y, params):
    r"""Where a path stands along each eigen-direction of :math:`X X^T`, relative to the
    minimum-norm least-squares solution :math:`\phi^*`.
    Introduced in the chapter on the loss landscape: under the flow the coordinate along
    :math:`v_j` decays as :math:`e^{-\lambda_j t}`.

    .. math:: c_j(\phi) = v_j^T (\phi - \phi^*), \qquad X X^T v_j = \lambda_j v_j

    Parameters
    ----------
    %(X_or_spectrum)s
    %(y_or_none)s
    params : array_like, shape (T, D) or (D,)

    Returns
    -------
    EigenCoordinates
        ``lam`` (n,) ascending (all D when D <= I, else the nonzero ones); ``vecs`` (D, n), each
        with its largest-magnitude entry positive; ``coords`` (T, n) or (n,), along ``vecs``.
    """
    spec = spectrum_of(X, y)
    P = v.path(params, spec.D)
    if spec.params_side:
        lam, vecs = spec.eigenvalues, np.array(spec.basis)
    else:
        lam, vecs = spec.lam, np.array(spec.range_basis)
    pivot = vecs[np.argmax(np.abs(vecs), axis=0), np.arange(vecs.shape[1])]
    vecs *= np.where(pivot < 0, -1.0, 1.0)
    return EigenCoordinates(np.array(lam), vecs, (P - spec.solution) @ vecs)
