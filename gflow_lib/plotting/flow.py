r"""Figures of the first chapters: the four viewpoints, the data, and the closed-form flow
over time (outputs, residuals, loss, parameters).

Introduced in the chapters on the introduction, the data and the closed-form flow. Every
function takes an optional ``ax`` (or builds its own figure) and returns what it drew on.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse

from .. import _validation as v
from ..bayes import prediction_distribution
from ..flow import LinearFlow, _factors, gram_eigen
from ..landscape import loss_grid
from .landscape import plot_landscape, plot_path
from .style import BOOK_CMAP, COLORS, new_axes

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
    """Check data of a straight line: X is 2 x I with a row of ones last."""
    X = v.design_matrix(X)
    v.check_finite(X, "X")
    if X.shape[0] != 2:
        raise ValueError(
            f"X must have 2 rows (inputs, then ones) to be drawn as a line; got shape {X.shape}"
        )
    y = v.vector(y, "y", X.shape[1], X.shape, " (one target per column of X)")
    return X, y


def _flow(flow):
    if not isinstance(flow, LinearFlow):
        raise TypeError(f"flow must be a gflow_lib.LinearFlow; got {type(flow).__name__}")
    return flow


def _time_colors(n, lo=0.15, hi=0.7):
    """``n`` colours from dark (early) to light (late) along the book's colour map."""
    return BOOK_CMAP(np.linspace(lo, hi, n))


def plot_data(X, y, ax=None, xlim=(0.0, 1.0), ylim=(-0.5, 0.5), annotate=True):
    r"""The data points :math:`(x_i, y_i)`, one colour per point.

    Introduced in the chapter on data.

    Parameters
    ----------
    X : array_like, shape (2, I)
        Inputs in the first row, ones in the second.
    y : array_like, shape (I,)
    ax : matplotlib Axes, optional
    xlim, ylim : (float, float)
        Axis limits; widened if a point falls outside.
    annotate : bool
        Label each point with its index.

    Returns
    -------
    matplotlib Axes
    """
    X, y = _line_data(X, y)
    ax = new_axes(ax)
    x = X[0]
    colors = _point_colors(x.size)
    ax.scatter(x, y, s=60, c=colors, zorder=3, edgecolors="white", linewidths=1.0)
    if annotate:
        for i, (xi, yi) in enumerate(zip(x, y, strict=True)):
            ax.annotate(f"$i={i + 1}$", (xi, yi), xytext=(6, -12), textcoords="offset points",
                        fontsize=9, color=colors[i])
    pad_x = 0.05 * (xlim[1] - xlim[0])
    pad_y = 0.05 * (ylim[1] - ylim[0])
    ax.set_xlim(min(xlim[0], x.min() - pad_x), max(xlim[1], x.max() + pad_x))
    ax.set_ylim(min(ylim[0], y.min() - pad_y), max(ylim[1], y.max() + pad_y))
    ax.axhline(0.0, color="#999999", lw=0.6, zorder=0)
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output $y$")
    return ax


def _point_colors(n):
    base = COLORS["points"]
    return [base[i % len(base)] for i in range(n)]


def plot_fits(flow, times, ax=None, xlim=(0.0, 1.0), ylim=(-0.5, 0.5), legend=True,
              residuals=False):
    r"""The fitted line :math:`f(x) = \phi[0](t)\,x + \phi[1](t)` at a few times, over the data.

    Introduced in the chapter on the introduction (the four viewpoints).

    Parameters
    ----------
    flow : LinearFlow
        A flow on 2 x I data (slope row, then ones).
    times : array_like, shape (T,)
    ax : matplotlib Axes, optional
    xlim, ylim : (float, float)
    legend : bool
    residuals : bool
        Draw the residuals :math:`f_i - y_i` of the first time as dotted vertical segments.

    Returns
    -------
    matplotlib Axes
        One line per time (dark early, light late), then the data points (and, with
        ``residuals``, one ``LineCollection`` of I segments).
    """
    flow = _flow(flow)
    tt, _ = v.times(times, "times")
    X, y = _line_data(flow.X, flow.y)
    ax = new_axes(ax)
    xs = np.linspace(xlim[0], xlim[1], 50)
    P = flow.params(tt)  # (T, 2)
    lines = np.outer(P[:, 0], xs) + P[:, 1:2]
    for k, (tk, c) in enumerate(zip(tt, _time_colors(tt.size), strict=True)):
        ax.plot(xs, lines[k], color=c, lw=1.8, label=f"$t={tk:g}$")
    if residuals:
        f = X.T @ P[0]
        ax.vlines(X[0], y, f, colors=_point_colors(y.size), linestyles=":", lw=1.5,
                  label=f"residuals at $t={tt[0]:g}$")
    plot_data(X, y, ax=ax, xlim=xlim, ylim=ylim, annotate=residuals)
    if legend:
        ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_outputs(flow, t, ax=None):
    r"""Model outputs :math:`f_i(t)` at the training inputs against time, with the targets.

    Introduced in the chapter on closed-form flow.

    Parameters
    ----------
    flow : LinearFlow
    t : array_like, shape (T,)
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        ``I`` solid lines (outputs), then ``I`` dashed lines (targets).
    """
    flow = _flow(flow)
    tt, _ = v.times(t)
    ax = new_axes(ax)
    F = flow.outputs(tt)
    colors = _point_colors(flow.I)
    for i in range(flow.I):
        ax.plot(tt, F[:, i], color=colors[i], lw=2, label=f"$f_{i + 1}(t)$")
    for i in range(flow.I):
        ax.axhline(flow.y[i], color=colors[i], ls="--", lw=1, label=f"$y_{i + 1}$")
    ax.set_xlim(tt.min(), tt.max())
    ax.set_xlabel("time $t$")
    ax.set_ylabel("output $f_i(t)$")
    ax.legend(ncol=2, fontsize=8, loc="lower right")
    return ax


def plot_residuals(flow, t, ax=None):
    r"""Residuals :math:`f_i(t) - y_i` against time.

    Introduced in the chapter on closed-form flow.

    Returns
    -------
    matplotlib Axes
        ``I`` lines, then a thin line at zero.
    """
    flow = _flow(flow)
    tt, _ = v.times(t)
    ax = new_axes(ax)
    R = flow.residuals(tt)
    colors = _point_colors(flow.I)
    for i in range(flow.I):
        ax.plot(tt, R[:, i], color=colors[i], lw=2, label=f"$f_{i + 1}(t) - y_{i + 1}$")
    ax.axhline(0.0, color="#777777", lw=0.8)
    ax.set_xlim(tt.min(), tt.max())
    ax.set_xlabel("time $t$")
    ax.set_ylabel("residual $f_i(t) - y_i$")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_loss(flow, t, ax=None):
    r"""The loss :math:`L(t)` against time, whole (no clipping), with its limit.

    Introduced in the chapter on closed-form flow.

    Returns
    -------
    matplotlib Axes
        The loss curve, then a dashed line at :math:`L_\infty`. The vertical axis starts at 0
        and shows the largest loss drawn.
    """
    flow = _flow(flow)
    tt, _ = v.times(t)
    ax = new_axes(ax)
    L = flow.loss(tt)
    ax.plot(tt, L, color=COLORS["loss"], lw=2, label="$L(t)$")
    ax.axhline(flow.loss_limit(), color=COLORS["ml"], ls="--", lw=1,
               label=r"$L_\infty$ (least squares)")
    ax.set_xlim(tt.min(), tt.max())
    ax.set_ylim(0.0, 1.05 * float(L.max()))
    ax.set_xlabel("time $t$")
    ax.set_ylabel("loss $L(t)$")
    ax.legend(fontsize=9)
    return ax


def _mode_excess(flow, tt):
    """Excess loss per eigen-direction of A = X X^T, shape (T, D), and the eigenvalues."""
    lam, V = gram_eigen(flow.X, outer=True)
    dz = V.T @ (flow.phi0 - flow.limit())
    e, _ = _factors(lam, tt)
    return 0.5 * lam * dz**2 * e**2, lam


def plot_loss_modes(flow, t, ax=None):
    r"""The excess loss :math:`L(t) - L_\infty` on a log scale, split into its modes.

    Introduced in the chapter on closed-form flow (the eigen view).

    .. math::

        L(t) - L_\infty = \sum_k \tfrac12 \lambda_k\, e^{-2\lambda_k t}
        \big(v_k^T(\phi_0 - \phi_\infty)\big)^2

    Each mode is a straight line of slope :math:`-2\lambda_k` on a log scale; the slowest
    (smallest nonzero :math:`\lambda_k`) sets the speed once the fast ones have died out.

    Returns
    -------
    matplotlib Axes
        The total excess loss, then one dashed line per nonzero mode (slowest first).
    """
    flow = _flow(flow)
    tt, _ = v.times(t)
    ax = new_axes(ax)
    total = flow.loss(tt) - flow.loss_limit()
    parts, lam = _mode_excess(flow, tt)
    ax.semilogy(tt, total, color=COLORS["loss"], lw=2.5, label=r"$L(t) - L_\infty$")
    mode_colors = [COLORS["slope"], COLORS["intercept"], COLORS["descent"], COLORS["map"]]
    k_nz = [k for k in range(lam.size) if lam[k] > 0]
    for j, k in enumerate(k_nz):
        ax.semilogy(tt, parts[:, k], ls="--", lw=1.5, color=mode_colors[j % len(mode_colors)],
                    label=rf"mode $\lambda_{k + 1}={lam[k]:.3f}$")
    top = float(total.max())
    ax.set_ylim(max(top * 1e-8, float(total.min()) / 2, 1e-300), top * 3)
    ax.set_xlim(tt.min(), tt.max())
    ax.set_xlabel("time $t$")
    ax.set_ylabel(r"excess loss $L(t) - L_\infty$")
    ax.legend(fontsize=9)
    return ax


def plot_params(flow, t, ax=None, names=("slope $\\phi[0]$", "intercept $\\phi[1]$")):
    r"""Each parameter :math:`\phi_d(t)` against time, with its limit dashed.

    Introduced in the chapter on closed-form flow.

    Parameters
    ----------
    flow : LinearFlow
    t : array_like, shape (T,)
    ax : matplotlib Axes, optional
    names : sequence of str
        Legend labels of the parameters (the book's line: slope, then intercept).

    Returns
    -------
    matplotlib Axes
        ``D`` solid lines, then ``D`` dashed limits.
    """
    flow = _flow(flow)
    tt, _ = v.times(t)
    ax = new_axes(ax)
    P = flow.params(tt)
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
    ax.legend(fontsize=9, loc="lower right")
    return ax


def plot_four_views(X, y, phi0, prior_cov=None, times=(0.0, 0.1, 0.3, 2.0, 20.0),
                    band_times=(0.0, 0.4, 2.0), n_samples=40, seed=0, fig=None):
    r"""The book's map: gradient descent vs Bayesian (rows) by parameter space vs function
    space (columns), for a line fitted by gradient flow.

    Introduced in the chapter on the introduction.

    * Top left: the loss landscape and the path :math:`\phi(t)` from :math:`\phi_0`.
    * Top right: the fitted line at ``times``.
    * Bottom left: contour lines of the loss; starts drawn from :math:`N(\phi_0, \Sigma_0)`,
      each moved by the flow, :math:`\phi(t) = e^{-At}\phi_0 + c(t)`, with the
      one-standard-deviation ellipse of
      :math:`\operatorname{cov}\phi(t) = e^{-At}\Sigma_0 e^{-At}` at ``band_times``.
    * Bottom right: mean and two standard deviations of the predictions at ``band_times``.

    Parameters
    ----------
    X : array_like, shape (2, I)
    y : array_like, shape (I,)
    phi0 : array_like, shape (2,)
        Start of the top row and mean of the starts of the bottom row.
    prior_cov : array_like, shape (2, 2), optional
        Covariance of the random starts (default ``0.04 I``).
    times, band_times : sequences of float
    n_samples : int
        Number of random starts drawn.
    seed : int
        Seed of ``numpy.random.default_rng``.
    fig : matplotlib Figure, optional

    Returns
    -------
    matplotlib Figure
        With a 2 x 2 array of Axes in ``fig.axes`` (row-major).
    """
    X, y = _line_data(X, y)
    phi0 = v.vector(phi0, "phi0", 2, what=" (slope, intercept)")
    S = v.covariance(0.04 * np.eye(2) if prior_cov is None else prior_cov, 2, "prior_cov")
    n_samples = v.non_negative_int(n_samples, "n_samples")
    tt, _ = v.times(times, "times")
    tb, _ = v.times(band_times, "band_times")
    if fig is None:
        fig = plt.figure(figsize=(10, 8.6), layout="constrained")
    axes = fig.subplots(2, 2)
    flow = LinearFlow(X, y, phi0)
    t_path = np.linspace(0.0, float(tt.max()), 400)
    colors_b = _time_colors(tb.size, 0.05, 0.6)

    # Top left: gradient descent in parameter space.
    ax = axes[0, 0]
    plot_landscape(X, y, ax=ax, n=161, levels=25)
    ax.set_xlabel("intercept $\\phi[1]$")  # components in brackets: phi_0 is the start
    ax.set_ylabel("slope $\\phi[0]$")
    plot_path(flow.params(t_path), ax, color="white", lw=2, label="gradient flow $\\phi(t)$")
    ax.legend(loc="lower left", fontsize=8, frameon=True, facecolor="white", framealpha=0.85)

    # Top right: gradient descent in function space.
    plot_fits(flow, tt, ax=axes[0, 1])

    # Bottom left: a distribution of starts, moved by the flow.
    ax = axes[1, 0]
    grid = np.linspace(-1.0, 1.0, 161)
    ax.contour(grid, grid, loss_grid(X, y, grid, grid), 25, colors="#b0b0b0", linewidths=0.6)
    ax.set_xlim(-1.0, 1.0)
    ax.set_ylim(1.0, -1.0)
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_xlabel("intercept $\\phi[1]$")
    ax.set_ylabel("slope $\\phi[0]$")
    rng = np.random.default_rng(seed)
    starts = rng.multivariate_normal(phi0, S, size=n_samples)  # (N, 2)
    lam, V = gram_eigen(X, outer=True)
    e, _ = _factors(lam, t_path)  # (T, 2)
    from_zero = LinearFlow(X, y, np.zeros(2))
    c_path = from_zero.params(t_path)  # c(t), (T, 2)
    coords = starts @ V  # (N, 2) in the eigenbasis
    paths = np.einsum("tk,nk,dk->ntd", e, coords, V) + c_path[None]  # (N, T, 2)
    for p in paths:
        ax.plot(p[:, 1], p[:, 0], color=COLORS["band"], lw=0.6)
    ax.plot(starts[:, 1], starts[:, 0], "o", ms=2.5, color="#888888")
    eb, _ = _factors(lam, tb)
    for k, tk in enumerate(tb):
        E = (V * eb[k]) @ V.T
        mean = E @ phi0 + from_zero.params(float(tk))
        w, U = np.linalg.eigh(E @ S @ E.T)
        w = np.maximum(w, 0.0)
        # The plot's axes are (intercept, slope): swap the eigenvector's coordinates.
        angle = np.degrees(np.arctan2(U[0, 1], U[1, 1]))
        ax.add_patch(Ellipse((mean[1], mean[0]), 2 * np.sqrt(w[1]), 2 * np.sqrt(w[0]),
                             angle=angle, fill=False, lw=2, color=colors_b[k],
                             label=f"$t={tk:g}$"))
        ax.plot(mean[1], mean[0], "+", color=colors_b[k], ms=8, mew=2)
    ax.legend(loc="lower left", fontsize=8)

    # Bottom right: the Bayesian view in function space.
    ax = axes[1, 1]
    xs = np.linspace(0.0, 1.0, 60)
    Xs = np.vstack([xs, np.ones_like(xs)])
    mean, var = prediction_distribution(X, y, Xs, tb, phi0, S)
    sd = np.sqrt(var)
    for k, tk in enumerate(tb):
        c = colors_b[k]
        ax.fill_between(xs, mean[k] - 2 * sd[k], mean[k] + 2 * sd[k], color=c, alpha=0.18,
                        lw=0)
        ax.plot(xs, mean[k], color=c, lw=1.8, label=f"$t={tk:g}$")
    plot_data(X, y, ax=ax, annotate=False, ylim=(-1.0, 0.6))
    ax.legend(fontsize=8, loc="upper left")

    titles = ["parameter space", "function space"]
    rows = ["gradient descent", "Bayesian"]
    for j in range(2):
        axes[0, j].set_title(titles[j], fontsize=13, fontweight="bold")
    for i in range(2):
        axes[i, 0].annotate(rows[i], xy=(-0.28, 0.5), xycoords="axes fraction", rotation=90,
                            ha="center", va="center", fontsize=13, fontweight="bold")
    return fig
