"""Tests of the exercise checks of the chapters on wide networks.

The reference solutions here are written independently: the empirical NTK as the product of
Jacobians taken by central differences of the network, and the last layer's flow by the
matrix exponential of the linear model (scipy.linalg.expm). Each typical mistake is a small
variation of them. What every check shares is tested in test_checks_harness.py."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from gflow_lib.checks import check_empirical_ntk, check_last_layer


def net(W, v, beta, x):
    return beta + np.maximum(np.outer(x, W[:, 0]) + W[:, 1], 0.0) @ v / np.sqrt(v.size)


def jacobian(W, v, x, h=1e-6):
    """Central differences over (W, v, beta), shape (P, M)."""
    phi = np.concatenate([W.ravel(), v, [0.0]])
    D = v.size

    def f(p):
        return net(p[:2 * D].reshape(D, 2), p[2 * D:3 * D], p[-1], x)

    return np.array([(f(phi + h * e) - f(phi - h * e)) / (2 * h) for e in np.eye(phi.size)])


# ------------------------------------------------------------------------- empirical NTK
def fd_ntk(W, v, x1, x2):
    return jacobian(W, v, x1).T @ jacobian(W, v, x2)


def loop_ntk(W, v, x1, x2):
    """The formula unit by unit, the way a first attempt often looks."""
    out = np.ones((len(x1), len(x2)))
    for j in range(v.size):
        for a, xa in enumerate(x1):
            for b, xb in enumerate(x2):
                pa, pb = W[j, 0] * xa + W[j, 1], W[j, 0] * xb + W[j, 1]
                out[a, b] += ((xa * xb + 1) * v[j] ** 2 * (pa > 0) * (pb > 0)
                              + max(pa, 0) * max(pb, 0)) / v.size
    return out


def no_bias(W, v, x1, x2):
    return loop_ntk(W, v, x1, x2) - 1.0


def no_one_over_d(W, v, x1, x2):
    return (loop_ntk(W, v, x1, x2) - 1.0) * v.size + 1.0


def nngp_like(W, v, x1, x2):  # last layer only
    return np.maximum(np.outer(x1, W[:, 0]) + W[:, 1], 0) @ np.maximum(
        np.outer(x2, W[:, 0]) + W[:, 1], 0).T / v.size + 1.0


def slightly_off(W, v, x1, x2):
    return 1.001 * fd_ntk(W, v, x1, x2)


def test_empirical_ntk_accepts_independent_references():
    assert check_empirical_ntk(loop_ntk).startswith("Correct:")
    # central differences are right to about 1e-9, well inside the check's tolerance
    assert check_empirical_ntk(fd_ntk).startswith("Correct:")


@pytest.mark.parametrize(
    "fn, words",
    [
        (no_bias, "output bias is missing"),
        (no_one_over_d, "not divided by D"),
        (nngp_like, "Only the output weights"),
        (slightly_off, "not by a mistake this check knows"),
    ],
)
def test_empirical_ntk_names_each_mistake(fn, words):
    msg = check_empirical_ntk(fn)
    assert msg.startswith("Not yet:") and words in msg, msg


def test_empirical_ntk_exception_is_reported():
    def broken(W, v, x1, x2):
        return W @ np.outer(x1, x2)  # (D, 2) @ (M1, M2): a shape error

    msg = check_empirical_ntk(broken)
    assert msg.startswith("Error:") and "raised ValueError" in msg and "W has shape" in msg


# ---------------------------------------------------------------------- last layer only
def expm_last_layer(W, v, beta, x, y, x_new, t):
    """Flow of the last layer by the exponential of the augmented linear system
    d/dt (phi, 1) = [[-F F^T, F y], [0, 0]] (phi, 1)."""
    D = v.size
    F = np.vstack([np.maximum(np.outer(W[:, 0], x) + W[:, 1:2], 0) / np.sqrt(D),
                   np.ones((1, x.size))])
    n = D + 1
    A = np.zeros((n + 1, n + 1))
    A[:n, :n] = -F @ F.T
    A[:n, n] = F @ y
    z = scipy.linalg.expm(A * t) @ np.r_[v, beta, 1.0]
    return net(W, z[:D], z[D], x_new)


def all_layers(W, v, beta, x, y, x_new, t):
    """Every layer trained: the linearized network, by the exponential of its kernel."""
    J, Jn = jacobian(W, v, x), jacobian(W, v, x_new)
    f0, fn0 = net(W, v, beta, x), net(W, v, beta, x_new)
    K = J.T @ J
    steps = np.linalg.solve(K, (np.eye(x.size) - scipy.linalg.expm(-K * t)) @ (f0 - y))
    return fn0 - Jn.T @ J @ steps


def start(W, v, beta, x, y, x_new, t):
    return net(W, v, beta, x_new)


def test_last_layer_accepts_the_expm_reference():
    assert check_last_layer(expm_last_layer).startswith("Correct:")


@pytest.mark.parametrize(
    "fn, words",
    [
        (start, "nothing was trained"),
        (all_layers, "You trained every layer"),
        (lambda W, v, b, x, y, xn, t: expm_last_layer(W, v, b, x, y, xn, 1e6),
         "does not depend on t"),
        (lambda W, v, b, x, y, xn, t: 1.01 * expm_last_layer(W, v, b, x, y, xn, t),
         "not by a mistake this check knows"),
    ],
)
def test_last_layer_names_each_mistake(fn, words):
    msg = check_last_layer(fn)
    assert msg.startswith("Not yet:") and words in msg, msg


@pytest.mark.parametrize(
    "fn, mistake",
    [
        (lambda W, v, b, x, y, xn, t: expm_last_layer(W, 0 * v, 0.0, x, y, xn, t),
         "start forgotten"),
        (lambda W, v, b, x, y, xn, t: expm_last_layer(W, v, b, x, y, xn, 2 * t), "time doubled"),
    ],
    ids=["start forgotten", "time doubled"],
)
def test_last_layer_names_the_start_and_the_time_scale(fn, mistake):
    """Trained from (v, beta) = 0 instead of the network's own start, or run for 2t."""
    result = check_last_layer(fn)
    assert result.mistake == mistake and not result.passed, result
