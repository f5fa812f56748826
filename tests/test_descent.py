"""gflow_lib.descent: gradient descent, its closed form, its stability thresholds and the
modified flow of backward error analysis.

Independent references: the loop written out in conftest.py (``ref.small_step_descent``), the
closed form phi_k = phi* + (I - lr A)^k (phi0 - phi*) by matrix powers, the gradient flow
(first order in lr), the modified flow propagated exactly by ``scipy.linalg.expm`` and by a
numerical ODE solve (``scipy.integrate.solve_ivp``), finite differences, and brute-force
runs just below and above the stability threshold.

Reference numbers of the seed data (the ``seed`` fixture): X X^T = [[0.84, 1.4], [1.4, 3]]
has the eigenvalues (3.84 -+ sqrt(12.5056)) / 2 = 0.151837 and 3.688163, so descent is stable
for lr < 2 / 3.688163 = 0.54228 and monotone for lr < 1 / 3.688163 = 0.2711; the
least-squares (ML) line is (slope, intercept) = (0.625, -0.175), from
[[0.84, 1.4], [1.4, 3]] phi = X y = (0.28, 0.35); the initial loss from phi0 = (-0.05, -0.4)
is 0.5 * |(-0.31, -0.57, -0.74)|^2 = 0.4843. The seed notebook printed the same numbers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from gflow_lib import LinearFlow, gradient_descent
from gflow_lib.data import running_example
from gflow_lib.descent import (
    descent_closed_form,
    exact_modified_flow_params,
    modified_flow_params,
    modified_loss,
    stability_thresholds,
)
from gflow_lib.spectrum import Descent, ExactModifiedFlow, ModifiedFlow

ML = np.array([0.625, -0.175])  # the least-squares line of the seed data (module docstring)


def _problem(D, n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(D, n)), rng.normal(size=n), rng.normal(size=D)


# ------------------------------------------------------------------ gradient_descent
def descent_by_matrix_powers(X, y, phi0, lr, ks):
    """phi_k = phi* + (I - lr A)^k (phi0 - phi*) with phi* any least-squares solution: the
    difference phi0 - phi* may have a null-space part, which (I - lr A)^k leaves alone."""
    A = X @ X.T
    phi_star = np.linalg.lstsq(X.T, y, rcond=None)[0]
    M = np.eye(X.shape[0]) - lr * A
    return np.array([phi_star + np.linalg.matrix_power(M, int(k)) @ (phi0 - phi_star) for k in ks])


SHAPES = {"D<I": (3, 7), "D=I": (3, 3), "D>I": (6, 3)}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_matches_independent_loop_and_shape(shape, ref):
    rng = np.random.default_rng(21)
    D, n_data = shape
    X, y, phi0 = rng.normal(size=shape), rng.normal(size=n_data), rng.normal(size=D)
    lr = 0.5 / np.linalg.eigvalsh(X @ X.T)[-1]
    path = gradient_descent(X, y, phi0, lr, 40)
    assert path.shape == (41, D)
    np.testing.assert_array_equal(path[0], phi0)
    for k in (1, 2, 17, 40):
        np.testing.assert_allclose(path[k], ref.small_step_descent(X, y, phi0, lr, k),
                                   rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_matches_closed_form_of_descent(shape):
    rng = np.random.default_rng(22)
    D, n_data = shape
    X, y, phi0 = rng.normal(size=shape), rng.normal(size=n_data), rng.normal(size=D)
    lam_max = np.linalg.eigvalsh(X @ X.T)[-1]
    for lr in (0.3 / lam_max, 1.5 / lam_max):  # smooth and oscillating, both stable
        ks = np.array([0, 1, 5, 30, 200])
        path = gradient_descent(X, y, phi0, lr, 200)
        want = descent_by_matrix_powers(X, y, phi0, lr, ks)
        np.testing.assert_allclose(path[ks], want, rtol=0, atol=1e-11 * np.abs(want).max())


def test_zero_steps_and_input_types(seed):
    X, y, phi0 = seed
    out = gradient_descent(X, y, phi0, 0.1, 0)
    assert out.shape == (1, 2)
    np.testing.assert_array_equal(out[0], phi0)
    from_lists = gradient_descent(X.tolist(), y.tolist(), phi0.tolist(), 0.1, np.int64(5))
    np.testing.assert_array_equal(from_lists, gradient_descent(X, y, phi0, 0.1, 5))
    Xi = np.array([[1, 2, 4], [1, 1, 1]])
    np.testing.assert_array_equal(
        gradient_descent(Xi, [0, 1, 3], [0, 0], 0.01, 3),
        gradient_descent(Xi.astype(float), [0.0, 1, 3], [0.0, 0], 0.01, 3),
    )


def test_does_not_modify_its_inputs(seed):
    X, y, phi0 = seed
    copies = X.copy(), y.copy(), phi0.copy()
    gradient_descent(X, y, phi0, 0.1, 10)
    for a, b in zip((X, y, phi0), copies, strict=True):
        np.testing.assert_array_equal(a, b)


def test_first_order_agreement_with_flow(seed):
    """|phi_k - phi(k lr)| = O(lr): halving lr halves the gap at t = 2."""
    X, y, phi0 = seed
    target = LinearFlow(X, y, phi0).params(2.0)
    gaps = []
    for lr in (0.02, 0.01, 0.005):
        n = round(2.0 / lr)
        gaps.append(np.linalg.norm(gradient_descent(X, y, phi0, lr, n)[-1] - target))
    np.testing.assert_allclose(np.array(gaps[:-1]) / np.array(gaps[1:]), 2.0, rtol=0.1)


def test_closer_to_modified_flow(seed, ref):
    """Backward error analysis: descent with step h follows the flow of
    L + (h/4)|grad L|^2, i.e. a linear flow with A' = A + (h/2) A^2 and b' = b + (h/2) A b,
    to second order in h, much better than the plain flow (first order)."""
    X, y, phi0 = seed
    h = 0.05
    A, b = X @ X.T, X @ y
    n = 40
    path = gradient_descent(X, y, phi0, h, n)
    flow = LinearFlow(X, y, phi0).params(h * np.arange(n + 1))
    # the modified flow is itself a linear flow: propagate it exactly with expm
    Am = A + 0.5 * h * A @ A
    bm = b + 0.5 * h * A @ b
    L = np.linalg.cholesky(Am)  # Am = L L^T: a data matrix L with targets L^{-1} bm
    ym = np.linalg.solve(L, bm)
    modified = ref.expm_params(L, ym, phi0, h * np.arange(n + 1))
    err_flow = np.linalg.norm(path - flow, axis=1)[1:]
    err_mod = np.linalg.norm(path - modified, axis=1)[1:]
    assert np.all(err_mod < 0.2 * err_flow), (err_mod / err_flow).max()


def test_stability_threshold_of_the_running_example(seed):
    """Stable iff lr < 2 / lambda_max = 0.54228 (module docstring)."""
    X, y, phi0 = seed
    ml = ML
    stable = gradient_descent(X, y, phi0, 0.540, 4000)[-1]
    np.testing.assert_allclose(stable, ml, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unstable = gradient_descent(X, y, phi0, 0.545, 4000)
    assert np.linalg.norm(unstable[-1] - ml) > 1e3 * np.linalg.norm(phi0 - ml)
    # the gap grows geometrically with ratio |1 - lr lambda_max|
    lam_max = np.linalg.eigvalsh(X @ X.T)[-1]
    gaps = np.linalg.norm(unstable - ml, axis=1)
    ratio = (gaps[3000] / gaps[2000]) ** (1 / 1000)
    assert ratio == pytest.approx(abs(1 - 0.545 * lam_max), rel=1e-6)


def test_oscillates_between_one_and_two_over_lambda_max(seed):
    """For 1/lambda_max < lr < 2/lambda_max the fast mode flips sign every step; below
    1/lambda_max it decays without flipping, like the flow."""
    X, y, phi0 = seed
    lam, V = np.linalg.eigh(X @ X.T)
    ml = ML
    fast = V[:, -1]
    for lr, flips in ((0.8 / lam[-1], False), (1.6 / lam[-1], True)):
        coord = (gradient_descent(X, y, phi0, lr, 12) - ml) @ fast  # well above rounding
        signs = np.sign(coord)
        assert np.all(signs != 0)
        if flips:
            assert np.all(signs[1:] != signs[:-1]), signs
        else:
            assert np.all(signs[1:] == signs[:-1]), signs
        assert abs(coord[-1]) < abs(coord[0])  # stable either way


def test_diverging_run_emits_no_warning(seed):
    X, y, phi0 = seed
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")
        out = gradient_descent(X, y, phi0, 10.0, 2000)
    assert out.shape == (2001, 2)
    assert not np.all(np.isfinite(out[-1]))  # overflowed, as the docstring says


def test_overparameterized_converges_to_min_norm_plus_null_part(ref):
    rng = np.random.default_rng(23)
    X, y, phi0 = rng.normal(size=(6, 2)), rng.normal(size=2), rng.normal(size=6)
    lam = np.linalg.eigvalsh(X.T @ X)
    lr = 1.0 / lam[-1]
    n = int(60 * lam[-1] / lam[0])
    end = gradient_descent(X, y, phi0, lr, n)[-1]
    np.testing.assert_allclose(end, ref.min_norm_limit(X, y, phi0), atol=1e-10)


# ------------------------------------------------------------------ stability thresholds
def test_thresholds_match_the_reference_numbers():
    X, _, _ = running_example()
    monotone, stable = stability_thresholds(X)
    assert round(monotone, 4) == 0.2711  # 1 / lambda_max (module docstring)
    assert round(stable, 5) == 0.54228  # 2 / lambda_max


def test_thresholds_separate_convergence_from_divergence():
    """Brute force: run the loop just below and just above 2/lambda_max."""
    X, y, phi0 = running_example()
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
    X, y, phi0 = running_example()
    with pytest.raises(err, match=match):
        descent_closed_form(X, y, phi0, 0.1, k)


def test_closed_form_rejects_bad_lr_and_shapes():
    X, y, phi0 = running_example()
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


def test_modified_flow_on_the_running_example():
    X, y, phi0 = running_example()
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
    X, y, phi0 = running_example()
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
    X, y, phi0 = running_example()
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
    X, y, phi0 = running_example()
    with pytest.raises(ValueError, match="t"):
        modified_flow_params(X, y, phi0, 0.1, -1.0)
    with pytest.raises(ValueError, match="lr"):
        modified_flow_params(X, y, phi0, np.inf, 1.0)
    with pytest.raises(TypeError, match="lr"):
        modified_flow_params(X, y, phi0, "0.1", 1.0)


# ------------------------------------------------------------ the exact modified flow
def _exact_modified_by_logm(X, y, phi0, lr, t):
    """phi* + expm(t log(I - lr A) / lr) (phi0 - phi*), with scipy's matrix logarithm and
    exponential: no eigendecomposition of ours involved."""
    from scipy.linalg import expm, logm

    A = X @ X.T
    phi_star = np.linalg.lstsq(X.T, y, rcond=None)[0]
    H = -np.real(logm(np.eye(len(phi0)) - lr * A)) / lr  # the Hessian A_lr
    return np.array([phi_star + expm(-H * tk) @ (phi0 - phi_star) for tk in t])


@pytest.mark.parametrize("shape", [(2, 3), (3, 5), (4, 2)])
@pytest.mark.parametrize("frac", [0.1, 0.6, 0.95])
def test_descent_lies_exactly_on_the_exact_modified_flow(shape, frac):
    """At t = k lr the flow with Hessian -log(I - lr A)/lr is descent after k steps, to
    rounding, also with a null space (D > I) and close to 1/lambda_max; between steps it is
    scipy's expm of that Hessian."""
    X, y, phi0 = _problem(*shape, seed=3 * shape[0] + shape[1])
    lr = frac * stability_thresholds(X).monotone
    k = np.arange(25)
    got = exact_modified_flow_params(X, y, phi0, lr, k * lr)
    loop = gradient_descent(X, y, phi0, lr, k[-1])
    assert np.max(np.abs(got - loop)) < 1e-12 * max(1.0, np.abs(loop).max())
    if shape[0] <= shape[1]:  # A invertible: logm is defined
        t = np.array([0.0, 0.37, 1.9]) * lr * 10
        ref = _exact_modified_by_logm(X, y, phi0, lr, t)
        assert np.allclose(exact_modified_flow_params(X, y, phi0, lr, t), ref,
                           rtol=1e-9, atol=1e-11)


def test_exact_modified_flow_series_starts_with_the_modified_flow():
    """-log(1 - q)/lr = lambda (1 + q/2 + q^2/3 + ...): the first correction is the backward
    error analysis one, so the two flows differ at order lr^2 in the rate."""
    lam = np.array([0.5, 1.0, 2.0])
    t = np.array([1.0])
    for lr in (1e-2, 1e-3):
        exact = ExactModifiedFlow(lr)(lam, t).keep
        first = ModifiedFlow(lr)(lam, t).keep
        rate_gap = np.log(first / exact)[0]  # (exact - first-order rate) * t
        np.testing.assert_allclose(rate_gap, lam**3 * lr**2 / 3, rtol=0.05)
    k = np.arange(6)
    np.testing.assert_allclose(ExactModifiedFlow(0.3)(lam, 0.3 * k).keep,
                               Descent(0.3)(lam, k).keep, rtol=1e-13)


def test_exact_modified_flow_running_example_and_bad_input():
    X, y, phi0 = running_example()
    lr = 0.1
    k = np.arange(101)
    gap = np.abs(exact_modified_flow_params(X, y, phi0, lr, k * lr)
                 - gradient_descent(X, y, phi0, lr, 100)).max()
    assert gap < 1e-14
    assert exact_modified_flow_params(X, y, phi0, lr, 0.3).shape == (2,)
    for bad in (0.2712, 0.3, 0.5):  # at and above 1/lambda_max = 0.27114
        with pytest.raises(ValueError, match=r"lr must be below 1/lambda_max = 0\.271"):
            exact_modified_flow_params(X, y, phi0, bad, 1.0)
    with pytest.raises(ValueError, match="t"):
        exact_modified_flow_params(X, y, phi0, 0.1, -1.0)
    with pytest.raises(ValueError, match="lr"):
        exact_modified_flow_params(X, y, phi0, 0.0, 1.0)
