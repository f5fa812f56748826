r"""Kernels as functions of scalar inputs, and the random features that converge to them.
Introduced in the chapter on function space (``book/function_space.ipynb``). A linear model
with features :math:`\psi(x)` sees its inputs only through :math:`k(x, x') = \psi(x)^T\psi(x')`;
for the random features of :mod:`gflow_lib.features`, ``F(x1).T @ F(x2)`` tends, as the number
``n`` of features grows, to a fixed kernel, missing it by about :math:`n^{-1/2}`
(:func:`random_feature_gap`):

=================================================  ====================================
features (``n`` of them)                             limit of ``F(x1).T @ F(x2)``
=================================================  ====================================
``fourier_features(x, n, lengthscale, seed)``       ``rbf_kernel(x1, x2, lengthscale)``
``relu_features(x, n, seed)``                       ``relu_kernel(x1, x2)``
=================================================  ====================================

Both limits include the ``+ 1`` of the features' row of ones (``bias_var=1.0``); the ReLU
kernel is Cho and Saul's (2009) arc-cosine kernel (:func:`arccos_kernel`); its :math:`\kappa_0`,
:math:`\kappa_1` (:func:`kappa0`, :func:`kappa1`) are the terms of a wide ReLU net's NNGP and NTK.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.polynomial.polynomial as npp

from . import _docs
from . import _validation as v
from .features import fourier_features, relu_features
from .spectrum import KernelSpectrum, Ridge

__all__ = [
    "COS_TOLERANCE",
    "KernelGap",
    "arccos_kernel",
    "kappa0",
    "kappa1",
    "kernel_ridge",
    "random_feature_gap",
    "rbf_kernel",
    "relu_kernel",
]

#: Cosines up to this far outside [-1, 1] are rounding and are clipped; beyond it they are an
#: error in the caller's computation and are refused.
COS_TOLERANCE = 1e-8

_KINDS = ("relu", "fourier")


# ---------------------------------------------------------------------- the arc-cosine
def _series(n_terms, coef):
    """Taylor coefficients, lowest power first, for ``npp.polyval``."""
    return np.array([coef(k) for k in range(n_terms)])


# g_n(s) = J_n(pi - delta) / delta^(2n + 1) as a series in s = delta^2, for 0 <= delta <= pi/2:
# J_1 = sin d - d cos d and J_2 = d (1 + 2 cos^2 d) - 3 sin d cos d cancel to O(d^3), O(d^5).
_G = {
    1: _series(14, lambda j: (-1) ** j * (2 * j + 2) / math.factorial(2 * j + 3)),
    2: _series(17, lambda j: (-1) ** j * (j + 1) * 2.0 ** (2 * j + 5) / math.factorial(2 * j + 5)),
}


def arccos_factor(order: int, theta, delta):
    """Cho and Saul's J_n(theta), n = 0, 1, 2, as ``(m, e)`` with J_n = m * 2**e."""
    # Beyond pi/2, J_n = delta^(2n+1) g_n(delta^2) from the complement delta = pi - theta
    # (given with all its digits), the power kept in e so that nothing underflows.
    theta, delta = np.asarray(theta), np.asarray(delta)
    obtuse = delta < theta  # theta > pi/2
    m, e = np.empty(theta.shape), np.zeros(theta.shape, dtype=int)
    for part, pick in ((~obtuse, False), (obtuse, True)):
        whole = part.all()
        if not (whole or part.any()):
            continue
        sel = ... if whole else part
        if pick:
            d = delta[sel]
            md, ed = np.frexp(d)
            p = 2 * order + 1
            m[sel] = md**p * (1.0 if order == 0 else npp.polyval(d * d, _G[order]))
            e[sel] = p * ed
            continue
        t = theta[sel]
        rest = np.pi - t
        if order == 0:
            m[sel] = rest
            continue
        s, c = np.sin(t), np.cos(t)
        m[sel] = s + rest * c if order == 1 else 3.0 * s * c + rest * (1.0 + 2.0 * c * c)
    return m, e


def _unit(x):
    """``(a, b, m, e)``: u = (x, 1) is ``|u| (a, b)`` with ``|u| = m 2**e``, no overflow."""
    h = np.hypot(x, 1.0)
    m, e = np.frexp(h)
    return x / h, 1.0 / h, m, e


def lifted_angles(x1, x2):
    """``(cos, theta, pi - theta, m, e)`` of u = (x1, 1), u' = (x2, 1); ``|u||u'| = m * 2**e``."""
    # theta and pi - theta each by atan2 of the unit vectors' cross and dot: every digit kept.
    a1, b1, m1, e1 = _unit(x1)
    a2, b2, m2, e2 = _unit(x2)
    cross = np.abs(np.multiply.outer(a1, b2) - np.multiply.outer(b1, a2))
    dot = np.multiply.outer(a1, a2) + np.multiply.outer(b1, b2)
    return (dot, np.arctan2(cross, dot), np.arctan2(cross, -dot),
            np.multiply.outer(m1, m2), np.add.outer(e1, e2))


def _kappa(order, c):
    """kappa_n(c) = J_n(arccos c) / pi."""
    c = v.cosines(c, "c", COS_TOLERANCE)
    mj, ej = arccos_factor(order, np.arccos(c), np.arccos(-c))
    return np.ldexp(mj, ej) / np.pi


@_docs.fill
def kappa0(c):
    r"""The order-0 arc-cosine function: the chance that a random hyperplane through 0
    leaves two vectors on the same side, :math:`\kappa_0(\rho) = 1 - \arccos(\rho)/\pi`.

    Parameters
    ----------
    %(c)s

    Returns
    -------
    ndarray, the shape of ``c``
    """
    return _kappa(0, c)


@_docs.fill
def kappa1(c):
    r"""The order-1 arc-cosine function, the normalised ReLU kernel:
    :math:`2\,\mathbb{E}[\max(0, w^Ta)\max(0, w^Tb)] = \kappa_1(a^Tb)` for unit vectors.

    .. math:: \kappa_1(\rho) = \frac{\sqrt{1 - \rho^2} + (\pi - \arccos \rho)\,\rho}{\pi}, \qquad
        \kappa_1' = \kappa_0

    Parameters
    ----------
    %(c)s

    Returns
    -------
    ndarray, the shape of ``c``
    """
    return _kappa(1, c)


@_docs.fill
def arccos_kernel(x1, x2=None, order=1):
    r"""The arc-cosine kernel of Cho and Saul of the lifted inputs :math:`\tilde x = (x, 1)`, with
    :math:`\theta` the angle between :math:`\tilde x` and :math:`\tilde x'`; accurate for nearly
    equal and nearly opposite inputs, inf only beyond the float range.

    .. math::

        k_n(\tilde x, \tilde x') = 2\,\mathbb{E}_{w \sim N(0, I)}\big[\Theta(w^T\tilde x)
        \Theta(w^T\tilde x')(w^T\tilde x)^n (w^T\tilde x')^n\big]
        = \tfrac{1}{\pi}\lVert \tilde x\rVert^n\lVert \tilde x'\rVert^n J_n(\theta),

        J_0 = \pi - \theta, \quad J_1 = \sin\theta + (\pi - \theta)\cos\theta, \quad
        J_2 = 3\sin\theta\cos\theta + (\pi - \theta)(1 + 2\cos^2\theta).

    Parameters
    ----------
    %(x1_x2)s
    order : {0, 1, 2}
        0: :math:`\kappa_0(\rho)`; 1: the ReLU kernel; 2: its Monte Carlo terms' second moment.

    Returns
    -------
    ndarray, shape (M1, M2)
    """
    x1, x2 = v.input_pair(x1, x2)
    if isinstance(order, bool) or order not in (0, 1, 2):
        raise ValueError(f"order must be 0, 1 or 2; got {order!r}")
    _, theta, delta, m, e = lifted_angles(x1, x2)
    mj, ej = arccos_factor(order, theta, delta)
    with np.errstate(over="ignore"):  # beyond the float range: inf
        return np.ldexp(m**order * mj / np.pi, order * e + ej)


@_docs.fill
def relu_kernel(x1, x2=None, bias_var=1.0):
    r"""The limit of the Gram matrix of random ReLU features, the ones row included.
    Introduced in the chapter on function space: ``relu_features(x1, n, seed).T @
    relu_features(x2, n, seed)`` tends to it as ``n`` grows. The NNGP of a ReLU network with
    unit-variance weights is ``0.5 * relu_kernel(x1, x2, 0.0) + var(bias)``.

    .. math:: k(x, x') = \lVert \tilde x\rVert\lVert \tilde x'\rVert\,\kappa_1(\rho) + \sigma_b^2,
        \qquad \rho = \frac{xx' + 1}{\lVert \tilde x\rVert\lVert \tilde x'\rVert}

    Parameters
    ----------
    %(x1_x2)s
    bias_var : float
        :math:`\sigma_b^2 \ge 0`; 1.0 is the features' row of ones, 0.0 the kernel alone.

    Returns
    -------
    ndarray, shape (M1, M2)
    """
    bias_var = v.non_negative_scalar(bias_var, "bias_var")
    return arccos_kernel(x1, x2, order=1) + bias_var


@_docs.fill
def rbf_kernel(x1, x2=None, lengthscale=0.2, bias_var=1.0):
    r"""The Gaussian (RBF) kernel, the limit of random Fourier features, the ones row included.
    Introduced in the chapter on function space: ``fourier_features(x1, n, lengthscale,
    seed).T @ fourier_features(x2, n, lengthscale, seed)`` tends to it (Rahimi and Recht 2007).

    .. math:: k(x, x') = \exp\Big(-\frac{(x - x')^2}{2\ell^2}\Big) + \sigma_b^2

    Parameters
    ----------
    %(x1_x2)s
    lengthscale : float
        :math:`\ell > 0` (default that of ``fourier_features``).
    bias_var : float
        :math:`\sigma_b^2 \ge 0`; 1.0 is the features' row of ones.

    Returns
    -------
    ndarray, shape (M1, M2)
    """
    x1, x2 = v.input_pair(x1, x2)
    ell = v.positive_scalar(lengthscale, "lengthscale")
    bias_var = v.non_negative_scalar(bias_var, "bias_var")
    return np.exp(-0.5 * (np.subtract.outer(x1, x2) / ell) ** 2) + bias_var


# ------------------------------------------------------------------- kernel regression
@_docs.fill
def kernel_ridge(K, y, K_new, penalty):
    r"""Kernel ridge regression at new inputs: the path of :class:`gflow_lib.Ridge` through
    ``KernelSpectrum(K, y)`` from :math:`f_0 = 0`. Introduced in the chapter on function space;
    ``penalty = 0`` is the minimum-norm interpolant, the limit of :class:`gflow_lib.KernelFlow`.

    .. math:: f_* = K_{*X}(K + \mu I)^{-1} y
        = K_{*X}\, U \operatorname{diag}\Big(\frac{1}{\lambda_k + \mu}\Big) U^T y

    Parameters
    ----------
    %(K)s
    %(y)s
    %(K_new)s
    %(penalty)s

    Returns
    -------
    ndarray, shape (M,) for a scalar ``penalty``, (L, M) for an array
    """
    return KernelSpectrum(K, y).path(Ridge()).predict(K_new, penalty)


# ------------------------------------------------------------------ random features
class KernelGap(NamedTuple):
    r"""How far the Gram matrix of ``n`` random features is from its limit: ``gap`` (root mean
    square of ``F.T @ F - K``), ``expected`` (:math:`\sqrt{\bar v / n}`) and the ``slope`` of
    ``log(gap)`` against ``log(n)`` (-1/2 in theory)."""

    n_features: np.ndarray
    gap: np.ndarray
    expected: np.ndarray
    slope: float


def _term_variance(x, kind, lengthscale):
    """Variance of one feature's term of each entry of F^T F, shape (I, I)."""
    if kind == "relu":  # the term 2 relu(a) relu(b): second moment 2 k_2
        return 2.0 * arccos_kernel(x, order=2) - arccos_kernel(x, order=1) ** 2
    # the term 2 cos(a) cos(b), b uniform: second moment 1 + exp(-2 d^2 / l^2) / 2
    k = rbf_kernel(x, lengthscale=lengthscale, bias_var=0.0)
    return 1.0 + 0.5 * k**4 - k**2


@_docs.fill
def random_feature_gap(x, n_features, kind="relu", n_seeds=20, lengthscale=0.2, seed=0):
    r"""The gap between the Gram matrix of ``n`` random features and its kernel, against ``n``.
    Introduced in the chapter on function space. Each entry of ``F.T @ F`` is the mean of ``n``
    terms of variance :math:`v_{ij}`, with :math:`v = 2k_2 - k_1^2` for ReLU features and
    :math:`v = 1 + \tfrac12 k^4 - k^2` for Fourier features, so

    .. math:: \mathbb{E}\,\overline{(F^TF - K)^2} = \bar v / n, \qquad
        \bar v = \operatorname{mean}_{ij} v_{ij}.

    Parameters
    ----------
    %(x)s
    n_features : array_like of int, shape (N,)
        Numbers of features, each >= 1.
    kind : {"relu", "fourier"}
    n_seeds, seed : int
        Seeds ``seed, ..., seed + n_seeds - 1`` per number of features (n_seeds >= 1, seed >= 0).
    lengthscale : float
        For Fourier features.

    Returns
    -------
    KernelGap
        ``n_features``, ``gap`` and ``expected`` of shape (N,), and ``slope`` (NaN when N < 2).
    """
    x = v.scalar_inputs(x)
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}; got {kind!r}")
    ns = np.atleast_1d(np.asarray(n_features))
    if ns.ndim != 1 or ns.size == 0 or ns.dtype.kind not in "iu" or np.any(ns < 1):
        raise ValueError(f"n_features must be a non-empty 1-D array of positive integers; got "
                         f"{v.describe(n_features)}")
    n_seeds = v.positive_int(n_seeds, "n_seeds")
    v.size_limit(int(ns.max()) * x.size, "max(n_features) * len(x)", what=" (one feature matrix)")
    v.size_limit(sum(int(n) for n in ns) * n_seeds * x.size * (x.size + 1),
                 "sum(n_features) * n_seeds * len(x)^2", v.MAX_WORK, " (the Gram matrices' work)")
    seed = v.non_negative_int(seed, "seed")
    ell = v.positive_scalar(lengthscale, "lengthscale")
    if kind == "relu":
        K = relu_kernel(x)

        def gram(n, s):
            F = relu_features(x, int(n), s)
            return F.T @ F
    else:
        K = rbf_kernel(x, lengthscale=ell)

        def gram(n, s):
            F = fourier_features(x, int(n), ell, s)
            return F.T @ F

    gap = np.array([np.sqrt(np.mean([np.mean((gram(n, s) - K) ** 2)
                                     for s in range(seed, seed + n_seeds)])) for n in ns])
    expected = np.sqrt(np.mean(_term_variance(x, kind, ell)) / ns)
    slope = float("nan")
    if ns.size >= 2:
        lx, ly = np.log(ns.astype(float)), np.log(gap)
        lx = lx - lx.mean()
        slope = float(lx @ (ly - ly.mean()) / (lx @ lx))
    return KernelGap(ns.astype(int), gap, expected, slope)
