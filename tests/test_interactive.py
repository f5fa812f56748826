"""The explorer (gflow_lib.interactive, gflow_lib.plotting.explorer): frames against independent
methods (ODE solve, Monte Carlo over starts), updates that only mutate existing artists, the
JavaScript animation, the widget's slider, and one test per kind of bad input."""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from gflow_lib.interactive import (  # noqa: E402
    FlowFrames,
    animation_html,
    flow_animation,
    flow_frames,
    flow_widget,
    time_grid,
)
from gflow_lib.plotting.explorer import FlowExplorer  # noqa: E402

# NOTES.md: phi(t) (slope, intercept) and the loss of the seed data.
NOTES_T = np.array([0.0, 0.1, 0.3, 2.0, 19.99])
NOTES_PHI = np.array(
    [[-0.05, -0.4], [0.024841, -0.265046], [0.117768, -0.109822], [0.289343, -0.010358],
     [0.603152, -0.164261]]
)
NOTES_LOSS = np.array([0.4843, 0.243477, 0.072522, 0.014987, 0.004420])


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


# ------------------------------------------------------------------- frames vs independent
def test_frames_match_notes_reference_numbers(seed):
    X, y, phi0 = seed
    fr = flow_frames(X, y, phi0, NOTES_T)
    np.testing.assert_allclose(fr.params, NOTES_PHI, atol=1e-6)
    np.testing.assert_allclose(fr.loss, NOTES_LOSS, atol=1e-6)


def test_frames_match_an_ode_solve(seed, ref, frames):
    X, y, phi0 = seed
    want = ref.ode_params(X, y, phi0, frames.t)
    np.testing.assert_allclose(frames.params, want, atol=1e-9)
    r = want @ X - y
    np.testing.assert_allclose(frames.residuals, r, atol=1e-9)
    np.testing.assert_allclose(frames.loss, 0.5 * np.sum(r**2, axis=1), atol=1e-9)
    np.testing.assert_allclose(frames.fits, want[:, :1] * frames.x_new + want[:, 1:], atol=1e-9)


def test_band_matches_monte_carlo_over_starts(seed, ref):
    """Mean and model-output band of predictions over phi0 ~ N(0, 2 I), by sampling starts and
    solving the flow for each with expm (50 000 samples: a few standard errors)."""
    X, y, _ = seed
    t = np.array([0.0, 0.4, 2.0])
    fr = flow_frames(X, y, np.zeros(2), t, x_new=np.array([0.0, 0.5, 1.0]), prior_var=2.0)
    rng = np.random.default_rng(3)
    starts = rng.normal(scale=np.sqrt(2.0), size=(50_000, 2))
    X_new = np.vstack([fr.x_new, np.ones(3)])
    for k, tk in enumerate(t):
        E, c = ref.expm_affine(X, y, tk)
        preds = (starts @ E.T + c) @ X_new  # (N, 3)
        se = preds.std(axis=0) / np.sqrt(len(starts)) + 1e-12
        assert np.all(np.abs(preds.mean(axis=0) - fr.pred_mean[k]) < 5 * se)
        np.testing.assert_allclose(fr.band_half[k], 2.0 * preds.std(axis=0), rtol=0.02, atol=1e-9)


def test_noisy_band_adds_the_variance_not_the_standard_deviation(seed):
    X, y, phi0 = seed
    t = np.array([0.0, 1.0, 20.0])
    model = flow_frames(X, y, phi0, t)
    noisy = flow_frames(X, y, phi0, t, noise_var=0.05, band_sd=1.5)
    np.testing.assert_allclose(noisy.band_half, 1.5 * np.sqrt(model.pred_var + 0.05))
    assert "noisy observation" in noisy.band_label and "model output" in model.band_label


def test_limit_and_overparameterized_data(ref):
    """One data point (D > I): the explorer still runs and the band never vanishes."""
    X = np.array([[0.5], [1.0]])
    y = np.array([0.2])
    phi0 = np.array([0.3, -0.1])
    fr = flow_frames(X, y, phi0, time_grid(6, t_max=50.0))
    np.testing.assert_allclose(fr.limit, ref.min_norm_limit(X, y, phi0), atol=1e-12)
    assert fr.band_half[-1].max() > 0.5
    ex = FlowExplorer(fr)
    ex.update(-1)
    plt.close(ex.fig)


def test_time_grid():
    t = time_grid(10, t_max=5.0, t_min=0.05)
    assert t.shape == (10,) and t[0] == 0 and np.isclose(t[1], 0.05) and np.isclose(t[-1], 5.0)
    np.testing.assert_allclose(np.diff(np.log(t[1:])), np.log(100) / 8)


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
@pytest.mark.parametrize(
    "t, exc, words",
    [
        ([0.0, -1.0, 2.0], ValueError, ["t must be non-negative", "-1.0"]),
        ([0.0, 2.0, 1.0], ValueError, ["strictly increasing", "t[1] = 2.0"]),
        ([0.0, 1.0, 1.0], ValueError, ["strictly increasing"]),
        (1.0, ValueError, ["at least 2 times", "scalar"]),
        ([0.5], ValueError, ["at least 2 times", "1 time"]),
        ([[0.0, 1.0]], ValueError, ["t must be a scalar or a 1-D array"]),
        ([0.0, np.inf], ValueError, ["t must be finite"]),
        ("soon", TypeError, ["t must be a real numeric array"]),
    ],
)
def test_bad_time_grid(seed, t, exc, words):
    X, y, phi0 = seed
    with pytest.raises(exc) as info:
        flow_frames(X, y, phi0, t)
    for w in words:
        assert w in str(info.value)


def test_bad_data_shapes(seed):
    X, y, phi0 = seed
    t = [0.0, 1.0]
    with pytest.raises(ValueError, match=r"X must have 2 rows.*got shape \(3, 2\).*transposed"):
        flow_frames(X.T, y, phi0, t)
    with pytest.raises(ValueError, match=r"X must have 2 rows.*got shape \(3, 3\)"):
        flow_frames(np.vstack([X, np.ones(3)]), y, [0.0, 0.0, 0.0], t)
    with pytest.raises(ValueError, match="second row must be all ones"):
        flow_frames(np.vstack([X[0], 2 * X[1]]), y, phi0, t)
    with pytest.raises(ValueError, match="y must have length 3"):
        flow_frames(X, y[:2], phi0, t)
    with pytest.raises(ValueError, match="phi0 must have length 2"):
        flow_frames(X, y, [0.1, 0.2, 0.3], t)
    with pytest.raises(ValueError, match="X must contain only finite"):
        flow_frames(np.vstack([[0.2, np.nan, 0.8], np.ones(3)]), y, phi0, t)
    with pytest.raises(ValueError, match="x_new must be a 1-D array"):
        flow_frames(X, y, phi0, t, x_new=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="x_new must hold at least 2"):
        flow_frames(X, y, phi0, t, x_new=[0.5])


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        ({"prior_var": -1.0}, ValueError, "prior_var must be a finite positive number; got -1.0"),
        ({"prior_var": "2"}, TypeError, "prior_var must be a positive real number"),
        ({"noise_var": 0.0}, ValueError, "noise_var must be a finite positive number; got 0.0"),
        ({"band_sd": np.nan}, ValueError, "band_sd must be a finite positive number"),
    ],
)
def test_bad_distribution_settings(seed, kwargs, exc, words):
    X, y, phi0 = seed
    with pytest.raises(exc, match=re.escape(words)):
        flow_frames(X, y, phi0, [0.0, 1.0], **kwargs)


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
    with pytest.raises(ValueError, match="n must be at least 3"):
        time_grid(2)
    with pytest.raises(ValueError, match="t_min must be smaller than t_max"):
        time_grid(5, t_max=0.1, t_min=1.0)
    with pytest.raises(ValueError, match="t must be a single time"):
        frames.nearest([1.0, 2.0])
    assert frames.nearest(0.3) == int(np.argmin(np.abs(frames.t - 0.3)))
    assert isinstance(frames, FlowFrames) and len(frames) == 12
    with pytest.raises(ValueError, match="read-only"):
        frames.params[0, 0] = 1.0
