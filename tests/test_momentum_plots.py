"""The momentum chapter's figures (gflow_lib.plotting.momentum): each draws what it is given,
at most two panels wide, legends outside the axes, and names bad input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gflow_lib import Descent, HeavyBall, Spectrum  # noqa: E402
from gflow_lib.data import running_example  # noqa: E402
from gflow_lib.landscape import loss_grid  # noqa: E402
from gflow_lib.momentum import heavy_ball_rate  # noqa: E402
from gflow_lib.plotting.momentum import (  # noqa: E402
    METHOD_COLORS,
    plot_curves,
    plot_method_paths,
    plot_mode_decay,
    plot_stability_region,
)

X, Y, PHI0 = running_example()
S = Spectrum(X, Y)
GRID = np.linspace(-1.0, 1.0, 41)
SURFACE = (GRID, GRID, loss_grid(X, Y, GRID, GRID))


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _legend_outside(ax):
    """The legend's box does not overlap the axes' box."""
    fig = ax.figure
    fig.canvas.draw()
    legend = ax.get_legend() or fig.legends[0]
    box = legend.get_window_extent()
    return not box.overlaps(ax.get_window_extent())


def test_stability_region_draws_both_edges_on_a_log_axis():
    lrs, betas = np.geomspace(0.01, 30, 50), np.linspace(0, 0.99, 40)
    rate = heavy_ball_rate(S, lrs[None, :], betas[:, None])
    ax = plot_stability_region(lrs, betas, rate, S.lam, optimum=(0.75, 0.44))
    assert ax.get_xscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert sum(label.startswith("edge") for label in labels) == 2
    for lam in S.lam:  # the edge lr = 2 (1 + beta) / lam is drawn where it should be
        assert any(np.allclose(line.get_xdata(), 2 * (1 + betas) / lam) for line in ax.get_lines())
    assert _legend_outside(ax)
    with pytest.raises(ValueError, match=r"rate must have shape \(len\(betas\), len\(lrs\)\)"):
        plot_stability_region(lrs, betas, rate.T, S.lam)


def test_method_paths_draw_each_path_in_its_colour_with_the_legend_below():
    k = np.arange(20)
    paths = [("descent", S.path(Descent(0.5), PHI0).params(k)),
             ("heavy ball", S.path(HeavyBall(0.7, 0.4), PHI0).params(k))]
    ax = plot_method_paths(SURFACE, paths, marks=[("star", (0.6, -0.2), "*")])
    drawn = {line.get_label(): line for line in ax.get_lines()}
    for label, params in paths:
        line = drawn[label]
        assert line.get_color() == METHOD_COLORS[label]
        assert np.allclose(line.get_xdata(), params[:, 1])  # intercept across
        assert np.allclose(line.get_ydata(), params[:, 0])  # slope up
    assert _legend_outside(ax)
    with pytest.raises(ValueError, match=r"each path must have shape \(T, 2\); got \(20,\)"):
        plot_method_paths(SURFACE, [("descent", np.zeros(20))])


def test_mode_decay_has_one_panel_per_mode_at_most_two_wide():
    k = np.arange(30)
    values = np.abs(S.coords(S.path(HeavyBall(0.7, 0.4), PHI0).params(k)) - S.solution_coords)
    axes = plot_mode_decay(k, [("heavy ball", values)])
    assert len(axes) == 2 and axes[0].get_yscale() == "log"
    assert axes[0].figure.get_size_inches()[0] <= 6.5
    assert np.allclose(axes[1].get_lines()[0].get_ydata(), values[:, 1])
    with pytest.raises(ValueError, match=r"each curve must have shape \(30, 2\)"):
        plot_mode_decay(k, [("heavy ball", values[:, :1])])


def test_curves_take_their_own_points_and_a_log_axis():
    x = np.linspace(0, 1, 11)
    ax = plot_curves(x, [("a", x**2), ("b", x[::2], x[::2], "o")], logy=True)
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 2
    assert np.allclose(ax.get_lines()[1].get_xdata(), x[::2])
    assert _legend_outside(ax)
    assert all(t.get_fontsize() >= 10.5 for t in ax.get_legend().get_texts())
    with pytest.raises(ValueError, match=r"curve 'a' has shape \(3,\); expected \(11,\)"):
        plot_curves(x, [("a", x[:3])])


# ------------------------------------------------- the chapter's figures on every screen
def _chapter_figures():
    """Each figure of the chapter drawn as the chapter draws it (fewer points)."""
    k = np.arange(31)
    paths = {name: S.path(f, PHI0).params(k) for name, f in
             [("descent", Descent(0.52)), ("heavy ball", HeavyBall(0.75, 0.44)),
              ("too much momentum", HeavyBall(0.75, 0.9)), ("Nesterov", HeavyBall(0.27, 0.5))]}

    def region():
        lrs, betas = np.geomspace(0.01, 30, 60), np.linspace(0, 0.99, 40)
        rate = heavy_ball_rate(S, lrs[None, :], betas[:, None])
        return plot_stability_region(lrs, betas, rate, S.lam, optimum=(0.75, 0.44)).figure

    def two_maps():
        fig, axes = plt.subplots(1, 2, figsize=(6.2, 4.2), sharey=True, layout="constrained")
        for ax, names in zip(axes, [["descent", "heavy ball"],
                                    ["too much momentum", "Nesterov"]], strict=True):
            plot_method_paths(SURFACE, [(n, paths[n]) for n in names], ax=ax)
        axes[1].set_ylabel("")
        return fig

    def decay():
        c = {n: np.abs(S.coords(p) - S.solution_coords) for n, p in paths.items()}
        return plot_mode_decay(k, list(c.items()))[0].figure

    def curves():
        t = np.linspace(0, 30, 61)
        return plot_curves(t, [("gradient flow", np.exp(-t / 5), "--"),
                               ("under-damped", np.cos(t) * np.exp(-t / 9), "-"),
                               ("critical", np.exp(-t / 3), "-"),
                               ("over-damped", np.exp(-t / 12), "-")],
                           xlabel="time t", ylabel="slow mode's $p(t)$").figure

    def one_map():
        return plot_method_paths(SURFACE, [("flow", paths["descent"]),
                                           ("Newton", paths["heavy ball"])],
                                 marks=[("minimum norm", (0.6, -0.2), "o")]).figure

    return {"region": region, "two_maps": two_maps, "decay": decay, "curves": curves,
            "one_map": one_map}


@pytest.mark.slow  # up to 5 s a figure: the colour and collision checks
@pytest.mark.parametrize("name", list(_chapter_figures()))
def test_chapter_figure_reads_on_a_phone_and_a_desktop(name):
    """The book's screen checks (tests/test_plotting.py): at most two panel columns, no wider
    than the desktop column, text large enough at 1280 and 390 px, no legend over a panel,
    no colliding texts, and distinct method colours."""
    from matplotlib.colors import to_hex
    from test_plotting import (
        COLUMN_PX,
        _collisions,
        _columns,
        _covered,
        _natural_px,
        _small_text,
        _too_close,
    )

    from gflow_lib.plotting import apply_style

    apply_style()
    fig = _chapter_figures()[name]()
    natural = _natural_px(fig)
    problems = _small_text(fig, natural) + _covered(fig) + _collisions(fig)
    if _columns(fig) > 2:
        problems.append(f"{_columns(fig)} columns of panels")
    if natural > COLUMN_PX[1280]:
        problems.append(f"{natural:.0f} px wide, scaled down on a desktop")
    for ax in fig.axes:
        shown = [ln.get_color() for ln in ax.get_lines()
                 if not ln.get_label().startswith("_") and to_hex(ln.get_color()) != "#ffffff"]
        problems += _too_close(shown) if len(set(shown)) > 1 else []
    assert problems == [], f"{name}: " + "; ".join(problems[:6])
