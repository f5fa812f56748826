"""gradient_descent against an independent loop, the closed form of descent
phi_k = phi* + (I - lr A)^k (phi0 - phi*) by matrix powers, the flow (first order in lr), the
modified flow of backward error analysis, and its stability thresholds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gflow_lib import LinearFlow, gradient_descent


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


def test_stability_threshold_of_seed_data(seed):
    """NOTES.md: stable iff lr < 2 / lambda_max = 0.54228."""
    X, y, phi0 = seed
    ml = np.array([0.625, -0.175])
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
    ml = np.array([0.625, -0.175])
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
