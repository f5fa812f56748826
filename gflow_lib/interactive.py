r"""Scrub through training time: one figure of four linked views, driven by a slider.

Introduced in the chapter on exploring the flow in time (``book/explorer.ipynb``).

Everything a frame shows is computed once, for a whole grid of times, from the library's
closed forms (:class:`~gflow_lib.flow.LinearFlow` and
:func:`~gflow_lib.bayes.prediction_distribution`). Moving through time then only changes the
data of artists that already exist (see :class:`~gflow_lib.plotting.explorer.FlowExplorer`).
Two front ends share that one ``update``:

* :func:`flow_widget`: an ipywidgets slider for Jupyter and Colab (needs a running kernel);
* :func:`flow_animation` and :func:`animation_html`: a matplotlib animation rendered as
  JavaScript, whose slider works in a static web page with no kernel at all.
"""

from __future__ import annotations

import numpy as np

from . import _validation as v
from .bayes import prediction_distribution
from .flow import LinearFlow

__all__ = [
    "FlowFrames",
    "animation_html",
    "flow_animation",
    "flow_frames",
    "flow_widget",
    "time_grid",
]


def time_grid(n: int = 40, t_max: float = 20.0, t_min: float = 0.01) -> np.ndarray:
    r"""A time grid for scrubbing: zero, then ``n - 1`` log-spaced times.

    Introduced in the chapter on exploring the flow in time.

    .. math::

        t_0 = 0, \qquad t_k = t_{\min} \left(\frac{t_{\max}}{t_{\min}}\right)^{(k-1)/(n-2)},
        \quad k = 1, \dots, n-1.

    The fast mode of the book's data settles within a few tenths of a unit of time and the
    slow one takes about twenty, so equal steps in log time give both their share of frames.

    Parameters
    ----------
    n : int
        Number of times, at least 3.
    t_max : float
        Last time, larger than ``t_min``.
    t_min : float
        First positive time.

    Returns
    -------
    ndarray, shape (n,)
        Strictly increasing, starting at 0 and ending at ``t_max``.
    """
    n = v.non_negative_int(n, "n")
    if n < 3:
        raise ValueError(f"n must be at least 3 (zero plus two log-spaced times); got {n}")
    t_max = v.positive_scalar(t_max, "t_max")
    t_min = v.positive_scalar(t_min, "t_min")
    if t_min >= t_max:
        raise ValueError(f"t_min must be smaller than t_max; got t_min={t_min}, t_max={t_max}")
    return np.concatenate([[0.0], np.geomspace(t_min, t_max, n - 1)])


def _check_grid(t) -> np.ndarray:
    tt, scalar = v.times(t, "t")
    if scalar or tt.size < 2:
        raise ValueError(
            f"t must be a 1-D array of at least 2 times (one per frame); got "
            f"{'a scalar' if scalar else f'{tt.size} time(s)'}"
        )
    steps = np.diff(tt)
    if np.any(steps <= 0):
        k = int(np.argmax(steps <= 0))
        raise ValueError(
            f"t must be strictly increasing; got t[{k}] = {float(tt[k])!r} followed by "
            f"t[{k + 1}] = {float(tt[k + 1])!r}"
        )
    return tt


class FlowFrames:
    r"""Every number the explorer draws, precomputed on a grid of times.

    Introduced in the chapter on exploring the flow in time.

    With :math:`\phi(t)` the flow from ``phi0`` (:class:`~gflow_lib.flow.LinearFlow`) and the
    predictive distribution for :math:`\phi_0 \sim N(0, \sigma_p^2 I)`
    (:func:`~gflow_lib.bayes.prediction_distribution`), frame ``k`` holds

    .. math::

        \phi(t_k), \quad L(t_k) = \tfrac12\lVert X^T\phi(t_k) - y\rVert^2, \quad
        r(t_k) = X^T\phi(t_k) - y, \quad
        \hat f(t_k) = X_*^T\phi(t_k), \quad
        m(t_k) \pm c\,\sqrt{v(t_k) + \sigma^2}.

    The band is the model-output band :math:`m \pm c\sqrt{v}` when ``noise_var`` is None, and
    the band for a noisy observation :math:`m \pm c\sqrt{v + \sigma^2}` when it is given.

    Parameters
    ----------
    X : array_like, shape (2, I)
        Data matrix of a line: inputs in the first row, ones in the second.
    y : array_like, shape (I,)
        Targets.
    phi0 : array_like, shape (2,)
        Start of the flow (slope, intercept).
    t : array_like, shape (T,)
        Strictly increasing non-negative times, at least two (see :func:`time_grid`).
    x_new : array_like, shape (M,), optional
        Inputs where the line and the band are drawn. By default 101 points covering
        [0, 1] and the data with a margin.
    prior_var : float
        :math:`\sigma_p^2`, the variance of each entry of a random start.
    noise_var : float, optional
        :math:`\sigma^2`. None (default) draws the band of the model output.
    band_sd : float
        :math:`c`, the half-width of the band in standard deviations.

    Attributes
    ----------
    t : ndarray, shape (T,)
    params : ndarray, shape (T, 2)
        (slope, intercept) along the flow from ``phi0``.
    loss : ndarray, shape (T,)
    residuals : ndarray, shape (T, I)
    x, y : ndarray, shape (I,)
        The data points.
    x_new : ndarray, shape (M,)
    fits : ndarray, shape (T, M)
        The fitted line :math:`\hat f` at ``x_new``.
    pred_mean, pred_var : ndarray, shape (T, M)
        Mean and model-output variance over random starts.
    band_half : ndarray, shape (T, M)
        Half-width of the drawn band.
    limit : ndarray, shape (2,)
        Parameters as :math:`t \to \infty`.
    loss_limit : float
    """

    def __init__(self, X, y, phi0, t, x_new=None, prior_var=2.0, noise_var=None, band_sd=2.0):
        X = v.design_matrix(X)
        v.check_finite(X, "X")
        if X.shape[0] != 2:
            msg = (
                f"X must have 2 rows (the inputs, then a row of ones) to be drawn as a line; "
                f"got shape {X.shape}"
            )
            if X.shape[1] == 2:
                msg += "; did you pass X transposed?"
            raise ValueError(msg)
        if not np.all(X[1] == 1.0):
            raise ValueError(
                "X's second row must be all ones (the intercept's input); got "
                f"{np.array2string(X[1], precision=3, threshold=6)}"
            )
        tt = _check_grid(t)
        self.prior_var = v.positive_scalar(prior_var, "prior_var")
        self.noise_var = None if noise_var is None else v.positive_scalar(noise_var, "noise_var")
        self.band_sd = v.positive_scalar(band_sd, "band_sd")
        flow = LinearFlow(X, y, phi0)
        x = X[0].copy()
        if x_new is None:
            span = float(np.ptp(x)) or 1.0
            lo = min(0.0, float(x.min()) - 0.1 * span)
            hi = max(1.0, float(x.max()) + 0.1 * span)
            x_new = np.linspace(lo, hi, 101)
        x_new = v.vector(x_new, "x_new")
        if x_new.size < 2:
            raise ValueError(f"x_new must hold at least 2 inputs; got {x_new.size}")
        X_new = np.vstack([x_new, np.ones_like(x_new)])

        self.t = tt
        self.x, self.y, self.x_new = x, flow.y.copy(), x_new
        self.params = flow.params(tt)
        self.loss = flow.loss(tt)
        self.residuals = flow.residuals(tt)
        self.fits = self.params @ X_new
        self.pred_mean, self.pred_var = prediction_distribution(
            X, flow.y, X_new, tt, np.zeros(2), self.prior_var * np.eye(2)
        )
        extra = 0.0 if self.noise_var is None else self.noise_var
        self.band_half = self.band_sd * np.sqrt(self.pred_var + extra)
        self.limit = flow.limit()
        self.loss_limit = flow.loss_limit()
        self.eigenvalues = flow.eigenvalues
        for name in ("t", "x", "y", "x_new", "params", "loss", "residuals", "fits",
                     "pred_mean", "pred_var", "band_half", "limit"):
            getattr(self, name).flags.writeable = False

    def __len__(self) -> int:
        return self.t.size

    def index(self, k) -> int:
        """Check a frame index (negative indices count from the end) and return it as 0..T-1."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"frame index k must be an integer; got {v._describe(k)}")
        T = len(self)
        if not -T <= k < T:
            raise IndexError(f"frame index k must be in [{-T}, {T - 1}]; got {k}")
        return int(k) % T

    def nearest(self, t: float) -> int:
        """Index of the frame whose time is closest to ``t``."""
        tt, scalar = v.times(t, "t")
        if not scalar:
            raise ValueError(f"t must be a single time; got shape {tt.shape}")
        return int(np.argmin(np.abs(self.t - tt[0])))

    @property
    def band_label(self) -> str:
        """What the band shows, for legends and text."""
        c = f"{self.band_sd:g}"
        if self.noise_var is None:
            return f"mean ± {c} sd of the model output"
        return f"mean ± {c} sd of a noisy observation"

    def __repr__(self):
        return f"FlowFrames(T={len(self)}, I={self.x.size}, M={self.x_new.size})"


def flow_frames(X, y, phi0, t=None, **kwargs) -> FlowFrames:
    """Precompute the explorer's frames; ``t`` defaults to :func:`time_grid`.

    Introduced in the chapter on exploring the flow in time. See :class:`FlowFrames` for the
    keyword arguments.
    """
    return FlowFrames(X, y, phi0, time_grid() if t is None else t, **kwargs)


def _explorer(frames_or_data, kwargs, fig=None):
    from .plotting.explorer import FlowExplorer

    if isinstance(frames_or_data, FlowExplorer):
        if kwargs:
            raise TypeError(
                f"keyword arguments {sorted(kwargs)} cannot be used with a ready FlowExplorer"
            )
        return frames_or_data
    if isinstance(frames_or_data, FlowFrames):
        return FlowExplorer(frames_or_data, fig=fig, **kwargs)
    raise TypeError(
        "expected a FlowFrames (from flow_frames) or a FlowExplorer; got "
        f"{v._describe(frames_or_data)}"
    )


def flow_widget(frames, **kwargs):
    r"""A time slider driving the four linked views, for Jupyter and Colab.

    Introduced in the chapter on exploring the flow in time.

    The slider's readout is the time :math:`t_k`; its observer calls
    :meth:`FlowExplorer.update(k) <gflow_lib.plotting.explorer.FlowExplorer.update>`, which only
    changes the data of existing artists, then redraws. With an interactive widget backend
    (``%matplotlib widget``, ipympl) the figure's canvas is itself a widget and is redrawn
    with ``draw_idle``; with the inline backend the figure is re-rendered into an ``Output``
    widget.

    Parameters
    ----------
    frames : FlowFrames or FlowExplorer
    **kwargs
        Passed to :class:`~gflow_lib.plotting.explorer.FlowExplorer` (figure size, extent).

    Returns
    -------
    ipywidgets.VBox
        ``children[0]`` is the slider (a ``SelectionSlider`` whose value is the frame index),
        ``children[1]`` the canvas or ``Output``. The explorer is ``box.explorer``.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    fig = None
    if isinstance(frames, FlowFrames) and "ipympl" in plt.get_backend().lower():
        fig = plt.figure()  # a pyplot figure, so its canvas is an ipympl widget
    ex = _explorer(frames, kwargs, fig=fig)
    fr = ex.frames
    labels = [f"{t:.3g}" for t in fr.t]
    if len(set(labels)) < len(labels):
        labels = [f"{t:.8g}" for t in fr.t]
    slider = widgets.SelectionSlider(
        options=list(zip(labels, range(len(fr)), strict=True)),
        value=ex.k,
        description="time t",
        continuous_update=True,
        layout=widgets.Layout(width="95%"),
        style={"description_width": "initial"},
    )
    canvas = ex.fig.canvas
    if isinstance(canvas, widgets.DOMWidget):
        view = canvas

        def redraw():
            canvas.draw_idle()
    else:
        from IPython.display import display

        view = widgets.Output()

        def redraw():
            with view:
                view.clear_output(wait=True)
                display(ex)  # a PNG of the figure (FlowExplorer._repr_png_)

        redraw()
        if fig is None:
            plt.close(ex.fig)  # no stray static copy from the inline backend

    def on_change(change):
        ex.update(change["new"])
        redraw()

    slider.observe(on_change, names="value")
    box = widgets.VBox([slider, view])
    box.explorer = ex
    return box


def flow_animation(frames, interval: int = 120, **kwargs):
    r"""A matplotlib animation that plays the frames with the explorer's ``update``.

    Introduced in the chapter on exploring the flow in time.

    Parameters
    ----------
    frames : FlowFrames or FlowExplorer
    interval : int
        Milliseconds between frames.
    **kwargs
        Passed to :class:`~gflow_lib.plotting.explorer.FlowExplorer`.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        One frame per time of the grid; the explorer is ``anim.explorer``.
    """
    from matplotlib.animation import FuncAnimation

    interval = v.non_negative_int(interval, "interval")
    ex = _explorer(frames, kwargs)
    anim = FuncAnimation(
        ex.fig, ex.update, frames=len(ex.frames), interval=interval, blit=False, repeat=False
    )
    anim.explorer = ex
    return anim


def animation_html(frames, dpi: int = 72, quality: int = 55, interval: int = 120,
                   **kwargs) -> str:
    r"""The animation as self-contained HTML and JavaScript (works offline, no kernel).

    Introduced in the chapter on exploring the flow in time.

    The HTML is what :meth:`FuncAnimation.to_jshtml(default_mode="once")
    <matplotlib.animation.Animation.to_jshtml>` produces (matplotlib's ``HTMLWriter`` with
    embedded frames): an ``<input type="range">`` slider, play buttons and one base64 JPEG
    per frame. It is written with the same writer, passing a JPEG quality, and the static
    parts of the figure are painted once
    (:meth:`~gflow_lib.plotting.explorer.FlowExplorer.freeze_static`), so 40 frames take a
    few seconds and under 2 MB. The figure is closed afterwards.

    Parameters
    ----------
    frames : FlowFrames or FlowExplorer
        A FlowExplorer only lends its frames: the animation draws on a fresh figure.
    dpi : int
        Resolution of the embedded frames, at least 20.
    quality : int
        JPEG quality, 1 to 95.
    interval : int
        Milliseconds between frames when playing.
    **kwargs
        Passed to :class:`~gflow_lib.plotting.explorer.FlowExplorer`.

    Returns
    -------
    str
        HTML to pass to ``IPython.display.HTML``.
    """
    import tempfile
    from pathlib import Path

    import matplotlib as mpl
    from matplotlib.animation import HTMLWriter

    dpi = v.non_negative_int(dpi, "dpi")
    if dpi < 20:
        raise ValueError(f"dpi must be at least 20; got {dpi}")
    quality = v.non_negative_int(quality, "quality")
    if not 1 <= quality <= 95:
        raise ValueError(f"quality must be between 1 and 95; got {quality}")
    # Always a fresh figure: freezing would spoil an explorer the caller still uses.
    ex = _explorer(getattr(frames, "frames", frames), kwargs)
    ex.freeze_static(dpi)
    ex.fig.canvas.draw_idle = lambda *args, **kw: None  # saving draws each frame once anyway
    anim = flow_animation(ex, interval=interval)
    with tempfile.TemporaryDirectory() as tmp, mpl.rc_context(
        {"animation.frame_format": "jpeg", "savefig.bbox": None}
    ):
        writer = HTMLWriter(fps=1000 / max(interval, 1), embed_frames=True,
                            default_mode="once")
        path = Path(tmp, "animation.html")
        anim.save(str(path), writer=writer, dpi=dpi,
                  savefig_kwargs={"pil_kwargs": {"quality": quality, "optimize": True}})
        return path.read_text()
