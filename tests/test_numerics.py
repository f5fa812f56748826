"""The numerical reference solver against independent methods and the reference numbers
(tests/reference/README.md).

Independent methods: the exact exponential of an augmented matrix (scipy.linalg.expm), a
scalar problem solved by hand, and small-step gradient descent written out here.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from gflow_lib.numerics import solve_flow_numerically

X_SEED = np.vstack([[0.2, 0.4, 0.8], np.ones(3)])
Y_SEED = np.array([-0.1, 0.15, 0.3])
PHI0_SEED = np.array([-0.05, -0.4])


def expm_params(X, y, phi0, t):
    """phi(t) exactly: the flow is linear in (phi, 1), so phi(t) = expm(t M) (phi0, 1)."""
    D = X.shape[0]
    M = np.zeros((D + 1, D + 1))
    M[:D, :D] = -X @ X.T
    M[:D, D] = X @ y
    return scipy.linalg.expm(t * M)[:D] @ np.append(phi0, 1.0)


@pytest.mark.parametrize(
    "t, slope, intercept",
    [(0.1, 0.024841, -0.265046), (0.3, 0.117768, -0.109822), (2.0, 0.289343, -0.010358),
     (19.99, 0.603152, -0.164261)],
)
def test_reference_numbers_of_notes(t, slope, intercept):
    phi = solve_flow_numerically(X_SEED, Y_SEED, PHI0_SEED, t)
    assert phi.shape == (2,)
    assert abs(phi[0] - slope) <= 5e-7
    assert abs(phi[1] - intercept) <= 5e-7


@pytest.mark.parametrize("shape", [(2, 3), (3, 3), (4, 2), (1, 5)])
@pytest.mark.parametrize("method", ["DOP853", "Radau", "LSODA"])
def test_matches_matrix_exponential(shape, method):
    rng = np.random.default_rng(7)
    X = rng.normal(size=shape)
    y = rng.normal(size=shape[1])
    phi0 = rng.normal(size=shape[0])
    ts = np.array([0.0, 0.05, 0.7, 3.0])
    got = solve_flow_numerically(X, y, phi0, ts, method=method)
    want = np.array([expm_params(X, y, phi0, t) for t in ts])
    assert got.shape == (ts.size, shape[0])
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)


def test_scalar_problem_by_hand():
    # D = I = 1: phi' = -x^2 phi + x y, so phi(t) = y/x + (phi0 - y/x) exp(-x^2 t).
    x, y, phi0 = 1.5, 0.6, -2.0
    ts = np.array([0.0, 0.1, 1.0, 4.0])
    want = y / x + (phi0 - y / x) * np.exp(-x * x * ts)
    got = solve_flow_numerically([[x]], [y], [phi0], ts)
    np.testing.assert_allclose(got[:, 0], want, rtol=1e-9, atol=1e-11)


def test_small_step_gradient_descent():
    h, n = 1e-4, 5000  # t = 0.5
    phi = PHI0_SEED.copy()
    for _ in range(n):
        phi = phi - h * (X_SEED @ (X_SEED.T @ phi - Y_SEED))
    got = solve_flow_numerically(X_SEED, Y_SEED, PHI0_SEED, h * n)
    # Euler's error is O(h): about 1e-5 here.
    np.testing.assert_allclose(got, phi, atol=1e-4)
    assert np.max(np.abs(got - phi)) > 0  # and not identical: they are different methods


def test_unsorted_times_come_back_in_the_order_given():
    ts = np.array([2.0, 0.1, 19.99, 0.3, 0.1])
    got = solve_flow_numerically(X_SEED, Y_SEED, PHI0_SEED, ts)
    want = np.array([expm_params(X_SEED, Y_SEED, PHI0_SEED, t) for t in ts])
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


def test_time_zero_returns_the_start():
    np.testing.assert_array_equal(solve_flow_numerically(X_SEED, Y_SEED, PHI0_SEED, 0.0),
                                  PHI0_SEED)
    out = solve_flow_numerically(X_SEED, Y_SEED, PHI0_SEED, [0.0, 0.0])
    assert out.shape == (2, 2)


def test_tolerances_matter():
    loose = solve_flow_numerically(X_SEED, Y_SEED, PHI0_SEED, 5.0, rtol=1e-2, atol=1e-2,
                                   method="RK23")
    exact = expm_params(X_SEED, Y_SEED, PHI0_SEED, 5.0)
    tight = solve_flow_numerically(X_SEED, Y_SEED, PHI0_SEED, 5.0)
    assert np.max(np.abs(tight - exact)) < np.max(np.abs(loose - exact))


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        ({"X": [0.2, 0.4, 0.8]}, ValueError, "X must be a 2-D"),
        ({"X": X_SEED.T}, ValueError, "transposed"),
        ({"y": [1.0, 2.0]}, ValueError, "y must have length 3"),
        ({"phi0": [1.0, 2.0, 3.0]}, ValueError, "phi0 must have length 2"),
        ({"phi0": [np.nan, 0.0]}, ValueError, "phi0 must contain only finite"),
        ({"X": np.full((2, 3), np.inf)}, ValueError, "X must contain only finite"),
        ({"t": -1.0}, ValueError, "t must be non-negative"),
        ({"t": [[1.0]]}, ValueError, "t must be a scalar or a 1-D"),
        ({"t": "1"}, TypeError, "t must be a real numeric"),
        ({"rtol": 0.0}, ValueError, "rtol must be a finite positive"),
        ({"atol": -1.0}, ValueError, "atol must be a finite positive"),
        ({"method": 3}, TypeError, "method must be the name"),
    ],
)
def test_bad_input(kwargs, exc, words):
    args = {"X": X_SEED, "y": Y_SEED, "phi0": PHI0_SEED, "t": 1.0}
    args.update(kwargs)
    with pytest.raises(exc, match=words):
        solve_flow_numerically(**args)


def test_dense_grid_is_accurate_with_the_defaults():
    """The book's live check: 400 times on [0, 20), compared with the exact exponential."""
    ts = np.linspace(0.0, 20.0, 400, endpoint=False)
    got = solve_flow_numerically(X_SEED, Y_SEED, PHI0_SEED, ts)
    want = np.array([expm_params(X_SEED, Y_SEED, PHI0_SEED, t) for t in ts[::37]])
    assert np.max(np.abs(got[::37] - want)) < 1e-10
