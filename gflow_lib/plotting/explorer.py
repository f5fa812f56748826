r"""The explorer: four linked views of the flow at one time, moved by mutating artists.

Introduced in the chapter on exploring the flow in time (``book/explorer.ipynb``).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axis import Axis
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patheffects import Normal, Stroke
from matplotlib.text import Text

from ..frames import FlowFrames
from .landscape import plot_landscape
from .style import COLORS, point_colors

__all__ = ["FlowExplorer"]


def _band_verts(x, lo, hi):
    """Closed polygon of a band: along ``hi`` left to right, back along ``lo``."""
    return np.concatenate([np.column_stack([x, hi]), np.column_stack([x[::-1], lo[::-1]])])


def _pad(lo, hi, frac=0.08):
    span = (hi - lo) or 1.0
    return lo - frac * span, hi + frac * span


class _Pixels(Artist):
    """A figure-sized RGBA image painted pixel for pixel, with no resampling."""

    def __init__(self, rgba):
        super().__init__()
        self._rgba = np.ascontiguousarray(rgba[::-1])  # agg paints from the bottom row up
        self.set_zorder(-10)

    def draw(self, renderer):
        if not self.get_visible():
            return
        gc = renderer.new_gc()
        renderer.draw_image(gc, 0, 0, self._rgba)
        gc.restore()


class FlowExplorer:
    r"""One figure, four linked panels, and an ``update(k)`` that moves them to frame ``k``.

    Introduced in the chapter on exploring the flow in time.

    * **Landscape** (top left): the loss over (intercept, slope) in the book's colour map, the
      whole path faintly, the path travelled so far, the current point :math:`\phi(t_k)` and
      the limit :math:`\phi(\infty)`.
    * **Fit** (top right): the data, the line :math:`x \mapsto \phi_0(t_k) x + \phi_1(t_k)`,
      and each residual as a vertical segment in its point's colour.
    * **Residuals** (bottom left): :math:`r_i(t) = f_i(t) - y_i` for all times (symmetric-log
      time axis) with a moving time marker and the current values.
    * **Predictions** (bottom right): the mean and band of the predictions over random
      starts :math:`\phi_0 \sim N(0, \sigma_p^2 I)` (see
      :class:`~gflow_lib.frames.FlowFrames` for which band).

    Every frame's numbers come precomputed in ``frames``, the landscape included; this class
    computes nothing. :meth:`update` only calls
    ``set_data``, ``set_offsets``, ``set_segments``, ``set_verts``, ``set_xdata`` and
    ``set_text`` on the artists created here.

    Parameters
    ----------
    frames : FlowFrames
        From :func:`gflow_lib.frames.flow_frames`.
    fig : matplotlib Figure, optional
        An empty figure to draw into (for instance a pyplot figure under an interactive
        backend). By default a new :class:`matplotlib.figure.Figure`, not managed by pyplot.
    figsize : (float, float)
    k : int
        Frame shown first.

    Attributes
    ----------
    fig : Figure
    axes : dict of str to Axes
        ``"landscape"``, ``"fit"``, ``"residuals"``, ``"predictions"``.
    artists : dict of str to Artist
        The artists that :meth:`update` changes.
    k : int
        The frame shown.
    """

    def __init__(self, frames, fig=None, figsize=(8.4, 6.7), k: int = 0):
        if not isinstance(frames, FlowFrames):
            raise TypeError(
                f"frames must be a FlowFrames (from gflow_lib.frames.flow_frames); "
                f"got {type(frames).__name__}"
            )
        self.frames = fr = frames
        if fig is None:
            fig = Figure(figsize=figsize, layout="constrained")
        else:
            if fig.axes:
                raise ValueError(f"fig must be an empty figure; got one with {len(fig.axes)} axes")
            fig.set_size_inches(figsize)
            fig.set_layout_engine("constrained")
        self.fig = fig
        grid = fig.subplot_mosaic([["landscape", "fit"], ["residuals", "predictions"]])
        self.axes = grid
        colors = point_colors(fr.x.size)
        a = {}

        # Landscape -------------------------------------------------------------------
        ax = grid["landscape"]
        plot_landscape(fr.surface, ax=ax, levels=24)
        ax.plot(fr.params[:, 1], fr.params[:, 0], color="white", lw=1.0, ls=":", alpha=0.7)
        (a["path"],) = ax.plot([], [], color=COLORS["flow"], lw=2.4, solid_capstyle="round",
                               path_effects=[Stroke(linewidth=4.4, foreground="white", alpha=0.75),
                                             Normal()])
        (star,) = ax.plot(fr.limit[1], fr.limit[0], "*", color="white", ms=13, mec=COLORS["ml"],
                          mew=0.8, label=r"$\phi(\infty)$")
        a["point"] = ax.scatter([fr.params[0, 1]], [fr.params[0, 0]], s=70, color=COLORS["flow"],
                                edgecolors="white", linewidths=1.5, zorder=5, label=r"$\phi(t)$")
        ax.set_title("Loss landscape")
        # Frameless legends sit below the moving lines: nothing to repaint over them.
        ax.legend(loc="lower left", fontsize=9, labelcolor="white", handletextpad=0.3).set_zorder(1)

        # Fit -------------------------------------------------------------------------
        ax = grid["fit"]
        ymin = min(fr.y.min(), fr.fits.min())
        ymax = max(fr.y.max(), fr.fits.max())
        ylim = _pad(ymin, ymax)
        (a["line"],) = ax.plot([], [], color=COLORS["flow"], lw=2.2,
                               label=r"$\phi[0](t)\,x+\phi[1](t)$")
        a["gaps"] = LineCollection([], colors=colors, linewidths=2.0, linestyles="--")
        ax.add_collection(a["gaps"])
        data_fit = ax.scatter(fr.x, fr.y, s=55, color=colors, edgecolors="white", linewidths=1.0,
                              zorder=4)
        ax.set_xlim(fr.x_new[0], fr.x_new[-1])
        ax.set_ylim(*ylim)
        ax.set_xlabel("input $x$")
        ax.set_ylabel("output")
        ax.set_title("Fitted line and residuals")
        ax.legend(loc="upper left", fontsize=9).set_zorder(1)

        # Residuals over time -----------------------------------------------------------
        ax = grid["residuals"]
        positive = fr.t[fr.t > 0]
        ax.set_xscale("symlog", linthresh=positive[0], linscale=0.4)
        for i in range(fr.x.size):
            ax.plot(fr.t, fr.residuals[:, i], color=colors[i], lw=1.8,
                    label=f"$r_{i + 1}$ at $x={fr.x[i]:.2g}$")
        ax.axhline(0.0, color=COLORS["loss"], lw=0.8)
        a["marker"] = ax.axvline(fr.t[0], color=COLORS["flow"], lw=1.4, alpha=0.8)
        a["dots"] = ax.scatter(np.full(fr.x.size, fr.t[0]), fr.residuals[0], s=40, color=colors,
                               edgecolors="white", linewidths=1.0, zorder=5)
        ax.set_xlim(0.0, fr.t[-1] * 1.25)  # room for the dots at the last time
        ax.set_ylim(*_pad(fr.residuals.min(), fr.residuals.max()))
        ax.set_xlabel("time $t$ (log scale)")
        ax.set_ylabel(r"residual $f_i - y_i$")
        ax.set_title("Residuals over time")
        ax.legend(loc="lower right", fontsize=9).set_zorder(1)

        # Predictions over random starts --------------------------------------------------
        ax = grid["predictions"]
        a["band"] = ax.fill_between(fr.x_new, fr.x_new * 0, fr.x_new * 0, color=COLORS["band"],
                                    alpha=0.8, lw=0, label=fr.band_label)
        (a["mean"],) = ax.plot([], [], color=COLORS["flow"], lw=2.2, label="mean")
        data_pred = ax.scatter(fr.x, fr.y, s=55, color=colors, edgecolors="white", linewidths=1.0,
                               zorder=4)
        ax.set_xlim(fr.x_new[0], fr.x_new[-1])
        ax.set_ylim(*ylim)
        ax.set_xlabel("input $x$")
        ax.set_ylabel("output")
        ax.set_title(rf"Predictions over starts $\phi_0\sim N(0,{fr.sigma_sq_p:g}I)$")
        ax.legend(loc="upper left", fontsize=9)

        a["title"] = fig.suptitle("", fontsize=13, fontfamily="monospace")
        self.artists = a
        # Drawn above the moving artists: repainted with them once the rest is frozen.
        self._on_top = [star, data_fit, data_pred]
        self._frozen = False
        self.k = None
        self.update(k)

    def update(self, k):
        r"""Move every view to frame ``k`` by changing the data of the existing artists.

        Parameters
        ----------
        k : int
            Frame index (negative counts from the end).

        Returns
        -------
        tuple of Artist
            The changed artists (what ``FuncAnimation`` expects).
        """
        fr = self.frames
        k = fr.index(k)
        a = self.artists
        p = fr.params
        a["path"].set_data(p[: k + 1, 1], p[: k + 1, 0])
        a["point"].set_offsets(p[k, ::-1][None, :])
        a["line"].set_data(fr.x_new, fr.fits[k])
        fitted = fr.y + fr.residuals[k]
        a["gaps"].set_segments(
            np.stack([np.column_stack([fr.x, fr.y]), np.column_stack([fr.x, fitted])], axis=1)
        )
        tk = fr.t[k]
        a["marker"].set_xdata([tk, tk])
        a["dots"].set_offsets(np.column_stack([np.full(fr.x.size, tk), fr.residuals[k]]))
        m, h = fr.pred_mean[k], fr.band_half[k]
        a["band"].set_verts([_band_verts(fr.x_new, m - h, m + h)])
        a["mean"].set_data(fr.x_new, m)
        a["title"].set_text(f"t = {tk:7.3f}    loss L(t) = {fr.loss[k]:.6f}")
        self.k = k
        return tuple(a.values())

    def freeze_static(self, dpi):
        """Paint everything that never moves once, as a background image at ``dpi``.

        Afterwards a draw repaints only the background image and the moving artists, several
        times faster than a full draw: made for exporting many frames (the animation). The
        figure must then be saved at this same ``dpi``; the change cannot be undone.

        Parameters
        ----------
        dpi : float
            The resolution the frames will be saved at.

        Returns
        -------
        FlowExplorer
            ``self``.
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        if self._frozen:
            raise RuntimeError("freeze_static was already called on this explorer")
        fig = self.fig
        moving = list(self.artists.values()) + self._on_top
        ids = {id(art) for art in moving}
        for ax in fig.axes:  # static artists stacked above a moving one are repainted too
            mine = [c for c in ax.get_children() if id(c) in ids]
            if mine:
                low = min(c.get_zorder() for c in mine)
                outside = ids | {id(ax.patch), id(ax.title)}
                moving += [c for c in ax.get_children() if id(c) not in outside
                           and c.get_zorder() > low and not isinstance(c, Axis)
                           and not (isinstance(c, Text) and not c.get_text())]  # empty titles
        fig.set_dpi(dpi)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()  # the constrained layout runs one last time, with everything shown
        with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            fig.set_layout_engine(None)  # positions stay; no layout pass per frame
        moving = [art for art in moving if art.get_visible()]
        for art in moving:
            art.set_visible(False)
        canvas.draw()
        background = np.asarray(canvas.buffer_rgba()).copy()
        keep = {id(art) for art in moving}
        for ax in fig.axes:
            for child in ax.get_children():
                if id(child) not in keep:
                    child.set_visible(False)
        fig.patch.set_visible(False)
        fig.add_artist(_Pixels(background))
        for art in moving:
            art.set_visible(True)
        self._frozen = True
        return self

    def _repr_png_(self):
        """PNG of the current frame, so ``display(explorer)`` shows the figure in any
        notebook, whether or not a pyplot backend is active."""
        import io

        buf = io.BytesIO()
        # A frozen figure holds a background painted at its own dpi: save at that dpi.
        self.fig.savefig(buf, format="png", dpi=self.fig.dpi, facecolor="white")
        return buf.getvalue()

    def __repr__(self):
        return f"FlowExplorer(frame {self.k} of {len(self.frames)})"
