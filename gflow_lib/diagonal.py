r"""Diagonal linear networks, :math:`\beta = u\odot u - v\odot v` from :math:`u = v = \alpha`:
the scale of the start decides the implicit bias (Woodworth et al. 2020). Introduced in the
chapter on deep linear networks. Since :math:`u_dv_d = \alpha^2` for ever, the flow on
:math:`\tfrac12\lVert X^T\beta - y\rVert^2` ends at :math:`\beta = 2\alpha^2\sinh(X\nu)`
with :math:`X^T\beta = y`: minimum-:math:`\ell_2` as :math:`\alpha\to\infty`,
minimum-:math:`\ell_1` as :math:`\alpha\to 0`."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _docs
from . import _validation as v
from .regression import ml_params
from .spectrum import kernel_eigen

__all__ = [
    "DiagonalLimitError",
    "DiagonalRun",
    "diagonal_dual_step",
    "diagonal_network_flow",
    "diagonal_network_limit",
    "diagonal_ntk",
    "min_l1_interpolant",
]


class DiagonalLimitError(ValueError):
    """The diagonal network's limit does not exist (no interpolant) or is not representable."""


def _beta_and_weight(z, log_a2):
    """2 a^2 sinh z and 2 a^2 cosh z from ln a^2, without overflow before it is needed."""
    az = np.abs(z)
    with np.errstate(over="ignore", under="ignore"):
        big = np.exp(log_a2 + az)
        small = np.exp(-2.0 * az)
        return np.sign(z) * big * (-np.expm1(-2.0 * az)), big * (1.0 + small)


@_docs.fill
def diagonal_dual_step(X, y, alpha, nu) -> np.ndarray:
    r"""One undamped Newton step on the dual. Introduced in the chapter on deep linear
    networks (its coding exercise). With
    :math:`z = X\nu`, :math:`\beta = 2\alpha^2\sinh z`, :math:`H = X^T\mathrm{diag}(2\alpha^2
    \cosh z)X`, it returns :math:`\nu - H^{-1}(X^T\beta - y)`.

    Parameters
    ----------
    %(X_y)s
    %(alpha)s
    nu : array_like, shape (I,)
        The dual variable, one entry per data point.

    Returns
    -------
    ndarray, shape (I,)
    """
    X, y = v.problem(X, y)
    alpha = v.positive_scalar(alpha, "alpha")
    nu = v.vector(nu, "nu", X.shape[1], what=" (one entry per data point)")
    beta, w = _beta_and_weight(X @ nu, 2.0 * np.log(alpha))
    lam, Q = kernel_eigen(X.T @ (w[:, None] * X), "the Hessian")
    if not lam[0] > 0:
        raise ValueError("X must have linearly independent columns (data points) for a Newton "
                         "step: the Hessian X^T diag(2 alpha^2 cosh(X nu)) X is singular")
    return nu - Q @ ((Q.T @ (X.T @ beta - y)) / lam)


def _interpolant_l2(X, y):
    beta = ml_params(X, y)
    scale = np.linalg.norm(y) + np.abs(X).max() * np.linalg.norm(beta)
    if np.linalg.norm(X.T @ beta - y) > 1e-10 * scale:
        raise DiagonalLimitError(
            "y must be reachable: no beta has X^T beta = y (the flow converges to no "
            f"interpolant); X has shape {X.shape}")
    return beta


@_docs.fill
def diagonal_network_limit(X, y, alpha, max_iter=500) -> np.ndarray:
    r"""The interpolant the diagonal network's flow converges to, exactly: damped Newton on the
    convex dual, in logarithms and by continuation in :math:`\ln(1/\alpha^2)`, so that any
    representable answer is reached. Introduced in the chapter on deep linear networks.

    .. math:: \min_\nu \sum_d 2\alpha^2\cosh((X\nu)_d) - y^T\nu,
        \qquad \beta = 2\alpha^2\sinh(X\nu)

    Parameters
    ----------
    %(X_y)s
    alpha : float
        Scale of the start :math:`u = v = \alpha\mathbf 1`, > 0.
    max_iter : int
        Newton steps allowed; :class:`DiagonalLimitError` beyond, or without an interpolant.

    Returns
    -------
    ndarray, shape (D,)
    """
    X, y = v.problem(X, y)
    v.check_gram_diagonal(np.einsum("di,di->d", X, X))
    alpha = v.positive_scalar(alpha, "alpha")
    max_iter = v.positive_int(max_iter, "max_iter")
    beta2 = _interpolant_l2(X, y)
    log_a2 = 2.0 * np.log(alpha)
    if not np.any(beta2) or np.log(np.abs(beta2).max()) - np.log(2.0) - log_a2 < np.log(1e-9):
        return beta2  # sinh z = z (1 + z^2 / 6 + ...) with z^2 < 1e-18: the l2 limit
    # Continuation in L = ln(1 / alpha^2): nu grows like L times the dual of the linear
    # program, so a solution at a larger alpha, scaled by the ratio of the L's, starts the next.
    L_end, L = -log_a2, min(-log_a2, 20.0)
    nu, steps = np.zeros(X.shape[1]), [max_iter]
    while True:
        nu, beta = _newton(X, y, -L, nu, steps, *(() if L >= L_end else (1e-8,)))
        if nu is None:
            break
        if L >= L_end:
            return beta
        L_next = min(L_end, 1.5 * L)
        nu, L = nu * (L_next / L), L_next
    raise DiagonalLimitError(
        f"the dual Newton method did not converge in {max_iter} steps for alpha = {alpha!r}: "
        "the limit is not representable in floating point")


_RTOL = 8 * np.finfo(float).eps


def _newton(X, y, log_a2, nu, budget, rtol=_RTOL):
    """Damped Newton from ``nu`` (z-steps capped at max(2, |z|)): (nu, beta) or (None, None)."""
    z = X @ nu
    beta, w = _beta_and_weight(z, log_a2)
    phi = w.sum() - y @ nu
    scale_y = np.abs(y).max()
    while budget[0] > 0:
        budget[0] -= 1
        g = X.T @ beta - y
        az = np.abs(z)
        # rounding: a sum of D terms, each with the relative error of exp(|z| + ln a^2)
        tol = rtol * (X.shape[0] + az.max()) * max(scale_y, (np.abs(X).T @ np.abs(beta)).max())
        if np.abs(g).max() <= tol:
            return nu, beta
        m = log_a2 + az.max()  # H e^{-m} has entries of order one at most
        with np.errstate(under="ignore"):
            Hs = X.T @ ((np.exp(log_a2 + az - m) * (1 + np.exp(-2 * az)))[:, None] * X)
        d = np.sqrt(np.diag(Hs))
        d[d == 0] = 1.0
        lam, Q = kernel_eigen(Hs / np.outer(d, d), "the Hessian")
        keep = lam > 1e-14 * lam[-1]
        step_s = Q[:, keep] @ ((Q[:, keep].T @ (-g / d)) / lam[keep]) / d
        dz_s = X @ step_s  # the Newton step in z is e^{-m} dz_s
        size = np.abs(dz_s).max()
        if size == 0:
            return None, None
        cap = max(2.0, az.max())
        factor = np.exp(min(-m, np.log(cap) - np.log(size)))
        slope = factor * (g @ step_s)
        for _ in range(60):
            nu_new = nu + factor * step_s
            z_new = X @ nu_new
            beta_new, w_new = _beta_and_weight(z_new, log_a2)
            with np.errstate(over="ignore", invalid="ignore"):
                phi_new = w_new.sum() - y @ nu_new
            if np.isfinite(phi_new) and phi_new <= phi + 1e-4 * slope + 1e-13 * abs(phi):
                break
            factor, slope = 0.5 * factor, 0.5 * slope
        else:
            return None, None
        nu, z, beta, w, phi = nu_new, z_new, beta_new, w_new, phi_new
    return None, None


@_docs.fill
def min_l1_interpolant(X, y) -> np.ndarray:
    r"""The interpolant of least :math:`\ell_1` norm, by a linear program (HiGHS): the
    :math:`\alpha\to 0` limit. Introduced in the chapter on deep linear networks.

    Parameters
    ----------
    %(X_y)s

    Returns
    -------
    ndarray, shape (D,)
    """
    X, y = v.problem(X, y)
    _interpolant_l2(X, y)
    D = X.shape[0]
    # beta = p - q with p, q >= 0
    from scipy.optimize import linprog

    res = linprog(np.ones(2 * D), A_eq=np.hstack([X.T, -X.T]), b_eq=y, bounds=(0, None),
                  method="highs")
    if not res.success:
        raise DiagonalLimitError(f"the linear program failed: {res.message}")
    return res.x[:D] - res.x[D:]


class DiagonalRun(NamedTuple):
    """``t`` (T,); ``u``, ``v`` and ``beta = u * u - v * v``, each (T, D)."""

    t: np.ndarray
    u: np.ndarray
    v: np.ndarray
    beta: np.ndarray


#: Limits of :func:`diagonal_network_flow`: weights times points, and the last time.
MAX_SIZE, MAX_TIME = 100_000, 1e7


@_docs.fill
def diagonal_network_flow(X, y, alpha, t, rtol=1e-11, atol=1e-14) -> DiagonalRun:
    r"""Gradient flow of u, v by LSODA (exact Jacobian). Introduced in the chapter on deep linear
    networks.

    .. math:: \dot u = -2u\odot g, \quad \dot v = 2v\odot g, \quad g = X(X^T\beta - y)

    Parameters
    ----------
    %(X_y)s
    %(alpha)s
    t : array_like, shape (T,)
        Increasing times, >= 0, the last at most 1e7.

    Returns
    -------
    DiagonalRun
    """
    X, y = v.problem(X, y)
    alpha = v.positive_scalar(alpha, "alpha")
    tt = v.increasing_times(t, MAX_TIME)
    D = X.shape[0]
    v.size_limit(X.size, "X.size", MAX_SIZE)
    A, b = X @ X.T, X @ y

    def rhs(_, w):
        u, vv = w[:D], w[D:]
        g = A @ (u * u - vv * vv) - b
        return np.concatenate([-2 * u * g, 2 * vv * g])

    def jac(_, w):
        u, vv = w[:D], w[D:]
        g = A @ (u * u - vv * vv) - b
        J = np.empty((2 * D, 2 * D))
        J[:D, :D] = -2 * (np.diag(g) + 2 * u[:, None] * A * u)
        J[:D, D:] = 4 * u[:, None] * A * vv
        J[D:, :D] = 4 * vv[:, None] * A * u
        J[D:, D:] = 2 * (np.diag(g) - 2 * vv[:, None] * A * vv)
        return J

    from scipy.integrate import solve_ivp  # on first use: import gflow_lib stays light

    sol = solve_ivp(rhs, (0.0, tt[-1]), np.full(2 * D, alpha), method="LSODA", t_eval=tt,
                    jac=jac, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"the ODE solver failed: {sol.message}")
    u, vv = sol.y[:D].T, sol.y[D:].T
    return DiagonalRun(tt, u, vv, u * u - vv * vv)


@_docs.fill
def diagonal_ntk(X, u, v_) -> np.ndarray:
    r"""The diagonal network's NTK, :math:`4X^T\mathrm{diag}(u\odot u + v\odot v)X`
    (:math:`8\alpha^2X^TX` at the start). Introduced in the chapter on deep linear networks.

    Parameters
    ----------
    %(X)s
    u, v_ : array_like, shape (D,) or (T, D)

    Returns
    -------
    ndarray, shape (I, I) or (T, I, I)
    """
    X = v.design_matrix(X)
    u = v.path(u, X.shape[0], "u")
    v_ = v.path(v_, X.shape[0], "v")
    if u.shape != v_.shape:
        raise ValueError(f"u and v must have the same shape; got {u.shape} and {v_.shape}")
    return 4.0 * np.einsum("di,...d,dj->...ij", X, u * u + v_ * v_, X)
