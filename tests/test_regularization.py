"""Early stopping vs ridge (gflow_lib.regularization), checked against independent methods:
a numerical ODE solver, direct linear solves, Van Loan's block exponential, Monte Carlo over
the noise and brute-force grids."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from gflow_lib import map_params, ml_params
from gflow_lib.data import running_example
from gflow_lib.regularization import (
    AKT_CONSTANT,
    closest_time,
    flow_filter,
    flow_risk,
    matching_time,
    ridge_filter,
    ridge_risk,
    variance_ratio_sup,
)


def _ode_params(X, y, phi0, t):
    """phi(t) by integrating d phi/dt = -X (X^T phi - y) numerically."""
    sol = solve_ivp(lambda _, p: -X @ (X.T @ p - y), (0.0, float(np.max(t))),
                    np.asarray(phi0, float), t_eval=np.atleast_1d(t), rtol=1e-11, atol=1e-13,
                    method="DOP853")
    return sol.y.T


def _integral_exp(A, t):
    """int_0^t exp(-A s) ds by Van Loan's block exponential (works for singular A)."""
    D = A.shape[0]
    M = np.zeros((2 * D, 2 * D))
    M[:D, :D] = -A
    M[:D, D:] = np.eye(D)
    return scipy.linalg.expm(M * t)[:D, D:]


@pytest.fixture
def problem():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3, 6)) * np.array([[2.0], [0.7], [0.2]])
    y = rng.normal(size=6)
    return X, y


# ------------------------------------------------------------------------------ filters
def test_flow_filter_matches_ode_from_zero(problem):
    X, y = problem
    A = X @ X.T
    lam, V = np.linalg.eigh(A)
    phi_star = np.linalg.solve(A, X @ y)
    t = np.array([0.05, 0.4, 3.0])
    ode = _ode_params(X, y, np.zeros(3), t)
    fraction = (ode @ V) / (V.T @ phi_star)  # per eigen-direction
    np.testing.assert_allclose(flow_filter(lam, t), fraction, rtol=1e-7)
    np.testing.assert_allclose(flow_filter(lam, 0.4), fraction[1], rtol=1e-7)


def test_ridge_filter_matches_direct_solve(problem):
    X, y = problem
    A = X @ X.T
    lam, V = np.linalg.eigh(A)
    phi_star = np.linalg.solve(A, X @ y)
    for mu in (0.01, 0.7, 30.0):
        phi_mu = np.linalg.solve(A + mu * np.eye(3), X @ y)
        fraction = (V.T @ phi_mu) / (V.T @ phi_star)
        np.testing.assert_allclose(ridge_filter(lam, mu), fraction, rtol=1e-10)
    assert ridge_filter(lam, [0.1, 1.0]).shape == (2, 3)


def test_filters_edge_values():
    assert flow_filter([0.0, 2.0], 0.0).tolist() == [0.0, 0.0]
    np.testing.assert_allclose(flow_filter([1e-12], 1.0), [1e-12], rtol=1e-9)  # expm1 keeps digits
    assert ridge_filter([0.0], 1.0).tolist() == [0.0]


def test_matching_time_solves_the_filter_equation():
    lam = np.array([0.0, 1e-9, 0.151837, 3.688163, 50.0])
    mu = 1 / 60
    t = matching_time(lam, mu)
    for lk, tk in zip(lam[2:], t[2:], strict=True):
        def gap(s, lk=lk):
            return (1 - np.exp(-lk * s)) - lk / (lk + mu)

        root = scipy.optimize.brentq(gap, 1e-9, 1e6, xtol=1e-14)
        assert tk == pytest.approx(root, rel=1e-9)
    assert t[0] == pytest.approx(60.0)
    assert t[1] == pytest.approx(60.0, rel=1e-6)
    assert np.all(t <= 60.0 + 1e-9)


# ------------------------------------------------------------------------ closest time
@pytest.mark.parametrize("start", ["zero", "seed"])
def test_closest_time_matches_dense_grid(start):
    X, y, phi_seed = running_example()
    phi0 = np.zeros(2) if start == "zero" else phi_seed
    target = map_params(X, y, 0.05, 3.0)
    res = closest_time(X, y, target, phi0=None if start == "zero" else phi0)
    t = np.linspace(0.0, 200.0, 400_001)  # brute force, step 5e-4
    A, b = X @ X.T, X @ y
    lam, V = np.linalg.eigh(A)
    z0, zs = V.T @ phi0, V.T @ np.linalg.solve(A, b)
    path = (zs + np.exp(-np.outer(t, lam)) * (z0 - zs)) @ V.T
    d = np.linalg.norm(path - target, axis=1)
    i = int(np.argmin(d))
    assert res.t == pytest.approx(t[i], abs=2e-3)
    assert res.distance <= d[i] + 1e-12
    # and the distance at that time, by an ODE solver
    ode = _ode_params(X, y, phi0, [res.t])[0]
    assert np.linalg.norm(ode - target) == pytest.approx(res.distance, rel=1e-5)


def test_closest_time_finds_global_minimum_on_random_targets():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(4, 9)) * np.array([[3.0], [1.0], [0.3], [0.05]])
    y = rng.normal(size=9)
    phi0 = rng.normal(size=4)
    t = np.geomspace(1e-3, 1e4, 200_001)
    A = X @ X.T
    lam, V = np.linalg.eigh(A)
    z0, zs = V.T @ phi0, V.T @ np.linalg.solve(A, X @ y)
    path = (zs + np.exp(-np.outer(t, lam)) * (z0 - zs)) @ V.T
    for _ in range(5):
        target = rng.normal(size=4)
        d = np.linalg.norm(path - target, axis=1)
        res = closest_time(X, y, target, phi0=phi0)
        assert res.distance <= d.min() + 1e-9
        assert np.linalg.norm(path[np.argmin(d)] - target) == pytest.approx(res.distance, rel=1e-6)


def test_closest_time_to_ml_is_late_and_exact_for_map_slow_mode():
    X, y, _ = running_example()
    res = closest_time(X, y, ml_params(X, y), t_max=100.0)
    assert res.t > 90.0  # the path only reaches ML as t -> infinity
    lam = np.linalg.eigvalsh(X @ X.T)
    res_map = closest_time(X, y, map_params(X, y, 0.05, 3.0))
    # the flow from 0 matches MAP's slow direction at that direction's matching time
    assert res_map.t == pytest.approx(matching_time(lam, 1 / 60)[0], rel=1e-3)


# ---------------------------------------------------------------------------- risks
def _mc_setup(D=5, I=4, seed=5):  # noqa: E741
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(D, I)) * rng.uniform(0.2, 2.0, size=(D, 1))
    beta0 = rng.normal(size=D)
    return rng, X, beta0


@pytest.mark.parametrize("D,I", [(5, 4), (3, 8)])
def test_flow_risk_matches_monte_carlo(D, I):  # noqa: E741
    rng, X, beta0 = _mc_setup(D, I)
    sigma_sq, n = 0.5, 40_000
    phi0 = rng.normal(size=D)
    Y = (X.T @ beta0)[None, :] + np.sqrt(sigma_sq) * rng.normal(size=(n, I))
    A = X @ X.T
    for t in (0.1, 1.0, 10.0):
        E = scipy.linalg.expm(-A * t)
        C = _integral_exp(A, t)
        for start in (None, phi0):
            p0 = np.zeros(D) if start is None else start
            phis = (E @ p0)[None, :] + (C @ X @ Y.T).T
            err = np.sum((phis - beta0) ** 2, axis=1)
            r = flow_risk(X, beta0, sigma_sq, t, phi0=start)
            assert r.risk == pytest.approx(err.mean(), abs=5 * err.std() / np.sqrt(n))
            mean = phis.mean(axis=0)
            exact_mean = E @ p0 + C @ A @ beta0
            assert r.bias_sq == pytest.approx(np.sum((exact_mean - beta0) ** 2), rel=1e-8)
            assert r.variance == pytest.approx(np.sum(phis.var(axis=0)), rel=0.03)
            assert np.linalg.norm(mean - exact_mean) < 0.05


@pytest.mark.parametrize("D,I", [(5, 4), (3, 8)])
def test_ridge_risk_matches_monte_carlo(D, I):  # noqa: E741
    rng, X, beta0 = _mc_setup(D, I, seed=8)
    sigma_sq, n = 0.3, 40_000
    c = rng.normal(size=D)
    Y = (X.T @ beta0)[None, :] + np.sqrt(sigma_sq) * rng.normal(size=(n, I))
    A = X @ X.T
    for mu in (0.05, 1.0, 20.0):
        for center in (None, c):
            cc = np.zeros(D) if center is None else center
            phis = cc + np.linalg.solve(A + mu * np.eye(D), X @ (Y - X.T @ cc).T).T
            err = np.sum((phis - beta0) ** 2, axis=1)
            r = ridge_risk(X, beta0, sigma_sq, mu, center=center)
            assert r.risk == pytest.approx(err.mean(), abs=5 * err.std() / np.sqrt(n))
            assert r.variance == pytest.approx(np.sum(phis.var(axis=0)), rel=0.03)


def test_risk_shapes_and_limits():
    _, X, beta0 = _mc_setup()
    r = flow_risk(X, beta0, 1.0, [0.0, 1.0, 2.0])
    assert r.risk.shape == (3,)
    assert r.risk[0] == pytest.approx(beta0 @ beta0)  # at t = 0 the estimate is 0
    assert r.variance[0] == 0.0
    rr = ridge_risk(X, beta0, 1.0, [1e9])
    assert rr.risk[0] == pytest.approx(beta0 @ beta0, rel=1e-6)


def test_variance_ratio_sup_matches_brute_force():
    x = np.linspace(1e-4, 30.0, 3_000_001)
    f = ((1 - np.exp(-x)) * (1 + x) / x) ** 2
    x_star, value = variance_ratio_sup()
    assert value == pytest.approx(f.max(), rel=1e-10)
    assert x_star == pytest.approx(x[np.argmax(f)], abs=1e-3)
    assert value <= AKT_CONSTANT  # the paper's constant is an upper bound


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), D=st.integers(1, 6), I=st.integers(1, 6))
def test_akt_bound_holds_for_any_design(seed, D, I):  # noqa: E741
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(D, I)) * rng.lognormal(sigma=1.5, size=(D, 1))
    beta0 = rng.normal(size=D) * rng.lognormal(sigma=1.0)
    t = np.geomspace(1e-4, 1e4, 400)
    gf = flow_risk(X, beta0, 0.7, t)
    rg = ridge_risk(X, beta0, 0.7, 1.0 / t)
    assert np.all(gf.bias_sq <= rg.bias_sq * (1 + 1e-12) + 1e-300)
    assert np.all(gf.risk <= AKT_CONSTANT * rg.risk)


# ------------------------------------------------------------------------ bad input
def test_bad_inputs():
    X, y, phi0 = running_example()
    with pytest.raises(ValueError, match="lam must be non-negative"):
        flow_filter([-1.0], 1.0)
    with pytest.raises(ValueError, match="t must be non-negative"):
        flow_filter([1.0], -1.0)
    with pytest.raises(TypeError, match="lam must be a real numeric"):
        flow_filter("a", 1.0)
    with pytest.raises(ValueError, match="penalty must be finite and positive"):
        ridge_filter([1.0], 0.0)
    with pytest.raises(TypeError, match="penalty must be a positive number"):
        ridge_filter([1.0], True)
    with pytest.raises(ValueError, match="penalty must be a scalar"):
        matching_time([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="target must have length 2"):
        closest_time(X, y, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="t_max must be larger"):
        closest_time(X, y, [0.0, 0.0], t_min=5.0, t_max=1.0)
    with pytest.raises(ValueError, match="n_grid must be at least 3"):
        closest_time(X, y, [0.0, 0.0], n_grid=2)
    with pytest.raises(ValueError, match="beta0 must have length 2"):
        flow_risk(X, [1.0, 2.0, 3.0], 1.0, 1.0)
    with pytest.raises(ValueError, match="transposed"):
        flow_risk(X.T, [1.0, 2.0], 1.0, 1.0)
    with pytest.raises(ValueError, match="sigma_sq must be a finite positive"):
        ridge_risk(X, [1.0, 2.0], -1.0, 1.0)
    with pytest.raises(ValueError, match="center must have length 2"):
        ridge_risk(X, [1.0, 2.0], 1.0, 1.0, center=[0.0])
    with pytest.raises(ValueError, match="X must contain only finite"):
        ridge_risk(np.array([[np.nan, 1.0], [1.0, 1.0]]), [1.0, 2.0], 1.0, 1.0)
