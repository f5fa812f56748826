r"""Early stopping as regularization: gradient flow against ridge regression.
Introduced in the chapter on ML vs MAP (``book/ml_vs_map.ipynb``). Per eigen-mode the flow goes
the fraction :math:`1 - e^{-\lambda t}` of the way to the least-squares solution and ridge
:math:`\lambda/(\lambda + \mu)`, so stopping at ``t`` acts like the penalty :math:`1/t`."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _docs
from . import _validation as v
from .spectrum import Flow, Ridge, spectrum_of

__all__ = ["AKT_CONSTANT", "ClosestTime", "RiskCurve", "closest_time", "flow_filter",
           "flow_risk", "matching_time", "ridge_filter", "ridge_risk", "variance_ratio_sup"]

#: The constant of Ali, Kolter and Tibshirani (AISTATS 2019, Theorem 1): under the
#: calibration ``lambda = 1/t`` the estimation risk of gradient flow started at 0 is at most
#: this many times that of ridge, for every ``t``, every ``X`` and every true parameter.
AKT_CONSTANT = 1.6862


class ClosestTime(NamedTuple):
    """The time ``t`` at which a flow path comes closest to a target, and the ``distance``."""

    t: float
    distance: float


class RiskCurve(NamedTuple):
    """Estimation risk split into squared bias and variance, each of shape (T,) or (L,)."""

    bias_sq: np.ndarray
    variance: np.ndarray
    risk: np.ndarray


def _gain(filt, lam, at, batch, name):
    lam = v.eigenvalues(lam)
    at, scalar = batch(at, name)
    return v.unbatch(filt(lam, at).gain, scalar)


@_docs.fill
def flow_filter(lam, t):
    r"""The fraction of the way to the least-squares solution that the flow has gone, per mode.
    Introduced in the chapter on ML vs MAP.

    .. math:: F(\lambda, t) = 1 - e^{-\lambda t}

    Parameters
    ----------
    %(lam)s
    %(t)s

    Returns
    -------
    ndarray, shape (K,) for scalar ``t``, (T, K) for an array
    """
    return _gain(Flow(), lam, t, v.times, "t")


@_docs.fill
def ridge_filter(lam, penalty):
    r"""The fraction of the way to the least-squares solution that ridge goes, per mode.
    Introduced in the chapter on ML vs MAP.

    .. math:: R(\lambda, \mu) = \frac{\lambda}{\lambda + \mu}

    Parameters
    ----------
    %(lam)s
    %(penalty)s

    Returns
    -------
    ndarray, shape (K,) for scalar ``penalty``, (L, K) for an array
    """
    return _gain(Ridge(), lam, penalty, v.penalties, "penalty")


@_docs.fill
def matching_time(lam, penalty):
    r"""The time at which the flow filter of each eigen-direction equals the ridge filter.
    Introduced in the chapter on ML vs MAP. Its limit for the weakest directions is :math:`1/\mu`:

    .. math:: t_k = \frac{\ln(1 + \lambda_k/\mu)}{\lambda_k} \;\le\; \frac{1}{\mu}

    Parameters
    ----------
    %(lam)s
    penalty : float

    Returns
    -------
    ndarray, shape (K,)
    """
    lam = v.eigenvalues(lam)
    pen, scalar = v.penalties(penalty)
    if not scalar:
        raise ValueError(f"penalty must be a scalar; got an array of shape {pen.shape}")
    mu = pen[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(lam > 0, np.log1p(lam / mu) / np.where(lam > 0, lam, 1.0), 1.0 / mu)


@_docs.fill
def closest_time(X, y, target, phi0=None, t_min=1e-3, t_max=1e4, n_grid=801):
    r"""The time at which the gradient-flow path comes closest to a target point.
    Introduced in the chapter on ML vs MAP. The best point of a log-spaced grid is refined by
    ``scipy.optimize.minimize_scalar`` between its neighbours (the global minimum).

    .. math:: t^\star = \arg\min_{t_{\min} \le t \le t_{\max}} \lVert \phi(t) - \phi_{target}\rVert

    Parameters
    ----------
    %(X_or_spectrum)s
    %(y_or_none)s
    target : array_like, shape (D,)
    %(phi0)s
    t_min, t_max : float
        The search interval, ``0 < t_min < t_max``.
    n_grid : int
        Points of the search grid, >= 3.

    Returns
    -------
    ClosestTime
    """
    import scipy.optimize  # only here and in variance_ratio_sup: not on import gflow_lib

    path = spectrum_of(X, y).path(Flow(), phi0)
    target = v.vector(target, "target", path.D, what=v.ROW)
    t_min = v.positive_scalar(t_min, "t_min")
    t_max = v.positive_scalar(t_max, "t_max")
    if not t_max > t_min:
        raise ValueError(f"t_max must be larger than t_min; got t_min={t_min!r}, t_max={t_max!r}")
    n_grid = v.non_negative_int(n_grid, "n_grid")
    if n_grid < 3:
        raise ValueError(f"n_grid must be at least 3; got {n_grid}")
    spec = path.spectrum
    (a, null), z = spec.split(path.phi0), spec.solution_coords

    def dist(log_t):  # times from the grid and the optimiser: finite, checked once above
        gain, keep = spec.filter_at(Flow(), np.exp(np.atleast_1d(log_t)))
        return np.linalg.norm(spec.expand(keep * a + gain * z) + null - target, axis=-1)

    s = np.linspace(np.log(t_min), np.log(t_max), n_grid)
    d = dist(s)
    i = int(np.argmin(d))
    res = scipy.optimize.minimize_scalar(
        lambda u: float(dist(u)[0]), bounds=(s[max(i - 1, 0)], s[min(i + 1, n_grid - 1)]),
        method="bounded", options={"xatol": 1e-10})
    if res.fun <= d[i]:
        return ClosestTime(float(np.exp(res.x)), float(res.fun))
    return ClosestTime(float(np.exp(s[i])), float(d[i]))


def _risk(X, beta0, sigma_sq, start, start_name, at, batch, filt, name):
    """Bias, variance and risk of the estimator moving ``start`` by ``filt(lam, at)``."""
    spec = spectrum_of(X)
    D = spec.D
    beta0 = v.vector(beta0, "beta0", D, (D, spec.I), v.ROW)
    s2 = v.positive_scalar(sigma_sq, "sigma_sq")
    start = v.start(start, D, start_name)
    a, null = spec.split(start - beta0)
    at, scalar = batch(at, name)
    gain, keep = spec.filter_at(filt, at)  # (T, r)
    bias_sq = (keep * keep) @ (a * a) + float(null @ null)
    variance = s2 * (gain * gain) @ (1.0 / spec.lam)
    return v.unbatch(RiskCurve(bias_sq, variance, bias_sq + variance), scalar)


@_docs.fill
def flow_risk(X, beta0, sigma_sq, t, phi0=None):
    r"""Exact estimation risk :math:`E\lVert\phi(t) - \beta_0\rVert^2` of gradient flow over the
    noise, for :math:`y = X^T\beta_0 + \varepsilon`,
    :math:`\operatorname{Cov}\varepsilon = \sigma^2 I`. Introduced in the chapter on ML vs MAP.

    .. math:: \operatorname{Bias}^2(t)
        = \sum_k e^{-2\lambda_k t}\big(v_k^T(\phi_0 - \beta_0)\big)^2, \qquad
        \operatorname{Var}(t) = \sigma^2 \sum_{\lambda_k > 0} (1 - e^{-\lambda_k t})^2 / \lambda_k

    Parameters
    ----------
    %(X_or_spectrum)s
    beta0 : array_like, shape (D,)
        The true parameters.
    %(sigma_sq)s
    %(t)s
    %(phi0)s

    Returns
    -------
    RiskCurve
        Floats for scalar ``t``, else arrays of shape (T,).
    """
    return _risk(X, beta0, sigma_sq, phi0, "phi0", t, v.times, Flow(), "t")


@_docs.fill
def ridge_risk(X, beta0, sigma_sq, penalty, center=None):
    r"""Exact estimation risk of ridge regression toward ``center``, as :func:`flow_risk`.
    Introduced in the chapter on ML vs MAP.

    .. math:: \operatorname{Bias}^2(\mu) = \sum_k \Big(\frac{\mu}{\lambda_k + \mu}\Big)^2
        \big(v_k^T(c - \beta_0)\big)^2, \qquad
        \operatorname{Var}(\mu) = \sigma^2 \sum_k \frac{\lambda_k}{(\lambda_k + \mu)^2}

    Parameters
    ----------
    %(X)s
    beta0 : array_like, shape (D,)
    %(sigma_sq)s
    %(penalty)s
    center : array_like, shape (D,), optional

    Returns
    -------
    RiskCurve
        Floats for scalar ``penalty``, else arrays of shape (L,).
    """
    return _risk(X, beta0, sigma_sq, center, "center", penalty, v.penalties, Ridge(),
                 "penalty")


def variance_ratio_sup():
    r"""The largest ratio, over one eigen-direction, of the flow's variance at time ``t`` to
    ridge's at penalty ``1/t``: it bounds the risk ratio. Introduced in the chapter on ML vs MAP.

    .. math:: \sup_{x > 0} \Big(\frac{(1 - e^{-x})(1 + x)}{x}\Big)^2, \qquad x = \lambda_k t

    Returns
    -------
    x_star, value : float, float
        Where the supremum is attained (by ``minimize_scalar``) and its value.
    """
    import scipy.optimize  # not on import gflow_lib

    res = scipy.optimize.minimize_scalar(lambda x: -((-np.expm1(-x)) * (1.0 + x) / x) ** 2,
                                         bounds=(1e-3, 50.0), method="bounded",
                                         options={"xatol": 1e-12})
    return float(res.x), float(-res.fun)
