"""Diagonal linear networks (issue 22): the limit of the flow against independent computations.

The dual Newton solution against a long DOP853 integration of the weights u, v written here;
its large-start limit against the minimum-l2 interpolant (pinv); its small-start limit against
the minimum-l1 interpolant of a linear program written here (scipy's linprog) and, for a tiny
problem, against the enumeration of every basic solution; optimality of the answer for the
implicit-bias potential Q_alpha against random moves along the null space; the kernel against
finite differences; the named errors and the corners (alpha from 5e-324 to 1e200)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import linprog

from gflow_lib import diagonal_network_limit
from gflow_lib.diagonal import (
    DiagonalLimitError,
    diagonal_dual_step,
    diagonal_network_flow,
    diagonal_ntk,
    min_l1_interpolant,
)


def sparse_problem(D=12, I=5, seed=0, support=(1.0, -0.5)):  # noqa: E741
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(D, I)) / np.sqrt(I)
    beta = np.zeros(D)
    beta[: len(support)] = support
    return X, X.T @ beta


def flow_limit(X, y, alpha, T):
    """The weights' gradient flow, written here, integrated to time T (log-weights, so that
    they stay positive for a tiny alpha)."""
    D = X.shape[0]

    def rhs(_, w):
        u, v = np.exp(w[:D]), np.exp(w[D:])
        g = X @ (X.T @ (u * u - v * v) - y)
        return np.concatenate([-2 * g, 2 * g])

    sol = solve_ivp(rhs, (0, T), np.full(2 * D, np.log(alpha)), method="LSODA", rtol=1e-12,
                    atol=1e-12)
    u, v = np.exp(sol.y[:D, -1]), np.exp(sol.y[D:, -1])
    return u * u - v * v


def l1_by_linprog(X, y):
    """min sum(s) over (beta, s) with -s <= beta <= s and X^T beta = y."""
    D = X.shape[0]
    eye = np.eye(D)
    res = linprog(np.r_[np.zeros(D), np.ones(D)], A_ub=np.block([[eye, -eye], [-eye, -eye]]),
                  b_ub=np.zeros(2 * D), A_eq=np.hstack([X.T, np.zeros((X.shape[1], D))]),
                  b_eq=y, bounds=(None, None), method="highs")
    assert res.success
    return res.x[:D]


def potential(beta, alpha):
    """Q_alpha(beta) = alpha^2 sum q(beta / alpha^2), q(b) = 2 - sqrt(4 + b^2) + b asinh(b/2)."""
    b = beta / alpha**2
    return alpha**2 * np.sum(2 - np.sqrt(4 + b * b) + b * np.arcsinh(b / 2))


# ----------------------------------------------------------------- against the flow itself
@pytest.mark.parametrize("alpha, T", [(1.0, 400.0), (0.3, 2000.0), (0.05, 6000.0)])
def test_limit_matches_a_long_integration_of_the_weights(alpha, T):
    X, y = sparse_problem(D=6, I=3, seed=1)
    want = flow_limit(X, y, alpha, T)
    np.testing.assert_allclose(diagonal_network_limit(X, y, alpha), want, atol=1e-8)


def test_the_library_flow_matches_the_one_written_here():
    X, y = sparse_problem(D=6, I=3, seed=2)
    run = diagonal_network_flow(X, y, 0.2, [0.0, 5.0, 3000.0])
    np.testing.assert_allclose(run.beta[0], 0.0, atol=1e-15)
    np.testing.assert_allclose(run.beta[1], flow_limit(X, y, 0.2, 5.0), atol=1e-8)
    np.testing.assert_allclose(run.beta[2], diagonal_network_limit(X, y, 0.2), atol=1e-8)
    np.testing.assert_allclose(run.u * run.v, 0.04, rtol=1e-8)  # u v = alpha^2 for ever


# ------------------------------------------------------------------- the two limits of alpha
@pytest.mark.parametrize("alpha", [1e3, 1e100, 1e200])
def test_a_large_start_gives_the_minimum_l2_interpolant(alpha):
    X, y = sparse_problem()
    want = np.linalg.pinv(X.T) @ y
    np.testing.assert_allclose(diagonal_network_limit(X, y, alpha), want, atol=1e-12)


@pytest.mark.parametrize("alpha", [1e-150, 1e-300, 5e-324])
@pytest.mark.parametrize("seed", [0, 3])
def test_a_tiny_start_gives_the_minimum_l1_interpolant(alpha, seed):
    X, y = sparse_problem(D=20, I=8, seed=seed, support=(1.0, -2.0, 0.5))
    beta = diagonal_network_limit(X, y, alpha)
    np.testing.assert_allclose(beta, l1_by_linprog(X, y), atol=1e-9)
    np.testing.assert_allclose(X.T @ beta, y, atol=1e-12)


def test_a_tiny_start_with_a_dense_target_too():
    """y not from a sparse beta: the l1 interpolant has I nonzero entries."""
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(9, 4)), rng.normal(size=4)
    np.testing.assert_allclose(diagonal_network_limit(X, y, 1e-300), l1_by_linprog(X, y),
                               atol=1e-9)


def test_min_l1_interpolant_against_every_basic_solution():
    """A linear program's optimum is at a vertex: beta supported on I columns, solved."""
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(6, 2)), rng.normal(size=2)
    best = min((np.abs(np.linalg.solve(X[list(c)].T, y)).sum(), c)
               for c in itertools.combinations(range(6), 2))
    beta = min_l1_interpolant(X, y)
    assert np.abs(beta).sum() == pytest.approx(best[0], rel=1e-10, abs=0)
    np.testing.assert_allclose(l1_by_linprog(X, y), beta, atol=1e-10)


@pytest.mark.parametrize("alpha", [3.0, 0.5, 0.1, 1e-3])
def test_the_limit_minimises_the_implicit_bias_potential(alpha):
    """Woodworth et al.: beta_inf = argmin Q_alpha over the interpolants. Moves along the null
    space of X^T never lower Q_alpha."""
    X, y = sparse_problem(D=8, I=3, seed=4)
    beta = diagonal_network_limit(X, y, alpha)
    null = np.linalg.svd(X.T)[2][3:].T  # (8, 5)
    rng = np.random.default_rng(0)
    q0 = potential(beta, alpha)
    for _ in range(50):
        step = null @ rng.normal(size=5) * 1e-3 * max(1.0, np.abs(beta).max())
        assert potential(beta + step, alpha) >= q0 - 1e-12 * abs(q0)


def test_the_path_shrinks_the_l1_norm_as_alpha_falls():
    X, y = sparse_problem(D=20, I=8, seed=0, support=(1.0, -2.0, 0.5))
    norms = [np.abs(diagonal_network_limit(X, y, a)).sum() for a in np.logspace(1, -6, 8)]
    assert np.all(np.diff(norms) < 0)


def test_sinh_form_and_interpolation_hold():
    """beta = 2 alpha^2 sinh(X nu): asinh(beta / (2 alpha^2)) lies in the range of X."""
    X, y = sparse_problem(D=10, I=4, seed=6)
    alpha = 0.3
    beta = diagonal_network_limit(X, y, alpha)
    z = np.arcsinh(beta / (2 * alpha**2))
    nu = np.linalg.lstsq(X, z, rcond=None)[0]
    np.testing.assert_allclose(X @ nu, z, atol=1e-10)
    np.testing.assert_allclose(X.T @ beta, y, atol=1e-13)
    # and nu is a fixed point of the Newton step, which converges quadratically near it
    np.testing.assert_allclose(diagonal_dual_step(X, y, alpha, nu), nu, atol=1e-10)
    err = [np.abs(nu + 1e-2 - nu).max()]
    guess = nu + 1e-2
    for _ in range(3):
        guess = diagonal_dual_step(X, y, alpha, guess)
        err.append(np.abs(guess - nu).max())
    assert err[2] < 10 * err[1] ** 2 + 1e-12 and err[3] < 1e-9


# ---------------------------------------------------------------------------- the kernel
def test_kernel_is_the_gram_matrix_of_the_weight_gradients():
    rng = np.random.default_rng(8)
    X, u, v = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=5)
    J = np.vstack([2 * u[:, None] * X, -2 * v[:, None] * X])  # d f / d (u, v), (2D, I)
    eps = 1e-6
    fd = np.array([(X.T @ ((u + eps * e) ** 2 - v**2) - X.T @ ((u - eps * e) ** 2 - v**2))
                   / (2 * eps) for e in np.eye(5)])
    np.testing.assert_allclose(fd, J[:5], atol=1e-8)
    np.testing.assert_allclose(diagonal_ntk(X, u, v), J.T @ J, rtol=1e-13)
    np.testing.assert_allclose(diagonal_ntk(X, np.full(5, 0.3), np.full(5, 0.3)),
                               8 * 0.09 * X.T @ X, rtol=1e-13)
    assert diagonal_ntk(X, np.stack([u, v]), np.stack([v, u])).shape == (2, 3, 3)


# ------------------------------------------------------------------- named errors, bad input
def test_no_interpolant_is_a_named_error():
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(2, 5)), rng.normal(size=5)  # D < I: y is not reachable
    with pytest.raises(DiagonalLimitError, match="^y must be reachable"):
        diagonal_network_limit(X, y, 0.1)
    with pytest.raises(DiagonalLimitError, match="^y must be reachable"):
        min_l1_interpolant(X, y)


def test_running_out_of_steps_is_a_named_error():
    X, y = sparse_problem(D=20, I=8, support=(1.0, -2.0, 0.5))
    with pytest.raises(DiagonalLimitError, match="did not converge in 3 steps"):
        diagonal_network_limit(X, y, 1e-100, max_iter=3)
    assert issubclass(DiagonalLimitError, ValueError)


def test_zero_targets_give_zero():
    X, _ = sparse_problem()
    np.testing.assert_array_equal(diagonal_network_limit(X, np.zeros(5), 1e-200), 0.0)


@pytest.mark.parametrize("call, kind, match", [
    (lambda X, y: diagonal_network_limit(X, y, 0.0), ValueError, "^alpha must be a finite"),
    (lambda X, y: diagonal_network_limit(X, y, np.nan), ValueError, "^alpha must be a finite"),
    (lambda X, y: diagonal_network_limit(X, y, "1"), TypeError, "^alpha must be a positive"),
    (lambda X, y: diagonal_network_limit(X.T, y, 1.0), ValueError, "transposed"),
    (lambda X, y: diagonal_network_limit(X[0], y, 1.0), ValueError, "^X must be a 2-D"),
    (lambda X, y: diagonal_network_limit(X * 1e200, y, 1.0), ValueError, "^X must contain"),
    (lambda X, y: diagonal_network_limit(X, y, 1.0, max_iter=0), ValueError, "^max_iter"),
    (lambda X, y: diagonal_network_flow(X, y, 1.0, [0.0, 2e7]), ValueError, "^t must be"),
    (lambda X, y: diagonal_network_flow(X, y, 1.0, [1.0, 0.0]), ValueError, "^t must be"),
    (lambda X, y: diagonal_dual_step(X, y, 1.0, np.zeros(3)), ValueError, "^nu must have"),
    (lambda X, y: diagonal_ntk(X, np.ones(12), np.ones(11)), ValueError, "^v must have"),
])
def test_bad_input_is_named(call, kind, match):
    X, y = sparse_problem()
    with pytest.raises(kind, match=match):
        call(X, y)


def test_the_caller_s_arrays_are_left_alone():
    X, y = sparse_problem()
    X0, y0 = X.copy(), y.copy()
    diagonal_network_limit(X, y, 1e-3)
    min_l1_interpolant(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
