r"""Stochastic gradient descent on the quadratic loss, exactly in distribution (chapter on
SGD, ``book/sgd.ipynb``). A step averages B draws of :math:`\hat g_i = I\,x_i(x_i^T\phi -
y_i)`, i uniform, independent (``replace=True``) or B distinct points (``replace=False``):
:math:`\phi \leftarrow \phi - \tfrac{lr}{B}\sum_b \hat g_{i_b}`. The mean follows descent and,
with :math:`\Gamma(\phi) = \operatorname{Cov}_i\hat g_i` and :math:`\eta = 1/B` (with
replacement) or :math:`(I - B)/(B(I - 1))` (without),
:math:`\Sigma_{k+1} = (I - lr A)\Sigma_k(I - lr A) + lr^2\eta\,\mathbb{E}\,\Gamma(\phi_k)`.
Stationary results use coordinates of the range of A (the null space never moves)."""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np

from . import _docs
from . import _validation as v
from .spectrum import Flow, Spectrum

__all__ = ["Moments", "gradient_noise_covariance", "noise_factor", "reshuffled_epoch_means",
           "rr_modified_flow", "rr_modified_loss", "rr_modified_problem",
           "second_moment_operator", "sgd_moment_step", "sgd_moments", "sgd_ou_covariance",
           "sgd_reshuffled", "sgd_simulate", "sgd_stability_threshold",
           "sgd_stationary_covariance"]

#: The largest rank whose (rank^2 x rank^2) second-moment operator is formed.
MAX_RANK = 40
#: The most orderings :func:`reshuffled_epoch_means` enumerates (8!).
MAX_ORDERINGS = 40320

_fill = _docs.fill


class Moments(NamedTuple):
    """Mean and covariance of the iterate: ``mean`` (..., D), ``cov`` (..., D, D)."""

    mean: np.ndarray
    cov: np.ndarray


# ------------------------------------------------------------------------- the noise
def noise_factor(I: int, batch_size: int = 1, replace: bool = True) -> float:  # noqa: E741
    """The factor eta of one draw's covariance in a batch's: 1/B with replacement,
    (I - B)/(B (I - 1)) without (0 for B = I: descent)."""
    I = v.positive_int(I, "I")  # noqa: E741
    B = v.batch_size(batch_size, I, replace)
    if replace:
        return 1.0 / B
    return 0.0 if I == 1 else (I - B) / (B * (I - 1))


def _one_draw_cov(X, y, mean, cov):
    """eta: 1/B with replacement, (I - B)/(B (I - 1)) without (0 at B = I: descent)."""
    I = X.shape[1]  # noqa: E741
    A = X @ X.T
    g = A @ mean - X @ y
    r = X.T @ mean - y
    q = r * r + np.einsum("di,de,ei->i", X, cov, X)
    return I * (X * q) @ X.T - A @ cov @ A - np.outer(g, g), g


@_fill
def gradient_noise_covariance(X, y, phi):
    r"""The covariance of one draw's gradient at ``phi``. Introduced in the chapter on SGD:
    :math:`\Gamma(\phi) = I\sum_i (x_i^T\phi - y_i)^2 x_ix_i^T - \nabla L\,\nabla L^T`.

    Parameters
    ----------
    %(X_y)s
    phi : array_like, shape (D,)

    Returns
    -------
    ndarray, shape (D, D)
    """
    X, y, phi = v.problem(X, y, phi, "phi")
    v.check_finite(X, "X")
    G, _ = _one_draw_cov(X, y, phi, np.zeros((X.shape[0],) * 2))
    return 0.5 * (G + G.T)


# -------------------------------------------------------------------- exact moments
def _step(X, y, mean, cov, lr, eta):
    with np.errstate(over="ignore", invalid="ignore"):
        noise, g = _one_draw_cov(X, y, mean, cov)
        P = np.eye(X.shape[0]) - lr * (X @ X.T)
        new = P @ cov @ P + (lr * lr * eta) * noise
        return mean - lr * g, 0.5 * (new + new.T)


@_fill
def sgd_moment_step(X, y, mean, cov, lr, batch_size=1, replace=True) -> Moments:
    """Mean and covariance (:class:`Moments`) after one SGD step from an iterate with ``mean``
    (D,) and ``cov`` (D, D), by the module's recursion. Introduced in the chapter on SGD."""
    X, y, mean = v.problem(X, y, mean, "mean")
    v.check_finite(X, "X")
    cov = v.covariance(cov, X.shape[0], "cov")
    lr = v.positive_scalar(lr, "lr")
    eta = noise_factor(X.shape[1], batch_size, replace)
    return Moments(*_step(X, y, mean, cov, lr, eta))


@_fill
def sgd_moments(X, y, phi0, lr, steps, batch_size=1, replace=True, cov0=None) -> Moments:
    r"""Exact mean and covariance of SGD's iterates over the sampling, by the recursion of
    :func:`sgd_moment_step` (no simulation). Introduced in the chapter on SGD.

    Parameters
    ----------
    %(X_y_phi0)s
    %(lr)s
    steps, batch_size, replace : int, int, bool
        K >= 0 steps of B >= 1 draws (distinct: B <= I).
    cov0 : array_like, shape (D, D), optional
        Covariance of a random start (mean ``phi0``); default 0.

    Returns
    -------
    Moments
        ``mean`` (K + 1, D), ``cov`` (K + 1, D, D); infinite after an overflow.
    """
    X, y, phi0 = v.problem(X, y, phi0)
    v.check_finite(X, "X")
    D = X.shape[0]
    lr = v.positive_scalar(lr, "lr")
    K = v.non_negative_int(steps, "steps")
    eta = noise_factor(X.shape[1], batch_size, replace)
    cov = np.zeros((D, D)) if cov0 is None else v.covariance(cov0, D, "cov0")
    v.size_limit((K + 1) * D * D, "(steps + 1) * D**2", what=" values")
    means, covs = np.empty((K + 1, D)), np.empty((K + 1, D, D))
    means[0], covs[0] = phi0, cov
    mean = phi0
    for k in range(K):
        mean, cov = _step(X, y, mean, cov, lr, eta)
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))):
            with np.errstate(over="ignore", invalid="ignore"):
                means[k + 1:] = _descent_means(X, y, phi0, lr, k + 1, K)
            covs[k + 1:] = np.inf
            break
        means[k + 1], covs[k + 1] = mean, cov
    return Moments(means, covs)


def _descent_means(X, y, phi0, lr, k0, K):
    from .spectrum import Descent
    return Spectrum(X, y, checked=True).path(Descent(lr), phi0).params(np.arange(k0, K + 1))


# ----------------------------------------------------------- in the range of A
class _Range(NamedTuple):
    """X, residuals r* scaled by 2**-e in range coordinates V (D, r); lr becomes lr 4**e."""

    Xr: np.ndarray
    A: np.ndarray
    lam: np.ndarray
    V: np.ndarray
    rs: np.ndarray
    e: int


def _range(X, y=None):
    if y is None:
        X = v.design_matrix(X)
        y = np.zeros(X.shape[1])
    else:
        X, y = v.problem(X, y)
    v.check_finite(X, "X")
    spec = Spectrum(X, y, checked=True)
    if spec.rank == 0:
        raise ValueError("X must not be all zeros: its Gram matrix has no positive eigenvalue")
    r = spec.rank
    if r > MAX_RANK:
        raise ValueError(f"the rank of X must be at most {MAX_RANK} (the second-moment "
                         f"operator has rank**4 entries); got rank {r}")
    V = np.asarray(spec.range_basis)
    e = int(np.frexp(np.max(np.abs(X)))[1])  # X = 2**e Xs, |Xs| < 1: products stay finite
    Xr = V.T @ np.ldexp(X, -e)
    lam = np.ldexp(np.asarray(spec.lam), -2 * e)  # A's eigenvalues, V its eigenvectors
    return _Range(Xr, Xr @ Xr.T, lam, V, np.ldexp(X.T @ spec.solution - y, -e), e)


def _kron_parts(Xr):
    """``A``, ``A (x) A`` and ``I sum_i (x_i (x) x_i)(x_i (x) x_i)^T``."""
    I = Xr.shape[1]  # noqa: E741
    A = Xr @ Xr.T
    W = np.einsum("ai,bi->abi", Xr, Xr).reshape(-1, I)  # columns x_i (x) x_i
    return A, np.kron(A, A), I * (W @ W.T)


def _operator(Xr, lr, eta):
    A, AA, M = _kron_parts(Xr)
    P = np.eye(A.shape[0]) - lr * A
    return np.kron(P, P) + (lr * lr * eta) * (M - AA)


@_fill
def second_moment_operator(X, lr, batch_size=1, replace=True):
    r"""One step's linear map on the second moment of :math:`\phi - \phi_{ML}`, (r*r, r*r) on
    row-major vec in range coordinates: :math:`\mathcal T(S) = (I - lr A)S(I - lr A) +
    lr^2\eta(I\sum_i (x_i^TSx_i)x_ix_i^T - ASA)`; bounded iff its spectral radius is < 1."""
    rg = _range(X)
    lr = np.ldexp(v.positive_scalar(lr, "lr"), 2 * _range(X).e)
    return _operator(rg.Xr, lr, noise_factor(rg.Xr.shape[1], batch_size, replace))


@_fill
def sgd_stability_threshold(X, batch_size=1, replace=True) -> float:
    r"""The largest step with bounded second moments, at most descent's
    :math:`2/\lambda_{\max}`. Introduced in the chapter on SGD. With :math:`\mathcal T = \mathrm{id}
    - lr(A\cdot + \cdot A) + lr^2\mathcal Q`, :math:`\mathcal Q(S) = (1 - \eta)ASA + \eta
    I\sum_i (x_i^TSx_i)x_ix_i^T`, the stable steps are an interval ending at
    :math:`lr_{ms} = 1/\mu_{\max}`, :math:`\mathcal Q(S) = \mu(AS + SA)`.

    Parameters
    ----------
    %(X)s
    %(batch_replace)s

    Returns
    -------
    float
    """
    rg = _range(X)
    eta = noise_factor(rg.Xr.shape[1], batch_size, replace)
    A, AA, M = _kron_parts(rg.Xr)
    r = A.shape[0]
    S = np.kron(A, np.eye(r)) + np.kron(np.eye(r), A)
    Q = (1.0 - eta) * AA + eta * M
    import scipy.linalg  # here, not at import: 0.36 s of CPU in every process

    mu = scipy.linalg.eigh(0.5 * (Q + Q.T), 0.5 * (S + S.T), eigvals_only=True)
    return float(np.ldexp(1.0 / mu[-1], -2 * rg.e))


def _noise_at_solution(rg, eta):
    """eta Gamma(phi_ML) in range coordinates."""
    I = rg.Xr.shape[1]  # noqa: E741
    return eta * I * (rg.Xr * rg.rs**2) @ rg.Xr.T


def _stationary_setup(X, y, lr, batch_size, replace):
    """The range, lr on the scaled data (phi and covariances are unchanged), eta."""
    rg = _range(X, y)
    lr = v.positive_scalar(lr, "lr")
    eta = noise_factor(rg.Xr.shape[1], batch_size, replace)
    return rg, np.ldexp(lr, 2 * rg.e), eta


@_fill
def sgd_stationary_covariance(X, y, lr, batch_size=1, replace=True):
    r"""The exact stationary covariance of SGD around :math:`\phi_{ML}`, one linear solve
    :math:`\Sigma_\infty = \mathcal T(\Sigma_\infty) + lr^2\eta\,\Gamma(\phi_{ML})`. Introduced in
    the chapter on SGD.

    Parameters
    ----------
    %(X_y)s
    %(lr)s
        Below :func:`sgd_stability_threshold`.
    %(batch_replace)s

    Returns
    -------
    ndarray, shape (D, D)
    """
    rg, lr, eta = _stationary_setup(X, y, lr, batch_size, replace)
    T = _operator(rg.Xr, lr, eta)
    r = rg.A.shape[0]
    rho = float(np.max(np.abs(np.linalg.eigvals(T))))
    if not rho < 1.0:
        raise ValueError(f"lr must be below the mean-square threshold "
                         f"{sgd_stability_threshold(X, batch_size, replace):.6g} for a "
                         "stationary covariance to exist; got lr="
                         f"{float(np.ldexp(lr, -2 * rg.e))!r}")
    rhs = (lr * lr) * _noise_at_solution(rg, eta)
    S = np.linalg.solve(np.eye(r * r) - T, rhs.reshape(-1)).reshape(r, r)
    S = rg.V @ (0.5 * (S + S.T)) @ rg.V.T
    return 0.5 * (S + S.T)


@_fill
def sgd_ou_covariance(X, y, lr, batch_size=1, replace=True):
    r"""The small-lr (Ornstein-Uhlenbeck) approximation of :func:`sgd_stationary_covariance`,
    :math:`A\Sigma_{OU} + \Sigma_{OU}A = lr\,\eta\,\Gamma(\phi_{ML})`. Introduced in the chapter on
    SGD.

    Parameters
    ----------
    %(X_y)s
    %(lr)s
    %(batch_replace)s

    Returns
    -------
    ndarray, shape (D, D)
    """
    rg, lr, eta = _stationary_setup(X, y, lr, batch_size, replace)
    S = lr * _noise_at_solution(rg, eta) / np.add.outer(rg.lam, rg.lam)  # V: A's eigenbasis
    S = rg.V @ S @ rg.V.T
    return 0.5 * (S + S.T)


# ---------------------------------------------------------------------- simulation
def _draws(rng, n_runs, I, B, replace):  # noqa: E741
    if replace:
        return rng.integers(I, size=(n_runs, B))
    return np.argsort(rng.random((n_runs, I)), axis=1)[:, :B]


def _sgd_update(X, y, phi, idx, lr):
    """One step for each run: ``phi`` (n, D), ``idx`` (n, B)."""
    I, B = X.shape[1], idx.shape[1]  # noqa: E741
    Xb = X[:, idx]  # (D, n, B)
    r = np.einsum("dnb,nd->nb", Xb, phi) - y[idx]
    return phi - (lr * I / B) * np.einsum("dnb,nb->nd", Xb, r)


def _simulation_inputs(X, y, phi0, lr, n_runs, seed):
    X, y, phi0 = v.problem(X, y, phi0)
    v.check_finite(X, "X")
    lr = v.positive_scalar(lr, "lr")
    n_runs = v.positive_int(n_runs, "n_runs")
    seed = v.non_negative_int(seed, "seed")
    return X, y, phi0, lr, n_runs, np.random.default_rng(seed)


@_fill
def sgd_simulate(X, y, phi0, lr, steps, batch_size=1, replace=True, n_runs=1000, seed=0):
    """``n_runs`` seeded runs of SGD, every step kept (Monte Carlo for :func:`sgd_moments`).
    Introduced in the chapter on SGD.

    Parameters
    ----------
    %(X_y_phi0)s
    %(lr)s
    steps, batch_size, replace, n_runs : int, int, bool, int
        K >= 0 steps of B >= 1 draws (distinct: B <= I); N >= 1 runs.
    %(seed)s

    Returns
    -------
    ndarray, shape (N, K + 1, D)
    """
    X, y, phi0, lr, n, rng = _simulation_inputs(X, y, phi0, lr, n_runs, seed)
    K = v.non_negative_int(steps, "steps")
    B = v.batch_size(batch_size, X.shape[1], replace)
    v.size_limit(n * (K + 1) * X.shape[0], "n_runs * (steps + 1) * D", what=" values")
    out = np.empty((n, K + 1, X.shape[0]))
    out[:, 0] = phi0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(K):
            out[:, k + 1] = _sgd_update(X, y, out[:, k], _draws(rng, n, X.shape[1], B,
                                                                  replace), lr)
    return out


@_fill
def sgd_reshuffled(X, y, phi0, lr, epochs, batch_size=1, n_runs=1000, seed=0):
    """``n_runs`` seeded runs of SGD with random reshuffling (a new order every epoch).
    Introduced in the chapter on SGD.

    Parameters
    ----------
    %(X_y_phi0)s
    %(lr)s
    epochs, batch_size, n_runs : int
        E >= 0; B, a divisor of I; N >= 1.
    %(seed)s

    Returns
    -------
    ndarray, shape (N, E * I / B + 1, D)
        Every step; epochs end at multiples of I / B.
    """
    X, y, phi0, lr, n, rng = _simulation_inputs(X, y, phi0, lr, n_runs, seed)
    E = v.non_negative_int(epochs, "epochs")
    I = X.shape[1]  # noqa: E741
    B = v.reshuffle_batch(batch_size, I)
    m = I // B
    v.size_limit(n * (E * m + 1) * X.shape[0], "n_runs * (epochs * I / B + 1) * D",
                 what=" values")
    out = np.empty((n, E * m + 1, X.shape[0]))
    out[:, 0] = phi0
    with np.errstate(over="ignore", invalid="ignore"):
        for e in range(E):
            order = np.argsort(rng.random((n, I)), axis=1)
            for j in range(m):
                k = e * m + j
                out[:, k + 1] = _sgd_update(X, y, out[:, k], order[:, j * B:(j + 1) * B], lr)
    return out


# --------------------------------------------------------------- random reshuffling
@_fill
def reshuffled_epoch_means(X, y, phi0, lr, epochs, batch_size=1):
    """Exact means of reshuffled SGD at the epochs' ends: an epoch is an affine map, random
    through its order alone, so the mean is the map averaged over all I! orders (at most
    ``MAX_ORDERINGS``), applied once per epoch. Introduced in the chapter on SGD.

    Parameters
    ----------
    %(X_y_phi0)s
    %(lr)s
    epochs, batch_size : int
        E >= 0; B, a divisor of I.

    Returns
    -------
    ndarray, shape (E + 1, D)
    """
    X, y, phi0 = v.problem(X, y, phi0)
    v.check_finite(X, "X")
    lr = v.positive_scalar(lr, "lr")
    E = v.non_negative_int(epochs, "epochs")
    D, I = X.shape  # noqa: E741
    B = v.reshuffle_batch(batch_size, I)
    if math.factorial(I) > MAX_ORDERINGS:
        raise ValueError(f"X must have at most 8 columns to enumerate every order of the "
                         f"points ({MAX_ORDERINGS} orders); got I = {I}")
    perms = np.array(list(itertools.permutations(range(I))))  # (P, I)
    P = perms.shape[0]
    M = np.broadcast_to(np.eye(D), (P, D, D)).copy()
    c = np.zeros((P, D))
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(I // B):
            Xb = X[:, perms[:, j * B:(j + 1) * B]]  # (D, P, B)
            G = (I / B) * np.einsum("dpb,epb->pde", Xb, Xb)
            h = (I / B) * np.einsum("dpb,pb->pd", Xb, y[perms[:, j * B:(j + 1) * B]])
            step = np.eye(D) - lr * G
            M = step @ M
            c = np.einsum("pde,pe->pd", step, c) + lr * h
        Mbar, cbar = M.mean(axis=0), c.mean(axis=0)
        out = np.empty((E + 1, D))
        out[0] = phi = phi0
        for e in range(E):
            phi = Mbar @ phi + cbar
            out[e + 1] = phi
    return out


@_fill
def rr_modified_problem(X, y, lr, batch_size=1):
    r"""``(X_mod, y_mod)``, (D, 2I + D) and (2I + D,), whose least-squares loss is SGD's
    modified loss under random reshuffling (Smith et al. 2021), with :math:`L_\beta` the loss
    of a random set of B | I points and :math:`\eta` without replacement:
    :math:`\tilde L_{RR} = L + \tfrac{lr}{4}\mathbb{E}_\beta\lVert\nabla L_\beta\rVert^2
    = L + \tfrac{lr}{4}((1 - \eta)\lVert\nabla L\rVert^2 + \eta I\sum_i \lVert x_i\rVert^2
    (x_i^T\phi - y_i)^2)`."""
    X, y = v.problem(X, y)
    v.check_finite(X, "X")
    lr = v.positive_scalar(lr, "lr")
    I = X.shape[1]  # noqa: E741
    B = v.reshuffle_batch(batch_size, I)
    eta = noise_factor(I, B, replace=False)
    A, b = X @ X.T, X @ y
    a, s = math.sqrt(lr * (1.0 - eta) / 2.0), math.sqrt(lr * eta * I / 2.0)
    norms = np.sqrt(np.sum(X * X, axis=0))
    X_mod = np.hstack([X, a * A, s * X * norms])
    y_mod = np.concatenate([y, a * b, s * norms * y])
    return X_mod, y_mod


@_fill
def rr_modified_loss(X, y, phi, lr, batch_size=1):
    """:func:`rr_modified_problem`'s loss at ``phi`` (D,) or (T, D): a float or (T,)."""
    Xm, ym = rr_modified_problem(X, y, lr, batch_size)
    P = v.path(phi, Xm.shape[0], "phi")
    r = P @ Xm - ym
    out = 0.5 * np.sum(r * r, axis=-1)
    return float(out) if P.ndim == 1 else out


@_fill
def rr_modified_flow(X, y, phi0, lr, t, batch_size=1):
    r"""The flow of :math:`\tilde L_{RR}` (:class:`~gflow_lib.Flow` on the modified data), which
    reshuffled SGD's mean follows to :math:`O(lr^3)` per epoch at :math:`t = e\,(I/B)\,lr`.
    Introduced in the chapter on SGD.

    Parameters
    ----------
    %(X_y_phi0)s
    %(lr)s
    %(t)s
    batch_size : int
        B, a divisor of I.

    Returns
    -------
    ndarray, shape (D,) for scalar ``t``, (T, D) for an array
    """
    Xm, ym = rr_modified_problem(X, y, lr, batch_size)
    return Spectrum(Xm, ym).path(Flow(), phi0).params(t)
