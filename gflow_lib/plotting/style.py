"""The book's visual identity: one warm colour map and a small set of named colours."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap

__all__ = [
    "BOOK_CMAP",
    "COLORS",
    "apply_style",
    "book_cmap",
    "new_axes",
    "point_colors",
    "time_colors",
]

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

#: Named colours used across the book: one per data point, per parameter, per method.
COLORS = {
    "data": "#c0392b",
    "points": ["#c0392b", "#27864a", "#2e5fa8"],
    "slope": "#1b9aaa",
    "intercept": "#b5338a",
    "flow": "#2e5fa8",
    "descent": "#e67e22",
    "ml": "#111111",
    "map": "#7d3c98",
    "ridge": "#7d3c98",
    "band": "#cfcfcf",
    "loss": "#222222",
}


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


def apply_style() -> None:
    """Set the book's matplotlib defaults (font sizes, grid, figure size, resolution)."""
    plt.rcParams.update(
        {
            "figure.figsize": (6.0, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "legend.frameon": False,
            "image.cmap": "gflow_warm",
        }
    )


def new_axes(ax=None, figsize=None):
    """Return ``ax`` or a fresh ``Axes`` on a new figure."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize)
    return ax
