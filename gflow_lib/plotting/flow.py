"""Figures of the first chapters: the four viewpoints, the data, the fitted lines, and the
closed-form flow over time (outputs, residuals, loss and its modes, parameters).
Introduced in the chapters on the introduction, the data and the closed-form flow. Figures
draw results (a :class:`~gflow_lib.flow.LinearFlow` or arrays) and compute nothing."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse

from .. import _docs
from .. import _validation as v
from ..frames import FourViews
from ..spectrum import SpectrumPath
from .landscape import plot_landscape, plot_path
from .style import (
    COLORS,
    OKABE_ITO,
    TEXT_PT,
    WIDE_WIDTH,
    legend_below,
    new_axes,
    point_colors,
    point_markers,
    time_colors,
)

__all__ = [
    "plot_data",
    "plot_fits",
    "plot_four_views",
    "plot_loss",
    "plot_loss_modes",
    "plot_outputs",
    "plot_params",
    "plot_residuals",
]


def _line_data(X, y):
    """X (2 x I, ones last) and y, checked for drawing a line."""
    X = v.design_matrix(X)
    v.check_finite(X, "X")
    if X.shape[0] != 2:
        raise ValueError(
            f"X must have 2 rows (inputs, then ones) to be drawn as a line; got shape {X.shape}"
        )
    y = v.vector(y, "y", X.shape[1], X.shape, " (one target per column of X)")
    return X, y


def _flow(flow):
    if not isinstance(flow, SpectrumPath):
        raise TypeError("flow must be a gflow_lib.LinearFlow (or another path in parameter "
                        f"space, Spectrum(X, y).path(filter, phi0)); got {type(flow).__name__}")
    return flow


def _over_time(flow, method, t):
    """``flow.<method>(t)`` for a 1-D array of times, and those times."""
    values = getattr(_flow(flow), method)(t)
    tt = np.asarray(t, dtype=float)
    if tt.ndim != 1:
        raise ValueError(f"t must be a 1-D array of times to draw curves; got {v.describe(t)}")
    return tt, values


@_docs.fill
def plot_data(X, y, ax=None, xlim=(0.0, 1.0), ylim=(-0.5, 0.5), annotate=True):
    """The data points :math:`(x_i, y_i)`, one colour per point. Introduced in the chapter on data.

    Parameters
    ----------
    %(X_line)s
    %(y)s
    %(ax)s
    xlim, ylim : (float, float)
        Axis limits; widened if a point falls outside.
    annotate : bool
        Label each point with its index.

    %(returns_ax)s
    """
    X, y = _line_data(X, y)
    ax = new_axes(ax)
    x = X[0]
    colors, markers = point_colors(x.size), point_markers(x.size)
    for xi, yi, c, m in zip(x, y, colors, markers, strict=True):
        ax.scatter([xi], [yi], s=60, c=c, marker=m, zorder=3, edgecolors="white",
                   linewidths=1.0)
    if annotate:
        for i, (xi, yi) in enumerate(zip(x, y, strict=True)):
            ax.annotate(f"$i={i + 1}$", (xi, yi), xytext=(6, -14), textcoords="offset points",
                        fontsize=TEXT_PT, color=colors[i])
    pad_x = 0.05 * (xlim[1] - xlim[0])
    pad_y = 0.05 * (ylim[1] - ylim[0])
    ax.set_xlim(min(xlim[0], x.min() - pad_x), max(xlim[1], x.max() + pad_x))
    ax.set_ylim(min(ylim[0], y.min() - pad_y), max(ylim[1], y.max() + pad_y))
    ax.axhline(0.0, color="#999999", lw=0.6, zorder=0)
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output $y$")
    return ax


@_docs.fill
def plot_fits(flow, times, ax=None, xlim=(0.0, 1.0), ylim=(-0.5, 0.5), legend=True,
              residuals=False, limit=False):
    r"""The fitted line :math:`f(x) = \phi[0](t)\,x + \phi[1](t)` at a few times, over the data.
    Introduced in the chapter on the introduction; used again in those on data and the landscape.

    Parameters
    ----------
    flow : LinearFlow
        A flow on 2 x I data (slope row, then ones).
    times : array_like, shape (T,)
        Times, >= 0; lines go from dark (early) to light (late).
    %(ax)s
    xlim, ylim : (float, float)
        Inputs over which the lines are drawn; vertical range (widened to show the data).
    legend : bool
    residuals : bool
        Draw the residuals :math:`f_i - y_i` of the first time as dotted segments.
    limit : bool
        Also draw the limit :math:`t \to \infty` (dashed).

    %(returns_ax)s
    """
    flow = _flow(flow)
    if flow.D != 2:
        raise ValueError(f"flow must have D = 2 parameters (slope, intercept); got D = {flow.D}")
    xs = np.linspace(xlim[0], xlim[1], 50)
    X_line = np.vstack([xs, np.ones_like(xs)])
    lines = np.atleast_2d(flow.predict(X_line, times))  # (T, 50); the flow checks the times
    tt = np.atleast_1d(np.asarray(times, dtype=float))
    ax = new_axes(ax)
    for f, tk, c in zip(lines, tt, time_colors(tt.size), strict=True):
        ax.plot(xs, f, color=c, lw=1.8, label=f"$t = {tk:g}$")
    if limit:
        ax.plot(xs, flow.limit() @ X_line, color=COLORS["ml"], ls="--", lw=1.5,
                label=r"$t \to \infty$")
    if residuals:
        ax.vlines(flow.X[0], flow.y, flow.outputs(tt[0]), colors=point_colors(flow.I),
                  linestyles=":", lw=1.5, label=f"residuals at $t={tt[0]:g}$")
    plot_data(flow.X, flow.y, ax=ax, xlim=xlim, ylim=ylim, annotate=residuals)
    if legend:
        legend_below(ax, ncol=3)
    return ax


@_docs.fill
def plot_outputs(flow, t, ax=None):
    """Model outputs :math:`f_i(t)` at the training inputs against time, with the targets.
    Introduced in the chapter on closed-form flow.

    Parameters
    ----------
    %(flow_t_ax)s

    %(returns_ax)s
    """
    tt, F = _over_time(flow, "outputs", t)
    ax = new_axes(ax)
    colors, markers = point_colors(flow.I), point_markers(flow.I)
    every = max(1, tt.size // 8)
    for i in range(flow.I):
        ax.plot(tt, F[:, i], color=colors[i], lw=2, marker=markers[i], ms=6,
                markevery=(i * every // max(flow.I, 1), every), label=f"$f_{i + 1}(t)$")
    for i in range(flow.I):
        ax.axhline(flow.y[i], color=colors[i], ls="--", lw=1, label=f"$y_{i + 1}$")
    ax.set_xlim(tt.min(), tt.max())
    ax.set_xlabel("time $t$")
    ax.set_ylabel("output $f_i(t)$")
    legend_below(ax, ncol=3)
    return ax


@_docs.fill
def plot_residuals(flow, t, ax=None):
    """Residuals :math:`f_i(t) - y_i` against time. Introduced in the chapter on closed-form flow.

    Parameters
    ----------
    %(flow_t_ax)s

    %(returns_ax)s
    """
    tt, R = _over_time(flow, "residuals", t)
    ax = new_axes(ax)
    colors, markers = point_colors(flow.I), point_markers(flow.I)
    every = max(1, tt.size // 8)
    for i in range(flow.I):
        ax.plot(tt, R[:, i], color=colors[i], lw=2, marker=markers[i], ms=6,
                markevery=(i * every // max(flow.I, 1), every),
                label=f"$f_{i + 1}(t) - y_{i + 1}$")
    ax.axhline(0.0, color="#777777", lw=0.8)
    ax.set_xlim(tt.min(), tt.max())
    ax.set_xlabel("time $t$")
    ax.set_ylabel("residual $f_i(t) - y_i$")
    legend_below(ax, ncol=3)
    return ax


@_docs.fill
def plot_loss(flow, t, ax=None):
    r"""The loss :math:`L(t)` against time, from 0 to its largest value, with its limit.
    Introduced in the chapter on closed-form flow.

    Parameters
    ----------
    %(flow_t_ax)s

    %(returns_ax)s
    """
    tt, L = _over_time(flow, "loss", t)
    ax = new_axes(ax)
    ax.plot(tt, L, color=COLORS["flow"], lw=2, label="$L(t)$")
    ax.axhline(flow.loss_limit(), color=COLORS["ml"], ls="--", lw=1,
               label=r"$L_{\min}$ (least squares)")
    ax.set_xlim(tt.min(), tt.max())
    ax.set_ylim(0.0, 1.05 * float(L.max()))
    ax.set_xlabel("time $t$")
    ax.set_ylabel("loss $L(t)$")
    legend_below(ax)
    return ax


@_docs.fill
def plot_loss_modes(t, mode_loss, lam, ax=None):
    r"""The excess loss :math:`L(t) - L_{\min}` on a log scale, split into its modes.
    Introduced in the chapter on closed-form flow. Each mode is a line of slope
    :math:`-2\lambda_k`; the caller computes them, e.g. ``lam, vecs = gram_eigen(X, outer=True)``,
    ``c = (flow.params(t) - flow.limit()) @ vecs``, ``mode_loss = 0.5 * lam * c**2``.

    .. math:: L(t) - L_{\min} = \sum_k \tfrac12 \lambda_k\, c_k(t)^2, \qquad
        c_k(t) = v_k^T(\phi(t) - \phi_{ML}) = e^{-\lambda_k t}\, c_k(0).

    Parameters
    ----------
    %(t_curve)s
    mode_loss : array_like, shape (T, K)
        :math:`\tfrac12 \lambda_k c_k(t)^2`, one column per mode.
    lam : array_like, shape (K,)
        The eigenvalues :math:`\lambda_k`; modes with :math:`\lambda_k = 0` are not drawn.
    %(ax)s

    %(returns_ax)s
    """
    t, mode_loss, lam = (np.asarray(a, dtype=float) for a in (t, mode_loss, lam))
    if t.ndim != 1 or lam.ndim != 1 or mode_loss.shape != (t.size, lam.size):
        raise ValueError(
            "t, mode_loss and lam must have shapes (T,), (T, K) and (K,); got "
            f"{t.shape}, {mode_loss.shape} and {lam.shape}"
        )
    ax = new_axes(ax)
    total = mode_loss.sum(axis=1)
    ax.semilogy(t, total, color=COLORS["loss"], lw=2.5, label=r"$L(t) - L_{\min}$")
    mode_colors = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["sky blue"],
                   OKABE_ITO["reddish purple"]]
    k_nz = [k for k in range(lam.size) if lam[k] > 0]
    for j, k in enumerate(k_nz):
        rank = int(np.sum(lam > lam[k])) + 1  # lambda_1 the largest (notation page)
        ax.semilogy(t, mode_loss[:, k], ls="--", lw=1.5, color=mode_colors[j % len(mode_colors)],
                    label=rf"mode $\lambda_{rank}={lam[k]:.3f}$")
    top = float(total.max())
    ax.set_ylim(max(top * 1e-8, float(total.min()) / 2, 1e-300), top * 3)
    ax.set_xlim(t.min(), t.max())
    ax.set_xlabel("time $t$")
    ax.set_ylabel(r"excess loss $L(t) - L_{\min}$")
    legend_below(ax, ncol=3)
    return ax


@_docs.fill
def plot_params(flow, t, ax=None, names=("slope $\\phi[0]$", "intercept $\\phi[1]$")):
    r"""Each parameter :math:`\phi_d(t)` against time, with its limit dashed.
    Introduced in the chapter on closed-form flow.

    Parameters
    ----------
    %(flow_t_ax)s
    names : sequence of str
        Legend labels of the parameters (default: slope, then intercept).

    %(returns_ax)s
    """
    tt, P = _over_time(flow, "params", t)
    ax = new_axes(ax)
    lim = flow.limit()
    base = [COLORS["slope"], COLORS["intercept"]]
    colors = [base[d] if d < 2 else f"C{d}" for d in range(flow.D)]
    for d in range(flow.D):
        label = names[d] if d < len(names) else f"$\\phi[{d}]$"
        ax.plot(tt, P[:, d], color=colors[d], lw=2, label=label)
    for d in range(flow.D):
        ax.axhline(lim[d], color=colors[d], ls="--", lw=1)
    ax.set_xlim(tt.min(), tt.max())
    ax.set_xlabel("time $t$")
    ax.set_ylabel(r"parameter $\phi[d](t)$")
    legend_below(ax)
    return ax


def _sd_ellipse(mean, cov, **kw):
    """The one-standard-deviation ellipse of a 2 x 2 covariance, intercept horizontal."""
    (a, b), (_, c) = cov  # var(slope), cov, var(intercept)
    mid, half = 0.5 * (a + c), np.hypot(0.5 * (a - c), b)
    major, minor = np.sqrt(max(mid + half, 0.0)), np.sqrt(max(mid - half, 0.0))
    theta = 0.5 * np.arctan2(2.0 * b, a - c)  # the major axis, from the slope axis
    return Ellipse((mean[1], mean[0]), 2 * major, 2 * minor, angle=90.0 - np.degrees(theta),
                   **kw)


@_docs.fill
def plot_four_views(views, fig=None, ylim=(-1.5, 1.5)):
    r"""The book's map: one start vs random starts (rows) by parameter space vs function
    space (columns), for a line fitted by gradient flow.
    Introduced in the chapter on the introduction. Draws what :func:`gflow_lib.frames.four_views`
    computed: top left, the path :math:`\phi(t)` on the loss landscape; top right, the fitted
    lines at ``views.times``; bottom left, the random starts moved by the flow and the
    one-standard-deviation ellipse of :math:`\operatorname{cov}\phi(t)` at ``views.band_times``;
    bottom right, the mean and two standard deviations of the predictions at those times.
    (A crowd of random starts moved by the flow is not a Bayesian posterior.)

    Parameters
    ----------
    views : FourViews
        From ``four_views(X, y, phi0, prior_cov, extent=...)``.
    fig : matplotlib Figure, optional
    ylim : (float, float)
        Vertical range of the bottom-right panel.

    %(returns_fig)s
    """
    if not isinstance(views, FourViews):
        raise TypeError(
            "views must be a FourViews, the numbers of gflow_lib.frames.four_views(X, y, phi0); "
            f"got {type(views).__name__}"
        )
    if fig is None:
        fig = plt.figure(figsize=(WIDE_WIDTH, 7.4), layout="constrained")
    axes = fig.subplots(2, 2)
    flow = views.flow
    colors_b = time_colors(views.band_times.size, 0.0, 0.7)
    slopes, intercepts, loss = views.surface

    # Top left: one start, in parameter space.
    ax = axes[0, 0]
    half = max(1.0, 1.1 * float(np.max(np.abs(views.path))))
    rows, cols = np.abs(slopes) <= half, np.abs(intercepts) <= half  # the part of the grid
    plot_landscape((slopes[rows], intercepts[cols], loss[np.ix_(rows, cols)]), ax=ax, levels=25)
    plot_path(views.path, ax, color="white", lw=2)

    # Top right: one start, in function space.
    plot_fits(flow, views.times, ax=axes[0, 1])

    # Bottom left: a distribution of starts, moved by the flow.
    ax = axes[1, 0]
    lo, hi = float(loss.min()), float(loss.max())
    levels = lo + (hi - lo) * np.linspace(0.0, 1.0, 27)[1:-1] ** 2  # even in sqrt(L - L_min)
    ax.contour(intercepts, slopes, loss, levels, colors="#b0b0b0", linewidths=0.6)
    ax.set_xlim(intercepts[0], intercepts[-1])
    ax.set_ylim(slopes[0], slopes[-1])
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_xlabel("intercept $\\phi[1]$")
    ax.set_ylabel("slope $\\phi[0]$")
    for p in views.start_paths:
        ax.plot(p[:, 1], p[:, 0], color=COLORS["band"], lw=0.6)
    ax.plot(views.starts[:, 1], views.starts[:, 0], "o", ms=2.5, color="#888888")
    for k, tk in enumerate(views.band_times):
        mean = views.param_mean[k]
        ax.add_patch(_sd_ellipse(mean, views.param_cov[k], fill=False, lw=2, color=colors_b[k],
                                 label=f"$t={tk:g}$"))
        ax.plot(mean[1], mean[0], "+", color=colors_b[k], ms=8, mew=2)
    legend_below(ax, ncol=4, handlelength=1.0, columnspacing=1.0)

    # Bottom right: the distribution over random starts, in function space. Each band is its
    # two edges (thin) over a faint fill, widest first, so a wide early band does not hide the
    # narrow late ones.
    ax = axes[1, 1]
    xs = views.x_new
    sd = np.sqrt(views.pred_var)
    for k in range(views.band_times.size):
        c, m = colors_b[k], views.pred_mean[k]
        ax.fill_between(xs, m - 2 * sd[k], m + 2 * sd[k], color=c, alpha=0.07, lw=0)
        ax.plot(xs, m - 2 * sd[k], xs, m + 2 * sd[k], color=c, lw=1.0, ls=(0, (4, 2)))
    for k, tk in enumerate(views.band_times):
        ax.plot(xs, views.pred_mean[k], color=colors_b[k], lw=2.0, label=f"$t={tk:g}$")
    plot_data(flow.X, flow.y, ax=ax, annotate=False, ylim=ylim)
    legend_below(ax, ncol=4, handlelength=1.0, columnspacing=1.0)

    titles = ["parameter space", "function space"]
    rows = ["one start", "random starts"]
    for j in range(2):
        axes[0, j].set_title(titles[j], fontsize=TEXT_PT + 2, fontweight="bold")
    for i in range(2):  # the row's name left of its y label
        axes[i, 0].annotate(rows[i], xy=(0.0, 0.5), xycoords=axes[i, 0].yaxis.label,
                            xytext=(-6, 0), textcoords="offset points", rotation=90,
                            ha="right", va="center", fontsize=TEXT_PT + 2, fontweight="bold")
    return fig
