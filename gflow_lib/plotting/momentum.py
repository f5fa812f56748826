"""Figures of the chapter on momentum and acceleration: the (lr, beta) plane, paths of several
methods on a landscape, per-mode decay on a log axis, and curves against steps or time.

The caller computes every number with :mod:`gflow_lib.momentum` and the spectra; these
functions draw them. At most two panels side by side, legends outside the data, text at the
book's size: the figures stay readable on a phone."""

from __future__ import annotations

import numpy as np

from .. import _docs
from .landscape import plot_landscape, plot_path
from .style import COLORS, OKABE_ITO, new_axes

__all__ = ["METHOD_COLORS", "plot_curves", "plot_method_paths", "plot_mode_decay",
           "plot_stability_region"]

#: One colour per method of the chapter (Okabe-Ito), the same in every figure.
METHOD_COLORS = {
    "flow": COLORS["flow"],
    "descent": COLORS["descent"],
    "heavy ball": OKABE_ITO["bluish green"],
    "too much momentum": OKABE_ITO["reddish purple"],
    "Nesterov": OKABE_ITO["vermillion"],
    "Chebyshev": OKABE_ITO["sky blue"],
    "Newton": OKABE_ITO["black"],
    "AdaGrad": OKABE_ITO["reddish purple"],
}
_STYLES = ["-", "--", "-.", ":"]
_TEXT = 11


_OTHERS = [OKABE_ITO[k] for k in ("orange", "sky blue", "bluish green", "reddish purple",
                                   "blue", "vermillion", "black")]  # no yellow on white


def _color(label, i):
    return METHOD_COLORS.get(label, _OTHERS[i % len(_OTHERS)])


def _legend_below(ax, ncol=2):
    """A legend under the axes, where it covers no data."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=ncol, frameon=False,
              fontsize=_TEXT, handlelength=1.8, columnspacing=1.2)


@_docs.fill
def plot_stability_region(lrs, betas, rate, lam, optimum=None, ax=None):
    r"""Heavy ball's rate over the (lr, beta) plane, with each eigenvalue's boundaries.
    Introduced in the chapter on momentum. Shaded by the worst mode's root modulus
    (:func:`~gflow_lib.momentum.heavy_ball_rate`, grey where it is 1 or more); solid, the
    stability edge :math:`lr = 2(1 + \beta)/\lambda` of each eigenvalue; dashed, where its
    roots are complex, between :math:`lr = (1 \mp \sqrt\beta)^2/\lambda`; steps on a log axis.

    Parameters
    ----------
    lrs : array_like, shape (N,)
    betas : array_like, shape (B,)
    rate : array_like, shape (B, N)
        The rate at each (beta, lr).
    lam : array_like, shape (n,)
        The eigenvalues whose boundaries are drawn (ascending).
    optimum : (lr, beta), optional
        A point to mark (Polyak's).
    %(ax)s

    %(returns_ax)s
    """
    lrs, betas, rate = (np.asarray(a, dtype=float) for a in (lrs, betas, rate))
    if rate.shape != (betas.size, lrs.size):
        raise ValueError(f"rate must have shape (len(betas), len(lrs)) = ({betas.size}, "
                         f"{lrs.size}); got {rate.shape}")
    ax = new_axes(ax, figsize=(5.2, 4.2))
    shown = np.where(rate < 1, rate, np.nan)
    low = float(np.floor(10 * np.nanmin(shown)) / 10) if np.any(rate < 1) else 0.0
    mesh = ax.pcolormesh(lrs, betas, shown, cmap="gflow_warm", vmin=low, vmax=1.0,
                         shading="auto", rasterized=True)
    ax.pcolormesh(lrs, betas, np.where(rate >= 1, 1.0, np.nan), cmap="Greys", vmin=0, vmax=3,
                  shading="auto", rasterized=True)
    cb = ax.figure.colorbar(mesh, ax=ax, shrink=0.9)
    cb.set_label("rate per step (worst mode)")
    names = ["\\lambda_{\\min}", "\\lambda_{\\max}"] if len(lam) == 2 else [
        f"\\lambda = {v:.3g}" for v in lam]
    for i, (value, name) in enumerate(zip(lam, names, strict=True)):
        color = [OKABE_ITO["sky blue"], OKABE_ITO["bluish green"]][i % 2]
        edge = 2 * (1 + betas) / value
        ax.plot(edge, betas, "-", color=color, lw=2.2, label=f"edge, ${name}$")
        for sign, lab in [(-1, f"complex roots, ${name}$"), (1, None)]:
            turn = (1 + sign * np.sqrt(betas)) ** 2 / value
            ax.plot(turn, betas, "--", color=color, lw=1.6, label=lab)
    if optimum is not None:
        ax.plot(*optimum, "*", color="white", mec="black", ms=15, label="Polyak's optimum")
    ax.set_xscale("log")
    ax.set_xlim(lrs[0], lrs[-1])
    ax.set_ylim(betas[0], betas[-1])
    ax.set_xlabel("learning rate lr")
    ax.set_ylabel(r"momentum $\beta$")
    ax.grid(False)
    _legend_below(ax)
    return ax


@_docs.fill
def plot_method_paths(surface, paths, ax=None, marks=()):
    """Paths of several methods on one loss landscape. Introduced in the chapter on momentum.

    Parameters
    ----------
    %(surface)s
    paths : sequence of (label, params)
        ``params`` (T, 2), (slope, intercept) rows; a label of :data:`METHOD_COLORS` gets its
        colour.
    %(ax)s
    marks : sequence of (label, (slope, intercept), marker)
        Points to mark (a solution, a limit).

    %(returns_ax)s
    """
    ax = plot_landscape(surface, ax=ax)
    for i, (label, params) in enumerate(paths):
        params = np.asarray(params, dtype=float)
        if params.ndim != 2 or params.shape[1] != 2:
            raise ValueError(f"each path must have shape (T, 2); got {params.shape} for "
                             f"{label!r}")
        params = params[np.all(np.isfinite(params), axis=1)]
        plot_path(params, ax, color=_color(label, i), label=label, lw=0.8, marker="o", ms=3.5,
                  mec="white", mew=0.5, marker_end=False, outline=False)
    for label, (s, c), marker in marks:
        ax.plot(c, s, marker, color="white", mec="black", ms=11, label=label, zorder=6)
    _legend_below(ax)
    return ax


@_docs.fill
def plot_mode_decay(k, curves, axes=None, names=("slow mode", "fast mode")):
    r"""How far each mode is from the minimum over the steps, :math:`|c_k|`, on a log axis.
    Introduced in the chapter on momentum: one panel per mode.

    Parameters
    ----------
    %(k)s
    curves : sequence of (label, values)
        ``values`` (K, m): :math:`|c_k|` of each mode, one column per panel.
    %(axes_pair)s
    names : sequence of str
        The panels' titles.

    Returns
    -------
    ndarray of matplotlib Axes
    """
    import matplotlib.pyplot as plt

    k = np.asarray(k, dtype=float)
    if axes is None:
        _, axes = plt.subplots(1, len(names), figsize=(6.2, 3.4), sharey=True,
                               layout="constrained")
    axes = np.atleast_1d(axes)
    for i, (label, values) in enumerate(curves):
        values = np.asarray(values, dtype=float)
        if values.shape != (k.size, len(axes)):
            raise ValueError(f"each curve must have shape ({k.size}, {len(axes)}); got "
                             f"{values.shape} for {label!r}")
        for j, ax in enumerate(axes):
            ax.semilogy(k, np.maximum(values[:, j], 1e-300), _STYLES[i % len(_STYLES)],
                        color=_color(label, i), lw=2, label=label)
    for ax, name in zip(axes, names, strict=True):
        ax.set_title(name)
        ax.set_xlabel("step k")
        ax.set_ylim(1e-9, 2)
    axes[0].set_ylabel(r"distance $|c_k|$")
    axes[0].figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center",
                          ncol=2, frameon=False, fontsize=_TEXT)
    return axes


@_docs.fill
def plot_curves(x, curves, ax=None, xlabel="step k", ylabel="", logy=False):
    """Several curves against steps or time, in the chapter's colours.
    Introduced in the chapter on momentum (filters of one mode, worst cases, gaps).

    Parameters
    ----------
    x : array_like, shape (T,)
    curves : sequence of (label, values) or (label, values, style)
        ``values`` (T,), or (label, xs, values, style) for a curve on its own points;
        ``style`` a matplotlib format string ("o" for markers only).
    %(ax)s
    xlabel, ylabel : str
    logy : bool
        A log scale for the values (their magnitude is drawn).

    %(returns_ax)s
    """
    x = np.asarray(x, dtype=float)
    ax = new_axes(ax, figsize=(5.2, 3.6))
    for i, curve in enumerate(curves):
        label, *rest = curve
        xs, values, style = (x, rest[0], None) if len(rest) == 1 else (
            (x, rest[0], rest[1]) if len(rest) == 2 else tuple(rest))
        values = np.asarray(values, dtype=float)
        xs = np.asarray(xs, dtype=float)
        if values.shape != xs.shape:
            raise ValueError(f"curve {label!r} has shape {values.shape}; expected {xs.shape}")
        style = style or _STYLES[i % len(_STYLES)]
        y = np.maximum(np.abs(values), 1e-300) if logy else values
        ms = 5 if "o" in style else None
        ax.plot(xs, y, style, color=_color(label, i), lw=2, ms=ms, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _legend_below(ax)
    return ax
