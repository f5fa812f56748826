"""The explorer's figure (gflow_lib.plotting.explorer) and its front ends (gflow_lib.interactive):
updates that only mutate existing artists and show the library's numbers, a figure that draws
its frames and computes nothing, the JavaScript animation, the widget's slider, one test per
kind of bad input, and the layer (importing the front ends loads no matplotlib). The frames'
numbers are tested in test_frames.py."""

from __future__ import annotations

import re
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import gflow_lib.frames  # noqa: E402
import gflow_lib.interactive  # noqa: E402
from gflow_lib.frames import flow_frames, time_grid  # noqa: E402
from gflow_lib.interactive import animation_html, flow_animation, flow_widget  # noqa: E402
from gflow_lib.plotting.explorer import FlowExplorer  # noqa: E402


@pytest.fixture
def frames(seed):
    X, y, phi0 = seed
    return flow_frames(X, y, phi0, time_grid(12, t_max=20.0))


@pytest.fixture
def explorer(frames):
    ex = FlowExplorer(frames)
    yield ex
    plt.close(ex.fig)


def _snapshot(ex):
    """Copies of the data every moving artist holds."""
    a = ex.artists
    return {
        "path": np.array(a["path"].get_xydata()),
        "point": np.array(a["point"].get_offsets()),
        "line": np.array(a["line"].get_xydata()),
        "gaps": [np.array(s) for s in a["gaps"].get_segments()],
        "marker": np.array(a["marker"].get_xdata(), float),
        "dots": np.array(a["dots"].get_offsets()),
        "band": np.array(a["band"].get_paths()[0].vertices),
        "mean": np.array(a["mean"].get_xydata()),
        "title": a["title"].get_text(),
    }


def _changed(a, b):
    if isinstance(a, str):
        return a != b
    if isinstance(a, list):
        return len(a) != len(b) or any(
            x.shape != y.shape or not np.allclose(x, y) for x, y in zip(a, b, strict=True)
        )
    return a.shape != b.shape or not np.allclose(a, b)


# ---------------------------------------------------------------- update mutates artists
def test_update_mutates_the_same_artists(explorer):
    fig = explorer.fig
    ids = {k: id(a) for k, a in explorer.artists.items()}
    children = [id(c) for ax in fig.axes for c in ax.get_children()]
    before = _snapshot(explorer)
    out = explorer.update(7)
    after = _snapshot(explorer)
    assert {k: id(a) for k, a in explorer.artists.items()} == ids
    assert [id(c) for ax in fig.axes for c in ax.get_children()] == children
    assert {id(a) for a in out} == set(ids.values())
    for name in before:
        assert _changed(before[name], after[name]), f"{name} did not change"
    assert explorer.k == 7


def test_first_and_last_frames_show_the_library_numbers(seed, ref, explorer):
    X, y, phi0 = seed
    fr = explorer.frames
    for k in (0, len(fr) - 1):
        explorer.update(k)
        phi = ref.ode_params(X, y, phi0, [0.0, fr.t[k]])[-1] if k else phi0
        a = explorer.artists
        np.testing.assert_allclose(a["point"].get_offsets()[0], phi[::-1], atol=1e-9)
        np.testing.assert_allclose(a["path"].get_xydata()[-1], phi[::-1], atol=1e-9)
        assert len(a["path"].get_xydata()) == k + 1
        np.testing.assert_allclose(a["line"].get_ydata(), phi[0] * fr.x_new + phi[1], atol=1e-9)
        tops = np.array([s[1, 1] for s in a["gaps"].get_segments()])
        np.testing.assert_allclose(tops, phi @ X, atol=1e-9)
        np.testing.assert_allclose(a["marker"].get_xdata(), [fr.t[k]] * 2)
        np.testing.assert_allclose(a["dots"].get_offsets()[:, 1], phi @ X - y, atol=1e-9)
        loss = 0.5 * np.sum((phi @ X - y) ** 2)
        assert f"{fr.t[k]:7.3f}" in a["title"].get_text()
        assert f"{loss:.6f}" in a["title"].get_text()
        verts = a["band"].get_paths()[0].vertices
        m, h = fr.pred_mean[k], fr.band_half[k]
        assert np.isclose(verts[:, 1].max(), (m + h).max())
        assert np.isclose(verts[:, 1].min(), (m - h).min())
    assert np.isclose(fr.loss[0], 0.4843, atol=1e-6)


def test_frozen_background_renders_like_a_full_draw(frames):
    """freeze_static paints the static parts once; frames must look the same as full draws."""
    import io

    import matplotlib.image as mimg

    def render(ex, k):
        ex.update(k)
        buf = io.BytesIO()
        ex.fig.savefig(buf, format="png", dpi=60)
        buf.seek(0)
        return mimg.imread(buf)

    full, frozen = FlowExplorer(frames), FlowExplorer(frames).freeze_static(60)
    for k in (0, 6, 11):
        a, b = render(full, k), render(frozen, k)
        assert a.shape == b.shape
        assert np.mean(np.abs(a - b).max(axis=2) > 0.1) < 1e-3
    with pytest.raises(RuntimeError, match="already"):
        frozen.freeze_static(60)


def test_png_repr_shows_the_current_frame(explorer):
    first = explorer._repr_png_()
    assert first.startswith(b"\x89PNG")
    explorer.update(-1)
    assert explorer._repr_png_() != first


def test_the_landscape_panel_draws_the_frames_surface(frames):
    ex = FlowExplorer(frames)
    filled = ex.axes["landscape"].collections[0]
    sl, ic, L = frames.surface
    assert filled.levels[0] == pytest.approx(L.min()) and filled.levels[-1] == pytest.approx(
        L.max())
    assert ex.axes["landscape"].get_xlim() == (ic[0], ic[-1])
    assert ex.axes["landscape"].get_ylim() == (sl[-1], sl[0])
    assert f"N(0,{frames.sigma_sq_p:g}I)" in ex.axes["predictions"].get_title()
    plt.close(ex.fig)


def test_the_explorer_computes_nothing(frames, monkeypatch):
    """Every number comes from the frames: with the core's constructors and decompositions
    disabled, the explorer still draws, moves and renders."""
    import gflow_lib.bayes
    import gflow_lib.flow
    import gflow_lib.landscape
    import gflow_lib.spectrum

    def forbidden(*args, **kwargs):
        raise AssertionError("the explorer computed instead of drawing its frames")

    monkeypatch.setattr(gflow_lib.spectrum.Spectrum, "__init__", forbidden)
    monkeypatch.setattr(gflow_lib.flow.LinearFlow, "__init__", forbidden)
    for module, name in [(gflow_lib.landscape, "loss_grid"), (gflow_lib.frames, "loss_grid"),
                         (gflow_lib.bayes, "prediction_distribution"),
                         (gflow_lib.frames, "prediction_distribution"),
                         (np.linalg, "eigh"), (np.linalg, "svd"), (np.linalg, "lstsq")]:
        monkeypatch.setattr(module, name, forbidden)
    ex = FlowExplorer(frames)
    ex.update(5)
    assert ex._repr_png_().startswith(b"\x89PNG")
    plt.close(ex.fig)


def test_one_data_point_explorer():
    """One data point (D > I): the explorer runs to the last frame."""
    fr = flow_frames(np.array([[0.5], [1.0]]), [0.2], [0.3, -0.1], time_grid(6, t_max=50.0))
    ex = FlowExplorer(fr)
    ex.update(-1)
    assert ex.k == 5
    plt.close(ex.fig)


# --------------------------------------------------------------- animation and widget
def test_animation_has_one_frame_per_time(frames):
    anim = flow_animation(frames)
    assert len(list(anim.new_frame_seq())) == len(frames)
    anim._init_draw()  # draws the first frame
    assert anim.explorer.k == 0
    anim._func(5)
    assert anim.explorer.k == 5
    plt.close(anim.explorer.fig)


def test_jshtml_has_a_range_slider_and_every_frame(frames):
    html = animation_html(frames, dpi=40)
    assert re.search(r'<input[^>]*type="range"', html)
    assert html.count("data:image/jpeg;base64") == len(frames)
    assert len(html) < 1_000_000


def test_widget_slider_drives_the_figure(frames):
    box = flow_widget(frames)
    slider = box.children[0]
    ex = box.explorer
    assert [v for _, v in slider.options] == list(range(len(frames)))
    assert slider.options[-1][0] == f"{frames.t[-1]:.3g}"
    before = _snapshot(ex)
    ids = {k: id(a) for k, a in ex.artists.items()}
    slider.value = 9
    assert ex.k == 9
    after = _snapshot(ex)
    assert {k: id(a) for k, a in ex.artists.items()} == ids
    np.testing.assert_allclose(after["point"][0], frames.params[9, ::-1])
    for name in before:
        assert _changed(before[name], after[name]), f"{name} did not change"


# ----------------------------------------------------------------------- bad input
def test_bad_frame_index_and_front_end_arguments(frames, explorer):
    with pytest.raises(IndexError, match=r"frame index k must be in \[-12, 11\]; got 12"):
        explorer.update(12)
    with pytest.raises(TypeError, match="frame index k must be an integer; got float"):
        explorer.update(1.0)
    with pytest.raises(TypeError, match="frames must be a FlowFrames.*got ndarray"):
        FlowExplorer(np.zeros(3))
    with pytest.raises(TypeError, match="expected a FlowFrames.*got an array"):
        flow_widget(np.zeros(3))
    with pytest.raises(ValueError, match="quality must be between 1 and 95; got 0"):
        animation_html(frames, quality=0)
    with pytest.raises(ValueError, match="dpi must be at least 20; got 5"):
        animation_html(frames, dpi=5)
    with pytest.raises(ValueError, match="fig must be an empty figure"):
        FlowExplorer(frames, fig=explorer.fig)
    with pytest.raises(TypeError, match="extent"):
        FlowExplorer(frames, extent=(-1.0, 1.0, -1.0, 1.0))  # the window is the frames' now


# -------------------------------------------------------------------------- the layer
def test_the_front_ends_import_no_matplotlib_until_called():
    code = (
        "import sys, gflow_lib.interactive\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert not set(out) & {"matplotlib", "ipywidgets", "IPython"}


def test_the_frames_names_are_still_importable_from_interactive():
    for name in ("FlowFrames", "flow_frames", "time_grid"):
        assert getattr(gflow_lib.interactive, name) is getattr(gflow_lib.frames, name)
    assert set(gflow_lib.interactive.__all__) == {"animation_html", "flow_animation",
                                                   "flow_widget"}
