"""ml_params, map_params and ridge_params against tests/reference/README.md and independent
methods: pinv,
the normal equations, an augmented least-squares problem for ridge, and the flow's limit."""

from __future__ import annotations

import numpy as np
import pytest

from gflow_lib import LinearFlow, map_params, ml_params, ridge_params


def ridge_by_augmentation(X, y, lam, center=None):
    """argmin 0.5|X^T phi - y|^2 + 0.5 lam |phi - c|^2 as the ordinary least-squares problem
    [X^T; sqrt(lam) I] phi = [y; sqrt(lam) c], solved by SVD (lstsq)."""
    D = X.shape[0]
    c = np.zeros(D) if center is None else np.asarray(center, float)
    A = np.vstack([X.T, np.sqrt(lam) * np.eye(D)])
    b = np.concatenate([y, np.sqrt(lam) * c])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def problem(rng, D, n_data, rank=None):
    if rank is None:
        X = rng.normal(size=(D, n_data))
    else:
        X = rng.normal(size=(D, rank)) @ rng.normal(size=(rank, n_data))
    return X, rng.normal(size=n_data)


SHAPES = {"D<I": (3, 8, None), "D=I": (4, 4, None), "D>I": (7, 3, None),
          "rank-deficient-tall": (4, 9, 2), "rank-deficient-wide": (6, 4, 3)}


# ------------------------------------------------- tests/reference/README.md
def test_ml_reference(seed):
    X, y, _ = seed
    phi = ml_params(X, y)
    assert phi.shape == (2,)
    assert abs(phi[0] - 0.625) <= 5e-7 and abs(phi[1] + 0.175) <= 5e-7


def test_map_reference(seed):
    X, y, _ = seed
    phi = map_params(X, y, 0.05, 3.0)
    assert phi.shape == (2,)
    assert abs(phi[0] - 0.568123) <= 5e-7 * (1 + 1e-9)
    assert abs(phi[1] + 0.147637) <= 5e-7 * (1 + 1e-9)
    np.testing.assert_allclose(phi, ridge_params(X, y, 1 / 60), rtol=1e-14)


# ----------------------------------------------------------------------------------- ML
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_ml_is_min_norm_least_squares(shape):
    rng = np.random.default_rng(1)
    X, y = problem(rng, *shape)
    phi = ml_params(X, y)
    want = np.linalg.pinv(X.T, rcond=1e-10) @ y
    np.testing.assert_allclose(phi, want, rtol=0, atol=1e-12 * np.linalg.norm(want))
    # normal equations: the residual is orthogonal to the rows of X^T
    r = X.T @ phi - y
    assert np.linalg.norm(X @ r) <= 1e-12 * np.linalg.norm(X) ** 2 * np.linalg.norm(phi)
    # minimum norm: no component in the null space of X^T
    U, s, _ = np.linalg.svd(X)
    null = U[:, np.sum(s > 1e-10 * s[0]):]
    assert np.linalg.norm(null.T @ phi) <= 1e-12 * np.linalg.norm(phi)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_ml_is_the_flow_limit_from_zero(shape):
    rng = np.random.default_rng(2)
    X, y = problem(rng, *shape)
    lim = LinearFlow(X, y, np.zeros(X.shape[0])).limit()
    np.testing.assert_allclose(ml_params(X, y), lim, rtol=0, atol=1e-10 * np.linalg.norm(lim))


def test_ml_when_d_exceeds_i_interpolates_where_inv_fails():
    rng = np.random.default_rng(4)
    X, y = problem(rng, 6, 2)
    assert np.linalg.matrix_rank(X @ X.T) == 2  # inv(X X^T) would be singular
    np.testing.assert_allclose(X.T @ ml_params(X, y), y, atol=1e-12)


def test_ml_accepts_lists_and_ints():
    X = [[1, 2, 4], [1, 1, 1]]
    y = [0, 1, 3]
    np.testing.assert_allclose(ml_params(X, y), ml_params(np.array(X, float), np.array(y, float)),
                               rtol=1e-15)


# ---------------------------------------------------------------------------- MAP, ridge
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("lam", [1e-3, 0.5, 40.0])
def test_ridge_matches_augmented_least_squares(shape, lam):
    rng = np.random.default_rng(6)
    X, y = problem(rng, *shape)
    want = ridge_by_augmentation(X, y, lam)
    # Cholesky on X X^T + lam I (or X^T X + lam I) errs by about eps times its condition
    # number (lambda_max + lam) / lam; the augmented SVD reference is better conditioned.
    cond = (np.linalg.norm(X, 2) ** 2 + lam) / lam
    np.testing.assert_allclose(ridge_params(X, y, lam), want, rtol=0,
                               atol=10 * np.finfo(float).eps * cond * np.linalg.norm(want))
    # the gradient of the penalized loss vanishes there
    phi = ridge_params(X, y, lam)
    grad = X @ (X.T @ phi - y) + lam * phi
    assert np.linalg.norm(grad) <= 1e-11 * (np.linalg.norm(X) ** 2 + lam) * np.linalg.norm(phi)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_ridge_with_center(shape):
    rng = np.random.default_rng(7)
    X, y = problem(rng, *shape)
    c = rng.normal(size=X.shape[0])
    want = ridge_by_augmentation(X, y, 0.3, c)
    np.testing.assert_allclose(ridge_params(X, y, 0.3, center=c), want, atol=1e-11)
    np.testing.assert_allclose(ridge_params(X, y, 1e12, center=c), c, atol=1e-9)


def test_ridge_array_of_penalties():
    rng = np.random.default_rng(8)
    for shape in ((3, 6), (6, 3)):
        X, y = problem(rng, *shape)
        lams = np.array([0.01, 0.1, 1.0, 10.0])
        out = ridge_params(X, y, lams)
        assert out.shape == (4, shape[0])
        for k, la in enumerate(lams):
            np.testing.assert_allclose(out[k], ridge_params(X, y, la), rtol=1e-13)
        assert ridge_params(X, y, [0.1]).shape == (1, shape[0])
        # shrinkage: the norm decreases with the penalty
        assert np.all(np.diff(np.linalg.norm(out, axis=1)) < 0)


def test_map_depends_only_on_the_ratio_and_limits(seed):
    X, y, _ = seed
    np.testing.assert_allclose(map_params(X, y, 0.1, 6.0), map_params(X, y, 0.05, 3.0),
                               rtol=1e-14)
    # a vanishing noise (or a flat prior) recovers ML; a tight prior pins phi at 0
    np.testing.assert_allclose(map_params(X, y, 1e-12, 3.0), ml_params(X, y), atol=1e-9)
    np.testing.assert_allclose(map_params(X, y, 0.05, 1e12), ml_params(X, y), atol=1e-9)
    np.testing.assert_allclose(map_params(X, y, 0.05, 1e-12), 0.0, atol=1e-9)
    assert type(map_params(X, y, 1, 3)) is np.ndarray  # int variances accepted


def test_map_matches_ridge_for_d_greater_than_i():
    rng = np.random.default_rng(10)
    X, y = problem(rng, 6, 3)
    want = ridge_by_augmentation(X, y, 0.05 / 3.0)
    np.testing.assert_allclose(map_params(X, y, 0.05, 3.0), want, atol=1e-11 * np.linalg.norm(want))
