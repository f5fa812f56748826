r"""The loss as a surface over the two parameters of a line.

Introduced in the chapter on the loss landscape (``book/landscape.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import _validation as v

__all__ = ["loss_grid"]


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
