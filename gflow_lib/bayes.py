r"""Distributions over time: predictions when the start of the flow is random, and the
Bayesian posterior they are contrasted with.

Introduced in the chapter on the Bayesian view over time (``book/bayes_over_time.ipynb``).

Both are spreads of a Gaussian crowd through one spectrum
(:meth:`gflow_lib.spectrum.Spectrum.spread`): the flow from
:math:`\phi_0 \sim N(\mu_0, \Sigma_0)` keeps the fraction :math:`e^{-\lambda t}` of each mode,
and the posterior covariance is :math:`\sigma_p^2(P_0 + V_r \operatorname{diag}(\kappa)
V_r^T)` with the ridge filter's kept fraction :math:`\kappa = p/(\lambda + p)`, the spread of
an isotropic crowd that keeps :math:`\sqrt{\kappa}`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validation as v
from .spectrum import Spectrum, filter_flow, filter_ridge

__all__ = [
    "Posterior",
    "Prediction",
    "ensemble_params",
    "posterior_distribution",
    "posterior_predictive",
    "prediction_distribution",
]


class Prediction(NamedTuple):
    """Mean and variance of Gaussian predictions."""

    mean: np.ndarray
    var: np.ndarray


class Posterior(NamedTuple):
    """Mean and covariance of the Gaussian posterior of the parameters."""

    mean: np.ndarray
    cov: np.ndarray


def _finite_or_raise(arrays, X_new, S):
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise ValueError(
            "X_new, prior_mean and prior_cov must be small enough for the predictions and "
            f"their variance to be finite; got max |X_new| = {float(np.max(np.abs(X_new))):.3g}, "
            f"max |prior_cov| = {float(np.max(np.abs(S))):.3g}, which overflow"
        )


def prediction_distribution(X, y, X_new, t, prior_mean, prior_cov) -> Prediction:
    r"""Mean and variance of predictions at ``X_new`` when
    :math:`\phi_0 \sim N(\mu_0, \Sigma_0)` is trained by gradient flow for time ``t``.

    Introduced in the chapter on the Bayesian view over time.

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
    Prediction
        ``mean`` and ``var``, each of shape (M,) for scalar ``t``, (T, M) for an array.

    Notes
    -----
    With :math:`E = P_0 + V_r \operatorname{diag}(e) V_r^T`, the variance is a sum of
    non-cancelling terms (:meth:`~gflow_lib.spectrum.Spectrum.spread`); it decays to 0 on the
    range of X up to rounding, and negative rounding is clipped. Memory O((r + M) D).
    """
    X, y, prior_mean = v.problem(X, y, prior_mean, "prior_mean")
    D = X.shape[0]
    X_new = v.new_inputs(X_new, D)
    S = v.covariance(prior_cov, D)
    tt, scalar = v.times(t)
    spec = Spectrum(X, y, checked=True)
    filt = filter_flow(spec.lam, tt)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = spec.params(spec.split(prior_mean), filt) @ X_new
        var = spec.spread(X_new, filt.keep, S)
    _finite_or_raise((mean, var), X_new, S)
    np.maximum(var, 0.0, out=var)  # a PSD quadratic form; clip rounding below zero
    return v.unbatch(Prediction(mean, var), scalar)


def ensemble_params(X, y, phi0s, t):
    r"""Parameters at time(s) ``t`` of many flows at once, one per initial parameter vector.

    Introduced in the chapter on the Bayesian view over time (the Monte Carlo check).

    The flow is affine in its start, so a whole batch of starts costs one decomposition and
    one matrix product:

    .. math::

        \phi_n(t) = P_0\phi_{0,n} + V_r\big(e^{-\lambda t} a_n + (1 - e^{-\lambda t}) z\big),
        \qquad a_n = V_r^T\phi_{0,n}.

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
    X, y = v.problem(X, y)
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
    tt, scalar = v.times(t)
    spec = Spectrum(X, y, checked=True)
    return v.unbatch(spec.params(spec.split(phi0s), filter_flow(spec.lam, tt)), scalar)


def _noise_and_prior(sigma_sq, sigma_sq_p):
    s2 = v.positive_scalar(sigma_sq, "sigma_sq")
    sp2 = v.positive_scalar(sigma_sq_p, "sigma_sq_p")
    return s2, sp2, v.positive_ratio(s2, sp2, "sigma_sq / sigma_sq_p")


def posterior_distribution(X, y, sigma_sq, sigma_sq_p) -> Posterior:
    r"""Bayesian posterior of the parameters under the prior
    :math:`\phi \sim N(0, \sigma_p^2 I)` and noise :math:`y = X^T\phi + \epsilon`,
    :math:`\epsilon \sim N(0, \sigma^2 I)`.

    Introduced in the chapter on the Bayesian view over time.

    .. math::

        \Sigma = \sigma^2 (X X^T + p I)^{-1}
               = \sigma_p^2\big(P_0 + V_r \operatorname{diag}\big(\tfrac{p}{\lambda + p}\big)
                 V_r^T\big), \quad
        p = \frac{\sigma^2}{\sigma_p^2}, \qquad
        \mu = \phi_{MAP}.

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
    Posterior
        ``mean`` of shape (D,) and ``cov`` of shape (D, D), symmetric positive definite.
        The covariance is a sum of non-negative terms per mode (no inverse, no
        cancellation for a tiny noise variance).
    """
    X, y = v.problem(X, y)
    _, sp2, p = _noise_and_prior(sigma_sq, sigma_sq_p)
    spec = Spectrum(X, y, checked=True)
    D = X.shape[0]
    filt = filter_ridge(spec.lam, np.array([p]))
    mean = spec.params(spec.split(np.zeros(D)), filt)[0]
    Vr = spec.range_basis
    # sigma_p^2 (P_0 + V_r diag(keep) V_r^T), keep = p / (lam + p): no cancellation
    cov = sp2 * (spec.null_part(np.eye(D)) + (Vr * filt.keep[0]) @ Vr.T)
    cov = 0.5 * (cov + cov.T)
    return Posterior(mean, cov)


def posterior_predictive(X, y, X_new, sigma_sq, sigma_sq_p, noisy=False) -> Prediction:
    r"""Mean and variance of the Bayesian posterior predictions at new inputs.

    Introduced in the chapter on the Bayesian view over time.

    .. math::

        \text{mean} = X_*^T \mu, \qquad
        \text{var} = \operatorname{diag}(X_*^T \Sigma X_*) \; (+\, \sigma^2
        \text{ for a noisy observation}),

    with :math:`\mu, \Sigma` as in :func:`posterior_distribution`, evaluated through the
    spectrum without forming :math:`\Sigma`.

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
    Prediction
        ``mean`` and ``var``, each of shape (M,).
    """
    if not isinstance(noisy, (bool, np.bool_)):
        raise TypeError(f"noisy must be True or False; got {type(noisy).__name__} {noisy!r}")
    X, y = v.problem(X, y)
    s2, sp2, p = _noise_and_prior(sigma_sq, sigma_sq_p)
    D = X.shape[0]
    X_new = v.new_inputs(X_new, D)
    spec = Spectrum(X, y, checked=True)
    filt = filter_ridge(spec.lam, np.array([p]))
    with np.errstate(over="ignore", invalid="ignore"):
        mean = spec.params(spec.split(np.zeros(D)), filt)[0] @ X_new
        var = spec.spread(X_new, np.sqrt(filt.keep), sp2)[0]
    _finite_or_raise((mean, var), X_new, np.float64(sp2))
    var = np.maximum(var, 0.0)
    if noisy:
        var = var + s2
    return Prediction(mean, var)
