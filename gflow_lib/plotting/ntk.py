"""Figures of the chapters on wide networks and the neural tangent kernel.
Introduced in the chapters on wide networks (``book/ntk.ipynb``) and on training wide networks
in closed form (``book/ntk_training.ipynb``). Every function draws arrays the chapter computed
with :mod:`gflow_lib.network` and :mod:`gflow_lib.ntk`; none computes."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import _docs
from .bayes import plot_prediction_band
from .style import (
    BOOK_CMAP,
    CATEGORY_COLORS,
    COLORS,
    OKABE_ITO,
    TEXT_PT,
    legend_below,
    new_axes,
    panel_grid,
    point_colors,
    point_markers,
    time_colors,
)
from .style import (
    checked_array as _array,
)

__all__ = [
    "plot_function_curves",
    "plot_kernel_maps",
    "plot_loss_curves",
    "plot_network_functions",
    "plot_network_vs_linear",
    "plot_ntk_band",
    "plot_outputs_over_time",
    "plot_residual_modes",
    "plot_width_scaling",
]


def _draw_data(ax, data):
    """The training points, each with its own colour and marker."""
    if data is None:
        return
    xd, yd = (np.asarray(a, dtype=float) for a in data)
    colors, markers = point_colors(xd.size), point_markers(xd.size)
    for i in range(xd.size):
        ax.plot(xd[i], yd[i], marker=markers[i], color=colors[i], ms=7, ls="none", zorder=5,
                markeredgecolor="white", label="data" if i == 0 else None)


@_docs.fill
def plot_network_functions(x, functions, titles, data=None, ylim=None, panel_size=(3.1, 2.4)):
    """Random network functions, one panel per width. Introduced in the chapter on wide networks.

    Parameters
    ----------
    x : array_like, shape (M,)
    functions : sequence of arrays, each (N, M)
        The functions of one panel, one row each.
    titles : sequence of str
        One per panel.
    %(data_xy)s
    ylim : (float, float), optional
    panel_size : (float, float)

    %(returns_fig)s
    """
    x = _array(x, "x", 1)
    functions = [_array(f, "each entry of functions", 2) for f in functions]
    titles = list(titles)
    if len(titles) != len(functions) or any(f.shape[1] != x.size for f in functions):
        raise ValueError(f"functions must hold arrays of shape (N, {x.size}), one per title; got "
                         f"{[f.shape for f in functions]} and {len(titles)} titles")
    P = len(functions)
    fig, axes = panel_grid(P, panel_size=panel_size, sharey=True)
    for k, (ax, f, title) in enumerate(zip(axes, functions, titles, strict=True)):
        colors = BOOK_CMAP(np.linspace(0.1, 0.75, f.shape[0]))
        for row, c in zip(f, colors, strict=True):
            ax.plot(x, row, color=c, lw=1.2)
        _draw_data(ax, data)
        ax.set_title(title, fontsize=TEXT_PT)
        ax.set_xlabel("input $x$")
        ax.set_xlim(x[0], x[-1])
        ax.xaxis.set_major_locator(MaxNLocator(5))
        if ylim is not None:
            ax.set_ylim(*ylim)
        if k % 2 == 0:
            ax.set_ylabel("$f_0(x)$")
    return fig


@_docs.fill
def plot_kernel_maps(x, kernels, titles, axes=None):
    """Kernels :math:`k(x, x')` on a grid as heat maps, in the book's colour map.
    Introduced in the chapter on wide networks.

    Parameters
    ----------
    x : array_like, shape (M,)
        The grid, increasing.
    kernels : sequence of arrays, each (M, M)
    titles : sequence of str
    axes : sequence of Axes, optional

    %(returns_fig)s
    """
    x = _array(x, "x", 1)
    kernels = [_array(k, "each kernel", 2) for k in kernels]
    if any(k.shape != (x.size, x.size) for k in kernels) or len(titles) != len(kernels):
        raise ValueError(f"kernels must be arrays of shape ({x.size}, {x.size}), one per title; "
                         f"got {[k.shape for k in kernels]} and {len(titles)} titles")
    if axes is None:
        _, axes = panel_grid(len(kernels), panel_size=(3.1, 2.7))
    fig = axes[0].figure
    extent = (x[0], x[-1], x[0], x[-1])
    for ax, k, title in zip(axes, kernels, titles, strict=True):
        im = ax.imshow(k, origin="lower", extent=extent, cmap=BOOK_CMAP, aspect="equal")
        ax.set_title(title, fontsize=TEXT_PT)
        ax.set_xlabel("$x'$")
        ax.set_ylabel("$x$")
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.grid(False)
        cb = fig.colorbar(im, ax=ax, shrink=0.85)
        cb.locator = MaxNLocator(5)
        cb.update_ticks()
    return fig


@_docs.fill
def plot_width_scaling(widths, series, labels, slope=-0.5, ylabel="gap", ax=None):
    """Quantities against the width on log-log axes, with a reference slope.
    Introduced in the chapter on wide networks.

    Parameters
    ----------
    widths : array_like, shape (W,)
    series : sequence of arrays, each (W,)
        Positive values, one line each.
    labels : sequence of str
    slope : float, optional
        A dashed reference line of this slope through the first series' first point, or None.
    ylabel : str
    %(ax)s

    %(returns_ax)s
    """
    widths = _array(widths, "widths", 1)
    series = [_array(s, "each series", 1) for s in series]
    if any(s.shape != widths.shape for s in series) or len(labels) != len(series):
        raise ValueError(f"series must be arrays of shape {widths.shape}, one per label; got "
                         f"{[s.shape for s in series]} and {len(labels)} labels")
    if np.any(widths <= 0) or any(np.any(s <= 0) for s in series):
        raise ValueError("widths and series must be positive to be drawn on log-log axes")
    ax = new_axes(ax)
    palette = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish green"],
               OKABE_ITO["reddish purple"], OKABE_ITO["sky blue"]]
    for k, (s, label) in enumerate(zip(series, labels, strict=True)):
        ax.loglog(widths, s, marker="os^Dv"[k % 5], color=palette[k % 5], lw=1.8, label=label)
    if slope is not None and series:
        ref = series[0][0] * (widths / widths[0]) ** slope
        ax.loglog(widths, ref, color="0.45", ls="--", lw=1,
                  label=f"slope {slope:g}")
    ax.set_xlabel("width $D$")
    ax.set_ylabel(ylabel)
    legend_below(ax, ncol=2)
    return ax


@_docs.fill
def plot_network_vs_linear(x, f_net, f_lin, times, data=None, ax=None, ylim=None):
    """The trained network (solid) and its linearization (dashed) at several times.
    Introduced in the chapter on wide networks.

    Parameters
    ----------
    x : array_like, shape (M,)
    f_net, f_lin : array_like, shape (T, M)
    times : array_like, shape (T,)
    %(data_xy)s
    %(ax)s
    ylim : (float, float), optional
        Vertical range, widened to hold every curve and data point.

    %(returns_ax)s
    """
    x = _array(x, "x", 1)
    f_net, f_lin = _array(f_net, "f_net", 2), _array(f_lin, "f_lin", 2)
    times = _array(times, "times", 1)
    if f_net.shape != (times.size, x.size) or f_lin.shape != f_net.shape:
        raise ValueError(f"f_net and f_lin must have shape ({times.size}, {x.size}); got "
                         f"{f_net.shape} and {f_lin.shape}")
    ax = new_axes(ax)
    for k, c in enumerate(time_colors(times.size)):
        ax.plot(x, f_net[k], color=c, lw=2.2, label=f"$t = {times[k]:g}$")
        ax.plot(x, f_lin[k], color="black", lw=1.0, ls="--",
                label="linearized" if k == times.size - 1 else None)
    _draw_data(ax, data)
    ax.set_xlim(x[0], x[-1])
    if ylim is not None:  # widened to what is drawn, with a margin
        shown = [f_net, f_lin] + ([np.asarray(data[1], dtype=float)] if data is not None else [])
        lo = min(ylim[0], *(float(np.min(a)) for a in shown))
        hi = max(ylim[1], *(float(np.max(a)) for a in shown))
        pad = 0.05 * (hi - lo) if (lo, hi) != tuple(ylim) else 0.0
        ax.set_ylim(lo - pad * (lo < ylim[0]), hi + pad * (hi > ylim[1]))
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output $f(x)$")
    legend_below(ax, ncol=3)
    return ax


@_docs.fill
def plot_outputs_over_time(t, outputs, y, ax=None, logx=False):
    """Outputs at the training inputs against time, each with its target (dashed).
    Introduced in the chapter on wide networks.

    Parameters
    ----------
    t : array_like, shape (T,)
    outputs : array_like, shape (T, I)
    y : array_like, shape (I,)
    %(ax)s
    logx : bool
        A logarithmic time axis (t > 0).

    %(returns_ax)s
    """
    t, outputs, y = _array(t, "t", 1), _array(outputs, "outputs", 2), _array(y, "y", 1)
    if outputs.shape != (t.size, y.size):
        raise ValueError(f"outputs must have shape ({t.size}, {y.size}); got {outputs.shape}")
    ax = new_axes(ax)
    colors, markers = point_colors(y.size), point_markers(y.size)
    every = max(1, t.size // 8)
    for i in range(y.size):
        ax.plot(t, outputs[:, i], color=colors[i], lw=2, marker=markers[i], ms=5,
                markevery=(i * every // max(y.size, 1), every), label=f"$f_{i + 1}(t)$")
        ax.axhline(y[i], color=colors[i], ls="--", lw=1)
    if logx:
        ax.set_xscale("log")
    ax.set_xlim(t[0], t[-1])
    ax.set_xlabel("time $t$")
    ax.set_ylabel("output at the data")
    legend_below(ax, ncol=3)
    return ax


@_docs.fill
def plot_residual_modes(t, measured, predicted, lam, ax=None,
                        predicted_label="predicted from the start"):
    r"""The residual along each eigenvector of :math:`\Theta`, measured (solid) and predicted
    (dashed), on a log scale.
    Introduced in the chapter on training wide networks in closed form. Modes are numbered
    largest eigenvalue first; values under the axis (a prediction falling past the
    measurement's floor) leave the plot through its bottom.

    Parameters
    ----------
    t : array_like, shape (T,)
    measured, predicted : array_like, shape (T, K)
        Absolute residual coordinates :math:`|u_k^T(f(t) - y)|`.
    lam : array_like, shape (K,)
        The eigenvalues, for the labels.
    %(ax)s
    predicted_label : str
        Legend label of the dashed predictions.

    %(returns_ax)s
    """
    t = _array(t, "t", 1)
    measured, predicted = _array(measured, "measured", 2), _array(predicted, "predicted", 2)
    lam = _array(lam, "lam", 1)
    if measured.shape != (t.size, lam.size) or predicted.shape != measured.shape:
        raise ValueError(f"measured and predicted must have shape ({t.size}, {lam.size}); got "
                         f"{measured.shape} and {predicted.shape}")
    ax = new_axes(ax)
    order = np.argsort(-lam, kind="stable")  # lambda_1 the largest (the notation page)
    colors = [CATEGORY_COLORS[j % len(CATEGORY_COLORS)] for j in range(lam.size)]
    for rank, k in enumerate(order):
        shown = np.where(measured[:, k] > 0, measured[:, k], np.nan)
        ax.semilogy(t, shown, color=colors[rank], lw=2,
                    label=f"$\\lambda_{rank + 1} = {lam[k]:.3g}$")
    for rank, k in enumerate(order):
        shown = np.where(predicted[:, k] > 0, predicted[:, k], np.nan)
        ax.semilogy(t, shown, color="black", lw=0.9, ls="--",
                    label=predicted_label if rank == 0 else None)
    positive = measured[measured > 0]
    if positive.size:  # from a decade under the smallest measured value to above the largest
        top = max(float(positive.max()), float(np.nanmax(np.where(predicted > 0, predicted, 0))))
        ax.set_ylim(float(positive.min()) / 10, 2 * top)
    ax.set_xlim(t[0], t[-1])
    ax.set_xlabel("time $t$")
    ax.set_ylabel(r"$|u_k^T (f(t) - y)|$")
    legend_below(ax, ncol=2)
    return ax


@_docs.fill
def plot_loss_curves(steps, losses, labels, ax=None, styles=None):
    """Training losses against the step, on a log scale (diverging runs are cut where they
    leave the float range). Introduced in the chapter on training wide networks in closed form.

    Parameters
    ----------
    steps : array_like, shape (K,)
    losses : sequence of arrays, each (K,)
    labels : sequence of str
    %(ax)s
    styles : sequence of str, optional
        Line styles, one per curve (default solid).

    %(returns_ax)s
    """
    steps = _array(steps, "steps", 1)
    losses = [_array(s, "each loss curve", 1) for s in losses]
    if any(s.shape != steps.shape for s in losses) or len(labels) != len(losses):
        raise ValueError(f"losses must be arrays of shape {steps.shape}, one per label")
    styles = ["-"] * len(losses) if styles is None else list(styles)
    ax = new_axes(ax)
    palette = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["black"],
               OKABE_ITO["bluish green"]]
    for k, (s, label) in enumerate(zip(losses, labels, strict=True)):
        keep = np.isfinite(s) & (s > 0)
        ax.semilogy(steps[keep], s[keep], color=palette[k % 4], lw=2, ls=styles[k],
                    label=label)
    ax.set_xlim(steps[0], steps[-1])
    ax.set_xlabel("step $k$")
    ax.set_ylabel("loss")
    legend_below(ax, ncol=1)
    return ax


@_docs.fill
def plot_ntk_band(x, mean, var, data=None, samples=None, ax=None, color=None, label="mean",
                  ylim=None):
    r"""The mean over initialisations with :math:`\pm 2` standard deviations, and optionally a
    Monte Carlo estimate at a few inputs: its mean :math:`\pm 2` standard errors (error bars)
    and its :math:`\pm 2` standard deviations (ticks).
    Introduced in the chapter on training wide networks in closed form.

    Parameters
    ----------
    x : array_like, shape (M,)
    mean, var : array_like, shape (M,)
    %(data_xy)s
    samples : tuple ``(x_s, mean_s, sd_s, n)`` of arrays (S,) and the sample count, optional
    %(ax)s
    color : str, optional
    label : str
    ylim : (float, float), optional

    %(returns_ax)s
    """
    ax = plot_prediction_band(x, mean, var, ax=ax, data=data, color=color, label=label)
    if samples is not None:
        xs, ms, sds, n = samples
        xs, ms, sds = _array(xs, "x_s", 1), _array(ms, "mean_s", 1), _array(sds, "sd_s", 1)
        if not xs.shape == ms.shape == sds.shape:
            raise ValueError("samples must hold x_s, mean_s and sd_s of one shape")
        ax.errorbar(xs, ms, yerr=2 * sds / np.sqrt(float(n)), fmt="D", ms=4,
                    color=OKABE_ITO["black"], capsize=3, lw=1.2, zorder=6,
                    label=f"{int(n)} trained networks")
        ax.plot(np.r_[xs, xs], np.r_[ms - 2 * sds, ms + 2 * sds], ls="none", marker="_", ms=10,
                color=OKABE_ITO["black"], zorder=6)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output $f(x)$")
    legend_below(ax, ncol=2)
    return ax


@_docs.fill
def plot_function_curves(x, curves, labels, data=None, ax=None, ylim=None, styles=None):
    """A few functions of the input, with the data.
    Introduced in the chapter on training wide networks in closed form.

    Parameters
    ----------
    x : array_like, shape (M,)
    curves : sequence of arrays, each (M,)
    labels : sequence of str
    %(data_xy)s
    %(ax)s
    ylim : (float, float), optional
    styles : sequence of str, optional
        Line styles, one per curve.

    %(returns_ax)s
    """
    x = _array(x, "x", 1)
    curves = [_array(c, "each curve", 1) for c in curves]
    if any(c.shape != x.shape for c in curves) or len(labels) != len(curves):
        raise ValueError(f"curves must be arrays of shape {x.shape}, one per label; got "
                         f"{[c.shape for c in curves]} and {len(labels)} labels")
    styles = ["-"] * len(curves) if styles is None else list(styles)
    ax = new_axes(ax)
    palette = [COLORS["flow"], OKABE_ITO["orange"], OKABE_ITO["sky blue"],
               OKABE_ITO["black"], OKABE_ITO["reddish purple"]]
    for k, (c, label) in enumerate(zip(curves, labels, strict=True)):
        ax.plot(x, c, color=palette[k % 5], lw=2, ls=styles[k], label=label)
    _draw_data(ax, data)
    ax.set_xlim(x[0], x[-1])
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output $f(x)$")
    legend_below(ax, ncol=2)
    return ax
