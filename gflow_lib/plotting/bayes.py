"""Figures of the chapter on the Bayesian view over time: prediction bands and how the
spread shrinks (``book/bayes_over_time.ipynb``)."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import _docs
from .style import (
    CATEGORY_COLORS,
    COLORS,
    TEXT_PT,
    legend_below,
    new_axes,
    panel_grid,
    point_colors,
    point_markers,
)

__all__ = ["plot_mode_variances", "plot_prediction_band", "plot_prediction_grid",
           "plot_spread_over_time"]

#: Band width in standard deviations.
N_SD = 2.0


def _checked_curves(x, mean, var):
    x, mean, var = (np.asarray(a, dtype=float) for a in (x, mean, var))
    if x.ndim != 1 or mean.shape != x.shape or var.shape != x.shape:
        raise ValueError(
            "x, mean and var must be 1-D arrays of the same length M; got shapes "
            f"{x.shape}, {mean.shape} and {var.shape}"
        )
    if np.any(var < 0):
        raise ValueError(f"var must be non-negative; got minimum {var.min():.3g}")
    return x, mean, var


@_docs.fill
def plot_prediction_band(
    x, mean, var, ax=None, sigma_sq=None, data=None, color=None, label="mean"
):
    r"""The mean prediction with a band of :math:`\pm 2` standard deviations of the
    output, and with ``sigma_sq`` a lighter one, :math:`\pm 2\sqrt{\text{var} + \sigma^2}`, where a
    new noisy observation would fall. Introduced in the chapter on the Bayesian view over time.

    Parameters
    ----------
    %(x_grid)s
    mean, var : array_like, shape (M,)
        Mean and variance of the model output at ``x``.
    %(ax)s
    sigma_sq : float, optional
        Noise variance :math:`\sigma^2` of the lighter band.
    %(data_xy)s
    color : str, optional
        Colour of the mean and bands (default the flow's).
    label : str, optional
        Legend label of the mean.

    %(returns_ax)s
    """
    x, mean, var = _checked_curves(x, mean, var)
    ax = new_axes(ax)
    color = COLORS["flow"] if color is None else color
    if sigma_sq is not None:
        sd_obs = np.sqrt(var + float(sigma_sq))
        ax.fill_between(
            x, mean - N_SD * sd_obs, mean + N_SD * sd_obs, color=color, alpha=0.12, lw=0,
            label="±2 sd, noisy observation",
        )
    sd = np.sqrt(var)
    ax.fill_between(
        x, mean - N_SD * sd, mean + N_SD * sd, color=color, alpha=0.35, lw=0,
        label="±2 sd, model output",
    )
    ax.plot(x, mean, color=color, lw=1.8, label=label)
    if data is not None:
        xd, yd = (np.atleast_1d(np.asarray(a, dtype=float)) for a in data)
        colors, markers = point_colors(xd.size), point_markers(xd.size)
        for i, (xi, yi) in enumerate(zip(xd, yd, strict=True)):
            ax.plot(xi, yi, markers[i], color=colors[i], ms=6, mec="white", mew=0.8,
                    zorder=5, label="data" if i == 0 else None)
    ax.set_xlim(x[0], x[-1])
    return ax


@_docs.fill
def plot_prediction_grid(
    x, means, variances, titles, sigma_sq=None, data=None, ncols=2, ylim=(-1.5, 1.5),
    color=None, panel_size=(3.1, 2.3),
):
    """A grid of small panels, one prediction band each (for example one per time).
    Introduced in the chapter on the Bayesian view over time.

    Parameters
    ----------
    %(x_grid)s
    means, variances : array_like, shape (P, M)
        One row per panel.
    titles : sequence of P str
    sigma_sq, data :
        As in :func:`plot_prediction_band`.
    ncols : int
        Panels per row, at most 2 (more are drawn as 2: the book's figures read on a phone).
    ylim : (float, float)
        Shared vertical range.
    color : str or sequence of P str, optional
    panel_size : (float, float)
        Width and height of one panel in inches (scaled down to fit the widest figure).

    %(returns_fig)s
    """
    means = np.atleast_2d(np.asarray(means, dtype=float))
    variances = np.atleast_2d(np.asarray(variances, dtype=float))
    titles = list(titles)
    P = means.shape[0]
    if variances.shape != means.shape or len(titles) != P:
        raise ValueError(
            f"means and variances must have the same shape (P, M) and titles P entries; got "
            f"shapes {means.shape}, {variances.shape} and {len(titles)} titles"
        )
    if color is None or isinstance(color, str):
        colors = [color] * P
    else:
        colors = list(color)
        if len(colors) != P:
            raise ValueError(f"color must be one colour or {P} colours; got {len(colors)}")
    ncols = max(1, min(int(ncols), P, 2))
    fig, flat = panel_grid(
        -(-P // ncols) * ncols, panel_size=panel_size, extra_height=0.4, sharex=True,
        sharey=True,
    )
    for k, ax in enumerate(flat):
        if k >= P:
            ax.set_visible(False)
            continue
        plot_prediction_band(
            x, means[k], variances[k], ax=ax, sigma_sq=sigma_sq, data=data, color=colors[k]
        )
        ax.set_title(titles[k], fontsize=TEXT_PT)
        ax.set_ylim(*ylim)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        if k % ncols == 0:
            ax.set_ylabel("prediction")
        if k + ncols >= P:
            ax.set_xlabel("input $x$")
            ax.xaxis.set_tick_params(labelbottom=True)
    handles, labels = flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
    return fig


@_docs.fill
def plot_spread_over_time(t, var, labels, ax=None):
    """Variance of the prediction at a few inputs against time, on a log scale.
    Introduced in the chapter on the Bayesian view over time.

    Parameters
    ----------
    %(t_curve)s
    var : array_like, shape (T, M)
        Variance at M inputs, one column each.
    labels : sequence of M str
    %(ax)s

    %(returns_ax)s
    """
    t = np.asarray(t, dtype=float)
    var = np.asarray(var, dtype=float)
    labels = list(labels)
    if var.ndim != 2 or var.shape[0] != t.shape[0] or var.shape[1] != len(labels):
        raise ValueError(
            f"var must have shape (T, M) = ({t.shape[0]}, {len(labels)}) to match t and "
            f"labels; got shape {var.shape}"
        )
    ax = new_axes(ax)
    styles = ["-", "--", "-.", ":"]  # categories: colours told apart by every reader, and dashes
    for m in range(var.shape[1]):
        ax.semilogy(t, var[:, m], color=CATEGORY_COLORS[m % len(CATEGORY_COLORS)], lw=2,
                    ls=styles[m % len(styles)], label=labels[m])
    ax.set_xlabel("time $t$")
    ax.set_ylabel("variance of the prediction")
    legend_below(ax, ncol=4)
    return ax


@_docs.fill
def plot_mode_variances(t, crowd, posterior, labels, crossings=None, ax=None):
    r"""Per eigen-direction: the variance :math:`\sigma_p^2(1 - F_{flow})^2` of the crowd of flows
    over time (solid) and the posterior's :math:`\sigma_p^2(1 - F_{ridge})` (dashed), log scale,
    :math:`F_{flow} = 1 - e^{-\lambda t}`, :math:`F_{ridge} = \lambda/(\lambda + \mu)`. Introduced
    in the chapter on the Bayesian view over time.

    Parameters
    ----------
    %(t_curve)s
    crowd : array_like, shape (T, K)
        The crowd's variance along each of K eigen-directions.
    posterior : array_like, shape (K,)
    labels : sequence of K str
    crossings : array_like, shape (K,), optional
        Times at which the two are equal, marked with a dot.
    %(ax)s

    %(returns_ax)s
    """
    t, crowd, posterior = (np.asarray(a, dtype=float) for a in (t, crowd, posterior))
    labels = list(labels)
    K = len(labels)
    if t.ndim != 1 or crowd.shape != (t.size, K) or posterior.shape != (K,):
        raise ValueError(
            f"t, crowd and posterior must have shapes (T,), (T, {K}) and ({K},) for {K} "
            f"labels; got {t.shape}, {crowd.shape} and {posterior.shape}"
        )
    ax = new_axes(ax)
    colors = [COLORS["flow"], COLORS["descent"], COLORS["map"], COLORS["ml"]]
    for k in range(K):
        c = colors[k % len(colors)]
        ax.semilogy(t, crowd[:, k], color=c, lw=2, label=f"crowd of flows, {labels[k]}")
        ax.axhline(posterior[k], color=c, ls="--", lw=1.5, label=f"posterior, {labels[k]}")
        if crossings is not None:
            ax.plot(crossings[k], posterior[k], "o", color=c, ms=7, mec="white")
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(max(float(np.min(posterior)) * 1e-3, 1e-12), float(np.max(crowd)) * 2)
    ax.set_xlabel("time $t$")
    ax.set_ylabel("variance along the direction")
    legend_below(ax, ncol=2)
    return ax
