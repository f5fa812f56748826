r"""Gradient flow for linear least squares, in closed form.

Introduced in the chapter on closed-form flow (``book/closed_form.ipynb``). The model is
:math:`f = X^T\phi` (``X`` is D x I, columns are data points), the loss
:math:`L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2`, and the flow
:math:`d\phi/dt = -X(X^T\phi - y)` moves each eigen-coordinate by the filter
:math:`1 - e^{-\lambda t}` (:func:`gflow_lib.spectrum.filter_flow`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validation as v
from .spectrum import Spectrum, filter_flow, gram_eigen, kernel_coefficients, kernel_eigen

__all__ = ["KernelFlow", "LinearFlow", "ModeFactors", "gram_eigen", "mode_factors"]


class ModeFactors(NamedTuple):
    e: np.ndarray
    g: np.ndarray


def mode_factors(lam, t) -> ModeFactors:
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
    ModeFactors
        ``e`` and ``g``, shape (K,) for scalar ``t``, (T, K) for an array (``expm1``: no
        cancellation for small ``lambda t``).
    """
    lam = v.eigenvalues(lam)
    tt, scalar = v.times(t)
    gain, keep = filter_flow(lam, tt)
    zero = lam == 0
    g = np.where(zero, tt[:, None], gain / np.where(zero, 1.0, lam))
    return v.unbatch(ModeFactors(keep, g), scalar)


class LinearFlow:
    r"""Gradient flow of linear least squares from ``phi0``, exact at any time.

    Introduced in the chapter on closed-form flow.

    .. math::

        f(t) = y + e^{-X^T X t}(f_0 - y), \qquad
        \phi(t) = e^{-A t}\phi_0 + \Big(\int_0^t e^{-A s}\,ds\Big) X y, \quad A = X X^T.

    The part of ``phi0`` in the null space of ``X^T`` never moves; the rest goes to the
    minimum-norm least-squares solution. Exact for rank-deficient and ill-conditioned ``X``
    and for D > I (see :mod:`gflow_lib.spectrum`).

    Parameters
    ----------
    X : array_like, shape (D, I)
        Data matrix; each column is one data point.
    y : array_like, shape (I,)
        Targets.
    phi0 : array_like, shape (D,)
        Initial parameters.

    Attributes
    ----------
    spectrum : Spectrum
        The decomposition every evaluation goes through.
    X, y, phi0 : ndarray
        Read-only copies of the inputs (``X`` viewed, not copied, when it is very large).
    eigenvalues : ndarray, shape (min(D, I),)
        Eigenvalues of the smaller Gram matrix, ascending.
    rank : int

    Notes
    -----
    Each method takes ``t``, a non-negative time or a 1-D array of T times, and returns
    the shape given for one time, with a leading axis of length T for an array.
    """

    def __init__(self, X, y, phi0):
        X, y, phi0 = v.problem(X, y, phi0)
        self.spectrum = Spectrum(X, y, checked=True)
        self.D, self.I = X.shape
        self.phi0 = v.frozen(phi0)
        self._split = self.spectrum.split(self.phi0)

    X = property(lambda self: self.spectrum.X)
    y = property(lambda self: self.spectrum.y)
    eigenvalues = property(lambda self: self.spectrum.eigenvalues)
    rank = property(lambda self: self.spectrum.rank)

    def _eval(self, method, t):
        tt, scalar = v.times(t)
        out = getattr(self.spectrum, method)(self._split, filter_flow(self.spectrum.lam, tt))
        return v.unbatch(out, scalar)

    def params(self, t):
        """Parameters :math:`\\phi(t)`, shape (D,)."""
        return self._eval("params", t)

    def outputs(self, t):
        """Outputs :math:`f(t) = X^T\\phi(t)` at the training inputs, shape (I,), each mode
        to its own relative accuracy."""
        return self._eval("outputs", t)

    def residuals(self, t):
        """Residuals :math:`f(t) - y = e^{-X^T X t}(f_0 - y)`, shape (I,), each mode to its own
        relative accuracy (the least-squares residual is exactly 0 when rank = I)."""
        return self._eval("residuals", t)

    def loss(self, t):
        r"""Loss :math:`L(t) = L_\infty + \tfrac12\sum_k e^{-2\lambda_k t} w_k^2`,
        :math:`w = U_r^T(f_0 - y)`: a float, without forming the outputs."""
        return self._eval("loss", t)

    def predict(self, X_new, t):
        """Predictions :math:`X_*^T\\phi(t)` at new inputs ``X_new`` (D, M), shape (M,)."""
        return self.params(t) @ v.new_inputs(X_new, self.D)

    def limit(self):
        """Parameters as t -> infinity, shape (D,): the minimum-norm least-squares solution
        plus the part of ``phi0`` in the null space of X^T."""
        return self.spectrum.solution + self._split[1]

    def loss_limit(self) -> float:
        """The loss as t -> infinity (the least-squares minimum)."""
        return self.spectrum.loss_min

    def __repr__(self):
        return f"LinearFlow(D={self.D}, I={self.I}, rank={self.rank})"


class KernelFlow:
    r"""Gradient flow of :math:`\tfrac12\lVert f - y\rVert^2` in function space, through a
    kernel matrix: the same filters as :class:`LinearFlow`, applied to the eigenbasis of K.

    Introduced in the chapter on function space.

    .. math::

        \frac{df}{dt} = -K(f - y), \qquad
        f(t) = y + e^{-Kt}(f_0 - y), \qquad
        f_*(t) = f_{0*} + K_{*X}\, U \operatorname{diag}\Big(\frac{1 - e^{-\lambda t}}
        {\lambda}\Big) U^T (y - f_0).

    With ``K = X.T @ X`` and ``f0 = X.T @ phi0`` it is :class:`LinearFlow` seen through its
    outputs. A zero eigenvalue leaves its mode unmoved and, at new inputs, out
    (:func:`~gflow_lib.spectrum.kernel_coefficients`). No inverse is formed.

    Parameters
    ----------
    K : array_like, shape (I, I)
        Symmetric positive semidefinite kernel matrix of the training inputs.
    y : array_like, shape (I,)
    f0 : array_like, shape (I,), optional
        Outputs at the start (default zeros).

    Attributes
    ----------
    eigenvalues : ndarray, shape (I,)
        Eigenvalues of K, ascending, exactly 0 at rounding level.
    """

    def __init__(self, K, y, f0=None):
        self.eigenvalues, self._U = kernel_eigen(K)
        I = self._U.shape[0]  # noqa: E741
        self.y = v.frozen(v.vector(y, "y", I, what=" (one target per row of K)"))
        f0 = np.zeros(I) if f0 is None else v.vector(f0, "f0", I, what=" (one per row of K)")
        self.f0 = v.frozen(f0)
        self._a, self._c = self._U.T @ self.f0, self._U.T @ self.y
        self._w = self._U.T @ (self.f0 - self.y)  # the start's residual in the modes

    def _filter(self, t):
        tt, scalar = v.times(t)
        return filter_flow(self.eigenvalues, tt), tt, scalar

    def outputs(self, t):
        r"""Outputs :math:`f(t)` at the training inputs, shape (I,)."""
        (gain, keep), _, scalar = self._filter(t)
        return v.unbatch((keep * self._a + gain * self._c) @ self._U.T, scalar)

    def residuals(self, t):
        r"""Residuals :math:`f(t) - y = e^{-Kt}(f_0 - y)`, shape (I,), each mode to its own
        relative accuracy."""
        (_, keep), _, scalar = self._filter(t)
        return v.unbatch((keep * self._w) @ self._U.T, scalar)

    def loss(self, t):
        r"""Loss :math:`\tfrac12\lVert f(t) - y\rVert^2` as a sum over modes: a float."""
        (_, keep), _, scalar = self._filter(t)
        r = keep * self._w
        return v.unbatch(0.5 * np.sum(r * r, axis=-1), scalar)

    def predict(self, K_new, t, f0_new=None):
        """Outputs at new inputs from the kernel ``K_new`` (M, I) between them and the
        training inputs, and their starting outputs ``f0_new`` (M,) (default zeros):
        shape (M,)."""
        I = self._U.shape[0]  # noqa: E741
        K_new = v.kernel_rows(K_new, I)
        M = K_new.shape[0]
        f0_new = np.zeros(M) if f0_new is None else v.vector(f0_new, "f0_new", M)
        (gain, _), _, scalar = self._filter(t)
        g = kernel_coefficients(self.eigenvalues, gain)
        return v.unbatch(f0_new + ((g * -self._w) @ self._U.T) @ K_new.T, scalar)

    def limit(self):
        """Outputs as t -> infinity, shape (I,): y on the range of K, f0 on its null space."""
        keep = (self.eigenvalues == 0).astype(float)
        return (keep * self._a + (1.0 - keep) * self._c) @ self._U.T

    def __repr__(self):
        return f"KernelFlow(I={self._U.shape[0]}, rank={np.count_nonzero(self.eigenvalues)})"
