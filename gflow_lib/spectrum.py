r"""One eigenbasis, many filters: the spectral core of the library.

Introduced in the chapter on closed-form flow (``book/closed_form.ipynb``).

With the thin SVD :math:`X = V_r \operatorname{diag}(s) U_r^T` (``X`` is D x I, columns are
data points) and :math:`\lambda = s^2`, every method of the book moves the coordinates
:math:`a = V_r^T\phi_0` of a start toward those of the minimum-norm solution,
:math:`z = \operatorname{diag}(s)^{-1}U_r^T y`, by a scalar filter of each eigenvalue, and
leaves the start's null-space part :math:`P_0\phi_0` alone:

.. math::

    \phi = P_0\phi_0 + V_r(\kappa\, a + F z), \qquad F + \kappa = 1.

The gains :math:`F` are :math:`1 - e^{-\lambda t}` (flow, :func:`filter_flow`),
:math:`1 - (1 - lr\,\lambda)^k` (descent, :func:`filter_descent`),
:math:`1 - e^{-\lambda(1 + lr\lambda/2)t}` (modified flow, :func:`filter_modified_flow`),
:math:`1 - (1 - lr\,\lambda)^{t/lr}` (the exact modified flow of descent,
:func:`filter_exact_modified_flow`) and :math:`\lambda/(\lambda + p)` (ridge,
:func:`filter_ridge`). A :class:`Spectrum` is built once
and applies any of them. Decompositions are computed in this module only.

Numerics: one ``syrk`` and one ``eigh`` of the smaller Gram matrix while it resolves every mode
(all eigenvalues above ``GRAM_RESOLUTION`` times the largest); otherwise the SVD of X, right to
about cond(X) eps instead of cond(X)^2 eps, with rank tolerance ``max(D, I) eps s_max``. The
targets, and an X whose squares leave the safe range, are scaled by powers of two.
"""

from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

import numpy as np

from . import _validation as v

__all__ = [
    "COPY_LIMIT_BYTES",
    "Filter",
    "GRAM_RESOLUTION",
    "GramEigen",
    "Spectrum",
    "filter_descent",
    "filter_exact_modified_flow",
    "filter_flow",
    "filter_modified_flow",
    "filter_ridge",
    "gram_eigen",
    "kernel_coefficients",
    "kernel_eigen",
]

#: Below this ratio of the smallest to the largest Gram eigenvalue (cond(X) > 1e3), the
#: Gram matrix's small eigenvalues carry fewer than 10 correct digits: use the SVD of X.
GRAM_RESOLUTION = 1e-6

#: Data matrices up to this size are copied on construction. A larger X is kept as a
#: read-only view: a copy would double the memory and time of building the flow (benchmark
#: P2). The caller's array and its flags are never changed either way.
COPY_LIMIT_BYTES = 64 * 2**20

#: Column-block width of the fused pass over a wide X (fits a block of 100 rows in cache).
_BLOCK = 16384


# ----------------------------------------------------------------------------- filters
class Filter(NamedTuple):
    """A filter at some eigenvalues, arrays of shape (T, r) with ``gain + keep = 1``, each
    computed without cancellation where it is small."""

    gain: np.ndarray
    keep: np.ndarray


def filter_flow(lam, t) -> Filter:
    r"""Gradient flow for times ``t``: :math:`\kappa = e^{-\lambda t}`,
    :math:`F = -\mathrm{expm1}(-\lambda t)`.

    Introduced in the chapter on closed-form flow. Unchecked 1-D inputs; shape (T, K).
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        x = -np.multiply.outer(t, lam)  # may be -inf for huge t
        return Filter(-np.expm1(x), np.exp(x))


def filter_modified_flow(lam, lr, t) -> Filter:
    r"""The flow of the modified loss :math:`L + \tfrac{lr}{4}\lVert\nabla L\rVert^2`: each
    mode decays at the rate :math:`\lambda(1 + lr\,\lambda/2)`.

    Introduced in the chapter on the loss landscape.
    """
    return filter_flow(lam * (1.0 + 0.5 * lr * lam), t)


def filter_exact_modified_flow(lam, lr, t) -> Filter:
    r"""The gradient flow that gradient descent with step ``lr`` lies on exactly: the flow of
    the quadratic whose Hessian is :math:`A_{lr} = -\log(I - lr\,A)/lr`, so each mode decays at
    the rate

    .. math:: \tilde\lambda = -\frac{\log(1 - lr\,\lambda)}{lr}
        = \lambda\Big(1 + \frac{lr\,\lambda}{2} + \frac{(lr\,\lambda)^2}{3} + \cdots\Big),

    and :math:`\kappa = e^{-\tilde\lambda t} = (1 - lr\,\lambda)^{t/lr}`: at :math:`t = k\,lr`
    it equals :func:`filter_descent` after ``k`` steps. The first two terms of the series are
    :func:`filter_modified_flow`.

    Introduced in the chapter on the loss landscape. Defined for :math:`0 \le lr\,\lambda < 1`
    (the caller checks ``lr < 1/max(lam)``); at :math:`lr\,\lambda = 1` the rate is infinite and
    beyond it descent flips the mode's sign, which no flow does. Unchecked 1-D inputs; shape
    (T, K).
    """
    q = lr * np.asarray(lam, dtype=float)
    return filter_flow(-np.log1p(-q) / lr, t)


def filter_descent(lam, lr, k) -> Filter:
    r"""Gradient descent with step ``lr`` after ``k`` steps:
    :math:`\kappa = (1 - lr\,\lambda)^k`.

    Introduced in the chapter on the loss landscape. Where :math:`0 \le lr\lambda < 1` the
    gain is :math:`-\mathrm{expm1}(k\,\mathrm{log1p}(-lr\lambda))` (exact for tiny steps);
    diverging modes overflow to infinity without warnings.
    """
    k = np.asarray(k, dtype=float)
    q = lr * np.asarray(lam, dtype=float)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        smooth = q < 1.0
        logq = np.log1p(-np.where(smooth, q, 0.0))
        x = np.multiply.outer(k, logq)
        keep = np.where(smooth, np.exp(x), np.power.outer(1.0 - q, k).T)
        gain = np.where(smooth, -np.expm1(x), 1.0 - keep)
    return Filter(gain, keep)


def filter_ridge(lam, penalty) -> Filter:
    r"""Ridge regression with penalty ``p``: :math:`F = \lambda / (\lambda + p)`,
    :math:`\kappa = p / (\lambda + p)`.

    Introduced in the chapter on ML vs MAP. ``penalty`` has shape (L,).
    """
    denom = np.add.outer(penalty, lam)
    return Filter(lam / denom, penalty[:, None] / denom)


# ----------------------------------------------------------------------- decompositions
class GramEigen(NamedTuple):
    lam: np.ndarray
    vecs: np.ndarray


def gram_eigen(X, outer: bool | None = None) -> GramEigen:
    """Eigendecomposition of a Gram matrix of ``X``.

    Introduced in the chapter on closed-form flow (the eigen view).

    Parameters
    ----------
    X : array_like, shape (D, I)
    outer : bool, optional
        ``True`` for ``A = X X^T`` (D x D), ``False`` for ``K = X^T X`` (I x I).
        By default the smaller one.

    Returns
    -------
    GramEigen
        ``lam`` of shape (n,), ascending, with eigenvalues that rank-deficiency leaves at
        rounding level (below ``20 * max(D, I) * eps * max(lam)``) set to exactly 0, and
        ``vecs`` of shape (n, n), orthonormal columns.
    """
    X = v.design_matrix(X)
    if outer is None:
        outer = X.shape[0] <= X.shape[1]
    G = _gram(X, outer)
    v.check_gram_diagonal(np.diagonal(G))
    lam, vecs = np.linalg.eigh(G)
    tol = 20.0 * max(float(lam[-1]), 0.0) * max(X.shape) * np.finfo(float).eps
    return GramEigen(np.where(lam > tol, lam, 0.0), vecs)


def kernel_eigen(K, name: str = "K") -> GramEigen:
    """Eigendecomposition of a symmetric positive semidefinite kernel matrix.

    Introduced in the chapter on function space. Eigenvalues at or below the rounding level
    ``max(I, 1) * eps * max(lam)`` (including slightly negative ones) are set to exactly 0.

    Parameters
    ----------
    K : array_like, shape (I, I)

    Returns
    -------
    GramEigen
        ``lam`` (I,) ascending and orthonormal ``vecs`` (I, I).
    """
    K = v.as_real_array(K, name)
    if K.ndim != 2 or K.shape[0] != K.shape[1] or K.size == 0:
        raise ValueError(f"{name} must be a non-empty square matrix; got shape {K.shape}")
    K = v.covariance(K, K.shape[0], name)
    lam, vecs = np.linalg.eigh(0.5 * (K + K.T))
    tol = max(K.shape[0], 1) * np.finfo(float).eps * max(float(lam[-1]), 0.0)
    return GramEigen(np.where(lam > tol, lam, 0.0), vecs)


def kernel_coefficients(lam, gain):
    r"""What a filter puts on each kernel column :math:`K_{*X}u_k`: :math:`F(\lambda_k)/\lambda_k`
    per mode, shape of ``gain`` ((T, n) or (L, n)).

    Introduced in the chapter on function space. Predictions at new inputs are
    :math:`K_{*X} U \operatorname{diag}(F/\lambda) U^T (y - f_0)`. A zero eigenvalue gets 0:
    for new inputs of the same kernel :math:`K_{*X}u = 0` when :math:`Ku = 0`, so its
    coefficient (``t`` for the flow) would only multiply rounding.
    """
    pos = lam > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pos, gain / np.where(pos, lam, 1.0), 0.0)


def _gram(X, outer):
    """``X X^T`` or ``X^T X`` (BLAS ``syrk``); overflow shows in the diagonal."""
    with np.errstate(over="ignore", invalid="ignore"):
        return X @ X.T if outer else X.T @ X


def _gram_and_xy(X, y):
    """``(X X^T, X y)`` in one pass over a wide X, block by block while it is in cache."""
    D, I = X.shape
    if I < 4 * _BLOCK or not X.flags.c_contiguous:
        with np.errstate(over="ignore", invalid="ignore"):
            return _gram(X, True), X @ y
    G = np.zeros((D, D))
    b = np.zeros(D)
    with np.errstate(over="ignore", invalid="ignore"):
        for s in range(0, I, _BLOCK):
            Xb = X[:, s : s + _BLOCK]
            G += Xb @ Xb.T
            b += Xb @ y[s : s + _BLOCK]
    return G, b


def _exponent(a) -> int:
    """``e`` with ``max |a| / 2**e`` in [0.5, 1) (0 for zeros): scaling by 2**-e is exact."""
    return int(np.frexp(float(np.max(np.abs(a))))[1])


def _ldexp(x, e):
    with np.errstate(over="ignore"):
        return np.ldexp(x, e)


# ----------------------------------------------------------------------------- spectrum
class Spectrum:
    r"""The decomposition of a data matrix, built once, through which every filter acts.

    Introduced in the chapter on closed-form flow. ``basis`` holds the eigenvectors of the
    smaller Gram matrix (V, D x D, when D <= I; U, I x I, otherwise), ascending; the other
    side is reached through ``X`` without forming it.

    Parameters
    ----------
    X : array_like, shape (D, I)
        Copied when at most ``COPY_LIMIT_BYTES``, else kept as a read-only view.
    y : array_like, shape (I,), optional
        Targets; without them ``solution`` and ``loss_min`` are None.
    checked : bool
        True when the caller has validated ``X`` and ``y``.

    Attributes
    ----------
    rank : int
    eigenvalues : ndarray, shape (min(D, I),)
        Of the smaller Gram matrix, ascending, exactly 0 beyond the rank.
    lam, s : ndarray, shape (rank,)
        The nonzero eigenvalues and singular values, ascending.
    method : str
        ``"gram"`` or ``"svd"``.
    solution : ndarray, shape (D,)
        The minimum-norm least-squares solution.
    loss_min : float
        :math:`\tfrac12\lVert X^T\phi^* - y\rVert^2`.
    """

    def __init__(self, X, y=None, *, checked=False):
        if not checked:
            X = v.design_matrix(X)
            if y is not None:
                y = v.vector(y, "y", X.shape[1], X.shape, " (one target per column of X)")
        self.D, self.I = D, I = X.shape
        self.params_side = D <= I  # basis in parameter space (V) or data space (U)
        self.y = None if y is None else v.frozen(y)
        ey = _exponent(y) if y is not None and y.size else 0
        ys = None if y is None else np.ldexp(y, -ey)
        self._ey = ey
        n = min(D, I)

        # X is rescaled only when its squares would leave the range where they keep digits
        Xs, ex = _own(X), 0
        G, b = self._gram(Xs, ys)
        with np.errstate(invalid="ignore"):
            dmax = float(np.max(np.diagonal(G)))
        if not 2.0**-600 < dmax < 2.0**600 and dmax != 0.0:
            v.check_finite(X, "X")
            ex = _exponent(X)
            Xs = _own(np.ldexp(X, -ex))
            G, b = self._gram(Xs, ys)
        v.check_gram_diagonal(np.diagonal(G))
        self._Xs, self._ex = Xs, ex  # X = Xs 2**ex; maps use Xs with its singular values
        lam, basis = np.linalg.eigh(G)
        del G
        if lam[-1] > 0 and lam[0] >= GRAM_RESOLUTION * lam[-1]:
            self.method = "gram"
            ss = np.sqrt(lam)
            nz = np.ones(n, dtype=bool)
            if ys is not None:
                cy = (basis.T @ b) / ss if self.params_side else basis.T @ ys
        else:
            self.method = "svd"
            U, s_desc, Vh = np.linalg.svd(Xs, full_matrices=False)
            ss = s_desc[::-1].copy()
            basis = (U if self.params_side else Vh.T)[:, ::-1].copy()
            tol = max(D, I) * np.finfo(float).eps * (ss[-1] if n else 0.0)
            nz = ss > tol
            ss = np.where(nz, ss, 0.0)
            if ys is not None:
                cy = (Vh @ ys)[::-1]
            del U, Vh
        self._ss = ss[nz]  # singular values of Xs
        with np.errstate(over="ignore", under="ignore"):
            s = np.ldexp(ss, ex)
            lam = s * s
        if not np.all(np.isfinite(lam)):
            v.check_gram_diagonal(np.array([np.inf]))  # the ValueError naming X
        if np.any(nz & (lam < np.finfo(float).tiny)):
            raise ValueError(
                "X must have entries large enough that the eigenvalues of its Gram matrix are "
                f"normal floats (above {np.finfo(float).tiny:.3g}); got max |X| = "
                f"{float(np.max(np.abs(X))):.3g}"
            )
        self.eigenvalues = _readonly(np.where(nz, lam, 0.0))
        self._nz = nz
        self.rank = int(np.count_nonzero(nz))
        self.lam = _readonly(lam[nz])
        self.s = _readonly(s[nz])
        self.basis = _readonly(basis)

        self.solution = self.loss_min = None
        self._cy_s = self._z = self._ys = None
        if ys is not None:
            self._ys = _readonly(ys)
            self._cy_s = cy[nz]  # U_r^T y / 2**ey
            self._z = _ldexp(self._cy_s / self._ss, ey - self._ex)  # the solution's coords
            if not np.all(np.isfinite(self._z)):
                raise ValueError(
                    "y must be small enough, relative to X, that the least-squares solution "
                    f"is finite; got max |y| = {float(np.max(np.abs(y))):.3g}"
                )
            self.solution = _readonly(self.expand(self._z))
            self.loss_min = self._min_loss()

    # ---------------------------------------------------------------- coordinates
    @property
    def X(self):
        """The data matrix (read-only), shape (D, I)."""
        if self._ex == 0:
            return self._Xs
        return _readonly(np.ldexp(self._Xs, self._ex))

    def _gram(self, Xs, ys):
        if self.params_side and ys is not None:
            G, b = _gram_and_xy(Xs, ys)
        else:
            G, b = _gram(Xs, self.params_side), None
        return G, b

    def coords(self, phi):
        r"""Coordinates :math:`V_r^T \phi` of parameter vectors, shape (..., r)."""
        if self.params_side:
            return phi @ self.basis[:, self._nz]
        return ((phi @ self._Xs) @ self.basis[:, self._nz]) / self._ss

    def expand(self, c):
        r"""Parameter vectors :math:`V_r c` from coordinates of shape (..., r): (..., D)."""
        if self.params_side:
            return c @ self.basis[:, self._nz].T
        return ((c / self._ss) @ self.basis[:, self._nz].T) @ self._Xs.T

    def data_expand(self, c):
        r"""Vectors :math:`U_r c` in data space from coordinates (..., r): (..., I)."""
        if self.params_side:
            return ((c / self._ss) @ self.basis[:, self._nz].T) @ self._Xs
        return c @ self.basis[:, self._nz].T

    def null_part(self, phi):
        r"""The part :math:`P_0\phi` of parameter vectors in the null space of :math:`X^T`."""
        if self.params_side:
            V0 = self.basis[:, ~self._nz]
            return (phi @ V0) @ V0.T
        return phi - self.expand(self.coords(phi))

    @cached_property
    def range_basis(self):
        r""":math:`V_r`, shape (D, r): an orthonormal basis of the range of X (read-only)."""
        return _readonly(self.expand(np.eye(self.rank)).T.copy())

    # ------------------------------------------------------------- filtered paths
    def split(self, start):
        """A start's coordinates and null-space part, ``(a, null)``: compute once per start."""
        return self.coords(start), self.null_part(start)

    def params(self, split, filt: Filter):
        r"""Parameters after a filter: :math:`P_0\phi_0 + V_r(\kappa a + F z)`.

        ``split`` is ``(a, null)`` of one start ((r,), (D,)) or of N starts ((N, r), (N, D));
        shape (T, D) or (T, N, D). Non-negative weights: neither end loses digits; a
        diverging descent gives infinities, never NaN.
        """
        a, null = split
        gain, keep = filt
        if a.ndim == 2:
            gain, keep = gain[:, None, :], keep[:, None, :]
        with np.errstate(over="ignore", invalid="ignore"):
            c = keep * a + gain * self._z
            bad = ~np.isfinite(c)
            if np.any(bad):  # diverging modes: z + keep (a - z), with keep infinite
                d = np.broadcast_to(a - self._z, c.shape)
                c = np.where(bad, self._z + np.where(d == 0, 0.0, keep * d), c)
            return self.expand(c) + null

    def _start_residual_coords(self, a):
        """The start's residual in the modes, :math:`s a - U_r^T y`."""
        return self.s * a - _ldexp(self._cy_s, self._ey)

    def outputs(self, split, filt: Filter):
        r"""Outputs :math:`X^T\phi = U_r(\kappa\, s a + F\, U_r^T y)`, shape (T, I).

        Computed from the modes, so outputs near zero keep their relative accuracy."""
        a, _ = split
        with np.errstate(over="ignore", invalid="ignore"):
            c = filt.keep * (self.s * a) + filt.gain * _ldexp(self._cy_s, self._ey)
            return self.data_expand(c)

    def residuals(self, split, filt: Filter):
        r"""Residuals :math:`X^T\phi - y = U_r(\kappa\, w) + r^*`, with :math:`w` the start's
        residual in the modes and :math:`r^*` the least-squares residual (exactly 0 when
        rank = I), shape (T, I)."""
        a, _ = split
        with np.errstate(over="ignore", invalid="ignore"):
            out = self.data_expand(filt.keep * self._start_residual_coords(a))
            if self.rank < self.I:
                out += _ldexp(self._ls_residual_scaled, self._ey)
        return out

    def loss(self, split, filt: Filter):
        r"""Loss :math:`L^* + \tfrac12\sum_k (\kappa_k w_k)^2`, shape (T,): no (T, I) array."""
        a, _ = split
        with np.errstate(over="ignore", invalid="ignore"):
            w = filt.keep * self._start_residual_coords(a)
            return self.loss_min + 0.5 * np.sum(w * w, axis=-1)

    def spread(self, X_new, keep, prior_cov):
        r"""Variance of predictions at ``X_new`` (D, M) when the start is
        :math:`N(\cdot, \Sigma_0)` and each mode keeps the fraction ``keep`` (T, r):

        .. math::

            \operatorname{diag}(X_*^T M \Sigma_0 M^T X_*), \qquad
            M = P_0 + V_r \operatorname{diag}(\kappa) V_r^T.

        ``prior_cov`` is (D, D) or a scalar variance. Memory O((r + M) D), in blocks of times.
        """
        Vr = self.range_basis
        Y = Vr.T @ X_new  # (r, M)
        N = X_new - Vr @ Y  # null-space part of the inputs
        iso = np.ndim(prior_cov) == 0  # a variance times the identity
        SN = prior_cov * N if iso else prior_cov @ N
        null_var = np.einsum("dm,dm->m", N, SN)
        cross = 0.0 if iso else 2.0 * Y * (Vr.T @ SN)  # (r, M); V_r^T N = 0 exactly
        G = prior_cov * np.eye(self.rank) if iso else Vr.T @ (prior_cov @ Vr)  # (r, r)
        T, M, r = keep.shape[0], X_new.shape[1], self.rank
        if r * r * M <= 1 << 22 and T * r * r <= 1 << 22:
            # Every term at once: [keep x keep, keep, 1] @ [Y_j G_jk Y_k; cross; null_var]
            Q = (Y[:, None, :] * G[:, :, None] * Y[None, :, :]).reshape(r * r, M)
            feats = np.hstack([(keep[:, :, None] * keep[:, None, :]).reshape(T, r * r),
                               keep, np.ones((T, 1))])
            with np.errstate(over="ignore", invalid="ignore"):
                return feats @ np.vstack([Q, np.broadcast_to(cross, (r, M)), null_var])
        out = np.empty((T, M))
        step = max(1, (1 << 20) // max(1, r * M))
        with np.errstate(over="ignore", invalid="ignore"):
            for i in range(0, T, step):  # blocks of times: memory O(r M) per time
                k = keep[i : i + step]
                kY = k[:, :, None] * Y  # (Tc, r, M)
                out[i : i + step] = np.sum(kY * (G @ kY), axis=1) + null_var
                if not iso:
                    out[i : i + step] += k @ cross
        return out

    # -------------------------------------------------------------- least squares
    @cached_property
    def _ls_residual_scaled(self):
        """The least-squares residual :math:`X^T\\phi^* - y`, divided by 2**ey."""
        if self.rank == self.I:
            return np.zeros(self.I)
        return self.data_expand(self._cy_s) - self._ys

    def _min_loss(self) -> float:
        """Half of ``|y|^2 - |U_r^T y|^2``, or of the residual's squared norm (one more pass
        over X) when that difference has lost over 3 digits."""
        if self.rank == self.I:
            return 0.0
        yy = float(self._ys @ self._ys)
        diff = yy - float(self._cy_s @ self._cy_s)
        if diff < 1e-3 * yy:
            r = self._ls_residual_scaled
            diff = float(r @ r)
        return float(_ldexp(0.5 * max(diff, 0.0), 2 * self._ey))

    def __repr__(self):
        return f"Spectrum(D={self.D}, I={self.I}, rank={self.rank}, method={self.method!r})"


def _readonly(a):
    a = np.asarray(a)
    a.flags.writeable = False
    return a


def _own(X):
    """A read-only array the object owns: a copy of a small X, a view of a large one."""
    X = np.array(X, copy=True) if X.nbytes <= COPY_LIMIT_BYTES else X.view()
    X.flags.writeable = False
    return X
