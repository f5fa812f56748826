"""The figures of the chapter on deep linear networks (issue 22): they draw what they are
given, keep legends off the panels, text at the book's size and at most two columns, and name
bad shapes. The layout checks are the ones tests/test_plotting.py applies to every figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_plotting import _collisions, _columns, _covered, _small_text  # noqa: E402

from gflow_lib import deep_linear_half_times, deep_linear_strength  # noqa: E402
from gflow_lib.plotting import apply_style  # noqa: E402
from gflow_lib.plotting.deep_linear import (  # noqa: E402
    plot_alpha_sweep,
    plot_interpolant_path,
    plot_kernel_change,
    plot_mode_strengths,
)

S = np.array([3.0, 2.0, 0.5])
T = np.linspace(0, 10, 51)


@pytest.fixture(autouse=True)
def _style():
    apply_style()
    yield
    plt.close("all")


def _strengths():
    u = deep_linear_strength(S, 1e-3, T)
    return plot_mode_strengths(T, u, S, deep_linear_half_times(S, 1e-3),
                               others=[("one matrix", u * 0.9)],
                               loss=[("two layers", 0.5 * ((S - u) ** 2).sum(1))])


ALPHAS = np.logspace(1, -4, 11)
BETAS = np.outer(1 - ALPHAS / 10, [2.0, 0.0, -1.0])
FIGURES = {
    "strengths": _strengths,
    "kernel": lambda: plot_kernel_change(
        np.array([10.0, 100, 1000]), [np.array([1.0, 0.3, 0.1]), np.array([0.5, 0.5, 0.4])],
        ["a", "b"], "width $D$", "change", slope=-0.5).figure,
    "path": lambda: plot_interpolant_path(ALPHAS, BETAS, BETAS[0], BETAS[-1],
                                          np.array([2.0, 0.0, -1.0])).figure,
    "sweep": lambda: plot_alpha_sweep(ALPHAS, [("network", ALPHAS), ("min-l2", 4.0)],
                                      1 / ALPHAS),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FIGURES))
def test_layout_is_readable_on_a_phone(name):
    fig = FIGURES[name]()
    fig.canvas.draw()
    assert not _covered(fig) and not _small_text(fig) and not _collisions(fig)
    assert _columns(fig) <= 2


def test_what_is_drawn_is_what_was_given():
    u = deep_linear_strength(S, 1e-3, T)
    fig = plot_mode_strengths(T, u, S)
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == "-"
             and len(ln.get_xdata()) == T.size]
    np.testing.assert_array_equal(lines[0].get_ydata(), u[:, 0])
    assert len(fig.axes) == 1
    ax = plot_kernel_change([1.0, 2.0], [np.array([3.0, 4.0])], ["x"], "a", "b")
    assert ax.get_xscale() == ax.get_yscale() == "log"
    fig = plot_alpha_sweep([1.0, 0.1], [("e", np.array([1.0, 0.5]))], [1.0, 2.0])
    assert fig.axes[0].get_xlim()[0] > fig.axes[0].get_xlim()[1]  # shrinking to the right


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="strengths must have one row per time"):
        plot_mode_strengths(T, np.zeros((3, T.size)), S)
    with pytest.raises(ValueError, match="series must be arrays of shape"):
        plot_kernel_change([1.0, 2.0], [np.ones(3)], ["a"], "x", "y")
