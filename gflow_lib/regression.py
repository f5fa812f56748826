r"""Point estimates: maximum likelihood (least squares) and MAP (ridge).

Introduced in the chapter on ML vs MAP (``book/ml_vs_map.ipynb``).

Ridge regression toward a centre :math:`c` is the start :math:`c` moved by the filter
:math:`\lambda / (\lambda + p)` (:func:`gflow_lib.spectrum.filter_ridge`): the same operation
as gradient flow, with another filter.
"""

from __future__ import annotations

import numpy as np

from . import _validation as v
from .spectrum import Spectrum, filter_ridge

__all__ = ["ml_params", "map_params", "ridge_params"]


def ml_params(X, y):
    r"""Maximum-likelihood parameters: the minimum-norm least-squares solution.

    .. math::

        \phi_{ML} = (X^T)^+ y \;=\; (X X^T)^{-1} X y \text{ when } X X^T \text{ is invertible.}

    Exact for rank-deficient ``X`` and for D > I, where ``inv(X X^T)`` fails (the spectrum
    falls back to the SVD of X whenever the Gram matrix cannot resolve a mode).

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)

    Returns
    -------
    ndarray, shape (D,)
    """
    X, y = v.problem(X, y)
    return np.array(Spectrum(X, y, checked=True).solution)


def ridge_params(X, y, penalty=None, center=None, *, lam=None):
    r"""Ridge regression, optionally shrinking toward ``center`` instead of 0.

    .. math::

        \phi_p = \arg\min_\phi \tfrac12\lVert X^T\phi - y\rVert^2
        + \tfrac{p}{2}\lVert \phi - \phi_c\rVert^2
        = \phi_c + (X X^T + p I)^{-1} X (y - X^T\phi_c).

    In the eigenbasis each mode moves the fraction :math:`\lambda_k / (\lambda_k + p)` of the
    way from the centre to the least-squares solution; the part of the centre in the null
    space of :math:`X^T` stays. So the answer is continuous down to the smallest positive
    penalty, where it is the minimum-norm solution (plus that null part).

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    penalty : float or array_like, shape (L,)
        Positive penalties :math:`p`.
    center : array_like, shape (D,), optional
        The point ridge shrinks toward (default 0).
    lam : float or array_like, optional
        The former name of ``penalty``, still accepted (``lam`` now only means eigenvalues).

    Returns
    -------
    ndarray, shape (D,) for scalar ``penalty``, (L, D) for an array
        From one decomposition, for all penalties at once.
    """
    if lam is not None:
        if penalty is not None:
            raise TypeError("give the ridge penalty once, as penalty (lam is its former name)")
        penalty = lam
    if penalty is None:
        raise TypeError("ridge_params() missing the argument 'penalty'")
    X, y = v.problem(X, y)
    pens, scalar = v.penalties(penalty)
    c = np.zeros(X.shape[0]) if center is None else v.vector(center, "center", X.shape[0])
    spec = Spectrum(X, y, checked=True)
    return v.unbatch(spec.params(spec.split(c), filter_ridge(spec.lam, pens)), scalar)


def map_params(X, y, sigma_sq, sigma_sq_p):
    r"""MAP parameters under the prior :math:`\phi \sim N(0, \sigma_p^2 I)` and Gaussian
    noise of variance :math:`\sigma^2`: ridge with penalty :math:`p = \sigma^2 / \sigma_p^2`.

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
    return ridge_params(X, y, v.positive_ratio(s2, sp2, "sigma_sq / sigma_sq_p"))

