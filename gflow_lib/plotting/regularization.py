"""Figures of the chapter on ML vs MAP: point estimates, ridge and flow paths, filters, risks."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import LogLocator

from .. import _docs
from ..regularization import flow_filter, ridge_filter
from .landscape import plot_landscape, plot_path
from .style import COLORS, FIG_WIDTH, WIDE_WIDTH, legend_below, point_colors, point_markers

__all__ = [
    "plot_distance_over_time",
    "plot_filters",
    "plot_ml_map",
    "plot_paths_vs_ridge",
    "plot_risk_ratio",
]

_FLOW_STYLES = [("-", COLORS["flow"]), ("-", COLORS["descent"]), ("-.", COLORS["ml"])]


def _figure(axes, ncols, figsize):
    if axes is None:
        fig, axes = plt.subplots(1, ncols, figsize=figsize, layout="constrained")
        return fig, np.atleast_1d(axes)
    axes = np.atleast_1d(axes)
    return axes[0].figure, axes


@_docs.fill
def plot_ml_map(surface, X, y, phi_ml, phi_map, axes=None):
    """ML and MAP as points on the loss landscape (left) and as lines over the data (right).
    Introduced in the chapter on ML vs MAP.

    Parameters
    ----------
    %(surface)s
    %(X_line)s
    %(y)s
    phi_ml, phi_map : array_like, shape (2,)
        (slope, intercept) of each estimate.
    axes : sequence of two Axes, optional

    %(returns_fig)s
    """
    fig, axes = _figure(axes, 2, (WIDE_WIDTH, 3.9))
    X, y = np.asarray(X, float), np.asarray(y, float)
    ax = plot_landscape(surface, ax=axes[0], levels=30)
    for phi, key, label, marker in ((phi_ml, "ml", "ML", "*"), (phi_map, "map", "MAP", "D")):
        ax.plot(phi[1], phi[0], marker, color=COLORS[key], ms=12 if marker == "*" else 7,
                mec="white", label=label)
    legend_below(ax, ncol=2)
    ax.set_title("on the loss landscape")

    ax = axes[1]
    x = np.linspace(0.0, 1.0, 101)
    for phi, key, label, ls in ((phi_ml, "ml", "ML", "-"), (phi_map, "map", "MAP", "--")):
        ax.plot(x, phi[0] * x + phi[1], ls, color=COLORS[key], label=label)
    for i, (xi, yi, c, m) in enumerate(zip(X[0], y, point_colors(len(y)),
                                            point_markers(len(y)), strict=True)):
        ax.scatter([xi], [yi], color=c, marker=m, zorder=3, s=40, edgecolors="white",
                   label="data" if i == 0 else None)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.5, 0.5)
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output $y$")
    legend_below(ax, ncol=3)
    ax.set_title("as lines over the data")
    return fig


@_docs.fill
def plot_paths_vs_ridge(surface, ridge_path, flow_paths, ax=None, marks=None):
    """The ridge path and one or more gradient-flow paths on the loss landscape.
    Introduced in the chapter on ML vs MAP.

    Parameters
    ----------
    %(surface)s
    ridge_path : array_like, shape (L, 2)
        Ridge solutions (slope, intercept) ordered from large to small penalty.
    flow_paths : sequence of (params, label)
        Each ``params`` of shape (T, 2), ordered in time.
    %(ax)s
    marks : sequence of (point, label, key), optional
        Points (slope, intercept) to mark, coloured by ``COLORS[key]``.

    %(returns_ax)s
    """
    ax = plot_landscape(surface, ax=ax, levels=30)
    ridge_path = np.asarray(ridge_path, float)
    ax.plot(ridge_path[:, 1], ridge_path[:, 0], "--", color=COLORS["ridge"], lw=2.5,
            label="ridge, penalty from large to 0")
    for (params, label), (ls, color) in zip(flow_paths, _FLOW_STYLES, strict=False):
        plot_path(params, ax, color=color, label=label, ls=ls, lw=1.8, marker_end=False)
    for point, label, key in marks or ():
        ax.plot(point[1], point[0], "*" if key == "ml" else "D", color=COLORS[key],
                ms=12 if key == "ml" else 6, mec="white", label=label)
    legend_below(ax, ncol=1)
    return ax


@_docs.fill
def plot_filters(lam=None, penalty=None, ax=None):
    """The per-direction filters of gradient flow and of ridge, against ``lambda t``.
    Introduced in the chapter on ML vs MAP. With the calibration ``penalty = 1/t`` both filters
    are functions of ``x = lambda t``: ``1 - exp(-x)`` for the flow and ``x / (1 + x)`` for ridge.

    Parameters
    ----------
    lam : array_like, shape (K,), optional
        Eigenvalues to mark at ``x = lam / penalty``.
    penalty : float, optional
        The ridge penalty at which to mark them (the stopping time is ``1/penalty``).
    %(ax)s

    %(returns_ax)s
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(FIG_WIDTH, 3.6), layout="constrained")
    x = np.geomspace(1e-2, 1e3, 400)
    # The filters as functions of lambda t: flow_filter(lambda t, 1), ridge_filter(lambda t, 1).
    ax.plot(x, flow_filter(x, 1.0), color=COLORS["flow"], lw=2,
            label=r"flow: $1 - e^{-\lambda t}$")
    ax.plot(x, ridge_filter(x, 1.0), "--", color=COLORS["ridge"], lw=2,
            label=r"ridge: $\lambda / (\lambda + 1/t)$")
    if lam is not None and penalty is not None:
        xs = np.asarray(lam, float) / penalty
        ax.plot(xs, flow_filter(xs, 1.0), "o", color=COLORS["flow"], ms=7)
        ax.plot(xs, ridge_filter(xs, 1.0), "o", color=COLORS["ridge"], ms=7, mfc="white")
        for xk in xs:
            ax.axvline(xk, color="0.6", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel(r"$\tau = \lambda t$ (eigenvalue times stopping time)")
    ax.set_ylabel("fraction of the way to $\\phi_{ML}$")
    ax.set_ylim(-0.02, 1.05)
    legend_below(ax, ncol=2)
    return ax


@_docs.fill
def plot_distance_over_time(t, curves, ax=None, minima=None, vline=None, ylabel=None):
    """Distances (or any positive curves) over time on log-log axes, with their minima marked.
    Introduced in the chapter on ML vs MAP.

    Parameters
    ----------
    t : array_like, shape (T,)
        Positive times.
    curves : sequence of (values, label)
        Each ``values`` of shape (T,).
    %(ax)s
    minima : sequence of (t, value), optional
        Points to mark, one per curve, in the curve's colour.
    vline : (t, label), optional
        A vertical reference line.
    ylabel : str, optional

    %(returns_ax)s
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(FIG_WIDTH, 3.6), layout="constrained")
    t = np.asarray(t, float)
    for i, (values, label) in enumerate(curves):
        ls, color = _FLOW_STYLES[i % len(_FLOW_STYLES)]
        ax.plot(t, values, ls, color=color, lw=2, label=label)
        if minima is not None:
            tm, vm = minima[i]
            ax.plot(tm, vm, "*", color=color, ms=13, mec="white")
    if vline is not None:
        ax.axvline(vline[0], color="0.35", ls="--", lw=1, label=vline[1])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time $t$")
    ax.set_ylabel(ylabel or "distance")
    legend_below(ax, ncol=2)
    return ax


@_docs.fill
def plot_risk_ratio(t, risk_flow, risk_ridge, bound, axes=None):
    """Estimation risk of gradient flow at time ``t`` and of ridge at penalty ``1/t`` (left),
    and their ratio against a bound (right). Introduced in the chapter on ML vs MAP.

    Parameters
    ----------
    t : array_like, shape (T,)
    risk_flow, risk_ridge : RiskCurve
        From :func:`gflow_lib.regularization.flow_risk` and ``ridge_risk``.
    bound : float
        The constant to draw on the ratio panel.
    axes : sequence of two Axes, optional

    %(returns_fig)s
    """
    fig, axes = _figure(axes, 2, (WIDE_WIDTH, 4.4))
    t = np.asarray(t, float)
    ax = axes[0]
    ax.plot(t, risk_flow.risk, color=COLORS["flow"], lw=2, label="flow: risk")
    ax.plot(t, risk_ridge.risk, "--", color=COLORS["ridge"], lw=2, label="ridge: risk")
    ax.plot(t, risk_flow.variance, color=COLORS["flow"], lw=1, alpha=0.6, label="flow: variance")
    ax.plot(t, risk_ridge.variance, "--", color=COLORS["ridge"], lw=1, alpha=0.6,
            label="ridge: variance")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(LogLocator(numticks=5))
    ax.set_xlabel("time $t$ (ridge penalty $1/t$)")
    ax.set_ylabel(r"$\mathbb{E}\,\|\hat\phi - \phi_{\mathrm{true}}\|^2$")
    legend_below(ax, ncol=2)
    ax.set_title("estimation risk")

    ax = axes[1]
    ratio = np.asarray(risk_flow.risk) / np.asarray(risk_ridge.risk)
    ax.plot(t, ratio, color=COLORS["loss"], lw=2, label="flow / ridge")
    ax.axhline(bound, color=COLORS["data"], ls="--", lw=1.2, label=f"bound {bound:.4f}")
    ax.axhline(1.0, color="0.5", lw=0.8)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(numticks=5))
    ax.set_ylim(0.0, bound * 1.15)
    ax.set_xlabel("time $t$ (ridge penalty $1/t$)")
    ax.set_ylabel("risk ratio")
    legend_below(ax, ncol=1)
    ax.set_title("ratio of the two risks")
    return fig
