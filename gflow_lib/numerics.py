r"""A numerical reference for the closed forms: the gradient-flow ODE, integrated step by step.
Introduced in the chapter on closed-form flow (``book/closed_form.ipynb``), where it checks the
closed form live. It shares no code with :mod:`gflow_lib.flow` and decomposes nothing."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from . import _docs
from . import _validation as v

__all__ = ["solve_flow_numerically"]


@_docs.fill
def solve_flow_numerically(X, y, phi0, t, rtol=1e-12, atol=1e-14, method="DOP853"):
    r"""Parameters of gradient flow at times ``t``, by numerical integration of the ODE (a
    ``RuntimeError`` if the solver fails). Introduced in the chapter on closed-form flow.

    .. math:: \frac{d\phi}{dt} = -X\,(X^T \phi - y), \qquad \phi(0) = \phi_0

    Parameters
    ----------
    %(X_y_phi0)s
    t : float or array_like, shape (T,)
        Times, >= 0, in any order, possibly repeated.
    rtol, atol : float
        Tolerances of :func:`scipy.integrate.solve_ivp`; its dense output gives the values
        at ``t`` (about 2e-11 on the book's data with the defaults).
    method : str
        A method of ``solve_ivp`` ("DOP853", "RK45", "Radau", ...).

    Returns
    -------
    ndarray, shape (D,) for scalar ``t``, (T, D) for an array
    """
    X, y, phi0 = v.problem(X, y, phi0)
    v.check_finite(X, "X")
    tt, scalar = v.times(t)
    rtol = v.positive_scalar(rtol, "rtol")
    atol = v.positive_scalar(atol, "atol")
    if not isinstance(method, str):
        raise TypeError(f"method must be the name of a solve_ivp method; got {method!r}")
    if tt.size == 0:  # no times: no rows
        return np.empty((0, phi0.size))
    t_sorted, back = np.unique(tt, return_inverse=True)  # the solver wants distinct times
    if t_sorted[-1] == 0.0:
        return v.unbatch(np.tile(phi0, (tt.size, 1)), scalar)
    jac = -(X @ X.T)
    stiff = {"jac": lambda *_: jac} if method in ("Radau", "BDF", "LSODA") else {}
    sol = solve_ivp(lambda _, phi: -X @ (X.T @ phi - y), (0.0, float(t_sorted[-1])), phi0,
                    method=method, t_eval=t_sorted, rtol=rtol, atol=atol, **stiff)
    if not sol.success:
        raise RuntimeError(f"solve_ivp ({method}) failed: {sol.message}")
    return v.unbatch(sol.y.T[back.ravel()], scalar)
