r"""Momentum and acceleration as filters of :mod:`gflow_lib.spectrum`'s protocol: from rest,
each mode's distance to the minimum is a two-term recursion (:class:`HeavyBall`,
:class:`Nesterov`), a damped oscillator (:class:`HeavyBallFlow`) or a Bessel function
(:class:`NesterovFlow`). The closed forms pass continuously through repeated roots and critical
damping (written with :math:`\sinh x/x`, :math:`\sin x/x`, :math:`(1 - e^{-x})/x`, never a
quotient by a difference of roots). :class:`Chebyshev` is the best any k-step method can do on an
interval of eigenvalues; :func:`adagrad` a preconditioner that moves with the data.
Introduced in the chapter on momentum (``book/momentum.ipynb``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _docs
from . import _validation as v
from .spectrum import Descent, Filter

__all__ = ["Chebyshev", "HeavyBall", "HeavyBallFlow", "Nesterov", "NesterovFlow", "adagrad",
           "chebyshev_rate", "heavy_ball_rate", "heavy_ball_stable", "heavy_ball_threshold",
           "optimal_descent", "optimal_heavy_ball"]

#: The longest recursion :class:`Nesterov` runs (about 10 s for a few modes).
MAX_NESTEROV_STEPS = 10**7
_ERR = dict(over="ignore", under="ignore", invalid="ignore", divide="ignore")


def _h(z):
    """(1 - e^{-z}) / z for z >= 0, 1 at 0."""
    z = np.asarray(z, dtype=float)
    with np.errstate(**_ERR):
        return np.where(z == 0, 1.0, -np.expm1(-z) / np.where(z == 0, 1.0, z))


def _sinc(x):
    """sin(x) / x, 1 at 0."""
    return np.sinc(np.asarray(x, dtype=float) / np.pi)


def _grid(lam, index):
    """``(index (T, 1), lam (1, r))`` as float arrays."""
    return (np.atleast_1d(np.asarray(index, dtype=float))[:, None],
            np.asarray(lam, dtype=float)[None, :])


# ----------------------------------------------------------------------------- heavy ball
def _heavy_ball(q, beta, k):
    """``(gain, keep, log|keep|)`` of heavy ball at ``q = lr lam`` (1, r), steps k (T, 1)."""
    # Roots m +- d of x^2 - (1 + beta - q) x + beta; sigma = sign(m), R1 >= R2 their moduli
    # where real, rho = sqrt(beta), c = |m| - sigma beta >= 0. keep = sigma^k R1^(k-1) [R1 (1 +
    # (R2/R1)^k)/2 + c E], E = k h(-kL)/h(-L), L = log(R2/R1) (real roots); keep = sigma^k
    # rho^(k-1) [rho cos(k th) + c k sinc(k th)/sinc(th)], th = atan(|d|/|m|) (complex). Gain:
    # (1 - R1^k) - R2 (1 - R1) S_k (positive roots; the second term <= R2 times the first),
    # (1 - rho^k) + 2 rho^k sin^2(k th/2) - (m - beta) S_k (complex, m > 0), else 1 - keep.
    # 4 d^2, a product of two factors that vanish at the repeated roots; in extended
    # precision where numpy has it, as the closed form is steep in d^2 for large k
    b, ql = np.longdouble(beta), np.asarray(q, dtype=np.longdouble)
    f1, f2 = (1 - np.sqrt(b)) ** 2 - ql, (1 + np.sqrt(b)) ** 2 - ql
    real = np.sign(f1) * np.sign(f2) >= 0
    dabs = (0.5 * np.sqrt(np.abs(f1)) * np.sqrt(np.abs(f2))).astype(float)  # |d|, no overflow
    m = 0.5 * (1 + beta - q)
    am = np.abs(m)
    sig = np.where(m < 0, -1.0, 1.0)
    parity = np.where(np.mod(k, 2) == 1, sig, 1.0)  # sigma^k
    mb = 0.5 * ((1 - beta) - q)  # m - beta, without the rounding of 1 + beta
    c = np.where(m < 0, am + beta, mb)  # |m| - sigma beta, >= 0 where the roots are real
    with np.errstate(**_ERR):
        # real roots
        d = np.where(real, dabs, 0.0)
        R1 = am + d
        R2 = beta / R1
        pos = (m > 0) & real
        A = np.where(pos, q / (0.5 * ((1 - beta) + q) + d), 0.0)  # 1 - R1 = q / (1 - R2)
        logR1 = np.where(pos, np.log1p(-A), np.log(R1))
        x = d / am
        L = np.where(x < 0.5, -2 * np.arctanh(x), np.log(R2) - logR1)  # log(R2/R1) <= 0
        L = np.maximum(L, -1e200)  # R2 = 0 (beta underflowing): E = 1, as it should
        E = k * _h(-k * L) / _h(-L)
        br_real = R1 * (1 + np.exp(k * L)) / 2 + c * E
        # complex roots
        rho = np.sqrt(beta)
        th = np.arctan2(np.where(real, 0.0, dabs), am)
        br_cplx = rho * np.cos(k * th) + c * k * _sinc(k * th) / _sinc(th)
        logR = np.where(real, logR1, np.log(rho))
        br = np.where(real, br_real, br_cplx)
        log_keep = (k - 1) * logR + np.log(np.abs(br))
        keep = parity * np.where(br < 0, -1.0, 1.0) * np.exp(log_keep)
        # where k = 0, keep = 1 exactly (0 * inf and R1^-1 are no part of it)
        keep = np.where(k == 0, 1.0, keep)
        log_keep = np.where(k == 0, 0.0, log_keep)
        gain_pos = -np.expm1(k * logR1) - R2 * A * np.exp((k - 1) * logR1) * E
        # complex roots, m > 0: 1 - rho^k cos(k th) as two non-negative terms, then the rest
        lrho = 0.5 * np.log(beta)
        gain_cplx = (-np.expm1(k * lrho) + 2 * np.exp(k * lrho) * np.sin(0.5 * k * th) ** 2
                     - mb * np.exp((k - 1) * lrho) * k * _sinc(k * th) / _sinc(th))
        gain = np.where(pos & (k > 0), gain_pos,
                        np.where(~real & (m > 0), gain_cplx, 1.0 - keep))
        gain = np.where(k == 0, 0.0, gain)
    return gain, keep, log_keep


@_docs.fill
@dataclass(frozen=True)
class HeavyBall:
    r"""Heavy ball from rest (:math:`\phi_{-1}=\phi_0`), k steps; keep :math:`p_k(\lambda)`:

    .. math:: p_{k+1} = (1 + \beta - lr\lambda)p_k - \beta p_{k-1}, \ p_0 = 1,\ p_1 = 1 - lr\lambda

    in closed form, exact also at repeated and complex roots. Introduced in the chapter on momentum.

    Parameters
    ----------
    %(lr)s
    beta : float
        Momentum, in [0, 1) (0 is :class:`~gflow_lib.Descent`).
    """

    lr: float
    beta: float
    index_kind = "steps"

    def __post_init__(self):
        object.__setattr__(self, "lr", v.positive_scalar(self.lr, "lr"))
        object.__setattr__(self, "beta", v.momentum(self.beta, "beta"))

    def _parts(self, lam, k):
        k, lam = _grid(lam, k)
        with np.errstate(over="ignore"):
            return _heavy_ball(self.lr * lam, self.beta, k)

    def __call__(self, lam, k) -> Filter:
        if self.beta == 0:
            return Descent(self.lr)(lam, k)
        gain, keep, _ = self._parts(lam, k)
        return Filter(gain, keep)

    def log_keep(self, lam, k):
        if self.beta == 0:
            return Descent(self.lr).log_keep(lam, k)
        return self._parts(lam, k)[2]


# ------------------------------------------------------------------------------- Nesterov
@_docs.fill
@dataclass(frozen=True)
class Nesterov:
    r"""Nesterov's method from rest, momentum :math:`\tfrac{k-1}{k+2}`, by its recursion:

    .. math:: \psi_k = \phi_k + \tfrac{k-1}{k+2}(\phi_k - \phi_{k-1}), \quad
        \phi_{k+1} = \psi_k - lr\,\nabla L(\psi_k),

    k steps. Introduced in the chapter on momentum.

    Parameters
    ----------
    %(lr)s
    """

    lr: float
    index_kind = "steps"

    def __post_init__(self):
        object.__setattr__(self, "lr", v.positive_scalar(self.lr, "lr"))

    def _run(self, lam, k):
        """``(gain, keep, log|keep|)`` of shape (T, r)."""
        k = np.atleast_1d(np.asarray(k, dtype=float))
        q = self.lr * np.asarray(lam, dtype=float)
        K = int(np.max(k)) if k.size else 0
        v.size_limit(K, "k", MAX_NESTEROV_STEPS, " steps (Nesterov's filter runs its recursion)")
        want = {}
        for i, kk in enumerate(k.astype(np.int64)):
            want.setdefault(int(kk), []).append(i)
        T, r = k.size, q.size
        gain, keep, logk = np.empty((T, r)), np.empty((T, r)), np.empty((T, r))
        e_prev = e = np.ones(r)  # keep, scaled by 2**-ex
        g_prev = g = np.zeros(r)
        ex = np.zeros(r)
        with np.errstate(**_ERR):
            for step in range(K + 1):
                rows = want.get(step)
                if rows:
                    kp = np.ldexp(e, ex.astype(int))
                    near = np.abs(g) <= 0.5  # keep from the small gain, else the reverse
                    gain[rows] = np.where(near, g, 1.0 - kp)
                    keep[rows] = np.where(near, 1.0 - g, kp)
                    logk[rows] = np.log(np.abs(e)) + ex * np.log(2.0)
                if step == K:
                    break
                mom = (step - 1) / (step + 2)
                e_prev, e = e, (1 - q) * (e + mom * (e - e_prev))
                g_prev, g = g, q + (1 - q) * (g + mom * (g - g_prev))
                big = np.abs(e) > 2.0**600
                if np.any(big):
                    e = np.where(big, np.ldexp(e, -600), e)
                    e_prev = np.where(big, np.ldexp(e_prev, -600), e_prev)
                    ex = ex + 600 * big
        return gain, keep, logk

    def __call__(self, lam, k) -> Filter:
        gain, keep, _ = self._run(lam, k)
        return Filter(gain, keep)

    def log_keep(self, lam, k):
        return self._run(lam, k)[2]


# ------------------------------------------------------------------------------ the flows
@_docs.fill
@dataclass(frozen=True)
class HeavyBallFlow:
    r"""Heavy-ball flow from rest, :math:`\phi'' + \gamma\phi' = -\nabla L`: per mode

    .. math:: p = e^{-\gamma t/2}\big(\cos\omega t + \tfrac{\gamma}{2\omega}\sin\omega t\big),
        \ \omega^2 = \lambda - \gamma^2/4,

    continuous through critical damping :math:`\gamma = 2\sqrt\lambda` (hyperbolic beyond).
    Introduced in the chapter on momentum.

    Parameters
    ----------
    damping : float
        :math:`\gamma \ge 0`.
    """

    damping: float
    index_kind = "time"

    def __post_init__(self):
        object.__setattr__(self, "damping", v.non_negative_scalar(self.damping, "damping"))

    def _parts(self, lam, t):
        t, lam = _grid(lam, t)
        a = 0.5 * self.damping
        sl = np.sqrt(lam)
        w2 = (sl - a) * (sl + a)  # omega^2 = lam - a^2
        with np.errstate(**_ERR):
            # over- and critically damped: rates s1 <= s2, s1 s2 = lam
            sq = np.sqrt(np.maximum(-w2, 0.0))
            s2 = a + sq
            s1 = np.where(s2 > 0, lam / np.where(s2 > 0, s2, 1.0), 0.0)
            br_over = 0.5 * (1 + np.exp(-2 * sq * t)) + a * t * _h(2 * sq * t)
            lk_over = -s1 * t + np.log(br_over)
            # underdamped
            om = np.sqrt(np.maximum(w2, 0.0))
            br_under = np.cos(om * t) + a * t * _sinc(om * t)
            lk_under = -a * t + np.log(np.abs(br_under))
            over = w2 <= 0
            log_keep = np.where(over, lk_over, lk_under)
            keep = np.where(over | (br_under >= 0), 1.0, -1.0) * np.exp(log_keep)
            # the gain: lam t^2 sum_n (-1)^n h_{n-2}(x1, x2) / n!, x1,2 the rates times t
            e1, e2 = self.damping * t, lam * t * t
            small = np.where(over, s2 * t, sl * t) <= 1.0
            series = _phi2_series(np.where(small, e1, 0.0), np.where(small, e2, 0.0))
            gain_over = -np.expm1(-s1 * t) - s1 * t * np.exp(-s1 * t) * _h(2 * sq * t)
            gain = np.where(small, e2 * series, np.where(over, gain_over, 1.0 - keep))
        return gain, keep, log_keep

    def __call__(self, lam, t) -> Filter:
        gain, keep, _ = self._parts(lam, t)
        return Filter(gain, keep)

    def log_keep(self, lam, t):
        return self._parts(lam, t)[2]


def _phi2_series(e1, e2, terms=24):
    """Divided difference [0, x1, x2] of exp(-x), |xi| <= 1, by series in e1 = x1+x2, e2 = x1 x2."""
    h_prev, h = np.zeros_like(e1), np.ones_like(e1)  # h_{-1}, h_0
    total, fact = 0.5 * h, 2.0
    for n in range(3, terms + 2):
        h_prev, h = h, e1 * h - e2 * h_prev  # h_{n-2}
        fact *= n
        total = total + (-1) ** n * h / fact
    return total


@_docs.fill
@dataclass(frozen=True)
class NesterovFlow:
    r"""The ODE of Nesterov's method (Su, Boyd and Candès 2016) from rest:

    .. math:: \phi'' + \tfrac{3}{t}\phi' = -\nabla L, \qquad
        p = 2 J_1(\sqrt\lambda\, t)/(\sqrt\lambda\, t).

    Introduced in the chapter on momentum."""

    index_kind = "time"

    def __call__(self, lam, t) -> Filter:
        t, lam = _grid(lam, t)
        x = np.sqrt(lam) * t
        small = x <= 1.0
        xs = np.where(small, x, 0.0)
        u = -0.25 * xs * xs
        term, gain_s = np.ones_like(xs), np.zeros_like(xs)
        for n in range(1, 12):  # (x/2)^22 / (11! 12!) < 1e-23
            term = term * u / (n * (n + 1))
            gain_s = gain_s - term
        from scipy import special  # here, not at import (as scipy.integrate, scipy.optimize)

        with np.errstate(**_ERR):
            keep_j = 2.0 * special.j1(x) / np.where(small, 1.0, x)
        keep = np.where(small, 1.0 - gain_s, keep_j)
        gain = np.where(small, gain_s, 1.0 - keep_j)
        return Filter(gain, keep)


# ------------------------------------------------------------- tuning and stability
def _extremes(eigenvalues):
    """lambda_min and lambda_max of the nonzero eigenvalues of an array or a built spectrum."""
    lam = getattr(eigenvalues, "lam", None)
    lam = v.spectrum_values(eigenvalues if lam is None else lam, "eigenvalues")
    pos = lam[lam > 0]
    return float(pos.min()), float(pos.max())


@_docs.fill
def optimal_descent(eigenvalues):
    r"""Descent's step of fastest worst-case rate, :math:`lr = 2/(\lambda_{\min} + \lambda_{\max})`,
    and that rate, :math:`(\kappa - 1)/(\kappa + 1)`. Introduced in the chapter on momentum.

    Parameters
    ----------
    %(eigenvalues)s

    Returns
    -------
    lr, rate : float
    """
    lo, hi = _extremes(eigenvalues)
    return 2.0 / (lo + hi), (hi - lo) / (hi + lo)


@_docs.fill
def optimal_heavy_ball(eigenvalues):
    r"""Polyak's heavy ball, :math:`lr = 4/(\sqrt{\lambda_{\max}} + \sqrt{\lambda_{\min}})^2`,
    :math:`\beta = (\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1})^2`, rate :math:`\sqrt\beta` (both
    extreme modes at repeated roots). Introduced in the chapter on momentum.

    Parameters
    ----------
    %(eigenvalues)s

    Returns
    -------
    lr, beta, rate : float
    """
    lo, hi = _extremes(eigenvalues)
    a, b = np.sqrt(hi), np.sqrt(lo)
    rate = float((a - b) / (a + b))
    return float(4.0 / (a + b) ** 2), rate * rate, rate


def heavy_ball_stable(eigenvalues, lr, beta):
    r"""Where heavy ball converges, :math:`0 < lr\,\lambda < 2(1 + \beta)`, per mode.

    Parameters
    ----------
    eigenvalues : array_like, shape (n,)
    lr, beta : float
        Step (> 0) and momentum (in [0, 1)).

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    lam = v.spectrum_values(eigenvalues, "eigenvalues", positive=False)
    lr, beta = v.positive_scalar(lr, "lr"), v.momentum(beta, "beta")
    q = lr * lam
    return (q > 0) & (q < 2.0 * (1.0 + beta))


@_docs.fill
def heavy_ball_threshold(eigenvalues, beta) -> float:
    r"""The step above which heavy ball diverges, :math:`2(1 + \beta)/\lambda_{\max}`.
    Introduced in the chapter on momentum.

    Parameters
    ----------
    %(eigenvalues)s
    beta : float

    Returns
    -------
    float
    """
    beta = v.momentum(beta, "beta")
    return 2.0 * (1.0 + beta) / _extremes(eigenvalues)[1]


@_docs.fill
def heavy_ball_rate(eigenvalues, lr, beta):
    r"""The worst mode's factor per step in the long run, :math:`\max_\lambda \max|z|` over the
    roots of :math:`z^2 - (1 + \beta - lr\lambda)z + \beta`. Introduced in the chapter on momentum.

    Parameters
    ----------
    %(eigenvalues)s
    lr, beta : float or array_like
        Steps (> 0) and momenta (in [0, 1)), broadcast together.

    Returns
    -------
    ndarray, the broadcast shape of ``lr`` and ``beta``
    """
    lam = np.asarray(_extremes_all(eigenvalues))
    lr = _in_range(lr, "lr", np.finfo(float).tiny, np.inf, "positive (steps)")
    beta = _in_range(beta, "beta", 0.0, 1.0, "in [0, 1) (momentum)")
    lr, beta = np.broadcast_arrays(lr, beta)
    m = 0.5 * (1 + beta[..., None] - lr[..., None] * lam)  # half the sum of the roots
    disc = m * m - beta[..., None]
    with np.errstate(over="ignore", invalid="ignore"):
        mod = np.where(disc >= 0, np.abs(m) + np.sqrt(np.maximum(disc, 0.0)),
                       np.sqrt(beta[..., None]))
    return mod.max(axis=-1)


def _in_range(value, name, lo, hi, what):
    """A finite real scalar or array, every entry in [lo, hi) (``what`` names the range)."""
    arr = v.as_real_array(value, name)
    v.check_finite(arr, name)
    if arr.size and not (np.all(arr >= lo) and np.all(arr < hi)):
        bad = arr[(arr < lo) | (arr >= hi)].flat[0]
        raise ValueError(f"{name} must be {what}; got {float(bad)!r}")
    return arr


def _extremes_all(eigenvalues):
    """The nonzero eigenvalues of an array or a built spectrum."""
    lam = getattr(eigenvalues, "lam", None)
    lam = v.spectrum_values(eigenvalues if lam is None else lam, "eigenvalues")
    return lam[lam > 0]


def _chebyshev_sigma(lo, hi):
    """sigma = (sqrt(hi) - sqrt(lo)) / (sqrt(hi) + sqrt(lo)), the decay per step."""
    a, b = np.sqrt(hi), np.sqrt(lo)
    return (a - b) / (a + b)


@_docs.fill
def chebyshev_rate(eigenvalues, k):
    r"""The least worst-case factor of any k-step method on :math:`[\lambda_{\min},
    \lambda_{\max}]`, :math:`1/T_k(\frac{\kappa+1}{\kappa-1}) = 2\sigma^k/(1 + \sigma^{2k})`,
    :math:`\sigma = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}`. Introduced in the chapter on momentum.

    Parameters
    ----------
    %(eigenvalues)s
    %(k)s

    Returns
    -------
    float or ndarray, shape (K,)
    """
    lo, hi = _extremes(eigenvalues)
    if not lo < hi:
        raise ValueError(f"eigenvalues must have two distinct positive values; got only {lo!r}")
    k_arr, scalar = v.step_counts(k)
    sig = _chebyshev_sigma(lo, hi)
    with np.errstate(under="ignore"):
        out = 2.0 * sig**k_arr / (1.0 + sig ** (2.0 * k_arr))
    return v.unbatch(out, scalar)


@_docs.fill
@dataclass(frozen=True)
class Chebyshev:
    r"""The Chebyshev method on [lo, hi]: each mode keeps :math:`p_k(\lambda) = T_k(u)/T_k(u_0)`,
    :math:`u = \frac{hi + lo - 2\lambda}{hi - lo}`, :math:`u_0 = u(0)`, the least on the
    interval of the polynomials with :math:`p_k(0) = 1`. Introduced in the chapter on momentum.

    Parameters
    ----------
    lo, hi : float
        ``0 < lo < hi``.
    """

    lo: float
    hi: float
    index_kind = "steps"

    def __post_init__(self):
        lo, hi = v.positive_scalar(self.lo, "lo"), v.positive_scalar(self.hi, "hi")
        if not lo < hi:
            raise ValueError(f"lo must be below hi; got lo={lo!r}, hi={hi!r}")
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    def _parts(self, lam, k):
        k, lam = _grid(lam, k)
        lo, hi = self.lo, self.hi
        w = hi - lo
        u0 = (hi + lo) / w
        a = -np.log(_chebyshev_sigma(lo, hi))  # arccosh(u0)
        delta = -2.0 * lam / w  # u - u0, without rounding u0 away
        u = u0 + delta
        with np.errstate(**_ERR):
            log_inv = -k * a + np.log(2.0) - np.log1p(np.exp(-2 * k * a))  # -log T_k(u0)
            # inside [lo, hi]: cos(k theta) / T_k(u0)
            c = np.cos(k * np.arccos(np.clip(u, -1.0, 1.0)))
            lk_in = np.log(np.abs(c)) + log_inv
            # below lo (u > 1): b - a as log1p, no cancellation as lam -> 0
            s_u, s_0 = np.sqrt(np.maximum(u * u - 1, 0.0)), np.sqrt(u0 * u0 - 1)
            ba_lo = np.log1p(delta * (1 + (u + u0) / (s_u + s_0)) / (u0 + s_0))
            ba_hi = np.arccosh(np.maximum(-u, 1.0)) - a  # above hi (u < -1)
            ba = np.where(u > 1, ba_lo, ba_hi)
            # log1p(e^{-2kb}) - log1p(e^{-2ka}) as one log1p: no cancellation near lo
            e2a = np.exp(-2 * k * a)
            lk_out = k * ba + np.log1p(e2a * np.expm1(-2 * k * ba) / (1 + e2a))
            inside = np.abs(u) <= 1
            log_keep = np.where(inside, lk_in, lk_out)
            sign = np.where(inside, np.where(c < 0, -1.0, 1.0),
                            np.where((u < -1) & (np.mod(k, 2) == 1), -1.0, 1.0))
            keep = sign * np.exp(log_keep)
            gain = np.where(u > 1, -np.expm1(log_keep), 1.0 - keep)
            keep = np.where(k == 0, 1.0, keep)
            gain = np.where(k == 0, 0.0, gain)
            log_keep = np.where(k == 0, 0.0, log_keep)
        return gain, keep, log_keep

    def __call__(self, lam, k) -> Filter:
        gain, keep, _ = self._parts(lam, k)
        return Filter(gain, keep)

    def log_keep(self, lam, k):
        return self._parts(lam, k)[2]


# ------------------------------------------------------------------ adaptive methods
@_docs.fill
def adagrad(X, y, phi0, lr, n_steps, eps=1e-8):
    r"""AdaGrad, :math:`G_k = G_{k-1} + g_k^2`, :math:`\phi_{k+1} = \phi_k - lr\,g_k/(\sqrt{G_k}
    + \epsilon)` entrywise, :math:`g_k = \nabla L(\phi_k)`. Introduced in the chapter on momentum.

    Parameters
    ----------
    %(X_y)s
    %(phi0)s
    %(lr)s
    %(n_steps)s
    eps : float

    Returns
    -------
    ndarray, shape (n_steps + 1, D)
    """
    X, y, phi0 = v.problem(X, y, phi0)
    lr = v.positive_scalar(lr, "lr")
    n_steps = v.non_negative_int(n_steps, "n_steps")
    eps = v.non_negative_scalar(eps, "eps")
    out = np.empty((n_steps + 1, X.shape[0]))
    out[0] = phi = phi0
    G = np.zeros_like(phi0)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(n_steps):
            g = X @ (X.T @ phi - y)
            G = G + g * g
            phi = phi - lr * np.where(G > 0, g / (np.sqrt(G) + eps), 0.0)
            out[k + 1] = phi
    return out
