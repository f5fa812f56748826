r"""Distributions over time: predictions when the start of the flow is random.

Introduced in the chapter on the Bayesian view over time (``book/bayes_over_time.ipynb``).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from . import _validation as v
from .flow import LinearFlow, _factors

__all__ = [
    "ensemble_params",
    "posterior_distribution",
    "posterior_predictive",
    "prediction_distribution",
]


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
    a sum of non-cancelling terms, evaluated for all times at once (one matrix product for
    the quadratic term); on the range of X it decays to 0 up to rounding (about 1e-31 for
    the seed data at large t) and negative rounding is clipped. Cost O(T r^2 M) for rank r.
    """
    X = v.design_matrix(X)
    prior_mean = v.vector(prior_mean, "prior_mean", X.shape[0], what=" (one entry per row of X)")
    flow = LinearFlow(X, y, prior_mean)
    D = flow.D
    X_new = v.new_inputs(X_new, D)
    S = v.covariance(prior_cov, D)
    tt, scalar = v.times(t)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
        mean = flow.predict(X_new, tt)
        Vr, lam = flow._range_basis()
        e, _ = _factors(lam, tt)  # (T, r)
        Y = Vr.T @ X_new  # (r, M)
        N = X_new - Vr @ Y  # null-space part of the inputs, (D, M)
        SN = S @ N
        null_var = np.einsum("dm,dm->m", N, SN)
        cross = 2.0 * Y * (Vr.T @ SN)  # (r, M)
        G = Vr.T @ S @ Vr  # (r, r)
        Q = np.einsum("jm,jk,km->jkm", Y, G, Y).reshape(-1, Y.shape[1])  # (r*r, M)
        # sum_jk e_tj e_tk Q_jkm as one matrix product; then the other terms in place
        var = (e[:, :, None] * e[:, None, :]).reshape(len(tt), -1) @ Q
        var += e @ cross
        var += null_var
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(var))):
        raise ValueError(
            "X_new, prior_mean and prior_cov must be small enough for the predictions and "
            f"their variance to be finite; got max |X_new| = {float(np.max(np.abs(X_new))):.3g}, "
            f"max |prior_cov| = {float(np.max(np.abs(S))):.3g}, which overflow"
        )
    np.maximum(var, 0.0, out=var)  # PSD quadratic form; clip rounding below zero
    if scalar:
        return mean[0], var[0]
    return mean, var


def ensemble_params(X, y, phi0s, t):
    r"""Parameters at time(s) ``t`` of many flows at once, one per initial parameter vector.

    Introduced in the chapter on the Bayesian view over time (the Monte Carlo check).

    The flow is affine in its start, :math:`\phi(t) = E\phi_0 + c` with
    :math:`E = e^{-At}` and :math:`c = (\int_0^t e^{-As}ds)\,X y`, so a whole batch of
    starts costs one decomposition and one matrix product:

    .. math::

        \phi_n(t) = c(t) + \phi_{0,n} - V_r \operatorname{diag}(1 - e^{-\lambda t})
        V_r^T \phi_{0,n},

    with :math:`V_r` an orthonormal basis of the range of X and :math:`\lambda` the nonzero
    eigenvalues of :math:`A = X X^T`.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    phi0s : array_like, shape (N, D)
        One initial parameter vector per row.
    t : float or array_like, shape (T,)
        Non-negative finite times.

    Returns
    -------
    ndarray, shape (N, D) for scalar ``t``, (T, N, D) for an array
    """
    X = v.design_matrix(X)
    D = X.shape[0]
    phi0s = v.as_real_array(phi0s, "phi0s")
    if phi0s.ndim != 2 or phi0s.shape[1] != D:
        msg = (
            f"phi0s must be a 2-D array of shape (N, D) = (N, {D}), one initial parameter "
            f"vector per row; got shape {phi0s.shape}"
        )
        if phi0s.ndim == 2 and phi0s.shape[0] == D:
            msg += "; did you pass phi0s transposed?"
        raise ValueError(msg)
    v.check_finite(phi0s, "phi0s")
    flow = LinearFlow(X, y, np.zeros(D))
    tt, scalar = v.times(t)
    c = flow.params(tt)  # (T, D): the flow from 0
    Vr, lam = flow._range_basis()
    with np.errstate(over="ignore", under="ignore"):
        gone = -np.expm1(-np.multiply.outer(tt, lam))  # (T, r): 1 - e^{-lambda t}
    coords = phi0s @ Vr  # (N, r)
    out = c[:, None, :] + phi0s[None, :, :] - (gone[:, None, :] * coords[None]) @ Vr.T
    return out[0] if scalar else out


def _noise_and_prior(sigma_sq, sigma_sq_p):
    return v.positive_scalar(sigma_sq, "sigma_sq"), v.positive_scalar(sigma_sq_p, "sigma_sq_p")


def posterior_distribution(X, y, sigma_sq, sigma_sq_p):
    r"""Bayesian posterior of the parameters under the prior
    :math:`\phi \sim N(0, \sigma_p^2 I)` and noise :math:`y = X^T\phi + \epsilon`,
    :math:`\epsilon \sim N(0, \sigma^2 I)`.

    Introduced in the chapter on the Bayesian view over time.

    .. math::

        \Sigma = \sigma^2 (X X^T + \lambda I)^{-1}, \quad
        \lambda = \frac{\sigma^2}{\sigma_p^2}, \qquad
        \mu = \frac{1}{\sigma^2}\Sigma X y = \phi_{MAP}.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    sigma_sq : float
        Noise variance :math:`\sigma^2`, > 0.
    sigma_sq_p : float
        Prior variance :math:`\sigma_p^2` of each parameter, > 0.

    Returns
    -------
    mean : ndarray, shape (D,)
    cov : ndarray, shape (D, D)
        Symmetric positive definite.

    Notes
    -----
    For D <= I a Cholesky factorization of the D x D matrix; for D > I the same covariance
    in the I x I (Woodbury) form
    :math:`\Sigma = \sigma_p^2 (I - X (X^T X + \lambda I)^{-1} X^T)`.
    """
    X = v.design_matrix(X)
    v.check_finite(X, "X")
    D, n_data = X.shape
    y = v.vector(y, "y", n_data, X.shape, " (one target per column of X)")
    s2, sp2 = _noise_and_prior(sigma_sq, sigma_sq_p)
    lam = s2 / sp2
    if D <= n_data:
        cf = scipy.linalg.cho_factor(X @ X.T + lam * np.eye(D))
        cov = s2 * scipy.linalg.cho_solve(cf, np.eye(D))
        mean = scipy.linalg.cho_solve(cf, X @ y)
    else:
        cf = scipy.linalg.cho_factor(X.T @ X + lam * np.eye(n_data))
        cov = sp2 * (np.eye(D) - X @ scipy.linalg.cho_solve(cf, X.T))
        mean = X @ scipy.linalg.cho_solve(cf, y)
    # The mean is solved for directly, not as Sigma X y / sigma^2, which would amplify the
    # rounding of Sigma when sigma^2 is tiny.
    cov = 0.5 * (cov + cov.T)
    return mean, cov


def posterior_predictive(X, y, X_new, sigma_sq, sigma_sq_p, noisy=False):
    r"""Mean and variance of the Bayesian posterior predictions at new inputs.

    Introduced in the chapter on the Bayesian view over time.

    .. math::

        \text{mean} = X_*^T \mu, \qquad
        \text{var} = \operatorname{diag}(X_*^T \Sigma X_*) \; (+\, \sigma^2
        \text{ for a noisy observation}),

    with :math:`\mu, \Sigma` from :func:`posterior_distribution`.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    X_new : array_like, shape (D, M)
        New inputs as columns.
    sigma_sq, sigma_sq_p : float
        Noise variance and prior variance, > 0.
    noisy : bool
        ``False``: the variance of the model output :math:`X_*^T\phi`.
        ``True``: of a new noisy observation, which adds :math:`\sigma^2`.

    Returns
    -------
    mean, var : ndarray, each of shape (M,)
    """
    if not isinstance(noisy, (bool, np.bool_)):
        raise TypeError(f"noisy must be True or False; got {type(noisy).__name__} {noisy!r}")
    mean_phi, cov = posterior_distribution(X, y, sigma_sq, sigma_sq_p)
    X_new = v.new_inputs(X_new, mean_phi.shape[0])
    mean = mean_phi @ X_new
    var = np.einsum("dm,dk,km->m", X_new, cov, X_new)
    var = np.maximum(var, 0.0)
    if noisy:
        var = var + float(sigma_sq)
    return mean, var
