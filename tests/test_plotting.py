"""gflow_lib.plotting (Agg backend): every figure draws the numbers it is given, its axis limits
hold what it draws, one test per kind of bad input, and the layer's rule: figures take results
(a LinearFlow through its public methods, a loss surface, arrays) and compute nothing."""

from __future__ import annotations

import ast
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex, to_rgba  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402

import gflow_lib.plotting as gp  # noqa: E402
from gflow_lib import LinearFlow, gradient_descent, gram_eigen, map_params, ml_params  # noqa: E402
from gflow_lib.frames import four_views, loss_surface  # noqa: E402
from gflow_lib.landscape import loss_grid  # noqa: E402
from gflow_lib.plotting import (  # noqa: E402
    COLORS,
    plot_data,
    plot_descent_vs_flow,
    plot_distance_over_time,
    plot_eigen_directions,
    plot_filters,
    plot_fits,
    plot_four_views,
    plot_landscape,
    plot_loss,
    plot_loss_modes,
    plot_ml_map,
    plot_outputs,
    plot_params,
    plot_path,
    plot_paths_vs_ridge,
    plot_prediction_band,
    plot_prediction_grid,
    plot_residuals,
    plot_risk_ratio,
    plot_spread_over_time,
    time_colors,
)
from gflow_lib.plotting.style import MARKERS, OKABE_ITO, point_colors, point_markers  # noqa: E402
from gflow_lib.regularization import AKT_CONSTANT, flow_risk, ridge_risk  # noqa: E402

X = np.vstack([[0.2, 0.4, 0.8], np.ones(3)])
Y = np.array([-0.1, 0.15, 0.3])
PHI0 = np.array([-0.05, -0.4])
PHI_ML = np.array([0.625, -0.175])  # tests/reference/README.md
T = np.linspace(0.0, 20.0, 200, endpoint=False)
PLOTTING = Path(gp.__file__).parent


@pytest.fixture
def flow():
    return LinearFlow(X, Y, PHI0)


@pytest.fixture(scope="module")
def surface():
    return loss_surface(X, Y, n=41)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _inside(ax, xs, ys):
    x0, x1 = sorted(ax.get_xlim())
    y0, y1 = sorted(ax.get_ylim())
    xs, ys = np.asarray(xs), np.asarray(ys)
    return np.all((xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1))


def _modes(flow, t):
    """Excess loss per eigen-direction, computed the way the chapter does."""
    lam, vecs = gram_eigen(flow.X, outer=True)
    c = (flow.params(t) - flow.limit()) @ vecs
    return 0.5 * lam * c**2, lam


# ---------------------------------------------------------------- plotting computes nothing
COMPUTING = {"LinearFlow", "Spectrum", "gram_eigen", "eigen_coordinates", "loss_grid",
             "loss_surface", "prediction_distribution", "ensemble_params", "four_views",
             "KernelFlow", "gradient_descent", "ml_params", "ridge_params",
             "map_params", "einsum"}


def _calls(path):
    """Names of the functions a module calls, and whether it touches ``linalg``."""
    tree = ast.parse(path.read_text())
    called, linalg = set(), False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            called.add(f.id if isinstance(f, ast.Name) else getattr(f, "attr", ""))
        if isinstance(node, ast.Attribute) and node.attr == "linalg":
            linalg = True
        if isinstance(node, ast.ImportFrom) and node.module and "linalg" in node.module:
            linalg = True
    return called, linalg


@pytest.mark.parametrize("path", sorted(PLOTTING.glob("*.py")), ids=lambda p: p.name)
def test_plotting_calls_no_flow_constructor_or_decomposition(path):
    called, linalg = _calls(path)
    assert not called & COMPUTING, f"{path.name} computes: {sorted(called & COMPUTING)}"
    assert not linalg, f"{path.name} uses numpy.linalg"


def test_figures_draw_results_with_the_core_switched_off(flow, surface, monkeypatch):
    """Given results, every figure draws with the core's constructors and decompositions
    disabled: a flow's public methods reuse its own decomposition."""
    import gflow_lib.bayes
    import gflow_lib.flow
    import gflow_lib.landscape
    import gflow_lib.spectrum

    lam, vecs = gram_eigen(X, outer=True)
    views = four_views(X, Y, PHI0, n_samples=5)
    iterates = gradient_descent(X, Y, PHI0, 0.4, 15)
    mode_loss, _ = _modes(flow, T)
    x = np.linspace(0.0, 1.0, 5)

    def forbidden(*args, **kwargs):
        raise AssertionError("a figure computed instead of drawing its results")

    monkeypatch.setattr(gflow_lib.spectrum.Spectrum, "__init__", forbidden)
    monkeypatch.setattr(gflow_lib.flow.LinearFlow, "__init__", forbidden)
    for module, name in [(gflow_lib.landscape, "loss_grid"),
                         (gflow_lib.bayes, "prediction_distribution"),
                         (gflow_lib.bayes, "ensemble_params"), (gflow_lib.spectrum, "gram_eigen"),
                         (np.linalg, "eigh"), (np.linalg, "svd"), (np.linalg, "lstsq")]:
        monkeypatch.setattr(module, name, forbidden)
    plot_data(X, Y)
    plot_fits(flow, [0.0, 2.0], residuals=True, limit=True)
    for figure in (plot_outputs, plot_residuals, plot_loss, plot_params):
        figure(flow, T)
    plot_loss_modes(T, mode_loss, lam)
    plot_four_views(views)
    ax = plot_landscape(surface, colorbar=True)
    plot_path(flow.params(T), ax)
    plot_eigen_directions(lam, vecs, flow.limit(), ax, away=PHI0)
    plot_descent_vs_flow(surface, flow, iterates, 0.4)
    plot_ml_map(surface, X, Y, PHI_ML, PHI_ML * 0.9)
    plot_paths_vs_ridge(surface, iterates, [(iterates, "flow")], marks=[(PHI_ML, "ML", "ml")])
    plot_prediction_grid(x, np.zeros((2, 5)), np.ones((2, 5)), ["a", "b"], sigma_sq=0.1)


# ------------------------------------------------------------------------------- data
def test_plot_data_shows_every_point_in_the_notebook_window():
    ax = plot_data(X, Y)
    offsets = np.vstack([c.get_offsets() for c in ax.collections])
    np.testing.assert_allclose(offsets, np.column_stack([X[0], Y]))
    assert ax.get_xlim() == (0.0, 1.0) and ax.get_ylim() == (-0.5, 0.5)
    assert _inside(ax, X[0], Y)
    assert len(ax.texts) == 3  # one label per point
    assert "x" in ax.get_xlabel() and "y" in ax.get_ylabel()


def test_each_point_has_its_own_colour_and_marker_from_a_colour_blind_safe_palette():
    """Okabe-Ito colours, and a marker per point, so colour is never the only cue; the
    points keep them in every figure that draws data."""
    assert set(COLORS["points"]) <= set(OKABE_ITO.values())
    assert len(set(COLORS["points"])) == len(set(MARKERS)) == 3
    ax = plot_data(X, Y)
    colors = [tuple(c.get_facecolor()[0][:3]) for c in ax.collections]
    shapes = [c.get_paths()[0].vertices.shape for c in ax.collections]
    assert len(set(colors)) == 3 and len(set(shapes)) == 3
    band = plot_prediction_band(X[0], Y, 0 * Y, data=(X[0], Y))
    drawn = [(ln.get_marker(), ln.get_color()) for ln in band.get_lines()[1:]]
    assert drawn == list(zip(point_markers(3), point_colors(3), strict=True))


def test_plot_data_widens_to_hold_outlying_points():
    ax = plot_data(np.vstack([[-0.5, 2.0], np.ones(2)]), [3.0, -1.0], annotate=False)
    assert _inside(ax, [-0.5, 2.0], [3.0, -1.0])
    assert not ax.texts


def test_plot_data_uses_the_given_axes():
    _, ax = plt.subplots()
    assert plot_data(X, Y, ax=ax) is ax


# ----------------------------------------------------------------------- fitted lines
def _luminance(rgba):
    return np.asarray(rgba)[..., :3] @ np.array([0.2126, 0.7152, 0.0722])


def test_time_colors_run_dark_early_to_light_late():
    lum = _luminance(time_colors(6))
    assert np.all(np.diff(lum) > 0)
    with pytest.raises(ValueError, match="0 <= lo < hi <= 1"):
        time_colors(3, lo=0.8, hi=0.2)


def test_plot_fits_one_line_per_time(flow):
    times = [0.0, 0.1, 0.3, 2.0, 20.0]
    ax = plot_fits(flow, times)
    lines = ax.get_lines()[:5]  # then the zero line of the data panel
    assert len(ax.get_lines()) == 6
    # at x = 0 each line sits at its intercept
    P = flow.params(np.array(times))
    np.testing.assert_allclose([ln.get_ydata()[0] for ln in lines], P[:, 1])
    assert len(ax.get_legend().get_texts()) == 5
    assert _inside(ax, X[0], Y)
    assert np.all(np.diff(_luminance([ln.get_color() for ln in lines])) > 0)  # dark early


def test_fitted_lines_pass_through_the_flow_and_its_limit(flow):
    ax = plot_fits(flow, [0.0, 0.3, 2.0], limit=True)
    lines = [ln for ln in ax.lines if ln.get_label().startswith("$t = ")]
    assert len(lines) == 3
    # tests/reference/README.md: phi0, phi(0.3) and phi(2) as (slope, intercept)
    want = [(-0.05, -0.4), (0.117768, -0.109822), (0.289343, -0.010358)]
    for line, (s, c) in zip(lines, want, strict=True):
        xs, f = line.get_data()
        assert np.allclose(f, s * xs + c, atol=1e-6)
    (limit,) = [ln for ln in ax.lines if "infty" in ln.get_label()]
    xs, f = limit.get_data()
    np.testing.assert_allclose(f, PHI_ML[0] * xs + PHI_ML[1], atol=1e-12)


def test_plot_fits_residual_segments(flow):
    ax = plot_fits(flow, [0.0], residuals=True)
    segs = [c for c in ax.collections if hasattr(c, "get_segments")]
    assert len(segs) == 1 and len(segs[0].get_segments()) == 3
    f0 = X.T @ PHI0
    for seg, fi, yi in zip(segs[0].get_segments(), f0, Y, strict=True):
        np.testing.assert_allclose(sorted(seg[:, 1]), sorted([fi, yi]))
    assert _inside(ax, X[0], f0)


# ------------------------------------------------------------------- the flow over time
def test_plot_outputs_lines_and_targets(flow):
    ax = plot_outputs(flow, T)
    lines = ax.get_lines()
    assert len(lines) == 6  # three outputs, three targets
    F = flow.outputs(T)
    for i in range(3):
        np.testing.assert_allclose(lines[i].get_ydata(), F[:, i])
        assert np.all(lines[3 + i].get_ydata() == Y[i])
    assert _inside(ax, np.repeat(T, 3), F.ravel()) and _inside(ax, [T[0]] * 3, Y)
    assert ax.get_xlim() == (0.0, T[-1])


def test_plot_residuals_start_at_the_initial_residuals(flow):
    ax = plot_residuals(flow, T)
    lines = ax.get_lines()
    assert len(lines) == 4
    np.testing.assert_allclose([ln.get_ydata()[0] for ln in lines[:3]], X.T @ PHI0 - Y)
    y0, y1 = ax.get_ylim()
    assert y0 <= float((X.T @ PHI0 - Y).min()) and y1 >= 0.0


def test_plot_loss_shows_the_whole_initial_loss(flow):
    ax = plot_loss(flow, T)
    curve = ax.get_lines()[0]
    assert curve.get_ydata()[0] == pytest.approx(0.4843, abs=5e-5)  # tests/reference/README.md
    y0, y1 = ax.get_ylim()
    assert y0 == 0.0 and y1 >= 0.4843  # no clipping (the notebook clipped at 0.25)
    assert ax.get_lines()[1].get_ydata()[0] == pytest.approx(0.004375, abs=5e-7)


def test_plot_loss_modes_slopes_are_minus_two_lambda(flow):
    mode_loss, lam = _modes(flow, T)
    ax = plot_loss_modes(T, mode_loss, lam)
    assert ax.get_yscale() == "log"
    lines = ax.get_lines()
    assert len(lines) == 3  # total and two modes
    total = lines[0].get_ydata()
    np.testing.assert_allclose(total, flow.loss(T) - flow.loss_limit(), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(lines[1].get_ydata() + lines[2].get_ydata(), total, rtol=1e-9)
    for line, lam_k in zip(lines[1:], (0.151837, 3.688163), strict=True):
        t, v = line.get_xdata(), line.get_ydata()
        slope = (np.log(v[10]) - np.log(v[0])) / (t[10] - t[0])
        assert slope == pytest.approx(-2 * lam_k, rel=1e-5)
    assert ax.get_ylim()[1] >= total.max()


def test_plot_loss_modes_skips_zero_modes():
    one = LinearFlow(np.array([[0.5], [1.0]]), [0.2], [0.3, -0.1])  # D > I: one zero mode
    mode_loss, lam = _modes(one, T)
    assert lam[0] == 0
    ax = plot_loss_modes(T, mode_loss, lam)
    assert len(ax.get_lines()) == 2


def test_plot_params_lines_and_limits(flow):
    ax = plot_params(flow, T)
    lines = ax.get_lines()
    assert len(lines) == 4
    np.testing.assert_allclose(lines[0].get_ydata()[0], PHI0[0])
    np.testing.assert_allclose(lines[1].get_ydata()[0], PHI0[1])
    np.testing.assert_allclose([lines[2].get_ydata()[0], lines[3].get_ydata()[0]],
                               PHI_ML, atol=1e-12)
    assert lines[0].get_color() == COLORS["slope"]
    lo, hi = ax.get_ylim()
    assert lo <= -0.4 and hi >= 0.625


# ------------------------------------------------------------------- the four viewpoints
def test_plot_four_views_layout():
    fig = plot_four_views(four_views(X, Y, PHI0, n_samples=10, band_times=(0.0, 0.4, 2.0)))
    axes = fig.axes
    assert len(axes) == 4
    assert axes[0].get_title() == "parameter space" and axes[1].get_title() == "function space"
    ellipses = [p for p in axes[2].patches if isinstance(p, Ellipse)]
    assert len(ellipses) == 3
    # the ellipses shrink as the flow forgets the start
    sizes = [e.width * e.height for e in ellipses]
    assert sizes[0] > sizes[1] > sizes[2]
    # ten sample paths plus their start markers plus three means
    assert len(axes[2].get_lines()) == 10 + 1 + 3
    # the Bayesian function-space panel: one band and one mean line per time
    assert len(axes[3].collections) >= 3 and len(axes[3].get_lines()) >= 3
    for ax in axes[2:]:
        assert ax.get_legend() is not None
    for ax in (axes[0], axes[2]):  # slopes increase upward, unlike the blog's figure
        lo, hi = ax.get_ylim()
        assert lo < hi


def test_ellipses_are_one_standard_deviation_of_the_parameters():
    """Each ellipse's axes and angle against numpy's eigendecomposition of the covariance;
    the plot puts the intercept horizontal."""
    S = np.array([[0.05, 0.02], [0.02, 0.03]])
    views = four_views(X, Y, PHI0, prior_cov=S, n_samples=3, band_times=(0.0, 0.3, 1.0))
    ellipses = [p for p in plot_four_views(views).axes[2].patches if isinstance(p, Ellipse)]
    for e, mean, cov in zip(ellipses, views.param_mean, views.param_cov, strict=True):
        w, U = np.linalg.eigh(cov)
        np.testing.assert_allclose(e.center, mean[::-1], atol=1e-12)
        np.testing.assert_allclose([e.width, e.height], 2 * np.sqrt(w[::-1]), rtol=1e-9)
        a = np.radians(e.angle)
        major = np.array([np.sin(a), np.cos(a)])  # (slope, intercept) of the width's axis
        assert abs(major @ U[:, 1]) == pytest.approx(1.0, abs=1e-9)


def test_plot_four_views_is_reproducible():
    def first_path(seed):
        views = four_views(X, Y, PHI0, n_samples=5, seed=seed)
        return plot_four_views(views).axes[2].get_lines()[0].get_xdata()

    np.testing.assert_array_equal(first_path(3), first_path(3))


# ------------------------------------------------------------------------ landscapes
def test_plot_landscape_draws_its_surface(surface):
    fig, ax = plt.subplots()
    out = plot_landscape(surface, ax, 10)  # positional ax and levels
    assert out is ax
    assert ax.get_ylim() == (-1.0, 1.0)  # slope increasing upward
    assert ax.get_xlim() == (-1.0, 1.0)
    plot_landscape(surface, ax=ax, gamma=1.0, colorbar=True)
    plot_path(np.array([PHI0, [0.6, -0.2]]), ax, label="p", marker_end=True)


def test_plot_landscape_takes_a_grid_of_ones_own():
    slopes, intercepts = np.linspace(0.2, 0.9, 31), np.linspace(-0.5, 0.2, 41)
    L = loss_grid(X, Y, slopes, intercepts)
    ax = plot_landscape((slopes, intercepts, L))
    assert ax.get_xlim() == (-0.5, 0.2) and ax.get_ylim() == (0.2, 0.9)


def test_landscape_colours_follow_the_loss():
    """The darkest filled level sits at the minimum of the surface drawn."""
    surface = loss_surface(X, Y, n=81)
    ax = plot_landscape(surface)
    cs = ax.collections[0]
    assert cs.levels[0] == pytest.approx(surface.loss.min())
    assert cs.levels[-1] == pytest.approx(surface.loss.max())


def test_eigen_direction_arrows_point_along_eigenvectors(surface):
    ax = plot_landscape(surface)
    lam, vecs = gram_eigen(X, outer=True)
    plot_eigen_directions(lam, vecs, PHI_ML, ax, away=PHI0, length=0.3)
    arrows = [a for a in ax.texts if a.arrow_patch is not None]
    assert len(arrows) == 2
    A = X @ X.T
    for a in arrows:
        (c1, s1), (c0, s0) = a.xy, a.xyann
        d = np.array([s1 - s0, c1 - c0])
        assert np.isclose(np.linalg.norm(d), 0.3)
        Ad = A @ d
        assert np.isclose(Ad[0] * d[1] - Ad[1] * d[0], 0.0, atol=1e-12)  # an eigenvector of A
        assert d @ (PHI0 - PHI_ML) < 0  # away from the start
        assert (s0, c0) == tuple(PHI_ML)  # drawn from the centre given
    labels = " ".join(t.get_text() for t in ax.texts)
    assert "slow" in labels and "fast" in labels and "0.152" in labels and "3.688" in labels


def test_descent_vs_flow_draws_both(surface, flow):
    iterates = gradient_descent(X, Y, PHI0, 0.45, 12)
    ax = plot_descent_vs_flow(surface, flow, iterates, 0.45)
    lines = {ln.get_label(): ln for ln in ax.lines}
    assert "flow" in lines and "descent" in lines
    np.testing.assert_allclose(lines["descent"].get_xydata(), iterates[:, ::-1])
    np.testing.assert_allclose(lines["flow"].get_xydata()[-1], flow.params(12 * 0.45)[::-1])
    assert ax.get_title() == "lr = 0.45"


def test_descent_vs_flow_leaves_out_a_diverged_tail(surface, flow):
    iterates = gradient_descent(X, Y, PHI0, 0.56, 12)
    iterates[-1] = np.inf
    ax = plot_descent_vs_flow(surface, flow, iterates, 0.56)
    (descent,) = [ln for ln in ax.lines if ln.get_label() == "descent"]
    assert len(descent.get_xdata()) == 12


# ---------------------------------------------------------------------- ML vs MAP
def test_ml_vs_map_figures_draw_what_they_are_given():
    ml, mp = ml_params(X, Y), map_params(X, Y, 0.05, 3.0)
    near = loss_surface(X, Y, extent=(-0.5, 0.2, 0.2, 0.9), n=31)
    fig = plot_ml_map(near, X, Y, ml, mp)
    assert fig.axes[0].get_xlim() == (-0.5, 0.2)
    lines = fig.axes[1].get_lines()
    np.testing.assert_allclose(lines[0].get_ydata()[[0, -1]], [ml[1], ml[0] + ml[1]])
    np.testing.assert_allclose(lines[1].get_ydata()[[0, -1]], [mp[1], mp[0] + mp[1]])

    path = np.array([[0.0, 0.0], [0.3, -0.1], [0.6, -0.17]])
    window = loss_surface(X, Y, extent=(-0.6, 0.25, -0.15, 1.0), n=31)
    ax = plot_paths_vs_ridge(window, path, [(path, "flow")], marks=[(ml, "ML", "ml")])
    ridge_line = ax.get_lines()[0]
    np.testing.assert_allclose(ridge_line.get_xdata(), path[:, 1])  # intercept horizontal
    np.testing.assert_allclose(ridge_line.get_ydata(), path[:, 0])  # slope vertical
    assert ax.get_xlim() == (-0.6, 0.25) and ax.get_ylim() == (-0.15, 1.0)  # slope up

    ax = plot_filters([0.5, 2.0], 0.1)
    x = ax.get_lines()[0].get_xdata()
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), 1 - np.exp(-x))
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), x / (1 + x))
    np.testing.assert_allclose(ax.get_lines()[2].get_xdata(), [5.0, 20.0])

    t = np.geomspace(0.1, 10, 5)
    ax = plot_distance_over_time(t, [(t**2, "a")], minima=[(1.0, 1.0)], vline=(2.0, "v"))
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), t**2)
    assert ax.get_xscale() == "log"

    X_syn = np.random.default_rng(0).normal(size=(3, 7))
    beta0 = np.ones(3)
    gf = flow_risk(X_syn, beta0, 1.0, t)
    rg = ridge_risk(X_syn, beta0, 1.0, 1 / t)
    fig = plot_risk_ratio(t, gf, rg, AKT_CONSTANT)
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), gf.risk / rg.risk)


# ------------------------------------------------------------- the Bayesian view over time
def _band_limits(collection):
    """Lower and upper edge of a fill_between band, sampled at its vertices."""
    verts = collection.get_paths()[0].vertices
    return verts[:, 0], verts[:, 1]


def test_bands_are_two_sd_of_output_and_of_noisy_observation():
    sigma_sq = 0.05
    x = np.linspace(0.0, 1.0, 5)
    mean = np.linspace(-0.2, 0.3, 5)
    var = np.array([0.01, 0.02, 0.04, 0.02, 0.01])
    ax = plot_prediction_band(x, mean, var, sigma_sq=sigma_sq)
    light, dark = ax.collections[0], ax.collections[1]
    for band, v in [(dark, var), (light, var + sigma_sq)]:
        xs, ys = _band_limits(band)
        for xi, mi, vi in zip(x, mean, v, strict=True):
            at = np.isclose(xs, xi)
            assert np.isclose(ys[at].max(), mi + 2 * np.sqrt(vi))
            assert np.isclose(ys[at].min(), mi - 2 * np.sqrt(vi))
    fig = plot_prediction_grid(x, [mean, mean], [var, var], ["a", "b"], sigma_sq=sigma_sq)
    assert len(fig.axes[0].collections) == 2  # the noisy band is drawn in every panel


def test_spread_over_time_draws_each_column():
    t = np.geomspace(0.1, 10.0, 4)
    var = np.column_stack([np.exp(-t), np.exp(-2 * t)])
    ax = plot_spread_over_time(t, var, ["x = 0", "x = 1"])
    for line, col in zip(ax.get_lines(), var.T, strict=True):
        np.testing.assert_allclose(line.get_ydata(), col)


# ----------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: plot_outputs("flow", T), TypeError, "flow must be a gflow_lib.LinearFlow"),
        (lambda: plot_loss(LinearFlow(X, Y, PHI0), -T - 1), ValueError, "t must be non-negative"),
        (lambda: plot_params(LinearFlow(X, Y, PHI0), 1.0), ValueError, "t must be a 1-D array"),
        (lambda: plot_data(np.ones((3, 3)), Y), ValueError, "X must have 2 rows"),
        (lambda: plot_data(X, [1.0, 2.0]), ValueError, "y must have length 3"),
        (lambda: plot_fits(PHI0, [0.0]), TypeError, "LinearFlow"),
        (lambda: plot_fits(LinearFlow(X, Y, PHI0), [-1.0]), ValueError,
         "must be non-negative"),
        (lambda: plot_fits(LinearFlow(np.ones((3, 2)), [1.0, 2.0], np.zeros(3)), [0.0]),
         ValueError, "D = 2"),
        (lambda: plot_four_views(X), TypeError, "views must be a FourViews"),
        (lambda: plot_loss_modes(T, np.ones((T.size, 3)), [1.0, 2.0]), ValueError,
         r"shapes \(T,\), \(T, K\) and \(K,\)"),
        (lambda: plot_landscape(X), TypeError, r"surface must be \(slopes, intercepts, loss\)"),
        (lambda: plot_landscape((np.zeros(3), np.zeros(4), np.zeros((4, 3)))), ValueError,
         r"shapes \(S,\), \(N,\) and \(S, N\)"),
        (lambda: plot_landscape(loss_surface(X, Y, n=5), gamma=2.0), ValueError, "gamma"),
        (lambda: plot_eigen_directions([0.0, 1.0], np.eye(2), PHI_ML, plt.gca()), ValueError,
         "lam must be positive"),
        (lambda: plot_eigen_directions([1.0, 2.0], np.eye(2), PHI_ML, plt.gca(),
                                       scaling="log"), ValueError, "scaling"),
        (lambda: plot_eigen_directions(X, Y, plt.gca(), PHI0), TypeError,
         r"plot_eigen_directions\(lam, vecs, center, ax\)"),
        (lambda: plot_eigen_directions([1.0, 2.0], np.eye(3), PHI_ML, plt.gca()), ValueError,
         r"shapes \(2,\), \(2, 2\) and \(2,\)"),
        (lambda: plot_descent_vs_flow(loss_surface(X, Y, n=5), LinearFlow(X, Y, PHI0),
                                      PHI0[None, :], 0.1), ValueError, r"shape \(n \+ 1, 2\)"),
        (lambda: plot_descent_vs_flow(loss_surface(X, Y, n=5), PHI0, np.zeros((3, 2)), 0.1),
         TypeError, "flow must be a gflow_lib.LinearFlow"),
        (lambda: plot_prediction_band([0.0, 1.0], [0.0, 0.0], [1.0, 1.0], noise_var=0.1),
         TypeError, "unexpected keyword argument 'noise_var'"),
        (lambda: plot_prediction_band(np.zeros(4), np.zeros(3), np.ones(4)), ValueError,
         "same length"),
        (lambda: plot_prediction_band(np.zeros(4), np.zeros(4), -np.ones(4)), ValueError,
         "non-negative"),
        (lambda: plot_prediction_grid(np.zeros(4), np.zeros((2, 4)), np.ones((2, 4)), ["one"]),
         ValueError, "titles"),
        (lambda: plot_prediction_grid(np.zeros(4), np.zeros((2, 4)), np.ones((2, 4)),
                                      ["a", "b"], color=["r"]), ValueError, "2 colours"),
        (lambda: plot_spread_over_time(np.arange(3.0), np.ones((4, 2)), ["a", "b"]), ValueError,
         r"shape \(T, M\)"),
    ],
)
def test_bad_input(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_prediction_grid_hides_unused_panels():
    fig = plot_prediction_grid(np.linspace(0, 1, 4), np.zeros((2, 4)), np.ones((2, 4)),
                               ["a", "b"], ncols=3)
    assert len([a for a in fig.axes if a.get_visible()]) == 2


# -------------------------------------------------------------- function space (kernels)
def _kernel_results():
    """Results of the function-space chapter's kind, computed with the core."""
    from gflow_lib import KernelFlow
    from gflow_lib.kernels import kernel_ridge, random_feature_gap, rbf_kernel
    from gflow_lib.spectrum import kernel_eigen

    x, xg = np.linspace(0.05, 0.95, 6), np.linspace(0.0, 1.0, 21)
    y = np.sin(2 * np.pi * x)
    K, Kg = rbf_kernel(x, lengthscale=0.2), rbf_kernel(xg, x, 0.2)
    lam, U = kernel_eigen(K)
    lam, U = lam[::-1], U[:, ::-1]
    t = np.geomspace(1e-2, 1e3, 30)
    flow = KernelFlow(K, y)
    pen = 1.0 / t
    return dict(x=x, xg=xg, y=y, lam=lam, funcs=Kg @ U / lam, t=t,
                coords=flow.residuals(t) @ U, fits=flow.predict(Kg, t[::6]),
                flow_err=np.mean((flow.predict(Kg, t) - np.sin(2 * np.pi * xg)) ** 2, axis=1),
                ridge_err=np.mean((kernel_ridge(K, y, Kg, pen) - np.sin(2 * np.pi * xg)) ** 2,
                                  axis=1),
                pen=pen, gap=random_feature_gap(x, [10, 100, 1000], n_seeds=3))


@pytest.fixture(scope="module")
def kres():
    return _kernel_results()


def test_function_space_figures_draw_with_the_core_switched_off(kres, monkeypatch):
    import gflow_lib.flow
    import gflow_lib.kernels
    import gflow_lib.spectrum

    def forbidden(*args, **kwargs):
        raise AssertionError("a figure computed instead of drawing its results")

    monkeypatch.setattr(gflow_lib.flow.KernelFlow, "__init__", forbidden)
    for module, name in [(gflow_lib.spectrum, "kernel_eigen"), (gflow_lib.kernels, "kernel_ridge"),
                         (gflow_lib.kernels, "rbf_kernel"), (gflow_lib.kernels, "relu_kernel"),
                         (gflow_lib.kernels, "random_feature_gap"), (np.linalg, "eigh")]:
        monkeypatch.setattr(module, name, forbidden)
    k = kres
    gp.plot_eigenfunctions(k["xg"], k["funcs"][:, :4], k["lam"][:4], x_data=k["x"])
    gp.plot_mode_residuals(k["t"], k["coords"], k["lam"])
    gp.plot_fits_over_time(k["xg"], k["fits"], k["t"][::6], data=(k["x"], k["y"]),
                           target=np.sin(2 * np.pi * k["xg"]))
    gp.plot_functions(k["xg"], k["fits"][:2], ["a", "b"], data=(k["x"], k["y"]), span=(0, 1))
    gp.plot_held_out_error(k["t"], k["flow_err"], k["pen"], k["ridge_err"],
                           best=(k["t"][3], k["flow_err"][3]), noise_floor=0.01)
    gp.plot_mode_filters(k["lam"], np.ones((2, k["lam"].size)), ["flow", "ridge"])
    gp.plot_kernel_gap([k["gap"]], ["ReLU"])


def test_eigenfunctions_one_panel_per_mode_with_its_eigenvalue(kres):
    fig = gp.plot_eigenfunctions(kres["xg"], kres["funcs"][:, :5], kres["lam"][:5], ncols=3)
    shown = [a for a in fig.axes if a.get_visible()]
    assert len(shown) == 5 and len(fig.axes) == 6
    for k, ax in enumerate(shown):
        curve = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == kres["xg"].size][-1]
        np.testing.assert_allclose(curve.get_ydata(), kres["funcs"][:, k])
        assert f"{kres['lam'][k]:.3g}" in ax.get_title()


def test_mode_residuals_draw_absolute_coordinates_and_time_constants(kres):
    t, coords, lam = kres["t"], kres["coords"], kres["lam"]
    ax = gp.plot_mode_residuals(t, coords, lam, modes=range(1, 7), floor=1e-8)
    curves = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == t.size]
    assert len(curves) == lam.size
    for k, ln in enumerate(curves):
        want = np.abs(coords[:, k])
        np.testing.assert_allclose(ln.get_ydata(), np.where(want >= 1e-8, want, np.nan))
    marks = [ln.get_xdata()[0] for ln in ax.get_lines() if len(ln.get_xdata()) == 2]
    inside = [1 / lk for lk in lam if t[0] <= 1 / lk <= t[-1]]
    np.testing.assert_allclose(sorted(marks), sorted(inside))
    assert ax.get_xscale() == ax.get_yscale() == "log"


def test_fits_over_time_run_dark_early_to_light_late(kres):
    ts = kres["t"][::6]
    ax = gp.plot_fits_over_time(kres["xg"], kres["fits"], ts, data=(kres["x"], kres["y"]))
    lines = ax.get_lines()[: ts.size]
    for ln, f, c in zip(lines, kres["fits"], time_colors(ts.size), strict=True):
        np.testing.assert_allclose(ln.get_ydata(), f)
        assert to_rgba(ln.get_color()) == pytest.approx(tuple(c))
    np.testing.assert_allclose(ax.get_lines()[-1].get_xdata(), kres["x"])  # the data on top


def test_functions_draw_each_curve_and_shade_the_data(kres):
    ax = gp.plot_functions(kres["xg"], kres["fits"][:3], ["a", "b", "c"], span=(0.05, 0.95),
                           target=np.zeros(kres["xg"].size), styles=["-", "--", ":"])
    for ln, f in zip(ax.get_lines()[:3], kres["fits"][:3], strict=True):
        np.testing.assert_allclose(ln.get_ydata(), f)
    assert len(ax.patches) == 1  # the span
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["span of the data", "a"]


def test_held_out_error_draws_ridge_at_one_over_the_penalty(kres):
    ax = gp.plot_held_out_error(kres["t"], kres["flow_err"], kres["pen"], kres["ridge_err"],
                                best=(2.0, 0.1))
    flow_line, ridge_line = ax.get_lines()[:2]
    np.testing.assert_allclose(flow_line.get_xdata(), kres["t"])
    np.testing.assert_allclose(ridge_line.get_xdata(), 1 / kres["pen"])
    np.testing.assert_allclose(ridge_line.get_ydata(), kres["ridge_err"])
    assert (2.0, 0.1) in [(ln.get_xdata()[0], ln.get_ydata()[0]) for ln in ax.get_lines()]


def test_mode_filters_are_drawn_in_order_of_eigenvalue():
    lam = np.array([5.0, 0.1, 1.0])
    gains = np.array([[0.9, 0.1, 0.5], [0.8, 0.2, 0.4]])
    ax = gp.plot_mode_filters(lam, gains, ["flow", "ridge"])
    for ln, g in zip(ax.get_lines(), gains, strict=True):
        np.testing.assert_allclose(ln.get_xdata(), [0.1, 1.0, 5.0])
        np.testing.assert_allclose(ln.get_ydata(), g[[1, 2, 0]])


def test_kernel_gap_draws_measured_and_expected_with_the_slope(kres):
    g = kres["gap"]
    ax = gp.plot_kernel_gap([g], ["ReLU"])
    pts, line = ax.get_lines()
    np.testing.assert_allclose(pts.get_ydata(), g.gap)
    np.testing.assert_allclose(line.get_ydata(), g.expected)
    assert f"{g.slope:.3f}" in pts.get_label()


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: gp.plot_eigenfunctions(np.zeros(4), np.zeros((4, 2)), [1.0, 2.0, 3.0]),
         ValueError, r"funcs must have shape \(M, P\) = \(4, 3\)"),
        (lambda: gp.plot_mode_residuals(np.ones(3), np.ones((3, 2)), [1.0]), ValueError,
         r"coords must have shape \(T, P\) = \(3, 1\)"),
        (lambda: gp.plot_mode_residuals(np.arange(3.0), np.ones((3, 1)), [1.0]), ValueError,
         "must be positive"),
        (lambda: gp.plot_mode_residuals(np.ones(3), np.ones((3, 1)), [1.0], modes=[1, 2]),
         ValueError, "modes must have 1 entries"),
        (lambda: gp.plot_fits_over_time(np.zeros(4), np.zeros((2, 3)), [1.0, 2.0]), ValueError,
         r"fits must have shape \(T, M\) = \(2, 4\)"),
        (lambda: gp.plot_functions(np.zeros(4), np.zeros((2, 4)), ["a"]), ValueError,
         r"curves must have shape \(C, M\) = \(1, 4\)"),
        (lambda: gp.plot_functions(np.zeros(4), np.zeros((1, 4)), ["a"], colors=["r", "b"]),
         ValueError, "colors and styles must have 1 entries"),
        (lambda: gp.plot_held_out_error(np.ones(3), np.ones(2), np.ones(2), np.ones(2)),
         ValueError, "flow_error must match t"),
        (lambda: gp.plot_held_out_error(np.ones(2), np.ones(2), np.zeros(2), np.ones(2)),
         ValueError, "must be positive"),
        (lambda: gp.plot_mode_filters([1.0, 2.0], np.ones((2, 3)), ["a", "b"]), ValueError,
         r"gains must have shape \(C, P\) = \(2, 2\)"),
        (lambda: gp.plot_mode_filters([0.0, 2.0], np.ones((1, 2)), ["a"]), ValueError,
         "lam must be positive"),
        (lambda: gp.plot_kernel_gap([np.ones(3)], ["a"]), TypeError,
         "gaps must be KernelGap results"),
        (lambda: gp.plot_eigenfunctions(np.zeros((2, 2)), np.zeros((2, 1)), [1.0]), ValueError,
         "x must be a 1-D array"),
    ],
)
def test_function_space_figures_bad_input(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


# ------------------------------------------------------------- wide networks and the NTK
def test_ntk_figures_draw_what_they_are_given():
    x = np.linspace(0.0, 1.0, 7)
    funcs = [np.outer([1.0, -1.0], x), np.outer([0.5, 2.0, -2.0], x)]
    fig = gp.plot_network_functions(x, funcs, ["D = 10", "D = 100"], data=(X[0], Y))
    assert len(fig.axes) == 2
    np.testing.assert_allclose(fig.axes[1].get_lines()[2].get_ydata(), funcs[1][2])

    K = np.add.outer(x, x)
    fig = gp.plot_kernel_maps(x, [K, 2 * K], ["NTK", "NNGP"])
    images = [a.get_images()[0] for a in fig.axes if a.get_images()]
    np.testing.assert_allclose(images[1].get_array(), 2 * K)

    widths = np.array([10.0, 100.0, 1000.0])
    gap = 0.3 * widths**-0.5
    ax = gp.plot_width_scaling(widths, [gap, 2 * gap], ["a", "b"])
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[1].get_ydata(), 2 * gap)
    np.testing.assert_allclose(lines[2].get_ydata(), gap)  # the reference slope -1/2
    assert len(gp.plot_width_scaling(widths, [gap], ["a"], slope=None).get_lines()) == 1

    f_net, f_lin = np.vstack([x, x**2]), np.vstack([x + 0.01, x**2])
    ax = gp.plot_network_vs_linear(x, f_net, f_lin, [0.0, 5.0], data=(X[0], Y))
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), f_lin[0])
    early, late = (to_rgba(ax.get_lines()[k].get_color()) for k in (0, 2))
    assert not np.allclose(early, late)  # one colour per time

    t = np.linspace(0.0, 3.0, 4)
    out = np.outer(1 - np.exp(-t), Y)
    ax = gp.plot_outputs_over_time(t, out, Y)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), out[:, 0])


def test_ntk_training_figures_draw_what_they_are_given():
    t = np.linspace(0.0, 4.0, 5)
    lam = np.array([0.1, 2.0])
    pred = np.exp(-np.outer(t, lam))
    ax = gp.plot_residual_modes(t, pred * 1.1, pred, lam)
    # numbered largest first (the notation page): line 0 is lambda_1 = 2.0, lam[1]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), 1.1 * pred[:, 1])
    assert ax.get_lines()[0].get_label() == "$\\lambda_1 = 2$"
    assert ax.get_yscale() == "log"
    # nothing clipped to a floor: the bottom is a decade under the smallest measured value
    assert ax.get_ylim()[0] == pytest.approx(1.1 * pred.min() / 10)

    steps = np.arange(5.0)
    ax = gp.plot_loss_curves(steps, [np.exp(-steps), np.r_[1.0, 10.0, np.inf, np.inf, np.nan]],
                             ["stable", "diverges"])
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [1.0, 10.0])  # cut at inf

    x = np.linspace(0.0, 1.0, 5)
    ax = gp.plot_ntk_band(x, x, np.full(5, 0.04), data=(X[0], Y),
                          samples=(np.array([0.5]), np.array([0.45]), np.array([0.2]), 400))
    bars = [c for c in ax.containers]
    assert bars, "the Monte Carlo error bars are drawn"
    seg = bars[0].lines[2][0].get_segments()[0]
    np.testing.assert_allclose(seg[:, 1], [0.45 - 0.02, 0.45 + 0.02])  # 2 se = 2 * 0.2 / 20
    assert _inside(ax, [0.5], [0.45])

    ax = gp.plot_function_curves(x, [x, -x], ["a", "b"], styles=["-", "--"])
    assert ax.get_lines()[1].get_linestyle() == "--"


def test_ntk_figures_draw_with_the_core_switched_off(monkeypatch):
    """The figures compute nothing: with the networks' and kernels' functions disabled they
    still draw."""
    import gflow_lib.network
    import gflow_lib.ntk

    def forbidden(*args, **kwargs):
        raise AssertionError("a figure computed instead of drawing its results")

    for module in (gflow_lib.network, gflow_lib.ntk):
        for name in module.__all__:
            if callable(getattr(module, name)) and name[0].islower():
                monkeypatch.setattr(module, name, forbidden)
    x = np.linspace(0.0, 1.0, 4)
    gp.plot_network_functions(x, [np.ones((2, 4))], ["a"])
    gp.plot_kernel_maps(x, [np.eye(4)], ["a"])
    gp.plot_width_scaling([1.0, 10.0], [np.ones(2)], ["a"])
    gp.plot_network_vs_linear(x, np.ones((1, 4)), np.ones((1, 4)), [1.0])
    gp.plot_outputs_over_time(x, np.ones((4, 3)), Y)
    gp.plot_residual_modes(x, np.ones((4, 2)), np.ones((4, 2)), [1.0, 2.0])
    gp.plot_loss_curves(x, [np.ones(4)], ["a"])
    gp.plot_ntk_band(x, x, np.ones(4))
    gp.plot_function_curves(x, [x], ["a"])


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: gp.plot_network_functions(np.zeros(3), [np.zeros((2, 4))], ["a"]),
         r"functions must hold arrays of shape \(N, 3\)"),
        (lambda: gp.plot_network_functions(np.zeros(3), [np.zeros(3)], ["a"]),
         "each entry of functions must be a 2-D array"),
        (lambda: gp.plot_kernel_maps(np.zeros(3), [np.zeros((3, 2))], ["a"]),
         r"kernels must be arrays of shape \(3, 3\)"),
        (lambda: gp.plot_width_scaling([1.0, 2.0], [np.ones(3)], ["a"]),
         r"series must be arrays of shape \(2,\)"),
        (lambda: gp.plot_width_scaling([0.0, 2.0], [np.ones(2)], ["a"]), "must be positive"),
        (lambda: gp.plot_network_vs_linear(np.zeros(3), np.zeros((2, 3)), np.zeros((1, 3)),
                                           [1.0, 2.0]), r"must have shape \(2, 3\)"),
        (lambda: gp.plot_outputs_over_time(np.zeros(2), np.zeros((2, 2)), Y),
         r"outputs must have shape \(2, 3\)"),
        (lambda: gp.plot_residual_modes(np.zeros(2), np.zeros((2, 1)), np.zeros((2, 1)),
                                        [1.0, 2.0]), r"must have shape \(2, 2\)"),
        (lambda: gp.plot_loss_curves(np.zeros(2), [np.zeros(3)], ["a"]),
         "losses must be arrays of shape"),
        (lambda: gp.plot_ntk_band(np.arange(2.0), np.zeros(2), np.ones(2),
                                  samples=(np.zeros(1), np.zeros(2), np.zeros(1), 3)),
         "samples must hold"),
        (lambda: gp.plot_function_curves(np.zeros(2), [np.zeros(2)], ["a", "b"]),
         "one per label"),
    ],
)
def test_ntk_figures_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_plot_modified_rates_draws_what_it_is_given():
    q = np.linspace(0.0, 0.9, 10)
    exact = np.ones_like(q)
    exact[1:] = -np.log1p(-q[1:]) / q[1:]
    ax = gp.plot_modified_rates(q, exact, 1 + q / 2, marks=[(0.5, 2 * np.log(2), "a")])
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), exact)
    np.testing.assert_allclose(lines[1].get_ydata(), 1 + q / 2)
    assert ax.get_xlim()[1] > 1.0  # the breakdown at q = 1 is in view
    with pytest.raises(ValueError, match="same length"):
        gp.plot_modified_rates(q, exact[:-1], 1 + q / 2)


def test_plot_mode_variances_draws_what_it_is_given():
    t = np.linspace(0.0, 10.0, 11)
    lam = np.array([0.2, 3.0])
    crowd = 2.0 * np.exp(-2 * np.outer(t, lam))
    post = 2.0 * 0.1 / (lam + 0.1)
    ax = gp.plot_mode_variances(t, crowd, post, ["slow", "fast"], crossings=[1.0, 0.5])
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), crowd[:, 0])
    np.testing.assert_allclose(lines[1].get_ydata(), [post[0], post[0]])
    np.testing.assert_allclose(lines[3].get_ydata(), crowd[:, 1])
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="shapes"):
        gp.plot_mode_variances(t, crowd[:, :1], post, ["slow", "fast"])


# --------------------------------------------------- figures for every screen (issue 19)
# The page's column shows an image at its natural width up to 672 px at 1280 px, and at
# 342 px on a 390 px phone (measured in headless Chromium on the built book); the body's
# small text is 14.4 px. Figures are drawn at 100 dpi and saved with a tight box (0.1 in pad).
COLUMN_PX = {1280: 672.0, 390: 342.0}
MIN_TEXT_PX = {1280: 14.4, 390: 8.0}

# Machado, Oliveira and Fernandes (2009), severity 1: linear-RGB matrices of the three
# dichromacies, with normal vision for comparison.
CVD = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
# CIEDE2000 distances that two category colours keep (Okabe-Ito's hardest pairs are 10.9
# under tritanopia and 22.2 with normal vision; two neighbouring browns of the map, 15.9).
MIN_DE = {"normal": 20.0, "protanopia": 10.0, "deuteranopia": 10.0, "tritanopia": 10.0}


def _lab(colors, kind="normal"):
    """CIELAB (D65) of sRGB colours as seen with ``kind`` of colour vision."""
    rgb = np.array([to_rgba(c)[:3] for c in colors])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lin = np.clip(lin @ CVD[kind].T, 0.0, 1.0)
    to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                       [0.0193, 0.1192, 0.9505]])
    xyz = lin @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]),
                     200 * (f[:, 1] - f[:, 2])], axis=1)


def _de2000(lab1, lab2):
    """CIEDE2000 colour difference (Sharma, Wu and Dalal 2005) of two (N, 3) Lab arrays."""
    (L1, a1, b1), (L2, a2, b2) = lab1.T, lab2.T
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1, h2 = np.degrees(np.arctan2(b1, a1)) % 360, np.degrees(np.arctan2(b2, a2)) % 360
    dh = (h2 - h1 + 180) % 360 - 180
    dh = np.where(c1 * c2 == 0, 0.0, dh)
    dL, dC = L2 - L1, c2 - c1
    dH = 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh) / 2)
    L_, C_ = (L1 + L2) / 2, (c1 + c2) / 2
    h_ = np.where(np.abs(h1 - h2) <= 180, (h1 + h2) / 2, (h1 + h2 + 360) / 2 % 360)
    h_ = np.where(c1 * c2 == 0, h1 + h2, h_)
    T = (1 - 0.17 * np.cos(np.radians(h_ - 30)) + 0.24 * np.cos(np.radians(2 * h_))
         + 0.32 * np.cos(np.radians(3 * h_ + 6)) - 0.20 * np.cos(np.radians(4 * h_ - 63)))
    sL = 1 + 0.015 * (L_ - 50) ** 2 / np.sqrt(20 + (L_ - 50) ** 2)
    sC, sH = 1 + 0.045 * C_, 1 + 0.015 * C_ * T
    rT = (-2 * np.sqrt(C_**7 / (C_**7 + 25.0**7))
          * np.sin(np.radians(60 * np.exp(-(((h_ - 275) / 25) ** 2)))))
    return np.sqrt((dL / sL) ** 2 + (dC / sC) ** 2 + (dH / sH) ** 2
                   + rT * (dC / sC) * (dH / sH))


def _too_close(colors):
    """Pairs of ``colors`` closer than MIN_DE under some kind of colour vision."""
    colors = list(dict.fromkeys(to_hex(c) for c in colors))
    bad = []
    for kind, limit in MIN_DE.items():
        lab = _lab(colors, kind)
        for i in range(len(colors)):
            for j in range(i + 1, len(colors)):
                d = float(_de2000(lab[i:i + 1], lab[j:j + 1])[0])
                if d < limit:
                    bad.append(f"{kind}: {colors[i]} vs {colors[j]}, dE00 {d:.1f} < {limit}")
    return bad


def test_de2000_matches_sharma_reference_pairs():
    """Three pairs of the published CIEDE2000 test data (Sharma et al. 2005, table 1)."""
    pairs = [((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
             ((50, -1.3802, -84.2814), (50, 0, -82.7485), 1.0000),
             ((50, 2.5, 0), (73, 25, -18), 27.1492)]
    for p, q, d in pairs:
        assert _de2000(np.array([p], float), np.array([q], float))[0] == pytest.approx(d, abs=1e-4)


def test_category_palettes_are_told_apart_with_every_kind_of_colour_vision():
    assert _too_close(gp.CATEGORY_COLORS) == []
    assert _too_close(COLORS["points"]) == []
    assert _too_close([COLORS[k] for k in ("flow", "ridge", "descent", "ml")]) == []


def test_the_colour_check_catches_neighbouring_browns():
    """Fig. 5.2 drew four inputs in four browns of the map: two of them too close."""
    browns = gp.BOOK_CMAP(np.linspace(0.05, 0.8, 4))
    assert _too_close(browns)


def _texts(fig):
    """Every drawn, non-empty text of ``fig``: tick labels, labels, titles, legends, notes."""
    out = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis._update_ticks():  # the ticks drawn (inside the view)
                out += [lab for lab in (tick.label1, tick.label2)
                        if lab.get_visible() and lab.get_text()]
            if axis.label.get_visible() and axis.label.get_text():
                out.append(axis.label)
        out += [t for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
        out += [t for t in ax.texts if t.get_visible() and t.get_text()]
    for legend in _legends(fig):
        out += [t for t in legend.get_texts() if t.get_text()]
    out += [t for t in fig.texts if t.get_visible() and t.get_text()]
    return out


def _legends(fig):
    found = [ax.get_legend() for ax in fig.axes if ax.get_visible()] + list(fig.legends)
    return [lg for lg in found if lg is not None and lg.get_visible()]


def _natural_px(fig, draw=True):
    """Width of the saved PNG (tight box and its 0.1 in pad), in pixels. Laid out without
    rendering: the same layout and text sizes, and no pixels (a tenth of a draw's cost)."""
    if draw:
        fig.draw_without_rendering()
    return (fig.get_tightbbox().width + 0.2) * fig.dpi


def _small_text(fig, natural=None):
    """Texts that would render smaller than MIN_TEXT_PX on a desktop or a phone."""
    natural = _natural_px(fig) if natural is None else natural
    bad = []
    for width, column in COLUMN_PX.items():
        scale = fig.dpi / 72 * min(1.0, column / natural)
        for t in _texts(fig):
            px = t.get_fontsize() * scale
            if px < MIN_TEXT_PX[width] - 1e-9:
                bad.append(f"{t.get_text()!r} {px:.1f} px at {width} px")
    return bad


def _covered(fig):
    """Legends drawn over a plotting area (data, bands or maps)."""
    renderer = fig.canvas.get_renderer()
    bad = []
    for legend in _legends(fig):
        box = legend.get_window_extent(renderer).shrunk(0.99, 0.99)
        for ax in fig.axes:
            if ax.get_visible() and ax.axison and box.overlaps(ax.bbox):
                bad.append(f"legend {[t.get_text() for t in legend.get_texts()]} over a panel")
    return bad


def _collisions(fig):
    """Pairs of texts that overlap, or touch side by side on one line (closer than 3 px)."""
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in _texts(fig)]

    def clash(p, q):
        if p.padded(-1.0).overlaps(q.padded(-1.0)):
            return True
        shared = min(p.y1, q.y1) - max(p.y0, q.y0)  # same line: most of the height shared
        return shared >= 0.5 * min(p.height, q.height) and p.padded(1.5).overlaps(q.padded(1.5))

    return [f"{a!r} overlaps {b!r}" for i, (a, p) in enumerate(boxes)
            for b, q in boxes[i + 1:] if clash(p, q)]


def _columns(fig):
    """Number of panel columns (colour bars and hidden slots not counted)."""
    lefts = {round(ax.get_position().x0, 2) for ax in fig.axes
             if ax.get_visible() and ax.get_label() != "<colorbar>"}
    return len(lefts)


def _screen_figures():
    """One call per public figure, drawn with the book's kind of numbers; each returns a
    Figure and whether its lines are categories (whose colours must be told apart)."""
    from gflow_lib.kernels import KernelGap

    flow = LinearFlow(X, Y, PHI0)
    surface = loss_surface(X, Y, n=41)
    lam, vecs = gram_eigen(X, outer=True)
    x = np.linspace(-0.5, 1.5, 41)
    xs, ys = X[0], Y
    t = np.linspace(0.0, 20.0, 81)
    decay = np.exp(-np.outer(t, [6.47, 0.251, 0.029]))
    ridge = np.array([ml_params(X, Y) * s for s in np.linspace(0.0, 1.0, 20)])
    gap = KernelGap(n_features=np.array([10, 100, 1000]), gap=np.array([0.3, 0.1, 0.03]),
                    expected=np.array([0.32, 0.1, 0.032]), slope=-0.5)
    risk = (flow_risk(np.random.default_rng(0).normal(size=(3, 7)), np.ones(3), 1.0,
                      np.geomspace(1e-2, 1e3, 30)),
            ridge_risk(np.random.default_rng(0).normal(size=(3, 7)), np.ones(3), 1.0,
                       1 / np.geomspace(1e-2, 1e3, 30)))
    band = (x, 0.2 * x, 0.05 + 0.1 * x**2)
    f = lambda obj: obj if isinstance(obj, plt.Figure) else obj.figure  # noqa: E731

    def landscape():
        ax = plot_landscape(surface, colorbar=True)
        plot_path(flow.params(t), ax, color=COLORS["flow"])
        return plot_eigen_directions(lam, vecs, flow.limit(), ax, away=PHI0)

    return {
        "data": (lambda: f(plot_data(X, Y)), False),
        "fits": (lambda: f(plot_fits(flow, [0.0, 0.1, 0.3, 2.0, 20.0], limit=True)), False),
        "start": (lambda: f(plot_fits(flow, [0.0], residuals=True)), False),
        "outputs": (lambda: f(plot_outputs(flow, t)), True),
        "residuals": (lambda: f(plot_residuals(flow, t)), True),
        "loss": (lambda: f(plot_loss(flow, t)), True),
        "loss_modes": (lambda: f(plot_loss_modes(t, 0.5 * lam * np.exp(-np.outer(t, lam)),
                                                 lam)), True),
        "params": (lambda: f(plot_params(flow, t)), True),
        "four_views": (lambda: plot_four_views(four_views(
            X, Y, np.zeros(2), 2.0 * np.eye(2), band_times=(0.0, 0.4, 2.0, 20.0),
            n_samples=10, extent=(-4.0, 4.0, -4.0, 4.0))), False),
        "landscape": (lambda: f(landscape()), False),
        "descent": (lambda: f(plot_descent_vs_flow(
            surface, flow, gradient_descent(X, Y, PHI0, 0.4, 15), 0.4)), True),
        "rates": (lambda: f(gp.plot_modified_rates(
            np.linspace(0, 0.99, 100), -np.log1p(-np.linspace(1e-9, 0.99, 100))
            / np.linspace(1e-9, 0.99, 100), 1 + np.linspace(0, 0.99, 100) / 2,
            marks=[(0.37, 1.25, "lr = 0.1"), (0.74, 1.82, "lr = 0.2")])), True),
        "ml_map": (lambda: plot_ml_map(surface, X, Y, PHI_ML, 0.9 * PHI_ML), True),
        "paths": (lambda: f(plot_paths_vs_ridge(surface, ridge, [(flow.params(t), "flow")],
                                                marks=[(PHI_ML, "ML", "ml")])), True),
        "filters": (lambda: f(plot_filters(lam, 1 / 60)), True),
        "distance": (lambda: f(plot_distance_over_time(
            t[1:], [(1 / t[1:], "a"), (2 / t[1:], "b")], minima=[(1.0, 1.0), (2.0, 1.0)],
            vline=(5.0, "t = 5"))), True),
        "risk": (lambda: plot_risk_ratio(np.geomspace(1e-2, 1e3, 30), *risk, AKT_CONSTANT),
                 True),
        "band": (lambda: f(plot_prediction_band(*band, sigma_sq=0.05, data=(xs, ys))), True),
        "grid6": (lambda: plot_prediction_grid(
            x, np.tile(band[1], (6, 1)), np.tile(band[2], (6, 1)), list("abcdef"),
            sigma_sq=0.05, data=(xs, ys)), True),
        "grid4": (lambda: plot_prediction_grid(
            x, np.tile(band[1], (4, 1)), np.tile(band[2], (4, 1)), list("abcd"),
            data=(xs, ys), ncols=4, panel_size=(2.5, 2.2)), True),
        "grid2": (lambda: plot_prediction_grid(
            x, np.tile(band[1], (2, 1)), np.tile(band[2], (2, 1)), ["flow", "posterior"],
            data=(xs, ys), ncols=2, color=[COLORS["flow"], COLORS["map"]],
            panel_size=(4.2, 3.0)), True),
        "spread": (lambda: f(plot_spread_over_time(
            t, np.exp(-np.outer(t, [0.2, 0.3, 0.25, 0.1])),
            ["x = 0", "x = 0.5", "x = 1", "x = 2"])), True),
        "mode_variances": (lambda: f(gp.plot_mode_variances(
            t, 2 * decay[:, :2] ** 2, np.array([0.3, 0.01]), ["slow", "fast"],
            np.array([6.4, 0.6]))), True),
        "eigenfunctions": (lambda: gp.plot_eigenfunctions(
            x, np.cos(np.outer(x, np.arange(6))), np.geomspace(18, 0.8, 6), x_data=xs), False),
        "mode_residuals": (lambda: f(gp.plot_mode_residuals(
            t[1:], decay[1:], np.array([6.47, 0.251, 0.029]))), False),
        "fits_over_time": (lambda: f(gp.plot_fits_over_time(
            x, np.outer([0.1, 0.5, 0.9, 1.0], np.sin(x)), np.array([0.01, 0.1, 1.0, 10.0]),
            data=(xs, ys), target=np.sin(x))), False),
        "functions": (lambda: f(gp.plot_functions(
            x, [np.sin(x), np.cos(x)], ["a", "b"], data=(xs, ys), target=np.sin(x),
            span=(0.0, 1.0))), True),
        "held_out": (lambda: f(gp.plot_held_out_error(
            t[1:], 0.1 + 1 / t[1:], 1 / t[1:], 0.1 + 1.2 / t[1:], best=(5.0, 0.3),
            noise_floor=0.1)), True),
        "mode_filters": (lambda: f(gp.plot_mode_filters(
            np.geomspace(1e-3, 10, 8), np.vstack([np.linspace(0, 1, 8),
                                                  np.linspace(0, 0.9, 8)]),
            ["flow", "ridge"])), True),
        "kernel_gap": (lambda: f(gp.plot_kernel_gap([gap, gap], ["ReLU", "Fourier"])), True),
        "network_functions": (lambda: gp.plot_network_functions(
            3 * x - 1.5, [np.outer([1, -1, 0.5], x)] * 3,  # on [-3, 3] (fig-ntk-functions)
            ["D = 10", "D = 100", "D = 10000"],
            data=(xs, ys), ylim=(-3.5, 3.5)), False),
        "kernel_maps": (lambda: gp.plot_kernel_maps(
            x, [np.outer(x, x) + 2, np.outer(x, x) + 1], ["NTK", "NNGP"]), False),
        "width_scaling": (lambda: f(gp.plot_width_scaling(
            np.array([10.0, 100, 1000]), [np.array([1, 0.3, 0.1]) * s for s in (1, 0.5, 0.8, 0.3,
                                                                              0.2)],
            list("abcde"))), True),  # five series, as fig-ntk-lazy-scaling
        "network_vs_linear": (lambda: f(gp.plot_network_vs_linear(
            x, np.outer([1.0, 0.5, 0.2], np.sin(x)), np.outer([1.0, 0.5, 0.2], np.sin(x)),
            np.array([0.0, 2.0, 10.0]), data=(xs, ys), ylim=(-1, 1))), False),
        "outputs_over_time": (lambda: f(gp.plot_outputs_over_time(
            t, 1 - decay, Y)), True),
        "residual_modes": (lambda: f(gp.plot_residual_modes(
            t, decay + 1e-5, decay, np.array([6.47, 0.251, 0.029]))), True),
        "loss_curves": (lambda: f(gp.plot_loss_curves(
            np.arange(61.0), [np.exp(-np.arange(61.0) / 9), np.exp(np.arange(61.0) / 9)],
            ["network", "linearization"], styles=["-", "--"])), True),
        "ntk_band": (lambda: f(gp.plot_ntk_band(
            *band, data=(xs, ys), samples=(np.array([0.0, 0.5]), np.array([0.0, 0.1]),
                                           np.array([0.2, 0.3]), 400), ylim=(-2, 2))), True),
        "function_curves": (lambda: f(gp.plot_function_curves(
            x, [np.sin(x), np.cos(x), x], ["a", "b", "c"], data=(xs, ys),
            styles=["-", "--", ":"])), True),
    }


_SCREEN = _screen_figures()
SCREEN_FIGURES = sorted(_SCREEN)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n == "four_views"
                                  else n for n in SCREEN_FIGURES])
def test_figure_reads_on_a_phone_and_a_desktop(name):
    """At most two panel columns, no wider than the desktop column, text at least the
    body's small text at 1280 px and 8 px at 390 px, no legend over a panel, no two texts
    overlapping, and category colours told apart under every kind of colour vision."""
    gp.apply_style()
    draw, categories = _SCREEN[name]
    fig = draw()
    natural = _natural_px(fig)  # draws once: the layout is final from here
    problems = _small_text(fig, natural) + _covered(fig) + _collisions(fig)
    if _columns(fig) > 2:
        problems.append(f"{_columns(fig)} columns of panels")
    if natural > COLUMN_PX[1280]:
        problems.append(f"{natural:.0f} px wide, scaled down on a desktop")
    if categories:
        for ax in fig.axes:
            shown = [ln.get_color() for ln in ax.get_lines()
                     if not ln.get_label().startswith("_") and to_hex(ln.get_color()) != "#ffffff"]
            problems += _too_close(shown)
    assert problems == [], f"{name}: " + "; ".join(problems[:6])


def test_the_screen_checks_catch_what_they_are_for():
    """Each check fails on a figure with the defect it names (the figures before issue 19)."""
    gp.apply_style()
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.9))  # fig. 3.3 before: three columns
    fig.canvas.draw()
    assert _columns(fig) == 3 and _natural_px(fig) > COLUMN_PX[1280]
    for ax in axes:
        ax.plot([0, 1], [0, 1], label="line")
    assert _small_text(fig)  # 11 pt scaled from ~1050 px to 342 px on a phone
    plt.rcParams["legend.fontsize"] = 8  # the legends of about 7 px
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    ax.plot([0, 1], [0, 1], label="line")
    ax.legend(loc="upper left")  # over the panel (figs. 4.2, 4.6, 8.6)
    assert any("px at 1280" in p for p in _small_text(fig))
    assert _covered(fig)
    gp.apply_style()
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    ax.annotate("one", (0.5, 0.5))
    ax.annotate("two", (0.5, 0.5), xytext=(4, 0), textcoords="offset points")  # fig. 3.4
    assert _collisions(fig)
    # two panels side by side with shared tick labels touching (fig. 3.3's "1.0 -1.0")
    fig, axes = plt.subplots(1, 2, figsize=(3.0, 2.0), gridspec_kw={"wspace": 0.0})
    assert _collisions(fig)
