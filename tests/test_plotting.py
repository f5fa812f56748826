"""Smoke-level but real checks of the figures of the first chapters (Agg backend): each
function runs, draws the expected artists, and its axis limits hold what it draws."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402

from gflow_lib import LinearFlow  # noqa: E402
from gflow_lib.plotting import (  # noqa: E402
    COLORS,
    plot_data,
    plot_fits,
    plot_four_views,
    plot_loss,
    plot_loss_modes,
    plot_outputs,
    plot_params,
    plot_residuals,
)

X = np.vstack([[0.2, 0.4, 0.8], np.ones(3)])
Y = np.array([-0.1, 0.15, 0.3])
PHI0 = np.array([-0.05, -0.4])
T = np.linspace(0.0, 20.0, 200, endpoint=False)


@pytest.fixture
def flow():
    return LinearFlow(X, Y, PHI0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _inside(ax, xs, ys):
    x0, x1 = sorted(ax.get_xlim())
    y0, y1 = sorted(ax.get_ylim())
    xs, ys = np.asarray(xs), np.asarray(ys)
    return np.all((xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1))


def test_plot_data_shows_every_point_in_the_notebook_window():
    ax = plot_data(X, Y)
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets, np.column_stack([X[0], Y]))
    assert ax.get_xlim() == (0.0, 1.0) and ax.get_ylim() == (-0.5, 0.5)
    assert _inside(ax, X[0], Y)
    assert len(ax.texts) == 3  # one label per point
    assert "x" in ax.get_xlabel() and "y" in ax.get_ylabel()


def test_plot_data_widens_to_hold_outlying_points():
    ax = plot_data(np.vstack([[-0.5, 2.0], np.ones(2)]), [3.0, -1.0], annotate=False)
    assert _inside(ax, [-0.5, 2.0], [3.0, -1.0])
    assert not ax.texts


def test_plot_data_uses_the_given_axes():
    _, ax = plt.subplots()
    assert plot_data(X, Y, ax=ax) is ax


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
    assert curve.get_ydata()[0] == pytest.approx(0.4843, abs=5e-5)  # NOTES.md
    y0, y1 = ax.get_ylim()
    assert y0 == 0.0 and y1 >= 0.4843  # no clipping (the notebook clipped at 0.25)
    assert ax.get_lines()[1].get_ydata()[0] == pytest.approx(0.004375, abs=5e-7)


def test_plot_loss_modes_slopes_are_minus_two_lambda(flow):
    ax = plot_loss_modes(flow, T)
    assert ax.get_yscale() == "log"
    lines = ax.get_lines()
    assert len(lines) == 3  # total and two modes
    total = lines[0].get_ydata()
    np.testing.assert_allclose(lines[1].get_ydata() + lines[2].get_ydata(), total, rtol=1e-9)
    for line, lam in zip(lines[1:], (0.151837, 3.688163), strict=True):
        t, v = line.get_xdata(), line.get_ydata()
        slope = (np.log(v[10]) - np.log(v[0])) / (t[10] - t[0])
        assert slope == pytest.approx(-2 * lam, rel=1e-5)
    assert ax.get_ylim()[1] >= total.max()


def test_plot_params_lines_and_limits(flow):
    ax = plot_params(flow, T)
    lines = ax.get_lines()
    assert len(lines) == 4
    np.testing.assert_allclose(lines[0].get_ydata()[0], PHI0[0])
    np.testing.assert_allclose(lines[1].get_ydata()[0], PHI0[1])
    np.testing.assert_allclose([lines[2].get_ydata()[0], lines[3].get_ydata()[0]],
                               [0.625, -0.175], atol=1e-12)  # ML of NOTES.md
    assert lines[0].get_color() == COLORS["slope"]
    lo, hi = ax.get_ylim()
    assert lo <= -0.4 and hi >= 0.625


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


def test_plot_four_views_layout():
    fig = plot_four_views(X, Y, PHI0, n_samples=10, band_times=(0.0, 0.4, 2.0))
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


def test_plot_four_views_is_reproducible():
    a = plot_four_views(X, Y, PHI0, n_samples=5, seed=3).axes[2].get_lines()[0].get_xdata()
    b = plot_four_views(X, Y, PHI0, n_samples=5, seed=3).axes[2].get_lines()[0].get_xdata()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: plot_outputs("flow", T), TypeError, "flow must be a gflow_lib.LinearFlow"),
        (lambda: plot_loss(LinearFlow(X, Y, PHI0), -T - 1), ValueError, "t must be non-negative"),
        (lambda: plot_data(np.ones((3, 3)), Y), ValueError, "X must have 2 rows"),
        (lambda: plot_data(X, [1.0, 2.0]), ValueError, "y must have length 3"),
        (lambda: plot_four_views(X, Y, [1.0, 2.0, 3.0]), ValueError, "phi0 must have length 2"),
        (lambda: plot_four_views(X, Y, PHI0, prior_cov=-np.eye(2)), ValueError,
         "positive semidefinite"),
    ],
)
def test_bad_input(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_plot_fits_residual_segments(flow):
    ax = plot_fits(flow, [0.0], residuals=True)
    segs = [c for c in ax.collections if hasattr(c, "get_segments")]
    assert len(segs) == 1 and len(segs[0].get_segments()) == 3
    f0 = X.T @ PHI0
    for seg, fi, yi in zip(segs[0].get_segments(), f0, Y, strict=True):
        np.testing.assert_allclose(sorted(seg[:, 1]), sorted([fi, yi]))
    assert _inside(ax, X[0], f0)
