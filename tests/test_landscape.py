"""The loss landscape helpers, against brute force (their figures: test_plotting.py)."""

from __future__ import annotations

import numpy as np
import pytest

from gflow_lib import LinearFlow
from gflow_lib.data import running_example
from gflow_lib.landscape import eigen_coordinates, loss_along, loss_grid


def _brute_loss(X, y, phi):
    return 0.5 * sum((X[:, i] @ phi - y[i]) ** 2 for i in range(X.shape[1]))


def test_loss_grid_matches_brute_force_and_orientation():
    X, y, _ = running_example()
    slopes, intercepts = np.linspace(-1, 1, 5), np.linspace(-1, 1, 7)
    G = loss_grid(X, y, slopes, intercepts)
    assert G.shape == (5, 7)
    for i, s in enumerate(slopes):
        for j, c in enumerate(intercepts):
            assert np.isclose(G[i, j], _brute_loss(X, y, np.array([s, c])))


def test_loss_along_matches_the_flow_and_notes():
    X, y, phi0 = running_example()
    flow = LinearFlow(X, y, phi0)
    t = np.array([0.0, 0.1, 0.3, 2.0, 19.99])
    got = loss_along(X, y, flow.params(t))
    assert np.allclose(got, [_brute_loss(X, y, p) for p in flow.params(t)])
    # reference numbers (tests/reference/README.md)
    assert np.allclose(got, [0.4843, 0.243477, 0.072522, 0.014987, 0.004420], atol=6e-7)
    assert isinstance(loss_along(X, y, phi0), float)


def test_loss_along_a_diverged_path_is_infinite():
    X, y, phi0 = running_example()
    P = np.array([phi0, [np.inf, 0.0]])
    assert np.isinf(loss_along(X, y, P)[1])


def test_eigen_coordinates_decay_at_their_own_rates():
    X, y, phi0 = running_example()
    flow = LinearFlow(X, y, phi0)
    t = np.array([0.0, 0.5, 2.0])
    lam, vecs, c = eigen_coordinates(X, y, flow.params(t))
    assert np.allclose(lam, [0.151837, 3.688163], atol=1e-6)  # tests/reference/README.md
    assert np.allclose(vecs.T @ vecs, np.eye(2))
    assert np.all(vecs[np.argmax(np.abs(vecs), axis=0), [0, 1]] > 0)  # reproducible signs
    # Each coordinate decays like exp(-lambda t): independent of the flow's own formula,
    # the reference is the distance to the ML solution (0.625, -0.175) of tests/reference/README.md.
    c0 = vecs.T @ (phi0 - np.array([0.625, -0.175]))
    assert np.allclose(c, np.exp(-np.outer(t, lam)) * c0, atol=1e-9)


@pytest.mark.parametrize("func", [loss_along, eigen_coordinates])
def test_path_helpers_reject_bad_input(func):
    X, y, phi0 = running_example()
    with pytest.raises(ValueError, match="params"):
        func(X, y, np.ones((4, 3)))
    with pytest.raises(ValueError, match="params"):
        func(X, y, np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match="transposed"):
        func(X.T.copy(), y, phi0)
    with pytest.raises(TypeError, match="params"):
        func(X, y, "phi")
