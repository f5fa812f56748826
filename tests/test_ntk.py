"""gflow_lib.ntk: the infinite-width kernels and the distribution of trained networks, against
independent methods.

The kernels against two-dimensional Gaussian quadrature (polar coordinates, the kinks of the
ReLU as breakpoints, no arc-cosine formula) and against the empirical NTK of finite networks as
the width grows; the deep recursion against quadrature layer by layer and against a wide
2-hidden-layer network; the trained distribution against an ODE solve of its mean and
covariance and against Monte Carlo over trained finite networks.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg

from gflow_lib.kernels import kappa0, kappa1
from gflow_lib.network import (
    deep_empirical_ntk,
    empirical_ntk,
    init_deep,
    init_shallow,
    linearized_flow,
    shallow_forward,
    train_shallow,
)
from gflow_lib.ntk import (
    label_complexity,
    ntk_data,
    ntk_prediction_distribution,
    output_excess_kurtosis,
    parameter_movement,
    relu_kernels,
    residual_norm,
    shallow_nngp,
    shallow_ntk,
)

X, Y = ntk_data()
X_NEW = np.array([-1.0, 0.0, 0.3, 0.6, 1.5])


# -------------------------------------------------------------- quadrature (independent)
def gauss_expectations(a, b):
    """``(E[relu(w.a) relu(w.b)], E[step(w.a) step(w.b)])`` for w ~ N(0, I_2), by quadrature
    in polar coordinates: the radial integrals numerically, the angle over the whole circle
    with the kinks (where w.a = 0 or w.b = 0) as breakpoints."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    r2 = scipy.integrate.quad(lambda r: r**3 * np.exp(-r * r / 2), 0, np.inf, epsabs=1e-14)[0]
    r0 = scipy.integrate.quad(lambda r: r * np.exp(-r * r / 2), 0, np.inf, epsabs=1e-14)[0]
    kinks = []
    for c in (a, b):
        base = np.arctan2(c[1], c[0])
        kinks += [(base + s) % (2 * np.pi) for s in (np.pi / 2, -np.pi / 2)]

    def proj(alpha, c):
        return np.cos(alpha) * c[0] + np.sin(alpha) * c[1]

    def relu_relu(alpha):
        return max(proj(alpha, a), 0.0) * max(proj(alpha, b), 0.0)

    def step_step(alpha):
        return float(proj(alpha, a) > 0 and proj(alpha, b) > 0)

    def circle(fn):
        return scipy.integrate.quad(fn, 0, 2 * np.pi, points=sorted(kinks), limit=200,
                                    epsabs=1e-14, epsrel=1e-13)[0] / (2 * np.pi)

    return r2 * circle(relu_relu), r0 * circle(step_step)


def quad_shallow(x1, x2, bias_var=0.0):
    """NNGP and NTK of the shallow network by quadrature."""
    nngp, ntk = np.empty((len(x1), len(x2))), np.empty((len(x1), len(x2)))
    for i, a in enumerate(x1):
        for j, b in enumerate(x2):
            rr, ss = gauss_expectations((a, 1.0), (b, 1.0))
            nngp[i, j] = rr + bias_var
            ntk[i, j] = (a * b + 1.0) * ss + rr + 1.0
    return nngp, ntk


def quad_deep(x1, x2, depth, sigma_w, sigma_b):
    """The stax recursion with each ReLU layer's expectations by quadrature: the 2 x 2
    covariance of the pre-activations at (x, x') whitened by its Cholesky factor."""
    nngp, ntk = np.empty((len(x1), len(x2))), np.empty((len(x1), len(x2)))
    sw2, sb2 = sigma_w**2, sigma_b**2
    for i, a in enumerate(x1):
        for j, b in enumerate(x2):
            S = np.array([[sw2 * a * a + sb2, sw2 * a * b + sb2],
                          [sw2 * a * b + sb2, sw2 * b * b + sb2]])
            T = S[0, 1]
            for _ in range(depth):
                if np.linalg.det(S) > 1e-12 * S[0, 0] * S[1, 1]:
                    L = np.linalg.cholesky(S)
                else:  # rank one: both pre-activations along one direction
                    sign = 1.0 if S[0, 1] >= 0 else -1.0
                    L = np.array([[np.sqrt(S[0, 0]), 0.0], [sign * np.sqrt(S[1, 1]), 0.0]])
                rr, ss = gauss_expectations(L[0], L[1])
                r11, _ = gauss_expectations(L[0], L[0])
                r22, _ = gauss_expectations(L[1], L[1])
                S = sw2 * np.array([[r11, rr], [rr, r22]]) + sb2
                T = S[0, 1] + sw2 * ss * T
            nngp[i, j], ntk[i, j] = S[0, 1], T
    return nngp, ntk


def test_quadrature_reproduces_known_values():
    """E[relu(z)^2] = 1/2 and P(z > 0) = 1/2 for one direction; orthogonal unit directions
    give E[relu(z1) relu(z2)] = E[relu(z)]^2 = 1/(2 pi) and 1/4, opposite ones 0."""
    rr, ss = gauss_expectations((1.0, 0.0), (1.0, 0.0))
    assert abs(rr - 0.5) < 1e-12 and abs(ss - 0.5) < 1e-12
    rr, ss = gauss_expectations((1.0, 0.0), (0.0, 3.0))
    assert abs(rr - 3 / (2 * np.pi)) < 1e-12 and abs(ss - 0.25) < 1e-12
    rr, ss = gauss_expectations((1.0, 1.0), (-2.0, -2.0))
    assert abs(rr) < 1e-14 and abs(ss) < 1e-14


# ---------------------------------------------------------------------- arc-cosine terms
def test_kappa_values_and_clipping():
    c = np.array([-1.0, 0.0, 0.5, 1.0])
    assert np.allclose(kappa0(c), [0.0, 0.5, 2 / 3, 1.0], atol=1e-15)
    assert np.allclose(kappa1(c), [0.0, 1 / np.pi, (np.sqrt(0.75) + np.pi / 3) / np.pi, 1.0],
                       atol=1e-15)
    over = np.array([1.0 + 4e-16, -1.0 - 4e-16])
    with np.errstate(invalid="ignore"):
        assert np.all(np.isnan(np.arccos(over)))  # what an unclipped arccos does
    assert np.allclose(kappa0(over), [1.0, 0.0]) and np.allclose(kappa1(over), [1.0, 0.0])


def test_the_diagonal_is_exact_despite_rounding():
    x = np.linspace(-3, 3, 601)
    assert np.all(np.isfinite(shallow_ntk(x))) and np.all(np.isfinite(shallow_nngp(x)))
    assert np.allclose(np.diag(shallow_ntk(x)), x * x + 2.0, rtol=1e-14, atol=0)
    assert np.allclose(np.diag(shallow_nngp(x, bias_var=0.3)), 0.5 * (1 + x * x) + 0.3,
                       rtol=1e-14, atol=0)
    k = relu_kernels(x, depth=3, sigma_w=1.4, sigma_b=0.3)
    q = 1.4**2 * x * x + 0.3**2
    for _ in range(3):
        q = 0.5 * 1.4**2 * q + 0.3**2
    assert np.allclose(np.diag(k.nngp), q, rtol=1e-14, atol=0)
    # near-equal inputs: the kernel is continuous to many digits (no sqrt(eps) kink)
    near = shallow_ntk([0.5, 0.5 + 1e-12])
    assert abs(near[0, 1] - near[0, 0]) < 1e-11


# -------------------------------------------------------------------- shallow kernels
def test_shallow_kernels_against_quadrature():
    x1, x2 = np.r_[X, -2.0], np.r_[X_NEW, 0.2]
    nngp, ntk = quad_shallow(x1, x2, bias_var=0.4)
    assert np.max(np.abs(shallow_ntk(x1, x2) - ntk)) < 1e-10
    assert np.max(np.abs(shallow_nngp(x1, x2, bias_var=0.4) - nngp)) < 1e-10


def test_the_notebooks_analytic_ntk_values():
    """The companion notebook printed its analytic NTK on the same data to 8 digits."""
    want = np.array([[2.04, 2.04888213, 2.07923821],
                     [2.04888213, 2.16, 2.26003372],
                     [2.07923821, 2.26003372, 2.64]])
    assert np.max(np.abs(shallow_ntk(X) - want)) < 5e-9


def test_shallow_kernels_are_symmetric_and_positive_semidefinite():
    x = np.linspace(-2, 2, 40)
    for K in (shallow_ntk(x), shallow_nngp(x)):
        assert np.allclose(K, K.T, atol=0)
        assert np.linalg.eigvalsh(K)[0] > -1e-12 * np.linalg.eigvalsh(K)[-1]
    assert np.allclose(shallow_ntk(X, X_NEW), shallow_ntk(X_NEW, X).T, atol=0)


def test_empirical_ntk_converges_at_rate_one_over_sqrt_width():
    widths = np.array([100, 1000, 10_000, 100_000])
    gaps = [np.mean([np.max(np.abs(empirical_ntk(init_shallow(D, seed=s), X) - shallow_ntk(X)))
                     for s in range(8)]) for D in widths]
    slope = np.polyfit(np.log(widths), np.log(gaps), 1)[0]
    assert -0.65 < slope < -0.35, (gaps, slope)
    assert gaps[-1] < 1e-2


def test_initial_outputs_have_the_nngp_covariance_at_any_width():
    """Var[f_0] = K exactly in expectation, even for D = 5 (v independent of W)."""
    nets = init_shallow(5, seed=11, bias_var=0.5, n_networks=40_000)
    f0 = shallow_forward(nets, X_NEW)
    C = np.cov(f0.T)
    K = shallow_nngp(X_NEW, bias_var=0.5)
    se = np.sqrt((K**2 + np.outer(np.diag(K), np.diag(K))) / f0.shape[0])  # Gaussian-ish
    assert np.all(np.abs(C - K) < 6 * se * 2), np.max(np.abs(C - K) / se)


# ----------------------------------------------------------------------- deep kernels
def test_depth_one_is_the_shallow_network():
    k = relu_kernels(X_NEW, X)
    assert np.allclose(k.ntk, shallow_ntk(X_NEW, X), atol=1e-15)
    assert np.allclose(k.nngp, shallow_nngp(X_NEW, X, bias_var=1.0), atol=1e-15)


@pytest.mark.parametrize("depth, sigma_w, sigma_b", [(1, 1.3, 0.2), (2, 1.0, 1.0),
                                                     (3, 1.5, 0.1), (2, 0.9, 0.0)])
def test_deep_kernels_against_layerwise_quadrature(depth, sigma_w, sigma_b):
    x1, x2 = np.array([0.2, -0.8, 1.4]), np.array([0.4, 0.8, -1.1])
    nngp, ntk = quad_deep(x1, x2, depth, sigma_w, sigma_b)
    k = relu_kernels(x1, x2, depth=depth, sigma_w=sigma_w, sigma_b=sigma_b)
    assert np.max(np.abs(k.nngp - nngp)) < 1e-9 and np.max(np.abs(k.ntk - ntk)) < 1e-9


def test_deep_kernel_against_a_wide_two_layer_network():
    widths = np.array([100, 1000])
    gaps = []
    for n in widths:
        errs = [np.max(np.abs(deep_empirical_ntk(init_deep([n, n], seed=s), X)
                              - relu_kernels(X, depth=2).ntk)) for s in range(6)]
        gaps.append(np.mean(errs))
    slope = np.log(gaps[1] / gaps[0]) / np.log(10)
    assert -0.8 < slope < -0.3, (gaps, slope)


def test_zero_input_without_biases_is_finite():
    k = relu_kernels([0.0, 1.0], depth=2, sigma_b=0.0)
    assert np.all(np.isfinite(k.nngp)) and np.all(np.isfinite(k.ntk))
    assert k.nngp[0, 0] == 0.0 and k.ntk[0, 1] == 0.0


# -------------------------------------------------------------- the trained distribution
def ode_moments(x_train, y, x_new, t, bias_var, Theta=None):
    """Mean and covariance of (f_new, f_train) along df/dt = -Theta (f_train - y), by an ODE
    solve: dm/dt = -B m + c, dS/dt = -B S - S B^T, with S(0) the NNGP covariance."""
    xs = np.r_[x_new, x_train]
    M, I = len(x_new), len(x_train)
    Th = shallow_ntk(xs, x_train) if Theta is None else Theta(xs, x_train)
    B = np.zeros((M + I, M + I))
    B[:, M:] = Th
    c = Th @ y
    S0 = shallow_nngp(xs, bias_var=bias_var)
    n = M + I

    def rhs(_, z):
        m, S = z[:n], z[n:].reshape(n, n)
        return np.r_[-B @ m + c, (-B @ S - S @ B.T).ravel()]

    sol = scipy.integrate.solve_ivp(rhs, (0, max(t)), np.r_[np.zeros(n), S0.ravel()],
                                    t_eval=t, method="DOP853", rtol=1e-12, atol=1e-13)
    means = sol.y[:n].T[:, :M]
    covs = sol.y[n:].T.reshape(-1, n, n)[:, :M, :M]
    return means, covs


@pytest.mark.parametrize("bias_var", [0.0, 0.7])
def test_distribution_against_an_ode_solve(bias_var):
    t = np.array([0.0, 0.1, 1.0, 5.0, 40.0])
    means, covs = ode_moments(X, Y, X_NEW, t, bias_var)
    mean, var = ntk_prediction_distribution(X, Y, X_NEW, t, bias_var=bias_var)
    assert mean.shape == var.shape == (5, 5)
    assert np.max(np.abs(mean - means)) < 1e-8
    assert np.max(np.abs(var - np.diagonal(covs, axis1=1, axis2=2))) < 1e-8
    _, cov = ntk_prediction_distribution(X, Y, X_NEW, t, bias_var=bias_var, full_cov=True)
    assert cov.shape == (5, 5, 5) and np.max(np.abs(cov - covs)) < 1e-8


def test_last_layer_distribution_against_an_ode_solve_and_the_posterior():
    t = np.array([0.5, 3.0, 30.0])

    def nngp1(a, b):
        return shallow_nngp(a, b, bias_var=1.0)

    means, covs = ode_moments(X, Y, X_NEW, t, 1.0, Theta=nngp1)
    mean, cov = ntk_prediction_distribution(X, Y, X_NEW, t, bias_var=1.0, full_cov=True,
                                            last_layer=True)
    assert np.max(np.abs(mean - means)) < 1e-8 and np.max(np.abs(cov - covs)) < 1e-8
    # t -> infinity: the noise-free NNGP posterior (Bayes), when bias_var = 1
    K, Ks = shallow_nngp(X, bias_var=1.0), shallow_nngp(X_NEW, X, bias_var=1.0)
    post_mean = Ks @ np.linalg.solve(K, Y)
    post_cov = shallow_nngp(X_NEW, bias_var=1.0) - Ks @ np.linalg.solve(K, Ks.T)
    m, c = ntk_prediction_distribution(X, Y, X_NEW, 1e7, bias_var=1.0, full_cov=True,
                                       last_layer=True)
    assert np.allclose(m, post_mean, atol=1e-8) and np.allclose(c, post_cov, atol=1e-8)


def test_the_ntk_mean_is_not_the_posterior_mean():
    K, Ks = shallow_nngp(X), shallow_nngp(X_NEW, X)
    m_ntk, _ = ntk_prediction_distribution(X, Y, X_NEW, 1e7)
    gap = np.max(np.abs(m_ntk - Ks @ np.linalg.solve(K, Y)))
    assert gap > 1e-2
    Th, Ths = shallow_ntk(X), shallow_ntk(X_NEW, X)
    assert np.allclose(m_ntk, Ths @ np.linalg.solve(Th, Y), atol=1e-8)


def test_start_and_limit_at_the_training_inputs():
    mean, var = ntk_prediction_distribution(X, Y, X, 0.0, bias_var=0.2)
    assert np.allclose(mean, 0.0) and np.allclose(var, np.diag(shallow_nngp(X, bias_var=0.2)))
    mean, var = ntk_prediction_distribution(X, Y, X, 1e6)
    assert np.allclose(mean, Y, atol=1e-10) and np.all(var < 1e-10) and np.all(var >= 0)
    m1, v1 = ntk_prediction_distribution(X, Y, X_NEW, 2.0)
    assert m1.shape == v1.shape == (5,)


def test_repeated_inputs_make_a_singular_kernel_that_is_handled():
    x = np.array([0.2, 0.2, 0.8])
    y = np.array([0.1, -0.3, 0.3])
    assert np.linalg.eigvalsh(shallow_ntk(x))[0] < 1e-12
    t = np.array([1.0, 20.0])
    means, covs = ode_moments(x, y, X_NEW, t, 0.0)
    mean, var = ntk_prediction_distribution(x, y, X_NEW, t)
    assert np.max(np.abs(mean - means)) < 1e-8
    assert np.max(np.abs(var - np.diagonal(covs, axis1=1, axis2=2))) < 1e-8
    m, _ = ntk_prediction_distribution(x, y, x, 1e8)
    assert np.allclose(m, [-0.1, -0.1, 0.3], atol=1e-8)  # the mean of the repeated targets


def test_monte_carlo_over_trained_finite_networks():
    """600 networks of width 400 trained by gradient descent (lr 0.05, 100 steps, t = 5): the
    sample mean and variance at new inputs agree with the closed form within 4 standard
    errors. (Where the variance is tiny, between the data, the finite-width bias of order
    D^-1/2 exceeds the standard error of this many networks: those inputs are left out.)"""
    N, D, lr, k = 600, 400, 0.05, 100
    x_new = np.array([-1.0, 0.0, 0.6, 1.5])
    nets = init_shallow(D, seed=2024, bias_var=0.3, n_networks=N)
    tr = train_shallow(nets, X, Y, lr, k, x_eval=x_new, record_every=k, record_params=False)
    f = tr.eval_outputs[-1]  # (N, M)
    mean, var = ntk_prediction_distribution(X, Y, x_new, lr * k, bias_var=0.3)
    z_mean = np.abs(f.mean(0) - mean) / np.sqrt(var / N)
    z_var = np.abs(f.var(0, ddof=1) - var) / (var * np.sqrt(2 / (N - 1)))
    assert np.all(z_mean < 4) and np.all(z_var < 4), (z_mean, z_var)


def test_parameter_movement_against_the_linearized_flow():
    p = init_shallow(200, seed=6)
    lin = linearized_flow(p, X, Y)
    Theta = empirical_ntk(p, X)
    r0 = shallow_forward(p, X) - Y
    t = np.array([0.0, 0.5, 10.0, 1e4])
    want = np.linalg.norm(lin.params(t) - p.flat(), axis=1)
    assert np.allclose(parameter_movement(Theta, r0, t), want, rtol=1e-9, atol=1e-12)
    limit = np.sqrt(r0 @ np.linalg.solve(Theta, r0))
    assert np.isclose(parameter_movement(Theta, r0, 1e9), limit, rtol=1e-9)
    assert isinstance(parameter_movement(Theta, r0, 1.0), float)


def test_residual_norm_against_an_ode_solve_and_the_trained_network():
    Theta = shallow_ntk(X)
    r0 = -Y
    t = np.array([0.0, 0.3, 2.0, 20.0])
    sol = scipy.integrate.solve_ivp(lambda _, r: -Theta @ r, (0.0, t[-1]), r0, t_eval=t,
                                    method="DOP853", rtol=1e-12, atol=1e-14)
    assert np.allclose(residual_norm(Theta, r0, t), np.linalg.norm(sol.y, axis=0),
                       rtol=1e-9, atol=1e-13)
    assert isinstance(residual_norm(Theta, r0, 1.0), float)
    # a zero mode keeps its part of the residual for ever
    x_rep = np.array([0.2, 0.2, 0.8])
    r_rep = np.array([0.1, -0.1, 0.0])  # along the zero mode (1, -1, 0)/sqrt(2)
    assert np.isclose(residual_norm(shallow_ntk(x_rep), r_rep, 1e6), np.linalg.norm(r_rep))
    # a wide network trained by small steps follows it
    p = init_shallow(2000, seed=8)
    run = train_shallow(p, X, Y, 0.01, 300, record_every=100, record_params=False)
    want = residual_norm(empirical_ntk(p, X), run.outputs[0] - Y, run.t)
    assert np.allclose(np.linalg.norm(run.outputs - Y, axis=1), want, rtol=0.02)


def test_label_complexity_against_a_solve():
    Theta = shallow_ntk(X)
    assert np.isclose(label_complexity(Theta, Y), np.sqrt(2 * Y @ np.linalg.solve(Theta, Y) / 3),
                      rtol=1e-12)
    # the squared distance the flow moves from outputs 0 is y^T Theta^-1 y
    assert np.isclose(parameter_movement(Theta, -Y, 1e9) ** 2,
                      1.5 * label_complexity(Theta, Y) ** 2, rtol=1e-9)
    # labels along a slow mode are harder than labels along the fast mode, at equal length
    lam, U = np.linalg.eigh(Theta)
    assert label_complexity(Theta, U[:, 0]) > label_complexity(Theta, U[:, -1])
    assert np.isclose(label_complexity(Theta, U[:, 0]), np.sqrt(2 / (3 * lam[0])), rtol=1e-9)


def test_output_excess_kurtosis_against_quadrature_and_monte_carlo():
    # E[z^2], E[z^4] of z = v relu(a), a ~ N(0, s^2), by quadrature, not by the formula
    s = 1.7
    pdf = lambda a: np.exp(-0.5 * (a / s) ** 2) / (s * np.sqrt(2 * np.pi))  # noqa: E731
    m2 = scipy.integrate.quad(lambda a: a**2 * pdf(a), 0, np.inf)[0]
    m4 = 3.0 * scipy.integrate.quad(lambda a: a**4 * pdf(a), 0, np.inf)[0]  # E[v^4] = 3
    kurt_one = m4 / m2**2 - 3.0
    for D in (1, 4, 10, 1000):
        assert np.isclose(output_excess_kurtosis(D), kurt_one / D, rtol=1e-9)
    # Monte Carlo at D = 3 (fourth moments: loose tolerance, many draws)
    f = shallow_forward(init_shallow(3, seed=9, n_networks=400_000), np.array([0.5]))[:, 0]
    z = f / f.std()
    assert abs(np.mean(z**4) - 3.0 - output_excess_kurtosis(3)) < 0.3


def test_trained_networks_really_train():
    """The check is not vacuous: untrained networks fail the Monte Carlo agreement."""
    nets = init_shallow(100, seed=1, n_networks=300)
    f = shallow_forward(nets, X_NEW)
    mean, var = ntk_prediction_distribution(X, Y, X_NEW, 5.0)
    z = np.abs(f.mean(0) - mean) / np.sqrt(var / 300)
    assert np.any(z > 4)
    assert train_shallow(nets, X, Y, 0.05, 2, record_params=False).outputs.shape == (3, 300, 3)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: shallow_ntk(np.ones((2, 2))), ValueError, "x1 must be a 1-D array"),
        (lambda: shallow_ntk(X, [np.nan]), ValueError, "x2 must contain only finite"),
        (lambda: shallow_nngp(X, bias_var=-0.1), ValueError, "bias_var must be a finite"),
        (lambda: shallow_nngp(X, bias_var=[1.0]), TypeError, "bias_var must be a non-negative"),
        (lambda: relu_kernels(X, depth=0), ValueError, "depth must be a positive integer"),
        (lambda: relu_kernels(X, sigma_w=-1.0), ValueError, "sigma_w"),
        (lambda: relu_kernels(X, sigma_b=-1.0), ValueError, "sigma_b"),
        (lambda: ntk_prediction_distribution(X, Y[:2], X_NEW, 1.0), ValueError,
         "y must have length 3"),
        (lambda: ntk_prediction_distribution(X, Y, X_NEW, -1.0), ValueError,
         "t must be non-negative"),
        (lambda: ntk_prediction_distribution(X, Y, X_NEW, np.inf), ValueError, "t must be finite"),
        (lambda: parameter_movement(np.ones((2, 3)), [1.0, 2.0], 1.0), ValueError,
         "Theta must be a non-empty square matrix"),
        (lambda: parameter_movement(np.eye(2), [1.0], 1.0), ValueError,
         "residual0 must have length 2"),
        (lambda: residual_norm(np.eye(2), [1.0], 1.0), ValueError, "residual0 must have length 2"),
        (lambda: residual_norm(np.eye(2), [1.0, 0.0], -1.0), ValueError, "t must be non-negative"),
        (lambda: residual_norm(np.ones((2, 3)), [1.0, 0.0], 1.0), ValueError,
         "Theta must be a non-empty square matrix"),
        (lambda: label_complexity(np.eye(2), [1.0, 2.0, 3.0]), ValueError, "y must have length 2"),
        (lambda: output_excess_kurtosis(0), ValueError, "width must be a positive integer"),
    ],
)
def test_bad_input(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    assert words in str(info.value), str(info.value)
