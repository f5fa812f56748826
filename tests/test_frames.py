"""gflow_lib.frames, the numbers behind the composite figures: against independent methods
(expm, sampling, brute-force loss), one test per kind of bad input, and the layer itself
(importing it loads no matplotlib)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gflow_lib.frames import FourViews, LossSurface, four_views, loss_surface


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
        ({"n": 10**8}, ValueError, r"n \* n must be at most 134,217,728 grid points; got"),
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
        gflow_lib.frames.loss_surface([[0.2, 0.4], [1.0, 1.0]], [0.1, 0.2], n=5)
    """)
    assert "numpy" in loaded
    assert not loaded & {"matplotlib", "ipywidgets", "IPython"}


def test_importing_gflow_lib_frames_loads_no_matplotlib():
    loaded = _loaded_after("import gflow_lib.frames")
    assert "matplotlib" not in loaded
