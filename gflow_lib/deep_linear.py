r"""Two-layer linear networks in closed form (Saxe, McClelland & Ganguli 2014), and the kernel
of a ReLU network leaving the lazy regime. Introduced in the chapter on deep linear networks.

Loss :math:`\tfrac12\lVert\Sigma_{yx} - W_2W_1\rVert_F^2` (whitened inputs), balanced start
:math:`W_1 = O\sqrt{u_0}V^T`, :math:`W_2 = U\sqrt{u_0}O^T` in the SVD basis of
:math:`\Sigma_{yx}`: each mode keeps its vectors and its strength obeys :math:`\dot u = 2u(s-u)`."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _docs
from . import _validation as v
from .flow import LinearFlow
from .spectrum import gram_eigen, kernel_eigen

__all__ = [
    "DeepLinearRun",
    "UndefinedHalfTimeError",
    "deep_linear_half_times",
    "deep_linear_product",
    "deep_linear_simulate",
    "deep_linear_strength",
    "scaled_shallow_kernel_change",
    "shallow_linear_product",
]


class UndefinedHalfTimeError(ValueError):
    """A mode never reaches half its singular value after the start (u0 >= s/2)."""


def _strength(s, u0, t):
    """u(t), shape (T, K), as exp(-logaddexp(...)) of the harmonic-mean form."""
    st = 2.0 * np.multiply.outer(t, s)
    with np.errstate(divide="ignore", over="ignore"):
        # ln((1 - e^{-2st}) / s), with its s -> 0 limit 2t; -inf at t = 0
        safe = np.where(s > 0, s, 1.0)
        log_g = np.where(s > 0, np.log(-np.expm1(-st)) - np.log(safe),
                         np.log(2.0 * t)[:, None] + 0 * s)
        log_a = -st - np.log(u0)  # ln(e^{-2st} / u0)
        return np.exp(-np.logaddexp(log_a, log_g))


@_docs.fill
def deep_linear_strength(s, u0, t) -> np.ndarray:
    r"""The strength of each mode over time. Introduced in the chapter on deep linear networks.

    .. math:: u(t) = \frac{s e^{2st}}{e^{2st} - 1 + s/u_0}
        = \Big(\frac{e^{-2st}}{u_0} + \frac{1 - e^{-2st}}{s}\Big)^{-1}

    Parameters
    ----------
    %(s_u0)s
    %(t)s

    Returns
    -------
    ndarray, shape (T, K); a scalar ``t`` drops T, a scalar ``s`` drops K
    """
    ss = v.singular_values(s)
    u0 = v.positive_scalar(u0, "u0")
    tt, scalar = v.times(t)
    out = _strength(ss, u0, tt)
    if np.ndim(s) == 0:
        out = out[:, 0]
    return v.unbatch(out, scalar)


@_docs.fill
def deep_linear_half_times(s, u0) -> np.ndarray:
    r"""When each mode reaches half its singular value. Introduced in the chapter on deep
    linear networks. :class:`UndefinedHalfTimeError` where u0 >= s/2 (no such time after 0).

    .. math:: \tau = \frac{\ln(s/u_0 - 1)}{2s}

    Parameters
    ----------
    %(s_u0)s

    Returns
    -------
    float or ndarray, shape (K,)
    """
    ss = v.singular_values(s)
    u0 = v.positive_scalar(u0, "u0")
    bad = ss <= 2.0 * u0
    if np.any(bad):
        raise UndefinedHalfTimeError(
            f"s must exceed 2 * u0 = {2 * u0:.6g} for a half-time (a mode with u0 >= s/2 is "
            f"at or past half its value from the start); got s = {ss[bad].tolist()[:5]}")
    with np.errstate(over="ignore"):
        ratio = (ss - 2.0 * u0) / u0  # s/u0 - 1 = 1 + ratio
    log_ratio = np.where(np.isfinite(ratio), np.log1p(np.where(np.isfinite(ratio), ratio, 0)),
                         np.log(ss - u0) - np.log(u0))
    out = log_ratio / (2.0 * ss)
    return float(out[0]) if np.ndim(s) == 0 else out


def _svd(Sigma_yx):
    """Thin SVD, s descending, from ``gram_eigen`` (s below ~1e-7 s_max counts as zero)."""
    S = v.correlation_matrix(Sigma_yx)
    flip = S.shape[1] > S.shape[0]
    A = S.T if flip else S  # (n, m), m <= n: eigenpairs of A^T A (m, m)
    lam, V = gram_eigen(A, outer=False)
    lam, V = lam[::-1], V[:, ::-1]
    s = np.sqrt(lam)
    pos = s > 0
    U = np.zeros((A.shape[0], s.size))
    B = A @ V[:, pos] / s[pos]
    Q = np.linalg.qr(B)[0]  # re-orthonormalized, in the order of decreasing s
    U[:, pos] = Q * np.sign(np.einsum("ij,ij->j", Q, B))
    if not pos.all():  # zero modes: any orthonormal completion
        done = U[:, pos]
        rest = kernel_eigen(np.eye(A.shape[0]) - done @ done.T, "projector").vecs
        U[:, ~pos] = rest[:, ::-1][:, :int((~pos).sum())]
    return (V, s, U.T) if flip else (U, s, V.T)


@_docs.fill
def deep_linear_product(Sigma_yx, u0, t) -> np.ndarray:
    r"""The product :math:`W_2W_1` at times t, in closed form (:func:`deep_linear_strength`).
    Introduced in the chapter on deep linear networks.

    .. math:: W_2W_1(t) = U\,\mathrm{diag}(u(t))\,V^T

    Parameters
    ----------
    Sigma_yx : array_like, shape (N_out, N_in)
        Input-output correlation (whitened inputs).
    %(u0)s
    %(t)s

    Returns
    -------
    ndarray, shape (T, N_out, N_in)
    """
    U, s, Vt = _svd(Sigma_yx)
    u0 = v.positive_scalar(u0, "u0")
    tt, scalar = v.times(t)
    u = _strength(s, u0, tt)
    return v.unbatch(np.einsum("ik,tk,kj->tij", U, u, Vt), scalar)


@_docs.fill
def shallow_linear_product(Sigma_yx, u0, t) -> np.ndarray:
    r"""The shallow model's W from :math:`u_0UV^T` (each row a :class:`~gflow_lib.LinearFlow`
    with X = I), as :func:`deep_linear_product`: :math:`W(t) = \Sigma_{yx} + e^{-t}(W_0 -
    \Sigma_{yx})`. Introduced in the chapter on deep linear networks.

    Parameters
    ----------
    Sigma_yx, u0, t :
        As in :func:`deep_linear_product`.

    Returns
    -------
    ndarray, shape (T, N_out, N_in)
    """
    U, s, Vt = _svd(Sigma_yx)
    u0 = v.positive_scalar(u0, "u0")
    tt, scalar = v.times(t)
    S, W0 = U * s @ Vt, u0 * U @ Vt
    eye = np.eye(S.shape[1])
    rows = [LinearFlow(eye, S[i], W0[i]).params(tt) for i in range(S.shape[0])]
    return v.unbatch(np.stack(rows, axis=1), scalar)


class DeepLinearRun(NamedTuple):
    """``t`` (T,), ``W1`` (T, N_h, N_in), ``W2`` (T, N_out, N_h), ``product`` (T, N_out, N_in)."""

    t: np.ndarray
    W1: np.ndarray
    W2: np.ndarray
    product: np.ndarray


#: Limits of :func:`deep_linear_simulate`: weights in all, and the last time.
MAX_WEIGHTS, MAX_TIME = 10_000, 1e6


def deep_linear_simulate(Sigma_yx, u0, t, hidden=None, seed=0, W1_0=None, W2_0=None,
                         rtol=1e-12, atol=1e-14) -> DeepLinearRun:
    r"""Gradient flow of both weights by DOP853 from ``W1_0``, ``W2_0`` or the balanced start (O:
    random orthonormal (N_h, r) from ``seed``). Introduced in the chapter on deep linear networks.

    .. math:: \dot W_1 = W_2^T(\Sigma_{yx} - W_2W_1), \qquad
        \dot W_2 = (\Sigma_{yx} - W_2W_1)W_1^T

    Parameters
    ----------
    Sigma_yx, u0 :
        As in :func:`deep_linear_product`; t (T,) increasing, the last <= 1e6.
    hidden : int, optional
        N_h >= r = min(N_out, N_in) (default r).

    Returns
    -------
    DeepLinearRun
    """
    S = v.correlation_matrix(Sigma_yx)
    v.size_limit(min(S.shape) * sum(S.shape), "the number of weights", MAX_WEIGHTS)
    U, s, Vt = _svd(S)
    S = U * s @ Vt
    N_out, N_in = S.shape
    r = s.size
    tt = v.increasing_times(t, MAX_TIME)
    if (W1_0 is None) != (W2_0 is None):
        raise ValueError("W1_0 and W2_0 must be given together (or neither)")
    if W1_0 is None:
        u0 = v.positive_scalar(u0, "u0")
        N_h = r if hidden is None else v.positive_int(hidden, "hidden")
        if N_h < r:
            raise ValueError(f"hidden must be at least min(N_out, N_in) = {r}; got {N_h}")
        rng = np.random.default_rng(v.non_negative_int(seed, "seed"))
        O = np.linalg.qr(rng.standard_normal((N_h, r)))[0]  # noqa: E741
        W1, W2 = np.sqrt(u0) * O @ Vt, np.sqrt(u0) * U @ O.T
    else:
        W1, W2 = v.as_real_array(W1_0, "W1_0"), v.as_real_array(W2_0, "W2_0")
        N_h = W1.shape[0] if W1.ndim == 2 else -1
        if W1.shape != (N_h, N_in) or W2.shape != (N_out, N_h):
            raise ValueError(f"W1_0 and W2_0 must have shapes (N_h, {N_in}) and ({N_out}, N_h); "
                             f"got {W1.shape} and {W2.shape}")
        v.check_finite(W1, "W1_0")
        v.check_finite(W2, "W2_0")
    v.size_limit(N_h * (N_in + N_out), "the number of weights", MAX_WEIGHTS)
    n1 = N_h * N_in

    def rhs(_, w):
        A, B = w[:n1].reshape(N_h, N_in), w[n1:].reshape(N_out, N_h)
        E = S - B @ A
        return np.concatenate([(B.T @ E).ravel(), (E @ A.T).ravel()])

    from scipy.integrate import solve_ivp  # on first use: import gflow_lib stays light

    sol = solve_ivp(rhs, (0.0, tt[-1]), np.concatenate([W1.ravel(), W2.ravel()]),
                    method="DOP853", t_eval=tt, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"the ODE solver failed: {sol.message}")
    A = sol.y[:n1].T.reshape(-1, N_h, N_in)
    B = sol.y[n1:].T.reshape(-1, N_out, N_h)
    return DeepLinearRun(tt, A, B, B @ A)


# ------------------------------------------- a shallow ReLU network in two output scalings
@_docs.fill
def scaled_shallow_kernel_change(width, x, y, lr, n_steps, scaling="ntk", seed=0):
    r"""Relative change :math:`\lVert\Theta_n - \Theta_0\rVert_F/\lVert\Theta_0\rVert_F` of
    the empirical NTK (weights only) of the book's shallow ReLU network, trained with output
    scale :math:`1/\sqrt D` (``"ntk"``) or :math:`1/D` (``"mean_field"``: the weights of
    :func:`~gflow_lib.network.init_shallow` times :math:`c = D^{-1/4}`, the network being
    2-homogeneous, step ``lr / c**2``); bias held at 0. Introduced in the chapter on deep linear
    networks.

    Parameters
    ----------
    width, x, y, lr, n_steps, seed :
        As in :func:`~gflow_lib.network.train_shallow` (and ``init_shallow``).
    scaling : {"ntk", "mean_field"}

    Returns
    -------
    change, loss : float
    """
    from . import network

    v.choice(scaling, ("ntk", "mean_field"), "scaling")
    D = v.positive_int(width, "width")
    x = v.scalar_inputs(x)
    y = v.vector(y, "y", x.size, what=" (one target per input)")
    lr = v.positive_scalar(lr, "lr")
    n_steps = v.non_negative_int(n_steps, "n_steps")
    v.size_limit(n_steps * D * x.size, "n_steps * width * inputs", v.MAX_WORK)
    c = 1.0 if scaling == "ntk" else D ** -0.25
    phi = network.init_shallow(D, seed=seed).flat() * c
    phi[-1] = 0.0

    def at(phi):
        return network.ShallowParams.from_flat(phi)

    K0 = network.empirical_ntk(at(phi), x) - 1.0
    for _ in range(n_steps):
        p = at(phi)
        g = network.shallow_jacobian(p, x) @ (network.shallow_forward(p, x) - y)
        g[-1] = 0.0
        phi = phi - lr / c**2 * g
    r = network.shallow_forward(at(phi), x) - y
    K = network.empirical_ntk(at(phi), x) - 1.0
    return float(np.linalg.norm(K - K0) / np.linalg.norm(K0)), float(0.5 * r @ r)
