r"""Distributions over time: predictions when the start of the flow is random.

Introduced in the chapter on the Bayesian view over time (``book/bayes_over_time.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import _validation as v
from .flow import LinearFlow, _factors

__all__ = ["prediction_distribution"]


def prediction_distribution(X, y, X_new, t, prior_mean, prior_cov):
    r"""Mean and variance of predictions at ``X_new`` when
    :math:`\phi_0 \sim N(\mu_0, \Sigma_0)` is trained by gradient flow for time ``t``.

    :math:`\phi(t) = E\phi_0 + c` is affine in :math:`\phi_0`, with :math:`E = e^{-At}` and
    :math:`c = (\int_0^t e^{-As}ds) X y`, so the predictions are Gaussian:

    .. math::

        \text{mean} = X_*^T (E \mu_0 + c), \qquad
        \text{var} = \operatorname{diag}(X_*^T E \Sigma_0 E^T X_*).

    The variance is that of the model output (no observation noise added).

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    X_new : array_like, shape (D, M)
    t : float or array_like, shape (T,)
    prior_mean : array_like, shape (D,)
    prior_cov : array_like, shape (D, D)
        Symmetric positive semidefinite.

    Returns
    -------
    mean, var : ndarray, each of shape (M,) for scalar ``t``, (T, M) for an array

    Notes
    -----
    With :math:`E = P_0 + V_r \operatorname{diag}(e) V_r^T` (:math:`P_0` the projector on
    the null space of :math:`X^T`, :math:`V_r` a basis of the range of X), the variance is
    a sum of non-cancelling terms, evaluated for all times in one ``einsum``; it tends to
    exactly 0 on the range of X. Cost O(T r^2 M) for rank r.
    """
    flow = LinearFlow(X, y, prior_mean)
    D = flow.D
    X_new = v.new_inputs(X_new, D)
    S = v.covariance(prior_cov, D)
    tt, scalar = v.times(t)
    mean = flow.predict(X_new, tt)
    Vr, lam = flow._range_basis()
    e, _ = _factors(lam, tt)  # (T, r)
    Y = Vr.T @ X_new  # (r, M)
    N = X_new - Vr @ Y  # null-space part of the inputs, (D, M)
    SN = S @ N
    null_var = np.einsum("dm,dm->m", N, SN)
    cross = 2.0 * Y * (Vr.T @ SN)  # (r, M)
    G = Vr.T @ S @ Vr  # (r, r)
    Q = np.einsum("jm,jk,km->jkm", Y, G, Y)
    var = null_var + e @ cross + np.einsum("tj,jkm,tk->tm", e, Q, e)
    var = np.maximum(var, 0.0)  # PSD quadratic form; clip rounding below zero
    if scalar:
        return mean[0], var[0]
    return mean, var
