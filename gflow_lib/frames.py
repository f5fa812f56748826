"""The numbers behind the book's composite figures: the loss over a window of (slope,
intercept) (:func:`loss_surface`) and the introduction's figure of four viewpoints
(:func:`four_views`). :mod:`gflow_lib.plotting` draws what these return."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _docs
from . import _validation as v
from .landscape import loss_grid
from .spectrum import Flow, SpectrumPath, spectrum_of

__all__ = ["FourViews", "LossSurface", "four_views", "loss_surface"]


class LossSurface(NamedTuple):
    """The loss on a grid: increasing ``slopes`` (S,) and ``intercepts`` (N,), and ``loss``
    (S, N) with ``loss[i, j]`` at slope ``slopes[i]`` and intercept ``intercepts[j]``."""

    slopes: np.ndarray
    intercepts: np.ndarray
    loss: np.ndarray


@_docs.fill
def loss_surface(X, y, extent=(-1.0, 1.0, -1.0, 1.0), n: int = 241) -> LossSurface:
    r"""The loss :math:`L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2` on an ``n`` x ``n`` grid over
    a window of (intercept, slope), for :func:`gflow_lib.plotting.plot_landscape`.
    Introduced in the chapter on the loss landscape (written out there with
    :func:`gflow_lib.landscape.loss_grid`, which this calls).

    Parameters
    ----------
    X : array_like, shape (2, I), or Spectrum
        Slope row, then ones; or its built :class:`~gflow_lib.Spectrum`.
    %(y_or_none)s
    extent : (intercept_min, intercept_max, slope_min, slope_max)
        The window, in the order of the plot's axes.
    n : int
        Grid points per axis, >= 2.

    Returns
    -------
    LossSurface
        ``(slopes, intercepts, loss)``.
    """
    c0, c1, s0, s1 = v.extent(extent)
    n = v.non_negative_int(n, "n")
    if n < 2:
        raise ValueError(f"n must be at least 2 grid points per axis; got {n}")
    v.size_limit(n * n, "n * n", what=" grid points")
    slopes, intercepts = np.linspace(s0, s1, n), np.linspace(c0, c1, n)
    return LossSurface(slopes, intercepts, loss_grid(X, y, slopes, intercepts))


class FourViews(NamedTuple):
    """The numbers of the introduction's figure, from :func:`four_views`: the ``flow`` from
    ``phi0``; fitted-line ``times`` (T,); the ``path`` (P, 2) from 0 to ``max(times)``; the loss
    ``surface``; random ``starts`` (N, 2) and their ``start_paths`` (N, P, 2); at ``band_times``
    (B,) the ``param_mean`` (B, 2) and ``param_cov`` (B, 2, 2) over the starts; the inputs
    ``x_new`` (M,) and the predictions' ``pred_mean``, ``pred_var`` (B, M)."""

    flow: SpectrumPath
    times: np.ndarray
    path: np.ndarray
    surface: LossSurface
    starts: np.ndarray
    start_paths: np.ndarray
    band_times: np.ndarray
    param_mean: np.ndarray
    param_cov: np.ndarray
    x_new: np.ndarray
    pred_mean: np.ndarray
    pred_var: np.ndarray


@_docs.fill
def four_views(X, y, phi0, prior_cov=None, times=(0.0, 0.1, 0.3, 2.0, 20.0),
               band_times=(0.0, 0.4, 2.0), n_samples=40, seed=0,
               extent=(-1.0, 1.0, -1.0, 1.0)) -> FourViews:
    r"""Everything the figure of four viewpoints draws, for a line fitted by gradient flow.
    Introduced in the chapter on the introduction; drawn by
    :func:`gflow_lib.plotting.plot_four_views`. The flow is affine in its start,
    :math:`\phi(t) = E\phi_0 + c(t)` with :math:`E = e^{-At}`, so Gaussian starts stay Gaussian:

    .. math:: \operatorname{E}\phi(t) = E\phi_0 + c(t), \qquad
        \operatorname{cov}\phi(t) = E\,\Sigma_0 E^T .

    Parameters
    ----------
    X : array_like, shape (2, I), or Spectrum
        Slope row, then ones; or its built :class:`~gflow_lib.Spectrum` (decomposed once).
    %(y_or_none)s
    phi0 : array_like, shape (2,), or None
        Start of the top row and mean of the random starts (None: zeros).
    prior_cov : array_like, shape (2, 2), optional
        Covariance :math:`\Sigma_0` of the random starts (default ``0.04 I``).
    times, band_times : sequences of float
        Times of the fitted lines, and of the ellipses and bands.
    n_samples : int
        Number of random starts.
    %(seed)s
    extent : (intercept_min, intercept_max, slope_min, slope_max)
        Window of the loss ``surface``, wide enough for the random starts.

    Returns
    -------
    FourViews
    """
    spec = spectrum_of(X, y)
    if spec.D != 2:
        raise ValueError(f"X must have 2 rows (slope, intercept); got shape {spec.X.shape}")
    flow = spec.path(Flow(), phi0)
    tt, _ = v.times(times, "times")
    tb, _ = v.times(band_times, "band_times")
    if tt.size == 0 or tb.size == 0:
        raise ValueError(
            f"times and band_times must hold at least one time each; got {tt.size} and {tb.size}"
        )
    n_samples = v.non_negative_int(n_samples, "n_samples")
    x_new = np.linspace(0.0, 1.0, 60)
    S = 0.04 * np.eye(2) if prior_cov is None else v.covariance(prior_cov, 2)
    # Everything through the one spectrum: predictions over the crowd at the band times,
    # then one path of the random starts and phi0 + e_d along the path and at band times.
    X_new = np.vstack([x_new, np.ones_like(x_new)])
    pred_mean, pred_var = flow.predictive(X_new, tb, S)
    path_t = np.linspace(0.0, float(tt.max()), 400)
    starts = np.random.default_rng(seed).multivariate_normal(flow.phi0, S, size=n_samples)
    P = path_t.size
    crowd = spec.path(Flow(), np.vstack([starts, flow.phi0 + np.eye(2)]))
    moved = crowd.params(np.concatenate([path_t, tb]))  # (P+B, N+2, 2)
    param_mean = flow.params(tb)
    E = np.swapaxes(moved[P:, n_samples:] - param_mean[:, None, :], 1, 2)  # (B, 2, 2)
    return FourViews(
        flow=flow,
        times=v.frozen(tt),
        path=flow.params(path_t),
        surface=loss_surface(spec, None, extent, n=161),
        starts=starts,
        start_paths=np.swapaxes(moved[:P, :n_samples], 0, 1),
        band_times=v.frozen(tb),
        param_mean=param_mean,
        param_cov=E @ S @ np.swapaxes(E, 1, 2),
        x_new=x_new,
        pred_mean=pred_mean,
        pred_var=pred_var,
    )
