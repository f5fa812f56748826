"""Shared set-up for the library tests: a reproducible hypothesis profile, the seed data, and
reference implementations that share no code with :mod:`gflow_lib`.

The references are independent methods: a numerical ODE solve of the gradient flow, the exact
matrix exponential of an augmented system (``scipy.linalg.expm``), and small-step gradient
descent written out here. They are exposed as session-scoped fixtures so that hypothesis tests
can use them too.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.linalg
from hypothesis import HealthCheck, settings
from scipy.integrate import solve_ivp

# Reproducible and quick: the same examples on every run, no deadline (a 2-core machine shared
# by many processes has noisy timings), at most 50 examples per property.
settings.register_profile(
    "gflow",
    derandomize=True,
    deadline=None,
    max_examples=50,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("gflow")


# ----------------------------------------------------------------------------- data
@pytest.fixture(scope="session")
def seed():
    """The seed notebook's data: X (2, 3) with rows (x, 1), y (3,), phi0 (2,) = (slope,
    intercept).

    Written out here rather than taken from gflow_lib.data, so that the reference numbers the
    tests derive from this data (and that the seed notebook printed) are checked against the
    data itself, not against whatever gflow_lib.data returns."""
    x = np.array([0.2, 0.4, 0.8])
    X = np.vstack([x, np.ones(3)])
    y = np.array([-0.1, 0.15, 0.3])
    phi0 = np.array([-0.05, -0.4])
    return X, y, phi0


# ------------------------------------------------------------------------ references
def ode_params(X, y, phi0, ts, rtol=1e-12, atol=1e-14, method="DOP853"):
    """phi(t) at the times ``ts`` (ascending, shape (T,)) by integrating
    d phi / dt = -X (X^T phi - y) with solve_ivp. Returns shape (T, D)."""
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    A = X @ X.T
    b = X @ y
    ts = np.asarray(ts, float)

    def rhs(_t, p):
        return b - A @ p

    extra = {"jac": lambda _t, _p: -A} if method in ("Radau", "BDF", "LSODA") else {}
    sol = solve_ivp(
        rhs, (0.0, float(ts[-1])), np.asarray(phi0, float), t_eval=ts, method=method,
        rtol=rtol, atol=atol, **extra,
    )
    assert sol.success, sol.message
    return sol.y.T


def expm_affine(X, y, t):
    """(E, c) with phi(t) = E phi0 + c exactly: E = expm(-A t) and c the last column of
    expm(t [[-A, b], [0, 0]]). Works for singular A (no division by eigenvalues)."""
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    D = X.shape[0]
    M = np.zeros((D + 1, D + 1))
    M[:D, :D] = -X @ X.T
    M[:D, D] = X @ y
    big = scipy.linalg.expm(t * M)
    return big[:D, :D], big[:D, D]


def expm_params(X, y, phi0, ts):
    """phi(t) for each t in ``ts`` through :func:`expm_affine`. Returns shape (T, D)."""
    out = []
    for t in np.atleast_1d(ts):
        E, c = expm_affine(X, y, float(t))
        out.append(E @ np.asarray(phi0, float) + c)
    return np.array(out)


def small_step_descent(X, y, phi0, h, n_steps):
    """Plain gradient descent written out independently; returns the last iterate."""
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    phi = np.array(phi0, float)
    for _ in range(n_steps):
        phi = phi - h * (X @ (X.T @ phi - y))
    return phi


def min_norm_limit(X, y, phi0, rcond=1e-10):
    """Minimum-norm least squares (np.linalg.pinv) plus the projection of phi0 on the null
    space of X^T: the t -> infinity limit of the flow."""
    X = np.asarray(X, float)
    P = np.linalg.pinv(X.T, rcond=rcond)  # (D, I)
    null_proj = np.eye(X.shape[0]) - P @ X.T
    return P @ np.asarray(y, float) + null_proj @ np.asarray(phi0, float)


@pytest.fixture(scope="session")
def ref():
    """The independent reference implementations, as a namespace."""
    return SimpleNamespace(
        ode_params=ode_params,
        expm_affine=expm_affine,
        expm_params=expm_params,
        small_step_descent=small_step_descent,
        min_norm_limit=min_norm_limit,
    )


@pytest.fixture
def rng():
    """A seeded generator, fresh for each test."""
    return np.random.default_rng(20240129)
