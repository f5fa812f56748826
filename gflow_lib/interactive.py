r"""Scrub through training time: the front ends of the explorer, a slider and an animation.

Introduced in the chapter on exploring the flow in time (``book/explorer.ipynb``).

The layers, from the bottom: :mod:`gflow_lib.frames` computes every number a frame shows, once,
for a whole grid of times (:class:`~gflow_lib.frames.FlowFrames`);
:class:`~gflow_lib.plotting.explorer.FlowExplorer` draws one figure of four linked views and
moves it to frame ``k`` by changing the data of artists that already exist; this module drives
that one ``update`` from

* :func:`flow_widget`: an ipywidgets slider for Jupyter and Colab (needs a running kernel);
* :func:`flow_animation` and :func:`animation_html`: a matplotlib animation rendered as
  JavaScript, whose slider works in a static web page with no kernel at all.

Importing this module loads neither matplotlib nor ipywidgets; each front end imports what it
needs when called. ``time_grid``, ``FlowFrames`` and ``flow_frames`` are still importable from
here, for code written before they moved to :mod:`gflow_lib.frames`.
"""

from __future__ import annotations

from . import _validation as v
from .frames import FlowFrames, flow_frames, time_grid  # noqa: F401 (old home of these names)

__all__ = ["animation_html", "flow_animation", "flow_widget"]


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
        f"{v.describe(frames_or_data)}"
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
        Passed to :class:`~gflow_lib.plotting.explorer.FlowExplorer` (``figsize``, first frame
        ``k``).

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
