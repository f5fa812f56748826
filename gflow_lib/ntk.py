"""Infinite-width kernels of ReLU networks (the NNGP kernel and the NTK) and the distribution
of trained wide networks over random starts. Introduced in the chapters on wide networks
(``book/ntk.ipynb``) and on training them in closed form (``book/ntk_training.ipynb``)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.polynomial.polynomial as npp

from . import _docs
from . import _validation as v
from .bayes import Prediction
from .kernels import arccos_factor, lifted_angles
from .spectrum import Flow, kernel_coefficients, kernel_eigen

__all__ = [
    "NTK_X",
    "NTK_Y",
    "Kernels",
    "label_complexity",
    "ntk_data",
    "ntk_prediction_distribution",
    "output_excess_kurtosis",
    "parameter_movement",
    "relu_kernels",
    "residual_norm",
    "shallow_nngp",
    "shallow_ntk",
]

#: The inputs and targets of the companion notebook (udlbook, ``Blogs/BorealisNTK.ipynb``).
NTK_X = (0.2, 0.4, 0.8)
NTK_Y = (-0.05, -0.2, 0.3)


def ntk_data():
    """Fresh copies of the inputs (0.2, 0.4, 0.8) and targets (-0.05, -0.2, 0.3).
    Introduced in the chapter on wide networks.

    Returns
    -------
    x, y : ndarray, shape (3,)
    """
    return np.array(NTK_X), np.array(NTK_Y)


# ------------------------------------------------------------------------ shallow kernels
def _scale(x):
    """The binary exponent of ``|u|`` for u = (x, 1): kernels divided by 2**e stay in range."""
    return np.frexp(np.hypot(x, 1.0))[1]


def _shallow(x1, x2, ntk, const, scale1=False, scale2=False):
    """The shallow NTK (``ntk``) or NNGP, each entry over 2**(e1 + e2) on the sides asked."""
    dot, theta, delta, m, e = lifted_angles(x1, x2)
    shift = np.add.outer(_scale(x1) if scale1 else 0 * x1, _scale(x2) if scale2 else 0 * x2)
    shift = shift.astype(int)
    m1, e1 = arccos_factor(1, theta, delta)
    with np.errstate(over="ignore", under="ignore"):
        if ntk:  # (u.u') kappa0 + |u||u'| kappa1 = |u||u'| (cos J_0 + J_1) / pi
            m0, e0 = arccos_factor(0, theta, delta)
            m1, e1 = np.ldexp(m1, e1) + dot * np.ldexp(m0, e0), 0
        return np.ldexp(0.5 * m * m1 / np.pi, e + e1 - shift) + np.ldexp(const, -shift)


@_docs.fill
def shallow_ntk(x1, x2=None) -> np.ndarray:
    r"""The analytic NTK :math:`\Theta` of the shallow network (infinite width), its terms from the
    first-layer weights, the output weights and the output bias. Introduced in the chapter on wide
    networks. In neural-tangents' terms (``W_std = b_std = 1``), the NTK of
    ``stax.serial(Dense(D), Relu(), Dense(1))``: :func:`relu_kernels` with ``depth=1``.

    .. math:: \Theta(x, x') = \tfrac12 (u\cdot u')\,\kappa_0 + \tfrac12\lVert u\rVert
        \lVert u'\rVert\,\kappa_1 + 1

    Parameters
    ----------
    %(x1_x2)s

    Returns
    -------
    ndarray, shape (M1, M2)
    """
    return _shallow(*v.input_pair(x1, x2), True, 1.0)


@_docs.fill
def shallow_nngp(x1, x2=None, bias_var=0.0) -> np.ndarray:
    r"""The NNGP kernel K of the shallow network: the covariance of its outputs at
    initialisation, at infinite width. Introduced in the chapter on wide networks. In
    neural-tangents' terms, the NNGP of the
    network of :func:`shallow_ntk` with the last layer's ``b_std`` equal to :math:`\sigma_\beta`.

    .. math:: K(x, x') = \tfrac12\lVert u\rVert\lVert u'\rVert\,\kappa_1 + \sigma_\beta^2

    Parameters
    ----------
    %(x1_x2)s
    bias_var : float
        Variance :math:`\sigma_\beta^2` of the output bias at initialisation, >= 0.

    Returns
    -------
    ndarray, shape (M1, M2)
    """
    x1, x2 = v.input_pair(x1, x2)
    return _shallow(x1, x2, False, v.non_negative_scalar(bias_var, "bias_var"))


# --------------------------------------------------------------------------- deep kernels
class Kernels(NamedTuple):
    """The NNGP kernel and the NTK of a network, each (M1, M2)."""

    nngp: np.ndarray
    ntk: np.ndarray


def _lift(x, sw, sb):
    """Unit rows ``u/|u|`` of u = (sw x / sqrt(d), sb), and ``|u|^2`` as (mantissa, exponent)."""
    mw, ew = np.frexp(sw)
    mb, eb = np.frexp(sb)
    ex = np.frexp(np.max(np.abs(x), axis=1))[1]
    k = np.maximum(ew + ex, eb) if sb > 0 else ew + ex
    U = np.column_stack([np.ldexp(mw * np.ldexp(x, -ex[:, None]) / np.sqrt(x.shape[1]),
                                  (ew + ex - k)[:, None]), np.ldexp(mb, eb - k)])
    h = np.linalg.norm(U, axis=1)
    U = np.divide(U, h[:, None], out=np.zeros_like(U), where=h[:, None] > 0)
    Q, F = np.frexp(h * h)
    return U, Q, F + 2 * k


def _first_angles(U1, U2):
    """Angle between unit rows and its complement, every digit kept on both sides."""
    dot = U1 @ U2.T
    if U1.shape[1] == 2:
        a, b = U1.T, U2.T
        cross = np.abs(np.multiply.outer(a[0], b[1]) - np.multiply.outer(a[1], b[0]))
        return np.arctan2(cross, dot), np.arctan2(cross, -dot)
    c = np.clip(dot, -1.0, 1.0)
    theta, delta = np.arccos(c), np.arccos(-c)
    i, j = np.nonzero(np.abs(c) > 0.5)
    step = max(1, 2**22 // U1.shape[1])
    for s in range(0, i.size, step):
        a, b = U1[i[s:s + step]], U2[j[s:s + step]]
        minus, plus = np.linalg.norm(a - b, axis=1), np.linalg.norm(a + b, axis=1)
        theta[i[s:s + step], j[s:s + step]] = 2 * np.arctan2(minus, plus)
        delta[i[s:s + step], j[s:s + step]] = 2 * np.arctan2(plus, minus)
    return theta, delta


def _theta_minus_sin(theta):
    """theta - sin(theta), by its series below 1."""
    t2 = theta * theta
    series = theta * t2 * npp.polyval(t2, [(-1) ** j / math.factorial(2 * j + 3) for j in range(9)])
    return np.where(theta < 1.0, series, theta - np.sin(theta))


def relu_kernels(x1, x2=None, depth=1, sigma_w=1.0, sigma_b=1.0) -> Kernels:
    r"""NNGP and NTK of a deep ReLU network as neural-tangents' ``stax`` computes them.
    Introduced in the chapter on wide networks. The network is :func:`gflow_lib.network.init_deep`'s
    (NTK parameterization, ``W_std = sigma_w``, ``b_std = sigma_b``). From
    :math:`K_1 = \Theta_1 = \sigma_w^2\, x\cdot x'/d + \sigma_b^2`, with :math:`c` the
    correlation of :math:`K_l`, each ``Relu`` and ``Dense`` maps

    .. math:: K_{l+1} = \tfrac{\sigma_w^2}{2}\sqrt{K_l(x,x)K_l(x',x')}\,\kappa_1(c) + \sigma_b^2,
        \qquad \Theta_{l+1} = K_{l+1} + \tfrac{\sigma_w^2}{2}\,\kappa_0(c)\,\Theta_l .

    Parameters
    ----------
    x1, x2 : array_like, shapes (M1,) or (M1, d) and (M2,) or (M2, d)
        Scalar inputs, or rows of d-dimensional inputs (``x2`` default ``x1``).
    depth : int
        Number of hidden layers, >= 1.
    sigma_w, sigma_b : float
        ``W_std`` > 0 and ``b_std`` >= 0.

    Returns
    -------
    Kernels
        ``nngp`` and ``ntk``, each (M1, M2).
    """
    x1, x2 = v.input_rows(x1, x2)
    v.size_limit(len(x1) * len(x2), "the kernel's size M1 * M2")
    L = v.positive_int(depth, "depth")
    sw = v.positive_scalar(sigma_w, "sigma_w")
    sb = v.non_negative_scalar(sigma_b, "sigma_b")
    # The recursion runs on the angle (1 - c carried exactly) and on the kernels over
    # sqrt(K_l(x,x) K_l(x',x')), each input's scale a power of two: digits kept near c = +-1.
    U1, Q1, F1 = _lift(x1, sw, sb)
    U2, Q2, F2 = _lift(x2, sw, sb)
    theta, delta = _first_angles(U1, U2)
    c = r = np.cos(theta)  # K_1 and Theta_1 over sqrt(q q')
    ma, ea = np.frexp(sw)
    ma, ea = 0.5 * ma * ma, 2 * ea  # sigma_w^2 / 2
    mb, eb = np.frexp(sb)
    mb, eb = mb * mb, 2 * eb  # sigma_b^2
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        for _ in range(L):
            parts = []
            for Q, F in ((Q1, F1), (Q2, F2)):  # per input: a q / q_next, b / q_next, q_next
                t = np.ldexp(mb / (ma * Q), eb - ea - F) if sb > 0 else 0 * Q  # b / (a q)
                E = np.maximum(ea + F, eb) if sb > 0 else ea + F
                Qn, f = np.frexp(np.ldexp(ma * Q, ea + F - E) + np.ldexp(mb, eb - E))
                parts.append((np.sqrt(np.where(Q > 0, 1 / (1 + t), 1.0)),
                              np.sqrt(1 / (1 + 1 / t)), Qn, E + f))
            (r1, b1, Q1, F1), (r2, b2, Q2, F2) = parts
            rr, bb = np.multiply.outer(r1, r2), np.multiply.outer(b1, b2)
            obtuse = delta < theta
            k0 = np.ldexp(*arccos_factor(0, theta, delta)) / np.pi
            m1, e1 = arccos_factor(1, theta, delta)  # apart for the output: J_1 ~ (pi - theta)^3
            k1 = np.ldexp(m1, e1) / np.pi
            one_minus_k1 = (np.where(obtuse, delta, np.pi - theta) * 2 * np.sin(0.5 * theta) ** 2
                            + _theta_minus_sin(theta)) / np.pi
            c = rr * k1 + bb
            r = c + rr * k0 * r
            gap = (0.5 * np.subtract.outer(r1, r2) ** 2 + 0.5 * np.subtract.outer(b1, b2) ** 2
                   + rr * one_minus_k1)  # 1 - c, every digit
            theta = 2 * np.arcsin(np.sqrt(np.minimum(0.5 * gap, 1.0)))
            delta = np.pi - theta
        odd = F1 % 2, F2 % 2  # sqrt(q q') = sqrt(Q Q') 2**((F + F') / 2)
        s = np.multiply.outer(np.sqrt(np.ldexp(Q1, odd[0])), np.sqrt(np.ldexp(Q2, odd[1])))
        f = np.add.outer((F1 - odd[0]) // 2, (F2 - odd[1]) // 2)
        nngp = np.ldexp(rr * m1 * s / np.pi, e1 + f) + np.ldexp(bb * s, f)
        return Kernels(nngp, np.ldexp(r * s, f))


# ------------------------------------------------------------------- trained distribution
def _modes(Theta, t, name="Theta"):
    """Eigenvalues, eigenvectors and g = (1 - e^{-lam t}) / lam (T, I), 0 on zero modes."""
    lam, U = kernel_eigen(Theta, name)
    tt, scalar = v.times(t)
    g = kernel_coefficients(lam, Flow()(lam, tt).gain)
    return lam, U, g, scalar


@_docs.fill
def ntk_prediction_distribution(x_train, y, x_new, t, bias_var=0.0, full_cov=False,
                                last_layer=False) -> Prediction:
    r"""Mean and variance, over random initialisations, of the infinite-width shallow
    network's outputs at ``x_new`` after gradient flow for time ``t``. Introduced in the chapter
    on training wide networks in closed form. The trained network is its linearization,
    :math:`f_*(t) = f_{0*} + Z(y - f_0)` with :math:`f_0 \sim GP(0, K)` and

    .. math:: Z = \Theta_{*X}\Theta^{-1}(I - e^{-\Theta t}), \qquad \text{mean} = Z y, \qquad
        \text{cov} = K_{**} - (Z K_{X*} + K_{*X} Z^T) + Z K Z^T,

    through the eigenbasis of :math:`\Theta(X, X)` (zero modes left out, as in
    :class:`~gflow_lib.KernelFlow`). Time is the book's (loss summed over points); neural-tangents'
    is I times ours.

    Parameters
    ----------
    x_train : array_like, shape (I,)
    %(y)s
    x_new : array_like, shape (M,)
    %(t)s
    bias_var : float
        Initial variance of the output bias, >= 0.
    full_cov : bool
        Return the full covariance (M, M) (or (T, M, M)) in place of the variances.
    last_layer : bool
        Train only the output layer: :math:`\Theta` becomes :math:`K` with
        :math:`\sigma_\beta^2 = 1`.

    Returns
    -------
    Prediction
        ``mean`` (M,) or (T, M); ``var`` (M,) or (T, M), or the covariance with ``full_cov``.
    """
    x_train = v.vector(x_train, "x_train", what=" of scalar inputs")
    y = v.vector(y, "y", x_train.size, what=" (one target per training input)")
    x_new = v.vector(x_new, "x_new", what=" of scalar inputs")
    bias_var = v.non_negative_scalar(bias_var, "bias_var")
    # rows of x_new over 2**e (exact): no overflow for large |x_new|; undone at the end
    e = _scale(x_new)
    Theta = shallow_nngp(x_train, bias_var=1.0) if last_layer else shallow_ntk(x_train)
    Theta_new = _shallow(x_new, x_train, not last_layer, 1.0, scale1=True)
    K = shallow_nngp(x_train, bias_var=bias_var)
    K_new = _shallow(x_new, x_train, False, bias_var, scale1=True)  # (M, I)
    lam, U, g, scalar = _modes(Theta, t, "the NTK of x_train")
    A = Theta_new @ U  # (M, I)
    B = U.T @ K_new.T  # (I, M)
    C = U.T @ K @ U  # (I, I)
    mean = (g * (U.T @ y)) @ A.T  # (T, M)
    if full_cov:
        Z = np.einsum("mk,tk,jk->tmj", A, g, U)  # (T, M, I)
        ZKx = Z @ K_new.T  # (T, M, M)
        cov = _shallow(x_new, x_new, False, bias_var, True, True) - ZKx - np.swapaxes(ZKx, -1, -2)
        cov = cov + Z @ K @ np.swapaxes(Z, -1, -2)
        cov = 0.5 * (cov + np.swapaxes(cov, -1, -2))
        with np.errstate(over="ignore"):  # inf only beyond the float range
            return v.unbatch(Prediction(np.ldexp(mean, e), np.ldexp(cov, np.add.outer(e, e))),
                             scalar)
    m = np.frexp(np.hypot(x_new, 1.0))[0]  # |u| / 2**e
    kss = 0.5 * m * m + np.ldexp(bias_var, -2 * e)  # K(x, x) / 2**(2e): kappa1(1) = 1
    cross = np.einsum("mk,tk,km->tm", A, g, B)
    quad = np.einsum("mk,tk,kl,tl,ml->tm", A, g, C, g, A)
    var = np.maximum(kss - 2.0 * cross + quad, 0.0)
    with np.errstate(over="ignore"):
        return v.unbatch(Prediction(np.ldexp(mean, e), np.ldexp(var, 2 * e)), scalar)


@_docs.fill
def parameter_movement(Theta, residual0, t):
    r"""How far gradient flow of the linearized network moves the parameters,
    :math:`\lVert\phi(t) - \phi_0\rVert`, from the kernel alone. Introduced in the chapter on
    training wide networks in closed form. With
    :math:`J^TJ = \Theta = U\operatorname{diag}(\lambda)U^T` and :math:`w = U^T r_0`,

    .. math:: \lVert\phi(t) - \phi_0\rVert^2 = \sum_k \frac{(1 - e^{-\lambda_k t})^2}
        {\lambda_k}\, w_k^2 \;\xrightarrow{t\to\infty}\; r_0^T\Theta^{+} r_0 .

    Parameters
    ----------
    %(Theta_residual0)s
    %(t)s

    Returns
    -------
    float or ndarray, shape (T,)
    """
    lam, U, g, scalar = _modes(Theta, t)
    r0 = v.vector(residual0, "residual0", U.shape[0], what=" (one per row of Theta)")
    w = U.T @ r0
    return v.unbatch(np.sqrt(np.sum(lam * g * g * w * w, axis=-1)), scalar)


@_docs.fill
def residual_norm(Theta, residual0, t):
    r"""The residual's length :math:`\lVert f(t) - y\rVert` under the linearized flow.
    Introduced in the chapter on training wide networks in closed form.

    .. math:: \lVert r(t)\rVert^2 = \sum_k e^{-2\lambda_k t}\,(u_k^T r_0)^2

    Parameters
    ----------
    %(Theta_residual0)s
    %(t)s

    Returns
    -------
    float or ndarray, shape (T,)
    """
    lam, U = kernel_eigen(Theta, "Theta")
    tt, scalar = v.times(t)
    r0 = v.vector(residual0, "residual0", U.shape[0], what=" (one per row of Theta)")
    keep = Flow()(lam, tt).keep  # e^{-lam t}, (T, I)
    return v.unbatch(np.sqrt(np.sum((keep * (U.T @ r0)) ** 2, axis=-1)), scalar)


@_docs.fill
def label_complexity(Theta, y) -> float:
    r"""How hard the labels are for the kernel (Arora et al.), :math:`\sqrt{2y^T\Theta^+y/n}`.
    Introduced in the chapter on training wide networks in closed form.

    Parameters
    ----------
    Theta : array_like, shape (n, n)
    %(y)s

    Returns
    -------
    float
    """
    lam, U = kernel_eigen(Theta, "Theta")
    y = v.vector(y, "y", U.shape[0], what=" (one per row of Theta)")
    w = U.T @ y
    return float(np.sqrt(2.0 * np.sum(kernel_coefficients(lam, w * w)) / y.size))


def output_excess_kurtosis(width) -> float:
    """The excess kurtosis 15/D of the shallow network's output at initialisation (bias 0).
    Introduced in the chapter on wide networks, which derives it.

    Parameters
    ----------
    width : int

    Returns
    -------
    float
    """
    return 15.0 / v.positive_int(width, "width")
