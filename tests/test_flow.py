"""LinearFlow, mode_factors and gram_eigen against independent methods and reference numbers.

Independent methods (see conftest.py): a numerical ODE solve (solve_ivp), the exact
exponential of an augmented matrix (scipy.linalg.expm), small-step gradient descent written
out in the test, pinv with a null-space projection, and an SVD of X itself for the
ill-conditioned case. The reference numbers are those of tests/reference/README.md,
checked to the precision printed there.
"""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest

from gflow_lib import LinearFlow, gradient_descent, gram_eigen, mode_factors

EPS = np.finfo(float).eps


def close_to_printed(value, printed: float, decimals: int) -> bool:
    """True when ``value`` rounds to ``printed`` at ``decimals`` places (half a unit in the
    last printed place, plus a hair for the binary representation of the printed number)."""
    return abs(float(value) - printed) <= 0.5 * 10.0 ** (-decimals) * (1 + 1e-9)


def close_to_sig(value, printed: float, digits: int) -> bool:
    """True when ``value`` agrees with ``printed`` to ``digits`` significant figures."""
    scale = 10.0 ** (np.floor(np.log10(abs(printed))) - digits + 1)
    return abs(float(value) - printed) <= 0.5 * scale * (1 + 1e-9)


# ======================================== 1. reference numbers (tests/reference/README.md)
class TestReferenceNumbers:
    def test_eigenvalues_condition_and_time_constants(self, seed):
        X, y, phi0 = seed
        flow = LinearFlow(X, y, phi0)
        lam = flow.eigenvalues
        assert lam.shape == (2,)
        assert close_to_printed(lam[0], 0.151837, 6)
        assert close_to_printed(lam[1], 3.688163, 6)
        assert close_to_printed(lam[1] / lam[0], 24.29, 2)
        assert close_to_printed(1 / lam[0], 6.586, 3)
        assert close_to_printed(1 / lam[1], 0.2711, 4)
        assert close_to_printed(2 / lam[1], 0.54228, 5)  # gradient-descent stability bound

    def test_kernel_gram_adds_a_zero(self, seed):
        X, _, _ = seed
        lam_k, vecs = gram_eigen(X, outer=False)
        assert lam_k.shape == (3,) and vecs.shape == (3, 3)
        assert lam_k[0] == 0.0  # exactly, after the rank cleanup
        assert close_to_printed(lam_k[1], 0.151837, 6)
        assert close_to_printed(lam_k[2], 3.688163, 6)
        lam_a, _ = gram_eigen(X)  # default: the smaller (2 x 2) Gram matrix
        assert lam_a.shape == (2,)

    def test_initial_outputs_and_loss(self, seed):
        X, y, phi0 = seed
        flow = LinearFlow(X, y, phi0)
        f0 = flow.outputs(0.0)
        for got, want in zip(f0, (-0.41, -0.42, -0.44), strict=True):
            assert close_to_printed(got, want, 2)
        assert close_to_printed(flow.loss(0.0), 0.4843, 4)

    @pytest.mark.parametrize(
        "t, slope, intercept",
        [(0.1, 0.024841, -0.265046), (0.3, 0.117768, -0.109822),
         (2.0, 0.289343, -0.010358), (19.99, 0.603152, -0.164261)],
    )
    def test_params(self, seed, t, slope, intercept):
        X, y, phi0 = seed
        phi = LinearFlow(X, y, phi0).params(t)
        assert close_to_printed(phi[0], slope, 6), phi
        assert close_to_printed(phi[1], intercept, 6), phi

    @pytest.mark.parametrize(
        "t, loss", [(0.1, 0.243477), (0.3, 0.072522), (2.0, 0.014987), (19.99, 0.004420)]
    )
    def test_loss(self, seed, t, loss):
        X, y, phi0 = seed
        assert close_to_printed(LinearFlow(X, y, phi0).loss(t), loss, 6)

    def test_limit_is_ml_and_loss_limit(self, seed):
        X, y, phi0 = seed
        flow = LinearFlow(X, y, phi0)
        assert close_to_printed(flow.loss_limit(), 0.004375, 6)
        lim = flow.limit()
        assert close_to_printed(lim[0], 0.625, 6) and close_to_printed(lim[1], -0.175, 6)


# ============================================== 2. closed form vs ODE, expm and small steps
TIMES = np.array([0.0, 0.05, 0.1, 0.3, 1.0, 2.0, 7.5, 19.99])


def _cases():
    rng = np.random.default_rng(7)
    yield "seed", None
    yield "D<I", (rng.normal(size=(3, 7)), rng.normal(size=7), rng.normal(size=3))
    yield "D>I", (rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=6))
    yield "D=I", (rng.normal(size=(4, 4)), rng.normal(size=4), rng.normal(size=4))


CASES = list(_cases())


@pytest.fixture(params=[c[1] for c in CASES], ids=[c[0] for c in CASES])
def problem(request, seed):
    return seed if request.param is None else request.param


def test_params_match_ode(problem, ref):
    X, y, phi0 = problem
    flow = LinearFlow(X, y, phi0)
    lam_max = np.linalg.eigvalsh(X @ X.T)[-1]
    ts = TIMES / max(lam_max, 1.0) * 4  # a few time constants of the fast mode and beyond
    want = ref.ode_params(X, y, phi0, ts)
    got = flow.params(ts)
    scale = np.linalg.norm(phi0) + np.linalg.norm(flow.limit())
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9 * scale)


def test_outputs_residuals_loss_match_ode(problem, ref):
    X, y, phi0 = problem
    flow = LinearFlow(X, y, phi0)
    ts = TIMES
    phi = ref.ode_params(X, y, phi0, ts)
    f = phi @ X
    r = f - y
    L = 0.5 * np.sum(r**2, axis=1)
    scale = np.linalg.norm(X.T @ phi0 - y) + np.linalg.norm(y)
    np.testing.assert_allclose(flow.outputs(ts), f, rtol=0, atol=1e-8 * scale)
    np.testing.assert_allclose(flow.residuals(ts), r, rtol=0, atol=1e-8 * scale)
    np.testing.assert_allclose(flow.loss(ts), L, rtol=0, atol=1e-8 * scale**2)


def test_params_match_matrix_exponential(problem, ref):
    """expm of the augmented system is exact to rounding: a much tighter check than the ODE."""
    X, y, phi0 = problem
    flow = LinearFlow(X, y, phi0)
    want = ref.expm_params(X, y, phi0, TIMES)
    scale = np.linalg.norm(phi0) + np.linalg.norm(flow.limit())
    np.testing.assert_allclose(flow.params(TIMES), want, rtol=0, atol=1e-12 * scale)


def test_small_step_descent_converges_to_flow_at_first_order(seed, ref):
    """Descent with step h after t/h steps differs from the flow by O(h): the error at t = 2
    halves when h halves, and is below a few h."""
    X, y, phi0 = seed
    flow_phi = LinearFlow(X, y, phi0).params(2.0)
    errs = []
    for h in (4e-3, 2e-3, 1e-3):
        n = round(2.0 / h)
        errs.append(np.linalg.norm(ref.small_step_descent(X, y, phi0, h, n) - flow_phi))
    assert errs[2] < 2e-3  # O(h) with a constant below 2 for this data
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    np.testing.assert_allclose(ratios, 2.0, rtol=0.05)


def test_library_gradient_descent_tracks_flow(seed):
    X, y, phi0 = seed
    lr, n = 1e-3, 20000  # t up to 20
    path = gradient_descent(X, y, phi0, lr, n)
    ks = np.array([0, 100, 300, 2000, 19990])
    flow = LinearFlow(X, y, phi0).params(ks * lr)
    np.testing.assert_allclose(path[ks], flow, rtol=0, atol=2e-3)
    assert np.max(np.abs(path[ks] - flow)) > 0  # not trivially equal: descent is discrete


# =================================================== 3. D > I, rank deficiency, conditioning
def test_overparameterized_limit_is_min_norm_plus_null_part(rng, ref):
    D, n_data = 8, 3
    X, y, phi0 = rng.normal(size=(D, n_data)), rng.normal(size=n_data), rng.normal(size=D)
    flow = LinearFlow(X, y, phi0)
    assert flow.rank == n_data
    want = ref.min_norm_limit(X, y, phi0)
    np.testing.assert_allclose(flow.limit(), want, rtol=0, atol=1e-12 * np.linalg.norm(want))
    # The notebook's inv(X X^T) formula is singular here; the limit interpolates the data.
    np.testing.assert_allclose(X.T @ flow.limit(), y, atol=1e-12)
    assert flow.loss_limit() == 0.0
    big_t = 50.0 / np.linalg.eigvalsh(X.T @ X)[0]
    assert flow.loss(big_t) < 1e-20
    np.testing.assert_allclose(flow.params(big_t), want, atol=1e-12)


def test_overparameterized_null_part_never_moves(rng):
    D, n_data = 5, 2
    X, y, phi0 = rng.normal(size=(D, n_data)), rng.normal(size=n_data), rng.normal(size=D)
    Q, _ = np.linalg.qr(np.hstack([X, rng.normal(size=(D, D - n_data))]))
    N = Q[:, n_data:]  # orthonormal basis of the null space of X^T
    ts = np.array([0.0, 0.3, 3.0, 300.0])
    coords = LinearFlow(X, y, phi0).params(ts) @ N
    np.testing.assert_allclose(coords, np.tile(phi0 @ N, (4, 1)), atol=1e-13)


def test_rank_deficient_tall(rng, ref):
    """D <= I but rank 2 < D = 4: a duplicated row and a row that is a sum of two others."""
    n_data = 9
    B = rng.normal(size=(2, n_data))
    X = np.vstack([B[0], B[1], B[0], B[0] + B[1]])
    y, phi0 = rng.normal(size=n_data), rng.normal(size=4)
    flow = LinearFlow(X, y, phi0)
    assert flow.rank == 2
    assert np.count_nonzero(flow.eigenvalues == 0.0) == 2
    want = ref.min_norm_limit(X, y, phi0)
    np.testing.assert_allclose(flow.limit(), want, atol=1e-12 * np.linalg.norm(want))
    r_ls = X.T @ want - y
    np.testing.assert_allclose(flow.loss_limit(), 0.5 * r_ls @ r_ls, rtol=1e-12)
    ts = np.array([0.0, 0.2, 1.5, 10.0])
    np.testing.assert_allclose(
        flow.params(ts), ref.expm_params(X, y, phi0, ts), atol=1e-12 * np.linalg.norm(want)
    )
    np.testing.assert_allclose(flow.loss(ts), 0.5 * np.sum((flow.params(ts) @ X - y) ** 2, 1),
                               rtol=1e-11)


def test_rank_deficient_wide(rng, ref):
    """D > I and rank 2 < I = 3: both Gram matrices are singular."""
    C = rng.normal(size=(6, 2))
    X = np.hstack([C, C[:, :1] - 2 * C[:, 1:]])  # third point a combination of the first two
    y, phi0 = rng.normal(size=3), rng.normal(size=6)
    flow = LinearFlow(X, y, phi0)
    assert flow.rank == 2
    want = ref.min_norm_limit(X, y, phi0)
    np.testing.assert_allclose(flow.limit(), want, atol=1e-12 * np.linalg.norm(want))
    r_ls = X.T @ want - y
    assert flow.loss_limit() > 1e-3  # y is not in the range of X^T
    np.testing.assert_allclose(flow.loss_limit(), 0.5 * r_ls @ r_ls, rtol=1e-10)
    ts = np.array([0.0, 0.2, 1.5, 10.0])
    np.testing.assert_allclose(
        flow.params(ts), ref.expm_params(X, y, phi0, ts), atol=1e-12 * np.linalg.norm(want)
    )


def test_rank_of_many_small_rank_deficient_matrices(ref):
    """Rounding leaves the zero eigenvalues of an exactly rank-deficient Gram matrix a few
    max(D, I) eps lambda_max away from 0. Counted as modes they would put rounding / rounding
    into the limit. Over 400 seeded products B C of rank r, the rank must come out r and the
    limit must match pinv (a too-tight tolerance failed about 2% of these)."""
    rng = np.random.default_rng(99)
    wrong = []
    for _ in range(400):
        D, n_data = rng.integers(2, 7, size=2)
        r = int(rng.integers(1, min(D, n_data)))
        X = rng.normal(size=(D, r)) @ rng.normal(size=(r, n_data)) * 10 ** rng.uniform(-2, 2)
        y, phi0 = rng.normal(size=n_data), rng.normal(size=D)
        flow = LinearFlow(X, y, phi0)
        want = ref.min_norm_limit(X, y, phi0)
        err = np.linalg.norm(flow.limit() - want) / np.linalg.norm(want)
        if flow.rank != r or err > 1e-9:
            wrong.append((D, n_data, r, flow.rank, err))
    assert not wrong, wrong[:5]


def _svd_reference(X, y, phi0, ts):
    """Flow through the SVD of X itself (never forming X X^T), with expm1: its error is set
    by cond(X) = sqrt(cond(X X^T)), so it is far more accurate than any Gram-based method.
    Returns params (T, D) and loss (T,)."""
    U, s, Wt = np.linalg.svd(X, full_matrices=False)  # X = U diag(s) Wt, U (D, r)
    a0 = U.T @ phi0
    wy = Wt @ y
    e = np.exp(-np.multiply.outer(ts, s**2))
    gain = -np.expm1(-np.multiply.outer(ts, s**2)) / s  # (1 - e^{-s^2 t}) / s^2 times s
    phi = phi0 - a0 @ U.T + (e * a0 + gain * wy) @ U.T
    resid_range = e * (s * a0 - wy)  # residual coordinates on the range of X^T
    y_out = y - Wt.T @ wy  # part of y no parameter can reach
    loss = 0.5 * (y_out @ y_out) + 0.5 * np.sum(resid_range**2, axis=1)
    return phi, loss


@pytest.mark.parametrize("shape", [(4, 6), (6, 4)], ids=["D<I", "D>I"])
def test_ill_conditioned(shape, rng):
    """cond(X X^T) = 1e8. Any method that forms the Gram matrix loses about
    eps * cond(X X^T) ~ 2e-8 relative accuracy on the slowest mode (its eigenvalue carries
    an absolute rounding error of order eps * lambda_max). The SVD reference errs by only
    eps * cond(X) ~ 2e-12. So the closed form must agree with it to a small multiple of
    eps * cond(X X^T): we allow 2 (measured: at most 0.06 on these problems, so a method
    that loses even a few more digits than the Gram matrix forces fails)."""
    D, n_data = shape
    r = min(D, n_data)
    s = np.logspace(0, -4, r)  # singular values of X: cond(X) = 1e4, cond(X X^T) = 1e8
    U, _ = np.linalg.qr(rng.normal(size=(D, r)))
    W, _ = np.linalg.qr(rng.normal(size=(n_data, r)))
    X = (U * s) @ W.T
    y, phi0 = rng.normal(size=n_data), rng.normal(size=D)
    flow = LinearFlow(X, y, phi0)
    cond = flow.eigenvalues[-1] / flow.eigenvalues[flow.eigenvalues > 0][0]
    assert 0.5e8 < cond < 2e8
    ts = np.array([0.0, 1.0, 1e3, 1e6, 1e8, 1e9, 1e11])  # through every time scale
    phi_ref, loss_ref = _svd_reference(X, y, phi0, ts)
    tol = 2 * EPS * cond
    scale = np.linalg.norm(phi_ref, axis=1)
    err = np.linalg.norm(flow.params(ts) - phi_ref, axis=1)
    assert np.all(err <= tol * scale), (err / scale, tol)
    np.testing.assert_allclose(flow.loss(ts), loss_ref, rtol=0, atol=tol * loss_ref[0])
    lim_ref, lim_loss = _svd_reference(X, y, phi0, np.array([1e30]))
    np.testing.assert_allclose(flow.limit(), lim_ref[0], rtol=0, atol=tol * np.linalg.norm(lim_ref))
    assert abs(flow.loss_limit() - lim_loss[0]) <= tol * loss_ref[0]
    # and the slow mode really moves over these times (the test is not vacuous)
    assert np.linalg.norm(phi_ref[3] - phi_ref[-1]) > 1e3 * tol * scale[-1]


def test_early_motion_is_accurate_when_the_limit_is_far():
    """phi(t) - phi0 = -t grad L(phi0) + O(t^2). With phi0 tiny and the limit far away, the
    closed form must not assemble phi(t) as limit + e^{-lambda t} (phi0 - limit): that
    cancels and leaves errors of eps |limit|, a thousand times the motion at t = 1e-12."""
    X = np.array([[0.35, 0.2, 0.1], [1.0, 1.0, 1.0]])
    y = np.array([8.2, 9.0, -7.0])
    phi0 = np.array([0.0033, -0.001])
    flow = LinearFlow(X, y, phi0)
    assert np.linalg.norm(flow.limit()) > 1e4 * np.linalg.norm(phi0)
    t = 1e-12
    motion = flow.params(t) - phi0
    want = t * (X @ (y - X.T @ phi0))
    np.testing.assert_allclose(motion, want, rtol=1e-5)
    # e = 1, g = 0: only the rotation into the eigenbasis and back rounds
    np.testing.assert_allclose(flow.params(0.0), phi0, rtol=0, atol=4 * EPS * np.abs(phi0).max())


# =========================================================== 4. mode factors and huge times
def test_mode_factors_zero_eigenvalue_gives_gain_zero_and_decay_one():
    """The library's one convention (spectrum module docstring): F / lambda is 0 at a zero
    eigenvalue, as kernel_coefficients has it (pinv's cut-off), and the mode keeps its start."""
    ts = np.array([0.0, 0.5, 3.0, 1e6])
    e, g = mode_factors(np.array([0.0, 2.0]), ts)
    assert e.shape == g.shape == (4, 2)
    np.testing.assert_array_equal(e[:, 0], 1.0)
    np.testing.assert_array_equal(g[:, 0], 0.0)
    np.testing.assert_allclose(e[:, 1], np.exp(-2 * ts), rtol=1e-15)
    np.testing.assert_allclose(g[:, 1], (1 - np.exp(-2 * ts)) / 2, rtol=1e-14)
    e0, g0 = mode_factors([0.0, 1.0], 2.5)  # scalar time: shape (K,)
    assert e0.shape == g0.shape == (2,)
    assert e0[0] == 1.0 and g0[0] == 0.0


def test_mode_factors_no_cancellation_for_tiny_lambda_t():
    """g = (1 - e^{-x}) / lambda with x = lambda t tiny: the series t (1 - x/2 + x^2/6)."""
    lam = np.array([1e-14, 1e-10, 1e-6])
    t = 1.0
    _, g = mode_factors(lam, t)
    x = lam * t
    np.testing.assert_allclose(g, t * (1 - x / 2 + x**2 / 6), rtol=1e-15)


def test_mode_factors_match_quadrature():
    """g is the integral of e^{-lambda s} over [0, t] (at positive eigenvalues; 0 at a zero
    one, the library's convention): compare with Gauss-Legendre."""
    lam = np.array([1e-9, 0.3, 4.0])
    t = 1.7
    nodes, weights = np.polynomial.legendre.leggauss(40)
    s = 0.5 * t * (nodes + 1)
    quad = 0.5 * t * np.exp(-np.multiply.outer(lam, s)) @ weights
    _, g = mode_factors(lam, t)
    np.testing.assert_allclose(g, quad, rtol=1e-13)


@pytest.mark.parametrize("shape", [(2, 3), (5, 3), (3, 3)], ids=["D<I", "D>I", "D=I"])
def test_huge_time_returns_limit_without_warnings(shape, rng):
    D, n_data = shape
    X, y, phi0 = rng.normal(size=shape), rng.normal(size=n_data), rng.normal(size=D)
    X_new = rng.normal(size=(D, 4))
    flow = LinearFlow(X, y, phi0)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        phi = flow.params(1e300)
        phis = flow.params(np.array([0.0, 1e300]))
        loss = flow.loss(1e300)
        resid = flow.residuals(1e300)
        out = flow.outputs(1e300)
        pred = flow.predict(X_new, 1e300)
        e, g = mode_factors(np.array([0.0, 1.0]), 1e300)
    lim = flow.limit()
    np.testing.assert_allclose(phi, lim, rtol=0, atol=1e-12 * np.linalg.norm(lim))
    np.testing.assert_allclose(phis[1], lim, rtol=0, atol=1e-12 * np.linalg.norm(lim))
    np.testing.assert_allclose(phis[0], phi0, rtol=0, atol=1e-12)
    assert np.isfinite(loss) and abs(loss - flow.loss_limit()) <= 1e-12 * flow.loss(0.0)
    np.testing.assert_allclose(resid, X.T @ lim - y, atol=1e-12)
    np.testing.assert_allclose(out, X.T @ lim, atol=1e-12)
    np.testing.assert_allclose(pred, X_new.T @ lim, atol=1e-12)
    assert e.tolist() == [1.0, 0.0] and g.tolist() == [0.0, 1.0]  # zero mode: 0 (pinv)


# =================================================================== 5. shapes and types
class TestShapes:
    @pytest.fixture
    def flow(self, seed):
        return LinearFlow(*seed)

    def test_scalar_time(self, flow):
        assert flow.params(0.5).shape == (2,)
        assert flow.outputs(0.5).shape == (3,)
        assert flow.residuals(0.5).shape == (3,)
        assert flow.predict(np.ones((2, 5)), 0.5).shape == (5,)
        assert type(flow.loss(0.5)) is float
        assert flow.limit().shape == (2,)
        assert type(flow.loss_limit()) is float

    def test_array_time(self, flow):
        ts = np.linspace(0, 3, 7)
        assert flow.params(ts).shape == (7, 2)
        assert flow.outputs(ts).shape == (7, 3)
        assert flow.residuals(ts).shape == (7, 3)
        assert flow.predict(np.ones((2, 5)), ts).shape == (7, 5)
        assert flow.loss(ts).shape == (7,)

    def test_one_element_array_keeps_time_axis(self, flow):
        assert flow.params([0.5]).shape == (1, 2)
        assert flow.loss(np.array([0.5])).shape == (1,)
        assert flow.predict(np.ones((2, 5)), [0.5]).shape == (1, 5)

    def test_zero_d_array_is_a_scalar(self, flow):
        np.testing.assert_array_equal(flow.params(np.array(0.5)), flow.params(0.5))
        assert flow.params(np.array(0.5)).shape == (2,)
        assert type(flow.loss(np.array(0.5))) is float
        assert flow.outputs(np.float64(0.5)).shape == (3,)

    def test_array_rows_equal_scalar_calls(self, flow):
        ts = [0.0, 0.1, 2.0]
        P = flow.params(ts)
        for k, t in enumerate(ts):
            np.testing.assert_allclose(P[k], flow.params(t), rtol=1e-14, atol=1e-16)
            assert flow.loss(ts)[k] == pytest.approx(flow.loss(t), rel=1e-15)

    def test_integer_times(self, flow):
        np.testing.assert_array_equal(flow.params(2), flow.params(2.0))
        np.testing.assert_array_equal(flow.params(np.array([0, 2])), flow.params([0.0, 2.0]))

    def test_lists_and_int_arrays_accepted(self, seed):
        X, y, phi0 = seed
        Xi = np.array([[1, 2, 4], [1, 1, 1]])  # int dtype
        yi = np.array([0, 1, 3])
        from_lists = LinearFlow(Xi.tolist(), yi.tolist(), [0, 0])
        from_ints = LinearFlow(Xi, yi, np.zeros(2, dtype=np.int64))
        from_floats = LinearFlow(Xi.astype(float), yi.astype(float), np.zeros(2))
        for fl in (from_lists, from_ints):
            np.testing.assert_array_equal(fl.params([0.0, 1.0]), from_floats.params([0.0, 1.0]))
            assert fl.X.dtype == np.float64 and fl.y.dtype == np.float64
        X_new = [[0, 1], [1, 1]]
        np.testing.assert_array_equal(
            from_lists.predict(X_new, 1), from_floats.predict(np.array(X_new, float), 1.0)
        )

    def test_single_point_and_single_parameter(self, ref):
        X, y, phi0 = np.array([[2.0]]), np.array([1.0]), np.array([0.0])
        flow = LinearFlow(X, y, phi0)
        ts = np.array([0.0, 0.1, 1.0])
        np.testing.assert_allclose(flow.params(ts)[:, 0], 0.5 * (1 - np.exp(-4 * ts)), rtol=1e-14)
        X = np.array([[1.0, 2.0, 3.0]])  # D = 1, I = 3
        y = np.array([1.0, 2.0, 2.0])
        flow = LinearFlow(X, y, [0.0])
        np.testing.assert_allclose(flow.params(ts), ref.expm_params(X, y, [0.0], ts), atol=1e-14)


# ============================================================ 6. consistency and the loss
def test_outputs_residuals_predict_consistent(rng):
    for D, n_data in ((3, 5), (5, 3)):
        X, y, phi0 = rng.normal(size=(D, n_data)), rng.normal(size=n_data), rng.normal(size=D)
        X_new = rng.normal(size=(D, 4))
        flow = LinearFlow(X, y, phi0)
        ts = np.array([0.0, 0.4, 4.0])
        P = flow.params(ts)
        np.testing.assert_allclose(flow.outputs(ts), P @ X, atol=1e-13)
        np.testing.assert_allclose(flow.residuals(ts), flow.outputs(ts) - y, atol=1e-13)
        np.testing.assert_allclose(flow.predict(X_new, ts), P @ X_new, atol=1e-13)
        np.testing.assert_allclose(flow.params(0.0), phi0, rtol=0, atol=1e-15)


@pytest.mark.parametrize("shape", [(3, 2000), (40, 25)], ids=["D<I", "D>I"])
def test_loss_equals_explicit_residuals(shape, rng):
    D, n_data = shape
    X, y, phi0 = rng.normal(size=shape), rng.normal(size=n_data), rng.normal(size=D)
    flow = LinearFlow(X, y, phi0)
    ts = np.geomspace(1e-4, 10, 30)
    R = flow.params(ts) @ X - y
    # Relative agreement while the loss is well above rounding; once it has decayed to the
    # level where X^T phi - y is pure rounding (D > I drives the loss to 0), absolute
    # agreement to eps-level of the initial loss.
    np.testing.assert_allclose(
        flow.loss(ts), 0.5 * np.sum(R**2, axis=1), rtol=1e-10, atol=1e-14 * flow.loss(0.0)
    )


def test_loss_for_large_I_does_not_form_outputs(rng):
    """T x I outputs would take T * I * 8 bytes = 400 MB here; loss(t) must stay in O(T D)."""
    D, n_data, T = 3, 100_000, 500
    X = rng.normal(size=(D, n_data))
    y = rng.normal(size=n_data)
    flow = LinearFlow(X, y, np.zeros(D))
    ts = np.linspace(0.0, 1e-3, T)
    tracemalloc.start()
    try:
        flow.loss(ts)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"loss over {T} times allocated {peak} bytes"
    # the (T, I) outputs would be more than 100 times that
    assert T * n_data * 8 > 100 * peak


# ------------------------------------------------------------------------- KernelFlow
@pytest.mark.parametrize("shape", [(3, 7), (8, 5), (4, 4)])
def test_kernel_flow_is_linear_flow_through_its_kernel(rng, shape):
    """LinearFlow(X, y, phi0).predict(X_new, t) equals KernelFlow(X^T X, y, X^T phi0)
    .predict(X_new^T X, t, X_new^T phi0) to 1e-12, singular K (D < I) included."""
    from gflow_lib import KernelFlow

    D, I = shape  # noqa: E741
    X, y, phi0 = rng.normal(size=shape), rng.normal(size=I), rng.normal(size=D)
    X_new = rng.normal(size=(D, 6))
    t = np.array([0.0, 0.1, 1.0, 10.0, 1e6])
    lf, kf = LinearFlow(X, y, phi0), KernelFlow(X.T @ X, y, X.T @ phi0)
    np.testing.assert_allclose(kf.predict(X_new.T @ X, t, X_new.T @ phi0),
                               lf.predict(X_new, t), rtol=0, atol=1e-12)
    np.testing.assert_allclose(kf.outputs(t), lf.outputs(t), rtol=0, atol=1e-12)
    np.testing.assert_allclose(kf.residuals(t), lf.residuals(t), rtol=0, atol=1e-12)
    np.testing.assert_allclose(kf.loss(t), lf.loss(t), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(kf.limit(), X.T @ lf.limit(), rtol=0, atol=1e-12)
    assert kf.outputs(0.5).shape == (I,) and kf.predict(X_new.T @ X, 0.5).shape == (6,)
    assert isinstance(kf.loss(0.5), float)
    assert np.count_nonzero(kf.eigenvalues) == min(D, I)


def test_kernel_flow_matches_the_ode_in_function_space(rng):
    from scipy.integrate import solve_ivp

    from gflow_lib import KernelFlow

    x = np.linspace(-1, 1, 8)
    K = np.exp(-np.subtract.outer(x, x) ** 2 / 0.5)
    y, f0 = np.sin(3 * x), 0.1 * rng.normal(size=8)
    t = np.array([0.05, 0.5, 3.0])
    sol = solve_ivp(lambda _, f: -K @ (f - y), (0, 3.0), f0, t_eval=t, rtol=1e-12,
                    atol=1e-14, method="DOP853")
    np.testing.assert_allclose(KernelFlow(K, y, f0).outputs(t), sol.y.T, atol=1e-10)


def test_kernel_flow_bad_input_names_the_argument():
    from gflow_lib import KernelFlow

    with pytest.raises(ValueError, match="^K must be a non-empty square matrix"):
        KernelFlow(np.ones((2, 3)), [1.0, 2.0])
    with pytest.raises(ValueError, match="^K must be symmetric"):
        KernelFlow([[1.0, 0.5], [0.0, 1.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="^K must be positive semidefinite"):
        KernelFlow([[1.0, 2.0], [2.0, 1.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="^y must have length 2"):
        KernelFlow(np.eye(2), [1.0])
    with pytest.raises(ValueError, match=r"^K_new must have shape \(M, 2\)"):
        KernelFlow(np.eye(2), [1.0, 2.0]).predict(np.ones((3, 3)), 1.0)
