"""Figures of the chapter on deep linear networks, drawn from numbers the caller computed with
:mod:`gflow_lib.deep_linear` and :mod:`gflow_lib.diagonal`; legends under the axes."""

from __future__ import annotations

import numpy as np

from .. import _docs
from .style import CATEGORY_COLORS, checked_array, legend_below, new_axes, panel_grid

__all__ = ["plot_alpha_sweep", "plot_interpolant_path", "plot_kernel_change",
           "plot_mode_strengths"]

_STYLES = ["-", "--", ":", "-."]


def _series(t, values, name):
    t = checked_array(t, "t", 1)
    values = checked_array(values, name, 2)
    if values.shape[0] != t.size:
        raise ValueError(f"{name} must have one row per time, shape ({t.size}, K); got "
                         f"{values.shape}")
    return t, values


@_docs.fill
def plot_mode_strengths(t, strengths, s, half_times=None, others=(), loss=None, axes=None):
    r"""Each mode's strength over time (singular values dotted, half-times marked, other models
    dashed), the loss in a second panel. Introduced in the chapter on deep linear networks.

    Parameters
    ----------
    %(t_curve)s
    strengths : array_like, shape (T, K)
    s : array_like, shape (K,)
        Singular values (the targets).
    half_times : array_like, shape (K,), optional
    others : sequence of (label, array (T, K)), optional
        Other models' strengths, drawn with other line styles.
    loss : sequence of (label, array (T,)), optional
        Loss curves for a second panel (log scale).
    %(axes_pair)s

    %(returns_fig)s
    """
    t, strengths = _series(t, strengths, "strengths")
    s = checked_array(s, "s", 1)
    if axes is None:
        n = 1 if loss is None else 2
        fig, axes = panel_grid(n, panel_size=(3.1, 2.6) if n == 2 else (5.2, 3.4),
                               extra_height=0.6)
    ax = axes[0]
    for k in range(s.size):
        color = CATEGORY_COLORS[k % len(CATEGORY_COLORS)]
        ax.plot(t, strengths[:, k], color=color, lw=2, label=f"$s_{k + 1} = {s[k]:g}$")
        ax.axhline(s[k], color=color, ls=":", lw=1)
        if half_times is not None:
            ax.axvline(half_times[k], color=color, ls="-", lw=0.8, alpha=0.6)
        for j, (label, other) in enumerate(others):
            other = checked_array(other, "others", 2)
            ax.plot(t, other[:, k], color=color, ls=_STYLES[1 + j % 3], lw=1.4,
                    label=label if k == 0 else None)
    ax.set_xlabel("time $t$")
    ax.set_ylabel("strength $u_k(t)$")
    legend_below(ax, ncol=2)
    if loss is not None:
        ax2 = axes[1]
        for j, (label, curve) in enumerate(loss):
            ax2.semilogy(t, checked_array(curve, "loss", 1), color="0.15", ls=_STYLES[j % 4],
                         lw=1.8, label=label)
        ax2.set_xlabel("time $t$")
        ax2.set_ylabel("loss")
        legend_below(ax2, ncol=1)
    return ax.figure


@_docs.fill
def plot_kernel_change(x, series, labels, xlabel, ylabel, slope=None, ax=None):
    """Quantities against a scale on log-log axes, with an optional dashed reference slope.
    Introduced in the chapter on deep linear networks.

    Parameters
    ----------
    x : array_like, shape (N,)
        Positive abscissae.
    series : sequence of arrays, each (N,)
        Positive values, one line each.
    labels : sequence of str
    xlabel, ylabel : str
    slope : float, optional
        A dashed line of this slope through the first series' first point.
    %(ax)s

    %(returns_ax)s
    """
    x = checked_array(x, "x", 1)
    series = [checked_array(v, "each series", 1) for v in series]
    if any(v.shape != x.shape for v in series) or len(labels) != len(series):
        raise ValueError(f"series must be arrays of shape {x.shape}, one per label")
    ax = new_axes(ax, figsize=(5.2, 3.6))
    for k, (v, label) in enumerate(zip(series, labels, strict=True)):
        ax.loglog(x, v, marker="os^Dv"[k % 5], color=CATEGORY_COLORS[k], lw=1.8, label=label)
    if slope is not None:
        ax.loglog(x, series[0][0] * (x / x[0]) ** slope, color="0.45", ls="--", lw=1,
                  label=f"slope {slope:g}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    legend_below(ax, ncol=2)
    return ax


@_docs.fill
def plot_interpolant_path(alphas, betas, beta_l2, beta_l1, beta_true, ax=None):
    r"""The diagonal network's limit per coefficient against the start's scale (shrinking to the
    right; true nonzero coefficients in colour), the minimum-:math:`\ell_2` and
    :math:`\ell_1` interpolants at the ends. Introduced in the chapter on deep linear networks.

    Parameters
    ----------
    alphas : array_like, shape (A,)
        Decreasing scales.
    betas : array_like, shape (A, D)
    beta_l2, beta_l1, beta_true : array_like, shape (D,)
    %(ax)s

    %(returns_ax)s
    """
    alphas = checked_array(alphas, "alphas", 1)
    betas = checked_array(betas, "betas", 2)
    ax = new_axes(ax, figsize=(5.2, 3.8))
    support = np.flatnonzero(np.asarray(beta_true))
    for d in range(betas.shape[1]):
        if d in support:
            continue
        ax.semilogx(alphas, betas[:, d], color="0.7", lw=0.9)
    for j, d in enumerate(support):
        color = CATEGORY_COLORS[j % len(CATEGORY_COLORS)]
        ax.semilogx(alphas, betas[:, d], color=color, lw=2.2,
                    label=rf"$\beta_{{{d + 1}}}$ (true {beta_true[d]:g})")
    lo, hi = alphas.max(), alphas.min()
    ax.scatter(np.full(betas.shape[1], lo), beta_l2, marker="s", s=22, color="0.2", zorder=3,
               label=r"min-$\ell_2$")
    ax.scatter(np.full(betas.shape[1], hi), beta_l1, marker="D", s=22, facecolor="none",
               edgecolor="0.2", zorder=3, label=r"min-$\ell_1$")
    ax.invert_xaxis()
    ax.set_xlabel(r"scale of the start $\alpha$")
    ax.set_ylabel(r"$\beta_\infty$")
    legend_below(ax, ncol=2)
    return ax


@_docs.fill
def plot_alpha_sweep(alphas, error, kernel_change, axes=None):
    r"""Test error and the kernel's relative change against the start's scale (shrinking to
    the right). Introduced in the chapter on deep linear networks.

    Parameters
    ----------
    alphas : array_like, shape (A,)
    error : sequence of (label, array (A,))
        Test errors, one line each (a constant is a horizontal line).
    kernel_change : array_like, shape (A,)
    %(axes_pair)s

    %(returns_fig)s
    """
    alphas = checked_array(alphas, "alphas", 1)
    if axes is None:
        fig, axes = panel_grid(2, panel_size=(3.1, 2.6), extra_height=0.6)
    ax, ax2 = axes
    for j, (label, e) in enumerate(error):
        ax.loglog(alphas, np.broadcast_to(e, alphas.shape), color=CATEGORY_COLORS[j],
                  ls=_STYLES[j % 4], lw=1.8, label=label)
    ax.set_xlabel(r"$\alpha$")
    ax.set_ylabel(r"test error $\|\beta - \beta_*\|^2$")
    legend_below(ax, ncol=1)
    ax2.loglog(alphas, checked_array(kernel_change, "kernel_change", 1), color="0.15",
               marker="o", ms=3, lw=1.8, label="diagonal network")
    ax2.set_xlabel(r"$\alpha$")
    ax2.set_ylabel(r"$\|\Theta_\infty - \Theta_0\| / \|\Theta_0\|$")
    legend_below(ax2, ncol=1)
    for a in (ax, ax2):  # the start shrinks to the right, as in plot_interpolant_path
        a.set_xlim(alphas.max() * 2, alphas.min() / 2)
    return ax.figure
