"""The last numerical corners of the kernel and network modules (issue 16), each against an
independent high-precision reference.

The references are the textbook formulas evaluated in mpmath (50 digits, more where the
formula itself cancels: the precision is raised by the digits that J_n loses near theta = pi),
from the exact binary values of the float inputs; they share no code with gflow_lib. Bounds
are in units of eps = 2.2e-16, stated per test with the worst error measured when the test
was written.
"""

from __future__ import annotations

import re

import mpmath
import numpy as np
import pytest
from mpmath import mp, mpf

from gflow_lib.features import fourier_features, relu_features
from gflow_lib.kernels import arccos_kernel, kappa0, kappa1, random_feature_gap
from gflow_lib.network import (
    DivergenceWarning,
    empirical_ntk,
    init_deep,
    init_shallow,
    train_shallow,
)
from gflow_lib.ntk import (
    ntk_data,
    ntk_prediction_distribution,
    relu_kernels,
    shallow_nngp,
    shallow_ntk,
)
from gflow_lib.numerics import solve_flow_numerically

EPS = np.finfo(float).eps
X, Y = ntk_data()


# ----------------------------------------------------------------- references (mpmath)
def J(n, theta):
    """Cho and Saul's J_n, straight from its formula."""
    s, c, rest = mpmath.sin(theta), mpmath.cos(theta), mpmath.pi - theta
    return (rest, s + rest * c, 3 * s * c + rest * (1 + 2 * c * c))[n]


def digits_for(cross, dot, n):
    """50 digits plus those that J_n loses near pi (delta^(2n+1) against O(1) terms)."""
    with mp.workdps(30):
        delta = mpmath.atan2(cross, -dot)  # only to choose the precision
        return 50 + (int(-(2 * n + 1) * mpmath.log10(delta)) + 10 if 0 < delta < 1 else 0)


def ref_arccos(x, xp, n):
    """(1/pi) |u|^n |u'|^n J_n(theta) for u = (x, 1)."""
    X1, X2 = mpf(float(x)), mpf(float(xp))
    with mp.workdps(digits_for(abs(X1 - X2), X1 * X2 + 1, n)):
        theta = mpmath.acos((X1 * X2 + 1) / mpmath.sqrt((X1**2 + 1) * (X2**2 + 1)))
        return ((X1**2 + 1) * (X2**2 + 1)) ** (mpf(n) / 2) * J(n, theta) / mpmath.pi


def ref_relu(x1, x2, depth, sw, sb, dps=1500):
    """NNGP and NTK of stax.serial(Dense(W_std=sw, b_std=sb), [Relu(), Dense(...)] * depth)
    (NTK parameterization, input kernel x.x'/d), by the layer recursion in mpmath, with the
    angle atan2(sqrt(q q' - k^2), k) at 1500 digits (an absolute error about 10^-750 of
    sqrt(q q'), returned as the third array)."""
    x1, x2 = (np.asarray(a, float).reshape(len(a), -1) for a in (x1, x2))
    d = x1.shape[1]
    K, T, S = (np.empty((len(x1), len(x2)), object) for _ in range(3))
    with mp.workdps(dps):
        sw2, sb2 = mpf(float(sw)) ** 2, mpf(float(sb)) ** 2

        def dot(a, b):
            terms = (mpf(float(p)) * mpf(float(q)) for p, q in zip(a, b, strict=True))
            return sw2 * mpmath.fsum(terms) / d + sb2

        for i, a in enumerate(x1):
            for j, b in enumerate(x2):
                k, qa, qb = dot(a, b), dot(a, a), dot(b, b)
                t = k
                for _ in range(depth):
                    s = mpmath.sqrt(qa * qb)
                    th = mpmath.atan2(mpmath.sqrt(max(qa * qb - k * k, 0)), k)
                    k0, k1 = (J(0, th) / mpmath.pi, J(1, th) / mpmath.pi) if s else (0, 0)
                    k = sw2 / 2 * s * k1 + sb2
                    t = k + sw2 / 2 * k0 * t
                    qa, qb = sw2 / 2 * qa + sb2, sw2 / 2 * qb + sb2
                K[i, j], T[i, j], S[i, j] = k, t, mpmath.sqrt(qa * qb) * mpf(10) ** (-dps // 2)
    return K, T, S


def rel(got, ref):
    """Largest entrywise relative error, in eps (inf or NaN where ref is finite: inf)."""
    ref = np.asarray(ref, dtype=object)
    got = np.asarray(got, float)
    errs = [abs((mpf(float(g)) - r) / r) if r != 0 else abs(mpf(float(g)))
            for g, r in zip(got.ravel(), ref.ravel(), strict=True)]
    if not np.all(np.isfinite(got)):
        return np.inf
    return float(max(errs)) / EPS


# ------------------------------------------------------------------- 1. arc-cosine kernels
PAIRS = [
    (-1e4, 1e4), (-1e3, 1e3), (-10.0, 10.0), (-3e7, 2e7), (-1e8, 1e8),  # theta near pi
    (1e200, -1e200), (2.5, -0.4 + 1e-12), (-1.0, 1.0 + 1e-9),  # pi, and near pi/2
    (0.2, 0.2 + 1e-9), (5.0, 5.0), (-7.0, -7.0 * (1 + 1e-13)), (1e-200, -1e-200),  # near 0
    (0.3, -0.5), (1e200, 1e-200), (28.42224131579679, -28.41647872456451),
]


@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize("pair", PAIRS)
def test_arccos_kernel_to_a_few_eps_near_zero_and_pi(order, pair):
    """Worst measured 4.6 eps (order 2, a pair near pi); was -1.169 for +2.716e-4 (order 2 at
    -1e4, 1e4) and inf or 0 at 1e200. Bound: 8 eps (inf only where the exact value is)."""
    ref = ref_arccos(*pair, order)
    got = arccos_kernel([pair[0]], [pair[1]], order=order)[0, 0]
    if ref > np.finfo(float).max:
        assert got == np.inf
    else:
        assert rel(got, ref) <= 8, (got, ref)


def test_arccos_kernel_of_the_issue():
    """The issue's number: +2.716e-4 (was -1.169)."""
    assert arccos_kernel([-1e4], [1e4], order=2)[0, 0] == pytest.approx(2.716e-4, rel=1e-3)


@pytest.mark.parametrize("c", [-1.0, -1 + 1e-15, -1 + 1e-9, -0.999, -0.3, 0.0, 0.7,
                               1 - 1e-12, 1.0])
def test_kappas_to_a_few_eps_near_plus_and_minus_one(c):
    """kappa_n(c) = J_n(arccos c) / pi of the given c (its rounding is the caller's). Worst
    measured 2 eps (kappa1 near -1 was 1e-4 off at c = -1 + 1e-15); bound 8 eps, and 0
    exactly at c = -1."""
    with mp.workdps(digits_for(mpmath.sqrt(1 - mpf(c) ** 2), mpf(c), 1) + 10):
        theta = mpmath.acos(mpf(c))
        refs = J(0, theta) / mpmath.pi, J(1, theta) / mpmath.pi
    if abs(c) == 1:  # sin(pi) is not 0 at any finite precision: the exact values
        refs = (1, 1) if c == 1 else (0, 0)
    for fn, ref in zip((kappa0, kappa1), refs, strict=True):
        got = float(fn(c))
        assert (got == 0.0) if ref == 0 else rel(got, ref) <= 8, (fn.__name__, got, ref)


# ------------------------------------------------------------------------ 2. deep kernels
DEEP = [  # x1, x2, sigma_w, sigma_b
    (np.array([0.3, -1.2, 1e-8]), np.array([0.3 + 1e-8, -1.2 - 3e-9, 0.0]), 1.0, 1.0),
    (np.array([1.0, 2.0, -0.7]), np.array([-1.0, -2.0 + 1e-7, 0.7 * (1 + 1e-6)]), 1.3, 0.05),
    (np.array([1e-200, -2e-200]), np.array([-3e-200, 1.5e-200]), 1e160, 1e-170),
    (np.array([1e150, -1e150, 3e149]), np.array([-1e150, 2e150]), 1.0, 1.0),
    (np.array([1e200]), np.array([1e-200, -1e-200]), 1.0, 1.0),
    (np.array([0.0, 1.0, -2.0]), np.array([0.5, -0.5]), 0.7, 0.0),
    (np.random.default_rng(0).standard_normal((4, 3)),
     np.random.default_rng(1).standard_normal((3, 3)), 1.1, 0.3),
    (np.random.default_rng(2).standard_normal((3, 3)) * 1e-170,
     np.random.default_rng(2).standard_normal((3, 3)) * 1e-170 + 1e-185, 1e160, 1e-30),
]


@pytest.mark.parametrize("depth", [1, 2, 4])
@pytest.mark.parametrize("case", range(len(DEEP)))
def test_relu_kernels_to_a_few_eps(case, depth):
    """Against the recursion in mpmath. The NNGP to 8 eps of its value; the NTK, which can
    cancel (Theta_1 = K_1 < 0 for opposite inputs), to 8 eps of |K| + |Theta - K| (each plus
    the reference's own error). Worst measured 6.6 eps; was 2e-9 relative near c = 1,
    OverflowError for sigma_w = 1e160 and inf for |x| = 1e150 (values near 1e300)."""
    x1, x2, sw, sb = DEEP[case]
    k = relu_kernels(x1, x2, depth=depth, sigma_w=sw, sigma_b=sb)
    K, T, S = ref_relu(x1, x2, depth, sw, sb)
    big = np.finfo(float).max
    for got, ref, scale in ((k.nngp, K, np.abs(K)), (k.ntk, T, np.abs(K) + np.abs(T - K))):
        over = np.array([abs(r) > big for r in ref.ravel()]).reshape(ref.shape)
        assert np.all(np.isinf(got[over])), got
        for g, r, sc, s in zip(got[~over], ref[~over], scale[~over], S[~over], strict=True):
            assert abs(mpf(float(g)) - r) <= 8 * EPS * sc + s, (g, r)


def test_depth_one_equals_the_shallow_kernels_to_eps_on_close_inputs():
    """Was 7.7e-9 apart on inputs 1e-8 apart (arccos of a rounded cosine)."""
    x1, x2 = np.array([0.3, -1.2, 1e-8]), np.array([0.3 + 1e-8, -1.2 - 3e-9, 0.0])
    k = relu_kernels(x1, x2)
    assert np.max(np.abs(k.ntk - shallow_ntk(x1, x2)) / shallow_ntk(x1, x2)) <= 4 * EPS
    assert np.max(np.abs(k.nngp - shallow_nngp(x1, x2, 1.0)) / k.nngp) <= 4 * EPS


def test_relu_kernels_take_rows_of_inputs_as_neural_tangents_does():
    """(M,) is (M, 1); (M, d) enters through x.x'/d: scaling x by sqrt(d) in d dimensions
    along one axis is the scalar input."""
    x1, x2 = np.array([0.3, -1.1]), np.array([0.5, 2.0, -0.2])
    one = relu_kernels(x1, x2, depth=2)
    col = relu_kernels(x1[:, None], x2[:, None], depth=2)
    d = 4
    pad = relu_kernels(np.c_[2 * x1, np.zeros((2, d - 1))], np.c_[2 * x2, np.zeros((3, d - 1))],
                       depth=2)
    for a, b in ((one, col), (one, pad)):
        assert np.allclose(a.nngp, b.nngp, rtol=4 * EPS, atol=0)
        assert np.allclose(a.ntk, b.ntk, rtol=4 * EPS, atol=0)
    with pytest.raises(ValueError, match="x1 and x2 must have the same input dimension d"):
        relu_kernels(np.ones((2, 3)), np.ones((2, 2)))
    for bad in (np.ones((2, 2, 2)), np.ones((2, 0))):
        with pytest.raises(ValueError, match=r"^x1 must be an array of shape \(M,\) of scalar"):
            relu_kernels(bad)
    assert relu_kernels([], x2).ntk.shape == (0, 3)


# -------------------------------------------------------------- 3. far ends of the inputs
@pytest.mark.parametrize("x1, x2", [(1e200, 1e-200), (-1e200, 3.0), (1e-200, -1e-200),
                                    (2e154, 1.0), (1e200, -1e200)])
def test_shallow_kernels_at_far_ends(x1, x2):
    """Norms factored out: finite wherever the exact value is (was inf above 1.3e154).
    Worst measured 2 eps of |terms|; bound 8 eps of the sum of the terms' magnitudes."""
    ntk, nngp = shallow_ntk([x1], [x2])[0, 0], shallow_nngp([x1], [x2], 0.5)[0, 0]
    a, b = mpf(x1), mpf(x2)
    with mp.workdps(digits_for(abs(a - b), a * b + 1, 1)):
        n = mpmath.sqrt((a * a + 1) * (b * b + 1))
        theta = mpmath.acos((a * b + 1) / n)
        t0, t1 = (a * b + 1) * J(0, theta) / (2 * mpmath.pi), n * J(1, theta) / (2 * mpmath.pi)
        assert abs(mpf(ntk) - (t0 + t1 + 1)) <= 8 * EPS * (abs(t0) + t1 + 1)
        assert abs(mpf(nngp) - (t1 + mpf(0.5))) <= 8 * EPS * (t1 + mpf(0.5))


def test_ntk_prediction_distribution_at_far_ends():
    """mean and variance against mpmath (Z = Theta_*X Theta^-1 (I - e^{-Theta t}) from
    mpmath.expm); was NaN for x_new above 1.3e154. The variance at 1e200 is beyond the float
    range (about 1e400): inf, never NaN."""
    x_new, t, bv = np.array([1e150, -3e120, 1e-200, 1.0, 1e200]), 0.7, 0.3
    mean, var = ntk_prediction_distribution(X, Y, x_new, t, bias_var=bv)

    def k(a, b, ntk):
        a, b = mpf(float(a)), mpf(float(b))
        n = mpmath.sqrt((a * a + 1) * (b * b + 1))
        theta = mpmath.acos(max(min((a * b + 1) / n, 1), -1))
        out = n * J(1, theta) / (2 * mpmath.pi)
        return out + ((a * b + 1) * J(0, theta) / (2 * mpmath.pi) + 1 if ntk else bv)

    with mp.workdps(60):
        Th = mpmath.matrix([[k(a, b, True) for b in X] for a in X])
        Kx = mpmath.matrix([[k(a, b, False) for b in X] for a in X])
        G = Th ** -1 * (mpmath.eye(3) - mpmath.expm(-Th * t))
        for i, xs in enumerate(x_new):
            Z = mpmath.matrix([[k(xs, b, True) for b in X]]) * G
            Kn = mpmath.matrix([[k(xs, b, False)] for b in X])
            m_ref = (Z * mpmath.matrix(Y.tolist()))[0]
            v_ref = k(xs, xs, False) - 2 * (Z * Kn)[0] + (Z * Kx * Z.T)[0]
            assert abs(mean[i] - m_ref) <= 1e-12 * abs(m_ref), (xs, mean[i], m_ref)
            if v_ref > np.finfo(float).max:
                assert var[i] == np.inf
            else:
                assert abs(var[i] - v_ref) <= 1e-10 * k(xs, xs, False), (xs, var[i], v_ref)


# ---------------------------------------------------------------- 4. diverging training
def test_diverging_training_warns_and_is_flagged():
    """lr = 1.0 on the NTK data (loss 1.1e60 after 100 steps): a DivergenceWarning naming lr
    and 2/lambda_max of the empirical NTK at the start, and Training.diverged."""
    p = init_shallow(100, seed=1)
    limit = 2.0 / np.linalg.eigvalsh(empirical_ntk(p, X))[-1]
    with pytest.warns(DivergenceWarning, match=re.escape(f"2/lambda_max = {limit:.6g}")) as w:
        run = train_shallow(p, X, Y, 1.0, 100, record_params=False)
    assert "lr = 1 " in str(w[0].message) and issubclass(DivergenceWarning, RuntimeWarning)
    assert run.diverged is True and run.loss[-1] > 1e50
    crowd = init_shallow(100, seed=1, n_networks=3)
    with pytest.warns(DivergenceWarning, match="for 3 of 3 networks"):
        assert train_shallow(crowd, X, Y, 1.0, 100, record_params=False).diverged.tolist() == [
            True, True, True]


def test_stable_training_is_not_flagged_and_unchanged(recwarn):
    """Below 2/lambda_max, and above it where the network recovers (the catapult of the
    chapter on training, 1.5 x 2/lambda_max): no warning, diverged False; the outputs are
    those of gradient descent written out here."""
    p = init_shallow(50, seed=3)
    limit = 2.0 / np.linalg.eigvalsh(empirical_ntk(p, X))[-1]
    run = train_shallow(p, X, Y, 0.5 * limit, 30, record_params=False)
    assert run.diverged is False and not recwarn.list
    W, vv, b = np.array(p.W), np.array(p.v), float(p.beta)
    for _ in range(30):
        a = np.outer(X, W[:, 0]) + W[:, 1]
        r = np.maximum(a, 0) @ vv / np.sqrt(50) + b - Y
        gv = np.maximum(a, 0).T @ r / np.sqrt(50)
        G = np.stack([X, np.ones(3)]) @ ((a > 0) * r[:, None])
        W -= 0.5 * limit * (vv / np.sqrt(50) * G).T
        vv, b = vv - 0.5 * limit * gv, b - 0.5 * limit * r.sum()
    assert np.allclose(run.final.W, W, rtol=1e-13, atol=1e-15)
    p = init_shallow(10_000, seed=20240522)
    limit = 2.0 / np.linalg.eigvalsh(empirical_ntk(p, X))[-1]
    assert train_shallow(p, X, Y, 1.5 * limit, 60, record_params=False).diverged is False
    assert not recwarn.list


# ----------------------------------------------------------------- 5. sizes and empty times
def test_empty_times_give_no_rows():
    Xd = np.array([[0.2, 0.4, 0.8], [1.0, 1.0, 1.0]])
    out = solve_flow_numerically(Xd, [-0.1, 0.15, 0.3], [-0.05, -0.4], [])
    assert out.shape == (0, 2)


@pytest.mark.parametrize("call, words", [
    (lambda: init_shallow(10**9), "width must be at most 44,739,242; got 1,000,000,000"),
    (lambda: init_shallow(10**6, n_networks=1000), "width * n_networks must be at most"),
    (lambda: init_deep([10**5, 10**5]), "widths must be at most 134,217,728 weights"),
    (lambda: relu_features([0.1, 0.2], 10**9), "n_features * len(x) must be at most"),
    (lambda: fourier_features(np.zeros(100), 10**7), "n_features * len(x) must be at most"),
    (lambda: random_feature_gap([0.0, 1.0], [10, 10**9]), "max(n_features) * len(x) must be"),
    (lambda: train_shallow(init_shallow(10**4), X, Y, 0.1, 10**6), "n_steps * networks * "
     "inputs * width must be at most 4,294,967,296 (the work of the run); got 30,000,030,000"),
    (lambda: relu_kernels(np.zeros(20_000)), "the kernel's size M1 * M2 must be at most"),
    (lambda: shallow_ntk(np.zeros(20_000)), "the kernel's size M1 * M2 must be at most"),
    (lambda: arccos_kernel(np.zeros(10**5), np.zeros(2000)), "M1 * M2 must be at most "
     "134,217,728; got 200,000,000"),
])
def test_sizes_beyond_the_limits_are_refused_by_name(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert words in str(info.value), str(info.value)
