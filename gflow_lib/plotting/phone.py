"""Phone renderings of figures: panels side by side stacked, wide panels drawn narrower.

A figure with two columns of panels is drawn :data:`~gflow_lib.plotting.style.WIDE_WIDTH`
inches wide, a one-panel figure :data:`~gflow_lib.plotting.style.FIG_WIDTH`; a phone shows
them about 327 CSS pixels wide, which shrinks their text to about 8 and 9.4 pixels. So each
such figure also gets a phone rendering: a copy :data:`PHONE_WIDTH` inches wide with its
panels one per row, with the same fonts (text of :data:`~gflow_lib.plotting.style.TEXT_PT`
points stays about 14 pixels). Each panel keeps its shape; a legend too wide for the phone
gets fewer columns (and, at one column, a little more width, up to :data:`MAX_GROWTH`); a
legend under its panel stays as far under it.

In a notebook, :func:`register` (called by :func:`~gflow_lib.plotting.style.apply_style`)
wraps IPython's PNG formatter: a figure's output keeps its usual PNG, and the output of a
figure with panels side by side, or wider than the phone, carries the phone PNG in its
metadata under :data:`METADATA_KEY`. Jupyter, Colab and nbval ignore it; the book's build
(tools/sphinx_phone.py) serves it to narrow screens. Figures no wider than the phone, figures
whose panels cannot be re-placed (axes placed by hand, subfigures), and figures whose
rendering would squeeze a panel below :data:`MIN_PANEL` of its width get nothing.
"""

from __future__ import annotations

import base64
import importlib
import io
import pickle
import warnings

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.offsetbox import VPacker
from matplotlib.transforms import blended_transform_factory, offset_copy

__all__ = ["METADATA_KEY", "PHONE_WIDTH", "panel_cells", "phone_figure", "phone_png",
           "register"]

#: Width of a phone rendering, inches: 350 pixels at the book's 100 dpi, shown at about its
#: natural size in a phone's 342-pixel column.
PHONE_WIDTH = 3.5
#: A phone rendering whose narrowest panel would be less than this fraction of its width
#: (squeezed by a legend or label wider than the phone) is not made.
MIN_PANEL = 0.5
#: A legend wider than :data:`PHONE_WIDTH` even in one column widens the phone rendering,
#: up to this factor (4.2 inches: its 11-point text still shows at about 11.9 pixels in a
#: 327-pixel column); wider, no phone rendering is made.
MAX_GROWTH = 1.2
#: The key of the phone PNG (base64) in an output's ``image/png`` metadata.
METADATA_KEY = "gflow_phone"

_MARK = "_gflow_phone_wrapped"


def _is_colorbar(ax) -> bool:
    return hasattr(ax, "_colorbar") or hasattr(ax, "_colorbar_info")


def _grid_cells(fig):
    """``{(row start, column start, row stop, column stop): [indices into fig.axes]}`` of the
    visible panels (colour bars left out), when they all sit on one GridSpec; else None."""
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
    return cells or None


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
    cells = _grid_cells(fig)
    if cells is None or len({key[1] for key in cells}) < 2:
        return None
    return [cells[key] for key in sorted(cells)]


def _phone_cells(fig, width):
    """The cells to stack one per row in the phone rendering (as :func:`panel_cells`), or
    None: panels side by side, or one column of panels (a single panel too) on a figure
    wider than ``width`` inches."""
    cells = panel_cells(fig)
    if cells is not None:
        return cells
    cells = _grid_cells(fig)
    if cells is None or fig.get_tightbbox().width <= width:  # as the notebook cuts it
        return None
    return [cells[key] for key in sorted(cells)]


def _only_legend(ax) -> bool:
    """An axes turned off that holds a legend and nothing drawn (a legend slot)."""
    drawn = ax.lines or ax.collections or ax.images or ax.patches or ax.texts
    return not ax.axison and ax.get_legend() is not None and not drawn


def _legend_drops(fig):
    """``{index into fig.axes: (x, drop)}`` for each axes legend anchored at a point under
    its axes: ``x`` the anchor's place across the axes (a fraction), ``drop`` its distance
    under the axes in points, as laid out."""
    drops = {}
    for i, ax in enumerate(fig.axes):
        legend = ax.get_legend()
        if legend is None or _is_colorbar(ax):
            continue
        anchor, box = legend.get_bbox_to_anchor(), ax.get_window_extent()
        if anchor.width > 1e-6 or anchor.height > 1e-6 or anchor.y0 >= box.y0:
            continue
        drops[i] = ((anchor.x0 - box.x0) / box.width, (box.y0 - anchor.y0) * 72.0 / fig.dpi)
    return drops


def _split(items, n):
    """``items`` in ``n`` consecutive runs, the first ones one longer (as Legend does)."""
    size, extra = divmod(len(items), n)
    runs, at = [], 0
    for k in range(n):
        step = size + (k < extra)
        runs.append(items[at:at + step])
        at += step
    return runs


def _legends(fig):
    """The figure's legends and those of its axes."""
    found = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    return found + list(fig.legends)


def _fit_legends(fig) -> bool:
    """Give each legend wider than its room (its axes, 5 % more, as ``legend_below`` allows;
    the figure for a figure legend) fewer columns, until it fits or has one. The legend's
    entries are re-packed, not re-made, in their order. Returns whether any legend changed.
    A legend not packed as matplotlib packs it is left alone."""
    found = [(ax.get_legend(), 1.05 * ax.get_window_extent().width)
             for ax in fig.axes if ax.get_legend() is not None and not _is_colorbar(ax)]
    found += [(legend, fig.bbox.width) for legend in fig.legends]
    changed = False
    for legend, room in found:
        box = getattr(legend, "_legend_handle_box", None)
        columns = box.get_children() if box is not None else []
        if len(columns) < 2 or not all(isinstance(c, VPacker) for c in columns):
            continue
        items = [item for column in columns for item in column.get_children()]
        first = columns[0]
        n = len(columns)
        while n > 1 and legend.get_window_extent().width > room:
            n -= 1
            box._children = [VPacker(pad=first.pad, sep=first.sep, align=first.align,
                                     children=run) for run in _split(items, n)]
            legend.stale = changed = True
    return changed


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
    """A copy of ``fig`` with its panels one per row, ``width`` inches wide (up to
    :data:`MAX_GROWTH` times that for a legend that needs it); None when ``fig`` has no panels
    side by side (see :func:`panel_cells`) and is no wider than ``width`` as cut to its
    content.

    A figure wider than ``width`` whose panels sit in one column (one panel, say) is drawn
    again ``width`` inches wide, its panels in the same order; so its text, which keeps its
    size in points, is larger on a phone than the shrunk original's. Panels that cannot be
    re-placed (axes placed by hand, subfigures, several grids) get nothing.

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
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
    try:
        width = float(width)
    except (TypeError, ValueError):
        raise TypeError(f"width must be a number of inches; got {width!r}") from None
    if not width > 0.0 or width == float("inf"):
        raise ValueError(f"width must be a positive, finite number of inches; got {width}")
    cells = _phone_cells(fig, width)
    if cells is None:
        return None
    fig.draw_without_rendering()  # the laid-out positions
    drops = _legend_drops(fig)
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
    # a legend under its axes stays as far under it, not a fraction of its new height
    for i, (x, drop) in drops.items():
        ax = axes[i]
        ax.get_legend().set_bbox_to_anchor(
            (x, 0.0), transform=offset_copy(ax.transAxes, fig=copy, y=-drop, units="points"))

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
    with warnings.catch_warnings():  # a legend too wide for the phone can collapse the axes
        warnings.simplefilter("ignore", UserWarning)
        copy.draw_without_rendering()
    _fit_legends(copy)
    widest = max([lg.get_window_extent().width / copy.dpi for lg in _legends(copy)],
                 default=0.0) + 0.1
    if widest > width:  # a legend of one column wider than the phone: a little wider
        if widest > MAX_GROWTH * width:
            return None
        width = widest
        copy.set_size_inches(width, height)
    # one still wider than its axes (laid out again with the legends as they now are) is
    # centred on the figure, so that constrained layout need not shrink the axes to hold it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        copy.draw_without_rendering()
    for i, (_, drop) in drops.items():
        ax, legend = axes[i], axes[i].get_legend()
        if legend.get_window_extent().width > 1.05 * ax.get_window_extent().width:
            under = offset_copy(ax.transAxes, fig=copy, y=-drop, units="points")
            legend.set_bbox_to_anchor(
                (0.5, 0.0), transform=blended_transform_factory(copy.transFigure, under))
    for _ in range(3):  # constrained layout takes the labels' room first; correct the rest
        copy.draw_without_rendering()
        boxes = [_inches(copy, g[0].get_position(original=True).transformed(
            copy.transFigure)) for g in groups]
        want = [w * r if kind == "ratio"
                else _inches(copy, g[0].get_legend().get_window_extent())[1] + 0.15
                for (kind, r), (w, _), g in zip(shapes, boxes, groups, strict=True)]
        have = [h for _, h in boxes]
        gap = sum(want) - sum(have)
        if abs(gap) < 0.02:
            break
        grid.set_height_ratios([max(x, 0.1) for x in want])
        height = max(height + gap, 1.0)
        copy.set_size_inches(width, height)
    if any(ax.get_window_extent().width < MIN_PANEL * copy.bbox.width
           for g in groups for ax in g[:1] if ax.axison):
        return None  # something too wide for the phone squeezed a panel: better none
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
    return _compact(buffer.getvalue())


def _compact(png: bytes) -> bytes:
    """The same pixels in fewer bytes: no alpha channel when every pixel is opaque, and
    Pillow's strongest lossless compression (about 12 % smaller on the book's figures); the
    resolution (pHYs) kept."""
    from PIL import Image  # a dependency of matplotlib

    image = Image.open(io.BytesIO(png))
    if image.mode == "RGBA" and image.getextrema()[3] == (255, 255):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, dpi=image.info.get("dpi", (100, 100)))
    return out.getvalue() if out.tell() < len(png) else png


def _with_phone(png_of):
    """IPython's PNG printer for figures, returning (png, metadata with the phone PNG)."""

    def printer(fig):
        data = png_of(fig)
        if data is None:
            return data
        try:
            phone = phone_png(fig)
        except Exception as exc:  # noqa: BLE001 - the figure itself must still show
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
        shell = current_shell()
    if shell is None:
        return False
    formatter = shell.display_formatter.formatters.get("image/png")
    if formatter is None:
        return False
    if not hasattr(shell, _MARK):  # once per shell: re-wrap before each cell if replaced
        setattr(shell, _MARK, True)
        shell.events.register("pre_run_cell", lambda *_: _wrap(formatter))
    if not _wrap(formatter) and requested_backend() in INLINE_BACKENDS:
        importlib.import_module("matplotlib_inline.backend_inline")
        return _wrap(formatter)
    return _wrap(formatter)


#: The names of IPython's inline backend (shared with :mod:`.style`; not in ``__all__``).
INLINE_BACKENDS = ("inline", "module://matplotlib_inline.backend_inline")


def current_shell():
    """The running IPython shell, or None (outside IPython, or without IPython installed)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def requested_backend() -> str:
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
