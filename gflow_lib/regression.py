r"""Point estimates: maximum likelihood (least squares) and MAP (ridge).

Introduced in the chapter on ML vs MAP (``book/ml_vs_map.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import _validation as v
from .flow import _eigh, _gram

__all__ = ["ml_params", "map_params", "ridge_params"]


def _data(X, y):
    X = v.design_matrix(X)
    v.check_finite(X, "X")
    y = v.vector(y, "y", X.shape[1], X.shape, " (one target per column of X)")
    return X, y


def ml_params(X, y):
    r"""Maximum-likelihood parameters: the minimum-norm least-squares solution.

    .. math::

        \phi_{ML} = (X^T)^+ y \;=\; (X X^T)^{-1} X y \text{ when } X X^T \text{ is invertible.}

    Computed with ``numpy.linalg.lstsq`` (SVD), so it is exact for rank-deficient ``X`` and for
    D > I, where ``inv(X X^T)`` fails.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)

    Returns
    -------
    ndarray, shape (D,)
    """
    X, y = _data(X, y)
    return np.linalg.lstsq(X.T, y, rcond=None)[0]


def ridge_params(X, y, lam, center=None):
    r"""Ridge regression, optionally shrinking toward ``center`` instead of 0.

    .. math::

        \phi_\lambda = \arg\min_\phi \tfrac12\lVert X^T\phi - y\rVert^2
        + \tfrac{\lambda}{2}\lVert \phi - \phi_c\rVert^2
        = \phi_c + (X X^T + \lambda I)^{-1} X (y - X^T\phi_c).

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    lam : float or array_like, shape (L,)
        Positive penalties.
    center : array_like, shape (D,), optional
        The point ridge shrinks toward (default 0).

    Returns
    -------
    ndarray, shape (D,) for scalar ``lam``, (L, D) for an array
        From one eigendecomposition of the smaller Gram matrix (the dual, I x I, form when
        D > I), for all penalties at once.
    """
    X, y = _data(X, y)
    D, I = X.shape
    lams = v.as_real_array(lam, "lam")
    if lams.ndim > 1:
        raise ValueError(f"lam must be a scalar or a 1-D array; got shape {lams.shape}")
    scalar = lams.ndim == 0
    lams = np.atleast_1d(lams)
    if not np.all(np.isfinite(lams)) or np.any(lams <= 0):
        raise ValueError(f"lam must be finite and positive; got {lams.tolist()[:5]}")
    c = np.zeros(D) if center is None else v.vector(center, "center", D)
    r = y - X.T @ c
    # One eigendecomposition of the smaller Gram matrix serves every penalty at once:
    # (A + lam I)^{-1} = V diag(1 / (mu + lam)) V^T, and in the dual form
    # X (K + lam I)^{-1} r for D > I. No Python loop over the penalties.
    outer = D <= I
    mu, V = _eigh(_gram(X, outer))
    mu = np.maximum(mu, 0.0)  # rounding can leave tiny negative eigenvalues
    w = V.T @ (X @ r if outer else r)  # (n,)
    coef = w / (mu[None, :] + lams[:, None])  # (L, n)
    out = coef @ V.T if outer else (coef @ V.T) @ X.T
    out += c
    return out[0] if scalar else out


def map_params(X, y, sigma_sq, sigma_sq_p):
    r"""MAP parameters under the prior :math:`\phi \sim N(0, \sigma_p^2 I)` and Gaussian
    noise of variance :math:`\sigma^2`: ridge with :math:`\lambda = \sigma^2 / \sigma_p^2`.

    .. math::

        \phi_{MAP} = (X X^T + \tfrac{\sigma^2}{\sigma_p^2} I)^{-1} X y

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    sigma_sq : float
        Noise variance, > 0.
    sigma_sq_p : float
        Prior variance of each parameter, > 0.

    Returns
    -------
    ndarray, shape (D,)
    """
    s2 = v.positive_scalar(sigma_sq, "sigma_sq")
    sp2 = v.positive_scalar(sigma_sq_p, "sigma_sq_p")
    return ridge_params(X, y, s2 / sp2)
