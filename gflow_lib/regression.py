r"""Point estimates: maximum likelihood (least squares) and MAP (ridge).
Introduced in the chapter on ML vs MAP (``book/ml_vs_map.ipynb``). Ridge is the filter
:math:`\lambda / (\lambda + p)` (:class:`gflow_lib.Ridge`): ``ridge_params`` is
``Spectrum(X, y).path(Ridge(), center).params(penalty)``."""

from __future__ import annotations

import numpy as np

from . import _docs
from . import _validation as v
from .spectrum import Ridge, Spectrum

__all__ = ["ml_params", "map_params", "ridge_params"]


@_docs.fill
def ml_params(X, y):
    r"""Maximum-likelihood parameters: the minimum-norm least-squares solution.
    Introduced in the chapter on ML vs MAP. Exact also for rank-deficient X and D > I.

    .. math:: \phi_{ML} = (X^T)^+ y \;=\; (X X^T)^{-1} X y \text{ when } X X^T \text{ is invertible}

    Parameters
    ----------
    %(X_y)s

    Returns
    -------
    ndarray, shape (D,)
    """
    X, y = v.problem(X, y)
    return np.array(Spectrum(X, y, checked=True).solution)


@_docs.fill
def ridge_params(X, y, penalty, center=None):
    r"""Ridge regression, shrinking toward ``center`` (default 0), for one or many penalties.
    Introduced in the chapter on ML vs MAP. At penalty 0: the minimum-norm solution plus the
    centre's part in the null space of X^T.

    .. math:: \phi_p = \arg\min_\phi \tfrac12\lVert X^T\phi - y\rVert^2
        + \tfrac{p}{2}\lVert \phi - \phi_c\rVert^2 = \phi_c + (X X^T + p I)^{-1} X (y - X^T\phi_c)

    Parameters
    ----------
    %(X_y)s
    %(penalty)s
    center : array_like, shape (D,), optional

    Returns
    -------
    ndarray, shape (D,) for scalar ``penalty``, (L, D) for an array
    """
    X, y = v.problem(X, y)
    c = None if center is None else v.vector(center, "center", X.shape[0])
    return Spectrum(X, y, checked=True).path(Ridge(), c).params(penalty)


@_docs.fill
def map_params(X, y, sigma_sq, sigma_sq_p):
    r"""MAP parameters under the prior :math:`N(0, \sigma_p^2 I)` and Gaussian noise of variance
    :math:`\sigma^2`: ridge with penalty :math:`p = \sigma^2 / \sigma_p^2`.
    Introduced in the chapter on ML vs MAP.

    .. math:: \phi_{MAP} = (X X^T + \tfrac{\sigma^2}{\sigma_p^2} I)^{-1} X y

    Parameters
    ----------
    %(X_y)s
    %(sigma_sq_both)s

    Returns
    -------
    ndarray, shape (D,)
    """
    return ridge_params(X, y, v.noise_and_prior(sigma_sq, sigma_sq_p)[2])
