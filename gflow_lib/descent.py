r"""Gradient descent with a finite step, to compare with the flow.

Introduced in the chapter on the loss landscape (``book/landscape.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import _validation as v

__all__ = ["gradient_descent"]


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
    D, I = X.shape
    y = v.vector(y, "y", I, X.shape, " (one target per column of X)")
    phi0 = v.vector(phi0, "phi0", D, what=" (one entry per row of X)")
    lr = v.positive_scalar(lr, "lr")
    n_steps = v.non_negative_int(n_steps, "n_steps")
    out = np.empty((n_steps + 1, D))
    out[0] = phi0
    use_gram = D <= I
    if use_gram:
        A, b = X @ X.T, X @ y
    phi = phi0.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(n_steps):
            grad = A @ phi - b if use_gram else X @ (X.T @ phi - y)
            phi = phi - lr * grad
            out[k + 1] = phi
    return out
