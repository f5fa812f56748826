"""Distributions over time: flows from a random start, and the Bayesian posterior.
Introduced in the chapter on the Bayesian view over time (``book/bayes_over_time.ipynb``). Both
are spreads of a Gaussian crowd of starts through one spectrum
(:meth:`gflow_lib.spectrum.Spectrum.spread`): the flow's crowd is
``Spectrum(X, y).path(Flow(), prior_mean)``, the posterior the path of
:class:`~gflow_lib.Ridge` from 0 at the penalty ``sigma_sq / sigma_sq_p``."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _docs
from . import _validation as v
from .spectrum import Flow, Ridge, Spectrum

__all__ = ["Posterior", "Prediction", "ensemble_params", "posterior_distribution",
           "posterior_predictive", "prediction_distribution", "sample_then_optimize"]


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


@_docs.fill
def prediction_distribution(X, y, X_new, t, prior_mean, prior_cov) -> Prediction:
    r"""Mean and variance of predictions at ``X_new`` when
    :math:`\phi_0 \sim N(m_0, \Sigma_0)` is trained by gradient flow for time ``t``. Introduced
    in the chapter on the Bayesian view over time. With :math:`E = e^{-X X^T t}` and
    :math:`g = (\int_0^t e^{-X X^T s}ds) X y`, :math:`\phi(t) = E\phi_0 + g`, so the model
    output (no observation noise) has

    .. math:: \text{mean} = X_*^T (E m_0 + g), \qquad
        \text{var} = \operatorname{diag}(X_*^T E \Sigma_0 E^T X_*).

    Parameters
    ----------
    %(X_y)s
    %(X_new)s
    %(t)s
    prior_mean, prior_cov : array_like, shapes (D,) and (D, D)
        Mean (None: zeros) and covariance (symmetric positive semidefinite) of the starts.

    Returns
    -------
    Prediction
        ``mean`` and ``var``, each (M,) for scalar ``t``, (T, M) for an array.
    """
    X, y, prior_mean = v.problem(X, y, prior_mean, "prior_mean")
    path = Spectrum(X, y, checked=True).path(Flow(), prior_mean)
    mean, var = path.predictive(X_new, t, prior_cov)
    _finite_or_raise((mean, var), X_new, prior_cov)
    return Prediction(mean, var)


@_docs.fill
def ensemble_params(X, y, phi0s, t):
    r"""Parameters at time(s) ``t`` of many flows at once, one per start.
    Introduced in the chapter on the Bayesian view over time (the Monte Carlo check).

    .. math:: \phi_n(t) = P_0\phi_{0,n} + V_r\big(e^{-\lambda t} V_r^T\phi_{0,n}
        + (1 - e^{-\lambda t}) z\big)

    Parameters
    ----------
    %(X_y)s
    phi0s : array_like, shape (N, D)
        One start per row.
    %(t)s

    Returns
    -------
    ndarray, shape (N, D) for scalar ``t``, (T, N, D) for an array
    """
    X, y = v.problem(X, y)
    phi0s = v.starts(phi0s, X.shape[0], "phi0s")
    if phi0s.ndim != 2:
        raise ValueError(f"phi0s must be a 2-D array of shape (N, D) = (N, {X.shape[0]}), one "
                         f"initial parameter vector per row; got shape {phi0s.shape}")
    return Spectrum(X, y, checked=True).path(Flow(), phi0s).params(t)


def _posterior(X, y, sigma_sq, sigma_sq_p):
    """Spectrum, ridge filter at p = sigma_sq / sigma_sq_p, posterior mean, the variances."""
    X, y = v.problem(X, y)
    s2, sp2, p = v.noise_and_prior(sigma_sq, sigma_sq_p)
    spec = Spectrum(X, y, checked=True)
    filt = spec.filter_at(Ridge(), np.array([p]))
    return spec, filt, spec.path(Ridge()).params(p), s2, sp2


@_docs.fill
def posterior_distribution(X, y, sigma_sq, sigma_sq_p) -> Posterior:
    r"""Posterior of the parameters under the prior :math:`N(0, \sigma_p^2 I)` and noise
    :math:`y = X^T\phi + \epsilon`, :math:`\epsilon \sim N(0, \sigma^2 I)`. Introduced in the
    chapter on the Bayesian view over time. The covariance is a sum of
    non-negative terms per mode (no inverse):

    .. math:: \Sigma = \sigma^2 (X X^T + p I)^{-1}
        = \sigma_p^2\big(P_0 + V_r \operatorname{diag}\big(\tfrac{p}{\lambda + p}\big) V_r^T\big),
        \quad p = \frac{\sigma^2}{\sigma_p^2}, \qquad \mu = \phi_{MAP}

    Parameters
    ----------
    %(X_y)s
    %(sigma_sq_both)s

    Returns
    -------
    Posterior
        ``mean`` (D,) and ``cov`` (D, D).
    """
    spec, filt, mean, _, sp2 = _posterior(X, y, sigma_sq, sigma_sq_p)
    Vr = spec.range_basis
    cov = sp2 * (spec.null_part(np.eye(spec.D)) + (Vr * filt.keep[0]) @ Vr.T)
    return Posterior(mean, 0.5 * (cov + cov.T))


@_docs.fill
def posterior_predictive(X, y, X_new, sigma_sq, sigma_sq_p, noisy=False) -> Prediction:
    r"""Mean and variance of the posterior predictions at ``X_new``. Introduced in the chapter on
    the Bayesian view over time. With :math:`\mu, \Sigma` of
    :func:`posterior_distribution` (not formed):

    .. math:: \text{mean} = X_*^T \mu, \qquad \text{var} = \operatorname{diag}(X_*^T \Sigma X_*)
        \; (+\, \sigma^2 \text{ if noisy})

    Parameters
    ----------
    %(X_y)s
    %(X_new)s
    %(sigma_sq_both)s
    noisy : bool
        Add :math:`\sigma^2` (a new observation rather than the model output).

    Returns
    -------
    Prediction
        ``mean`` and ``var``, each (M,).
    """
    if not isinstance(noisy, (bool, np.bool_)):
        raise TypeError(f"noisy must be True or False; got {v.describe(noisy)}")
    spec, filt, mean, s2, sp2 = _posterior(X, y, sigma_sq, sigma_sq_p)
    X_new = v.new_inputs(X_new, spec.D)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = mean @ X_new
        var = spec.spread(X_new, np.sqrt(filt.keep), sp2)[0]
    _finite_or_raise((mean, var), X_new, np.float64(sp2))
    var = np.maximum(var, 0.0)
    return Prediction(mean, var + s2 if noisy else var)


@_docs.fill
def sample_then_optimize(X, y, sigma_sq, sigma_sq_p, n_samples, seed=0):
    r"""Exact samples of the posterior: train random starts on randomly perturbed targets,
    each with a penalty that pulls it back toward its own start. Introduced in the chapter on
    the Bayesian view over time. For a start
    :math:`\tilde\phi \sim N(0, \sigma_p^2 I)` and a perturbation
    :math:`\epsilon \sim N(0, \sigma^2 I)` the minimiser of

    .. math:: \tfrac12\lVert X^T\phi - (y + \epsilon)\rVert^2
        + \tfrac{p}{2}\lVert \phi - \tilde\phi\rVert^2, \qquad p = \sigma^2/\sigma_p^2,

    (where gradient flow on that loss ends) is Gaussian with mean :math:`\phi_{MAP}` and
    covariance :math:`\sigma^2(XX^T + pI)^{-1}`: a draw from :func:`posterior_distribution`
    (Papandreou and Yuille 2010; Matthews et al. 2017).

    Parameters
    ----------
    %(X_y)s
    %(sigma_sq_both)s
    n_samples, seed : int
        N >= 1 samples; seed of ``numpy.random.default_rng``, starts (N, D) drawn first.

    Returns
    -------
    ndarray, shape (N, D)
        One posterior sample per row.
    """
    X, y = v.problem(X, y)
    s2, sp2, p = v.noise_and_prior(sigma_sq, sigma_sq_p)
    n = v.non_negative_int(n_samples, "n_samples")
    if n < 1:
        raise ValueError(f"n_samples must be at least 1; got {n}")
    rng = np.random.default_rng(v.non_negative_int(seed, "seed"))
    D, I = X.shape
    starts = rng.normal(0.0, np.sqrt(sp2), size=(n, D))
    targets = y + rng.normal(0.0, np.sqrt(s2), size=(n, I))
    with np.errstate(over="ignore", invalid="ignore"):
        # Each sample is ridge toward its own start on its own targets: one ridge path per
        # sample, all through one spectrum of X (targets enter linearly, as X y).
        spec = Spectrum(X, checked=True)
        pull = spec.coords((targets - starts @ X) @ X.T)  # V_r^T X (y + eps - X^T phi~)
        out = starts + spec.expand(pull * (spec.filter_at(Ridge(), np.array([p])).gain[0]
                                           / spec.lam))
    if not np.all(np.isfinite(out)):
        raise ValueError(
            "X, y, sigma_sq and sigma_sq_p must be small enough for the samples to be finite; "
            f"got max |X| = {float(np.max(np.abs(X))):.3g}, max |y| = "
            f"{float(np.max(np.abs(y))):.3g}, sigma_sq_p = {sp2!r}"
        )
    return out
