"""Property-based tests of LinearFlow with hypothesis (profile "gflow" in conftest.py:
derandomized, no deadline, at most 50 examples each).

The problems have random shapes (D > I, D < I and D = I), full or deficient rank, and scales of
X, y and phi0 spread over several orders of magnitude. Each property is checked against an
independent method or an identity that needs no closed form.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from gflow_lib import LinearFlow

MAX_COND_X = 1e3  # singular values of X within 3 decades: cond(X X^T) up to 1e6


@st.composite
def problems(draw, deficient=None):
    """(X, y, phi0) with X of shape (D, I), D and I in 1..6, scales 10^-2..10^2 for X and
    10^-3..10^3 for y and phi0. ``deficient``: None for either, True for rank < min(D, I)."""
    D = draw(st.integers(1, 6), label="D")
    n_data = draw(st.integers(1, 6), label="I")
    full = min(D, n_data)
    if deficient is None:
        deficient = draw(st.booleans(), label="deficient") and full > 1
    if deficient:
        assume(full > 1)
    rank = draw(st.integers(1, full - 1), label="rank") if deficient else full
    sx = 10.0 ** draw(st.floats(-2, 2), label="log10 scale X")
    sy = 10.0 ** draw(st.floats(-3, 3), label="log10 scale y")
    sp = 10.0 ** draw(st.floats(-3, 3), label="log10 scale phi0")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    if rank == full:
        X = rng.normal(size=(D, n_data))
    else:
        X = rng.normal(size=(D, rank)) @ rng.normal(size=(rank, n_data))
    X *= sx
    s = np.linalg.svd(X, compute_uv=False)
    nonzero = s[:rank]
    assume(nonzero[-1] > nonzero[0] / MAX_COND_X)  # the intended rank, well separated
    y = sy * rng.normal(size=n_data)
    phi0 = sp * rng.normal(size=D)
    return X, y, phi0


def _scales(X, y, phi0, ref):
    """Natural sizes: of the parameters (start and limit) and of the residuals."""
    lim = ref.min_norm_limit(X, y, phi0)
    p_scale = np.linalg.norm(phi0) + np.linalg.norm(lim)
    r_scale = np.linalg.norm(X.T @ phi0 - y) + np.linalg.norm(y)
    return lim, p_scale, r_scale


def _time_scales(X):
    lam = np.linalg.eigvalsh(X @ X.T)
    lam_max = lam[-1]
    lam_min = lam[lam > 1e-9 * lam_max][0]
    return lam_min, lam_max


@given(problems())
def test_start_is_phi0_and_f0(problem):
    X, y, phi0 = problem
    flow = LinearFlow(X, y, phi0)
    p_scale = np.linalg.norm(phi0)
    np.testing.assert_allclose(flow.params(0.0), phi0, rtol=0, atol=1e-13 * p_scale)
    f0 = X.T @ phi0
    # outputs are residuals + y, so rounding is relative to |f0| + |y|
    scale = np.linalg.norm(X) * p_scale + np.linalg.norm(y)
    np.testing.assert_allclose(flow.outputs(0.0), f0, rtol=0, atol=1e-13 * scale)
    r0 = f0 - y
    # Residuals are formed from the modes (U_r w, each mode to its own relative accuracy);
    # when D <= I the data-space basis is X^T V_r / s, which costs up to the condition number
    # of X (s_max / s_min) in absolute accuracy at t = 0: a draw with s_max / s_min = 86 was
    # off by 2.6e-13 = 1.3e-15 * scale * 86 (outputs and params stay within 1e-16 there).
    s = np.linalg.svd(X, compute_uv=False)
    cond = s[0] / s[s > 1e-12 * s[0]][-1]
    atol = max(1e-13, 1e-14 * cond) * scale
    np.testing.assert_allclose(flow.residuals(0.0), r0, rtol=0, atol=atol)
    assert abs(flow.loss(0.0) - 0.5 * r0 @ r0) <= max(1e-12, 1e-13 * cond) * scale**2


@given(problems())
def test_loss_and_distance_to_limit_never_increase(problem):
    X, y, phi0 = problem
    flow = LinearFlow(X, y, phi0)
    lam_min, lam_max = _time_scales(X)
    ts = np.concatenate([[0.0], np.geomspace(1e-3 / lam_max, 30 / lam_min, 60)])
    L = flow.loss(ts)
    assert np.all(np.isfinite(L)) and np.all(L >= 0)
    assert np.all(np.diff(L) <= 1e-13 * L[0]), np.diff(L).max()
    dist = np.linalg.norm(flow.params(ts) - flow.limit(), axis=1)
    assert np.all(np.diff(dist) <= 1e-12 * (dist[0] + np.linalg.norm(flow.limit())))
    assert L[-1] >= flow.loss_limit() - 1e-12 * L[0]


@given(problem=problems())
def test_limit_is_pinv_plus_null_space_projection(problem, ref):
    X, y, phi0 = problem
    flow = LinearFlow(X, y, phi0)
    lim, p_scale, r_scale = _scales(X, y, phi0, ref)
    # cond(X) <= 1e3: pinv and the closed form agree to about eps * cond(X X^T) <= 2e-10
    np.testing.assert_allclose(flow.limit(), lim, rtol=0, atol=1e-8 * p_scale)
    r = X.T @ lim - y
    assert abs(flow.loss_limit() - 0.5 * r @ r) <= 1e-8 * r_scale**2
    lam_min, _ = _time_scales(X)
    np.testing.assert_allclose(flow.params(60 / lam_min), lim, rtol=0, atol=1e-8 * p_scale)


@given(problem=problems(deficient=True))
def test_limit_rank_deficient(problem, ref):
    X, y, phi0 = problem
    flow = LinearFlow(X, y, phi0)
    assert flow.rank == np.linalg.matrix_rank(X, tol=1e-10 * np.linalg.norm(X, 2))
    lim, p_scale, r_scale = _scales(X, y, phi0, ref)
    np.testing.assert_allclose(flow.limit(), lim, rtol=0, atol=1e-8 * p_scale)


@given(problem=problems(), factors=st.sampled_from([(0.3, 2.0), (1.0, 5.0)]))
def test_closed_form_equals_ode(problem, factors, ref):
    """LSODA with the exact Jacobian (it switches to a stiff method, needed when
    cond(X X^T) is large) and tight tolerances; times in units of the fastest and the
    slowest time constant. Measured solver error: a few 1e-11 of the parameter scale."""
    X, y, phi0 = problem
    flow = LinearFlow(X, y, phi0)
    lam_min, lam_max = _time_scales(X)
    ts = np.array([factors[0] / lam_max, factors[1] / lam_max, factors[0] / lam_min,
                   factors[1] / lam_min])
    ts = np.unique(ts)
    _, p_scale, _ = _scales(X, y, phi0, ref)
    want = ref.ode_params(X, y, phi0, ts, rtol=1e-12, atol=1e-15 * p_scale, method="LSODA")
    np.testing.assert_allclose(flow.params(ts), want, rtol=0, atol=1e-8 * p_scale)


@given(problems(), st.floats(-2, 2))
def test_time_scales_with_the_square_of_x(problem, log_c):
    """Scaling X and y by c multiplies every rate by c^2 and leaves the fixed point alone:
    phi(t / c^2; cX, cy) = phi(t; X, y). A wrong time scale (a missing square, t absorbed
    twice) breaks it."""
    X, y, phi0 = problem
    c = 10.0**log_c
    lam_min, lam_max = _time_scales(X)
    ts = np.array([0.0, 0.5 / lam_max, 2 / lam_min])
    base = LinearFlow(X, y, phi0).params(ts)
    scaled = LinearFlow(c * X, c * y, phi0).params(ts / c**2)
    p_scale = np.linalg.norm(phi0) + np.linalg.norm(base[-1])
    np.testing.assert_allclose(scaled, base, rtol=0, atol=1e-9 * p_scale)


@given(problems(), st.floats(0.05, 3.0), st.floats(0.05, 3.0))
def test_semigroup(problem, s, t):
    """Flowing for s, then restarting from phi(s) for t, is flowing for s + t."""
    X, y, phi0 = problem
    _, lam_max = _time_scales(X)
    s, t = s / lam_max, t / lam_max
    flow = LinearFlow(X, y, phi0)
    restarted = LinearFlow(X, y, flow.params(s)).params(t)
    p_scale = np.linalg.norm(phi0) + np.linalg.norm(flow.limit())
    np.testing.assert_allclose(restarted, flow.params(s + t), rtol=0, atol=1e-9 * p_scale)
