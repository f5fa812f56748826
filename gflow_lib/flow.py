r"""Gradient flow for linear least squares, in closed form.

Introduced in the chapter on closed-form flow (``book/closed_form.ipynb``).

The model is :math:`f = X^T \phi` with ``X`` of shape (D, I) (columns are data points),
the loss is :math:`L(\phi) = \tfrac12 \lVert X^T\phi - y\rVert^2`, and gradient flow is

.. math::

    \frac{d\phi}{dt} = -X (X^T \phi - y).

Each eigen-coordinate moves by the filter :math:`1 - e^{-\lambda t}`
(:func:`gflow_lib.spectrum.filter_flow`) through one :class:`~gflow_lib.spectrum.Spectrum`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validation as v
from .spectrum import Spectrum, filter_flow, gram_eigen

__all__ = ["LinearFlow", "ModeFactors", "gram_eigen", "mode_factors"]


class ModeFactors(NamedTuple):
    """Per-mode factors of the flow: decay of the start, gain on the target."""

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
        ``e`` and ``g``, each of shape (K,) for scalar ``t``, (T, K) for an array; computed
        with ``expm1`` (no cancellation for small ``lambda t``), no warnings for huge ``t``.
    """
    lam = v.eigenvalues(lam)
    tt, scalar = v.times(t)
    gain, keep = filter_flow(lam, tt)
    zero = lam == 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        g = np.where(zero, tt[:, None], gain / np.where(zero, 1.0, lam))
    return v.unbatch(ModeFactors(keep, g), scalar)


class LinearFlow:
    r"""Gradient flow of linear least squares from ``phi0``, exact at any time.

    Introduced in the chapter on closed-form flow.

    .. math::

        f(t) = y + e^{-X^T X t}(f_0 - y), \qquad
        \phi(t) = e^{-A t}\phi_0 + \Big(\int_0^t e^{-A s}\,ds\Big) X y, \quad A = X X^T.

    The part of ``phi0`` in the null space of ``X^T`` never moves; the rest goes to the
    minimum-norm least-squares solution. Exact for rank-deficient ``X``, for D > I and, through
    the SVD, for ill-conditioned ``X`` (see :mod:`gflow_lib.spectrum`).

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
    eigenvalues : ndarray, shape (min(D, I),)
        Eigenvalues of the smaller Gram matrix, ascending.

    Notes
    -----
    Inputs are copied (``X`` only up to ``spectrum.COPY_LIMIT_BYTES``). Construction costs one
    ``syrk`` and one pass over ``X`` on well-conditioned data; an evaluation at T times costs
    O(T D min(D, I)) for the parameters and O(T rank) for the loss.
    """

    def __init__(self, X, y, phi0):
        X, y, phi0 = v.problem(X, y, phi0)
        self.spectrum = spec = Spectrum(X, y, checked=True)
        self.D, self.I = spec.D, spec.I
        self._phi0 = v.frozen(phi0)
        self._split = spec.split(self._phi0)

    @classmethod
    def from_spectrum(cls, spectrum: Spectrum, phi0) -> LinearFlow:
        """A flow from ``phi0`` that reuses a spectrum (built with targets)."""
        if not isinstance(spectrum, Spectrum) or spectrum.solution is None:
            raise TypeError(
                f"spectrum must be a Spectrum built with targets y; got {v.describe(spectrum)}"
            )
        self = cls.__new__(cls)
        self.spectrum = spectrum
        self.D, self.I = spectrum.D, spectrum.I
        self._phi0 = v.frozen(v.vector(phi0, "phi0", spectrum.D,
                                        what=" (one entry per row of X)"))
        self._split = spectrum.split(self._phi0)
        return self

    # ------------------------------------------------------------------ data
    @property
    def X(self):
        """The data matrix, shape (D, I) (read-only)."""
        return self.spectrum.X

    @property
    def y(self):
        """The targets, shape (I,) (read-only)."""
        return self.spectrum.y

    @property
    def phi0(self):
        """The initial parameters, shape (D,) (read-only)."""
        return self._phi0

    @property
    def eigenvalues(self):
        """Eigenvalues of the smaller Gram matrix, ascending, shape (min(D, I),)."""
        return self.spectrum.eigenvalues

    @property
    def rank(self) -> int:
        """Number of nonzero eigenvalues (the rank of X)."""
        return self.spectrum.rank

    # ------------------------------------------------------------------ over time
    def _filter(self, tt):
        return filter_flow(self.spectrum.lam, tt)

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
        return v.unbatch(self.spectrum.params(self._split, self._filter(tt)), scalar)

    def outputs(self, t):
        r"""Model outputs :math:`f(t) = X^T\phi(t)` at the training inputs.

        Returns
        -------
        ndarray, shape (I,) for scalar ``t``, (T, I) for an array
        """
        tt, scalar = v.times(t)
        return v.unbatch(self.spectrum.outputs(self._split, self._filter(tt)), scalar)

    def residuals(self, t):
        r"""Residuals :math:`f(t) - y = e^{-X^T X t}(f_0 - y)`, each mode to its own
        relative accuracy (the least-squares residual is exactly 0 when rank = I).

        Returns
        -------
        ndarray, shape (I,) for scalar ``t``, (T, I) for an array
        """
        tt, scalar = v.times(t)
        return v.unbatch(self.spectrum.residuals(self._split, self._filter(tt)), scalar)

    def loss(self, t):
        r"""Loss :math:`L(t) = \tfrac12 \lVert f(t) - y\rVert^2`, as a sum over modes.

        .. math::

            L(t) = L_\infty + \tfrac12 \sum_k e^{-2\lambda_k t} w_k^2, \qquad
            w = U_r^T (f_0 - y).

        Returns
        -------
        float for scalar ``t``, ndarray of shape (T,) for an array
        """
        tt, scalar = v.times(t)
        return v.unbatch(self.spectrum.loss(self._split, self._filter(tt)), scalar)

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
        return self.spectrum.solution + self._split[1]

    def loss_limit(self) -> float:
        """The loss as t -> infinity (the least-squares minimum)."""
        return self.spectrum.loss_min

    def __repr__(self):
        return f"LinearFlow(D={self.D}, I={self.I}, rank={self.rank})"

