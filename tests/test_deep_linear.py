"""Two-layer linear networks (issue 22): the closed forms against independent computations.

Each mode's strength against a DOP853 solve of its logistic ODE and against mpmath at 50
digits for extreme starts and times; the product W2 W1 against a DOP853 solve of the full
weight matrices written here (to 1e-9); the half-times against root finding on the closed
form; the shallow single-matrix model against its own ODE; the ReLU network's kernel change in
the two output scalings; the named errors and the corners (s = 0, tiny u0, huge t, one row)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import gflow_lib
from gflow_lib import deep_linear_half_times, deep_linear_product, deep_linear_strength
from gflow_lib.deep_linear import (
    UndefinedHalfTimeError,
    deep_linear_simulate,
    scaled_shallow_kernel_change,
    shallow_linear_product,
)
from gflow_lib.network import init_shallow, shallow_forward

mp.mp.dps = 50
RNG = np.random.default_rng(22)


def correlation(N_out, N_in, s):
    """A random Sigma_yx with the given singular values (len min(N_out, N_in))."""
    r = min(N_out, N_in)
    U = np.linalg.qr(RNG.normal(size=(N_out, r)))[0]
    V = np.linalg.qr(RNG.normal(size=(N_in, r)))[0]
    return U @ np.diag(s) @ V.T, U, V


def strength_mp(s, u0, t):
    s, u0, t = mp.mpf(s), mp.mpf(u0), mp.mpf(t)
    if s == 0:
        return u0 / (1 + 2 * u0 * t)
    e = mp.exp(2 * s * t)
    return s * e / (e - 1 + s / u0)


# -------------------------------------------------------------------- one mode's strength
@pytest.mark.parametrize("s, u0", [(3.0, 1e-3), (2.0, 1e-3), (0.5, 1e-3), (0.0, 0.4),
                                   (1.0, 2.5), (0.7, 0.7), (1e-9, 0.1)])
def test_strength_solves_the_logistic_ode(s, u0):
    t = np.linspace(0, 12, 25)
    sol = solve_ivp(lambda _, u: 2 * u * (s - u), (0, t[-1]), [u0], method="DOP853",
                    t_eval=t, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(deep_linear_strength(s, u0, t), sol.y[0], rtol=1e-9, atol=0)


@pytest.mark.parametrize("u0", [5e-324, 1e-300, 1e-30, 1e-3, 0.5, 10.0, 1e200])
@pytest.mark.parametrize("s", [0.0, 1e-12, 0.5, 3.0, 1e3])
def test_strength_against_mpmath_for_extreme_starts_and_times(s, u0):
    t = np.array([0.0, 1e-12, 1e-3, 1.0, 30.0, 1e3, 1e8, 1e300])
    got = deep_linear_strength([s], u0, t)[:, 0]
    want = np.array([float(strength_mp(s, u0, tk)) for tk in t])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_strength_shapes():
    s = np.array([3.0, 2.0, 0.5])
    assert deep_linear_strength(s, 1e-3, [0.0, 1.0]).shape == (2, 3)
    assert deep_linear_strength(s, 1e-3, 1.0).shape == (3,)
    assert deep_linear_strength(3.0, 1e-3, [0.0, 1.0]).shape == (2,)
    assert isinstance(deep_linear_strength(3.0, 1e-3, 1.0), float)


# ------------------------------------------------------------------------------ half-times
@pytest.mark.parametrize("u0", [1e-300, 1e-6, 1e-3, 0.2])
def test_half_times_are_roots_of_the_closed_form(u0):
    s = np.array([3.0, 2.0, 0.5])
    tau = deep_linear_half_times(s, u0)
    for sk, tk in zip(s, tau, strict=True):
        root = brentq(lambda t, sk=sk: deep_linear_strength(sk, u0, t) - sk / 2, 0, 1e4,
                      xtol=1e-14, rtol=1e-14)
        assert tk == pytest.approx(root, rel=1e-10, abs=0)
        exact = mp.findroot(lambda t, sk=sk: strength_mp(sk, u0, t) - mp.mpf(sk) / 2,
                            mp.mpf(root))
        assert tk == pytest.approx(float(exact), rel=1e-12, abs=0)


def test_half_time_just_below_the_limit_keeps_its_digits():
    u0 = 0.5 * (1 - 1e-10)  # s/u0 - 1 = 1 + 2e-10: the log1p branch
    want = float(mp.log(mp.mpf(1) / mp.mpf(u0) - 1) / 2)
    assert deep_linear_half_times(1.0, u0) == pytest.approx(want, rel=1e-12, abs=0)


@pytest.mark.parametrize("s", [1.0, 0.5, 0.2, 0.0])
def test_half_time_is_a_named_error_where_undefined(s):
    with pytest.raises(UndefinedHalfTimeError, match=r"^s must exceed 2 \* u0"):
        deep_linear_half_times([3.0, s], 0.5)
    assert issubclass(UndefinedHalfTimeError, ValueError)


# ------------------------------------------------------------------ the full weight matrices
def full_matrix_ode(S, W1, W2, t):
    """Gradient flow of 1/2 ||S - W2 W1||^2 in both matrices, written here."""
    n1 = W1.size

    def rhs(_, w):
        A, B = w[:n1].reshape(W1.shape), w[n1:].reshape(W2.shape)
        E = S - B @ A
        return np.concatenate([(B.T @ E).ravel(), (E @ A.T).ravel()])

    sol = solve_ivp(rhs, (0, t[-1]), np.concatenate([W1.ravel(), W2.ravel()]),
                    method="DOP853", t_eval=t, rtol=1e-13, atol=1e-15)
    A = sol.y[:n1].T.reshape(-1, *W1.shape)
    B = sol.y[n1:].T.reshape(-1, *W2.shape)
    return B @ A


@pytest.mark.parametrize("N_out, N_in, s", [(4, 3, [3.0, 2.0, 0.5]), (2, 5, [1.5, 0.0]),
                                             (3, 3, [2.0, 2.0, 1.0]), (1, 4, [2.5])])
def test_product_matches_the_full_matrix_ode(N_out, N_in, s):
    """A zero singular value leaves its singular vectors free: the start U u0 V^T is then
    read from the closed form at t = 0 (a partial isometry times u0) and factored here."""
    S, U, V = correlation(N_out, N_in, s)
    u0, N_h, r = 0.01, min(N_out, N_in) + 2, len(s)
    if min(s) == 0:
        Um, _, Vmt = np.linalg.svd(deep_linear_product(S, u0, 0.0) / u0)
        U, V = Um[:, :r], Vmt[:r].T
    O = np.linalg.qr(RNG.normal(size=(N_h, r)))[0]  # noqa: E741
    W1, W2 = np.sqrt(u0) * O @ V.T, np.sqrt(u0) * U @ O.T
    t = np.linspace(0, 6, 13)
    want = full_matrix_ode(S, W1, W2, t)
    np.testing.assert_allclose(deep_linear_product(S, u0, t), want, rtol=0, atol=1e-9)
    run = deep_linear_simulate(S, u0, t, hidden=N_h, seed=3)
    np.testing.assert_allclose(run.product, want, rtol=0, atol=1e-9)
    assert run.W1.shape == (13, N_h, N_in) and run.W2.shape == (13, N_out, N_h)


def test_product_starts_balanced_and_ends_at_the_target():
    S, U, V = correlation(3, 4, [3.0, 2.0, 0.5])
    np.testing.assert_allclose(deep_linear_product(S, 0.2, 0.0), 0.2 * U @ V.T, atol=1e-14)
    np.testing.assert_allclose(deep_linear_product(S, 1e-300, 1e6), S, atol=1e-14)
    assert deep_linear_product(S, 0.2, [0.0, 1.0]).shape == (2, 3, 4)


def test_simulation_from_another_start_keeps_the_conserved_difference():
    """W1 W1^T - W2^T W2 is constant under the flow (balancedness), from any start."""
    S, *_ = correlation(3, 2, [1.0, 0.5])
    W1, W2 = 0.1 * RNG.normal(size=(4, 2)), 0.1 * RNG.normal(size=(3, 4))
    run = deep_linear_simulate(S, 1.0, [0.0, 5.0, 40.0], W1_0=W1, W2_0=W2)
    Q = run.W1 @ np.swapaxes(run.W1, 1, 2) - np.swapaxes(run.W2, 1, 2) @ run.W2
    np.testing.assert_allclose(Q, np.broadcast_to(Q[0], Q.shape), atol=1e-10)
    np.testing.assert_allclose(run.product[-1], S, atol=1e-8)


# ------------------------------------------------------------------- the shallow model
def test_shallow_model_learns_every_mode_at_rate_one():
    S, U, V = correlation(4, 3, [3.0, 2.0, 0.5])
    t = np.array([0.0, 0.3, 2.0])
    want = S + np.exp(-t)[:, None, None] * (0.01 * U @ V.T - S)
    np.testing.assert_allclose(shallow_linear_product(S, 0.01, t), want, atol=1e-14)
    sol = solve_ivp(lambda _, w: (S - w.reshape(S.shape)).ravel(), (0, 2.0),
                    (0.01 * U @ V.T).ravel(), method="DOP853", t_eval=t, rtol=1e-13,
                    atol=1e-15)
    np.testing.assert_allclose(shallow_linear_product(S, 0.01, t),
                               sol.y.T.reshape(-1, 4, 3), atol=1e-10)


# ---------------------------------------------------- the ReLU network in two scalings
def test_scaling_the_weights_by_c_scales_the_output_by_c_squared():
    """What the mean-field scaling rests on: the network is 2-homogeneous in (W, v)."""
    p = init_shallow(50, seed=1)
    c = 50 ** -0.25
    q = type(p)(p.W * c, p.v * c, p.beta * 0)
    x = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(shallow_forward(q, x), c**2 * (shallow_forward(p, x)
                                                               - p.beta), rtol=1e-13)


@pytest.mark.slow
def test_the_kernel_moves_by_order_one_only_in_the_mean_field_scaling():
    x, y = np.array([0.2, 0.4, 0.8]), np.array([-0.05, -0.2, 0.3])
    widths = [100, 1600]
    ntk = [scaled_shallow_kernel_change(D, x, y, 0.2, 150, "ntk") for D in widths]
    mf = [scaled_shallow_kernel_change(D, x, y, 0.2, 150, "mean_field") for D in widths]
    assert all(m[0] > 0.2 for m in mf) and ntk[1][0] < 0.02
    assert ntk[1][0] < ntk[0][0] / 2  # falls with the width, about as D^-1/2
    assert mf[1][0] > mf[0][0] / 2  # does not
    assert all(r[1] < 0.05 for r in ntk + mf)  # both trained


# ------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, match", [
    (lambda: deep_linear_product([1.0, 2.0], 0.1, 1.0), "^Sigma_yx must be a non-empty 2-D"),
    (lambda: deep_linear_product(np.zeros((0, 2)), 0.1, 1.0), "^Sigma_yx must be a non-empty"),
    (lambda: deep_linear_product([[np.nan]], 0.1, 1.0), "^Sigma_yx must contain only finite"),
    (lambda: deep_linear_product([[1.0]], 0.0, 1.0), "^u0 must be a finite positive"),
    (lambda: deep_linear_product([[1.0]], np.inf, 1.0), "^u0 must be a finite positive"),
    (lambda: deep_linear_product([[1.0]], 0.1, -1.0), "^t must be non-negative"),
    (lambda: deep_linear_product([[1.0]], 0.1, np.inf), "^t must be finite"),
    (lambda: deep_linear_strength([-1.0], 0.1, 1.0), "^s must be non-negative"),
    (lambda: deep_linear_strength(np.ones((2, 2)), 0.1, 1.0), "^s must be a scalar or a 1-D"),
    (lambda: deep_linear_half_times([np.nan], 0.1), "^s must contain only finite"),
    (lambda: deep_linear_simulate([[1.0]], 0.1, [1.0, 0.5]), "^t must be increasing"),
    (lambda: deep_linear_simulate([[1.0]], 0.1, [0.0, 2e6]), "^t must be increasing"),
    (lambda: deep_linear_simulate(np.eye(3), 0.1, [0.0, 1.0], hidden=2),
     "^hidden must be at least min"),
    (lambda: deep_linear_simulate(np.eye(2), 0.1, [0.0, 1.0], W1_0=np.eye(2)),
     "^W1_0 and W2_0 must be given together"),
    (lambda: deep_linear_simulate(np.eye(2), 0.1, [0.0, 1.0], W1_0=np.eye(2),
                                  W2_0=np.eye(3)), "^W1_0 and W2_0 must have shapes"),
    (lambda: deep_linear_simulate(np.ones((100, 100)), 0.1, [0.0, 1.0]),
     "^the number of weights must be at most"),
    (lambda: scaled_shallow_kernel_change(10, [0.1], [0.2], 0.1, 5, "lazy"),
     "^scaling must be one of"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("bad", ["abc", [[1j]], [[None]]])
def test_non_numeric_correlation_is_refused(bad):
    with pytest.raises(TypeError, match="^Sigma_yx must be"):
        deep_linear_product(bad, 0.1, 1.0)


def test_the_caller_s_arrays_are_left_alone():
    S = np.array([[2.0, 0.0], [0.0, 1.0]])
    t = np.array([0.0, 1.0])
    S0, t0 = S.copy(), t.copy()
    deep_linear_product(S, 0.1, t)
    deep_linear_simulate(S, 0.1, t)
    np.testing.assert_array_equal(S, S0)
    np.testing.assert_array_equal(t, t0)


def test_exported_from_the_package():
    for name in ("deep_linear_product", "deep_linear_half_times", "deep_linear_strength",
                 "diagonal_network_limit"):
        assert name in gflow_lib.__all__ and callable(getattr(gflow_lib, name))
