r"""The numbers behind the book's composite figures, computed once with the core.

Introduced in the chapter on exploring the flow in time (``book/explorer.ipynb``).

* :func:`time_grid`, :class:`FlowFrames`, :func:`flow_frames`: every number the explorer
  draws, for a whole grid of times;
* :func:`loss_surface`: the loss over a window of (slope, intercept), for the landscapes;
* :func:`four_views`: the numbers of the introduction's figure of four viewpoints.

This module is a layer of numbers: it imports numpy and the core only (no matplotlib, no
ipywidgets). :mod:`gflow_lib.plotting` draws what it returns, and the front ends of
:mod:`gflow_lib.interactive` (slider, animation) sit on top of both.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validation as v
from .bayes import ensemble_params, prediction_distribution
from .flow import LinearFlow
from .landscape import loss_grid

__all__ = [
    "FlowFrames",
    "FourViews",
    "LossSurface",
    "flow_frames",
    "four_views",
    "loss_surface",
    "time_grid",
]


def time_grid(n: int = 40, t_max: float = 20.0, t_min: float = 0.01) -> np.ndarray:
    r"""A time grid for scrubbing: zero, then ``n - 1`` log-spaced times.

    Introduced in the chapter on exploring the flow in time.

    .. math::

        t_0 = 0, \qquad t_k = t_{\min} \left(\frac{t_{\max}}{t_{\min}}\right)^{(k-1)/(n-2)},
        \quad k = 1, \dots, n-1.

    Equal steps in log time give the fast mode (a few tenths) and the slow one (about twenty)
    their share of frames.

    Parameters
    ----------
    n : int
        Number of times, at least 3.
    t_max : float
        Last time, larger than ``t_min``.
    t_min : float
        First positive time.

    Returns
    -------
    ndarray, shape (n,)
        Strictly increasing, starting at 0 and ending at ``t_max``.
    """
    n = v.non_negative_int(n, "n")
    if n < 3:
        raise ValueError(f"n must be at least 3 (zero plus two log-spaced times); got {n}")
    t_max = v.positive_scalar(t_max, "t_max")
    t_min = v.positive_scalar(t_min, "t_min")
    if t_min >= t_max:
        raise ValueError(f"t_min must be smaller than t_max; got t_min={t_min}, t_max={t_max}")
    return np.concatenate([[0.0], np.geomspace(t_min, t_max, n - 1)])


def _check_grid(t) -> np.ndarray:
    tt, scalar = v.times(t, "t")
    if scalar or tt.size < 2:
        raise ValueError(
            f"t must be a 1-D array of at least 2 times (one per frame); got "
            f"{'a scalar' if scalar else f'{tt.size} time(s)'}"
        )
    steps = np.diff(tt)
    if np.any(steps <= 0):
        k = int(np.argmax(steps <= 0))
        raise ValueError(
            f"t must be strictly increasing; got t[{k}] = {float(tt[k])!r} followed by "
            f"t[{k + 1}] = {float(tt[k + 1])!r}"
        )
    return tt


def _renamed(value, name, old_value, old_name):
    """A keyword under its book name, or under the old name that is still accepted.

    Returns the value and the name the caller used, so that errors name what was passed."""
    if old_value is None:
        return value, name
    if value is not None:
        raise TypeError(f"give {name} or its old name {old_name}, not both")
    return old_value, old_name


def _extent(extent):
    try:
        c0, c1, s0, s1 = (float(e) for e in extent)
    except (TypeError, ValueError):
        raise TypeError(
            "extent must be four numbers (intercept_min, intercept_max, slope_min, slope_max); "
            f"got {v.describe(extent)}"
        ) from None
    if not (np.isfinite([c0, c1, s0, s1]).all() and c0 < c1 and s0 < s1):
        raise ValueError(
            "extent must be finite with intercept_min < intercept_max and slope_min < "
            f"slope_max; got {(c0, c1, s0, s1)}"
        )
    return c0, c1, s0, s1


class LossSurface(NamedTuple):
    """The loss on a grid: increasing ``slopes`` (S,) and ``intercepts`` (N,), and ``loss``
    (S, N) with ``loss[i, j]`` at slope ``slopes[i]`` and intercept ``intercepts[j]``."""

    slopes: np.ndarray
    intercepts: np.ndarray
    loss: np.ndarray


def loss_surface(X, y, extent=(-1.0, 1.0, -1.0, 1.0), n: int = 241) -> LossSurface:
    r"""The loss :math:`L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2` on an ``n`` x ``n``
    grid over a window of (intercept, slope), for :func:`gflow_lib.plotting.plot_landscape`.

    Introduced in the chapter on the loss landscape (there written out with
    :func:`gflow_lib.landscape.loss_grid`, which this calls).

    Parameters
    ----------
    X : array_like, shape (2, I)
        Slope row, then intercept row (ones).
    y : array_like, shape (I,)
    extent : (intercept_min, intercept_max, slope_min, slope_max)
        The window, in the order of the plot's axes.
    n : int
        Grid points per axis, at least 2.

    Returns
    -------
    LossSurface
        ``(slopes, intercepts, loss)``.
    """
    c0, c1, s0, s1 = _extent(extent)
    n = v.non_negative_int(n, "n")
    if n < 2:
        raise ValueError(f"n must be at least 2 grid points per axis; got {n}")
    slopes, intercepts = np.linspace(s0, s1, n), np.linspace(c0, c1, n)
    return LossSurface(slopes, intercepts, loss_grid(X, y, slopes, intercepts))


def _pad(lo, hi, frac):
    span = (hi - lo) or 1.0
    return lo - frac * span, hi + frac * span


class FlowFrames:
    r"""Every number the explorer draws, precomputed on a grid of times.

    Introduced in the chapter on exploring the flow in time.

    With :math:`\phi(t)` the flow from ``phi0`` and the predictions for random starts
    :math:`\phi_0 \sim N(0, \sigma_p^2 I)`, frame ``k`` holds

    .. math::

        \phi(t_k), \quad L(t_k) = \tfrac12\lVert X^T\phi(t_k) - y\rVert^2, \quad
        r(t_k) = X^T\phi(t_k) - y, \quad
        \hat f(t_k) = X_*^T\phi(t_k), \quad
        m(t_k) \pm c\,\sqrt{v(t_k) + \sigma^2}.

    (the model-output band :math:`m \pm c\sqrt{v}` when ``sigma_sq`` is None). Every array is
    the frames' own read-only copy: the caller's arrays are neither kept nor changed.

    Parameters
    ----------
    X : array_like, shape (2, I)
        Inputs in the first row, ones in the second.
    y : array_like, shape (I,)
    phi0 : array_like, shape (2,)
    t : array_like, shape (T,)
        Strictly increasing non-negative times, at least two (see :func:`time_grid`).
    x_new : array_like, shape (M,), optional
        Inputs where the line and the band are drawn. By default 101 points covering
        [0, 1] and the data with a margin.
    sigma_sq_p : float, optional
        :math:`\sigma_p^2`, the variance of each entry of a random start (default 2).
    sigma_sq : float, optional
        :math:`\sigma^2`, the noise variance (default None: the model-output band).
    band_sd : float
        :math:`c`, the half-width of the band in standard deviations.
    extent : (intercept_min, intercept_max, slope_min, slope_max), optional
        Window of the loss landscape. By default [-1, 1] x [-1, 1] enlarged to hold the path
        and the limit.
    prior_var, noise_var : float, optional
        Former names of ``sigma_sq_p`` and ``sigma_sq``, still accepted.

    Attributes
    ----------
    t, loss : ndarray, shape (T,)
    params : ndarray, shape (T, 2)
    residuals : ndarray, shape (T, I)
    x, y : ndarray, shape (I,)
    x_new : ndarray, shape (M,)
    fits, pred_mean, pred_var, band_half : ndarray, shape (T, M)
        The fitted line, the mean and model-output variance over random starts, and the
        band's half-width.
    limit, eigenvalues : ndarray, shape (2,)
    loss_limit : float
    surface : LossSurface
        The loss over ``extent`` (161 x 161 points).
    """

    def __init__(self, X, y, phi0, t, x_new=None, sigma_sq_p=None, sigma_sq=None,
                 band_sd=2.0, extent=None, *, prior_var=None, noise_var=None):
        sigma_sq_p, prior_name = _renamed(sigma_sq_p, "sigma_sq_p", prior_var, "prior_var")
        sigma_sq, noise_name = _renamed(sigma_sq, "sigma_sq", noise_var, "noise_var")
        X = v.design_matrix(X)
        if X.shape[0] != 2:
            msg = (
                f"X must have 2 rows (the inputs, then a row of ones) to be drawn as a line; "
                f"got shape {X.shape}"
            )
            if X.shape[1] == 2:
                msg += "; did you pass X transposed?"
            raise ValueError(msg)
        if not np.all(X[1] == 1.0):
            raise ValueError(
                "X's second row must be all ones (the intercept's input); got "
                f"{np.array2string(X[1], precision=3, threshold=6)}"
            )
        tt = _check_grid(t)
        self.sigma_sq_p = 2.0 if sigma_sq_p is None else v.positive_scalar(sigma_sq_p, prior_name)
        self.sigma_sq = None if sigma_sq is None else v.positive_scalar(sigma_sq, noise_name)
        self.band_sd = v.positive_scalar(band_sd, "band_sd")
        flow = LinearFlow(X, y, phi0)  # checks y, phi0 and the finiteness of X
        x = X[0]
        if x_new is None:
            span = float(np.ptp(x)) or 1.0
            lo = min(0.0, float(x.min()) - 0.1 * span)
            hi = max(1.0, float(x.max()) + 0.1 * span)
            x_new = np.linspace(lo, hi, 101)
        x_new = v.vector(x_new, "x_new")
        if x_new.size < 2:
            raise ValueError(f"x_new must hold at least 2 inputs; got {x_new.size}")
        X_new = np.vstack([x_new, np.ones_like(x_new)])

        self.t, self.x, self.y = v.frozen(tt), v.frozen(x), v.frozen(flow.y)
        self.x_new = v.frozen(x_new)
        self.params = v.frozen(flow.params(tt))
        self.loss = v.frozen(flow.loss(tt))
        self.residuals = v.frozen(flow.residuals(tt))
        self.fits = v.frozen(self.params @ X_new)
        mean, var = prediction_distribution(
            X, flow.y, X_new, tt, np.zeros(2), self.sigma_sq_p * np.eye(2)
        )
        self.pred_mean, self.pred_var = v.frozen(mean), v.frozen(var)
        extra = 0.0 if self.sigma_sq is None else self.sigma_sq
        self.band_half = v.frozen(self.band_sd * np.sqrt(self.pred_var + extra))
        self.limit = v.frozen(flow.limit())
        self.loss_limit = float(flow.loss_limit())
        self.eigenvalues = v.frozen(flow.eigenvalues)
        if extent is None:
            sl = np.concatenate([self.params[:, 0], [self.limit[0], -1.0, 1.0]])
            ic = np.concatenate([self.params[:, 1], [self.limit[1], -1.0, 1.0]])
            extent = (*_pad(ic.min(), ic.max(), 0.04), *_pad(sl.min(), sl.max(), 0.04))
        surface = loss_surface(X, flow.y, extent, n=161)
        self.surface = LossSurface(*(v.frozen(a) for a in surface))

    def __len__(self) -> int:
        return self.t.size

    def index(self, k) -> int:
        """Check a frame index (negative indices count from the end) and return it as 0..T-1."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"frame index k must be an integer; got {v.describe(k)}")
        T = len(self)
        if not -T <= k < T:
            raise IndexError(f"frame index k must be in [{-T}, {T - 1}]; got {k}")
        return int(k) % T

    def nearest(self, t: float) -> int:
        """Index of the frame whose time is closest to ``t``."""
        tt, scalar = v.times(t, "t")
        if not scalar:
            raise ValueError(f"t must be a single time; got shape {tt.shape}")
        return int(np.argmin(np.abs(self.t - tt[0])))

    @property
    def band_label(self) -> str:
        """What the band shows, for legends and text."""
        c = f"{self.band_sd:g}"
        if self.sigma_sq is None:
            return f"mean ± {c} sd of the model output"
        return f"mean ± {c} sd of a noisy observation"

    def __repr__(self):
        return f"FlowFrames(T={len(self)}, I={self.x.size}, M={self.x_new.size})"


def flow_frames(X, y, phi0, t=None, **kwargs) -> FlowFrames:
    """Precompute the explorer's frames; ``t`` defaults to :func:`time_grid`.

    Introduced in the chapter on exploring the flow in time. See :class:`FlowFrames` for the
    keyword arguments.
    """
    return FlowFrames(X, y, phi0, time_grid() if t is None else t, **kwargs)


class FourViews(NamedTuple):
    """The numbers of the introduction's figure, from :func:`four_views`: the ``flow`` from
    ``phi0``; fitted-line ``times`` (T,); the ``path`` (P, 2) from 0 to ``max(times)``; the loss
    ``surface``; random ``starts`` (N, 2) and their ``start_paths`` (N, P, 2); at ``band_times``
    (B,) the ``param_mean`` (B, 2) and ``param_cov`` (B, 2, 2) over the starts; the inputs
    ``x_new`` (M,) and the predictions' ``pred_mean``, ``pred_var`` (B, M)."""

    flow: LinearFlow
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


def four_views(X, y, phi0, prior_cov=None, times=(0.0, 0.1, 0.3, 2.0, 20.0),
               band_times=(0.0, 0.4, 2.0), n_samples=40, seed=0,
               extent=(-1.0, 1.0, -1.0, 1.0)) -> FourViews:
    r"""Everything the figure of four viewpoints draws, for a line fitted by gradient flow.

    Introduced in the chapter on the introduction; drawn by
    :func:`gflow_lib.plotting.plot_four_views`.

    The flow is affine in its start, :math:`\phi(t) = E\phi_0 + c(t)` with
    :math:`E = e^{-At}`, so starts drawn from :math:`N(\phi_0, \Sigma_0)` stay Gaussian:

    .. math::

        \operatorname{E}\phi(t) = E\phi_0 + c(t), \qquad
        \operatorname{cov}\phi(t) = E\,\Sigma_0 E^T .

    The columns of :math:`E` are the moves of :math:`\phi_0 + e_d` minus the move of
    :math:`\phi_0`: one batch of :func:`~gflow_lib.bayes.ensemble_params` gives them with the
    paths of the random starts.

    Parameters
    ----------
    X : array_like, shape (2, I)
    y : array_like, shape (I,)
    phi0 : array_like, shape (2,)
        Start of the top row and mean of the starts of the bottom row.
    prior_cov : array_like, shape (2, 2), optional
        Covariance :math:`\Sigma_0` of the random starts (default ``0.04 I``).
    times, band_times : sequences of float
        Times of the fitted lines and of the ellipses and bands.
    n_samples : int
        Number of random starts drawn.
    seed : int
        Seed of ``numpy.random.default_rng``.
    extent : (intercept_min, intercept_max, slope_min, slope_max)
        Window of the loss ``surface`` (:func:`loss_surface`): wide enough for the random
        starts.

    Returns
    -------
    FourViews
    """
    flow = LinearFlow(X, y, phi0)
    if flow.D != 2:
        raise ValueError(f"X must have 2 rows (slope, intercept); got shape {flow.X.shape}")
    tt, _ = v.times(times, "times")
    tb, _ = v.times(band_times, "band_times")
    if tt.size == 0 or tb.size == 0:
        raise ValueError(
            f"times and band_times must hold at least one time each; got {tt.size} and {tb.size}"
        )
    n_samples = v.non_negative_int(n_samples, "n_samples")
    x_new = np.linspace(0.0, 1.0, 60)
    S = 0.04 * np.eye(2) if prior_cov is None else prior_cov
    pred_mean, pred_var = prediction_distribution(
        flow.X, flow.y, np.vstack([x_new, np.ones_like(x_new)]), tb, flow.phi0, S
    )  # also checks prior_cov
    S = np.asarray(S, dtype=float)
    path_t = np.linspace(0.0, float(tt.max()), 400)
    starts = np.random.default_rng(seed).multivariate_normal(flow.phi0, S, size=n_samples)
    # One batch: the random starts along the path, and phi0 + e_d at the band times.
    P = path_t.size
    moved = ensemble_params(flow.X, flow.y, np.vstack([starts, flow.phi0 + np.eye(2)]),
                            np.concatenate([path_t, tb]))  # (P + B, N + 2, 2)
    param_mean = flow.params(tb)
    E = np.swapaxes(moved[P:, n_samples:] - param_mean[:, None, :], 1, 2)  # (B, 2, 2)
    return FourViews(
        flow=flow,
        times=v.frozen(tt),
        path=flow.params(path_t),
        surface=loss_surface(flow.X, flow.y, extent, n=161),
        starts=starts,
        start_paths=np.swapaxes(moved[:P, :n_samples], 0, 1),
        band_times=v.frozen(tb),
        param_mean=param_mean,
        param_cov=E @ S @ np.swapaxes(E, 1, 2),
        x_new=x_new,
        pred_mean=pred_mean,
        pred_var=pred_var,
    )
