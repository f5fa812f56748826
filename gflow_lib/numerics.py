r"""A numerical reference for the closed forms: integrate the gradient-flow ODE step by step.

Introduced in the chapter on closed-form flow (``book/closed_form.ipynb``), where it checks the
closed form live. It shares no code with :mod:`gflow_lib.flow`: it never decomposes a Gram
matrix, it only evaluates the gradient and lets an adaptive Runge-Kutta method do the rest.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from . import _validation as v

__all__ = ["solve_flow_numerically"]


def solve_flow_numerically(X, y, phi0, t, rtol=1e-12, atol=1e-14, method="DOP853"):
    r"""Parameters of gradient flow at times ``t``, by numerical integration of the ODE.

    Introduced in the chapter on closed-form flow (the live check of the closed form).

    .. math::

        \frac{d\phi}{dt} = -X\,(X^T \phi - y), \qquad \phi(0) = \phi_0.

    Parameters
    ----------
    X : array_like, shape (D, I)
        Data matrix; each column is one data point.
    y : array_like, shape (I,)
        Targets.
    phi0 : array_like, shape (D,)
        Initial parameters.
    t : float or array_like, shape (T,)
        Non-negative times, in any order and possibly repeated (the solver gets them sorted
        and distinct; the result follows the order given).
    rtol, atol : float
        Relative and absolute tolerances of :func:`scipy.integrate.solve_ivp`. The values at
        ``t`` come from the solver's dense-output interpolant, which is less accurate than
        its steps: with the defaults the error on the book's data is about 2e-11; with
        ``rtol=1e-11`` it is already about 3e-9.
    method : str
        An explicit or implicit method of ``solve_ivp`` ("DOP853", "RK45", "Radau", ...).

    Returns
    -------
    ndarray, shape (D,) for scalar ``t``, (T, D) for an array

    Raises
    ------
    RuntimeError
        If the solver reports a failure.
    """
    X = v.design_matrix(X)
    v.check_finite(X, "X")
    D, n_points = X.shape
    y = v.vector(y, "y", n_points, X.shape, " (one target per column of X)")
    phi0 = v.vector(phi0, "phi0", D, what=" (one entry per row of X)")
    tt, scalar = v.times(t)
    rtol = v.positive_scalar(rtol, "rtol")
    atol = v.positive_scalar(atol, "atol")
    if not isinstance(method, str):
        raise TypeError(f"method must be the name of a solve_ivp method; got {method!r}")

    t_sorted, back = np.unique(tt, return_inverse=True)  # the solver wants distinct times
    t_end = float(t_sorted[-1])
    if t_end == 0.0:
        out = np.tile(phi0, (tt.size, 1))
        return out[0] if scalar else out

    def rhs(_, phi):
        return -X @ (X.T @ phi - y)

    jac = -(X @ X.T)
    sol = solve_ivp(
        rhs,
        (0.0, t_end),
        phi0,
        method=method,
        t_eval=t_sorted,
        rtol=rtol,
        atol=atol,
        **({"jac": lambda *_: jac} if method in ("Radau", "BDF", "LSODA") else {}),
    )
    if not sol.success:
        raise RuntimeError(f"solve_ivp ({method}) failed: {sol.message}")
    out = sol.y.T[back.ravel()]
    return out[0] if scalar else out
