r"""Infinite-width kernels of ReLU networks and the distribution of trained networks.

Introduced in the chapter on wide networks (``book/ntk.ipynb``). For the shallow network of
:mod:`gflow_lib.network` (input :math:`u = (x, 1)`, weights N(0, 1), NTK parameterization) the
law of large numbers over the hidden units gives, with :math:`\theta` the angle between
:math:`u` and :math:`u'`,

.. math::

    K(x, x') = \tfrac12\lVert u\rVert\lVert u'\rVert\,\kappa_1 + \sigma_\beta^2, \qquad
    \Theta(x, x') = \tfrac12 (u\cdot u')\,\kappa_0 + \tfrac12\lVert u\rVert\lVert u'\rVert
    \,\kappa_1 + 1,

    \kappa_0 = \frac{\pi - \theta}{\pi}, \qquad
    \kappa_1 = \frac{\sin\theta + (\pi - \theta)\cos\theta}{\pi},

the NNGP kernel K (the covariance of the network at initialisation) and the neural tangent
kernel :math:`\Theta` (of its gradients). The arc-cosine terms are those of
:mod:`gflow_lib.kernels` (:func:`~gflow_lib.kernels.kappa0`, :func:`~gflow_lib.kernels.kappa1`
clip the cosine to [-1, 1] before the arccos, so rounding never makes NaN; the shallow kernels
take the angle from ``atan2``, which keeps every digit near equal inputs). Eigendecompositions
go through :mod:`gflow_lib.spectrum`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validation as v
from .bayes import Prediction
from .kernels import arccos_kernel, kappa0, kappa1
from .spectrum import filter_flow, kernel_coefficients, kernel_eigen

__all__ = [
    "NTK_X",
    "NTK_Y",
    "Kernels",
    "ntk_data",
    "ntk_prediction_distribution",
    "parameter_movement",
    "relu_kernels",
    "shallow_nngp",
    "shallow_ntk",
]

#: The inputs and targets of the companion notebook (udlbook, ``Blogs/BorealisNTK.ipynb``).
NTK_X = (0.2, 0.4, 0.8)
NTK_Y = (-0.05, -0.2, 0.3)


def ntk_data():
    """The data of the chapters on wide networks: inputs (0.2, 0.4, 0.8), targets
    (-0.05, -0.2, 0.3).

    Introduced in the chapter on wide networks.

    Returns
    -------
    x, y : ndarray, shape (3,)
        Fresh copies.
    """
    return np.array(NTK_X), np.array(NTK_Y)


# ------------------------------------------------------------------------ shallow kernels
def _pair(x1, x2):
    x1 = v.vector(x1, "x1", what=" of scalar inputs")
    x2 = x1 if x2 is None else v.vector(x2, "x2", what=" of scalar inputs")
    return x1, x2


def _shallow_terms(x1, x2):
    """``(u . u', kappa0, |u||u'| kappa1)`` for u = (x, 1), each (M1, M2), from the arc-cosine
    kernels of :mod:`gflow_lib.kernels` (angle from ``atan2``: exact for equal inputs)."""
    dot = np.multiply.outer(x1, x2) + 1.0
    return dot, arccos_kernel(x1, x2, order=0), arccos_kernel(x1, x2, order=1)


def shallow_ntk(x1, x2=None) -> np.ndarray:
    r"""The analytic NTK :math:`\Theta` of the shallow network (infinite width).

    Introduced in the chapter on wide networks.

    .. math:: \Theta(x, x') = \tfrac12 (u\cdot u')\,\kappa_0 + \tfrac12\lVert u\rVert
        \lVert u'\rVert\,\kappa_1 + 1

    The three terms come from the first-layer weights, the output weights and the output
    bias (whose gradient is 1 whatever its initial variance).

    Parameters
    ----------
    x1 : array_like, shape (M1,)
    x2 : array_like, shape (M2,), optional
        Default ``x1``.

    Returns
    -------
    ndarray, shape (M1, M2)
    """
    dot, k0, k1 = _shallow_terms(*_pair(x1, x2))
    return 0.5 * dot * k0 + 0.5 * k1 + 1.0


def shallow_nngp(x1, x2=None, bias_var=0.0) -> np.ndarray:
    r"""The NNGP kernel K of the shallow network: the covariance of its outputs at
    initialisation, at infinite width.

    Introduced in the chapter on wide networks.

    .. math:: K(x, x') = \tfrac12\lVert u\rVert\lVert u'\rVert\,\kappa_1 + \sigma_\beta^2

    Parameters
    ----------
    x1 : array_like, shape (M1,)
    x2 : array_like, shape (M2,), optional
    bias_var : float
        The variance :math:`\sigma_\beta^2` of the output bias at initialisation, >= 0.

    Returns
    -------
    ndarray, shape (M1, M2)
    """
    _, _, k1 = _shallow_terms(*_pair(x1, x2))
    return 0.5 * k1 + v.non_negative_scalar(bias_var, "bias_var")


# --------------------------------------------------------------------------- deep kernels
class Kernels(NamedTuple):
    """The NNGP kernel and the NTK of a network, each (M1, M2)."""

    nngp: np.ndarray
    ntk: np.ndarray


def relu_kernels(x1, x2=None, depth=1, sigma_w=1.0, sigma_b=1.0) -> Kernels:
    r"""NNGP and NTK of a deep fully connected ReLU network on scalar inputs, in the
    conventions of neural-tangents' ``stax`` (NTK parameterization).

    Introduced in the chapter on wide networks. The network is
    ``stax.serial(Dense(n, W_std=sigma_w, b_std=sigma_b), [Relu(), Dense(n, W_std=sigma_w,
    b_std=sigma_b)] * depth)`` with the last ``Dense`` the output layer
    (:func:`gflow_lib.network.init_deep`). Starting from
    :math:`K_1 = \Theta_1 = \sigma_w^2 x x' + \sigma_b^2`, each ``Relu`` then ``Dense``
    maps, with :math:`c` the correlation of :math:`K_l`,

    .. math::

        K_{l+1} = \tfrac{\sigma_w^2}{2}\sqrt{K_l(x,x)K_l(x',x')}\,\kappa_1(c) + \sigma_b^2,
        \qquad
        \Theta_{l+1} = K_{l+1} + \tfrac{\sigma_w^2}{2}\,\kappa_0(c)\,\Theta_l .

    With ``depth=1`` and ``sigma_w = sigma_b = 1`` these are :func:`shallow_nngp` with
    ``bias_var=1`` and :func:`shallow_ntk`.

    Parameters
    ----------
    x1 : array_like, shape (M1,)
    x2 : array_like, shape (M2,), optional
    depth : int
        Number of hidden layers, >= 1.
    sigma_w : float
        ``W_std``, > 0.
    sigma_b : float
        ``b_std``, >= 0.

    Returns
    -------
    Kernels
        ``nngp`` and ``ntk``, each (M1, M2).
    """
    x1, x2 = _pair(x1, x2)
    L = v.non_negative_int(depth, "depth")
    if L < 1:
        raise ValueError(f"depth must be a positive integer; got {L}")
    sw2 = v.positive_scalar(sigma_w, "sigma_w") ** 2
    sb2 = v.non_negative_scalar(sigma_b, "sigma_b") ** 2
    nngp = sw2 * np.multiply.outer(x1, x2) + sb2
    q1, q2 = sw2 * x1 * x1 + sb2, sw2 * x2 * x2 + sb2
    ntk = nngp.copy()
    same = np.equal.outer(x1, x2)  # a point with itself: correlation exactly 1
    for _ in range(L):
        scale = np.sqrt(np.multiply.outer(q1, q2))
        c = np.divide(nngp, scale, out=np.zeros_like(nngp), where=scale > 0)
        c[same & (scale > 0)] = 1.0
        k0, k1 = kappa0(c), kappa1(c)
        nngp = 0.5 * sw2 * scale * k1 + sb2
        ntk = nngp + 0.5 * sw2 * k0 * ntk
        q1, q2 = 0.5 * sw2 * q1 + sb2, 0.5 * sw2 * q2 + sb2  # kappa1(1) = 1
    return Kernels(nngp, ntk)


# ------------------------------------------------------------------- trained distribution
def _modes(Theta, t, name="Theta"):
    """Eigenvalues, eigenvectors and :math:`g = (1 - e^{-\\lambda t})/\\lambda` (T, I), with
    g = 0 on zero modes (the kernel of the new inputs does not see them)."""
    lam, U = kernel_eigen(Theta, name)
    tt, scalar = v.times(t)
    g = kernel_coefficients(lam, filter_flow(lam, tt).gain)
    return lam, U, g, scalar


def ntk_prediction_distribution(x_train, y, x_new, t, bias_var=0.0, full_cov=False,
                                last_layer=False) -> Prediction:
    r"""Mean and variance, over random initialisations, of the infinite-width shallow
    network's outputs at ``x_new`` after gradient flow for time ``t``.

    Introduced in the chapter on training wide networks in closed form. At infinite width the
    trained network is its linearization, :math:`f_*(t) = f_{0*} + Z(y - f_0)` with
    :math:`f_0 \sim GP(0, K)` and

    .. math::

        Z = \Theta_{*X}\Theta^{-1}(I - e^{-\Theta t}), \qquad
        \text{mean} = Z y, \qquad
        \text{cov} = K_{**} - (Z K_{X*} + K_{*X} Z^T) + Z K Z^T,

    computed through the eigendecomposition of :math:`\Theta = \Theta(X, X)`
    (:func:`gflow_lib.spectrum.kernel_eigen`), never an inverse; a zero eigenvalue (repeated
    inputs) leaves its mode out, as :class:`~gflow_lib.KernelFlow` does. Time is the book's
    (loss a sum over points); neural-tangents averages the loss over the I points, so its time
    is I times ours.

    Parameters
    ----------
    x_train : array_like, shape (I,)
    y : array_like, shape (I,)
    x_new : array_like, shape (M,)
    t : float or array_like, shape (T,)
    bias_var : float
        Initial variance of the output bias, >= 0.
    full_cov : bool
        Return the full covariance (M, M) (or (T, M, M)) in place of the variances.
    last_layer : bool
        Train only the output layer ``(v, beta)``: :math:`\Theta` is replaced by its
        last-layer part, :math:`K` with :math:`\sigma_\beta^2 = 1`.

    Returns
    -------
    Prediction
        ``mean`` (M,) or (T, M); ``var`` (M,) or (T, M) clipped at 0 against rounding, or the
        covariance with ``full_cov``.
    """
    x_train = v.vector(x_train, "x_train", what=" of scalar inputs")
    y = v.vector(y, "y", x_train.size, what=" (one target per training input)")
    x_new = v.vector(x_new, "x_new", what=" of scalar inputs")
    bias_var = v.non_negative_scalar(bias_var, "bias_var")
    if last_layer:
        Theta, Theta_new = shallow_nngp(x_train, bias_var=1.0), shallow_nngp(x_new, x_train, 1.0)
    else:
        Theta, Theta_new = shallow_ntk(x_train), shallow_ntk(x_new, x_train)
    K = shallow_nngp(x_train, bias_var=bias_var)
    K_new = shallow_nngp(x_new, x_train, bias_var)  # (M, I)
    lam, U, g, scalar = _modes(Theta, t, "the NTK of x_train")
    A = Theta_new @ U  # (M, I)
    B = U.T @ K_new.T  # (I, M)
    C = U.T @ K @ U  # (I, I)
    mean = (g * (U.T @ y)) @ A.T  # (T, M)
    if full_cov:
        Z = np.einsum("mk,tk,jk->tmj", A, g, U)  # (T, M, I)
        ZKx = Z @ K_new.T  # (T, M, M)
        cov = shallow_nngp(x_new, bias_var=bias_var) - ZKx - np.swapaxes(ZKx, -1, -2)
        cov = cov + Z @ K @ np.swapaxes(Z, -1, -2)
        cov = 0.5 * (cov + np.swapaxes(cov, -1, -2))
        return v.unbatch(Prediction(mean, cov), scalar)
    kss = 0.5 * (1.0 + x_new**2) + bias_var  # K(x, x): kappa1(1) = 1
    cross = np.einsum("mk,tk,km->tm", A, g, B)
    quad = np.einsum("mk,tk,kl,tl,ml->tm", A, g, C, g, A)
    var = np.maximum(kss - 2.0 * cross + quad, 0.0)
    return v.unbatch(Prediction(mean, var), scalar)


def parameter_movement(Theta, residual0, t):
    r"""How far gradient flow of the linearized network moves the parameters:
    :math:`\lVert\phi(t) - \phi_0\rVert` from the kernel alone.

    Introduced in the chapter on training wide networks in closed form. With
    :math:`\phi(t) - \phi_0 = -J\,U\operatorname{diag}(g)U^T r_0`, :math:`J^TJ = \Theta` and
    :math:`w = U^T r_0`,

    .. math:: \lVert\phi(t) - \phi_0\rVert^2 = \sum_k \frac{(1 - e^{-\lambda_k t})^2}
        {\lambda_k}\, w_k^2 \;\xrightarrow{t\to\infty}\; r_0^T\Theta^{+} r_0 .

    Parameters
    ----------
    Theta : array_like, shape (I, I)
        The (empirical) NTK at the training inputs.
    residual0 : array_like, shape (I,)
        The residuals :math:`f_0 - y` at the start.
    t : float or array_like, shape (T,)

    Returns
    -------
    float or ndarray, shape (T,)
    """
    lam, U, g, scalar = _modes(Theta, t)
    r0 = v.vector(residual0, "residual0", U.shape[0], what=" (one per row of Theta)")
    w = U.T @ r0
    return v.unbatch(np.sqrt(np.sum(lam * g * g * w * w, axis=-1)), scalar)
