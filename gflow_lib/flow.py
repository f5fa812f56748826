r"""Gradient flow for linear least squares, in closed form.
Introduced in the chapter on closed-form flow (``book/closed_form.ipynb``). The flow
:math:`d\phi/dt = -X(X^T\phi - y)` of :math:`L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2`
moves each eigen-coordinate by the filter :math:`1 - e^{-\lambda t}` (:class:`gflow_lib.Flow`):
:class:`LinearFlow` is ``Spectrum(X, y).path(Flow(), phi0)`` and :class:`KernelFlow` is
``KernelSpectrum(K, y).path(Flow(), f0)``."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _docs
from . import _validation as v
from .spectrum import (
    Flow,
    KernelPath,
    KernelSpectrum,
    Spectrum,
    SpectrumPath,
    gram_eigen,
    kernel_coefficients,
)

__all__ = ["KernelFlow", "LinearFlow", "ModeFactors", "gram_eigen", "mode_factors"]


class ModeFactors(NamedTuple):
    e: np.ndarray
    g: np.ndarray


@_docs.fill
def mode_factors(lam, t) -> ModeFactors:
    r"""Per-mode factors of the flow at eigenvalues ``lam`` (K,) and times ``t``: the decay
    :math:`e = e^{-\lambda t}` of the start and the gain :math:`g = (1 - e^{-\lambda t})/\lambda
    = \int_0^t e^{-\lambda s}ds` on the target, each (K,) or (T, K). ``g(0, t)`` is 0, not ``t``:
    the pseudo-inverse convention (:mod:`gflow_lib.spectrum`); it multiplies a zero part of ``X y``.
    """
    lam = v.eigenvalues(lam)
    tt, scalar = v.times(t)
    gain, keep = Flow()(lam, tt)
    return v.unbatch(ModeFactors(keep, kernel_coefficients(lam, gain)), scalar)


@_docs.fill
class LinearFlow(SpectrumPath):
    r"""Gradient flow of linear least squares from ``phi0``, exact at any time: the path of
    :class:`~gflow_lib.Flow` through ``Spectrum(X, y)`` (a :class:`~gflow_lib.spectrum.SpectrumPath`
    whose index is the time ``t``). Introduced in the chapter on closed-form flow. The part of
    ``phi0`` in the null space of ``X^T`` never moves; the rest goes to the minimum-norm
    least-squares solution. Each method takes ``t``, a time >= 0 or a 1-D array of T times, and
    returns the shape given for one time, with a leading axis T for an array.

    .. math:: f(t) = y + e^{-X^T X t}(f_0 - y), \qquad
        \phi(t) = e^{-A t}\phi_0 + \Big(\int_0^t e^{-A s}\,ds\Big) X y, \quad A = X X^T.

    Parameters
    ----------
    %(X_y)s
    %(phi0)s

    Attributes
    ----------
    spectrum : Spectrum
    X, y, phi0 : ndarray
        Read-only copies of the inputs (``X`` a view when very large).
    eigenvalues : ndarray, shape (min(D, I),)
        Of the smaller Gram matrix, ascending.
    rank : int
    """

    def __init__(self, X, y, phi0=None):
        X, y, phi0 = v.problem(X, y, phi0)
        super().__init__(Spectrum(X, y, checked=True), Flow(), phi0)

    def __repr__(self):
        return f"LinearFlow(D={self.D}, I={self.I}, rank={self.rank})"


@_docs.fill
class KernelFlow(KernelPath):
    r"""Gradient flow of :math:`\tfrac12\lVert f - y\rVert^2` in function space: the path of
    :class:`~gflow_lib.Flow` through ``KernelSpectrum(K, y)`` (a
    :class:`~gflow_lib.spectrum.KernelPath` whose index is the time ``t``).
    Introduced in the chapter on function space. With ``K = X.T @ X`` and ``f0 = X.T @ phi0`` it
    is :class:`LinearFlow` seen through its outputs; zero modes stay put and are left out at new
    inputs. No inverse is formed.

    .. math:: \frac{df}{dt} = -K(f - y), \qquad
        f_*(t) = f_{0*} + K_{*X}\, U \operatorname{diag}\Big(\frac{1 - e^{-\lambda t}}
        {\lambda}\Big) U^T (y - f_0).

    Parameters
    ----------
    %(K)s
    %(y)s
    %(f0)s

    Attributes
    ----------
    eigenvalues : ndarray, shape (I,)
        Of K, ascending, exactly 0 at rounding level.
    """

    def __init__(self, K, y, f0=None):
        super().__init__(KernelSpectrum(K, y), Flow(), f0)

    def __repr__(self):
        return f"KernelFlow(I={self.spectrum.I}, rank={self.spectrum.rank})"
