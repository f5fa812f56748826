"""Momentum as filters (issue 20, library): each closed form against what it claims to be.

Heavy ball and Nesterov against explicit loops of their algorithms on the parameters (to
1e-12), the flows against scipy's DOP853 (rtol 1e-12) on the parameter ODE (to 1e-9), repeated
roots, critical damping, small steps and the Bessel form against mpmath at 50 digits, Polyak's
and descent's tuning against a brute-force search of the rate, the stability boundary by
iterating just inside and outside it, discrete Nesterov against its ODE as the step shrinks,
both spectra, and the named errors."""

from __future__ import annotations

import dataclasses

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import gflow_lib
from gflow_lib import (
    Descent,
    Flow,
    HeavyBall,
    HeavyBallFlow,
    KernelSpectrum,
    Nesterov,
    NesterovFlow,
    Spectrum,
    heavy_ball_stable,
    heavy_ball_threshold,
    optimal_descent,
    optimal_heavy_ball,
)
from gflow_lib.spectrum import Filter

mp.mp.dps = 50
NAMES = ["HeavyBall", "HeavyBallFlow", "Nesterov", "NesterovFlow", "heavy_ball_stable",
         "heavy_ball_threshold", "optimal_descent", "optimal_heavy_ball"]


def _problem(seed, D=4, I=7):  # noqa: E741
    """A random problem: X (D, I), y (I,), phi0 (D,), and its eigenvalues."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((D, I)) / np.sqrt(I)
    return X, rng.standard_normal(I), rng.standard_normal(D), np.linalg.eigvalsh(X @ X.T)


def _rel(a, b):
    """Max error relative to the reference's largest entry at each index (row)."""
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    return float(np.max(np.abs(a - b) / np.max(np.abs(b), axis=1, keepdims=True)))


def _grad(X, y, phi):
    return X @ (X.T @ phi - y)


# ------------------------------------------------------------------ against the iterates
def _heavy_ball_loop(X, y, phi0, lr, beta, K):
    prev = phi = phi0.copy()
    out = [phi]
    for _ in range(K):
        prev, phi = phi, phi - lr * _grad(X, y, phi) + beta * (phi - prev)
        out.append(phi)
    return np.array(out)


def _nesterov_loop(X, y, phi0, lr, K):
    prev = phi = phi0.copy()
    out = [phi]
    for k in range(K):
        psi = phi + (k - 1) / (k + 2) * (phi - prev)
        prev, phi = phi, psi - lr * _grad(X, y, psi)
        out.append(phi)
    return np.array(out)


def _heavy_ball_cases(lam):
    """(lr, beta): Polyak's optimum (repeated roots at both ends), ringing, overdamped,
    near the stability edge and plain descent."""
    lr_opt, beta_opt, _ = optimal_heavy_ball(lam)
    return [(lr_opt, beta_opt), (0.5 / lam[-1], 0.95), (0.3 / lam[-1], 0.05),
            (0.98 * heavy_ball_threshold(lam, 0.6), 0.6), (0.5 / lam[-1], 0.0)]


@pytest.mark.parametrize("seed", range(4))
def test_heavy_ball_is_its_iterates_in_both_spectra(seed):
    X, y, phi0, lam = _problem(seed)
    K = np.arange(0, 121, 3)
    for lr, beta in _heavy_ball_cases(lam):
        loop = _heavy_ball_loop(X, y, phi0, lr, beta, int(K[-1]))[K]
        path = Spectrum(X, y).path(HeavyBall(lr, beta), phi0)
        assert _rel(path.params(K), loop) < 1e-12, (lr, beta)
        kpath = KernelSpectrum(X.T @ X, y).path(HeavyBall(lr, beta), X.T @ phi0)
        assert _rel(kpath.outputs(K), loop @ X) < 1e-12, (lr, beta)
        assert _rel(path.residuals(K), loop @ X - y) < 1e-11, (lr, beta)


@pytest.mark.parametrize("seed", range(4))
def test_nesterov_is_its_iterates_in_both_spectra(seed):
    X, y, phi0, lam = _problem(seed)
    K = np.array([0, 1, 2, 5, 17, 60, 200, 199])  # unsorted, repeated steps are fine
    for lr in (0.2 / lam[-1], 1.0 / lam[-1], 1.2 / lam[-1]):  # the last diverges slowly
        loop = _nesterov_loop(X, y, phi0, lr, 200)[K]
        path = Spectrum(X, y).path(Nesterov(lr), phi0)
        assert _rel(path.params(K), loop) < 1e-12, lr
        kpath = KernelSpectrum(X.T @ X, y).path(Nesterov(lr), X.T @ phi0)
        assert _rel(kpath.outputs(K), loop @ X) < 1e-12, lr


# --------------------------------------------------------------- against an ODE solver
def _ode(X, y, phi0, rhs_damping, t, t0=0.0):
    """The parameter ODE phi'' = -damping(t) phi' - grad L from rest, by DOP853."""
    D = phi0.size
    if t0 > 0:  # Nesterov's ODE is singular at 0: start from its series at t0
        g = _grad(X, y, phi0)
        start = np.concatenate([phi0 - t0**2 / 8 * g, -t0 / 4 * g])
    else:
        start = np.concatenate([phi0, np.zeros(D)])

    def rhs(s, u):
        return np.concatenate([u[D:], -rhs_damping(s) * u[D:] - _grad(X, y, u[:D])])

    sol = solve_ivp(rhs, (t0, t[-1]), start, method="DOP853", t_eval=t, rtol=1e-12,
                    atol=1e-14)
    assert sol.success
    return sol.y[:D].T


@pytest.mark.parametrize("seed", range(2))
def test_heavy_ball_flow_is_its_ode_in_both_spectra(seed):
    X, y, phi0, lam = _problem(seed)
    t = np.linspace(0.0, 12.0, 25)
    # under- (0.2), critically (for the largest mode) and over-damped (6)
    for gamma in (0.2, 2.0 * np.sqrt(lam[-1]), 6.0, 0.0):
        ref = _ode(X, y, phi0, lambda s, g=gamma: g, t)
        path = Spectrum(X, y).path(HeavyBallFlow(gamma), phi0)
        assert _rel(path.params(t), ref) < 1e-9, gamma
        kpath = KernelSpectrum(X.T @ X, y).path(HeavyBallFlow(gamma), X.T @ phi0)
        assert _rel(kpath.outputs(t), ref @ X) < 1e-9, gamma


def test_nesterov_flow_is_its_ode_in_both_spectra():
    X, y, phi0, lam = _problem(5)
    t0 = 1e-4
    t = np.linspace(t0, 25.0, 30)
    ref = _ode(X, y, phi0, lambda s: 3.0 / s, t, t0)
    path = Spectrum(X, y).path(NesterovFlow(), phi0)
    assert _rel(path.params(t), ref) < 1e-9
    kpath = KernelSpectrum(X.T @ X, y).path(NesterovFlow(), X.T @ phi0)
    assert _rel(kpath.outputs(t), ref @ X) < 1e-9


# --------------------------------------------------------- against mpmath at 50 digits
def _mp_heavy_ball(q, beta, K):
    q, b = mp.mpf(float(q)), mp.mpf(float(beta))
    prev = e = mp.mpf(1)
    out = [e]
    for _ in range(K):
        prev, e = e, (1 + b - q) * e - b * prev
        out.append(e)
    return out


def _against_mp(f, lam, index, ref):
    """Max errors of ``f(lam, index)`` against mpmath values ``ref`` (list per index):
    keep relative to its largest value over the index, gain relative to itself."""
    gain, keep = f(np.array([lam]), index)
    rk = np.array([float(x) for x in ref])
    rg = np.array([float(1 - x) for x in ref])
    ek = float(np.max(np.abs(keep[:, 0] - rk)) / np.max(np.abs(rk)))
    nz = rg != 0
    eg = float(np.max(np.abs(gain[nz, 0] - rg[nz]) / np.abs(rg[nz])))
    return ek, eg


@pytest.mark.parametrize("beta", [0.3, 0.81, 0.9, 0.99])
@pytest.mark.parametrize("root", ["positive", "negative"])
@pytest.mark.parametrize("offset", [0.0, 1e-8, -1e-8])
def test_heavy_ball_at_and_near_repeated_roots_against_mpmath(beta, root, offset):
    """At lr lam = (1 -+ sqrt(beta))^2 the two roots coincide (+-sqrt(beta)); 1e-8 to
    either side they are real or complex. One continuous form, accurate on all three."""
    q = (1 - np.sqrt(beta)) ** 2 if root == "positive" else (1 + np.sqrt(beta)) ** 2
    q *= 1 + offset
    K = 300
    ek, eg = _against_mp(HeavyBall(1.0, beta), q, np.arange(K + 1), _mp_heavy_ball(q, beta, K))
    assert ek < 1e-13
    if root == "positive":  # the gain is small at first: relative accuracy
        assert eg < 1e-13


def test_heavy_ball_at_polyaks_parameters_against_mpmath():
    """Polyak's tuning puts both extreme modes on repeated roots."""
    lam = np.array([0.01, 0.3, 1.0])
    lr, beta, _ = optimal_heavy_ball(lam)
    for q in lr * lam:
        ek, eg = _against_mp(HeavyBall(lr, beta), q / lr, np.arange(401),
                             _mp_heavy_ball(q, beta, 400))
        assert ek < 1e-14 and eg < 1e-13


@pytest.mark.parametrize("beta", [0.3, 0.9, 0.99])
@pytest.mark.parametrize("q", [1e-15, 1e-9, 1e-4])
def test_heavy_ball_gain_keeps_its_digits_for_small_steps(beta, q):
    """Where lr lam is small the gain is small: 1 - keep would lose every digit."""
    ek, eg = _against_mp(HeavyBall(1.0, beta), q, np.arange(0, 201),
                         _mp_heavy_ball(q, beta, 200))
    assert eg < 20 * np.finfo(float).eps / (1 - np.sqrt(beta))


@pytest.mark.parametrize("q", [1e-14, 1e-7, 1e-3, 0.5])
def test_nesterov_gain_keeps_its_digits_against_mpmath(q):
    """Nesterov's recursion for the gain keeps small gains' digits (1 - keep would not)."""
    K = 300
    b, prev, e, ref = mp.mpf(float(q)), mp.mpf(1), mp.mpf(1), [mp.mpf(1)]
    for k in range(K):
        prev, e = e, (1 - b) * (e + mp.mpf(k - 1) / (k + 2) * (e - prev))
        ref.append(e)
    ek, eg = _against_mp(Nesterov(1.0), q, np.arange(K + 1), ref)
    assert ek < 1e-14 and eg < 4 * K * np.finfo(float).eps  # a recursion: k roundings


@pytest.mark.slow  # 50 mpmath recursions: about 3 s
@given(beta=st.floats(0.0, 0.999), frac=st.floats(1e-6, 0.999), k=st.integers(0, 150))
def test_heavy_ball_anywhere_in_the_stable_region_against_mpmath(beta, frac, k):
    """Any stable (lr lam, beta), any k: keep to 1e-13 of its largest value, gain + keep = 1
    to the rounding of the two terms and their sum (4 eps of the larger; 2 eps failed on
    beta = 0.984375, lr lam = 0.496, k = 20, where gain is 1.98 and keep -0.98)."""
    q = frac * 2 * (1 + beta)
    ref = _mp_heavy_ball(q, beta, k)
    gain, keep = HeavyBall(1.0, beta)(np.array([q]), np.arange(k + 1))
    rk = np.array([float(x) for x in ref])
    assert np.max(np.abs(keep[:, 0] - rk)) <= 1e-13 * np.max(np.abs(rk))
    scale = max(1.0, np.max(np.abs(gain)), np.max(np.abs(keep)))
    assert np.max(np.abs(gain + keep - 1)) <= 4 * np.finfo(float).eps * scale


def _mp_oscillator(lam, gamma, t):
    """e'' + gamma e' + lam e = 0 from rest, at 50 digits (the repeated-root form where the
    discriminant is exactly 0)."""
    lam, a, t = mp.mpf(float(lam)), mp.mpf(float(gamma)) / 2, mp.mpf(float(t))
    D = a * a - lam
    if D == 0:
        return mp.exp(-a * t) * (1 + a * t)
    r = mp.sqrt(D)  # complex where underdamped
    return mp.re(mp.exp(-a * t) * (mp.cosh(r * t) + a * mp.sinh(r * t) / r))


@given(log_lam=st.floats(-6.0, 2.0), ratio=st.floats(0.0, 3.0),
       s=st.just(0.0) | st.floats(1e-8, 30.0))  # (1 - keep at 50 digits needs s >= 1e-8)
def test_heavy_ball_flow_in_any_regime_against_mpmath(log_lam, ratio, s):
    """gamma from 0 to 3 times critical, t up to 30 / sqrt(lam): keep to 1e-13 (times the
    phase omega t, which the rounding of omega shifts), gain relative where below 1/2."""
    lam = 10.0**log_lam
    gamma, t = ratio * 2 * np.sqrt(lam), s / np.sqrt(lam)
    ref = _mp_oscillator(lam, gamma, t)
    gain, keep = HeavyBallFlow(gamma)(np.array([lam]), t)
    assert abs(keep[0, 0] - float(ref)) <= 1e-13 * (1 + s)
    if float(1 - ref) < 0.5 and s < 3:
        assert abs(gain[0, 0] - float(1 - ref)) <= 1e-13 * float(1 - ref)
    if s == 0:
        assert gain[0, 0] == 0.0 and keep[0, 0] == 1.0


@pytest.mark.parametrize("lam, gamma", [(4.0, 4.0), (2.0, 2 * np.sqrt(2.0)), (1e-6, 2e-3)])
@pytest.mark.parametrize("offset", [0.0, 1e-8, -1e-8])
def test_heavy_ball_flow_at_and_near_critical_damping_against_mpmath(lam, gamma, offset):
    gamma *= 1 + offset
    t = np.concatenate([[0.0], np.geomspace(1e-9, 40.0 / np.sqrt(lam), 60)])
    ref = [_mp_oscillator(lam, gamma, s) for s in t]
    ek, eg = _against_mp(HeavyBallFlow(gamma), lam, t, ref)
    assert ek < 1e-14 and eg < 1e-13


@pytest.mark.parametrize("lam, gamma", [(1e-12, 1.0), (1.0, 50.0), (3.0, 0.5), (0.7, 0.0)])
def test_heavy_ball_flow_gain_keeps_its_digits_against_mpmath(lam, gamma):
    """Over- and underdamped and undamped, from tiny times to long ones."""
    t = np.geomspace(1e-8, 1e3, 70)
    ref = [_mp_oscillator(lam, gamma, s) for s in t]
    ek, eg = _against_mp(HeavyBallFlow(gamma), lam, t, ref)
    # cos(omega t) to omega t times the rounding of omega (the float sqrt of lam - gamma^2/4)
    assert ek < 4 * np.finfo(float).eps * (1 + np.sqrt(lam) * t[-1])
    # the gain where it is small (before an undamped mode's first return, which is
    # ill-conditioned for any method)
    small = (np.array([float(x) for x in ref]) > 0.5) & (np.sqrt(lam) * t < 3.0)
    g = HeavyBallFlow(gamma)(np.array([lam]), t[small]).gain[:, 0]
    rg = np.array([float(1 - x) for x, s in zip(ref, small, strict=True) if s])
    assert np.max(np.abs(g - rg) / np.abs(rg)) < 1e-14


def test_nesterov_flow_is_the_bessel_form_against_mpmath():
    lam = 2.5
    t = np.concatenate([[0.0], np.geomspace(1e-9, 300.0, 80)])
    ref = [mp.mpf(1) if s == 0 else 2 * mp.besselj(1, mp.sqrt(lam) * s) / (mp.sqrt(lam) * s)
           for s in (mp.mpf(float(x)) for x in t)]
    ek, eg = _against_mp(NesterovFlow(), lam, t, ref)
    assert ek < 1e-15
    x = np.sqrt(lam) * t
    g = NesterovFlow()(np.array([lam]), t[x < 3]).gain[:, 0]
    rg = np.array([float(1 - r) for r, s in zip(ref, x < 3, strict=True) if s])
    nz = rg != 0
    assert np.max(np.abs(g[nz] - rg[nz]) / rg[nz]) < 1e-14


# ----------------------------------------------------------------- limits and tuning
def test_nesterov_approaches_its_ode_as_the_step_shrinks():
    """Nesterov with step lr after k steps is the ODE at t = k sqrt(lr), to O(sqrt(lr))."""
    lam = np.array([0.05, 0.4, 1.0])
    t = np.array([1.0, 4.0, 9.0])
    errs = []
    for lr in (1e-2, 1e-3, 1e-4, 1e-5):
        k = np.round(t / np.sqrt(lr)).astype(int)
        errs.append(np.max(np.abs(Nesterov(lr)(lam, k).keep
                                  - NesterovFlow()(lam, k * np.sqrt(lr)).keep)))
    errs = np.array(errs)
    assert np.all(errs[1:] < errs[:-1] / 2.5)  # sqrt(10) = 3.2 per decade of lr
    assert errs[-1] < 2e-3


def _spectral_radius(q, beta):
    """The largest root modulus of x^2 - (1 + beta - q) x + beta (broadcasting)."""
    s = 1.0 + beta - q
    disc = s * s - 4.0 * beta
    sq = np.sqrt(np.abs(disc))
    return np.where(disc < 0, np.sqrt(beta + 0 * q), (np.abs(s) + sq) / 2)


def test_optimal_descent_against_a_search_of_the_rate():
    lam = np.array([0.0, 0.04, 0.3, 1.3])  # the zero is left out
    lr, rate = optimal_descent(lam)
    assert (lr, rate) == pytest.approx((2 / 1.34, 1.26 / 1.34), rel=1e-15)
    grid = np.linspace(0.01, 2 / 1.3, 200001)
    rates = np.max(np.abs(1 - np.outer(grid, lam[1:])), axis=1)
    assert grid[np.argmin(rates)] == pytest.approx(lr, abs=2e-5)
    assert rates.min() == pytest.approx(rate, abs=1e-5)
    assert rates.min() >= rate - 1e-15  # no step beats it


def test_optimal_heavy_ball_against_a_search_of_the_rate():
    lam = np.array([0.04, 0.3, 1.3])
    lr, beta, rate = optimal_heavy_ball(lam)
    assert rate == pytest.approx(np.sqrt(beta), rel=1e-15)
    kappa = 1.3 / 0.04
    assert beta == pytest.approx(((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2, rel=1e-14)
    # every mode's roots have modulus rate at the optimum
    assert max(_spectral_radius(lr * x, beta) for x in lam) == pytest.approx(rate, rel=1e-7)
    lrs, betas = np.meshgrid(np.linspace(0.5, 4.0, 1401) / 1.3, np.linspace(0.0, 0.95, 951))
    radius = np.maximum(_spectral_radius(lrs * lam[0], betas),
                        _spectral_radius(lrs * lam[-1], betas))
    i = np.unravel_index(np.argmin(radius), radius.shape)
    assert rate <= radius[i] + 1e-12  # no grid point beats Polyak
    assert radius[i] < rate + 2e-3
    assert lrs[i] == pytest.approx(lr, rel=0.01) and betas[i] == pytest.approx(beta, abs=2e-3)
    # and the filter decays at that rate: |keep_k| <= C k rate^k
    keep = HeavyBall(lr, beta)(lam, np.array([400])).keep[0]
    assert np.all(np.abs(keep) <= 2 * 400 * rate**400)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_the_stability_boundary_by_iterating_inside_and_outside(beta):
    lam = np.array([0.2, 2.5])
    lr_max = heavy_ball_threshold(lam, beta)
    assert lr_max == pytest.approx(2 * (1 + beta) / 2.5, rel=1e-15)
    for factor, stable in ((1 - 1e-3, True), (1 + 1e-3, False)):
        lr = lr_max * factor
        assert heavy_ball_stable(lam, lr, beta).tolist() == [True, stable]
        prev = e = 1.0  # the largest mode's distance, iterated
        for _ in range(20000):
            prev, e = e, e - lr * 2.5 * e + beta * (e - prev)
        assert (abs(e) < 1e-3) == stable and (abs(e) > 1e3) == (not stable)
    assert heavy_ball_stable(np.array([0.0, 1.0]), 1.0, beta).tolist() == [False, True]


# ----------------------------------------------------------------- the protocol
FILTERS = [(HeavyBall(0.4, 0.7), np.array([0, 1, 5, 90])),
           (Nesterov(0.4), np.array([0, 1, 5, 90])),
           (HeavyBallFlow(1.5), np.array([0.0, 0.3, 4.0, 70.0])),
           (NesterovFlow(), np.array([0.0, 0.3, 4.0, 70.0]))]
LAM = np.array([1e-9, 0.05, 0.5625, 1.0, 2.4])


@pytest.mark.parametrize("f, index", FILTERS, ids=lambda x: repr(x)[:20])
def test_each_filter_follows_the_protocol(f, index):
    out = f(LAM, index)
    assert isinstance(out, Filter) and out.gain.shape == out.keep.shape == (4, 5)
    np.testing.assert_allclose(out.gain + out.keep, 1.0, rtol=0, atol=4e-16)
    assert np.all(out.keep[0] == 1.0) and np.all(out.gain[0] == 0.0)  # at rest at 0
    assert f(LAM, index[2]).keep.shape == (1, 5)
    assert type(f).index_kind == ("steps" if isinstance(f, (HeavyBall, Nesterov)) else "time")


def test_filters_are_small_immutable_values_exported_from_the_package():
    assert repr(HeavyBall(0.1, 0.5)) == "HeavyBall(lr=0.1, beta=0.5)"
    assert repr(NesterovFlow()) == "NesterovFlow()"
    assert HeavyBallFlow(2) == HeavyBallFlow(2.0) and hash(Nesterov(0.1)) == hash(Nesterov(0.1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        HeavyBall(0.1, 0.5).beta = 0.2
    for name in NAMES:
        assert name in gflow_lib.__all__ and hasattr(gflow_lib, name)


def test_heavy_ball_without_momentum_is_descent():
    k = np.array([0, 3, 50])
    a, b = HeavyBall(0.7, 0.0)(LAM, k), Descent(0.7)(LAM, k)
    assert np.array_equal(a.gain, b.gain) and np.array_equal(a.keep, b.keep)


def test_diverging_modes_give_infinities_not_nan():
    X, y, phi0, lam = _problem(1)
    k = np.array([10, 3000])
    for f in (HeavyBall(3.0 / lam[-1], 0.3), Nesterov(2.0 / lam[-1])):
        path = Spectrum(X, y).path(f, phi0)
        for out in (path.params(k), path.loss(k), path.residuals(k)):
            assert not np.any(np.isnan(out)) and np.all(np.isfinite(out[0]))
            assert np.any(np.isinf(out[1]))
    # lr * lam near the float limit: signed infinities from the first steps, never NaN
    for f in (HeavyBall(1.0, 0.9), Nesterov(1.0)):
        gain, keep = f(np.array([1e300, 1.7e308]), np.array([1, 2, 7]))
        assert not np.any(np.isnan(gain) | np.isnan(keep)) and np.all(np.isinf(keep[1:]))


@pytest.mark.parametrize("q, beta, k", [(0.5, 0.3, 3000), (0.05, 0.2, 20000),
                                        (3.95, 0.95, 5000)])
def test_heavy_ball_log_keep_where_keep_underflows(q, beta, k):
    """log |keep| (what the spectrum uses where keep under- or overflows, so residuals of
    1e-400 are not 0) against mpmath: complex, real positive and (diverging) negative roots."""
    ref = _mp_heavy_ball(q, beta, k)[-1]
    log_keep = float(HeavyBall(1.0, beta).log_keep(np.array([q]), k)[0, 0])
    assert abs(float(mp.log(abs(ref)))) > 708  # keep itself is out of range
    assert log_keep == pytest.approx(float(mp.log(abs(ref))), rel=1e-12)


# --------------------------------------------------------------------- bad input
@pytest.mark.parametrize("make, exc, pattern", [
    (lambda: HeavyBall(0.0, 0.5), ValueError, r"^lr must be a finite positive number; got 0\.0$"),
    (lambda: HeavyBall(np.nan, 0.5), ValueError, r"^lr must be a finite positive number"),
    (lambda: HeavyBall(0.1, 1.0), ValueError, r"^beta must be in \[0, 1\) \(momentum\); got 1\.0$"),
    (lambda: HeavyBall(0.1, -0.1), ValueError, r"^beta must be in \[0, 1\).*got -0\.1$"),
    (lambda: HeavyBall(0.1, np.nan), ValueError, r"^beta must be in \[0, 1\).*got nan$"),
    (lambda: HeavyBall(0.1, "0.5"), TypeError, r"^beta must be a real number in \[0, 1\); got str"),
    (lambda: HeavyBall(0.1, True), TypeError, r"^beta must be a real number .*got bool"),
    (lambda: HeavyBall(0.1, [0.5]), TypeError, r"^beta must be a real number .*got list"),
    (lambda: Nesterov(-1.0), ValueError, r"^lr must be a finite positive number; got -1\.0$"),
    (lambda: Nesterov("a"), TypeError, r"^lr must be a positive real number; got str"),
    (lambda: HeavyBallFlow(-1.0), ValueError,
     r"^damping must be a finite non-negative number; got -1\.0$"),
    (lambda: HeavyBallFlow(np.inf), ValueError, r"^damping must be a finite non-negative"),
    (lambda: HeavyBallFlow([1.0]), TypeError, r"^damping must be a non-negative real number"),
    (lambda: optimal_descent([]), ValueError,
     r"^eigenvalues must include a positive eigenvalue; got none \(0 values\)$"),
    (lambda: optimal_heavy_ball([0.0, 0.0]), ValueError,
     r"^eigenvalues must include a positive eigenvalue; got only zeros \(2 values\)$"),
    (lambda: optimal_heavy_ball([[1.0, 2.0]]), ValueError,
     r"^eigenvalues must be a 1-D array of eigenvalues; got shape \(1, 2\)$"),
    (lambda: optimal_descent(2.0), ValueError, r"^eigenvalues must be a 1-D array"),
    (lambda: optimal_descent([1.0, -0.5]), ValueError,
     r"^eigenvalues must be non-negative; got minimum -0\.5$"),
    (lambda: optimal_descent([1.0, np.nan]), ValueError,
     r"^eigenvalues must contain only finite numbers"),
    (lambda: optimal_descent(["a"]), TypeError, r"^eigenvalues must be a real numeric array"),
    (lambda: heavy_ball_stable([1.0], 0.0, 0.5), ValueError, r"^lr must be a finite positive"),
    (lambda: heavy_ball_stable([1.0], 0.1, 1.5), ValueError, r"^beta must be in \[0, 1\)"),
    (lambda: heavy_ball_stable([-1.0], 0.1, 0.5), ValueError, r"^eigenvalues must be non-neg"),
    (lambda: heavy_ball_threshold([1.0], -0.2), ValueError, r"^beta must be in \[0, 1\)"),
    (lambda: Nesterov(0.1)(np.ones(2), np.array([10**8])), ValueError,
     r"^k must be at most 10,000,000 steps \(Nesterov's filter runs its recursion\); "
     r"got 100,000,000$"),
])
def test_bad_input_is_named(make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()


@pytest.mark.parametrize("f, index, pattern", [
    (HeavyBall(0.1, 0.5), 1.5, r"^k must be a non-negative integer"),
    (Nesterov(0.1), np.array([-1]), r"^k must be non-negative"),
    (HeavyBallFlow(1.0), -1.0, r"^t must be non-negative"),
    (NesterovFlow(), np.inf, r"^t must be finite"),
])
def test_a_bad_index_is_named_by_the_path(f, index, pattern):
    X, y, phi0, _ = _problem(0)
    with pytest.raises((TypeError, ValueError), match=pattern):
        Spectrum(X, y).path(f, phi0).params(index)


def test_optimal_parameters_take_a_built_spectrum():
    X, y, _, lam = _problem(3)
    assert optimal_heavy_ball(Spectrum(X, y)) == pytest.approx(optimal_heavy_ball(lam),
                                                               rel=1e-12)
    assert optimal_descent(KernelSpectrum(X.T @ X, y)) == pytest.approx(optimal_descent(lam),
                                                                        rel=1e-12)


# ------------------------------------------------ preconditioning: another basis, same filter
def _preconditioned(seed, D, I, rank=None):  # noqa: E741
    """A problem with a symmetric positive definite preconditioner P (D, D) and new inputs."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((D, I)) * np.geomspace(1.0, 0.1, D)[:, None] / np.sqrt(I)
    if rank is not None:  # rank-deficient: a null space the flow never moves
        X = X[:, :rank] @ rng.standard_normal((rank, I)) / np.sqrt(rank)
    B = rng.standard_normal((D, D))
    P = B @ B.T / D + 0.3 * np.eye(D)
    return X, rng.standard_normal(I), rng.standard_normal(D), P, rng.standard_normal((D, 5))


@pytest.mark.parametrize("D, I, rank", [(4, 7, None), (6, 3, None), (5, 8, 3)])  # noqa: E741
def test_preconditioned_flow_is_its_ode(D, I, rank):  # noqa: E741
    """Spectrum(X, y, metric=P) with Flow() is d phi/dt = -P grad L, in params, outputs,
    predictions and the limit (the least-squares point nearest phi0 in the P^-1 norm), on
    both sides of the basis and with a null space."""
    X, y, phi0, P, X_new = _preconditioned(1, D, I, rank)
    t = np.linspace(0.0, 15.0, 16)
    ref = solve_ivp(lambda s, u: -P @ _grad(X, y, u), (0.0, t[-1]), phi0, method="DOP853",
                    t_eval=t, rtol=1e-12, atol=1e-14).y.T
    spec = Spectrum(X, y, metric=P)
    path = spec.path(Flow(), phi0)
    assert _rel(path.params(t), ref) < 1e-9
    assert _rel(path.outputs(t), ref @ X) < 1e-9
    assert _rel(path.predict(X_new, t), ref @ X_new) < 1e-9
    PX = P @ X
    limit = phi0 + PX @ np.linalg.pinv(X.T @ PX) @ (y - X.T @ phi0)
    assert _rel(path.limit(), limit) < 1e-12
    assert np.array_equal(spec.X, X) and np.array_equal(spec.metric, P)


def test_preconditioned_heavy_ball_is_its_iterates():
    """The same HeavyBall filter, tuned on the preconditioned spectrum, is heavy ball with
    the step -lr P grad L."""
    X, y, phi0, P, _ = _preconditioned(2, 5, 9)
    spec = Spectrum(X, y, metric=P)
    lr, beta, _ = optimal_heavy_ball(spec)
    prev = phi = phi0
    loop = [phi]
    for _ in range(80):
        prev, phi = phi, phi - lr * P @ _grad(X, y, phi) + beta * (phi - prev)
        loop.append(phi)
    k = np.arange(81)
    assert _rel(spec.path(HeavyBall(lr, beta), phi0).params(k), np.array(loop)) < 1e-12


def test_newton_is_the_metric_inverse_hessian():
    """P = (X X^T)^-1: every eigenvalue is 1, so descent with lr = 1 lands in one step."""
    X, y, phi0, _, _ = _preconditioned(3, 4, 9)
    spec = Spectrum(X, y, metric=np.linalg.inv(X @ X.T))
    np.testing.assert_allclose(spec.lam, 1.0, rtol=1e-12)
    solution = np.linalg.lstsq(X.T, y, rcond=None)[0]
    assert _rel(spec.path(Descent(1.0), phi0).params(1), solution) < 1e-12
    # a diagonal (Jacobi) preconditioner is the bridge to adaptive methods: it evens the scales
    jacobi = Spectrum(X, y, metric=np.diag(1.0 / np.diag(X @ X.T)))
    plain = Spectrum(X, y)
    assert jacobi.lam[-1] / jacobi.lam[0] < plain.lam[-1] / plain.lam[0] / 10


def test_preconditioned_crowd_is_its_linear_map():
    """predictive with a metric: the mean and variance of the predictions over starts
    N(phi0, S), against the explicit linear map of the start."""
    X, y, phi0, P, X_new = _preconditioned(4, 5, 3)
    S = np.cov(np.random.default_rng(0).standard_normal((5, 40)))
    spec, t = Spectrum(X, y, metric=P), 0.7
    M = (spec.path(Flow(), np.eye(5)).params(t) - spec.path(Flow()).params(t)).T
    mean_ref = spec.path(Flow(), phi0).params(t) @ X_new
    for cov in (S, 0.4):
        mean, var = spec.path(Flow(), phi0).predictive(X_new, t, cov)
        C = cov * np.eye(5) if np.ndim(cov) == 0 else cov
        var_ref = np.einsum("dm,de,em->m", X_new, M @ C @ M.T, X_new)
        assert _rel(mean, mean_ref) < 1e-12 and _rel(var, var_ref) < 1e-11


def test_preconditioned_diverging_descent_predicts_signed_infinities():
    """Where the preconditioned modes overflow, predictions keep the dominant mode's signs."""
    X, y, phi0, P, X_new = _preconditioned(5, 4, 8)
    spec = Spectrum(X, y, metric=P)
    path = spec.path(Descent(2.5 / spec.lam[-1]), phi0)  # only the largest mode diverges
    finite, overflow = path.predict(X_new, 300), path.predict(X_new, 3000)
    assert np.all(np.isfinite(finite)) and np.all(np.isinf(overflow))
    assert np.array_equal(np.sign(overflow), np.sign(finite))


@pytest.mark.parametrize("metric, pattern", [
    (np.eye(3), r"^metric must be a symmetric positive definite matrix of shape \(4, 4\), "
                r"one row per parameter; got shape \(3, 3\)$"),
    (np.diag([1.0, 1.0, 0.0, 1.0]), r"^metric must be positive definite; got smallest "
                                     r"eigenvalue 0"),
    (np.diag([1.0, -1.0, 2.0, 1.0]), r"^metric must be positive definite"),
    (np.triu(np.ones((4, 4))), r"^metric must be symmetric"),
    (np.full((4, 4), np.nan), r"^metric must contain only finite numbers"),
])
def test_a_bad_metric_is_named(metric, pattern):
    X, y, _, _, _ = _preconditioned(0, 4, 6)
    with pytest.raises(ValueError, match=pattern):
        Spectrum(X, y, metric=metric)
