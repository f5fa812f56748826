"""Input checks shared by every public function of :mod:`gflow_lib`.

Each check raises at the public boundary with a message that names the
argument, says what was expected and what was given.
"""

from __future__ import annotations

import numbers

import numpy as np


def describe(value) -> str:
    """A short description of what the caller passed."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:120]


def as_real_array(value, name: str) -> np.ndarray:
    """Convert ``value`` to a float64 array, refusing non-numeric and complex input.

    Integer arrays and Python lists are accepted; float64 arrays are not copied.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a real numeric array; got {describe(value)}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged nested lists and the like
        raise TypeError(
            f"{name} must be a real numeric array; got {type(value).__name__} "
            f"that numpy cannot convert ({exc})"
        ) from None
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, not complex; got {describe(arr)}")
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        given = describe(value) if arr.ndim == 0 else describe(arr)  # None, objects
        raise TypeError(f"{name} must be a real numeric array (integers or floats); got {given}")
    if arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if ``arr`` holds NaN or infinity."""
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"{name} must contain only finite numbers; got {bad} NaN or infinite "
            f"value(s) in an array of shape {np.shape(arr)}"
        )


def design_matrix(X, name: str = "X") -> np.ndarray:
    """Check a D x I data matrix (columns are data points). Finiteness is checked later
    on the Gram matrix's diagonal, so that a large X is read only once."""
    X = as_real_array(X, name)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (D, I) whose columns are data points; "
            f"got {X.ndim}-D array of shape {X.shape}"
        )
    if X.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {X.shape}")
    return X


def check_gram_diagonal(diag: np.ndarray, name: str = "X") -> None:
    """Every entry of X enters a diagonal entry of a Gram matrix as its square, so a NaN or
    infinity anywhere in X shows up as a non-finite diagonal entry."""
    if not np.all(np.isfinite(diag)):
        raise ValueError(
            f"{name} must contain only finite numbers (and entries small enough that "
            f"their squares are finite); got NaN, infinite or overflowing values"
        )


def vector(value, name: str, length: int | None = None, X_shape=None, what: str = "") -> np.ndarray:
    """Check a 1-D vector, optionally of a given length."""
    arr = as_real_array(value, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array{what}; got shape {arr.shape}")
    if length is not None and arr.shape[0] != length:
        msg = f"{name} must have length {length}{what}; got length {arr.shape[0]}"
        if X_shape is not None and arr.shape[0] == X_shape[0] and X_shape[0] != X_shape[1]:
            msg += (
                f". X has shape {X_shape}: its columns must be the data points "
                f"(shape (D, I)); did you pass X transposed?"
            )
        raise ValueError(msg)
    check_finite(arr, name)
    return arr


def times(t, name: str = "t"):
    """Check a time: a non-negative finite scalar or a 1-D array of them.

    Returns ``(array, is_scalar)`` with ``array`` 1-D.
    """
    if isinstance(t, bool):
        raise TypeError(f"{name} must be a non-negative number or a 1-D array of them; got bool")
    arr = as_real_array(t, name)
    if arr.ndim > 1:
        raise ValueError(
            f"{name} must be a scalar or a 1-D array of times; got an array of shape {arr.shape}"
        )
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} must not be NaN; got {describe(t)}")
    if np.any(np.isinf(arr)):
        raise ValueError(
            f"{name} must be finite (use .limit() for t -> infinity); got {describe(t)}"
        )
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative; got minimum {float(arr.min())!r}")
    return np.atleast_1d(arr), arr.ndim == 0


def positive_scalar(value, name: str) -> float:
    """Check a finite, strictly positive real number."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray)):
        raise TypeError(f"{name} must be a positive real number; got {describe(value)}")
    arr = as_real_array(value, name)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar; got an array of shape {arr.shape}")
    v = float(arr)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite positive number; got {v!r}")
    return v


def non_negative_int(value, name: str) -> int:
    """Check a non-negative integer (Python or numpy integer)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be a non-negative integer; got {describe(value)}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value}")
    return int(value)


def new_inputs(X_new, D: int, name: str = "X_new") -> np.ndarray:
    """Check a D x M matrix of new inputs (columns are points)."""
    X_new = as_real_array(X_new, name)
    if X_new.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (D, M) = ({D}, M) whose columns are "
            f"inputs; got shape {X_new.shape}"
        )
    if X_new.shape[0] != D:
        msg = f"{name} must have D = {D} rows (one per parameter); got shape {X_new.shape}"
        if X_new.shape[1] == D:
            msg += "; did you pass X_new transposed?"
        raise ValueError(msg)
    check_finite(X_new, name)
    return X_new


def covariance(value, D: int, name: str = "prior_cov") -> np.ndarray:
    """Check a symmetric positive semidefinite D x D matrix."""
    S = as_real_array(value, name)
    if S.shape != (D, D):
        raise ValueError(f"{name} must have shape ({D}, {D}); got shape {S.shape}")
    check_finite(S, name)
    scale = max(float(np.max(np.abs(S))), np.finfo(float).tiny)
    asym = float(np.max(np.abs(S - S.T)))
    if asym > 1e-10 * scale:
        raise ValueError(
            f"{name} must be symmetric; got a matrix with max |S - S^T| = {asym:.3g}"
        )
    w_min = float(np.linalg.eigvalsh(0.5 * S + 0.5 * S.T)[0])  # no overflow near max float
    if w_min < -1e-10 * scale * D:
        raise ValueError(
            f"{name} must be positive semidefinite; got smallest eigenvalue {w_min:.3g}"
        )
    return S


def unbatch(out, scalar: bool):
    """The other half of :func:`times`: for a scalar time drop the leading time axis of
    ``out`` (an array, or a tuple of arrays); a 0-d result becomes a float."""
    if not scalar:
        return out
    if isinstance(out, tuple):
        return type(out)(*(unbatch(o, True) for o in out)) if hasattr(out, "_fields") \
            else tuple(unbatch(o, True) for o in out)
    first = out[0]
    return float(first) if np.ndim(first) == 0 else first


def problem(X, y, phi0=None, phi0_name: str = "phi0"):
    """Check a regression problem: X (D, I), y (I,) and optionally a start (D,)."""
    X = design_matrix(X)
    D, I = X.shape  # noqa: E741
    y = vector(y, "y", I, X.shape, " (one target per column of X)")
    if phi0 is None:
        return X, y
    phi0 = vector(phi0, phi0_name, D, what=" (one entry per row of X)")
    return X, y, phi0


def penalties(penalty, name: str = "penalty"):
    """Check ridge penalties: a positive finite scalar or 1-D array. Returns (1-D, is_scalar)."""
    if isinstance(penalty, bool):
        raise TypeError(f"{name} must be a positive number or a 1-D array of them; got bool")
    pen = as_real_array(penalty, name)
    if pen.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array; got shape {pen.shape}")
    if not np.all(np.isfinite(pen)) or np.any(pen <= 0):
        got = np.atleast_1d(pen).tolist()[:5]
        raise ValueError(f"{name} must be finite and positive; got {got}")
    return np.atleast_1d(pen), pen.ndim == 0


def eigenvalues(lam, name: str = "lam") -> np.ndarray:
    """Check eigenvalues: finite and non-negative, scalar or 1-D. Returns a 1-D array."""
    lam = as_real_array(lam, name)
    if lam.ndim > 1:
        raise ValueError(
            f"{name} must be a scalar or a 1-D array of eigenvalues; got shape {lam.shape}"
        )
    check_finite(lam, name)
    if np.any(lam < 0):
        raise ValueError(f"{name} must be non-negative; got minimum {float(lam.min())!r}")
    return np.atleast_1d(lam)


def step_counts(k, name: str = "k"):
    """A non-negative integer or a 1-D array of them -> (1-D int array, is_scalar)."""
    if isinstance(k, (bool, np.bool_)):
        raise TypeError(f"{name} must be a non-negative integer or a 1-D array of them; got bool")
    arr = np.asarray(k)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"{name} must be a non-negative integer or a 1-D array of integers (step counts); "
            f"got {describe(k)}"
        )
    if arr.ndim > 1:
        raise ValueError(
            f"{name} must be a scalar or a 1-D array of step counts; got shape {arr.shape}"
        )
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative; got minimum {int(arr.min())}")
    return np.atleast_1d(arr), arr.ndim == 0


def frozen(a) -> np.ndarray:
    """A read-only float64 copy (the caller's array and its flags stay as they were)."""
    a = np.array(a, dtype=float, copy=True)
    a.flags.writeable = False
    return a


def positive_ratio(a: float, b: float, name: str) -> float:
    """``a / b`` of two checked positive numbers, refusing a ratio that overflows or
    underflows to 0 (e.g. a ridge penalty sigma_sq / sigma_sq_p)."""
    with np.errstate(over="ignore", under="ignore"):
        r = a / b
    if not (np.isfinite(r) and r > 0):
        raise ValueError(f"{name} must be a positive finite number; got {a!r} / {b!r}")
    return r
