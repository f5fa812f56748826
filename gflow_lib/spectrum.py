r"""One eigenbasis, many filters: the spectral core of the library.
Introduced in the chapter on closed-form flow (``book/closed_form.ipynb``). With the thin SVD
:math:`X = V_r \operatorname{diag}(s) U_r^T` and :math:`\lambda = s^2`, every method moves the
coordinates :math:`a = V_r^T\phi_0` of a start toward those of the minimum-norm solution,
:math:`z = \operatorname{diag}(s)^{-1}U_r^T y`, by a scalar filter of each eigenvalue, and
leaves the start's null-space part :math:`P_0\phi_0` alone:

.. math:: \phi = P_0\phi_0 + V_r(\kappa\, a + F z), \qquad F + \kappa = 1.

**The protocol.** A *filter* is an object called as ``f(eigenvalues, index)`` that returns
``Filter(gain, keep)``, arrays of shape (T, r), ``gain + keep = 1``, each computed without
cancellation. Its ``index_kind`` says what the index is: ``"time"`` (t >= 0), ``"steps"``
(integers k >= 0) or ``"penalty"`` (>= 0). The book's filters:

=================================  ==========  ===========================================
filter                             index       gain :math:`F`
=================================  ==========  ===========================================
:class:`Flow` ()                   time t      :math:`1 - e^{-\lambda t}`
:class:`Descent` (lr)              steps k     :math:`1 - (1 - lr\,\lambda)^k`
:class:`ModifiedFlow` (lr)         time t      :math:`1 - e^{-\lambda(1 + lr\lambda/2)t}`
:class:`ExactModifiedFlow` (lr)    time t      :math:`1 - (1 - lr\,\lambda)^{t/lr}`
:class:`Ridge` ()                  penalty p   :math:`\lambda/(\lambda + p)`
=================================  ==========  ===========================================

An optional ``log_keep(eigenvalues, index)``, :math:`\log|\kappa|`, lets residuals and losses
survive where :math:`\kappa` under- or overflows. :class:`Spectrum` (from ``X``, ``y``) and
:class:`KernelSpectrum` (from a kernel matrix ``K``, ``y``) apply any filter through
``.path(filter, start)``: a :class:`SpectrumPath` or :class:`KernelPath` with ``outputs``,
``residuals``, ``loss``, ``predict`` (and ``params``) along the filter's index; a scalar
index gives one value's shape, an array of T a leading axis T.

**Zero eigenvalues** (exactly 0, or 0 at rounding level) are modes the data do not see: they
keep their start (:math:`\kappa = 1`), and where a gain is divided by its eigenvalue
(:math:`F/\lambda`) the quotient is 0, the convention of ``numpy.linalg.pinv``.

Numerics: one ``eigh`` of the smaller Gram matrix while it resolves every mode (eigenvalues
above ``GRAM_RESOLUTION`` times the largest), else the SVD of X; inputs near the ends of the
float range are scaled by powers of two (exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

from . import _docs
from . import _validation as v

__all__ = [
    "COPY_LIMIT_BYTES",
    "Descent",
    "ExactModifiedFlow",
    "Filter",
    "Flow",
    "GRAM_RESOLUTION",
    "GramEigen",
    "INDEX_KINDS",
    "KernelPath",
    "KernelSpectrum",
    "ModifiedFlow",
    "Ridge",
    "Spectrum",
    "SpectrumPath",
    "gram_eigen",
    "kernel_coefficients",
    "kernel_eigen",
    "spectrum_of",
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

_TINY = np.finfo(float).tiny


# ----------------------------------------------------------------------------- filters
class Filter(NamedTuple):
    """A filter at some eigenvalues: ``gain`` and ``keep``, each (T, r), ``gain + keep = 1``."""

    gain: np.ndarray
    keep: np.ndarray


#: What a filter's ``index_kind`` may be: how each kind of index is checked once per call of a
#: path method, and the name its errors use.
INDEX_KINDS = {
    "time": (v.times, "t"),
    "steps": (v.step_counts, "k"),
    "penalty": (v.ridge_penalties, "penalty"),
}


def _index(index):
    """An unchecked index as a 1-D float array (filters called directly accept scalars)."""
    return np.atleast_1d(np.asarray(index, dtype=float))


class _Rate:
    r"""A flow whose mode decays at ``rate(lam)``: :math:`\kappa = e^{-\text{rate}\,t}`."""

    index_kind = "time"

    def rate(self, lam):
        return lam

    def log_keep(self, lam, t):
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return -np.multiply.outer(_index(t), self.rate(np.asarray(lam, dtype=float)))

    def __call__(self, lam, t) -> Filter:
        x = self.log_keep(lam, t)  # may be -inf for huge t
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return Filter(-np.expm1(x), np.exp(x))


def _lr(obj):
    object.__setattr__(obj, "lr", v.positive_scalar(obj.lr, "lr"))


@dataclass(frozen=True)
class Flow(_Rate):
    r"""Gradient flow for times ``t``: :math:`\kappa = e^{-\lambda t}`,
    :math:`F = -\mathrm{expm1}(-\lambda t)`. Introduced in the chapter on closed-form flow."""

    #: Homogeneous: the flow at eigenvalues c lam and time t is the flow at lam and c t.
    index_scale = 1


@_docs.fill
@dataclass(frozen=True)
class ModifiedFlow(_Rate):
    r"""The flow of the modified loss :math:`L + \tfrac{lr}{4}\lVert\nabla L\rVert^2`, which
    descent with step ``lr`` follows to second order: rate :math:`\lambda(1 + lr\,\lambda/2)`.
    Introduced in the chapter on the loss landscape.

    Parameters
    ----------
    %(lr)s
    """

    lr: float
    __post_init__ = _lr

    def rate(self, lam):
        with np.errstate(over="ignore"):
            return lam * (1.0 + 0.5 * self.lr * lam)


@_docs.fill
@dataclass(frozen=True)
class ExactModifiedFlow(_Rate):
    r"""The gradient flow that gradient descent with step ``lr`` lies on exactly, with rate

    .. math:: \tilde\lambda = -\frac{\log(1 - lr\,\lambda)}{lr}
        = \lambda\Big(1 + \frac{lr\,\lambda}{2} + \frac{(lr\,\lambda)^2}{3} + \cdots\Big),

    so at :math:`t = k\,lr` it equals :class:`Descent` after ``k`` steps.
    Introduced in the chapter on the loss landscape.

    Parameters
    ----------
    %(lr)s
        Below :math:`1/\lambda_{\max}` (else a ``ValueError`` names ``lr``).
    """

    lr: float
    __post_init__ = _lr

    def rate(self, lam):
        q = self.lr * np.asarray(lam, dtype=float)
        if q.size and not float(np.max(q)) < 1.0:
            lam_max = float(np.max(lam))
            raise ValueError(
                f"lr must be below 1/lambda_max = {1.0 / lam_max:.6g} for descent to lie on a "
                "gradient flow (each step multiplies a mode by 1 - lr*lambda, which must stay "
                f"positive); got lr={self.lr!r}"
            )
        return -np.log1p(-q) / self.lr


@_docs.fill
@dataclass(frozen=True)
class Descent:
    r"""Gradient descent with step ``lr`` after ``k`` steps: :math:`\kappa = (1 - lr\,\lambda)^k`.
    Introduced in the chapter on the loss landscape. Diverging modes overflow to infinity.

    Parameters
    ----------
    %(lr)s
    """

    lr: float
    index_kind = "steps"
    __post_init__ = _lr

    def __call__(self, lam, k) -> Filter:
        k = _index(k)
        q = self.lr * np.asarray(lam, dtype=float)
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            smooth = q < 1.0
            logq = np.log1p(-np.where(smooth, q, 0.0))
            x = np.multiply.outer(k, logq)
            keep = np.where(smooth, np.exp(x), np.power.outer(1.0 - q, k).T)
            gain = np.where(smooth, -np.expm1(x), 1.0 - keep)
        return Filter(gain, keep)

    def log_keep(self, lam, k):
        q = self.lr * np.asarray(lam, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.multiply.outer(_index(k), np.where(q < 1.0, np.log1p(-np.minimum(q, 1.0)),
                                                         np.log(np.abs(1.0 - q))))


@dataclass(frozen=True)
class Ridge:
    r"""Ridge regression with penalty ``p``: :math:`F = \lambda / (\lambda + p)`,
    :math:`\kappa = p / (\lambda + p)`. Introduced in the chapter on ML vs MAP."""

    index_kind = "penalty"
    #: Homogeneous: ridge at eigenvalues c lam and penalty p is ridge at lam and p / c.
    index_scale = -1

    def __call__(self, lam, penalty) -> Filter:
        p = _index(penalty)
        lam = np.asarray(lam, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            denom = np.add.outer(p, lam)
            ok = denom > 0
            inf = np.isinf(p)[:, None]
            keep = np.where(inf, 1.0, np.where(ok, p[:, None] / np.where(ok, denom, 1.0), 1.0))
            gain = np.where(inf, 0.0, np.where(ok, lam / np.where(ok, denom, 1.0), 0.0))
        return Filter(gain, keep)


def _check_filter(f):
    """A filter object: callable, not a class, with a known ``index_kind``."""
    kind = getattr(f, "index_kind", None)
    if isinstance(f, type) or not callable(f) or kind not in INDEX_KINDS:
        hint = f"; call the class: {f.__name__}()" if isinstance(f, type) else ""
        raise TypeError(
            "filter must be a filter object such as gflow_lib.Flow(): called as "
            "f(eigenvalues, index) -> Filter(gain, keep), with index_kind one of "
            f"{sorted(INDEX_KINDS)}; got {v.describe(f)}{hint}")
    return f


def _evaluate(f, lam, idx, lam_s=None, ex=0):
    """``f(lam, idx)`` checked for shape (T, r), homogeneous filters at scaled eigenvalues."""
    out = f(*_scaled(f, lam, idx, lam_s, ex))
    try:
        gain, keep = out
        ok = np.shape(gain) == np.shape(keep) == (idx.size, lam.size)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"filter {f!r} must return Filter(gain, keep), two arrays of shape "
                         f"(T, r) = ({idx.size}, {lam.size}); got {v.describe(out)}")
    return Filter(np.asarray(gain, dtype=float), np.asarray(keep, dtype=float))


def kernel_coefficients(lam, gain):
    r"""What a filter puts on each kernel column :math:`K_{*X}u_k`: :math:`F(\lambda_k)/\lambda_k`,
    0 at a zero eigenvalue (shape of ``gain``). Introduced in the chapter on function space:
    predictions at new inputs are :math:`K_{*X} U \operatorname{diag}(F/\lambda) U^T (y - f_0)`."""
    pos = lam > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(pos, gain / np.where(pos, lam, 1.0), 0.0)


def _scaled(f, lam, idx, lam_s, ex):
    """The eigenvalues and index at which to evaluate ``f`` (see :func:`_evaluate`)."""
    k = getattr(f, "index_scale", None)
    if ex < 0 and k and lam_s is not None:
        with np.errstate(over="ignore", under="ignore"):
            return lam_s, np.ldexp(idx, 2 * ex * k)
    return lam, idx


def _log_keep(f, lam, idx, lam_s=None, ex=0):
    """``f.log_keep`` at the eigenvalues the filter sees, or None."""
    fn = getattr(f, "log_keep", None)
    return None if fn is None else np.asarray(fn(*_scaled(f, lam, idx, lam_s, ex)))


def _decay(keep, d, log_keep):
    r"""``keep * d``, from :math:`\log|\kappa| + \log|d|` where ``keep`` under- or overflows."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        p = keep * d
        off = ((np.abs(keep) < _TINY) & (d != 0)) | ~np.isfinite(keep)
    if not np.any(off):
        return p, None
    lk = log_keep()
    if lk is None:
        return np.where(np.isinf(keep) & (d == 0), 0.0, p), None
    if p.ndim == 3:
        lk = lk[:, None, :]
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        logp = lk + np.log(np.abs(d))
        exact = np.where(d == 0, 0.0, np.copysign(1.0, keep) * np.sign(d) * np.exp(logp))
    p = np.where(off, exact, p)
    return p, (None if np.all(np.isfinite(p)) else logp)


def _mapped(lin, c, logc):
    """``lin(c)`` for a linear map of the last axis, overflowing to signed infinities, never NaN."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        out = lin(c)
    bad = ~np.all(np.isfinite(c), axis=-1)
    if logc is None or not np.any(bad):
        return out
    lc = np.where((np.isfinite(c) & (c == 0)) | np.isnan(logc), -np.inf, logc)[bad]
    m = np.max(lc, axis=-1, keepdims=True)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        u = lin(np.sign(c[bad]) * np.exp(lc - m))
        out[bad] = np.where(u == 0, 0.0, u * np.exp(m))
    return out


# ----------------------------------------------------------------------- decompositions
class GramEigen(NamedTuple):
    lam: np.ndarray
    vecs: np.ndarray


@_docs.fill
def gram_eigen(X, outer: bool | None = None) -> GramEigen:
    """Eigendecomposition of a Gram matrix of ``X``.
    Introduced in the chapter on closed-form flow (the eigen view).

    Parameters
    ----------
    %(X)s
    outer : bool, optional
        ``True`` for ``A = X X^T`` (D x D), ``False`` for ``K = X^T X`` (I x I); default: smaller.

    Returns
    -------
    GramEigen
        ``lam`` (n,) ascending, exactly 0 at rounding level (below
        ``20 * max(D, I) * eps * max(lam)``), and orthonormal ``vecs`` (n, n) as columns.
    """
    X = v.design_matrix(X)
    if outer is None:
        outer = X.shape[0] <= X.shape[1]
    G = _gram(X, outer)
    v.check_gram_diagonal(np.diagonal(G))
    lam, vecs = np.linalg.eigh(G)
    tol = 20.0 * max(float(lam[-1]), 0.0) * max(X.shape) * np.finfo(float).eps
    return GramEigen(np.where(lam > tol, lam, 0.0), vecs)


def _kernel_decomposition(K, name):
    """Check a kernel matrix and decompose it with one ``eigh`` (also the PSD check)."""
    K = v.square_matrix(K, name)
    I = K.shape[0]  # noqa: E741
    amax = max(float(K.max()), -float(K.min()))  # max |K| without a temporary of its size
    ek = _exponent(K) if not 2.0**-500 < amax < 2.0**500 and amax != 0.0 else 0
    Ks = np.ldexp(K, -ek) if ek else K
    scale = max(float(np.max(np.abs(Ks))) if ek else amax, _TINY)
    lam, vecs = np.linalg.eigh(v.symmetric_part(Ks, name, scale, ek))
    if lam[0] < -1e-10 * scale * I:
        raise ValueError(f"{name} must be positive semidefinite; got smallest eigenvalue "
                         f"{float(np.ldexp(lam[0], ek)):.3g}")
    tol = max(I, 1) * np.finfo(float).eps * max(float(lam[-1]), 0.0)
    lam = np.where(lam > tol, lam, 0.0)
    with np.errstate(over="ignore"):
        lam = np.ldexp(lam, ek)
    if not np.all(np.isfinite(lam)):
        raise ValueError(f"{name} must have finite eigenvalues; got max |{name}| = {amax:.3g}, "
                         "whose largest eigenvalue overflows")
    return lam, vecs


@_docs.fill
def kernel_eigen(K, name: str = "K") -> GramEigen:
    """Eigendecomposition of a symmetric positive semidefinite kernel matrix.
    Introduced in the chapter on function space. Eigenvalues at or below
    ``max(I, 1) * eps * max(lam)`` (also slightly negative ones) are set to 0.

    Parameters
    ----------
    %(K)s

    Returns
    -------
    GramEigen
        ``lam`` (I,) ascending and orthonormal ``vecs`` (I, I).
    """
    return GramEigen(*_kernel_decomposition(K, name))


def _gram(X, outer):
    """``X X^T`` or ``X^T X`` (BLAS ``syrk``); overflow shows in the diagonal."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return X @ X.T if outer else X.T @ X


def _gram_and_xy(X, y):
    """``(X X^T, X y)`` in one pass over a wide X, block by block while it is in cache."""
    D, I = X.shape
    if I < 4 * _BLOCK or not X.flags.c_contiguous:
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return _gram(X, True), X @ y
    G = np.zeros((D, D))
    b = np.zeros(D)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for s in range(0, I, _BLOCK):
            Xb = X[:, s : s + _BLOCK]
            G += Xb @ Xb.T
            b += Xb @ y[s : s + _BLOCK]
    return G, b


def _exponent(a) -> int:
    """``e`` with ``max |a| / 2**e`` in [0.5, 1) (0 for zeros): scaling by 2**-e is exact."""
    return int(np.frexp(float(np.max(np.abs(a))))[1])


def _ldexp(x, e):
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(x, e)


# ----------------------------------------------------------------------------- spectrum
@_docs.fill
class Spectrum:
    r"""The decomposition of a data matrix, built once, through which every filter acts.
    Introduced in the chapter on closed-form flow; ``.path(filter, phi0)`` follows any filter.

    Parameters
    ----------
    X : array_like, shape (D, I)
        Data matrix (copied when small, else kept as a read-only view).
    y : array_like, shape (I,), optional
        Targets; without them there is no solution and no path.
    checked : bool
        True when the caller has validated ``X`` and ``y``.
    metric : array_like, shape (D, D), optional
        A symmetric positive definite preconditioner P for the flow :math:`\dot\phi = -P\nabla L`
        (Newton: :math:`P = (XX^T)^{-1}`): the spectrum of :math:`P^{1/2}X` in the coordinates
        :math:`\psi = P^{-1/2}\phi`, so it changes the basis, not the filter; ``solution`` is then
        the least-squares solution of least :math:`\phi^T P^{-1}\phi`.

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

    def __init__(self, X, y=None, *, checked=False, metric=None):
        if not checked:
            X = v.design_matrix(X)
            if y is not None:
                y = v.vector(y, "y", X.shape[1], X.shape, " (one target per column of X)")
        self.metric = self._root = self._iroot = None
        if metric is not None:  # the flow of psi = P^{-1/2} phi is that of P^{1/2} X
            self.metric = v.frozen(v.metric(metric, X.shape[0]))
            w, Q = np.linalg.eigh(0.5 * (self.metric + self.metric.T))
            self._root = _readonly((Q * np.sqrt(w)) @ Q.T)
            self._iroot = _readonly((Q / np.sqrt(w)) @ Q.T)
            self._X_given = _own(X)
            X = self._root @ X
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
        # (a Gram diagonal of 0 is an X of zeros, or one whose squares underflow)
        if not 2.0**-600 < dmax < 2.0**600 and (dmax != 0.0 or np.any(X)):
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
        self._lam_s = self._ss * self._ss  # eigenvalues of Xs Xs^T: lam = lam_s 4**ex
        with np.errstate(over="ignore", under="ignore"):
            s = np.ldexp(ss, ex)
            lam = np.ldexp(ss * ss, 2 * ex)
        if not np.all(np.isfinite(lam)):
            v.check_gram_diagonal(np.array([np.inf]))  # the ValueError naming X
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

    def path(self, filter, start=None) -> SpectrumPath:  # noqa: A002
        """The path of ``filter`` from ``start`` (``phi0`` (D,) or N starts (N, D); zeros)."""
        return SpectrumPath(self, filter, start)

    def filter_at(self, filter, index):  # noqa: A002
        """``filter`` at the nonzero eigenvalues and a checked 1-D ``index``: (T, rank) arrays."""
        return _evaluate(filter, self.lam, index, self._lam_s, self._ex)

    # ---------------------------------------------------------------- coordinates
    @property
    def X(self):
        """The data matrix (read-only), shape (D, I)."""
        if self.metric is not None:
            return self._X_given
        if self._ex == 0:
            return self._Xs
        return _readonly(np.ldexp(self._Xs, self._ex))

    def _gram(self, Xs, ys):
        if self.params_side and ys is not None:
            G, b = _gram_and_xy(Xs, ys)
        else:
            G, b = _gram(Xs, self.params_side), None
        return G, b

    def _psi(self, phi):
        r"""Parameters in the coordinates the spectrum decomposes, :math:`P^{-1/2}\phi`."""
        return phi if self._iroot is None else phi @ self._iroot

    def _tilde(self, X_new):
        r"""Inputs as the decomposed data see them, :math:`P^{1/2}X_*`."""
        return X_new if self._root is None else self._root @ X_new

    def coords(self, phi):
        r"""Coordinates :math:`V_r^T \phi` of parameter vectors, shape (..., r)."""
        phi = self._psi(phi)
        if self.params_side:
            return phi @ self.basis[:, self._nz]
        return ((phi @ self._Xs) @ self.basis[:, self._nz]) / self._ss

    def expand(self, c):
        r"""Parameter vectors :math:`V_r c` from coordinates of shape (..., r): (..., D)."""
        out = self._expand_psi(c)
        return out if self._root is None else out @ self._root

    def _expand_psi(self, c):
        if self.params_side:
            return c @ self.basis[:, self._nz].T
        return ((c / self._ss) @ self.basis[:, self._nz].T) @ self._Xs.T

    def data_expand(self, c):
        r"""Vectors :math:`U_r c` in data space from coordinates (..., r): (..., I)."""
        if self.params_side:
            return ((c / self._ss) @ self.basis[:, self._nz].T) @ self._Xs
        return c @ self.basis[:, self._nz].T

    def null_part(self, phi):
        r"""The part :math:`P_0\phi` of parameter vectors in the null space of :math:`X^T`
        (with a metric, :math:`P^{1/2}P_0P^{-1/2}\phi`: the part no step moves)."""
        if self.params_side:
            V0 = self.basis[:, ~self._nz]
            out = (self._psi(phi) @ V0) @ V0.T
            return out if self._root is None else out @ self._root
        return phi - self.expand(self.coords(phi))

    @cached_property
    def range_basis(self):
        r""":math:`V_r`, shape (D, r): an orthonormal basis of the range of X (of
        :math:`P^{1/2}X` with a metric) (read-only)."""
        return _readonly(self._expand_psi(np.eye(self.rank)).T.copy())

    @property
    def solution_coords(self):
        r"""The minimum-norm solution's coordinates :math:`z = V_r^T\phi^*`, shape (r,)."""
        return self._z

    def split(self, start):
        """A start's coordinates and null-space part, ``(a, null)``: compute once per start."""
        return self.coords(start), self.null_part(start)

    def spread(self, X_new, keep, prior_cov):
        r"""Variance of predictions at ``X_new`` (D, M) when the start is :math:`N(\cdot, \Sigma_0)`
        and each mode keeps the fraction ``keep`` (T, r), ``prior_cov`` (D, D) or a scalar
        variance (unchecked): :math:`\operatorname{diag}(X_*^T M \Sigma_0 M^T X_*)`,
        :math:`M = P_0 + V_r \operatorname{diag}(\kappa) V_r^T`."""
        if self._root is not None:  # the crowd of psi0 = P^{-1/2} phi0 at P^{1/2} X_new
            X_new = self._root @ X_new
            prior_cov = self._iroot @ (prior_cov * self._iroot if np.ndim(prior_cov) == 0
                                       else prior_cov @ self._iroot)
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
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):
                return feats @ np.vstack([Q, np.broadcast_to(cross, (r, M)), null_var])
        out = np.empty((T, M))
        step = max(1, (1 << 20) // max(1, r * M))
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
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
        """Half the squared least-squares residual, without losing digits."""
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


def spectrum_of(X, y=None) -> Spectrum:
    """``X`` if it is a built :class:`Spectrum` (then ``y`` is None), else ``Spectrum(X, y)``."""
    if isinstance(X, Spectrum):
        if y is not None:
            raise TypeError("give y only with a data matrix X: a Spectrum holds its own targets")
        return X
    return Spectrum(X, y)


# -------------------------------------------------------------------------------- paths
class _Path:
    """What both paths share: the filter, its index check, and scalar/array handling."""

    def __init__(self, spectrum, filter, kind, build):  # noqa: A002
        self.filter = _check_filter(filter)
        self._check_index, self._index_name = INDEX_KINDS[filter.index_kind]
        if not isinstance(spectrum, kind):
            raise TypeError(f"spectrum must be a {kind.__name__}; got {v.describe(spectrum)}")
        if spectrum.y is None:
            raise ValueError(f"the spectrum has no targets y: build it as {build} to follow a "
                             "path")
        self.spectrum = spectrum

    def _filt(self, index):
        """``(idx, scalar, gain, keep)`` with the index checked once."""
        idx, scalar = self._check_index(index, self._index_name)
        gain, keep = self._evaluate(idx)
        if self._a.ndim == 2:
            gain, keep = gain[:, None, :], keep[:, None, :]
        return idx, scalar, gain, keep

    def _decay(self, keep, d, idx):
        return _decay(keep, d, lambda: self._log_keep(idx))


class SpectrumPath(_Path):
    r"""A filter's path through a :class:`Spectrum` from a start ``phi0``, in parameter space,
    with ``(F, kappa) = filter(lam, index)``:

    .. math:: \phi = P_0\phi_0 + V_r(\kappa\, a + F z), \qquad f = X^T\phi.

    Introduced in the chapter on closed-form flow. Built by ``Spectrum(X, y).path(filter,
    phi0)``; :class:`~gflow_lib.LinearFlow` is the path of :class:`Flow`. Each method takes the
    filter's ``index`` (a scalar, or T values: a leading axis T) and returns one value's shape.

    Attributes
    ----------
    spectrum, filter, phi0
        The spectrum, the filter and the start (D,) or (N, D), read-only; N starts give an axis
        N after the index axis. ``X``, ``y``, ``eigenvalues``, ``rank``, ``D``, ``I``: the
        spectrum's.
    """

    def __init__(self, spectrum, filter, phi0=None):  # noqa: A002
        super().__init__(spectrum, filter, Spectrum, "Spectrum(X, y)")
        spec = spectrum
        self.D, self.I = spec.D, spec.I
        self.phi0 = v.frozen(v.starts(phi0, spec.D, "phi0"))
        self._a, self._null = spec.split(self.phi0)

    X = property(lambda self: self.spectrum.X)
    y = property(lambda self: self.spectrum.y)
    eigenvalues = property(lambda self: self.spectrum.eigenvalues)
    rank = property(lambda self: self.spectrum.rank)

    def _evaluate(self, idx):
        return self.spectrum.filter_at(self.filter, idx)

    def _log_keep(self, idx):
        spec = self.spectrum
        return _log_keep(self.filter, spec.lam, idx, spec._lam_s, spec._ex)

    def _coords(self, idx, gain, keep):
        r"""Coordinates :math:`\kappa a + F z` (T, [N,] r); log magnitudes where they overflow."""
        z = self.spectrum._z
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            c = keep * self._a + gain * z
        if np.all(np.isfinite(c)):
            return c, None
        p, logp = self._decay(keep, self._a - z, idx)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return np.where(np.isfinite(c), c, z + p), logp

    def _w(self):
        """The start's residual in the modes, :math:`s a - U_r^T y`."""
        spec = self.spectrum
        return spec.s * self._a - _ldexp(spec._cy_s, spec._ey)

    def params(self, index):
        r"""Parameters :math:`\phi`, shape (D,) (or (N, D) for N starts)."""
        idx, scalar, gain, keep = self._filt(index)
        c, logc = self._coords(idx, gain, keep)
        return v.unbatch(_mapped(self.spectrum.expand, c, logc) + self._null, scalar)

    def outputs(self, index):
        r"""Outputs :math:`X^T\phi = U_r(\kappa\, s a + F\, U_r^T y)` at the data, shape (I,)."""
        idx, scalar, gain, keep = self._filt(index)
        spec = self.spectrum
        cy = _ldexp(spec._cy_s, spec._ey)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            c = keep * (spec.s * self._a) + gain * cy
        logc = None
        if not np.all(np.isfinite(c)):
            p, logc = self._decay(keep, self._w(), idx)
            c = np.where(np.isfinite(c), c, cy + p)
        return v.unbatch(_mapped(spec.data_expand, c, logc), scalar)

    def residuals(self, index):
        r"""Residuals :math:`X^T\phi - y = U_r(\kappa\, w) + r^*`, shape (I,), each mode to its own
        relative accuracy (:math:`w`: the start's residual in the modes; :math:`r^*`: the
        least-squares residual)."""
        idx, scalar, _, keep = self._filt(index)
        spec = self.spectrum
        p, logp = self._decay(keep, self._w(), idx)
        out = _mapped(spec.data_expand, p, logp)
        if spec.rank < spec.I:
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):
                out = out + _ldexp(spec._ls_residual_scaled, spec._ey)
        return v.unbatch(out, scalar)

    def loss(self, index):
        r"""Loss :math:`L^* + \tfrac12\sum_k (\kappa_k w_k)^2`: a float, (T,) for an array index."""
        idx, scalar, _, keep = self._filt(index)
        p, _ = self._decay(keep, self._w(), idx)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return v.unbatch(self.spectrum.loss_min + 0.5 * np.sum(p * p, axis=-1), scalar)

    def predict(self, X_new, index):
        r"""Predictions :math:`X_*^T\phi` at new inputs ``X_new`` (D, M), shape (M,)."""
        X_new = v.new_inputs(X_new, self.D)
        idx, scalar, gain, keep = self._filt(index)
        c, logc = self._coords(idx, gain, keep)
        if logc is None:
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):
                out = (self.spectrum.expand(c) + self._null) @ X_new
        else:  # overflowing modes: map them to the new inputs directly
            B = self.spectrum.range_basis.T @ self.spectrum._tilde(X_new)
            out = _mapped(lambda u: u @ B, c, logc) + self._null @ X_new
        return v.unbatch(out, scalar)

    def predictive(self, X_new, index, prior_cov):
        r"""``(mean, var)``, each (M,), of the predictions at ``X_new`` (D, M) over starts from
        :math:`N(\phi_0, \Sigma_0)`, ``prior_cov`` (D, D) or a variance."""
        if self._a.ndim != 1:
            raise ValueError("predictive needs one start phi0 of shape (D,), the mean of the "
                             f"crowd; this path has {self.phi0.shape[0]} starts")
        X_new = v.new_inputs(X_new, self.D)
        if np.ndim(prior_cov) == 0:
            S = v.non_negative_scalar(prior_cov, "prior_cov")
        else:
            S = v.covariance(prior_cov, self.D)
        idx, scalar, gain, keep = self._filt(index)
        c, _ = self._coords(idx, gain, keep)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            mean = (self.spectrum.expand(c) + self._null) @ X_new
            var = self.spectrum.spread(X_new, keep, S)  # a new array: clipped in place (a
            np.maximum(var, 0.0, out=var)  # second one of (T, M) cost 4x here: malloc's trim)
        return v.unbatch((mean, var), scalar)

    def limit(self):
        """Parameters where every gain reaches 1, shape (D,): the minimum-norm solution plus the
        null-space part of ``phi0``."""
        return self.spectrum.solution + self._null

    def loss_limit(self) -> float:
        """The loss where every gain reaches 1 (the least-squares minimum)."""
        return self.spectrum.loss_min

    def __repr__(self):
        return (f"SpectrumPath({self.filter!r}, D={self.D}, I={self.I}, "
                f"rank={self.rank})")


@_docs.fill
class KernelSpectrum:
    """The eigendecomposition of a kernel matrix, built once (one ``eigh``, also the PSD check),
    through which every filter acts in function space. Introduced in the chapter on function
    space; :class:`~gflow_lib.KernelFlow` is ``KernelSpectrum(K, y).path(Flow(), f0)``.

    Parameters
    ----------
    %(K)s
    y : array_like, shape (I,), optional

    Attributes
    ----------
    eigenvalues : ndarray, shape (I,)
        Ascending, exactly 0 at rounding level.
    basis : ndarray, shape (I, I)
        Orthonormal eigenvectors U, as columns.
    lam : ndarray, shape (rank,)
        The nonzero eigenvalues.
    rank, I : int
    y : ndarray, shape (I,) or None
    """

    def __init__(self, K, y=None, *, name="K"):
        lam, U = _kernel_decomposition(K, name)
        self.I = I = U.shape[0]  # noqa: E741
        self.eigenvalues = _readonly(lam)
        self.basis = _readonly(U)
        self._nz = lam > 0
        self.rank = int(np.count_nonzero(self._nz))
        self.lam = _readonly(lam[self._nz])
        self.y = None
        if y is not None:
            self.y = v.frozen(v.vector(y, "y", I, what=f" (one target per row of {name})"))

    def path(self, filter, start=None) -> KernelPath:  # noqa: A002
        """The path of ``filter`` from the outputs ``start`` (``f0``, (I,), default zeros)."""
        return KernelPath(self, filter, start)

    def __repr__(self):
        return f"KernelSpectrum(I={self.I}, rank={self.rank})"


class KernelPath(_Path):
    r"""A filter's path through a :class:`KernelSpectrum` from the outputs ``f0``, no inverse
    formed (zero modes kept at the start and left out at new inputs):

    .. math:: f = U(\kappa\, U^T f_0 + F\, U^T y), \qquad
        f_* = f_{0*} + K_{*X} U \operatorname{diag}(F/\lambda) U^T (y - f_0).

    Introduced in the chapter on function space; methods take ``index`` as
    :class:`SpectrumPath`'s do.

    Attributes
    ----------
    spectrum, filter, f0
        The spectrum, the filter and the outputs (I,) at the start (read-only); ``y`` and
        ``eigenvalues`` are the spectrum's.
    """

    def __init__(self, spectrum, filter, f0=None):  # noqa: A002
        super().__init__(spectrum, filter, KernelSpectrum, "KernelSpectrum(K, y)")
        spec = spectrum
        I = spec.I  # noqa: E741
        f0 = np.zeros(I) if f0 is None else v.vector(f0, "f0", I, what=" (one per row of K)")
        self.f0 = v.frozen(f0)
        U = spec.basis
        self._a, self._c = U.T @ self.f0, U.T @ spec.y
        self._w = U.T @ (self.f0 - spec.y)  # the start's residual in the modes

    y = property(lambda self: self.spectrum.y)
    eigenvalues = property(lambda self: self.spectrum.eigenvalues)

    def _evaluate(self, idx):
        """The filter on the nonzero modes; zero modes keep their start (gain 0, keep 1)."""
        spec = self.spectrum
        g, k = _evaluate(self.filter, spec.lam, idx)
        if spec.rank == spec.I:
            return Filter(g, k)
        gain, keep = np.zeros((idx.size, spec.I)), np.ones((idx.size, spec.I))
        gain[:, spec._nz], keep[:, spec._nz] = g, k
        return Filter(gain, keep)

    def _log_keep(self, idx):
        spec = self.spectrum
        lk = _log_keep(self.filter, spec.lam, idx)
        if lk is None or spec.rank == spec.I:
            return lk
        out = np.zeros((idx.size, spec.I))
        out[:, spec._nz] = lk
        return out

    def _expand(self, c):
        return c @ self.spectrum.basis.T

    def outputs(self, index):
        r"""Outputs :math:`f` at the training inputs, shape (I,)."""
        idx, scalar, gain, keep = self._filt(index)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            c = keep * self._a + gain * self._c
        logc = None
        if not np.all(np.isfinite(c)):
            p, logc = self._decay(keep, self._w, idx)
            c = np.where(np.isfinite(c), c, self._c + p)
        return v.unbatch(_mapped(self._expand, c, logc), scalar)

    def residuals(self, index):
        r"""Residuals :math:`f - y = U(\kappa\, U^T(f_0 - y))`, (I,), each mode to full accuracy."""
        idx, scalar, _, keep = self._filt(index)
        p, logp = self._decay(keep, self._w, idx)
        return v.unbatch(_mapped(self._expand, p, logp), scalar)

    def loss(self, index):
        r"""Loss :math:`\tfrac12\lVert f - y\rVert^2` as a sum over modes: a float."""
        idx, scalar, _, keep = self._filt(index)
        p, _ = self._decay(keep, self._w, idx)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return v.unbatch(0.5 * np.sum(p * p, axis=-1), scalar)

    def predict(self, K_new, index, f0_new=None):
        """Outputs at new inputs from ``K_new`` (M, I) and their starting outputs ``f0_new`` (M,)
        (default zeros): shape (M,)."""
        spec = self.spectrum
        K_new = v.kernel_rows(K_new, spec.I)
        M = K_new.shape[0]
        f0_new = np.zeros(M) if f0_new is None else v.vector(f0_new, "f0_new", M)
        idx, scalar, gain, _ = self._filt(index)
        g = kernel_coefficients(spec.eigenvalues, gain)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            out = f0_new + ((g * -self._w) @ spec.basis.T) @ K_new.T
        return v.unbatch(out, scalar)

    def limit(self):
        """Outputs where every gain reaches 1, (I,): y on the range of K, f0 on its null space."""
        keep = (self.spectrum.eigenvalues == 0).astype(float)
        return (keep * self._a + (1.0 - keep) * self._c) @ self.spectrum.basis.T

    def __repr__(self):
        return f"KernelPath({self.filter!r}, I={self.spectrum.I}, rank={self.spectrum.rank})"


def _readonly(a):
    a = np.asarray(a)
    a.flags.writeable = False
    return a


def _own(X):
    """A read-only array the object owns: a copy of a small X, a view of a large one."""
    X = np.array(X, copy=True) if X.nbytes <= COPY_LIMIT_BYTES else X.view()
    X.flags.writeable = False
    return X
