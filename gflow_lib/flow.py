r"""Gradient flow for linear least squares, in closed form.

Introduced in the chapter on closed-form flow (``book/closed_form.ipynb``).

The model is :math:`f = X^T \phi` with ``X`` of shape (D, I) (columns are data points),
the loss is :math:`L(\phi) = \tfrac12 \lVert X^T\phi - y\rVert^2`, and gradient flow is

.. math::

    \frac{d\phi}{dt} = -X (X^T \phi - y).

One symmetric eigendecomposition of the smaller Gram matrix (``X X^T`` when D <= I,
``X^T X`` otherwise) turns every later evaluation into a vectorized expression in time.
"""

from __future__ import annotations

import numpy as np

from . import _validation as v

__all__ = ["LinearFlow", "mode_factors", "gram_eigen"]


def mode_factors(lam, t):
    r"""Per-mode factors of the flow: the decay of the start and the gain on the target.

    Introduced in the chapter on closed-form flow.

    .. math::

        e(\lambda, t) = e^{-\lambda t}, \qquad
        g(\lambda, t) = \int_0^t e^{-\lambda s}\, ds = \frac{1 - e^{-\lambda t}}{\lambda},
        \quad g(0, t) = t.

    Parameters
    ----------
    lam : array_like, shape (K,)
        Non-negative eigenvalues.
    t : float or array_like, shape (T,)
        Non-negative times.

    Returns
    -------
    e, g : ndarray, shape (K,) for scalar ``t``, (T, K) for an array
        Computed with ``expm1`` (no cancellation for small ``lambda t``) and without
        overflow warnings for huge ``t``.
    """
    lam = v.as_real_array(lam, "lam")
    if lam.ndim != 1:
        raise ValueError(f"lam must be a 1-D array of eigenvalues; got shape {lam.shape}")
    v.check_finite(lam, "lam")
    if np.any(lam < 0):
        raise ValueError(f"lam must be non-negative; got minimum {float(lam.min())!r}")
    tt, scalar = v.times(t)
    e, g = _factors(lam, tt)
    return (e[0], g[0]) if scalar else (e, g)


def _factors(lam: np.ndarray, tt: np.ndarray):
    """Unchecked (T, K) factors; see :func:`mode_factors`."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        x = -np.multiply.outer(tt, lam)  # -lam t, may be -inf for huge t
        e = np.exp(x)
        zero = lam == 0
        safe = np.where(zero, 1.0, lam)
        g = np.where(zero, tt[:, None], -np.expm1(x) / safe)
    return e, g


def _gram(X: np.ndarray, outer: bool) -> np.ndarray:
    """``X X^T`` (outer=True) or ``X^T X``. NumPy's matmul recognises an operand times its
    own transpose and calls BLAS ``syrk`` (half the work of a general product), without
    copying X. Overflow is not warned about here: the caller checks the diagonal and raises
    a ValueError naming X."""
    with np.errstate(over="ignore", invalid="ignore"):
        return X @ X.T if outer else X.T @ X


#: Column-block width of the fused pass over a wide X (fits a block of 100 rows in cache).
_BLOCK = 16384


def _gram_and_xy(X: np.ndarray, y: np.ndarray):
    """``(X X^T, X y)`` in one pass over X: for each block of columns, ``syrk`` then ``gemv``
    on the block while it is still in cache. For a wide X this saves most of the separate
    memory-bound pass of ``X @ y`` (measured by benchmark P2); no copy of X is made."""
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


def _eigh(G: np.ndarray):
    """Symmetric eigendecomposition (LAPACK ``syevd``).

    ``numpy.linalg.eigh`` rather than ``scipy.linalg.eigh``: both call LAPACK, but SciPy's
    wheels carry a second OpenBLAS whose threads compete with NumPy's still-spinning threads
    right after the large Gram product; measured here, a 100 x 100 ``scipy.linalg.eigh`` took
    80-100 ms after ``X @ X.T`` on a 100 x 1,000,000 X against 1.5-2 ms for NumPy's."""
    return np.linalg.eigh(G)


def gram_eigen(X, outer: bool | None = None):
    """Eigendecomposition of the smaller Gram matrix of ``X``.

    Introduced in the chapter on closed-form flow (the eigen view).

    Parameters
    ----------
    X : array_like, shape (D, I)
    outer : bool, optional
        ``True`` for ``A = X X^T`` (D x D), ``False`` for ``K = X^T X`` (I x I).
        By default the smaller one.

    Returns
    -------
    lam : ndarray, shape (n,)
        Eigenvalues in ascending order, with rounding noise below the rank tolerance
        ``20 * max(lam) * max(D, I) * eps`` set to exactly 0.
    vecs : ndarray, shape (n, n)
        Orthonormal eigenvectors as columns.
    """
    X = v.design_matrix(X)
    if outer is None:
        outer = X.shape[0] <= X.shape[1]
    G = _gram(X, outer)
    v.check_gram_diagonal(np.diagonal(G))
    lam, vecs = _eigh(G)
    return _clean(lam, X.shape), vecs


def _clean(lam: np.ndarray, shape) -> np.ndarray:
    # Forming the Gram matrix and eigh leave zero eigenvalues of an exactly rank-deficient X
    # at up to about 4 * max(D, I) * eps * lam_max (measured over 60000 small random
    # rank-deficient X); kept as modes, they put noise / noise into the limit. A factor 20
    # leaves a margin and still keeps every mode of X X^T up to cond ~ 2e14 / max(D, I).
    tol = 20.0 * max(float(lam[-1]), 0.0) * max(shape) * np.finfo(float).eps
    return np.where(lam > tol, lam, 0.0)


class LinearFlow:
    r"""Gradient flow of linear least squares from ``phi0``, exact at any time.

    Introduced in the chapter on closed-form flow.

    .. math::

        f(t) = y + e^{-X^T X t}(f_0 - y), \qquad
        \phi(t) = e^{-A t}\phi_0 + \Big(\int_0^t e^{-A s}\,ds\Big) X y, \quad A = X X^T.

    The part of ``phi0`` in the null space of ``X^T`` never moves; the rest goes to the
    minimum-norm least-squares solution. Exact for rank-deficient ``X`` and for D > I.

    Parameters
    ----------
    X : array_like, shape (D, I)
        Data matrix; each column is one data point.
    y : array_like, shape (I,)
        Targets.
    phi0 : array_like, shape (D,)
        Initial parameters.

    Notes
    -----
    Construction costs one ``syrk`` (the smaller Gram matrix) and one or two passes over
    ``X``; each evaluation at T times costs O(T D min(D, I)) for the parameters and
    O(T min(D, I)) for the loss, which never forms the (T, I) outputs.
    """

    def __init__(self, X, y, phi0):
        X = v.design_matrix(X)
        D, I = X.shape  # noqa: E741 (I is the number of data points, as in the math)
        y = v.vector(y, "y", I, X.shape, " (one target per column of X)")
        phi0 = v.vector(phi0, "phi0", D, what=" (one entry per row of X)")
        self._X, self._y, self._phi0 = X, y, phi0
        self.D, self.I = D, I
        self._outer = D <= I
        if self._outer:
            G, b = _gram_and_xy(X, y)
        else:
            G = _gram(X, False)
        v.check_gram_diagonal(np.diagonal(G))
        lam, vecs = _eigh(G)
        del G
        lam = _clean(lam, X.shape)
        self.eigenvalues = lam
        self._vecs = vecs
        nz = lam > 0
        self._nz = nz
        if self._outer:
            # Parameter space: coordinates in the eigenbasis V of A = X X^T (b = X y above).
            bc = vecs.T @ b
            a0 = vecs.T @ phi0
            zs = np.where(nz, bc / np.where(nz, lam, 1.0), 0.0)  # min-norm solution
            self._dz0 = np.where(nz, a0 - zs, 0.0)
            # phi(t) in these coordinates is e a0 + g bc: no cancellation near t = 0
            self._a0, self._bc = a0, np.where(nz, bc, 0.0)
            self._base = np.where(nz, zs, a0)  # limit: solution + null part of phi0
            # Minimum loss 0.5 ||y||^2 - 0.5 sum bc^2 / lam, recomputed exactly by one
            # more pass over X when that difference has lost more than 8 digits.
            yy = float(y @ y)
            if np.count_nonzero(nz) == I:
                lmin = 0.0
            else:
                lmin = 0.5 * (yy - float(np.sum(bc * zs)))
                if lmin < 1e-8 * 0.5 * yy:
                    r = X.T @ (vecs @ zs) - y
                    lmin = 0.5 * float(r @ r)
            self._loss_min = max(lmin, 0.0)
        else:
            # Residual space: eigenbasis U of K = X^T X.
            r0 = X.T @ phi0 - y
            self._w = vecs.T @ r0

    # ------------------------------------------------------------------ helpers
    @property
    def X(self):
        """The data matrix, shape (D, I)."""
        return self._X

    @property
    def y(self):
        """The targets, shape (I,)."""
        return self._y

    @property
    def phi0(self):
        """The initial parameters, shape (D,)."""
        return self._phi0

    @property
    def rank(self) -> int:
        """Number of nonzero eigenvalues of the Gram matrix (the rank of X)."""
        return int(np.count_nonzero(self._nz))

    def _shape(self, out, scalar):
        return out[0] if scalar else out

    # ------------------------------------------------------------------ public
    def params(self, t):
        r"""Parameters at time(s) ``t``.

        Parameters
        ----------
        t : float or array_like, shape (T,)
            Non-negative finite times.

        Returns
        -------
        ndarray, shape (D,) for scalar ``t``, (T, D) for an array
        """
        tt, scalar = v.times(t)
        lam = self.eigenvalues
        if self._outer:
            e, g = _factors(lam, tt)
            coords = e * self._a0 + g * self._bc
            out = coords @ self._vecs.T
        else:
            _, g = _factors(lam, tt)
            # phi(t) = phi0 - X U diag((1 - e) / lam) U^T r0 over the nonzero modes, with
            # (1 - e) / lam = g computed through expm1 (exact for small lam t)
            h = np.where(self._nz, g, 0.0) * self._w
            out = (h @ self._vecs.T) @ self._X.T  # (T, D): the only array of that size
            np.subtract(self._phi0, out, out=out)
        return self._shape(out, scalar)

    def outputs(self, t):
        r"""Model outputs :math:`f(t) = X^T\phi(t)` at the training inputs.

        Returns
        -------
        ndarray, shape (I,) for scalar ``t``, (T, I) for an array
        """
        return self.residuals(t) + self._y

    def residuals(self, t):
        r"""Residuals :math:`f(t) - y = e^{-X^T X t}(f_0 - y)`.

        Returns
        -------
        ndarray, shape (I,) for scalar ``t``, (T, I) for an array
        """
        tt, scalar = v.times(t)
        if self._outer:
            out = self.params(tt) @ self._X - self._y
        else:
            e, _ = _factors(self.eigenvalues, tt)
            out = (e * self._w) @ self._vecs.T
        return self._shape(out, scalar)

    def loss(self, t):
        r"""Loss :math:`L(t) = \tfrac12 \lVert f(t) - y\rVert^2`, as a quadratic form.

        .. math::

            L(t) = L_\infty + \tfrac12 \sum_k \lambda_k e^{-2\lambda_k t}
                   \big(v_k^T(\phi_0 - \phi^*)\big)^2

        Returns
        -------
        float for scalar ``t``, ndarray of shape (T,) for an array
        """
        tt, scalar = v.times(t)
        e, _ = _factors(self.eigenvalues, tt)
        if self._outer:
            out = self._loss_min + 0.5 * (e * e) @ (self.eigenvalues * self._dz0**2)
        else:
            out = 0.5 * (e * e) @ (self._w**2)
        return float(out[0]) if scalar else out

    def predict(self, X_new, t):
        r"""Predictions :math:`X_*^T \phi(t)` at new inputs.

        Parameters
        ----------
        X_new : array_like, shape (D, M)
            New inputs as columns.
        t : float or array_like, shape (T,)

        Returns
        -------
        ndarray, shape (M,) for scalar ``t``, (T, M) for an array
        """
        X_new = v.new_inputs(X_new, self.D)
        return self.params(t) @ X_new

    def limit(self):
        r"""Parameters as :math:`t \to \infty`: the minimum-norm least-squares solution plus
        the part of ``phi0`` in the null space of :math:`X^T`.

        Returns
        -------
        ndarray, shape (D,)
        """
        if self._outer:
            return self._vecs @ self._base
        nz = self._nz
        h = np.where(nz, 1.0 / np.where(nz, self.eigenvalues, 1.0), 0.0) * self._w
        return self._phi0 - self._X @ (self._vecs @ h)

    def loss_limit(self) -> float:
        """The loss as t -> infinity (the least-squares minimum)."""
        if self._outer:
            return self._loss_min
        return 0.5 * float(np.sum(np.where(self._nz, 0.0, self._w**2)))

    # --------------------------------------------------------- for the Bayesian view
    def _range_basis(self):
        """Orthonormal basis V_r (D, r) of the range of X and its eigenvalues (r,)."""
        nz = self._nz
        lam = self.eigenvalues[nz]
        if self._outer:
            return self._vecs[:, nz], lam
        return (self._X @ self._vecs[:, nz]) / np.sqrt(lam), lam

    def __repr__(self):
        return f"LinearFlow(D={self.D}, I={self.I}, rank={self.rank})"
