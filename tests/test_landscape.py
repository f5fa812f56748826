"""The loss landscape helpers and its figures, against brute force."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gflow_lib import LinearFlow  # noqa: E402
from gflow_lib.data import seed_data  # noqa: E402
from gflow_lib.landscape import eigen_coordinates, loss_along, loss_grid  # noqa: E402
from gflow_lib.plotting import (  # noqa: E402
    plot_descent_vs_flow,
    plot_eigen_directions,
    plot_fitted_lines,
    plot_landscape,
    plot_path,
)


def _brute_loss(X, y, phi):
    return 0.5 * sum((X[:, i] @ phi - y[i]) ** 2 for i in range(X.shape[1]))


def test_loss_grid_matches_brute_force_and_orientation():
    X, y, _ = seed_data()
    slopes, intercepts = np.linspace(-1, 1, 5), np.linspace(-1, 1, 7)
    G = loss_grid(X, y, slopes, intercepts)
    assert G.shape == (5, 7)
    for i, s in enumerate(slopes):
        for j, c in enumerate(intercepts):
            assert np.isclose(G[i, j], _brute_loss(X, y, np.array([s, c])))


def test_loss_along_matches_the_flow_and_notes():
    X, y, phi0 = seed_data()
    flow = LinearFlow(X, y, phi0)
    t = np.array([0.0, 0.1, 0.3, 2.0, 19.99])
    got = loss_along(X, y, flow.params(t))
    assert np.allclose(got, [_brute_loss(X, y, p) for p in flow.params(t)])
    # NOTES.md reference numbers
    assert np.allclose(got, [0.4843, 0.243477, 0.072522, 0.014987, 0.004420], atol=6e-7)
    assert isinstance(loss_along(X, y, phi0), float)


def test_loss_along_a_diverged_path_is_infinite():
    X, y, phi0 = seed_data()
    P = np.array([phi0, [np.inf, 0.0]])
    assert np.isinf(loss_along(X, y, P)[1])


def test_eigen_coordinates_decay_at_their_own_rates():
    X, y, phi0 = seed_data()
    flow = LinearFlow(X, y, phi0)
    t = np.array([0.0, 0.5, 2.0])
    lam, vecs, c = eigen_coordinates(X, y, flow.params(t))
    assert np.allclose(lam, [0.151837, 3.688163], atol=1e-6)  # NOTES.md
    assert np.allclose(vecs.T @ vecs, np.eye(2))
    assert np.all(vecs[np.argmax(np.abs(vecs), axis=0), [0, 1]] > 0)  # reproducible signs
    # Each coordinate decays like exp(-lambda t): independent of the flow's own formula,
    # the reference is the distance to the ML solution (0.625, -0.175) of NOTES.md.
    c0 = vecs.T @ (phi0 - np.array([0.625, -0.175]))
    assert np.allclose(c, np.exp(-np.outer(t, lam)) * c0, atol=1e-9)


@pytest.mark.parametrize("func", [loss_along, eigen_coordinates])
def test_path_helpers_reject_bad_input(func):
    X, y, phi0 = seed_data()
    with pytest.raises(ValueError, match="params"):
        func(X, y, np.ones((4, 3)))
    with pytest.raises(ValueError, match="params"):
        func(X, y, np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match="transposed"):
        func(X.T.copy(), y, phi0)
    with pytest.raises(TypeError, match="params"):
        func(X, y, "phi")


def test_plot_landscape_draws_and_keeps_old_signature():
    X, y, phi0 = seed_data()
    fig, ax = plt.subplots()
    out = plot_landscape(X, y, ax, (-1.0, 1.0, -1.0, 1.0), 41, 10)  # old positional call
    assert out is ax
    assert ax.get_ylim() == (1.0, -1.0)  # slope pointing down
    plot_landscape(X, y, ax=ax, n=31, gamma=1.0, colorbar=True)
    plot_path(np.array([phi0, [0.6, -0.2]]), ax, label="p", marker_end=True)
    plt.close(fig)
    with pytest.raises(ValueError, match="gamma"):
        plot_landscape(X, y, gamma=2.0)


def test_landscape_colours_follow_the_loss():
    """The darkest filled level sits at the minimum (the ML solution of NOTES.md)."""
    X, y, _ = seed_data()
    fig, ax = plt.subplots()
    plot_landscape(X, y, ax=ax, n=81)
    cs = ax.collections[0]
    assert cs.levels[0] == pytest.approx(loss_grid(X, y, np.linspace(-1, 1, 81),
                                                   np.linspace(-1, 1, 81)).min())
    plt.close(fig)


def test_eigen_direction_arrows_point_along_eigenvectors():
    X, y, phi0 = seed_data()
    fig, ax = plt.subplots()
    plot_landscape(X, y, ax=ax, n=21)
    plot_eigen_directions(X, y, ax, away=phi0, length=0.3)
    arrows = [a for a in ax.texts if a.arrow_patch is not None]
    assert len(arrows) == 2
    A = X @ X.T
    for a in arrows:
        (c1, s1), (c0, s0) = a.xy, a.xyann
        d = np.array([s1 - s0, c1 - c0])
        assert np.isclose(np.linalg.norm(d), 0.3)
        Ad = A @ d
        assert np.isclose(Ad[0] * d[1] - Ad[1] * d[0], 0.0, atol=1e-12)  # an eigenvector of A
        assert d @ (phi0 - np.array([0.625, -0.175])) < 0  # away from the start
    labels = " ".join(t.get_text() for t in ax.texts)
    assert "slow" in labels and "fast" in labels and "0.152" in labels and "3.688" in labels
    plt.close(fig)
    with pytest.raises(ValueError, match="scaling"):
        plot_eigen_directions(X, y, ax, scaling="log")


def test_fitted_lines_pass_through_the_flow():
    X, y, phi0 = seed_data()
    flow = LinearFlow(X, y, phi0)
    fig, ax = plt.subplots()
    plot_fitted_lines(flow, [0.0, 0.3, 2.0], ax=ax)
    lines = [ln for ln in ax.lines if ln.get_label().startswith("t = ")]
    assert len(lines) == 3
    # NOTES.md: phi0, phi(0.3) and phi(2) as (slope, intercept)
    want = [(-0.05, -0.4), (0.117768, -0.109822), (0.289343, -0.010358)]
    for line, (s, c) in zip(lines, want, strict=True):
        xs, f = line.get_data()
        assert np.allclose(f, s * xs + c, atol=1e-6)
    plt.close(fig)
    with pytest.raises(TypeError, match="LinearFlow"):
        plot_fitted_lines(phi0, [0.0])
    with pytest.raises(ValueError, match="times"):
        plot_fitted_lines(flow, [-1.0])


def test_descent_vs_flow_draws_both():
    X, y, phi0 = seed_data()
    fig, ax = plt.subplots()
    plot_descent_vs_flow(X, y, phi0, 0.45, 12, ax=ax)
    labels = [ln.get_label() for ln in ax.lines]
    assert "flow" in labels and "descent" in labels
    assert ax.get_title() == "lr = 0.45"
    plt.close(fig)
    with pytest.raises(ValueError, match="n_steps"):
        plot_descent_vs_flow(X, y, phi0, 0.1, 0)
