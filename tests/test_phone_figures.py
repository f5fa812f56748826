"""Phone renderings of figures, from the library to the built site.

* gflow_lib.plotting.phone (Agg backend): a figure with panels side by side is copied with one
  panel per row, its panels keeping their data, labels, legends, colour bars and shapes, the
  original untouched; a one-column figure (one panel too) wider than the phone is drawn again
  at the phone's width, legends too wide for it re-packed in fewer columns (or widening it a
  little), legends under a panel as far under it; figures no wider than the phone, panels
  placed by hand and panels a phone would squeeze get nothing; bad input is refused by name;
  the IPython printer puts the phone PNG in the output's metadata.
* tools/sphinx_phone.py: the map from an output PNG's SHA-256 to its phone PNG, and a small
  Sphinx build (MyST-NB, as the book's) that writes ``<picture>`` on the site's builder and the
  plain image on the single-page builder that the PDF prints.
* The built site: the chapters have more figures than phone renderings. In Chromium (on the
  page loads of tests/test_browser.py, ``figure_problems``: ``make book`` first;
  ``GFLOW_BOOK_ROOT`` points elsewhere): at 390 CSS pixels every figure with a phone rendering
  shows it, and every figure shows its 11-point text at least 11 pixels (SMALL_TEXT_EXEMPT
  there: none); at 1280 pixels the desktop figures.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import subprocess
import sys
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gflow_lib.plotting import apply_style  # noqa: E402
from gflow_lib.plotting.phone import (  # noqa: E402
    MAX_GROWTH,
    METADATA_KEY,
    MIN_PANEL,
    PHONE_WIDTH,
    panel_cells,
    phone_figure,
    phone_png,
    register,
)
from gflow_lib.plotting.style import PHONE_SWITCH, TEXT_PT, legend_below, panel_grid  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from test_browser import (  # noqa: E402
    PAGES,
    _ppi,
    is_notebook_page,
    picture_problems,
)
from test_browser import ROOT as BOOK_ROOT  # noqa: E402 - the book whose pages are built

from tools import sphinx_phone  # noqa: E402


@pytest.fixture(autouse=True)
def _style_and_close():
    apply_style()
    yield
    plt.close("all")


def _two_panels(sharey=False, layout="constrained"):
    fig, axes = plt.subplots(1, 2, figsize=(6.2, 3.4), sharey=sharey, layout=layout)
    x = np.linspace(0.0, 1.0, 11)
    for k, ax in enumerate(axes):
        ax.plot(x, (k + 1) * x, label=f"line {k}")
        ax.scatter(x, x**2, label=f"points {k}")
        ax.set_title(f"panel {k}")
        ax.set_xlabel(f"x {k}")
        ax.legend()
    axes[0].set_ylabel("y")
    if not sharey:
        axes[1].set_ylabel("y right")
    return fig, axes


def _bare(*args, **kwargs):
    """A figure of empty panels without ticks, for the tests of the IPython printer's plumbing
    and of the PNG's size (tick labels are most of a layout's cost: a phone rendering of
    _two_panels took 1.1 s of CPU, of this 0.09 s). The re-layout itself is checked on
    _two_panels and the other figures with ticks below."""
    fig, axes = plt.subplots(*args, layout="constrained", **kwargs)
    for ax in np.atleast_1d(axes):
        ax.set(xticks=[], yticks=[])
    return fig


def _box(ax):
    """The axes' box in inches (x0, y0, x1, y1), as drawn."""
    fig = ax.figure
    b = ax.get_window_extent()
    return b.x0 / fig.dpi, b.y0 / fig.dpi, b.x1 / fig.dpi, b.y1 / fig.dpi


def _stacked(axes):
    """Each box wholly below the one before it."""
    boxes = [_box(ax) for ax in axes]
    return all(b[3] <= a[1] + 1e-6 for a, b in zip(boxes, boxes[1:], strict=False))


def _rows(phone):
    return [(ax.get_subplotspec().rowspan.start, ax.get_subplotspec().get_gridspec().ncols)
            for ax in phone.axes if ax.get_subplotspec() is not None]


@pytest.fixture(scope="module")
def two():
    """The two-panel figure, laid out, and its phone rendering, drawn: made once (a phone
    rendering lays a figure out about five times) for the tests that only read them. With the
    original's places before, and pyplot's figures before and after."""
    apply_style()
    fig, axes = _two_panels()
    fig.draw_without_rendering()
    before = [ax.get_position().bounds for ax in axes]
    n_figures = len(plt.get_fignums())
    phone = phone_figure(fig)
    n_after = len(plt.get_fignums())
    if phone is not None:
        phone.draw_without_rendering()
    yield SimpleNamespace(fig=fig, axes=axes, phone=phone, before=before,
                          n_figures=n_figures, n_after=n_after)
    plt.close(fig)


# ------------------------------------------------------------------------ the re-layout
def test_two_panels_become_two_rows_with_their_data_labels_and_legends(two):
    fig, axes, phone = two.fig, two.axes, two.phone
    assert phone is not None and phone is not fig
    assert _rows(phone) == [(0, 1), (1, 1)]
    assert phone.get_size_inches()[0] == pytest.approx(PHONE_WIDTH)
    assert _stacked(phone.axes)
    for old, new in zip(axes, phone.axes, strict=True):
        assert [ln.get_label() for ln in new.lines] == [ln.get_label() for ln in old.lines]
        for a, b in zip(old.lines, new.lines, strict=True):
            np.testing.assert_array_equal(a.get_xydata(), b.get_xydata())
        np.testing.assert_array_equal(old.collections[0].get_offsets(),
                                      new.collections[0].get_offsets())
        assert (new.get_title(), new.get_xlabel(), new.get_ylabel()) == \
            (old.get_title(), old.get_xlabel(), old.get_ylabel())
        assert [t.get_text() for t in new.get_legend().get_texts()] == \
            [t.get_text() for t in old.get_legend().get_texts()]
        assert new.xaxis.label.get_fontsize() == old.xaxis.label.get_fontsize() == \
            pytest.approx(TEXT_PT + 0.5)


def test_panels_keep_their_shape_and_the_original_is_untouched(two):
    axes, phone, before = two.axes, two.phone, two.before
    for old, new in zip(axes, phone.axes, strict=True):
        x0, y0, x1, y1 = _box(old)
        u0, v0, u1, v1 = _box(new)
        assert (v1 - v0) / (u1 - u0) == pytest.approx((y1 - y0) / (x1 - x0), rel=0.03)
        assert u1 - u0 > x1 - x0  # wider than in the two-column figure
    # the same grid and places (a second constrained layout moves them by rounding only)
    np.testing.assert_allclose([ax.get_position().bounds for ax in axes], before, atol=2e-3)
    assert [ax.get_subplotspec().get_gridspec().ncols for ax in axes] == [2, 2]
    assert two.n_after == two.n_figures  # the copy is not left for pyplot to show


@pytest.mark.slow  # two phone layouts of four and three panels (1.9 s)
def test_a_two_by_two_grid_with_a_legend_slot_and_a_hidden_slot():
    # landscape's descent figure: the fourth slot, turned off, holds the legend
    fig, axes = plt.subplots(2, 2, figsize=(6.2, 6.4), layout="constrained")
    for k, ax in enumerate(axes.flat[:3]):
        ax.plot([0, 1], [0, k / 2], label="flow")
        ax.set(xlim=(0, 1), ylim=(0, 1), aspect="equal")
    axes[1, 1].axis("off")
    axes[1, 1].legend(*axes[0, 0].get_legend_handles_labels(), loc="center")
    phone = phone_figure(fig)
    assert _rows(phone) == [(0, 1), (1, 1), (2, 1), (3, 1)]
    phone.draw_without_rendering()
    assert _stacked(phone.axes)
    slot = _box(phone.axes[3])
    panel = _box(phone.axes[0])
    assert slot[3] - slot[1] < 0.5 * (panel[3] - panel[1])  # the legend's height, not a panel's
    # panel_grid's hidden slots are dropped
    fig, flat = panel_grid(3)
    for ax in flat:
        ax.plot([0, 1], [1, 0])
    phone = phone_figure(fig)
    assert _rows(phone) == [(0, 1), (1, 1), (2, 1)] and len(phone.axes) == 3


@pytest.mark.slow  # two phone layouts (2.1 s of CPU at load 11)
def test_shared_axes_show_their_tick_labels_and_borrow_the_missing_label():
    fig, axes = _two_panels(sharey=True)
    assert axes[1].get_ylabel() == ""
    phone = phone_figure(fig)
    right = phone.axes[1]
    phone.draw_without_rendering()
    assert right.get_ylabel() == "y"
    assert all(t.get_visible() and t.get_text() for t in right.get_yticklabels()[1:-1])
    # a label left out is not invented when the neighbour shows another range, unshared
    fig, axes = _two_panels()
    axes[1].set_ylabel("")
    axes[1].set_ylim(-5.0, 5.0)
    assert phone_figure(fig).axes[1].get_ylabel() == ""


@pytest.mark.slow  # a phone layout with colour bars (1.4 s)
def test_colour_bars_and_figure_legends_follow_their_panels():
    fig, axes = plt.subplots(1, 2, figsize=(6.2, 2.6), layout="constrained")
    for ax in axes:
        image = ax.imshow(np.arange(20.0).reshape(4, 5))
        fig.colorbar(image, ax=ax, shrink=0.85)
    line = axes[0].plot([0, 4], [0, 3], label="a line")[0]
    fig.legend([line], ["a line"], loc="outside lower center")
    phone = phone_figure(fig)
    phone.draw_without_rendering()
    panels = [ax for ax in phone.axes if not hasattr(ax, "_colorbar")]
    bars = [ax for ax in phone.axes if hasattr(ax, "_colorbar")]
    assert len(panels) == 2 and len(bars) == 2 and _stacked(panels)
    for panel, bar in zip(panels, bars, strict=True):
        p, b = _box(panel), _box(bar)
        assert b[0] >= p[2] - 1e-6  # right of its panel
        assert b[1] < p[3] and b[3] > p[1]  # beside it, not beside the other
    legend = phone.legends[0].get_window_extent()
    assert legend.y1 / phone.dpi <= min(_box(ax)[1] for ax in panels) + 1e-6


@pytest.mark.parametrize("make", [
    lambda: plt.subplots(figsize=(3.2, 2.6), layout="constrained")[0],  # one narrow panel
    lambda: plt.subplots(2, 1, figsize=(3.0, 4.0))[0],  # one narrow column
    lambda: plt.figure(figsize=(6.2, 3.0)),  # no axes
])
def test_figures_no_wider_than_a_phone_without_panels_side_by_side_get_nothing(make):
    fig = make()
    for ax in fig.axes:
        ax.plot([0, 1], [0, 1])
    assert panel_cells(fig) is None
    assert phone_figure(fig) is None
    assert phone_png(fig) is None


def test_axes_placed_by_hand_get_no_phone_rendering():
    fig, _ = _two_panels(layout=None)
    fig.add_axes((0.7, 0.7, 0.2, 0.2))
    assert phone_figure(fig) is None
    fig = plt.figure(figsize=(5.2, 3.6))  # one wide panel, placed by hand
    fig.add_axes((0.1, 0.1, 0.8, 0.8)).plot([0, 1], [0, 1])
    assert phone_figure(fig) is None


# ---------------------------------------------------------- one panel wider than a phone
def _one_panel(figsize=(5.2, 3.6), ncol=3, labels=("flow", "descent", "ridge")):
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    x = np.linspace(0.0, 1.0, 11)
    for k, label in enumerate(labels):
        ax.plot(x, (k + 1) * x, label=label)
    ax.set(title="a title", xlabel="time $t$", ylabel="loss")
    legend_below(ax, ncol=ncol)
    return fig, ax


@pytest.mark.slow  # a phone layout and a phone PNG (1.5 s)
def test_one_panel_wider_than_a_phone_is_drawn_again_at_the_phone_width():
    fig, ax = _one_panel()
    phone = phone_figure(fig)
    assert phone is not None and phone.get_size_inches()[0] == pytest.approx(PHONE_WIDTH)
    assert panel_cells(fig) is None  # not a figure with panels side by side
    (new,) = phone.axes
    for a, b in zip(ax.lines, new.lines, strict=True):
        np.testing.assert_array_equal(a.get_xydata(), b.get_xydata())
    assert (new.get_title(), new.get_xlabel(), new.get_ylabel()) == \
        (ax.get_title(), ax.get_xlabel(), ax.get_ylabel())
    assert new.xaxis.label.get_fontsize() == pytest.approx(TEXT_PT + 0.5)
    assert [t.get_fontsize() for t in new.get_legend().get_texts()] == [TEXT_PT] * 3
    # the panel keeps its shape and is most of the phone's width
    fig.draw_without_rendering()
    phone.draw_without_rendering()
    x0, y0, x1, y1 = _box(ax)
    u0, v0, u1, v1 = _box(new)
    assert (v1 - v0) / (u1 - u0) == pytest.approx((y1 - y0) / (x1 - x0), rel=0.03)
    assert u1 - u0 > 0.6 * PHONE_WIDTH
    assert ax.figure.get_size_inches()[0] == pytest.approx(5.2)  # the original untouched
    # the PNG, cut to its content as the notebook's is, is about the phone's width
    width, _ = sphinx_phone.png_size(phone_png(fig))
    assert width <= 1.1 * PHONE_WIDTH * fig.dpi


def test_a_legend_too_wide_for_the_phone_gets_fewer_columns_in_order():
    labels = ["gradient flow", "descent", "ridge path"]
    fig, ax = _one_panel(ncol=3, labels=labels)
    assert len(ax.get_legend()._legend_handle_box.get_children()) == 3  # one row
    phone = phone_figure(fig)
    phone.draw_without_rendering()
    (new,) = phone.axes
    legend = new.get_legend()
    columns = legend._legend_handle_box.get_children()
    assert len(columns) < 3
    assert legend.get_window_extent().width <= 1.05 * new.get_window_extent().width
    # re-packed in order, column by column, each entry with its own text
    shown = [item.get_children()[1].get_text() for column in columns
             for item in column.get_children()]
    assert shown == labels == [t.get_text() for t in legend.get_texts()]
    # the original keeps its one row
    assert len(ax.get_legend()._legend_handle_box.get_children()) == 3


def test_a_legend_under_its_panel_stays_as_far_under_it_in_inches():
    fig, ax = plt.subplots(figsize=(6.5, 6.0))  # landscape's valley: no layout engine
    ax.plot([0, 1], [0, 1], label="gradient flow")
    ax.set_xlabel("intercept")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13))  # a fraction of the axes
    fig.draw_without_rendering()
    drop = (ax.get_window_extent().y0 - ax.get_legend().get_window_extent().y1) / fig.dpi
    phone = phone_figure(fig)
    phone.draw_without_rendering()
    (new,) = phone.axes
    gap = (new.get_window_extent().y0 - new.get_legend().get_window_extent().y1) / phone.dpi
    assert gap == pytest.approx(drop, abs=0.02)
    label = new.xaxis.label.get_window_extent()
    assert new.get_legend().get_window_extent().y1 <= label.y0  # not over the x label


def test_a_colour_bar_stays_beside_its_single_panel():
    fig, ax = plt.subplots(figsize=(6.5, 6.0), layout="constrained")
    image = ax.imshow(np.arange(20.0).reshape(4, 5))
    fig.colorbar(image, ax=ax, shrink=0.8)
    phone = phone_figure(fig)
    phone.draw_without_rendering()
    (panel,) = [a for a in phone.axes if not hasattr(a, "_colorbar")]
    (bar,) = [a for a in phone.axes if hasattr(a, "_colorbar")]
    p, b = _box(panel), _box(bar)
    assert b[0] >= p[2] - 1e-6 and b[1] < p[3] and b[3] > p[1]
    assert phone.get_size_inches()[0] == pytest.approx(PHONE_WIDTH)


def test_a_legend_wider_than_the_phone_widens_it_a_little_or_gives_no_rendering():
    long = "Fourier features: measured, slope -0.496"  # function_space's kernel gap
    fig, ax = _one_panel(ncol=1, labels=("short", long))
    phone = phone_figure(fig)
    phone.draw_without_rendering()
    legend = phone.axes[0].get_legend().get_window_extent()
    assert PHONE_WIDTH < phone.get_size_inches()[0] <= MAX_GROWTH * PHONE_WIDTH
    assert legend.x0 >= 0 and legend.x1 <= phone.bbox.width  # inside the figure
    assert phone.axes[0].get_window_extent().width > MIN_PANEL * phone.bbox.width
    fig, ax = _one_panel(ncol=1, labels=("short", long + long))  # far too wide
    assert phone_figure(fig) is None


@pytest.mark.slow  # a PNG printed, then a phone layout (1.8 s)
def test_a_panel_with_a_colour_bar_and_a_long_legend_under_it_is_not_squeezed():
    # momentum's stability region, after the PNG the notebook shows was printed first
    from IPython.core.pylabtools import print_figure

    fig, ax = plt.subplots(figsize=(5.2, 4.2), layout="constrained")
    mesh = ax.pcolormesh(np.linspace(0, 1, 30)[None, :] * np.ones((20, 1)))
    fig.colorbar(mesh, ax=ax, shrink=0.9).set_label("rate per step (worst mode)")
    for k in range(4):
        ax.plot([0, 29], [k, 19 - k], label=f"complex roots, $\\lambda_{{{k}}}$")
    ax.plot([10], [10], "*", label="Polyak's optimum")
    ax.set(xlabel="learning rate lr", ylabel=r"momentum $\beta$")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    print_figure(fig, "png")
    phone = phone_figure(fig)
    assert phone is not None
    phone.draw_without_rendering()
    panel = next(a for a in phone.axes if not hasattr(a, "_colorbar"))
    assert panel.get_window_extent().width > MIN_PANEL * phone.bbox.width


def test_a_panel_squeezed_by_text_beside_it_gets_no_rendering():
    fig, ax = _one_panel(ncol=1, labels=("flow",))
    ax.text(1.02, 0.5, "a note beside the panel", transform=ax.transAxes)
    fig.draw_without_rendering()
    assert ax.get_window_extent().width > 0.5 * fig.bbox.width  # fine on the desktop
    assert phone_figure(fig) is None  # on a phone it would leave the panel a sliver


def test_phone_png_is_a_png_of_the_phone_width():
    fig = _bare(1, 2, figsize=(6.2, 3.4))  # the size is what counts here, not the ticks
    data = phone_png(fig)
    width, height = sphinx_phone.png_size(data)
    from PIL import Image

    assert Image.open(io.BytesIO(data)).mode == "RGB"  # compacted (see below)
    assert PHONE_WIDTH * fig.dpi * 0.95 <= width <= PHONE_WIDTH * fig.dpi * 1.15
    assert height > 2 * 2.0 * fig.dpi  # two panels over each other


def test_phone_png_is_compacted_without_changing_a_pixel(two):
    fig = two.fig
    raw = io.BytesIO()  # the PNG phone_png compacts: the phone rendering, cut to its content
    two.phone.savefig(raw, format="png", dpi=fig.dpi, bbox_inches="tight",
                      facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor())
    from PIL import Image

    import gflow_lib.plotting.phone as phone

    data = phone._compact(raw.getvalue())
    assert len(data) < 0.95 * len(raw.getvalue())
    small, plain = Image.open(io.BytesIO(data)), Image.open(raw)
    assert (small.mode, plain.mode) == ("RGB", "RGBA")  # opaque: no alpha channel
    np.testing.assert_array_equal(np.asarray(small.convert("RGBA")), np.asarray(plain))
    assert _ppi(data) == pytest.approx(fig.dpi, rel=1e-3)  # the dpi the browser test reads
    # a figure that is partly transparent keeps its alpha channel, pixel for pixel
    pixels = np.zeros((60, 80, 4), dtype=np.uint8)
    pixels[..., 0] = np.arange(80, dtype=np.uint8)
    pixels[..., 3] = np.arange(60, dtype=np.uint8)[:, None] * 4
    seen_through = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(seen_through, format="PNG")
    back = Image.open(io.BytesIO(phone._compact(seen_through.getvalue())))
    np.testing.assert_array_equal(np.asarray(back.convert("RGBA")), pixels)


@pytest.mark.parametrize("fig, width, error, words", [
    ("figure", 3.5, TypeError, "fig must be a matplotlib Figure; got str"),
    (None, 3.5, TypeError, "fig must be a matplotlib Figure; got NoneType"),
    ("two", "wide", TypeError, "width must be a number of inches; got 'wide'"),
    ("two", -1.0, ValueError, "width must be a positive, finite number of inches; got -1.0"),
    ("two", float("nan"), ValueError, "width must be a positive, finite"),
    ("two", float("inf"), ValueError, "width must be a positive, finite"),
])
def test_bad_input_is_refused_by_name(fig, width, error, words):
    if fig == "two":
        fig = _two_panels()[0]
    with pytest.raises(error, match=re.escape(words)):
        phone_figure(fig, width)


# ------------------------------------------------------------------ the IPython printer
def _shell():
    from IPython.core.formatters import DisplayFormatter
    from IPython.core.pylabtools import print_figure

    formatter = DisplayFormatter()
    # what matplotlib-inline registers for figures (IPython's select_figure_formats, "png")
    formatter.formatters["image/png"].for_type(
        Figure, partial(print_figure, fmt="png", base64=True))
    events = []
    return SimpleNamespace(display_formatter=formatter,
                           events=SimpleNamespace(register=lambda *a: events.append(a))), events


@pytest.mark.slow  # four figures rendered
def test_the_printer_puts_the_phone_png_in_the_outputs_metadata():
    shell, events = _shell()
    assert register(shell) is True
    assert register(shell) is True  # once: not wrapped twice
    assert len(events) == 1
    fig = _bare(1, 2, figsize=(6.2, 3.4))
    data, metadata = shell.display_formatter.format(fig)
    desktop = base64.b64decode(data["image/png"])
    phone = base64.b64decode(metadata["image/png"][METADATA_KEY])
    assert phone == phone_png(fig)  # the rendering phone_png makes, as is
    assert sphinx_phone.png_size(desktop)[0] > sphinx_phone.png_size(phone)[0] * 1.5
    assert set(metadata["image/png"]) == {METADATA_KEY}
    single = _bare(figsize=(3.2, 2.4))  # fits a phone
    data, metadata = shell.display_formatter.format(single)
    assert "image/png" in data and "image/png" not in metadata
    wide = _bare(figsize=(5.2, 3.6))  # one panel, wide
    assert METADATA_KEY in shell.display_formatter.format(wide)[1]["image/png"]
    # replaced after (%matplotlib inline again): the hook before the next cell wraps it again
    shell.display_formatter.formatters["image/png"].for_type(Figure, lambda f: "x")
    events[0][1]()
    assert METADATA_KEY in shell.display_formatter.format(fig)[1]["image/png"]


def test_register_outside_ipython_and_without_a_printer_does_nothing():
    assert register() is False  # no IPython shell in pytest
    shell, _ = _shell()
    shell.display_formatter.formatters["image/png"].pop(Figure)
    assert register(shell) is False  # Agg: no inline backend to load


def test_apply_style_turns_phone_renderings_on_only_when_the_switch_is_set(monkeypatch):
    """Readers running a chapter do not pay 0.4 s a figure; the book's stored outputs do."""
    import gflow_lib.plotting.phone as phone

    calls = []
    monkeypatch.setattr(phone, "register", lambda *a: calls.append(a) or True)
    monkeypatch.delenv(PHONE_SWITCH, raising=False)
    apply_style()
    monkeypatch.setenv(PHONE_SWITCH, "0")
    apply_style()
    assert calls == []
    monkeypatch.setenv(PHONE_SWITCH, "1")
    apply_style()
    assert calls == [()]


def test_the_chapters_are_executed_with_the_switch_set(monkeypatch, tmp_path):
    from tools import notebooks

    seen = []
    monkeypatch.setattr(notebooks.subprocess, "run", lambda cmd, **kw: seen.append(kw["env"]))
    notebooks.execute(tmp_path / "chapter.ipynb")
    assert seen and seen[0].get(PHONE_SWITCH) == "1"


def test_the_backend_is_read_without_loading_it_on_older_matplotlib(monkeypatch):
    import gflow_lib.plotting.phone as phone

    asked = matplotlib.get_backend(auto_select=False)
    monkeypatch.setattr(matplotlib, "get_backend", lambda: "loaded")  # matplotlib < 3.10
    assert phone.requested_backend() == asked


# ------------------------------------------------------------------ the Sphinx extension
def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return buffer.getvalue()


def _notebook(path, outputs):
    cells = [{"cell_type": "code", "id": f"c{k}", "execution_count": k + 1, "metadata": {},
              "source": "x",
              "outputs": [out]} for k, out in enumerate(outputs)]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                      "display_name": "Python 3"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


def _image_output(png, phone=None):
    out = {"output_type": "display_data", "metadata": {},
           "data": {"image/png": base64.b64encode(png).decode(), "text/plain": "<Figure>"}}
    if phone is not None:
        out["metadata"] = {"image/png": {METADATA_KEY: base64.b64encode(phone).decode()}}
    return out


def test_phone_images_maps_the_hash_of_each_output_png_to_its_phone_png(tmp_path):
    desktop, phone, single = b"\x89PNG two panels", b"\x89PNG stacked", b"\x89PNG one"
    _notebook(tmp_path / "a.ipynb", [_image_output(desktop, phone), _image_output(single)])
    found = sphinx_phone.phone_images([tmp_path / "a.ipynb"])
    assert found == {hashlib.sha256(desktop).hexdigest(): phone}


def test_png_size_reads_the_header_and_refuses_other_bytes():
    fig, _ = _two_panels()
    width, height = fig.get_size_inches() * fig.dpi
    assert sphinx_phone.png_size(_png(fig)) == (round(width), round(height))
    with pytest.raises(ValueError, match="data must be a PNG image"):
        sphinx_phone.png_size(b"GIF89a" + bytes(30))


@pytest.mark.slow
def test_a_sphinx_build_writes_a_picture_for_the_site_and_none_for_the_pdf(tmp_path):
    """A MyST-NB project of one notebook, built with the site's builder and the PDF's."""
    fig, _ = _two_panels()
    desktop, phone = _png(fig), phone_png(fig)
    single = _png(plt.subplots()[0])
    src = tmp_path / "src"
    src.mkdir()
    _notebook(src / "index.ipynb", [_image_output(desktop, phone), _image_output(single)])
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'tools')!r})\n"
        "extensions = ['myst_nb', 'sphinx_phone']\n"
        "nb_execution_mode = 'off'\n"
        "project = 'p'\n")
    digest = hashlib.sha256(desktop).hexdigest()
    # Both builds in one fresh interpreter, one after the other, as two runs of sphinx-build
    # (one interpreter's start and imports, about 1.5 s of CPU, instead of two).
    builds = "; ".join(
        f"code = code or build_main(['-W', '-q', '-b', {b!r}, {str(src)!r}, "
        f"{str(tmp_path / b)!r}])" for b in ("html", "singlehtml"))
    run = subprocess.run([sys.executable, "-c", "import sys; from sphinx.cmd.build import "
                          f"build_main; code = 0; {builds}; sys.exit(code)"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    pages = {b: ((tmp_path / b / "index.html").read_text(), tmp_path / b)
             for b in ("html", "singlehtml")}
    html, out = pages["html"]
    pictures = re.findall(r"<picture>.*?</picture>", html, re.S)
    assert len(pictures) == 1
    assert (f'<source media="(max-width: {sphinx_phone.MEDIA_MAX_PX}px)" '
            f'srcset="_images/{digest}-phone.png" type="image/png">') in pictures[0]
    assert re.search(rf'<img[^>]*src="_images/{digest}\.png"', pictures[0])
    assert (out / "_images" / f"{digest}-phone.png").read_bytes() == phone
    assert (out / "_images" / f"{digest}.png").read_bytes() == desktop
    assert html.count("<img") == 2  # the single-panel figure as before, outside any picture
    single_page, out = pages["singlehtml"]
    assert "<picture" not in single_page and "-phone.png" not in single_page
    assert f"{digest}.png" in single_page


def test_picture_problems_detector_can_fail(tmp_path):
    (tmp_path / "_images").mkdir()
    small = _png(plt.figure(figsize=(1.0, 1.0)))  # only its dpi (pHYs) is read
    (tmp_path / "_images" / "a.png").write_bytes(small)
    (tmp_path / "_images" / "a-phone.png").write_bytes(small)
    (pw, ph), (dw, dh) = (361, 738), (631, 371)

    def seen(name, natural, shown, picture=True):
        return [{"src": "_images/a.png", "current": f"http://h/_images/{name}",
                 "natural": list(natural), "shown": list(shown), "picture": picture}]

    assert picture_problems(seen("a-phone.png", (pw, ph), (pw, ph)), 390, tmp_path) == []
    assert picture_problems(seen("a.png", (dw, dh), (dw, dh)), 1280, tmp_path) == []
    assert "shows a.png" in picture_problems(seen("a.png", (dw, dh), (327, 327 * dh / dw)),
                                             390, tmp_path)[0]
    assert "shows a-phone.png" in picture_problems(seen("a-phone.png", (pw, ph), (pw, ph)),
                                                   1280, tmp_path)[0]
    assert "is shown" in picture_problems(seen("a-phone.png", (pw, ph), (pw, ph / 2)), 390,
                                          tmp_path)[0]
    small = picture_problems(seen("a-phone.png", (pw, ph), (pw / 2, ph / 2)), 390, tmp_path)
    assert "pt text is 7.6 px" in small[0]
    # a figure without a phone rendering: its desktop PNG, shrunk, is too small; at its
    # natural size it is not; exempt, it is let through
    single = seen("a.png", (531, 371), (327, 327 * 371 / 531), picture=False)
    assert "a.png: 11 pt text is 9.4 px" in picture_problems(single, 390, tmp_path)[0]
    assert picture_problems(seen("a.png", (327, 511), (327, 511), False), 390, tmp_path) == []
    assert picture_problems(single, 390, tmp_path, exempt={"a"}) == []
    assert picture_problems(single, 1280, tmp_path) == []


# -------------------------------------------------------------------- the built site
def test_the_chapters_have_more_figures_than_phone_renderings(built_book):
    """Some notebook outputs carry a phone rendering, and the built chapters have more figures
    than there are phone renderings. In Chromium, at 390 and at 1280 pixels, every output with
    a phone rendering is a ``<picture>`` on its page that shows the rendering for the screen,
    and at 390 pixels every figure's text is at least 11 pixels (picture_problems): that is
    checked on the loads of each chapter that tests/test_browser.py makes anyway
    (test_page_in_browser at 1280 px, test_page_fits_the_screen_and_its_math_is_whole at 390
    px; figure_problems there), no longer by two more loads of each chapter here."""
    expected = {doc: set(sphinx_phone.phone_images([BOOK_ROOT / f"{doc}.ipynb"]))
                for doc in PAGES if is_notebook_page(doc)}
    assert any(expected.values()), "no notebook output has a phone rendering"
    figures = sum(len(re.findall(r"<img\b", figure))
                  for doc in expected
                  for figure in re.findall(r"<figure\b.*?</figure>",
                                           (built_book / f"{doc}.html").read_text("utf-8"), re.S))
    assert figures > len(set().union(*expected.values())), "fewer figures than phone renderings"
