"""Figures of the loss landscape (chapters on the loss landscape and on ML vs MAP).

Parameters are ordered (slope, intercept) as everywhere in the book; the plots put the
intercept on the horizontal axis and the slope on the vertical axis.
"""

from __future__ import annotations

import matplotlib.patheffects as pe
import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.ticker import MaxNLocator

from .. import _validation as v
from ..descent import gradient_descent
from ..flow import LinearFlow, gram_eigen
from ..landscape import loss_grid
from .style import BOOK_CMAP, COLORS, new_axes

__all__ = [
    "plot_descent_vs_flow",
    "plot_eigen_directions",
    "plot_fitted_lines",
    "plot_landscape",
    "plot_path",
]


def plot_landscape(
    X, y, ax=None, extent=(-1.0, 1.0, -1.0, 1.0), n=241, levels=40, gamma=0.5, colorbar=False
):
    r"""Filled contours and contour lines of the loss over (intercept, slope).

    Introduced in the chapter on the loss landscape.

    Colours and lines are spaced evenly in :math:`(L - L_{\min})^{\gamma}` over the drawn
    window (a ``PowerNorm``): with ``gamma = 0.5`` the contours of a quadratic loss are evenly
    spaced ellipses, so the valley floor is as readable as the walls.

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
    gamma : float
        Exponent of the colour normalisation, in (0, 1]; 1 is a linear scale.
    colorbar : bool
        Add a colour bar labelled with the loss.

    Returns
    -------
    matplotlib Axes
        Intercept on the horizontal axis, slope on the vertical axis (pointing down, as in
        the blog's figures).
    """
    gamma = v.positive_scalar(gamma, "gamma")
    if gamma > 1:
        raise ValueError(f"gamma must be in (0, 1]; got {gamma!r}")
    ax = new_axes(ax, figsize=(6, 6))
    c0, c1, s0, s1 = extent
    intercepts = np.linspace(c0, c1, n)
    slopes = np.linspace(s0, s1, n)
    L = loss_grid(X, y, slopes, intercepts)
    lo, hi = float(L.min()), float(L.max())
    u = np.linspace(0.0, 1.0, 129)
    fill_levels = lo + (hi - lo) * u ** (1.0 / gamma)
    line_levels = lo + (hi - lo) * np.linspace(0.0, 1.0, levels + 2)[1:-1] ** (1.0 / gamma)
    norm = PowerNorm(gamma, vmin=lo, vmax=hi)
    filled = ax.contourf(intercepts, slopes, L, fill_levels, cmap=BOOK_CMAP, norm=norm)
    ax.contour(intercepts, slopes, L, line_levels, colors="#80808080", linewidths=0.6)
    ax.set_xlim(c0, c1)
    ax.set_ylim(s1, s0)
    ax.set_xlabel("intercept $\\phi[1]$")
    ax.set_ylabel("slope $\\phi[0]$")
    ax.set_aspect("equal")
    ax.xaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 5, 10]))
    ax.grid(False)
    if colorbar:
        ticks = lo + (hi - lo) * np.linspace(0.0, 1.0, 6) ** (1.0 / gamma)
        cb = ax.figure.colorbar(filled, ax=ax, shrink=0.8, ticks=ticks, format="%.2f")
        cb.set_label("loss $L(\\phi)$")
    return ax


def plot_path(
    params, ax, color="#2e5fa8", label=None, marker_start=True, marker_end=True, outline=True, **kw
):
    """Draw a path of parameters (T, 2), ordered (slope, intercept), on a landscape.

    Introduced in the chapter on the loss landscape.

    Parameters
    ----------
    params : array_like, shape (T, 2)
        Rows are (slope, intercept).
    ax : matplotlib Axes
    color : colour
    label : str, optional
        Legend label of the path.
    marker_start, marker_end : bool
        Mark the first point with a dot and the last with a star.
    outline : bool
        Draw a thin white outline around the path so it stands out on the dark valley.
    **kw
        Passed to ``Axes.plot`` for the path.

    Returns
    -------
    matplotlib Axes
    """
    params = np.asarray(params)
    if outline:
        lw = kw.get("lw", kw.get("linewidth", 1.5))
        halo = [pe.Stroke(linewidth=lw + 1.5, foreground="white"), pe.Normal()]
        kw.setdefault("path_effects", halo)
    ax.plot(params[:, 1], params[:, 0], color=color, label=label, **kw)
    if marker_start:
        ax.plot(params[0, 1], params[0, 0], "o", color=color, ms=7, mec="white", mew=1.2)
    if marker_end:
        ax.plot(params[-1, 1], params[-1, 0], "*", color=color, ms=14, mec="white", mew=1.0)
    return ax


def plot_eigen_directions(
    X, y, ax, center=None, length=0.3, toward=None, away=None, scaling="equal", color="white"
):
    r"""Arrows along the eigenvectors of :math:`A = X X^T`, drawn from the minimum.

    Introduced in the chapter on the loss landscape. The fast direction (large
    :math:`\lambda`) crosses the steep walls of the valley; the slow one (small
    :math:`\lambda`) runs along its floor. Labels give the eigenvalues. Along each direction
    the loss is a parabola whose curvature is the eigenvalue:

    .. math::

        L(\phi^* + s\, v_j) = L(\phi^*) + \tfrac12 \lambda_j s^2 .

    Parameters
    ----------
    X : array_like, shape (2, I)
    y : array_like, shape (I,)
    ax : matplotlib Axes
        A landscape from :func:`plot_landscape`.
    center : array_like, shape (2,), optional
        Where to draw from (slope, intercept); the least-squares minimum by default.
    length : float
        Length of the longer arrow, in parameter units.
    toward, away : array_like, shape (2,), optional
        Orient each arrow toward (or away from) this point, e.g. the start ``phi0``.
    scaling : {"equal", "contour"}
        ``"equal"``: both arrows have length ``length``. ``"contour"``: the arrows are the
        semi-axes of one contour ellipse, of lengths proportional to :math:`1/\sqrt{\lambda}`.
    color : colour

    Returns
    -------
    matplotlib Axes
    """
    X = v.design_matrix(X)
    v.check_finite(X, "X")
    if X.shape[0] != 2:
        raise ValueError(f"X must have 2 rows (slope, intercept) to draw directions; got {X.shape}")
    y = v.vector(y, "y", X.shape[1], X.shape, " (one target per column of X)")
    length = v.positive_scalar(length, "length")
    if scaling not in ("equal", "contour"):
        raise ValueError(f"scaling must be 'equal' or 'contour'; got {scaling!r}")
    lam, vecs = gram_eigen(X, outer=True)
    if lam[0] <= 0:
        raise ValueError("X X^T must be invertible to draw both directions; got a zero eigenvalue")
    if center is None:
        center = np.linalg.lstsq(X.T, y, rcond=None)[0]
    center = v.vector(center, "center", 2)
    scale = length * (np.sqrt(lam[0] / lam) if scaling == "contour" else np.ones(2))
    names = ("slow", "fast")
    for j in range(2):
        d = vecs[:, j]
        if toward is not None:
            if float(d @ (np.asarray(toward, dtype=float) - center)) < 0:
                d = -d
        elif away is not None:
            if float(d @ (np.asarray(away, dtype=float) - center)) > 0:
                d = -d
        elif d[np.argmax(np.abs(d))] < 0:
            d = -d
        tip = center + scale[j] * d
        ax.annotate(
            "",
            xy=(tip[1], tip[0]),
            xytext=(center[1], center[0]),
            arrowprops=dict(arrowstyle="-|>", color=color, lw=2.0, mutation_scale=14),
        )
        right = d[1] >= 0  # label beside the tip, on the side the arrow points to
        ax.annotate(
            f"{names[j]}\n$\\lambda$ = {lam[j]:.3f}",
            xy=(tip[1], tip[0]), xytext=(6 if right else -6, 0), textcoords="offset points",
            ha="left" if right else "right", va="center", color=color, fontsize=9,
            path_effects=[pe.withStroke(linewidth=2.5, foreground="black")],
        )
    return ax


def plot_fitted_lines(flow, times, ax=None, x_range=(0.0, 1.0), limit=True):
    r"""The fitted line :math:`f(x) = \phi[0](t)\, x + \phi[1](t)` at several times, over the data.

    Introduced in the chapter on the loss landscape.

    Parameters
    ----------
    flow : LinearFlow
        A flow on a one-input problem: ``X`` has rows (x, 1).
    times : array_like, shape (T,)
        Non-negative times; lines get darker with time.
    ax : matplotlib Axes, optional
    x_range : (float, float)
        Inputs over which to draw the lines.
    limit : bool
        Also draw the limit :math:`t \to \infty` (dashed).

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(flow, LinearFlow):
        raise TypeError(f"flow must be a LinearFlow; got {type(flow).__name__}")
    if flow.D != 2:
        raise ValueError(f"flow must have D = 2 parameters (slope, intercept); got D = {flow.D}")
    tt, _ = v.times(times, "times")
    ax = new_axes(ax)
    x = np.linspace(x_range[0], x_range[1], 50)
    Xg = np.vstack([x, np.ones_like(x)])
    lines = flow.predict(Xg, tt)  # (T, 50)
    shades = BOOK_CMAP(np.linspace(0.85, 0.05, len(tt)))
    for f, t, c in zip(lines, tt, shades, strict=True):
        ax.plot(x, f, color=c, lw=2, label=f"t = {t:g}")
    if limit:
        ax.plot(x, flow.limit() @ Xg, color=COLORS["ml"], ls="--", lw=1.5, label="t → ∞")
    ax.plot(flow.X[0], flow.y, "o", color=COLORS["data"], ms=8, zorder=5, label="data")
    ax.set_xlim(*x_range)
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output $f(x)$")
    ax.legend(loc="upper left", fontsize=9, ncol=2)
    return ax


def plot_descent_vs_flow(X, y, phi0, lr, n_steps, ax=None, extent=(-1.0, 1.0, -1.0, 1.0)):
    r"""Gradient descent with step ``lr`` against the flow, on the landscape.

    Introduced in the chapter on the loss landscape. The flow is drawn up to
    :math:`t = n\,\mathrm{lr}`, so both have covered the same time.

    Parameters
    ----------
    X : array_like, shape (2, I)
    y : array_like, shape (I,)
    phi0 : array_like, shape (2,)
    lr : float
        Step size, > 0.
    n_steps : int
        Number of descent steps, >= 1.
    ax : matplotlib Axes, optional
    extent : (intercept_min, intercept_max, slope_min, slope_max)

    Returns
    -------
    matplotlib Axes
    """
    iterates = gradient_descent(X, y, phi0, lr, n_steps)
    if n_steps < 1:
        raise ValueError(f"n_steps must be at least 1; got {n_steps}")
    ax = plot_landscape(X, y, ax=ax, extent=extent)
    flow = LinearFlow(X, y, phi0)
    t = np.linspace(0.0, n_steps * lr, 400)
    # The flow on top, thinner than the descent's dots: where they agree, dots peek out.
    plot_path(flow.params(t), ax, color=COLORS["flow"], label="flow", lw=2.0, marker_end=False,
              zorder=4)
    ok = np.all(np.isfinite(iterates), axis=1)
    plot_path(
        iterates[ok], ax, color=COLORS["descent"], label="descent", lw=0.9, outline=False,
        marker="o", ms=5, marker_start=False, marker_end=False, zorder=3,
    )
    ax.set_title(f"lr = {lr:g}")
    return ax
