r"""Gradient descent with a finite step, to compare with the flow.

Introduced in the chapter on the loss landscape (``book/landscape.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import _validation as v
from typing import NamedTuple

from .spectrum import Spectrum, filter_descent, filter_modified_flow

__all__ = [
    "descent_closed_form",
    "gradient_descent",
    "modified_flow_params",
    "modified_loss",
    "stability_thresholds",
]


def gradient_descent(X, y, phi0, lr, n_steps):
    r"""Run plain gradient descent on :math:`L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2`.

    .. math::

        \phi_{k+1} = \phi_k - \mathrm{lr}\, X (X^T \phi_k - y)

    After k steps it is compared with the flow at :math:`t = k\,\mathrm{lr}`.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    phi0 : array_like, shape (D,)
    lr : float
        Step size, > 0. Stable iff ``lr < 2 / lambda_max`` of ``X X^T``.
    n_steps : int
        Number of steps, >= 0.

    Returns
    -------
    ndarray, shape (n_steps + 1, D)
        The iterates, ``phi0`` first. A diverging run overflows to ``inf`` silently only in
        the sense of floating point: no warning is emitted, the values are returned as computed.
    """
    X, y, phi0 = v.problem(X, y, phi0)
    lr = v.positive_scalar(lr, "lr")
    n_steps = v.non_negative_int(n_steps, "n_steps")
    D, I = X.shape  # noqa: E741
    out = np.empty((n_steps + 1, D))
    out[0] = phi0
    with np.errstate(over="ignore", invalid="ignore"):
        if D <= I:  # the gradient A phi - b costs O(D^2) per step
            A, b = X @ X.T, X @ y
            v.check_gram_diagonal(np.diagonal(A))  # entries whose squares overflow
        else:
            v.check_gram_diagonal(np.einsum("di,di->i", X, X))
        phi = phi0.copy()
        for k in range(n_steps):
            grad = A @ phi - b if D <= I else X @ (X.T @ phi - y)
            phi = phi - lr * grad
            out[k + 1] = phi
    return out

# --------------------------------------------------------------------------------------
# Closed forms for gradient descent and for the flow that it follows more closely.
# Introduced in the chapter on the loss landscape.


class Thresholds(NamedTuple):
    """The two step sizes that shape gradient descent."""

    monotone: float
    """``1 / lambda_max``: below it descent moves monotonically, like the flow."""
    stable: float
    """``2 / lambda_max``: below it descent converges."""


def stability_thresholds(X) -> Thresholds:
    r"""The two step sizes that shape gradient descent: ``1/lambda_max`` and ``2/lambda_max``.

    Introduced in the chapter on the loss landscape.

    Along the eigenvector of :math:`A = X X^T` with eigenvalue :math:`\lambda`, one step
    multiplies the distance to the minimum by :math:`1 - \mathrm{lr}\,\lambda`:

    .. math::

        |1 - \mathrm{lr}\,\lambda_{\max}| < 1 \iff \mathrm{lr} < \frac{2}{\lambda_{\max}},
        \qquad
        1 - \mathrm{lr}\,\lambda_{\max} > 0 \iff \mathrm{lr} < \frac{1}{\lambda_{\max}}.

    Below the first threshold descent moves monotonically, like the flow; between the two it
    overshoots and oscillates but converges; above the second it diverges.

    Parameters
    ----------
    X : array_like, shape (D, I)
        Data matrix (columns are data points); not all zero.

    Returns
    -------
    Thresholds
        ``monotone = 1 / lambda_max`` and ``stable = 2 / lambda_max`` (a NamedTuple).
    """
    spec = Spectrum(v.design_matrix(X), checked=True)
    if spec.rank == 0:
        raise ValueError("X must not be all zeros: its Gram matrix has no positive eigenvalue")
    lam_max = float(spec.lam[-1])
    return Thresholds(1.0 / lam_max, 2.0 / lam_max)


def descent_closed_form(X, y, phi0, lr, k):
    r"""Gradient descent after ``k`` steps, in closed form (no loop over steps).

    Introduced in the chapter on the loss landscape.

    .. math::

        \phi_k = \phi^* + (I - \mathrm{lr}\,A)^k (\phi_0 - \phi^*), \qquad A = X X^T,

    on the range of :math:`A` (the part of :math:`\phi_0` in the null space of :math:`X^T`
    never moves). In the eigenbasis of the smaller Gram matrix each mode gets the factor
    :math:`(1 - \mathrm{lr}\,\lambda)^k` where the flow has :math:`e^{-\lambda t}`.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    phi0 : array_like, shape (D,)
    lr : float
        Step size, > 0.
    k : int or array_like of int, shape (K,)
        Non-negative step counts.

    Returns
    -------
    ndarray, shape (D,) for scalar ``k``, (K, D) for an array
        Equal (to rounding) to ``gradient_descent(X, y, phi0, lr, n)[k]``. A diverging run
        overflows to ``inf`` without warnings.
    """
    X, y, phi0 = v.problem(X, y, phi0)
    lr = v.positive_scalar(lr, "lr")
    kk, scalar = v.step_counts(k)
    spec = Spectrum(X, y, checked=True)
    out = spec.params(spec.split(phi0), filter_descent(spec.lam, lr, kk))
    return v.unbatch(out, scalar)


def modified_flow_params(X, y, phi0, lr, t):
    r"""Gradient flow of the modified loss :math:`L + \tfrac{\mathrm{lr}}{4}\lVert\nabla L\rVert^2`.

    Introduced in the chapter on the loss landscape (backward error analysis: Barrett and
    Dherin, "Implicit gradient regularization", ICLR 2021).

    The gradient of the modified loss is :math:`(I + \tfrac{\mathrm{lr}}{2}A)(A\phi - b)` with
    :math:`A = X X^T`, :math:`b = X y`: a linear flow with the same minimum whose mode with
    eigenvalue :math:`\lambda` decays at the rate :math:`\lambda(1 + \mathrm{lr}\,\lambda/2)`,

    .. math::

        \phi(t) = \phi^* + V e^{-\Lambda (I + \mathrm{lr}\Lambda/2)\, t} V^T (\phi_0 - \phi^*).

    Gradient descent with step ``lr`` stays closer to this flow at :math:`t = k\,\mathrm{lr}`
    than to the plain flow (error :math:`O(\mathrm{lr}^2)` instead of :math:`O(\mathrm{lr})`
    per unit time).

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    phi0 : array_like, shape (D,)
    lr : float
        The step size of the gradient descent being modelled, > 0.
    t : float or array_like, shape (T,)
        Non-negative finite times.

    Returns
    -------
    ndarray, shape (D,) for scalar ``t``, (T, D) for an array
    """
    X, y, phi0 = v.problem(X, y, phi0)
    lr = v.positive_scalar(lr, "lr")
    tt, scalar = v.times(t)
    spec = Spectrum(X, y, checked=True)
    out = spec.params(spec.split(phi0), filter_modified_flow(spec.lam, lr, tt))
    return v.unbatch(out, scalar)


def modified_loss(X, y, phi, lr):
    r"""The modified loss that gradient descent with step ``lr`` follows more closely.

    Introduced in the chapter on the loss landscape.

    .. math::

        \tilde L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2
        + \tfrac{\mathrm{lr}}{4}\,\lVert X (X^T\phi - y)\rVert^2.

    Parameters
    ----------
    X : array_like, shape (D, I)
    y : array_like, shape (I,)
    phi : array_like, shape (D,) or (T, D)
        One parameter vector or a path of them.
    lr : float
        Step size, > 0.

    Returns
    -------
    float for ``phi`` of shape (D,), ndarray of shape (T,) for a path
    """
    X, y = v.problem(X, y)
    v.check_finite(X, "X")
    D = X.shape[0]
    lr = v.positive_scalar(lr, "lr")
    P = v.as_real_array(phi, "phi")
    if P.ndim not in (1, 2) or P.shape[-1] != D:
        raise ValueError(
            f"phi must have shape ({D},) or (T, {D}) (one entry per row of X); got shape {P.shape}"
        )
    v.check_finite(P, "phi")
    r = P @ X - y  # (..., I)
    g = r @ X.T  # (..., D) gradient
    out = 0.5 * np.sum(r * r, axis=-1) + 0.25 * lr * np.sum(g * g, axis=-1)
    return float(out) if P.ndim == 1 else out

