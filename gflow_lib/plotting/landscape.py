"""Figures of the loss landscape (chapters on the loss landscape and on ML vs MAP)."""

from __future__ import annotations

import numpy as np

from ..landscape import loss_grid
from .style import BOOK_CMAP, new_axes

__all__ = ["plot_landscape", "plot_path"]


def plot_landscape(X, y, ax=None, extent=(-1.0, 1.0, -1.0, 1.0), n=241, levels=40):
    """Filled contours and contour lines of the loss over (intercept, slope).

    Introduced in the chapter on the loss landscape.

    Parameters
    ----------
    X : array_like, shape (2, I)
    y : array_like, shape (I,)
    ax : matplotlib Axes, optional
    extent : (intercept_min, intercept_max, slope_min, slope_max)
    n : int
        Grid points per axis.
    levels : int
        Number of contour lines.

    Returns
    -------
    matplotlib Axes
        Intercept on the horizontal axis, slope on the vertical axis (pointing down, as in
        the blog's figures).
    """
    ax = new_axes(ax, figsize=(6, 6))
    c0, c1, s0, s1 = extent
    intercepts = np.linspace(c0, c1, n)
    slopes = np.linspace(s0, s1, n)
    L = loss_grid(X, y, slopes, intercepts)
    ax.contourf(intercepts, slopes, L, 128, cmap=BOOK_CMAP)
    ax.contour(intercepts, slopes, L, levels, colors="#80808080", linewidths=0.6)
    ax.set_xlim(c0, c1)
    ax.set_ylim(s1, s0)
    ax.set_xlabel("intercept $\\phi_1$")
    ax.set_ylabel("slope $\\phi_0$")
    ax.set_aspect("equal")
    ax.grid(False)
    return ax


def plot_path(params, ax, color="#2e5fa8", label=None, marker_start=True, marker_end=True, **kw):
    """Draw a path of parameters (T, 2), ordered (slope, intercept), on a landscape.

    Returns
    -------
    matplotlib Axes
    """
    params = np.asarray(params)
    ax.plot(params[:, 1], params[:, 0], color=color, label=label, **kw)
    if marker_start:
        ax.plot(params[0, 1], params[0, 0], "o", color=color, ms=6)
    if marker_end:
        ax.plot(params[-1, 1], params[-1, 0], "*", color=color, ms=12, mec="white")
    return ax
