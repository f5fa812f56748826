"""What the momentum chapter adds to the filters (issue 20): the Chebyshev method, the
worst-case rates and AdaGrad, each against what it claims to be.

Chebyshev against its three-term recursion on the parameters (to 1e-12, both spectra) and
against mpmath's Chebyshev polynomials at 50 digits (gains of tiny eigenvalues included); its
rate against a search over the interval and against other polynomials (none does better,
heavy ball included); heavy ball's rate against the eigenvalues of the companion matrix;
AdaGrad against a loop written per coordinate. Each check was seen failing under a mutation
of the code it tests (a sign, a factor, an index)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from test_momentum import _grad, _problem, _rel  # the same random problems and error measure

from gflow_lib import HeavyBall, KernelSpectrum, Spectrum, heavy_ball_stable, optimal_heavy_ball
from gflow_lib.data import running_example
from gflow_lib.momentum import Chebyshev, adagrad, chebyshev_rate, heavy_ball_rate

mp.mp.dps = 50



# ------------------------------------------------------------------------- Chebyshev
def _chebyshev_loop(X, y, phi0, lo, hi, K):
    """The Chebyshev semi-iterative method: T_{k+1} = 2 u T_k - T_{k-1} on the error, with
    u = u0 - 2 A / (hi - lo) and the scale t_k = T_k(u0)."""
    u0, w = (hi + lo) / (hi - lo), hi - lo
    t_prev, t = 1.0, u0
    prev, phi = phi0.copy(), phi0 - 2.0 / (hi + lo) * _grad(X, y, phi0)
    out = [phi0, phi]
    for _ in range(K - 1):
        t_next = 2 * u0 * t - t_prev
        nxt = (2 * t / t_next) * (u0 * phi - 2.0 / w * _grad(X, y, phi)) - (t_prev / t_next) * prev
        prev, phi, t_prev, t = phi, nxt, t, t_next
        out.append(phi)
    return np.array(out)


@pytest.mark.parametrize("seed", range(3))
def test_chebyshev_is_its_recursion_in_both_spectra(seed):
    X, y, phi0, lam = _problem(seed)
    K = np.arange(0, 61, 4)
    for lo, hi in [(lam[0], lam[-1]), (0.5 * lam[0], 1.2 * lam[-1]), (2 * lam[0], lam[-1])]:
        loop = _chebyshev_loop(X, y, phi0, lo, hi, int(K[-1]))[K]
        path = Spectrum(X, y).path(Chebyshev(lo, hi), phi0)
        assert _rel(path.params(K), loop) < 1e-12, (lo, hi)
        kpath = KernelSpectrum(X.T @ X, y).path(Chebyshev(lo, hi), X.T @ phi0)
        assert _rel(kpath.outputs(K), loop @ X) < 1e-12, (lo, hi)


@pytest.mark.parametrize("lam", [1e-12, 1e-6, 0.05, 0.2, 0.77, 1.0, 1.3, 3.0])
def test_chebyshev_against_mpmath(lam):
    """Keep to 1e-13 of its size, and the gain of small eigenvalues to 1e-12 of itself."""
    lo, hi = 0.2, 1.0
    k = np.array([0, 1, 2, 7, 40, 150])
    gain, keep = Chebyshev(lo, hi)(np.array([lam]), k)
    for i, kk in enumerate(k):
        u = (mp.mpf(hi) + lo - 2 * mp.mpf(lam)) / (mp.mpf(hi) - lo)
        u0 = (mp.mpf(hi) + lo) / (mp.mpf(hi) - lo)
        ref = mp.chebyt(int(kk), u) / mp.chebyt(int(kk), u0)
        assert abs(keep[i, 0] - float(ref)) <= 1e-13 * max(1.0, abs(float(ref)))
        if ref != 1:
            assert abs(gain[i, 0] - float(1 - ref)) <= 1e-12 * abs(float(1 - ref)), (lam, kk)


def test_chebyshev_rate_is_the_largest_keep_on_the_interval_and_equioscillates():
    lo, hi = 0.15, 3.7
    grid = np.linspace(lo, hi, 20001)
    for k in (1, 2, 5, 13, 40):
        keep = Chebyshev(lo, hi)(grid, k).keep[0]
        rate = chebyshev_rate(np.array([lo, 1.0, hi]), k)
        assert np.max(np.abs(keep)) == pytest.approx(rate, rel=1e-12)
        # k + 1 alternating extremes of size rate: the mark of the minimax polynomial
        ext = np.flatnonzero(np.abs(np.abs(keep) - rate) < 1e-3 * rate)
        signs = np.sign(keep[ext])
        assert 1 + np.count_nonzero(np.diff(signs)) == k + 1


def test_no_polynomial_method_beats_the_chebyshev_rate():
    """Random degree-k polynomials with p(0) = 1, a least-squares fit and heavy ball at
    Polyak's optimum: each is at least the Chebyshev rate on the interval."""
    rng = np.random.default_rng(3)
    lo, hi = 0.15, 3.7
    grid = np.linspace(lo, hi, 4001)
    lr, beta, _ = optimal_heavy_ball(np.array([lo, hi]))
    for k in (2, 3, 6, 10):
        best = chebyshev_rate(np.array([lo, hi]), k)
        for _ in range(200):  # p(x) = 1 + x (c_1 + c_2 x + ...): p(0) = 1
            c = rng.normal(scale=2.0, size=k)
            p = 1 + grid * np.polyval(c[::-1], grid)
            assert np.max(np.abs(p)) >= best
        V = np.vander(grid, k + 1, increasing=True)[:, 1:]  # least-squares p close to 0
        c = np.linalg.lstsq(V, -np.ones_like(grid), rcond=None)[0]
        assert np.max(np.abs(1 + V @ c)) >= best
        hb = np.max(np.abs(HeavyBall(lr, beta)(grid, k).keep))
        assert hb > best


def test_chebyshev_rate_against_mpmath_and_its_scalar_shape():
    lo, hi = 0.15183711, 3.68816289
    for k in (0, 1, 5, 60, 500):
        u0 = (mp.mpf(hi) + lo) / (mp.mpf(hi) - lo)
        ref = 1 / mp.chebyt(k, u0)
        assert chebyshev_rate(np.array([lo, hi]), k) == pytest.approx(float(ref), rel=1e-13)
    assert isinstance(chebyshev_rate(np.array([lo, hi]), 3), float)
    assert chebyshev_rate(np.array([lo, hi]), np.array([1, 2])).shape == (2,)


# ------------------------------------------------------------------ heavy ball's rate
def test_heavy_ball_rate_is_the_spectral_radius_of_the_companion_matrix():
    lam = np.array([0.0, 0.15, 1.0, 3.7])  # the zero is left out
    for lr in (0.05, 0.3, 0.5, 0.7, 0.9):
        for beta in (0.0, 0.2, 0.44, 0.8, 0.97):
            radius = max(np.max(np.abs(np.linalg.eigvals(
                np.array([[1 + beta - lr * lm, -beta], [1.0, 0.0]])))) for lm in lam[1:])
            got = heavy_ball_rate(lam, lr, beta)
            assert got == pytest.approx(radius, rel=1e-7, abs=1e-12)
            assert (got < 1) == bool(np.all(heavy_ball_stable(lam[1:], lr, beta)))


def test_heavy_ball_rate_on_a_grid_and_at_polyaks_optimum():
    X, y, _ = running_example()
    S = Spectrum(X, y)
    lr, beta, rate = optimal_heavy_ball(S)
    assert heavy_ball_rate(S, lr, beta) == pytest.approx(rate, rel=1e-7)
    lrs, betas = np.linspace(0.05, 1.0, 40), np.linspace(0.0, 0.95, 39)
    grid = heavy_ball_rate(S, lrs[None, :], betas[:, None])
    assert grid.shape == (39, 40)
    assert np.min(grid) >= rate * (1 - 1e-7)  # nothing on the grid beats Polyak


@pytest.mark.parametrize("call, exc, pattern", [
    (lambda: heavy_ball_rate([1.0], 0.0, 0.5), ValueError, r"^lr must be positive \(steps\)"),
    (lambda: heavy_ball_rate([1.0], 0.1, [0.5, 1.0]), ValueError,
     r"^beta must be in \[0, 1\) \(momentum\); got 1\.0$"),
    (lambda: heavy_ball_rate([1.0], np.nan, 0.5), ValueError, r"^lr must contain only finite"),
    (lambda: heavy_ball_rate([-1.0], 0.1, 0.5), ValueError, r"^eigenvalues must be non-neg"),
    (lambda: Chebyshev(1.0, 0.5), ValueError, r"^lo must be below hi; got lo=1\.0, hi=0\.5$"),
    (lambda: Chebyshev(0.0, 0.5), ValueError, r"^lo must be a finite positive number"),
    (lambda: chebyshev_rate([1.0, 1.0], 3), ValueError, r"^eigenvalues must have two distinct"),
    (lambda: chebyshev_rate([1.0, 2.0], 1.5), TypeError, r"^k must be a non-negative integer"),
    (lambda: adagrad(np.ones((2, 3)), np.ones(3), None, 0.1, -1), ValueError,
     r"^n_steps must be a non-negative integer; got -1$"),
    (lambda: adagrad(np.ones((2, 3)), np.ones(3), None, 0.1, 3, eps=-1.0), ValueError,
     r"^eps must be a finite non-negative number"),
    (lambda: adagrad(np.ones((2, 3)), np.ones(2), None, 0.1, 3), ValueError, r"^y must"),
])
def test_bad_input_is_named(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


# ------------------------------------------------------------------------ AdaGrad
def _adagrad_loop(X, y, phi0, lr, n, eps):
    D, I = X.shape  # noqa: E741
    phi, G, out = list(phi0), [0.0] * D, [list(phi0)]
    for _ in range(n):
        r = [sum(X[d, i] * phi[d] for d in range(D)) - y[i] for i in range(I)]
        g = [sum(X[d, i] * r[i] for i in range(I)) for d in range(D)]
        for d in range(D):
            G[d] += g[d] ** 2
            phi[d] -= lr * g[d] / (G[d] ** 0.5 + eps)
        out.append(list(phi))
    return np.array(out)


@pytest.mark.parametrize("D, I, eps", [(2, 1, 1e-8), (4, 2, 0.0), (3, 6, 1e-3)])  # noqa: E741
def test_adagrad_is_its_loop(D, I, eps):  # noqa: E741
    X, y, phi0, _ = _problem(D + I, D, I)
    got = adagrad(X, y, phi0, 0.05, 200, eps=eps)
    assert _rel(got, _adagrad_loop(X, y, phi0, 0.05, 200, eps)) < 1e-12


def test_adagrad_fits_the_data_but_not_at_the_minimum_norm_solution():
    """One data point of the running example, two parameters: a line of exact fits. The flow
    from 0 ends at the minimum-norm one; AdaGrad, whose every step points along sign(x) here,
    at y sign(x) / ||x||_1, the fit of least max-norm, whatever its step."""
    X, y, _ = running_example()
    X1, y1 = X[:, :1], y[:1]
    min_norm = Spectrum(X1, y1).solution
    ends = [adagrad(X1, y1, None, lr, 4000)[-1] for lr in (0.02, 0.1)]
    for end in ends:
        assert abs(float(X1[:, 0] @ end - y1[0])) < 1e-12
        assert np.linalg.norm(end - min_norm) > 0.05
    x = X1[:, 0]
    for end in ends:
        assert np.max(np.abs(end - y1[0] * np.sign(x) / np.sum(np.abs(x)))) < 1e-6
    exact = adagrad(X1, y1, None, 0.1, 4000, eps=0.0)[-1]
    assert np.max(np.abs(exact - y1[0] * np.sign(x) / np.sum(np.abs(x)))) < 1e-14
    assert np.array_equal(adagrad(X1, y1, None, 0.1, 0), np.zeros((1, 2)))
