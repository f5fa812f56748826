"""gflow_lib.kernels: each kernel against its definition as an expectation over random weights
(quadrature in polar coordinates for the arc-cosine kernels, Gauss-Hermite x Gauss-Legendre
quadrature for the RBF, high-precision Monte Carlo for both), the random features of
gflow_lib.features converging to them at the rate n^(-1/2) (Monte Carlo over seeds), kernel
ridge against solves and pseudo-inverses, symmetry and positive semidefiniteness, and one test
per kind of bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import quad

from gflow_lib import KernelFlow, ridge_params
from gflow_lib.features import fourier_features, relu_features
from gflow_lib.kernels import (
    KernelGap,
    arccos_kernel,
    kappa0,
    kappa1,
    kernel_ridge,
    random_feature_gap,
    rbf_kernel,
    relu_kernel,
)

X1 = np.array([-1.5, -0.3, 0.0, 0.2, 0.2 + 1e-9, 0.8, 2.5])


# ------------------------------------------------------------------- independent references
def polar_arccos(u, up, order):
    """Cho and Saul's k_n(u, u') = 2 E[step(w.u) step(w.u') (w.u)^n (w.u')^n], w ~ N(0, I_2),
    integrated in polar coordinates: the radial integral is 2^n n!, the angular one is done by
    adaptive quadrature with the kinks of the integrand as break points."""
    u, up = np.asarray(u, float), np.asarray(up, float)

    def h(a):
        e = np.array([np.cos(a), np.sin(a)])
        s, sp = e @ u, e @ up
        return (s > 0) * (sp > 0) * (s * sp) ** order

    kinks = sorted({(np.arctan2(v[1], v[0]) + sgn * np.pi / 2) % (2 * np.pi)
                    for v in (u, up) for sgn in (1, -1)})
    val = quad(h, 0.0, 2 * np.pi, points=kinks, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    return 2.0 ** order * np.prod(range(1, order + 1)) / np.pi * val


def quadrature_rbf(x, xp, ell, n=60):
    """E[2 cos(w x + b) cos(w x' + b)] with w ~ N(0, 1/ell^2) (Gauss-Hermite) and
    b ~ U(0, 2 pi) (Gauss-Legendre): the definition of the Fourier features' kernel."""
    z, wz = np.polynomial.hermite_e.hermegauss(n)  # weight exp(-z^2 / 2)
    wz = wz / np.sqrt(2 * np.pi)
    b, wb = np.polynomial.legendre.leggauss(n)
    b, wb = np.pi * (b + 1), wb / 2  # uniform on (0, 2 pi), weights sum to 1
    w = z / ell
    integrand = 2 * np.cos(w[:, None] * x + b[None, :]) * np.cos(w[:, None] * xp + b[None, :])
    return float(wz @ integrand @ wb)


# ----------------------------------------------------------------------- definitions
@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize("pair", [(0.0, 0.0), (0.2, 0.8), (-1.5, 2.5), (0.3, -0.3),
                                  (-1.0, 1.0), (2.5, 2.5)])
def test_arccos_kernel_matches_polar_quadrature(order, pair):
    x, xp = pair
    want = polar_arccos((x, 1.0), (xp, 1.0), order)
    got = arccos_kernel([x], [xp], order=order)[0, 0]
    assert got == pytest.approx(want, rel=1e-11, abs=1e-13)


@pytest.mark.parametrize("theta", [0.0, 1e-6, 0.3, np.pi / 2, 2.0, np.pi - 1e-4, np.pi])
def test_kappas_match_quadrature_of_unit_vectors(theta):
    """Unit vectors whose angle is arccos(c) for the very float c given to the kappas
    (sqrt((1 - c)(1 + c)) has no cancellation)."""
    c = np.cos(theta)
    u, up = (1.0, 0.0), (c, np.sqrt((1 - c) * (1 + c)))
    assert kappa0(c) == pytest.approx(polar_arccos(u, up, 0), rel=1e-11, abs=1e-13)
    assert kappa1(c) == pytest.approx(polar_arccos(u, up, 1), rel=1e-11, abs=1e-13)


def test_kappa_values_derivative_and_clipping():
    c = np.linspace(-1, 1, 401)
    assert kappa0(1.0) == 1.0 and kappa0(-1.0) == 0.0 and kappa0(0.0) == 0.5
    assert kappa1(1.0) == pytest.approx(1.0, rel=1e-15) and abs(kappa1(-1.0)) < 1e-15
    assert kappa1(0.0) == pytest.approx(1 / np.pi, rel=1e-15)
    h = 1e-6
    mid = c[1:-1]
    np.testing.assert_allclose((kappa1(mid + h) - kappa1(mid - h)) / (2 * h), kappa0(mid),
                               atol=1e-8)
    assert np.all(np.diff(kappa0(c)) > 0) and np.all(np.diff(kappa1(c)) > 0)
    # rounding just outside [-1, 1] is clipped, not NaN
    assert kappa1(1.0 + 1e-12) == kappa1(1.0) and kappa0(-1.0 - 1e-12) == kappa0(-1.0)
    assert kappa1(np.array([[0.5]])).shape == (1, 1)


def test_relu_kernel_is_lifted_kappa1_plus_bias():
    u = np.sqrt(X1**2 + 1)
    cos = (np.outer(X1, X1) + 1) / np.outer(u, u)
    for bias_var in (0.0, 1.0, 0.37):
        np.testing.assert_allclose(relu_kernel(X1, X1, bias_var),
                                   np.outer(u, u) * kappa1(cos) + bias_var, rtol=1e-13,
                                   atol=1e-14)
    np.testing.assert_allclose(relu_kernel(X1), relu_kernel(X1, X1, 1.0), rtol=0, atol=0)
    np.testing.assert_allclose(arccos_kernel(X1, order=0), kappa0(cos), atol=1e-14)
    # on the diagonal: |u|^2 kappa1(1) + 1 = x^2 + 2
    np.testing.assert_allclose(np.diag(relu_kernel(X1)), X1**2 + 2, rtol=1e-14)


@pytest.mark.parametrize("ell", [0.1, 0.2, 1.0])
@pytest.mark.parametrize("pair", [(0.0, 0.0), (0.2, 0.35), (0.1, 0.9)])
def test_rbf_kernel_matches_quadrature_of_fourier_features(ell, pair):
    x, xp = pair
    want = quadrature_rbf(x, xp, ell) + 1.0  # the ones row
    assert rbf_kernel([x], [xp], ell)[0, 0] == pytest.approx(want, rel=1e-12, abs=1e-13)
    assert rbf_kernel([x], [xp], ell, bias_var=0.0)[0, 0] == pytest.approx(want - 1.0,
                                                                           abs=1e-13)


def test_kernels_match_high_precision_monte_carlo_over_weights():
    """2 E[relu(w.u) relu(w.u')] and E[2 cos(wx+b) cos(wx'+b)] from 4 million weights, within
    5 standard errors (estimated from the same sample)."""
    rng = np.random.default_rng(7)
    n = 4_000_000
    x = np.array([-0.5, 0.2, 0.9])
    w, b = rng.normal(size=n), rng.normal(size=n)
    H = np.sqrt(2) * np.maximum(0.0, np.outer(w, x) + b[:, None])  # (n, 3)
    ell = 0.3
    wf, bf = rng.normal(0, 1 / ell, size=n), rng.uniform(0, 2 * np.pi, size=n)
    C = np.sqrt(2) * np.cos(np.outer(wf, x) + bf[:, None])
    for F, kern in ((H, relu_kernel(x, bias_var=0.0)),
                    (C, rbf_kernel(x, lengthscale=ell, bias_var=0.0))):
        for i in range(3):
            for j in range(3):
                terms = F[:, i] * F[:, j]
                se = terms.std() / np.sqrt(n)
                assert abs(terms.mean() - kern[i, j]) < 5 * se, (i, j, terms.mean(), kern[i, j])


# --------------------------------------------------------------------- random features
@pytest.mark.parametrize("kind", ["relu", "fourier"])
def test_random_feature_gram_converges_at_rate_one_over_sqrt_n(kind):
    """Monte Carlo over 40 seeds: the rms gap falls like n^(-1/2) (fitted slope -0.5 +- 0.06)
    and agrees with the variance of one feature's term (ratio within 20 per cent)."""
    x = np.linspace(0.0, 1.0, 8)
    ns = np.array([10, 40, 160, 640, 2560])
    g = random_feature_gap(x, ns, kind=kind, n_seeds=40, lengthscale=0.2, seed=3)
    assert isinstance(g, KernelGap) and g.gap.shape == g.expected.shape == (5,)
    assert g.slope == pytest.approx(-0.5, abs=0.06)
    np.testing.assert_allclose(g.gap / g.expected, 1.0, atol=0.2)
    np.testing.assert_allclose(g.expected * np.sqrt(ns), g.expected[0] * np.sqrt(ns[0]))


def test_random_feature_gap_is_the_rms_of_the_features_gram_minus_the_kernel():
    x = np.array([0.1, 0.5, 0.7])
    g = random_feature_gap(x, [25], n_seeds=3, seed=11)
    sq = []
    for s in (11, 12, 13):
        F = relu_features(x, 25, s)
        sq.append(np.mean((F.T @ F - relu_kernel(x)) ** 2))
    assert g.gap[0] == pytest.approx(np.sqrt(np.mean(sq)), rel=1e-14)
    assert np.isnan(g.slope)
    Ff = fourier_features(x, 25, 0.4, 11)
    gf = random_feature_gap(x, [25], kind="fourier", n_seeds=1, lengthscale=0.4, seed=11)
    assert gf.gap[0] == pytest.approx(np.sqrt(np.mean((Ff.T @ Ff - rbf_kernel(x, x, 0.4)) ** 2)),
                                      rel=1e-14)


@pytest.mark.parametrize("kind", ["relu", "fourier"])
def test_expected_gap_is_the_variance_of_one_features_term(kind):
    """n * expected^2 is the mean over entries of the variance of one feature's term of
    F^T F, measured here from a million raw draws of (w, b)."""
    x = np.array([0.0, 0.1, 0.25, 0.4])  # close: the kernel's off-diagonal matters
    rng = np.random.default_rng(5)
    n = 1_000_000
    if kind == "relu":
        w, b = rng.normal(size=n), rng.normal(size=n)
        H = np.sqrt(2) * np.maximum(0.0, np.outer(w, x) + b[:, None])
    else:
        w, b = rng.normal(0, 1 / 0.2, size=n), rng.uniform(0, 2 * np.pi, size=n)
        H = np.sqrt(2) * np.cos(np.outer(w, x) + b[:, None])
    var = np.mean([np.var(H[:, i] * H[:, j]) for i in range(4) for j in range(4)])
    g = random_feature_gap(x, [1], kind=kind, n_seeds=1)
    assert g.expected[0] ** 2 == pytest.approx(var, rel=0.01)


def test_predictions_of_random_features_approach_the_kernels():
    """A flow over n random ReLU features predicts what the flow of the limit kernel predicts,
    up to a gap that shrinks as n grows (mean over 8 seeds)."""
    x = np.linspace(0.05, 0.95, 6)
    y = np.sin(2 * np.pi * x)
    xn = np.linspace(-0.2, 1.2, 9)
    want = KernelFlow(relu_kernel(x), y).predict(relu_kernel(xn, x), 3.0)
    gaps = []
    for n in (30, 3000):
        gaps.append(np.mean([np.sqrt(np.mean((KernelFlow(
            (F := relu_features(x, n, s)).T @ F, y).predict(relu_features(xn, n, s).T @ F, 3.0)
            - want) ** 2)) for s in range(8)]))
    assert gaps[1] < gaps[0] / 4 and gaps[1] < 0.05


# -------------------------------------------------------------------- kernel ridge
def test_kernel_ridge_matches_a_solve_and_the_parameter_space_ridge(rng):
    x, xn = rng.uniform(0, 1, 7), rng.uniform(-0.5, 1.5, 4)
    y = rng.normal(size=7)
    K, Kn = rbf_kernel(x, lengthscale=0.3), rbf_kernel(xn, x, lengthscale=0.3)
    for mu in (1e-3, 0.5, 20.0):
        np.testing.assert_allclose(kernel_ridge(K, y, Kn, mu),
                                   Kn @ np.linalg.solve(K + mu * np.eye(7), y), rtol=1e-10)
    many = kernel_ridge(K, y, Kn, np.array([0.1, 1.0]))
    assert many.shape == (2, 4)
    np.testing.assert_allclose(many[1], kernel_ridge(K, y, Kn, 1.0), rtol=1e-13)
    # through features: kernel ridge is ridge in parameter space
    X, Xn = rng.normal(size=(4, 7)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(kernel_ridge(X.T @ X, y, Xn.T @ X, 0.7),
                               Xn.T @ ridge_params(X, y, 0.7), rtol=1e-10)


def test_kernel_ridge_without_penalty_is_the_flows_limit_and_the_min_norm_interpolant(rng):
    x, xn = np.linspace(0, 1, 6), np.linspace(-0.3, 1.3, 5)
    y = rng.normal(size=6)
    K, Kn = rbf_kernel(x, lengthscale=0.25), rbf_kernel(xn, x, lengthscale=0.25)
    f_inf = kernel_ridge(K, y, Kn, 0.0)
    np.testing.assert_allclose(f_inf, Kn @ np.linalg.solve(K, y), rtol=1e-9)
    np.testing.assert_allclose(kernel_ridge(K, y, K, 0.0), y, atol=1e-9)
    np.testing.assert_allclose(KernelFlow(K, y).predict(Kn, 1e9), f_inf, rtol=1e-9)
    # a singular kernel (D = 3 < I = 6): zero modes dropped, the min-norm solution
    X, Xn = rng.normal(size=(3, 6)), rng.normal(size=(3, 4))
    np.testing.assert_allclose(kernel_ridge(X.T @ X, y, Xn.T @ X, 0.0),
                               Xn.T @ np.linalg.pinv(X.T) @ y, rtol=1e-9, atol=1e-12)


# ----------------------------------------------------------------- structure, PSD
@pytest.mark.parametrize("kernel", [lambda a, b=None: rbf_kernel(a, b, 0.2),
                                    relu_kernel, lambda a, b=None: arccos_kernel(a, b, 0),
                                    lambda a, b=None: arccos_kernel(a, b, 2)],
                         ids=["rbf", "relu", "arccos0", "arccos2"])
def test_kernels_are_symmetric_and_positive_semidefinite(kernel, rng):
    x1, x2 = rng.uniform(-2, 2, 9), rng.uniform(-2, 2, 4)
    K = kernel(x1)
    assert K.shape == (9, 9)
    np.testing.assert_allclose(K, K.T, rtol=0, atol=0)
    assert np.linalg.eigvalsh(K)[0] > -1e-12 * np.abs(K).max()
    np.testing.assert_allclose(kernel(x1, x2), kernel(x2, x1).T, rtol=1e-14)
    assert kernel(x1, x2).shape == (9, 4)


@given(st.lists(st.floats(-5, 5), min_size=1, max_size=12),
       st.floats(0.05, 3.0), st.floats(0.0, 2.0))
def test_kernel_matrices_are_psd_for_any_inputs(xs, ell, bias_var):
    x = np.array(xs)
    for K in (rbf_kernel(x, lengthscale=ell, bias_var=bias_var),
              relu_kernel(x, bias_var=bias_var)):
        scale = np.abs(K).max()
        assert np.linalg.eigvalsh(K)[0] >= -1e-12 * scale * x.size
        assert np.all(np.isfinite(K))
    assert np.all(relu_kernel(x) >= 1.0)  # arc-cosine part >= 0, plus the ones row


def test_close_inputs_keep_full_accuracy():
    """theta from atan2: no sqrt(eps) error for inputs 1e-9 apart."""
    k = arccos_kernel([0.2], [0.2 + 1e-9], order=1)[0, 0]
    assert k == pytest.approx(polar_arccos((0.2, 1.0), (0.2 + 1e-9, 1.0), 1), rel=1e-13)


# ------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: rbf_kernel(np.ones((2, 2))), ValueError, "^x1 must be a 1-D array"),
        (lambda: rbf_kernel([0.0, np.nan]), ValueError, "^x1 must contain only finite"),
        (lambda: relu_kernel([0.0], [1j]), TypeError, "^x2 must be real, not complex"),
        (lambda: relu_kernel("abc"), TypeError, "^x1 must be a real numeric array"),
        (lambda: rbf_kernel([0.0], lengthscale=0.0), ValueError, "^lengthscale must be"),
        (lambda: rbf_kernel([0.0], lengthscale=-1.0), ValueError, "^lengthscale must be"),
        (lambda: rbf_kernel([0.0], bias_var=-0.1), ValueError, "^bias_var must be a finite"),
        (lambda: relu_kernel([0.0], bias_var=True), TypeError, "^bias_var must be a non-neg"),
        (lambda: relu_kernel([0.0], bias_var=[1.0]), TypeError, "^bias_var must be a non-neg"),
        (lambda: arccos_kernel([0.0], order=3), ValueError, "^order must be 0, 1 or 2"),
        (lambda: arccos_kernel([0.0], order=True), ValueError, "^order must be 0, 1 or 2"),
        (lambda: kappa1(1.5), ValueError, r"^c must hold cosines in \[-1, 1\]"),
        (lambda: kappa0([np.inf]), ValueError, "^c must contain only finite"),
        (lambda: kernel_ridge(np.eye(2), [1.0, 2.0], np.ones((3, 3)), 1.0), ValueError,
         r"^K_new must have shape \(M, 2\)"),
        (lambda: kernel_ridge(np.eye(2), [1.0, 2.0], np.ones((3, 2)), -1.0), ValueError,
         "^penalty must be a finite non-negative"),
        (lambda: kernel_ridge(np.eye(2), [1.0, 2.0], np.ones((3, 2)), True), TypeError,
         "^penalty must be"),
        (lambda: kernel_ridge([[1.0, 2.0], [2.0, 1.0]], [1.0, 2.0], np.ones((3, 2)), 1.0),
         ValueError, "^K must be positive semidefinite"),
        (lambda: kernel_ridge(np.eye(2), [1.0], np.ones((3, 2)), 1.0), ValueError,
         "^y must have length 2"),
        (lambda: random_feature_gap([0.0, 1.0], [10], kind="cos"), ValueError,
         "^kind must be one of"),
        (lambda: random_feature_gap([0.0, 1.0], [0, 10]), ValueError,
         "^n_features must be a non-empty 1-D array of positive integers"),
        (lambda: random_feature_gap([0.0, 1.0], [10.0]), ValueError, "^n_features must"),
        (lambda: random_feature_gap([0.0, 1.0], [10], n_seeds=0), ValueError,
         "^n_seeds must be a positive integer"),
    ],
)
def test_bad_input(call, exc, words):
    with pytest.raises(exc, match=words):
        call()
