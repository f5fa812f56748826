r"""Early stopping as regularization: gradient flow against ridge regression.

Introduced in the chapter on ML vs MAP (``book/ml_vs_map.ipynb``).

In the eigenbasis :math:`A = X X^T = V \operatorname{diag}(\lambda_k) V^T`, the flow started at
``phi0`` and ridge regression that shrinks toward a centre ``c`` both move a fraction of the
way from their start to the least-squares solution :math:`\phi^*`, mode by mode:

.. math::

    v_k^T\phi(t) = v_k^T\phi_0 + \big(1 - e^{-\lambda_k t}\big)\, v_k^T(\phi^* - \phi_0),
    \qquad
    v_k^T\phi_\mu = v_k^T c + \frac{\lambda_k}{\lambda_k + \mu}\, v_k^T(\phi^* - c).

The two filters agree when :math:`\lambda_k t` is small or large, so stopping at time ``t``
behaves like the penalty :math:`\mu \approx 1/t`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.optimize

from . import _validation as v
from .flow import LinearFlow
from .spectrum import Spectrum, filter_flow, filter_ridge

__all__ = [
    "AKT_CONSTANT",
    "ClosestTime",
    "RiskCurve",
    "closest_time",
    "flow_filter",
    "flow_risk",
    "matching_time",
    "ridge_filter",
    "ridge_risk",
    "variance_ratio_sup",
]

#: The constant of Ali, Kolter and Tibshirani (AISTATS 2019, Theorem 1): under the
#: calibration ``lambda = 1/t`` the estimation risk of gradient flow started at 0 is at most
#: this many times that of ridge, for every ``t``, every ``X`` and every true parameter.
AKT_CONSTANT = 1.6862


class ClosestTime(NamedTuple):
    """Where a flow path comes closest to a target point."""

    t: float
    """The time of closest approach."""
    distance: float
    """The Euclidean distance ``||phi(t) - target||`` at that time."""


class RiskCurve(NamedTuple):
    """Estimation risk split into squared bias and variance, each of shape (T,) or (L,)."""

    bias_sq: np.ndarray
    variance: np.ndarray
    risk: np.ndarray


def flow_filter(lam, t):
    r"""The fraction of the way to the least-squares solution that gradient flow has travelled
    along each eigen-direction.

    Introduced in the chapter on ML vs MAP.

    .. math::

        F(\lambda, t) = 1 - e^{-\lambda t}

    Parameters
    ----------
    lam : array_like, shape (K,)
        Non-negative eigenvalues of :math:`X X^T`.
    t : float or array_like, shape (T,)
        Non-negative times.

    Returns
    -------
    ndarray, shape (K,) for scalar ``t``, (T, K) for an array
        Computed with ``expm1``, so tiny :math:`\lambda t` keeps its digits.
    """
    lam = v.eigenvalues(lam)
    tt, scalar = v.times(t)
    return v.unbatch(filter_flow(lam, tt).gain, scalar)


def ridge_filter(lam, penalty):
    r"""The fraction of the way to the least-squares solution that ridge regression goes along
    each eigen-direction.

    Introduced in the chapter on ML vs MAP.

    .. math::

        R(\lambda, \mu) = \frac{\lambda}{\lambda + \mu}

    Parameters
    ----------
    lam : array_like, shape (K,)
        Non-negative eigenvalues of :math:`X X^T`.
    penalty : float or array_like, shape (L,)
        Positive ridge penalties :math:`\mu`.

    Returns
    -------
    ndarray, shape (K,) for scalar ``penalty``, (L, K) for an array
    """
    lam = v.eigenvalues(lam)
    pen, scalar = v.penalties(penalty)
    return v.unbatch(filter_ridge(lam, pen).gain, scalar)


def matching_time(lam, penalty):
    r"""The time at which the flow filter of each eigen-direction equals the ridge filter.

    Introduced in the chapter on ML vs MAP.

    Solving :math:`1 - e^{-\lambda t} = \lambda / (\lambda + \mu)` for ``t``:

    .. math::

        t_k = \frac{\ln(1 + \lambda_k/\mu)}{\lambda_k} \;\le\; \frac{1}{\mu},
        \qquad t_k \to \frac1\mu \text{ as } \lambda_k \to 0.

    Parameters
    ----------
    lam : array_like, shape (K,)
        Non-negative eigenvalues.
    penalty : float
        Positive ridge penalty :math:`\mu`.

    Returns
    -------
    ndarray, shape (K,)
        The calibration :math:`t = 1/\mu` is exact only for the weakest directions.
    """
    lam = v.eigenvalues(lam)
    pen, scalar = v.penalties(penalty)
    if not scalar:
        raise ValueError(f"penalty must be a scalar; got an array of shape {pen.shape}")
    mu = pen[0]
    x = lam / mu
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(lam > 0, np.log1p(x) / np.where(lam > 0, lam, 1.0), 1.0 / mu)
    return out


def closest_time(X, y, target, phi0=None, t_min=1e-3, t_max=1e4, n_grid=801):
    r"""The time at which the gradient-flow path comes closest to a target point.

    Introduced in the chapter on ML vs MAP (when is the flow closest to the MAP solution?).

    .. math::

        t^\star = \arg\min_{t_{\min} \le t \le t_{\max}} \lVert \phi(t) - \phi_{target}\rVert

    The distance is evaluated on a log-spaced grid (one vectorized call), and the best grid
    point is refined by ``scipy.optimize.minimize_scalar`` over :math:`\log t` between its two
    neighbours, so a path with several local minima still returns the global one.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    target : array_like, shape (D,)
        The point to approach, e.g. the MAP solution.
    phi0 : array_like, shape (D,), optional
        Start of the flow (default 0).
    t_min, t_max : float
        The search interval, ``0 < t_min < t_max``.
    n_grid : int
        Points of the log-spaced search grid (at least 3).

    Returns
    -------
    ClosestTime
        ``t`` and ``distance``.
    """
    X = v.design_matrix(X)
    D = X.shape[0]
    phi0 = np.zeros(D) if phi0 is None else phi0
    flow = LinearFlow(X, y, phi0)
    target = v.vector(target, "target", D, what=" (one entry per row of X)")
    t_min = v.positive_scalar(t_min, "t_min")
    t_max = v.positive_scalar(t_max, "t_max")
    if not t_max > t_min:
        raise ValueError(f"t_max must be larger than t_min; got t_min={t_min!r}, t_max={t_max!r}")
    n_grid = v.non_negative_int(n_grid, "n_grid")
    if n_grid < 3:
        raise ValueError(f"n_grid must be at least 3; got {n_grid}")

    def dist(log_t):
        return np.linalg.norm(flow.params(np.exp(np.atleast_1d(log_t))) - target, axis=-1)

    s = np.linspace(np.log(t_min), np.log(t_max), n_grid)
    d = dist(s)
    i = int(np.argmin(d))
    lo, hi = s[max(i - 1, 0)], s[min(i + 1, n_grid - 1)]
    res = scipy.optimize.minimize_scalar(
        lambda u: float(dist(u)[0]), bounds=(lo, hi), method="bounded", options={"xatol": 1e-10}
    )
    if res.fun <= d[i]:
        return ClosestTime(float(np.exp(res.x)), float(res.fun))
    return ClosestTime(float(np.exp(s[i])), float(d[i]))


def _risk_setup(X, beta0, sigma_sq, start, start_name):
    """The spectrum of X, the start's offset from beta0 in the modes and the squared norm of
    its null-space part (which no filter moves), and the noise variance."""
    X = v.design_matrix(X)
    D = X.shape[0]
    b = v.as_real_array(beta0, "beta0")
    if b.ndim == 1 and b.shape[0] == X.shape[1] != D:
        raise ValueError(
            f"beta0 must have length {D} (one entry per row of X); got length {b.shape[0]}. "
            f"X has shape {X.shape}: its columns must be the data points (shape (D, I)); "
            f"did you pass X transposed?"
        )
    beta0 = v.vector(b, "beta0", D, what=" (one entry per row of X)")
    s2 = v.positive_scalar(sigma_sq, "sigma_sq")
    start = np.zeros(D) if start is None else v.vector(
        start, start_name, D, what=" (one entry per row of X)")
    spec = Spectrum(X, checked=True)
    a, null = spec.split(start - beta0)
    return spec, a * a, float(null @ null), s2


def _risk(bias_sq, variance, scalar):
    return v.unbatch(RiskCurve(bias_sq, variance, bias_sq + variance), scalar)


def flow_risk(X, beta0, sigma_sq, t, phi0=None):
    r"""Exact estimation risk of gradient flow, :math:`E\lVert\phi(t) - \beta_0\rVert^2`, over
    the noise, for data :math:`y = X^T\beta_0 + \varepsilon` with :math:`E\varepsilon = 0`,
    :math:`\operatorname{Cov}\varepsilon = \sigma^2 I` and ``X`` fixed.

    Introduced in the chapter on ML vs MAP (early stopping and ridge, quantitatively).

    .. math::

        \operatorname{Bias}^2(t) = \sum_k e^{-2\lambda_k t}\big(v_k^T(\phi_0 - \beta_0)\big)^2,
        \qquad
        \operatorname{Var}(t) = \sigma^2 \sum_{\lambda_k > 0}
            \frac{(1 - e^{-\lambda_k t})^2}{\lambda_k}.

    Parameters
    ----------
    X : array_like, shape (D, I)
    beta0 : array_like, shape (D,)
        The true parameters.
    sigma_sq : float
        Noise variance, > 0.
    t : float or array_like, shape (T,)
        Non-negative times.
    phi0 : array_like, shape (D,), optional
        Start of the flow (default 0, as in Ali, Kolter and Tibshirani).

    Returns
    -------
    RiskCurve
        ``bias_sq``, ``variance`` and ``risk``: floats for scalar ``t``, else shape (T,).
    """
    spec, d_sq, null_sq, s2 = _risk_setup(X, beta0, sigma_sq, phi0, "phi0")
    tt, scalar = v.times(t)
    gain, keep = filter_flow(spec.lam, tt)  # (T, r)
    return _risk((keep * keep) @ d_sq + null_sq, s2 * (gain * gain) @ (1.0 / spec.lam), scalar)


def ridge_risk(X, beta0, sigma_sq, penalty, center=None):
    r"""Exact estimation risk of ridge regression (shrinking toward ``center``), over the
    noise, for data :math:`y = X^T\beta_0 + \varepsilon` as in :func:`flow_risk`.

    Introduced in the chapter on ML vs MAP (early stopping and ridge, quantitatively).

    .. math::

        \operatorname{Bias}^2(\mu) = \sum_k \Big(\frac{\mu}{\lambda_k + \mu}\Big)^2
            \big(v_k^T(c - \beta_0)\big)^2,
        \qquad
        \operatorname{Var}(\mu) = \sigma^2 \sum_k \frac{\lambda_k}{(\lambda_k + \mu)^2}.

    Parameters
    ----------
    X : array_like, shape (D, I)
    beta0 : array_like, shape (D,)
    sigma_sq : float
        Noise variance, > 0.
    penalty : float or array_like, shape (L,)
        Positive penalties :math:`\mu`.
    center : array_like, shape (D,), optional
        The point ridge shrinks toward (default 0).

    Returns
    -------
    RiskCurve
        Floats for scalar ``penalty``, else arrays of shape (L,).
    """
    spec, d_sq, null_sq, s2 = _risk_setup(X, beta0, sigma_sq, center, "center")
    pen, scalar = v.penalties(penalty)
    gain, keep = filter_ridge(spec.lam, pen)  # (L, r)
    return _risk((keep * keep) @ d_sq + null_sq, s2 * (gain * gain) @ (1.0 / spec.lam), scalar)


def variance_ratio_sup():
    r"""The largest ratio, over one eigen-direction, of the flow's variance at time ``t`` to
    ridge's variance at penalty ``1/t``; its value bounds the risk ratio.

    Introduced in the chapter on ML vs MAP.

    .. math::

        \sup_{x > 0} \Big(\frac{(1 - e^{-x})(1 + x)}{x}\Big)^2, \qquad x = \lambda_k t.

    Returns
    -------
    x_star, value : float, float
        Where the supremum is attained and its value (found by ``minimize_scalar``).
    """

    def neg(x):
        return -((-np.expm1(-x)) * (1.0 + x) / x) ** 2

    res = scipy.optimize.minimize_scalar(neg, bounds=(1e-3, 50.0), method="bounded",
                                         options={"xatol": 1e-12})
    return float(res.x), float(-res.fun)
