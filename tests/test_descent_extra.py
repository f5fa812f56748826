"""Closed forms for gradient descent and the modified flow, against independent methods:
the iterative loop of gradient_descent and a numerical ODE solver (scipy solve_ivp)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from gflow_lib import LinearFlow, gradient_descent
from gflow_lib.data import seed_data
from gflow_lib.descent import (
    descent_closed_form,
    modified_flow_params,
    modified_loss,
    stability_thresholds,
)


def _problem(D, n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(D, n)), rng.normal(size=n), rng.normal(size=D)


# ------------------------------------------------------------------ stability thresholds
def test_thresholds_match_the_reference_numbers():
    X, _, _ = seed_data()
    monotone, stable = stability_thresholds(X)
    assert round(monotone, 4) == 0.2711  # NOTES.md: time constant 1/lambda_max
    assert round(stable, 5) == 0.54228  # NOTES.md: stable for lr < 0.54228


def test_thresholds_separate_convergence_from_divergence():
    """Brute force: run the loop just below and just above 2/lambda_max."""
    X, y, phi0 = seed_data()
    monotone, stable = stability_thresholds(X)
    phi_ml = np.linalg.lstsq(X.T, y, rcond=None)[0]
    below = gradient_descent(X, y, phi0, 0.98 * stable, 3000)[-1]
    above = gradient_descent(X, y, phi0, 1.02 * stable, 3000)[-1]
    assert np.allclose(below, phi_ml, atol=1e-6)
    assert np.linalg.norm(above - phi_ml) > 1e3
    # Between 1/lambda_max and 2/lambda_max the fast coordinate changes sign every step.
    lam, V = np.linalg.eigh(X @ X.T)
    for lr, flips in ((0.9 * monotone, False), (1.5 * monotone, True)):
        c = (gradient_descent(X, y, phi0, lr, 10) - phi_ml) @ V[:, -1]
        assert bool(np.all(c[1:] * c[:-1] < 0)) is flips


def test_thresholds_for_wide_X_use_the_nonzero_eigenvalues():
    X, _, _ = _problem(6, 3, 1)
    lam_max = np.linalg.eigvalsh(X @ X.T)[-1]
    assert np.allclose(stability_thresholds(X), (1 / lam_max, 2 / lam_max))


def test_thresholds_reject_bad_X():
    with pytest.raises(ValueError, match="X"):
        stability_thresholds(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="X"):
        stability_thresholds(np.array([[1.0, np.nan], [1.0, 1.0]]))
    with pytest.raises(ValueError, match="2-D"):
        stability_thresholds(np.ones(3))


# ------------------------------------------------------------------ descent in closed form
@pytest.mark.parametrize("shape", [(2, 3), (3, 3), (4, 2), (5, 8)])
@pytest.mark.parametrize("lr_factor", [0.3, 1.5, 2.2])
def test_closed_form_matches_the_loop(shape, lr_factor):
    X, y, phi0 = _problem(*shape, seed=sum(shape))
    lr = lr_factor / np.linalg.eigvalsh(X @ X.T)[-1]
    n = 25
    loop = gradient_descent(X, y, phi0, lr, n)
    closed = descent_closed_form(X, y, phi0, lr, np.arange(n + 1))
    scale = np.abs(loop).max(axis=1, keepdims=True) + 1.0
    assert np.all(np.abs(closed - loop) <= 1e-9 * scale)


def test_closed_form_scalar_step_and_null_space():
    X, y, phi0 = _problem(4, 2, 3)  # D > I: a 2-D null space of X^T
    phi = descent_closed_form(X, y, phi0, 0.01, 7)
    assert phi.shape == (4,)
    assert np.allclose(phi, gradient_descent(X, y, phi0, 0.01, 7)[-1])
    # The part of phi0 in the null space of X^T never moves.
    null = np.linalg.svd(X.T)[2][2:]
    far = descent_closed_form(X, y, phi0, 0.01, 10**6)
    assert np.allclose(null @ far, null @ phi0)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    D=st.integers(1, 4),
    n=st.integers(1, 4),
    frac=st.floats(0.05, 1.9),
    k=st.integers(0, 40),
)
def test_closed_form_matches_the_loop_property(seed, D, n, frac, k):
    X, y, phi0 = _problem(D, n, seed)
    lr = frac / np.linalg.eigvalsh(X @ X.T)[-1]
    loop = gradient_descent(X, y, phi0, lr, k)[-1]
    assert np.allclose(descent_closed_form(X, y, phi0, lr, k), loop, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize(
    "k, err, match",
    [(-1, ValueError, "non-negative"), (1.5, TypeError, "integer"), (True, TypeError, "bool"),
     (np.zeros((2, 2), dtype=int), ValueError, "1-D")],
)
def test_closed_form_rejects_bad_k(k, err, match):
    X, y, phi0 = seed_data()
    with pytest.raises(err, match=match):
        descent_closed_form(X, y, phi0, 0.1, k)


def test_closed_form_rejects_bad_lr_and_shapes():
    X, y, phi0 = seed_data()
    with pytest.raises(ValueError, match="lr"):
        descent_closed_form(X, y, phi0, -0.1, 3)
    with pytest.raises(ValueError, match="transposed"):
        descent_closed_form(X, np.ones(2), phi0, 0.1, 3)
    with pytest.raises(ValueError, match="phi0"):
        descent_closed_form(X, y, np.ones(3), 0.1, 3)


# ------------------------------------------------------------------ the modified flow
def _ode_modified(X, y, phi0, lr, t_eval):
    A, b = X @ X.T, X @ y
    M = np.eye(len(phi0)) + 0.5 * lr * A

    def rhs(_, phi):
        return -M @ (A @ phi - b)

    sol = solve_ivp(rhs, (0, t_eval[-1]), phi0, t_eval=t_eval, rtol=1e-11, atol=1e-13,
                    method="DOP853")
    return sol.y.T


@pytest.mark.parametrize("shape", [(2, 3), (3, 5), (4, 2)])
@pytest.mark.parametrize("lr", [0.05, 0.4])
def test_modified_flow_matches_solve_ivp(shape, lr):
    X, y, phi0 = _problem(*shape, seed=7 * shape[0] + shape[1])
    X = X / np.sqrt(np.linalg.eigvalsh(X @ X.T)[-1])  # lambda_max = 1
    t = np.linspace(0.0, 6.0, 13)
    ode = _ode_modified(X, y, phi0, lr, t)
    assert np.allclose(modified_flow_params(X, y, phi0, lr, t), ode, rtol=1e-7, atol=1e-8)


def test_modified_flow_on_the_seed_data():
    X, y, phi0 = seed_data()
    t = np.array([0.0, 0.1, 0.3, 2.0, 19.99])
    ode = _ode_modified(X, y, phi0, 0.1, t)
    got = modified_flow_params(X, y, phi0, 0.1, t)
    assert np.allclose(got, ode, atol=1e-8)
    assert np.allclose(modified_flow_params(X, y, phi0, 0.1, 0.3), ode[2], atol=1e-8)


def test_modified_flow_gradient_is_the_gradient_of_the_modified_loss():
    """Finite differences of modified_loss give the right-hand side of the modified flow."""
    X, y, phi0 = _problem(3, 5, 11)
    lr, h = 0.3, 1e-6
    A, b = X @ X.T, X @ y
    fd = np.array([(modified_loss(X, y, phi0 + h * e, lr) - modified_loss(X, y, phi0 - h * e, lr))
                   / (2 * h) for e in np.eye(3)])
    assert np.allclose(fd, (np.eye(3) + 0.5 * lr * A) @ (A @ phi0 - b), rtol=1e-6)


def test_modified_loss_on_a_path_and_by_brute_force():
    X, y, phi0 = seed_data()
    P = np.array([phi0, [0.3, -0.1], [0.625, -0.175]])
    got = modified_loss(X, y, P, 0.2)
    for p, g in zip(P, got, strict=True):
        r = sum((X[:, i] @ p - y[i]) ** 2 for i in range(3))
        grad = sum((X[:, i] @ p - y[i]) * X[:, i] for i in range(3))
        assert np.isclose(g, 0.5 * r + 0.05 * grad @ grad)
    assert np.isclose(modified_loss(X, y, phi0, 0.2), got[0])
    grad0 = X @ (X.T @ phi0 - y)
    assert np.isclose(modified_loss(X, y, phi0, 0.2), 0.4843 + 0.05 * grad0 @ grad0)
    with pytest.raises(ValueError, match="phi"):
        modified_loss(X, y, np.ones(3), 0.2)
    with pytest.raises(ValueError, match="lr"):
        modified_loss(X, y, phi0, 0.0)


def test_descent_is_closer_to_the_modified_flow():
    """Backward error analysis: the gap to the plain flow shrinks like lr, the gap to the
    modified flow like lr^2."""
    X, y, phi0 = seed_data()
    flow = LinearFlow(X, y, phi0)
    gaps = []
    for lr in (0.02, 0.04):
        k = np.arange(int(round(4.0 / lr)) + 1)
        gd = gradient_descent(X, y, phi0, lr, k[-1])
        plain = np.abs(gd - flow.params(k * lr)).max()
        mod = np.abs(gd - modified_flow_params(X, y, phi0, lr, k * lr)).max()
        assert mod < plain / 5
        gaps.append((plain, mod))
    (p1, m1), (p2, m2) = gaps
    assert 1.7 < p2 / p1 < 2.3  # first order
    assert 3.4 < m2 / m1 < 4.6  # second order


def test_modified_flow_rejects_bad_input():
    X, y, phi0 = seed_data()
    with pytest.raises(ValueError, match="t"):
        modified_flow_params(X, y, phi0, 0.1, -1.0)
    with pytest.raises(ValueError, match="lr"):
        modified_flow_params(X, y, phi0, np.inf, 1.0)
    with pytest.raises(TypeError, match="lr"):
        modified_flow_params(X, y, phi0, "0.1", 1.0)
