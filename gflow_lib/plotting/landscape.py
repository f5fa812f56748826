"""Figures of the loss landscape (chapters on the loss landscape and on ML vs MAP).

Parameters are (slope, intercept) as everywhere in the book; the plots put the intercept on
the horizontal axis and the slope on the vertical one, both increasing. The caller computes
the loss as a ``(slopes, intercepts, loss)`` surface (:func:`gflow_lib.frames.loss_surface`
or :func:`gflow_lib.landscape.loss_grid`); these functions only draw it."""

from __future__ import annotations

import matplotlib.patheffects as pe
import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.ticker import MaxNLocator

from .. import _docs
from ..flow import LinearFlow
from .style import BOOK_CMAP, COLORS, TEXT_PT, legend_below, new_axes

__all__ = [
    "plot_descent_vs_flow",
    "plot_eigen_directions",
    "plot_landscape",
    "plot_modified_rates",
    "plot_path",
]


def _surface(surface):
    """Unpack and check a (slopes, intercepts, loss) surface."""
    try:
        slopes, intercepts, loss = (np.asarray(a, dtype=float) for a in surface)
    except (TypeError, ValueError):
        raise TypeError(
            "surface must be (slopes, intercepts, loss), e.g. "
            "gflow_lib.frames.loss_surface(X, y); got "
            f"{type(surface).__name__}{getattr(surface, 'shape', '')}"
        ) from None
    if slopes.ndim != 1 or intercepts.ndim != 1 or loss.shape != (slopes.size, intercepts.size):
        raise ValueError(
            "surface must be (slopes, intercepts, loss) of shapes (S,), (N,) and (S, N); got "
            f"{slopes.shape}, {intercepts.shape} and {loss.shape}"
        )
    return slopes, intercepts, loss


@_docs.fill
def plot_landscape(surface, ax=None, levels=40, gamma=0.5, colorbar=False):
    r"""Filled contours and contour lines of the loss over (intercept, slope).
    Introduced in the chapter on the loss landscape. Colours and lines are even in
    :math:`(L - L_{\min})^{\gamma}` over the window: with ``gamma = 0.5`` the contours of a
    quadratic loss are evenly spaced ellipses.

    Parameters
    ----------
    surface : (slopes, intercepts, loss)
        Increasing ``slopes`` (S,) and ``intercepts`` (N,), the loss (S, N) on that grid: a
        :class:`~gflow_lib.frames.LossSurface`, or ``(slopes, intercepts, loss_grid(...))``.
    %(ax)s
    levels : int
        Number of contour lines.
    gamma : float
        Exponent of the colour normalisation, in (0, 1]; 1 is linear.
    colorbar : bool
        Add a colour bar labelled with the loss.

    %(returns_ax)s
    """
    slopes, intercepts, L = _surface(surface)
    if not 0 < gamma <= 1:
        raise ValueError(f"gamma must be in (0, 1]; got {gamma!r}")
    ax = new_axes(ax, figsize=(5.0, 5.0))
    lo, hi = float(L.min()), float(L.max())
    u = np.linspace(0.0, 1.0, 129)
    fill_levels = lo + (hi - lo) * u ** (1.0 / gamma)
    line_levels = lo + (hi - lo) * np.linspace(0.0, 1.0, levels + 2)[1:-1] ** (1.0 / gamma)
    norm = PowerNorm(gamma, vmin=lo, vmax=hi)
    filled = ax.contourf(intercepts, slopes, L, fill_levels, cmap=BOOK_CMAP, norm=norm)
    ax.contour(intercepts, slopes, L, line_levels, colors="#80808080", linewidths=0.6)
    ax.set_xlim(intercepts[0], intercepts[-1])
    ax.set_ylim(slopes[0], slopes[-1])
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


@_docs.fill
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
    marker_start, marker_end : bool
        Mark the first point with a dot and the last with a star.
    outline : bool
        Draw a thin white outline around the path.
    **kw
        Passed to ``Axes.plot``.

    %(returns_ax)s
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


@_docs.fill
def plot_eigen_directions(
    lam, vecs, center, ax, length=0.3, toward=None, away=None, scaling="equal", color="white"
):
    r"""Arrows along the eigenvectors of :math:`A = X X^T`, drawn from the minimum.
    Introduced in the chapter on the loss landscape. The fast direction (large :math:`\lambda`)
    crosses the valley's walls, the slow one runs along its floor; along each, the loss is a
    parabola of curvature :math:`\lambda_j`:

    .. math:: L(\phi_{ML} + s\, v_j) = L(\phi_{ML}) + \tfrac12 \lambda_j s^2 .

    Parameters
    ----------
    lam : array_like, shape (2,)
        Eigenvalues of :math:`A`, ascending, positive (``gram_eigen(X, outer=True)``).
    vecs : array_like, shape (2, 2)
        The eigenvectors as columns, (slope, intercept).
    center : array_like, shape (2,)
        Where to draw from, usually the minimum ``flow.limit()``.
    ax : matplotlib Axes
    length : float
        Length of the longer arrow, in parameter units.
    toward, away : array_like, shape (2,), optional
        Orient each arrow toward (or away from) this point.
    scaling : {"equal", "contour"}
        Arrows of length ``length``, or the semi-axes of one contour ellipse
        (:math:`\propto 1/\sqrt{\lambda}`).
    color : colour

    %(returns_ax)s
    """
    try:
        lam, vecs, center = (np.asarray(a, dtype=float) for a in (lam, vecs, center))
    except (TypeError, ValueError):
        raise TypeError(
            "plot_eigen_directions(lam, vecs, center, ax) takes the eigenpairs of X X^T and "
            "the point to draw from, as arrays; got "
            f"{', '.join(type(a).__name__ for a in (lam, vecs, center))}"
        ) from None
    if lam.shape != (2,) or vecs.shape != (2, 2) or center.shape != (2,):
        raise ValueError(
            "lam, vecs and center must have shapes (2,), (2, 2) and (2,); got "
            f"{lam.shape}, {vecs.shape} and {center.shape}"
        )
    if not lam[0] > 0:
        raise ValueError(
            f"lam must be positive to draw both directions (X X^T invertible); got {lam}"
        )
    if not (np.isfinite(length) and length > 0):
        raise ValueError(f"length must be a finite positive number; got {length!r}")
    if scaling not in ("equal", "contour"):
        raise ValueError(f"scaling must be 'equal' or 'contour'; got {scaling!r}")
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
            ha="left" if right else "right", va="center", color=color, fontsize=TEXT_PT,
            path_effects=[pe.withStroke(linewidth=2.5, foreground="black")],
        )
    return ax


@_docs.fill
def plot_descent_vs_flow(surface, flow, iterates, lr, ax=None):
    r"""Gradient descent with step ``lr`` against the flow, on the landscape.
    Introduced in the chapter on the loss landscape. The flow is drawn up to
    :math:`t = n\,\mathrm{lr}` for :math:`n` steps; iterates beyond the float range are not drawn.

    Parameters
    ----------
    %(surface)s
    flow : LinearFlow
        The flow from the same start.
    iterates : array_like, shape (n + 1, 2)
        The descent, start first: ``gradient_descent(X, y, phi0, lr, n)``.
    %(lr)s
    %(ax)s

    %(returns_ax)s
    """
    if not isinstance(flow, LinearFlow):
        raise TypeError(f"flow must be a gflow_lib.LinearFlow; got {type(flow).__name__}")
    iterates = np.asarray(iterates, dtype=float)
    if iterates.ndim != 2 or iterates.shape[1] != 2 or iterates.shape[0] < 2:
        raise ValueError(
            "iterates must have shape (n + 1, 2), the start and at least one step; got "
            f"shape {iterates.shape}"
        )
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite positive number; got {lr!r}")
    ax = plot_landscape(surface, ax=ax)
    t = np.linspace(0.0, (iterates.shape[0] - 1) * lr, 400)
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


@_docs.fill
def plot_modified_rates(q, exact, first_order, marks=None, ax=None):
    r"""The decay rate of the flow that descent follows, over :math:`\lambda`, against
    :math:`q = \mathrm{lr}\,\lambda`.
    Introduced in the chapter on the loss landscape: the exact :math:`-\log(1 - q)/q`, which
    diverges at :math:`q = 1`, and its first-order term :math:`1 + q/2`, computed by the caller.

    Parameters
    ----------
    q : array_like, shape (Q,)
        Values of :math:`\mathrm{lr}\,\lambda` in [0, 1).
    exact, first_order : array_like, shape (Q,)
        The two rate ratios at ``q``.
    marks : sequence of (q, ratio, label), optional
        Points to mark on the exact curve.
    %(ax)s

    %(returns_ax)s
    """
    q, exact, first_order = (np.asarray(a, dtype=float) for a in (q, exact, first_order))
    if q.ndim != 1 or exact.shape != q.shape or first_order.shape != q.shape:
        raise ValueError(
            "q, exact and first_order must be 1-D arrays of the same length; got shapes "
            f"{q.shape}, {exact.shape} and {first_order.shape}"
        )
    ax = new_axes(ax)
    ax.plot(q, exact, color=COLORS["descent"], lw=2,
            label=r"exact: $-\log(1 - q)/q$")
    ax.plot(q, first_order, "--", color=COLORS["flow"], lw=2,
            label=r"first order: $1 + q/2$")
    ax.axvline(1.0, color="0.35", ls=":", lw=1.2)
    # labels where no curve runs: low right of the divergence, above left of each mark
    ax.annotate(r"$\mathrm{lr} = 1/\lambda$", xy=(1.0, 0.03), xycoords=("data", "axes fraction"),
                ha="right", va="bottom", fontsize=TEXT_PT, color="0.25", xytext=(-4, 0),
                textcoords="offset points")
    for qk, rk, label in marks or ():
        ax.plot(qk, rk, "o", color=COLORS["descent"], ms=7, mec="white")
        ax.annotate(label, (qk, rk), xytext=(-6, 6), textcoords="offset points",
                    ha="right", va="bottom", fontsize=TEXT_PT)
    ax.set_xlim(0.0, 1.02)
    ax.set_ylim(0.9, max(4.0, float(np.nanmax(first_order)) * 1.1))
    ax.set_xlabel(r"$q = \mathrm{lr}\,\lambda$ (step times eigenvalue)")
    ax.set_ylabel(r"rate of the mode $/\ \lambda$")
    legend_below(ax, ncol=2)
    return ax
