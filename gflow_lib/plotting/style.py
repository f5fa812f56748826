"""The book's visual identity: one warm colour map and a small set of named colours.

The named colours are the Okabe-Ito palette (Okabe and Ito, "Color universal design", 2008),
which readers with the common forms of colour blindness can tell apart; each data point also
has its own marker, so no figure relies on colour alone."""

from __future__ import annotations

import os

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.font_manager import FontProperties
from matplotlib.transforms import offset_copy

__all__ = [
    "BOOK_CMAP",
    "CATEGORY_COLORS",
    "COLORS",
    "FIG_WIDTH",
    "MARKERS",
    "MAX_COLUMNS",
    "OKABE_ITO",
    "TEXT_PT",
    "WIDE_WIDTH",
    "apply_style",
    "book_cmap",
    "checked_array",
    "legend_below",
    "new_axes",
    "panel_grid",
    "point_colors",
    "point_markers",
    "time_colors",
]

# Sizes for every screen. The page's column shows an image at its natural width up to 672 px
# at 1280 px and scales it to 342 px on a 390 px phone; figures are drawn at 100 dpi. Text of
# TEXT_PT points is then 15 px on a desktop (the body's small text is 14.4 px) and, in a
# figure at most WIDE_WIDTH wide, at least 8 px on a phone.
#: Text size of ticks, legends and annotations, in points.
TEXT_PT = 11.0
#: Width of a one-panel figure, inches.
FIG_WIDTH = 5.2
#: Width of the widest figure (two columns of panels), inches.
WIDE_WIDTH = 6.2
#: Panels side by side, at most: more panels wrap into rows.
MAX_COLUMNS = 2
#: The environment variable that turns phone renderings on (``"1"``): see :func:`apply_style`.
PHONE_SWITCH = "GFLOW_PHONE_FIGURES"
#: The environment variable that has IPython's inline backend draw each figure once, when it
#: shows it (``"1"``; the test runs set it): see :func:`apply_style`.
DRAW_ONCE_SWITCH = "GFLOW_DRAW_ONCE"

# Anchor colours of the warm map, from deep umber through terracotta to pale sand.
# Matplotlib interpolates between them; nothing else in the book defines colours for maps.
_WARM_ANCHORS = [
    (0.00, "#1f0a05"),
    (0.30, "#6b2c1c"),
    (0.60, "#b8643f"),
    (0.85, "#e3ad7a"),
    (1.00, "#f7e6cc"),
]


def book_cmap(n: int = 256) -> LinearSegmentedColormap:
    """The book's warm dark-to-light colour map (low loss dark, high loss light).

    Parameters
    ----------
    n : int
        Number of colours in the lookup table.
    """
    return LinearSegmentedColormap.from_list("gflow_warm", _WARM_ANCHORS, N=n)


#: The book's warm colour map (registered with matplotlib as ``"gflow_warm"``).
BOOK_CMAP = book_cmap()
try:
    mpl.colormaps.register(BOOK_CMAP)
except ValueError:  # already registered (module reloaded)
    pass

#: The Okabe-Ito palette: eight colours that stay distinct under the common colour-vision
#: deficiencies.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

#: Named colours used across the book: one per data point, per parameter, per method, all
#: from :data:`OKABE_ITO`. The data points' colours are used for nothing else in a figure
#: that shows the points.
COLORS = {
    "data": OKABE_ITO["vermillion"],
    "points": [OKABE_ITO["vermillion"], OKABE_ITO["bluish green"], OKABE_ITO["reddish purple"]],
    "slope": OKABE_ITO["blue"],
    "intercept": OKABE_ITO["orange"],
    "flow": OKABE_ITO["blue"],
    "descent": OKABE_ITO["orange"],
    "ml": OKABE_ITO["black"],
    "map": OKABE_ITO["sky blue"],
    "ridge": OKABE_ITO["sky blue"],
    "band": "#cfcfcf",
    "loss": "#222222",
}

#: Colours of lines that are categories (inputs, methods, widths), in order: Okabe-Ito without
#: yellow, which vanishes on white. Told apart under protanopia, deuteranopia and tritanopia
#: (tests/test_plotting.py simulates them).
CATEGORY_COLORS = [OKABE_ITO[k] for k in ("blue", "vermillion", "bluish green",
                                          "reddish purple", "orange", "sky blue", "black")]

#: One marker per data point, in the order of ``COLORS["points"]``: circle, square, triangle.
MARKERS = ["o", "s", "^"]


def time_colors(n: int, lo: float = 0.15, hi: float = 0.7):
    """``n`` colours for ``n`` times in order: dark early, light late, along :data:`BOOK_CMAP`.

    The one time-colour order of the book's figures (fitted lines, ellipses, bands).

    Parameters
    ----------
    n : int
        Number of times.
    lo, hi : float
        Positions on the colour map of the first and the last time, ``0 <= lo < hi <= 1``
        (0 is the darkest). Keep ``hi`` well below 1: the lightest sand vanishes on white.

    Returns
    -------
    ndarray, shape (n, 4)
        RGBA colours.
    """
    if not 0.0 <= lo < hi <= 1.0:
        raise ValueError(f"lo and hi must satisfy 0 <= lo < hi <= 1; got lo={lo}, hi={hi}")
    return BOOK_CMAP(np.linspace(lo, hi, n))


def point_colors(n: int) -> list:
    """One colour per data point, ``COLORS["points"]`` in turn."""
    base = COLORS["points"]
    return [base[i % len(base)] for i in range(n)]


def point_markers(n: int) -> list:
    """One marker per data point (circle, square, triangle, in turn), to go with
    :func:`point_colors`: the points differ in shape as well as in colour."""
    return [MARKERS[i % len(MARKERS)] for i in range(n)]


def apply_style() -> None:
    """Set the book's matplotlib defaults (font sizes, grid, figure size, resolution); when
    ``GFLOW_PHONE_FIGURES=1`` (set by ``tools.notebooks`` for the book's stored outputs), in
    IPython also give figures wider than a phone a phone rendering
    (:func:`gflow_lib.plotting.phone.register`; it costs about 0.4 s a figure, which readers
    running a chapter need not pay).

    When ``GFLOW_DRAW_ONCE=1`` (and not ``GFLOW_PHONE_FIGURES=1``), under IPython's inline
    backend each figure is drawn once per cell, when it is shown, instead of twice: pyplot's
    hook that draws every open figure after each cell (for windows that show the canvas) is
    removed (:func:`_draw_once`). The shown PNG is still drawn in full (an error while drawing
    still fails the cell); its layout can differ by a constrained-layout pass from the stored
    one, which nbval does not compare. The stored outputs (``tools.notebooks``) are drawn as
    in a reader's kernel.

    Introduced in the chapter on the introduction; every chapter calls it first."""
    plt.rcParams.update(
        {
            "figure.figsize": (FIG_WIDTH, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
            "font.size": TEXT_PT,
            "axes.titlesize": TEXT_PT + 1,
            "axes.labelsize": TEXT_PT + 0.5,
            "xtick.labelsize": TEXT_PT,
            "ytick.labelsize": TEXT_PT,
            "legend.fontsize": TEXT_PT,
            "legend.frameon": False,
            "image.cmap": "gflow_warm",
        }
    )
    if os.environ.get(PHONE_SWITCH) == "1":
        from .phone import register

        register()
    elif os.environ.get(DRAW_ONCE_SWITCH) == "1":
        _draw_once()


def _draw_once() -> bool:
    """Under IPython with the inline backend, take out pyplot's post-execute hook that draws
    every stale open figure after each cell: the inline backend then draws each figure again
    to make its PNG, and closes it, so the first drawing is never seen (about a fifth of a
    chapter's CPU). pyplot's backend is loaded now (it would be at the first figure), so that
    the hook is there to take out; it is taken out again before each cell (``%matplotlib
    inline`` puts it back), not under another backend, whose windows need it. Returns
    whether it is out."""
    from .phone import INLINE_BACKENDS, current_shell, requested_backend

    shell = current_shell()
    if shell is None:
        return False

    def drop(*_):
        if requested_backend() not in INLINE_BACKENDS:
            return False
        plt.uninstall_repl_displayhook()
        return True

    if not getattr(shell, "_gflow_draw_once", False):
        shell._gflow_draw_once = True
        shell.events.register("pre_run_cell", drop)
    if requested_backend() in INLINE_BACKENDS:
        plt._get_backend_mod()  # loads the backend and installs the hook, once
    return drop()


def new_axes(ax=None, figsize=None):
    """Return ``ax`` or a fresh ``Axes`` on a new figure of the book's width."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize or (FIG_WIDTH, 3.6), layout="constrained")
    return ax


def panel_grid(n, panel_size=(3.0, 2.4), extra_height=0.0, **kw):
    """``n`` panels in rows of at most :data:`MAX_COLUMNS`, shrunk to fit
    :data:`WIDE_WIDTH`; unused slots hidden. Returns the figure and a flat array of the ``n``
    Axes (``extra_height`` inches for a legend; ``**kw`` to ``plt.subplots``)."""
    ncols = min(int(n), MAX_COLUMNS)
    nrows = -(-int(n) // ncols)
    width = min(panel_size[0] * ncols, WIDE_WIDTH if ncols > 1 else FIG_WIDTH)
    height = panel_size[1] * width / (panel_size[0] * ncols)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="constrained",
                             figsize=(width, height * nrows + extra_height), **kw)
    fig.get_layout_engine().set(wspace=0.08)  # room between the end tick labels of neighbours
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat[:n]


def legend_below(ax, ncol=2, **kw):
    """A legend under the axes and its x label, where it covers no data."""
    rc = plt.rcParams
    # the height of the tick labels and the x label, with their pads, in points
    drop = 1.25 * (_points(rc["xtick.labelsize"]) + _points(rc["axes.labelsize"])) + 12.0
    if not ax.get_xlabel():
        drop -= 1.25 * _points(rc["axes.labelsize"])
    at = offset_copy(ax.transAxes, fig=ax.figure, y=-drop, units="points")
    kw.setdefault("handlelength", 1.5)
    kw.setdefault("columnspacing", 1.0)
    renderer = ax.figure.canvas.get_renderer()
    width = ax.get_window_extent(renderer).width
    for n in range(max(int(ncol), 1), 0, -1):  # fewer columns until it is no wider than ax
        legend = ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=at,
                           ncol=n, borderaxespad=0.0, **kw)
        if legend.get_window_extent(renderer).width <= 1.05 * width:
            break
    return legend


def _points(size):
    """A matplotlib font size (number or name such as "large") in points."""
    return FontProperties(size=size).get_size_in_points()


def checked_array(value, name, ndim):
    """``value`` as a float array with ``ndim`` dimensions, or a ValueError naming it."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array; got shape {arr.shape}")
    return arr
