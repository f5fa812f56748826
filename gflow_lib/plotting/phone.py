"""Phone renderings of figures with panels side by side.

A figure with two columns of panels is drawn :data:`~gflow_lib.plotting.style.WIDE_WIDTH`
inches wide; a phone shows it about 342 CSS pixels wide, which shrinks its text to about 8
pixels. So each such figure also gets a phone rendering: a copy with its panels stacked one
per row, :data:`PHONE_WIDTH` inches wide, with the same fonts (text of
:data:`~gflow_lib.plotting.style.TEXT_PT` points stays about 15 pixels).

In a notebook, :func:`register` (called by :func:`~gflow_lib.plotting.style.apply_style`)
wraps IPython's PNG formatter: a figure's output keeps its usual PNG, and a multi-panel
figure's output carries the phone PNG in its metadata under :data:`METADATA_KEY`. Jupyter,
Colab and nbval ignore it; the book's build (tools/sphinx_phone.py) serves it to narrow
screens. Single-panel figures, and figures whose panels cannot be re-placed (axes placed by
hand, subfigures), get nothing.
"""

from __future__ import annotations

import base64
import importlib
import io
import pickle

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["METADATA_KEY", "PHONE_WIDTH", "panel_cells", "phone_figure", "phone_png",
           "register"]

#: Width of a phone rendering, inches: 350 pixels at the book's 100 dpi, shown at about its
#: natural size in a phone's 342-pixel column.
PHONE_WIDTH = 3.5
#: The key of the phone PNG (base64) in an output's ``image/png`` metadata.
METADATA_KEY = "gflow_phone"

_MARK = "_gflow_phone_wrapped"


def _is_colorbar(ax) -> bool:
    return hasattr(ax, "_colorbar") or hasattr(ax, "_colorbar_info")


def panel_cells(fig):
    """The figure's panels grouped by grid cell, in reading order, when there are panels in
    more than one column of one GridSpec; else None.

    Returns
    -------
    list of list of int or None
        For each occupied cell (row by row, left to right), the indices into ``fig.axes`` of
        its visible axes (a panel and its twins). None for a figure with one column of panels,
        with axes placed by hand or with panels on several grids.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
    if fig.subfigs:
        return None
    cells, grid = {}, None
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or _is_colorbar(ax):
            continue
        spec = ax.get_subplotspec()
        if spec is None:
            return None  # placed by hand: cannot be re-placed reliably
        spec = spec.get_topmost_subplotspec()
        if grid is None:
            grid = spec.get_gridspec()
        elif spec.get_gridspec() is not grid:
            return None
        key = (spec.rowspan.start, spec.colspan.start, spec.rowspan.stop, spec.colspan.stop)
        cells.setdefault(key, []).append(i)
    if len({key[1] for key in cells}) < 2:
        return None
    return [cells[key] for key in sorted(cells)]


def _only_legend(ax) -> bool:
    """An axes turned off that holds a legend and nothing drawn (a legend slot)."""
    drawn = ax.lines or ax.collections or ax.images or ax.patches or ax.texts
    return not ax.axison and ax.get_legend() is not None and not drawn


def _inches(fig, bbox):
    return bbox.width / fig.dpi, bbox.height / fig.dpi


def _borrow_labels(panels, keys):
    """Stacked, each panel stands alone: shared axes show their tick labels again, and a
    panel whose x (y) label was left out because a panel of its column (row) says it borrows
    that label, when the two share the axis or show the same range."""
    for ax, key in zip(panels, keys, strict=True):
        if not ax.axison:
            continue
        for axis, along in (("x", 1), ("y", 0)):  # x labels down a column, y along a row
            shared = getattr(ax, f"get_shared_{axis}_axes")()
            if len(shared.get_siblings(ax)) > 1:
                ax.tick_params(axis=axis, **{"labelbottom" if axis == "x" else "labelleft": True})
            label = getattr(ax, f"{axis}axis").label
            if label.get_text():
                continue
            lim = getattr(ax, f"get_{axis}lim")()
            for other, other_key in zip(panels, keys, strict=True):
                if other is ax or other_key[along] != key[along] or not other.axison:
                    continue
                source = getattr(other, f"{axis}axis").label
                if source.get_text() and (shared.joined(ax, other)
                                          or getattr(other, f"get_{axis}lim")() == lim):
                    label.set_text(source.get_text())
                    label.set_fontsize(source.get_fontsize())
                    break


def phone_figure(fig, width=PHONE_WIDTH):
    """A copy of ``fig`` with its panels one per row, ``width`` inches wide; None when ``fig``
    has no panels side by side (see :func:`panel_cells`).

    Each panel keeps its shape (the height-to-width ratio of its axes box in ``fig``); a panel
    that only holds a legend gets the legend's height. Fonts, legends, colour bars, titles and
    figure legends are those of ``fig`` (copied through pickle); the layout is constrained.
    ``fig`` is not changed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    width : float
        Width of the copy, inches, positive.

    Returns
    -------
    matplotlib.figure.Figure or None
    """
    cells = panel_cells(fig)
    try:
        width = float(width)
    except (TypeError, ValueError):
        raise TypeError(f"width must be a number of inches; got {width!r}") from None
    if not width > 0.0 or width == float("inf"):
        raise ValueError(f"width must be a positive, finite number of inches; got {width}")
    if cells is None:
        return None
    fig.draw_without_rendering()  # the laid-out positions
    shapes = []
    for group in cells:
        ax = fig.axes[group[0]]
        if _only_legend(ax):
            shapes.append(("legend", _inches(fig, ax.get_legend().get_window_extent())[1]
                           + 0.15))
        else:
            w, h = _inches(fig, ax.get_window_extent())
            shapes.append(("ratio", h / w))
    keys = []
    for group in cells:
        spec = fig.axes[group[0]].get_subplotspec().get_topmost_subplotspec()
        keys.append((spec.rowspan.start, spec.colspan.start))

    copy = pickle.loads(pickle.dumps(fig))
    manager = copy.canvas.manager
    if manager is not None:  # unpickling registered it with pyplot: not a figure to show
        plt.close(copy)
    axes = list(copy.axes)  # in the order of fig.axes
    groups = [[axes[i] for i in group] for group in cells]
    keep = {i for group in cells for i in group}
    for i, ax in enumerate(axes):
        if i not in keep and not _is_colorbar(ax):
            copy.delaxes(ax)  # hidden slots of the old grid
    _borrow_labels([g[0] for g in groups], keys)

    guess = [0.8 * width * r if kind == "ratio" else r for kind, r in shapes]
    height = sum(guess) + 0.9 * len(guess) + 0.6
    grid = copy.add_gridspec(len(cells), 1, height_ratios=guess)
    for k, group in enumerate(groups):
        for ax in group:
            ax.set_subplotspec(grid[k, 0])
    engine = copy.get_layout_engine()
    if engine is None or engine.__class__.__name__ != "ConstrainedLayoutEngine":
        copy.set_layout_engine("constrained")
    copy.set_size_inches(width, height)
    for _ in range(3):  # constrained layout takes the labels' room first; correct the rest
        copy.draw_without_rendering()
        boxes = [_inches(copy, g[0].get_position(original=True).transformed(
            copy.transFigure)) for g in groups]
        want = [w * r if kind == "ratio" else r
                for (kind, r), (w, _) in zip(shapes, boxes, strict=True)]
        have = [h for _, h in boxes]
        gap = sum(want) - sum(have)
        if abs(gap) < 0.02:
            break
        grid.set_height_ratios([max(x, 0.1) for x in want])
        height = max(height + gap, 1.0)
        copy.set_size_inches(width, height)
    return copy



def phone_png(fig, width=PHONE_WIDTH, dpi=None) -> bytes | None:
    """The phone rendering of ``fig`` (:func:`phone_figure`) as PNG bytes, at ``fig``'s dpi
    unless ``dpi`` is given, cut to its content as the notebook's PNG is; None when ``fig`` has
    no panels side by side."""
    copy = phone_figure(fig, width)
    if copy is None:
        return None
    buffer = io.BytesIO()
    copy.savefig(buffer, format="png", dpi=dpi or fig.dpi, bbox_inches="tight",
                 facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor())
    return buffer.getvalue()


def _with_phone(png_of):
    """IPython's PNG printer for figures, returning (png, metadata with the phone PNG)."""

    def printer(fig):
        data = png_of(fig)
        if data is None:
            return data
        try:
            phone = phone_png(fig)
        except Exception as exc:  # noqa: BLE001 - the figure itself must still show
            import warnings

            warnings.warn(f"no phone rendering of this figure: {exc!r}", stacklevel=2)
            return data
        if phone is None:
            return data
        return data, {METADATA_KEY: base64.b64encode(phone).decode("ascii")}

    setattr(printer, _MARK, png_of)
    return printer


def register(shell=None) -> bool:
    """Give multi-panel figures shown in IPython a phone rendering (see the module's text).

    Wraps the ``image/png`` formatter's printer for matplotlib figures, once, and again before
    any cell after something (``%matplotlib inline``) replaced it. Under the inline backend,
    loads the backend first (what pyplot does at the first figure), so that the printer
    exists. Does nothing outside IPython. Returns whether the printer is wrapped."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
        if shell is None:
            return False
    formatter = shell.display_formatter.formatters.get("image/png")
    if formatter is None:
        return False
    if not hasattr(shell, _MARK):  # once per shell: re-wrap before each cell if replaced
        setattr(shell, _MARK, True)
        shell.events.register("pre_run_cell", lambda *_: _wrap(formatter))
    if not _wrap(formatter) and _backend() in _INLINE:
        importlib.import_module("matplotlib_inline.backend_inline")
        return _wrap(formatter)
    return _wrap(formatter)


_INLINE = ("inline", "module://matplotlib_inline.backend_inline")


def _backend() -> str:
    """The backend asked for, without loading it (pyplot loads it at the first figure)."""
    try:
        return mpl.get_backend(auto_select=False)
    except TypeError:  # matplotlib < 3.10: no auto_select, and the raw rcParam
        return str(mpl.rcParams._get("backend"))


def _wrap(formatter) -> bool:
    try:
        printer = formatter.lookup_by_type(Figure)
    except KeyError:
        return False
    if not hasattr(printer, _MARK):
        formatter.for_type(Figure, _with_phone(printer))
    return True
