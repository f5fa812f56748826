"""Tests of the feature maps: shapes, the bias row, and the kernels the random maps
approximate (closed-form kernels computed here, checked with many features)."""

from __future__ import annotations

import numpy as np
import pytest

from gflow_lib.data import design_matrix
from gflow_lib.features import fourier_features, polynomial_features, relu_features

X_IN = np.array([0.0, 0.2, 0.4, 0.8, 1.0])


def test_polynomial_matches_vandermonde():
    F = polynomial_features(X_IN, 4)
    assert F.shape == (5, 5)
    V = np.vander(X_IN, 5, increasing=True)  # columns 1, x, ..., x^4
    np.testing.assert_allclose(F[:-1], V[:, 1:].T)
    np.testing.assert_array_equal(F[-1], np.ones(5))


def test_polynomial_degree_one_is_the_line():
    np.testing.assert_array_equal(polynomial_features(X_IN, 1), design_matrix(X_IN))


@pytest.mark.parametrize("fmap", [fourier_features, relu_features])
def test_random_features_shape_bias_and_consistency(fmap):
    """D = n + 1 > I; last row ones; the same seed gives the same features at any inputs."""
    F = fmap(X_IN[:3], 40, seed=3)
    assert F.shape == (41, 3)
    np.testing.assert_array_equal(F[-1], np.ones(3))
    both = fmap(X_IN, 40, seed=3)
    np.testing.assert_array_equal(both[:, [0, 1, 2]], F)
    assert not np.allclose(fmap(X_IN, 40, seed=4), both)


def test_fourier_features_approximate_gaussian_kernel():
    ell = 0.3
    F = fourier_features(X_IN, 200_000, lengthscale=ell, seed=0)
    K = F.T @ F
    d = X_IN[:, None] - X_IN[None, :]
    ref = np.exp(-(d**2) / (2 * ell**2)) + 1.0
    np.testing.assert_allclose(K, ref, atol=0.02)


def test_relu_features_approximate_arc_cosine_kernel():
    """E[2 relu(w.u) relu(w.u')] for w ~ N(0, I) is |u||u'|(sin t + (pi - t) cos t) / pi."""
    F = relu_features(X_IN, 200_000, seed=0)
    K = F.T @ F
    U = np.vstack([X_IN, np.ones_like(X_IN)])
    norms = np.linalg.norm(U, axis=0)
    cos = np.clip((U.T @ U) / np.outer(norms, norms), -1.0, 1.0)
    theta = np.arccos(cos)
    ref = np.outer(norms, norms) * (np.sin(theta) + (np.pi - theta) * cos) / np.pi + 1.0
    np.testing.assert_allclose(K, ref, rtol=0.02)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: polynomial_features(X_IN, 0), ValueError, "degree must be a positive"),
        (lambda: polynomial_features(X_IN, 2.5), TypeError, "degree must be a non-negative int"),
        (lambda: polynomial_features(X_IN[:, None], 2), ValueError, "x must be a 1-D"),
        (lambda: relu_features(X_IN, 0), ValueError, "n_features must be a positive"),
        (lambda: relu_features(X_IN, 5, seed=-1), ValueError, "seed must be a non-negative"),
        (lambda: fourier_features(X_IN, 5, lengthscale=0.0), ValueError, "lengthscale"),
        (lambda: fourier_features([0.1, np.nan], 5), ValueError, "x must contain only finite"),
        (lambda: relu_features("abc", 5), TypeError, "x must be a real numeric"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
