"""gflow_lib.frames, the numbers behind the explorer and the composite figures: against
independent methods (ODE solve, expm, Monte Carlo over starts, brute-force loss), the caller's
arrays left alone, the old keyword names, one test per kind of bad input, and the layer itself
(importing it loads no matplotlib)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gflow_lib.frames import (
    FlowFrames,
    FourViews,
    LossSurface,
    flow_frames,
    four_views,
    loss_surface,
    time_grid,
)

# tests/reference/README.md: phi(t) (slope, intercept) and the loss of the seed data.
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
    fr = flow_frames(X, y, np.zeros(2), t, x_new=np.array([0.0, 0.5, 1.0]), sigma_sq_p=2.0)
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
    noisy = flow_frames(X, y, phi0, t, sigma_sq=0.05, band_sd=1.5)
    np.testing.assert_allclose(noisy.band_half, 1.5 * np.sqrt(model.pred_var + 0.05))
    assert "noisy observation" in noisy.band_label and "model output" in model.band_label


def test_limit_and_overparameterized_data(ref):
    """One data point (D > I): the frames still build and the band never vanishes."""
    X = np.array([[0.5], [1.0]])
    y = np.array([0.2])
    phi0 = np.array([0.3, -0.1])
    fr = flow_frames(X, y, phi0, time_grid(6, t_max=50.0))
    np.testing.assert_allclose(fr.limit, ref.min_norm_limit(X, y, phi0), atol=1e-12)
    assert fr.band_half[-1].max() > 0.5


def test_the_landscape_of_the_frames_holds_the_path(seed, frames):
    X, y, _ = seed
    sl, ic, L = frames.surface
    assert L.shape == (161, 161)
    for p in (*frames.params, frames.limit):
        assert sl[0] < p[0] < sl[-1] and ic[0] < p[1] < ic[-1]
    assert sl[0] <= -1 and sl[-1] >= 1 and ic[0] <= -1 and ic[-1] >= 1
    i, j = 17, 101
    r = X.T @ np.array([sl[i], ic[j]]) - y
    assert L[i, j] == pytest.approx(0.5 * r @ r, rel=1e-12)
    own = flow_frames(X, y, frames.params[0], frames.t, extent=(-0.5, 0.0, 0.0, 0.5)).surface
    assert (own.intercepts[0], own.intercepts[-1], own.slopes[0], own.slopes[-1]) == (
        -0.5, 0.0, 0.0, 0.5)


def test_time_grid():
    t = time_grid(10, t_max=5.0, t_min=0.05)
    assert t.shape == (10,) and t[0] == 0 and np.isclose(t[1], 0.05) and np.isclose(t[-1], 5.0)
    np.testing.assert_allclose(np.diff(np.log(t[1:])), np.log(100) / 8)


def test_frame_index_and_nearest_time(frames):
    assert len(frames) == 12 and frames.index(-1) == 11
    assert frames.nearest(0.3) == int(np.argmin(np.abs(frames.t - 0.3)))
    assert repr(frames) == "FlowFrames(T=12, I=3, M=101)"


# ------------------------------------------------------- the caller's arrays are left alone
def test_frames_copy_their_inputs_and_never_touch_the_callers_arrays(seed):
    """Defect 6 of issue 8: FlowFrames set the caller's t and x_new read-only."""
    X, y, phi0 = (a.copy() for a in seed)
    t = time_grid(8)
    x_new = np.linspace(0.0, 1.0, 11)
    inputs = {"X": X, "y": y, "phi0": phi0, "t": t, "x_new": x_new}
    before = {k: a.copy() for k, a in inputs.items()}
    fr = FlowFrames(X, y, phi0, t, x_new=x_new)
    for name, a in inputs.items():
        assert a.flags.writeable, f"the caller's {name} was made read-only"
        np.testing.assert_array_equal(a, before[name])
    # The frames keep their own copies: changing the caller's arrays changes nothing.
    t[-1] = 99.0
    x_new[0] = -5.0
    assert fr.t[-1] == pytest.approx(20.0) and fr.x_new[0] == 0.0
    for name in ("t", "x", "y", "x_new", "params", "loss", "residuals", "fits", "pred_mean",
                 "pred_var", "band_half", "limit", "eigenvalues"):
        arr = getattr(fr, name)
        assert not arr.flags.writeable, f"frames.{name} is writeable"
        assert not np.shares_memory(arr, t) and not np.shares_memory(arr, x_new)
    for arr in fr.surface:
        assert not arr.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        fr.params[0, 0] = 1.0


# ------------------------------------------------------------------- the old keyword names
def test_old_keyword_names_still_work(seed):
    X, y, phi0 = seed
    t = [0.0, 0.5, 3.0]
    new = flow_frames(X, y, phi0, t, sigma_sq_p=1.5, sigma_sq=0.05)
    old = flow_frames(X, y, phi0, t, prior_var=1.5, noise_var=0.05)
    assert (old.sigma_sq_p, old.sigma_sq) == (1.5, 0.05)
    np.testing.assert_array_equal(old.band_half, new.band_half)
    positional = FlowFrames(X, y, phi0, t, None, 1.5, 0.05)  # the old positional order
    np.testing.assert_array_equal(positional.band_half, new.band_half)
    assert flow_frames(X, y, phi0, t).sigma_sq_p == 2.0  # the default
    assert flow_frames(X, y, phi0, t).sigma_sq is None


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"sigma_sq_p": 1.0, "prior_var": 1.0}, "give sigma_sq_p or its old name prior_var"),
        ({"sigma_sq": 0.1, "noise_var": 0.1}, "give sigma_sq or its old name noise_var"),
    ],
)
def test_new_and_old_name_together_is_an_error(seed, kwargs, words):
    X, y, phi0 = seed
    with pytest.raises(TypeError, match=words):
        flow_frames(X, y, phi0, [0.0, 1.0], **kwargs)


# ----------------------------------------------------------------------- loss_surface
def test_loss_surface_is_the_loss_on_its_grid(seed):
    X, y, _ = seed
    s = loss_surface(X, y, extent=(-0.6, 0.25, -0.15, 1.0), n=7)
    assert isinstance(s, LossSurface)
    np.testing.assert_allclose(s.intercepts, np.linspace(-0.6, 0.25, 7))
    np.testing.assert_allclose(s.slopes, np.linspace(-0.15, 1.0, 7))
    for i, sl in enumerate(s.slopes):
        for j, ic in enumerate(s.intercepts):
            r = X.T @ np.array([sl, ic]) - y
            assert s.loss[i, j] == pytest.approx(0.5 * r @ r, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        ({"extent": (0.0, 1.0, 0.0)}, TypeError, "extent must be four numbers"),
        ({"extent": (1.0, 0.0, 0.0, 1.0)}, ValueError, "intercept_min < intercept_max"),
        ({"extent": (0.0, 1.0, 0.0, np.inf)}, ValueError, "extent must be finite"),
        ({"n": 1}, ValueError, "n must be at least 2"),
    ],
)
def test_loss_surface_bad_input(seed, kwargs, exc, words):
    X, y, _ = seed
    with pytest.raises(exc, match=words):
        loss_surface(X, y, **kwargs)


# ------------------------------------------------------------------------- four_views
def test_four_views_against_expm_and_sampling(seed, ref):
    """Paths of the random starts, and the mean and covariance of the parameters at the band
    times, against expm: E(t) and c(t) with phi(t) = E phi0 + c."""
    X, y, phi0 = seed
    S = np.array([[0.04, 0.01], [0.01, 0.03]])
    v = four_views(X, y, phi0, prior_cov=S, n_samples=6, seed=1)
    assert isinstance(v, FourViews)
    starts = np.random.default_rng(1).multivariate_normal(phi0, S, size=6)
    np.testing.assert_array_equal(v.starts, starts)
    path_t = np.linspace(0.0, 20.0, 400)
    np.testing.assert_allclose(v.path, ref.expm_params(X, y, phi0, path_t), atol=1e-12)
    for k in (0, 37, 399):
        E, c = ref.expm_affine(X, y, path_t[k])
        np.testing.assert_allclose(v.start_paths[:, k], starts @ E.T + c, atol=1e-12)
    for k, tk in enumerate(v.band_times):
        E, c = ref.expm_affine(X, y, tk)
        np.testing.assert_allclose(v.param_mean[k], E @ phi0 + c, atol=1e-12)
        np.testing.assert_allclose(v.param_cov[k], E @ S @ E.T, atol=1e-12)
    X_new = np.vstack([v.x_new, np.ones_like(v.x_new)])
    np.testing.assert_allclose(v.pred_mean, v.param_mean @ X_new, atol=1e-12)
    want_var = np.einsum("dm,kde,em->km", X_new, v.param_cov, X_new)
    np.testing.assert_allclose(v.pred_var, want_var, atol=1e-12)
    assert v.surface.loss.shape == (161, 161)


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        ({"phi0": [1.0, 2.0, 3.0]}, ValueError, "phi0 must have length 2"),
        ({"prior_cov": -np.eye(2)}, ValueError, "positive semidefinite"),
        ({"band_times": [0.0, -1.0]}, ValueError, "band_times must be non-negative"),
        ({"times": []}, ValueError, "at least one time"),
        ({"n_samples": 2.5}, TypeError, "n_samples must be a non-negative integer"),
    ],
)
def test_four_views_bad_input(seed, kwargs, exc, words):
    X, y, phi0 = seed
    kwargs = {"phi0": phi0, **kwargs}
    with pytest.raises(exc, match=words):
        four_views(X, y, **kwargs)


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
        ({"sigma_sq_p": -1.0}, ValueError, "sigma_sq_p must be a finite positive number; got -1.0"),
        ({"prior_var": -1.0}, ValueError, "prior_var must be a finite positive number; got -1.0"),
        ({"sigma_sq_p": "2"}, TypeError, "sigma_sq_p must be a positive real number"),
        ({"sigma_sq": 0.0}, ValueError, "sigma_sq must be a finite positive number; got 0.0"),
        ({"noise_var": 0.0}, ValueError, "noise_var must be a finite positive number; got 0.0"),
        ({"band_sd": np.nan}, ValueError, "band_sd must be a finite positive number"),
        ({"extent": (1.0, 0.0, 0.0, 1.0)}, ValueError, "intercept_min < intercept_max"),
    ],
)
def test_bad_distribution_settings(seed, kwargs, exc, words):
    X, y, phi0 = seed
    with pytest.raises(exc, match=re.escape(words)):
        flow_frames(X, y, phi0, [0.0, 1.0], **kwargs)


def test_bad_frame_index_and_grid_settings(frames):
    with pytest.raises(IndexError, match=r"frame index k must be in \[-12, 11\]; got 12"):
        frames.index(12)
    with pytest.raises(TypeError, match="frame index k must be an integer; got float"):
        frames.index(1.0)
    with pytest.raises(ValueError, match="t must be a single time"):
        frames.nearest([1.0, 2.0])
    with pytest.raises(ValueError, match="n must be at least 3"):
        time_grid(2)
    with pytest.raises(ValueError, match="t_min must be smaller than t_max"):
        time_grid(5, t_max=0.1, t_min=1.0)


# -------------------------------------------------------------------------- the layer
def _loaded_after(code: str) -> set[str]:
    """Top-level packages in sys.modules after running ``code`` in a fresh interpreter."""
    script = textwrap.dedent(code) + "\nimport sys\nprint(' '.join(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    return {name.split(".")[0] for name in out.split()}


def test_the_frames_layer_imports_no_matplotlib():
    """frames.py's own imports, with the package's __init__ bypassed (its re-exports are the
    lead's, and a package that imported plotting eagerly would hide nothing here)."""
    loaded = _loaded_after("""
        import importlib.util, pathlib, sys, types
        spec = importlib.util.find_spec("gflow_lib")
        pkg = types.ModuleType("gflow_lib")
        pkg.__path__ = [str(pathlib.Path(spec.origin).parent)]
        sys.modules["gflow_lib"] = pkg
        import gflow_lib.frames
        gflow_lib.frames.flow_frames([[0.2, 0.4], [1.0, 1.0]], [0.1, 0.2], [0.0, 0.0])
    """)
    assert "numpy" in loaded
    assert not loaded & {"matplotlib", "ipywidgets", "IPython"}


def test_importing_gflow_lib_frames_loads_no_matplotlib():
    loaded = _loaded_after("import gflow_lib.frames")
    assert "matplotlib" not in loaded
