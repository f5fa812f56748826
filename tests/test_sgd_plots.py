"""The SGD chapter's figures (gflow_lib.plotting.sgd): they draw what they are given, keep
legends off the panels, use at most two panel columns, and draw a covariance's ellipse with
that covariance. Each check seen failing under a mutation (legends moved inside the axes;
the ellipse drawn with its axes swapped)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gflow_lib.data import running_example  # noqa: E402
from gflow_lib.plotting import apply_style  # noqa: E402
from gflow_lib.plotting import sgd as P  # noqa: E402
from gflow_lib.sgd import sgd_moments, sgd_simulate  # noqa: E402

X, Y, PHI0 = running_example()


@pytest.fixture(autouse=True)
def _style():
    apply_style()
    yield
    plt.close("all")


def _spread():
    mean, cov = sgd_moments(X, Y, PHI0, 0.1, 10)
    runs = sgd_simulate(X, Y, PHI0, 0.1, 10, n_runs=50, seed=0)
    return P.plot_sgd_spread(mean, cov, runs, [2, 10])[0].figure


FIGURES = {
    "spread": _spread,
    "thresholds": lambda: P.plot_sgd_thresholds([1, 2, 4], [0.4, 0.5, 0.52],
                                                [0.4, 0.5, np.nan], 0.54).figure,
    "shapes": lambda: P.plot_crowd_shapes({"a": np.array([[0.04, 0.01], [0.01, 0.02]]),
                                           "b": np.eye(2)}, np.array([0.6, -0.2])).figure,
    "size": lambda: P.plot_crowd_size([0.01, 0.1], [1e-4, 1e-3], [1e-4, 9e-4], 0.5).figure,
    "rr": lambda: P.plot_rr_errors([0.01, 0.02], {"x": [1e-4, 4e-4], "y": [1e-5, 8e-5]}).figure,
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_legends_are_off_the_panels_and_at_most_two_columns(name):
    fig = FIGURES[name]()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend()
        assert legend is not None
        box = legend.get_window_extent(renderer).shrunk(0.99, 0.99)
        assert not any(box.overlaps(other.bbox) for other in fig.axes), name
    assert len({round(ax.get_position().x0, 2) for ax in fig.axes}) <= 2
    assert fig.get_size_inches()[0] <= 6.2 + 1e-9


def test_what_is_drawn_is_what_was_given():
    mean, cov = sgd_moments(X, Y, PHI0, 0.1, 10)
    runs = sgd_simulate(X, Y, PHI0, 0.1, 10, n_runs=50, seed=0)
    left, right = P.plot_sgd_spread(mean, cov, runs, [2, 10])
    line = next(ln for ln in left.get_lines() if ln.get_label() == "exact mean")
    np.testing.assert_array_equal(line.get_xdata(), mean[:, 1])  # intercept across
    np.testing.assert_array_equal(line.get_ydata(), mean[:, 0])
    slope = next(ln for ln in right.get_lines() if ln.get_label() == "slope")
    np.testing.assert_allclose(slope.get_ydata(), np.sqrt(cov[:, 0, 0]))
    ax = P.plot_sgd_thresholds([1, 2], [0.4, 0.5], [0.41, 0.52], 0.54)
    ys = {ln.get_label(): list(ln.get_ydata()) for ln in ax.get_lines()}
    assert ys["with replacement"] == [0.4, 0.5] and ys["distinct points"] == [0.41, 0.52]


def test_the_ellipse_has_the_covariance_it_draws():
    """Points equally spaced in angle on the 1-sd ellipse have covariance C / 2. Seen failing
    with the axes swapped (slope drawn across)."""
    C = np.array([[0.04, 0.015], [0.015, 0.01]])
    x, y = P._ellipse(C, np.zeros(2), n_sd=1.0, n=4001)
    pts = np.vstack([y[:-1], x[:-1]])  # (slope, intercept)
    np.testing.assert_allclose(2 * np.cov(pts, bias=True), C, rtol=1e-9, atol=1e-12)
