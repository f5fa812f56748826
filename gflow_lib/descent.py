"""Gradient descent with a finite step ``lr``, and the closed forms it is compared with.
Introduced in the chapter on the loss landscape (``book/landscape.ipynb``). The closed forms
are paths through one spectrum: ``descent_closed_form(X, y, phi0, lr, k)`` is
``Spectrum(X, y).path(Descent(lr), phi0).params(k)``, and the modified flows use
:class:`~gflow_lib.ModifiedFlow` and :class:`~gflow_lib.ExactModifiedFlow` instead."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _docs
from . import _validation as v
from .spectrum import Descent, ExactModifiedFlow, ModifiedFlow, Spectrum, spectrum_of

__all__ = ["descent_closed_form", "exact_modified_flow_params", "gradient_descent",
           "modified_flow_params", "modified_loss", "stability_thresholds"]


class Thresholds(NamedTuple):
    """The steps below which descent is monotone (``monotone``) and converges (``stable``)."""

    monotone: float
    stable: float


@_docs.fill
def gradient_descent(X, y, phi0, lr, n_steps):
    r"""Plain gradient descent on :math:`L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2`.
    Introduced in the chapter on the loss landscape.

    .. math:: \phi_{k+1} = \phi_k - \mathrm{lr}\, X (X^T \phi_k - y)

    Parameters
    ----------
    %(X_y)s
    %(phi0)s
    %(lr)s
    %(n_steps)s

    Returns
    -------
    ndarray, shape (n_steps + 1, D)
        The iterates, ``phi0`` first; a diverging run overflows to signed infinities, never NaN.
    """
    X, y, phi0 = v.problem(X, y, phi0)
    lr = v.positive_scalar(lr, "lr")
    n_steps = v.non_negative_int(n_steps, "n_steps")
    D, I = X.shape
    out = np.empty((n_steps + 1, D))
    out[0] = phi = phi0
    with np.errstate(over="ignore", invalid="ignore"):
        if D <= I:  # the gradient A phi - b costs O(D^2) per step
            A, b = X @ X.T, X @ y
            v.check_gram_diagonal(np.diagonal(A))  # entries whose squares overflow
        else:
            v.check_gram_diagonal(np.einsum("di,di->i", X, X))
        for k in range(n_steps):
            phi = phi - lr * (A @ phi - b if D <= I else X @ (X.T @ phi - y))
            if not np.all(np.isfinite(phi)):  # overflow: the rest in closed form
                path = Spectrum(X, y, checked=True).path(Descent(lr), phi0)
                out[k + 1 :] = path.params(np.arange(k + 1, n_steps + 1))
                break
            out[k + 1] = phi
    return out


@_docs.fill
def stability_thresholds(X) -> Thresholds:
    r"""The step sizes below which descent is monotone and stable.
    Introduced in the chapter on the loss landscape. One step multiplies each eigen-coordinate's
    distance to the minimum by :math:`1 - \mathrm{lr}\,\lambda`, so

    .. math:: \text{monotone} = 1/\lambda_{\max}, \qquad \text{stable} = 2/\lambda_{\max}

    Parameters
    ----------
    X : array_like, shape (D, I), or Spectrum
        Not all zero; or its built :class:`~gflow_lib.Spectrum`.

    Returns
    -------
    Thresholds
    """
    spec = spectrum_of(X)
    if spec.rank == 0:
        raise ValueError("X must not be all zeros: its Gram matrix has no positive eigenvalue")
    lam_max = float(spec.lam[-1])
    return Thresholds(1.0 / lam_max, 2.0 / lam_max)


def _filtered(filt, X, y, phi0, index):
    """Parameters after ``filt`` at ``index``, from ``phi0``."""
    X, y = v.problem(X, y)
    return Spectrum(X, y, checked=True).path(filt, phi0).params(index)


@_docs.fill
def descent_closed_form(X, y, phi0, lr, k):
    r"""Gradient descent after ``k`` steps, in closed form (no loop over steps).
    Introduced in the chapter on the loss landscape. On the range of X:

    .. math:: \phi_k = \phi^* + (I - \mathrm{lr}\,X X^T)^k (\phi_0 - \phi^*)

    Parameters
    ----------
    %(X_y_phi0)s
    %(lr)s
    %(k)s

    Returns
    -------
    ndarray, shape (D,) for scalar ``k``, (K, D) for an array
        ``gradient_descent(X, y, phi0, lr, n)[k]`` up to rounding.
    """
    return _filtered(Descent(lr), X, y, phi0, k)


@_docs.fill
def modified_flow_params(X, y, phi0, lr, t):
    r"""Gradient flow of the modified loss (:func:`modified_loss`), which descent with step
    ``lr`` follows to :math:`O(\mathrm{lr}^2)` per unit time.
    Introduced in the chapter on the loss landscape (backward error analysis: Barrett and
    Dherin, "Implicit gradient regularization", ICLR 2021).

    .. math:: \phi(t) = \phi^* + V e^{-\Lambda (I + \mathrm{lr}\Lambda/2)\, t} V^T (\phi_0 - \phi^*)

    Parameters
    ----------
    %(X_y_phi0)s
    %(lr)s
    %(t)s

    Returns
    -------
    ndarray, shape (D,) for scalar ``t``, (T, D) for an array
    """
    return _filtered(ModifiedFlow(lr), X, y, phi0, t)


@_docs.fill
def exact_modified_flow_params(X, y, phi0, lr, t):
    r"""The gradient flow on which gradient descent with step ``lr`` lies exactly, at time ``t``.
    Introduced in the chapter on the loss landscape. One step multiplies mode :math:`k` by
    :math:`1 - lr\,\lambda_k = e^{-\tilde\lambda_k lr}`, so the iterates are the flow with
    Hessian :math:`-\log(I - lr\,A)/lr` sampled at :math:`t = k\,lr`; its first-order term gives
    :func:`modified_flow_params`.

    .. math:: \phi(t) = \phi^* + V e^{-\tilde\Lambda t} V^T (\phi_0 - \phi^*), \qquad
        \tilde\lambda_k = -\log(1 - lr\,\lambda_k)/lr

    Parameters
    ----------
    %(X_y_phi0)s
    %(lr)s
        Below :math:`1/\lambda_{\max}` (beyond, descent flips the fast modes' signs; no flow does).
    %(t)s

    Returns
    -------
    ndarray, shape (D,) for scalar ``t``, (T, D) for an array
        At ``t = k * lr`` equal to ``descent_closed_form(X, y, phi0, lr, k)`` up to rounding.
    """
    return _filtered(ExactModifiedFlow(lr), X, y, phi0, t)


@_docs.fill
def modified_loss(X, y, phi, lr):
    r"""The modified loss that gradient descent with step ``lr`` follows more closely, at ``phi``
    (D,) or (T, D): a float, or (T,). Introduced in the chapter on the loss landscape.

    .. math:: \tilde L(\phi) = \tfrac12\lVert X^T\phi - y\rVert^2
        + \tfrac{\mathrm{lr}}{4}\,\lVert X (X^T\phi - y)\rVert^2
    """
    X, y = v.problem(X, y)
    v.check_finite(X, "X")
    lr = v.positive_scalar(lr, "lr")
    P = v.path(phi, X.shape[0], "phi")
    r = P @ X - y
    g = r @ X.T
    out = 0.5 * np.sum(r * r, axis=-1) + 0.25 * lr * np.sum(g * g, axis=-1)
    return float(out) if P.ndim == 1 else out
