"""Figures of the chapter on stochastic gradient descent. They draw what the caller computed
with :mod:`gflow_lib.sgd` (moments, runs, thresholds, covariances, errors); parameters are
(slope, intercept), drawn with the intercept across and the slope up, as on the book's maps.
At most two panels side by side, legends off the data."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import _docs
from .style import COLORS, FIG_WIDTH, OKABE_ITO, WIDE_WIDTH, legend_below, new_axes

__all__ = ["plot_crowd_shapes", "plot_crowd_size", "plot_rr_errors", "plot_sgd_spread",
           "plot_sgd_thresholds"]

_SHAPES = [OKABE_ITO["vermillion"], OKABE_ITO["blue"], OKABE_ITO["bluish green"],
           OKABE_ITO["reddish purple"]]
_DASHES = ["-", "--", ":", "-."]


def _ellipse(cov, center, n_sd=2.0, n=200):
    """Points (intercept, slope) of the ``n_sd`` ellipse of a (slope, intercept) covariance."""
    (a, b), (_, c) = np.asarray(cov, dtype=float)
    mid, half = 0.5 * (a + c), np.hypot(0.5 * (a - c), b)
    major, minor = np.sqrt(max(mid + half, 0.0)), np.sqrt(max(mid - half, 0.0))
    theta = 0.5 * np.arctan2(2.0 * b, a - c)  # the major axis, from the slope axis
    u = np.linspace(0.0, 2.0 * np.pi, n)
    p, q = n_sd * major * np.cos(u), n_sd * minor * np.sin(u)
    slope = center[0] + p * np.cos(theta) - q * np.sin(theta)
    intercept = center[1] + p * np.sin(theta) + q * np.cos(theta)
    return intercept, slope


def _pair(axes):
    if axes is not None:
        return axes
    _, axes = plt.subplots(1, 2, figsize=(WIDE_WIDTH, 3.6), layout="constrained")
    return axes


@_docs.fill
def plot_sgd_spread(mean, cov, runs, marks, axes=None):
    """Left: Monte Carlo runs at the last step, the exact mean path and 2-sd ellipses at the
    steps ``marks``; right: exact (lines) and Monte Carlo (markers) standard deviations
    against the step. Introduced in the chapter on SGD.

    Parameters
    ----------
    mean, cov, runs : array_like
        (K + 1, 2) and (K + 1, 2, 2) from ``sgd_moments``, (N, K + 1, 2) from ``sgd_simulate``.
    marks : sequence of int
    axes : two matplotlib Axes, optional

    Returns
    -------
    ndarray of two matplotlib Axes
    """
    mean, cov, runs = (np.asarray(a, dtype=float) for a in (mean, cov, runs))
    axes = _pair(axes)
    ax = axes[0]
    ax.plot(runs[:400, -1, 1], runs[:400, -1, 0], ".", ms=3, alpha=0.35,
            color=COLORS["descent"], label=f"runs at step {mean.shape[0] - 1}")
    ax.plot(mean[:, 1], mean[:, 0], "-", color=COLORS["flow"], lw=2, label="exact mean")
    for j, k in enumerate(marks):
        ex, ey = _ellipse(cov[k], mean[k])
        ax.plot(ex, ey, "-", color=OKABE_ITO["black"], lw=1.2,
                label="exact 2 sd ellipses" if j == 0 else None)
    ax.set_xlabel(r"intercept $\phi[1]$")
    ax.set_ylabel(r"slope $\phi[0]$")
    ax.xaxis.set_major_locator(MaxNLocator(3))
    legend_below(ax, 1)
    ax = axes[1]
    k = np.arange(mean.shape[0])
    sd_mc = runs.std(axis=0, ddof=1)
    for d, name in ((0, "slope"), (1, "intercept")):
        c = COLORS[name]
        ax.plot(k, np.sqrt(cov[:, d, d]), "-", color=c, lw=2, label=name)
        ax.plot(k[::2], sd_mc[::2, d], "o", color=c, ms=4, mfc="none", label="Monte Carlo")
    ax.set_xlabel("step k")
    ax.set_ylabel("standard deviation")
    legend_below(ax, 2)
    ax.get_legend().set(title="exact (lines)")
    return axes


@_docs.fill
def plot_sgd_thresholds(batch_sizes, with_replacement, distinct, descent, ax=None):
    """Mean-square thresholds (n,) against the batch sizes (n,), with replacement and distinct
    (NaN for B > I), beside descent's ``descent``. Introduced in the chapter on SGD.

    Parameters
    ----------
    batch_sizes, with_replacement, distinct : array_like, shape (n,)
    descent : float
    %(ax)s

    %(returns_ax)s
    """
    ax = new_axes(ax, figsize=(FIG_WIDTH, 3.6))
    B = np.asarray(batch_sizes, dtype=float)
    ax.axhline(descent, color=OKABE_ITO["black"], lw=1.2, ls="--",
               label=r"descent, $2/\lambda_{\max}$")
    ax.plot(B, with_replacement, "o-", color=COLORS["descent"], label="with replacement")
    ax.plot(B, distinct, "s-", color=COLORS["flow"], label="distinct points")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size B")
    ax.set_ylabel(r"largest stable step $\mathrm{lr}_{ms}$")
    legend_below(ax, 2)
    return ax


@_docs.fill
def plot_crowd_shapes(covs, center, ax=None):
    """Ellipses of ``covs`` ({label: (2, 2) cov}) scaled to trace 1 around ``center`` (2,), so
    that shapes and directions compare. Introduced in the chapter on SGD.

    Parameters
    ----------
    covs : dict of str to array_like
    center : array_like, shape (2,)
    %(ax)s

    %(returns_ax)s
    """
    ax = new_axes(ax, figsize=(FIG_WIDTH, 4.4))
    center = np.asarray(center, dtype=float)
    for j, (label, C) in enumerate(covs.items()):
        C = np.asarray(C, dtype=float)
        ex, ey = _ellipse(C / np.trace(C), center, n_sd=1.0)
        ax.plot(ex, ey, _DASHES[j % 4], color=_SHAPES[j % 4], lw=2, label=label)
    ax.plot(center[1], center[0], "*", color=COLORS["ml"], ms=12)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(r"intercept $\phi[1]$")
    ax.set_ylabel(r"slope $\phi[0]$")
    legend_below(ax, 1)
    return ax


@_docs.fill
def plot_crowd_size(lrs, exact, approx, threshold, ax=None):
    """Total stationary variance against lr (n,), exact and approximate, log axes, with the
    mean-square ``threshold``. Introduced in the chapter on SGD.

    Parameters
    ----------
    lrs, exact, approx : array_like, shape (n,)
    threshold : float
    %(ax)s

    %(returns_ax)s
    """
    ax = new_axes(ax, figsize=(FIG_WIDTH, 4.4))
    ax.loglog(lrs, exact, "-", color=COLORS["descent"], lw=2, label="exact")
    ax.loglog(lrs, approx, "--", color=COLORS["flow"], lw=2, label="Lyapunov (small lr)")
    ax.axvline(threshold, color=OKABE_ITO["black"], lw=1, ls=":",
               label=r"$\mathrm{lr}_{ms}$")
    ax.set_xlabel("learning rate lr")
    ax.set_ylabel(r"total variance $\mathrm{tr}\,\Sigma_\infty$")
    legend_below(ax, 2)
    return ax


@_docs.fill
def plot_rr_errors(lrs, errors, ax=None):
    """Distances after one epoch, {label: (n,)}, against lr (n,). Introduced in the chapter on SGD.

    Parameters
    ----------
    lrs : array_like, shape (n,)
    errors : dict of str to array_like
    %(ax)s

    %(returns_ax)s
    """
    ax = new_axes(ax, figsize=(FIG_WIDTH, 3.8))
    markers = ["o", "s", "^", "D"]
    for j, (label, e) in enumerate(errors.items()):
        ax.loglog(lrs, e, _DASHES[j % 4], marker=markers[j % 4], color=_SHAPES[j % 4],
                  label=label)
    ax.set_xlabel("learning rate lr")
    ax.set_ylabel("distance after one epoch")
    legend_below(ax, 1)
    return ax
