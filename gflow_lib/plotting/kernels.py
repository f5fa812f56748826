"""Figures of the chapter on function space (``book/function_space.ipynb``): eigenfunctions,
residuals per mode, fits over time, held-out error, filters per mode, and the gap between
random features and their kernel. They draw arrays the caller computed with the core."""

from __future__ import annotations

import numpy as np

from .. import _docs
from ..kernels import KernelGap
from .style import (
    BOOK_CMAP,
    CATEGORY_COLORS,
    COLORS,
    TEXT_PT,
    legend_below,
    new_axes,
    panel_grid,
    time_colors,
)
from .style import checked_array as _array

__all__ = [
    "plot_eigenfunctions",
    "plot_fits_over_time",
    "plot_functions",
    "plot_held_out_error",
    "plot_kernel_gap",
    "plot_mode_filters",
    "plot_mode_residuals",
]


def _data(ax, data):
    """Training points (x, y) as dots in the data colour."""
    if data is not None:
        xd, yd = (np.asarray(a, dtype=float) for a in data)
        ax.plot(xd, yd, "o", color=COLORS["data"], ms=5, zorder=5, label="data")


def _mode_colors(n):
    """One colour per mode, dark for the largest eigenvalue (learned first)."""
    return BOOK_CMAP(np.linspace(0.05, 0.75, n))


@_docs.fill
def plot_eigenfunctions(x, funcs, lam, x_data=None, ncols=2, panel_size=(3.1, 2.0)):
    r"""Eigenvectors of a kernel matrix drawn as functions of the input, one panel each.
    Introduced in the chapter on function space.

    Parameters
    ----------
    x : array_like, shape (M,)
    funcs : array_like, shape (M, P)
        One function per column, e.g. the Nyström extension :math:`e_k(x) = k(x, X)u_k/\lambda_k`.
    lam : array_like, shape (P,)
        Their eigenvalues (in the panel titles).
    x_data : array_like, shape (I,), optional
        Training inputs, marked on each curve's zero line.
    ncols : int
        Panels per row, at most 2 (the book's figures read on a phone).
    panel_size : (float, float)

    %(returns_fig)s
    """
    x, funcs, lam = _array(x, "x", 1), _array(funcs, "funcs", 2), _array(lam, "lam", 1)
    if funcs.shape != (x.size, lam.size):
        raise ValueError(f"funcs must have shape (M, P) = ({x.size}, {lam.size}) to match x "
                         f"and lam; got shape {funcs.shape}")
    P = lam.size
    ncols = max(1, min(int(ncols), P, 2))
    nrows = -(-P // ncols)
    fig, flat = panel_grid(nrows * ncols, panel_size=panel_size, sharex=True, sharey=True)
    colors = _mode_colors(P)
    for k, ax in enumerate(flat):
        if k >= P:
            ax.set_visible(False)
            continue
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.plot(x, funcs[:, k], color=colors[k], lw=1.8)
        if x_data is not None:
            xd = np.asarray(x_data, dtype=float)
            ax.plot(xd, np.zeros_like(xd), "|", color=COLORS["data"], ms=6)
        ax.set_title(f"mode {k + 1}: $\\lambda = {lam[k]:.3g}$", fontsize=TEXT_PT)
        if k + ncols >= P:
            ax.set_xlabel("input $x$")
            ax.xaxis.set_tick_params(labelbottom=True)
    return fig


@_docs.fill
def plot_mode_residuals(t, coords, lam, modes=None, ax=None, floor=1e-6):
    r"""The size of each eigen-mode of the residual against time (log-log).
    Introduced in the chapter on function space. Mode ``k`` decays as :math:`e^{-\lambda_k t}`;
    a dotted line marks its time constant :math:`1/\lambda_k`.

    Parameters
    ----------
    t : array_like, shape (T,)
        Positive times.
    coords : array_like, shape (T, P)
        Residual coordinates :math:`u_k^T(f(t) - y)` (absolute values drawn).
    lam : array_like, shape (P,)
        Positive eigenvalues, largest first.
    modes : sequence of P int, optional
        The modes' numbers in the legend (default 1 to P).
    %(ax)s
    floor : float
        Values below this are not drawn.

    %(returns_ax)s
    """
    t, coords, lam = _array(t, "t", 1), _array(coords, "coords", 2), _array(lam, "lam", 1)
    if coords.shape != (t.size, lam.size):
        raise ValueError(f"coords must have shape (T, P) = ({t.size}, {lam.size}) to match t "
                         f"and lam; got shape {coords.shape}")
    if np.any(t <= 0) or np.any(lam <= 0):
        raise ValueError("t and lam must be positive to be drawn on log axes")
    modes = list(range(1, lam.size + 1)) if modes is None else [int(m) for m in modes]
    if len(modes) != lam.size:
        raise ValueError(f"modes must have {lam.size} entries, one per column of coords; got "
                         f"{len(modes)}")
    ax = new_axes(ax)
    size = np.abs(coords)
    for k, c in enumerate(_mode_colors(lam.size)):
        shown = np.where(size[:, k] >= floor, size[:, k], np.nan)
        ax.loglog(t, shown, color=c, lw=1.6,
                  label=f"$\\lambda_{{{modes[k]}}} = {lam[k]:.3g}$")
        if t[0] <= 1.0 / lam[k] <= t[-1]:
            ax.axvline(1.0 / lam[k], color=c, lw=0.8, ls=":")
    ax.set_ylim(floor, None)
    ax.set_xlabel("time $t$")
    ax.set_ylabel(r"$|u_k^T (f(t) - y)|$")
    legend_below(ax, ncol=4)
    return ax


@_docs.fill
def plot_fits_over_time(x, fits, t, data=None, target=None, ax=None, ylim=None):
    """The fitted function at several times, dark early to light late.
    Introduced in the chapter on function space.

    Parameters
    ----------
    x : array_like, shape (M,)
    fits : array_like, shape (T, M)
        Predictions at ``x``, one row per time.
    t : array_like, shape (T,)
        The times (legend labels).
    %(data_xy)s
    target : array_like, shape (M,), optional
        The noise-free target at ``x`` (dashed).
    %(ax)s
    ylim : (float, float), optional

    %(returns_ax)s
    """
    x, fits, t = _array(x, "x", 1), _array(fits, "fits", 2), _array(t, "t", 1)
    if fits.shape != (t.size, x.size):
        raise ValueError(f"fits must have shape (T, M) = ({t.size}, {x.size}) to match t and "
                         f"x; got shape {fits.shape}")
    ax = new_axes(ax)
    for f, tk, c in zip(fits, t, time_colors(t.size), strict=True):
        ax.plot(x, f, color=c, lw=1.8, label=f"$t = {tk:g}$")
    if target is not None:
        ax.plot(x, _array(target, "target", 1), "--", color=COLORS["ml"], lw=1.2,
                label="target")
    _data(ax, data)
    ax.set_xlim(x[0], x[-1])
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("input $x$")
    ax.set_ylabel("prediction $f(x)$")
    legend_below(ax, ncol=4)
    return ax


@_docs.fill
def plot_functions(x, curves, labels, data=None, target=None, span=None, ax=None, ylim=None,
                   colors=None, styles=None, legend_loc="below"):
    """A few functions of the input over the data, with the data's span shaded.
    Introduced in the chapter on function space.

    Parameters
    ----------
    x : array_like, shape (M,)
    curves : array_like, shape (C, M)
    labels : sequence of C str
    %(data_xy)s
    target : array_like, shape (M,), optional
        The noise-free target (dashed black).
    span : (float, float), optional
        The interval of the training inputs, shaded.
    %(ax)s
    ylim : (float, float), optional
    colors, styles : sequence of C, optional
        Line colours (default: category colours, or the map for more than 6), styles (solid).
    legend_loc : str
        ``"below"`` (under the axes, covering nothing) or a matplotlib location inside.

    %(returns_ax)s
    """
    x, curves = _array(x, "x", 1), np.atleast_2d(np.asarray(curves, dtype=float))
    labels = list(labels)
    if curves.ndim != 2 or curves.shape != (len(labels), x.size):
        raise ValueError(f"curves must have shape (C, M) = ({len(labels)}, {x.size}) to match "
                         f"labels and x; got shape {curves.shape}")
    n = len(labels)
    colors = CATEGORY_COLORS[:n] if colors is None and n <= 6 else colors
    colors = list(BOOK_CMAP(np.linspace(0.1, 0.7, n))) if colors is None else list(colors)
    styles = ["-"] * n if styles is None else list(styles)
    if len(colors) != n or len(styles) != n:
        raise ValueError(f"colors and styles must have {n} entries; got {len(colors)} and "
                         f"{len(styles)}")
    ax = new_axes(ax)
    if span is not None:
        ax.axvspan(*span, color=COLORS["band"], alpha=0.35, lw=0, label="span of the data")
    for f, lab, c, s in zip(curves, labels, colors, styles, strict=True):
        ax.plot(x, f, s, color=c, lw=1.8, label=lab)
    if target is not None:
        ax.plot(x, _array(target, "target", 1), "--", color=COLORS["ml"], lw=1.2,
                label="target")
    _data(ax, data)
    ax.set_xlim(x[0], x[-1])
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("input $x$")
    ax.set_ylabel("prediction $f(x)$")
    if legend_loc == "below":
        legend_below(ax, ncol=3)
    else:
        ax.legend(loc=legend_loc)
    return ax


@_docs.fill
def plot_held_out_error(t, flow_error, penalty, ridge_error, best=None, noise_floor=None,
                        ax=None):
    r"""Held-out error of the flow against time and of ridge against :math:`1/\mu`.
    Introduced in the chapter on function space.

    Parameters
    ----------
    t : array_like, shape (T,)
        Positive times.
    flow_error : array_like, shape (T,)
    penalty : array_like, shape (L,)
        Positive ridge penalties; drawn at :math:`1/\mu`.
    ridge_error : array_like, shape (L,)
    best : (float, float), optional
        The best stopping time and its error, marked.
    noise_floor : float, optional
        The noise variance (dotted).
    %(ax)s

    %(returns_ax)s
    """
    t, flow_error = _array(t, "t", 1), _array(flow_error, "flow_error", 1)
    penalty, ridge_error = _array(penalty, "penalty", 1), _array(ridge_error, "ridge_error", 1)
    if flow_error.shape != t.shape or ridge_error.shape != penalty.shape:
        raise ValueError(f"flow_error must match t and ridge_error penalty; got shapes "
                         f"{flow_error.shape}, {t.shape}, {ridge_error.shape}, {penalty.shape}")
    if np.any(t <= 0) or np.any(penalty <= 0):
        raise ValueError("t and penalty must be positive to be drawn on a log axis")
    ax = new_axes(ax)
    ax.loglog(t, flow_error, color=COLORS["flow"], lw=2, label="gradient flow, time $t$")
    ax.loglog(1.0 / penalty, ridge_error, "--", color=COLORS["ridge"], lw=2,
              label=r"ridge, penalty $\mu = 1/t$")
    if best is not None:
        t_best, error_best = (float(b) for b in best)
        ax.axvline(t_best, color=COLORS["flow"], lw=0.8, ls=":")
        ax.plot([t_best], [error_best], "o", color=COLORS["flow"], ms=7,
                label=f"best stopping time {t_best:.3g}")
    if noise_floor is not None:
        ax.axhline(noise_floor, color="0.4", lw=1, ls=":", label=r"noise variance $\sigma^2$")
    ax.set_xlabel(r"time $t$ (flow), $1/\mu$ (ridge)")
    ax.set_ylabel("held-out mean squared error")
    legend_below(ax, ncol=2)
    return ax


@_docs.fill
def plot_mode_filters(lam, gains, labels, ax=None):
    """Filters per eigen-mode: the fraction of each mode of ``y`` a method has fitted.
    Introduced in the chapter on function space.

    Parameters
    ----------
    lam : array_like, shape (P,)
        Positive eigenvalues of K.
    gains : array_like, shape (C, P)
        One filter per row, e.g. ``flow_filter(lam, t)`` and ``ridge_filter(lam, penalty)``.
    labels : sequence of C str
    %(ax)s

    %(returns_ax)s
    """
    lam, gains = _array(lam, "lam", 1), np.atleast_2d(np.asarray(gains, dtype=float))
    labels = list(labels)
    if gains.shape != (len(labels), lam.size):
        raise ValueError(f"gains must have shape (C, P) = ({len(labels)}, {lam.size}) to match "
                         f"labels and lam; got shape {gains.shape}")
    if np.any(lam <= 0):
        raise ValueError("lam must be positive to be drawn on a log axis")
    ax = new_axes(ax)
    order = np.argsort(lam)
    styles = [("-", "o", COLORS["flow"]), ("--", "s", COLORS["ridge"]),
              (":", "^", COLORS["descent"]), ("-.", "D", COLORS["slope"])]
    for k, (g, lab) in enumerate(zip(gains, labels, strict=True)):
        ls, marker, c = styles[k % len(styles)]
        ax.semilogx(lam[order], g[order], ls, marker=marker, color=c, ms=5, lw=1.5, label=lab,
                    mfc="white" if k % 2 else c)
    ax.set_ylim(-0.03, 1.05)
    ax.set_xlabel(r"eigenvalue $\lambda_k$ of $K$")
    ax.set_ylabel("fraction of the mode fitted")
    legend_below(ax, ncol=1)
    return ax


@_docs.fill
def plot_kernel_gap(gaps, labels, ax=None):
    r"""The gap between the Gram matrix of ``n`` random features and its kernel, log-log.
    Introduced in the chapter on function space: measured points, and the expected
    :math:`\sqrt{\bar v / n}` (slope :math:`-1/2`) as lines.

    Parameters
    ----------
    gaps : sequence of KernelGap
        From :func:`~gflow_lib.kernels.random_feature_gap`.
    labels : sequence of str
        One per gap.
    %(ax)s

    %(returns_ax)s
    """
    gaps, labels = list(gaps), list(labels)
    if not all(isinstance(g, KernelGap) for g in gaps) or len(gaps) != len(labels):
        raise TypeError("gaps must be KernelGap results of random_feature_gap, one per label; "
                        f"got {len(gaps)} gaps ({', '.join(type(g).__name__ for g in gaps)}) "
                        f"and {len(labels)} labels")
    ax = new_axes(ax)
    colors = [COLORS["flow"], COLORS["descent"], COLORS["slope"], COLORS["map"]]
    for k, (g, lab) in enumerate(zip(gaps, labels, strict=True)):
        c = colors[k % len(colors)]
        ax.loglog(g.n_features, g.gap, "o", color=c, ms=6,
                  label=f"{lab}: measured, slope {g.slope:.3f}")
        ax.loglog(g.n_features, g.expected, "-", color=c, lw=1.2, alpha=0.8,
                  label=f"{lab}: expected $\\propto n^{{-1/2}}$")
    ax.set_xlabel("number of random features $n$")
    ax.set_ylabel(r"rms of $F^TF - K$")
    legend_below(ax, ncol=1)
    return ax
