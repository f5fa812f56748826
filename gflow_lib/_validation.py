"""Input checks at the public boundary of :mod:`gflow_lib`: each raises with a message that
names the argument, says what was expected and what was given."""

from __future__ import annotations

import numbers

import numpy as np

ROW = " (one entry per row of X)"


def describe(value) -> str:
    """A short description of what the caller passed."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:120]


def as_real_array(value, name: str) -> np.ndarray:
    """``value`` as float64 (a float64 array is not copied); no text, objects or complex."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a real numeric array; got {describe(value)}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged nested lists and the like
        raise TypeError(f"{name} must be a real numeric array; got {type(value).__name__} "
                        f"that numpy cannot convert ({exc})") from None
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real, not complex; got {describe(arr)}")
    if arr.dtype.kind not in "iuf":  # bool, text, objects, None
        given = describe(value) if arr.ndim == 0 else describe(arr)
        raise TypeError(f"{name} must be a real numeric array (integers or floats); got {given}")
    return arr.astype(np.float64, copy=False)


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if ``arr`` holds NaN or infinity."""
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must contain only finite numbers; got {bad} NaN or infinite "
                         f"value(s) in an array of shape {np.shape(arr)}")


def design_matrix(X, name: str = "X") -> np.ndarray:
    """A non-empty D x I matrix; finiteness is checked on the Gram diagonal (X read once)."""
    X = as_real_array(X, name)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (D, I) whose columns are data "
                         f"points; got {X.ndim}-D array of shape {X.shape}")
    if X.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {X.shape}")
    return X


def check_gram_diagonal(diag: np.ndarray, name: str = "X") -> None:
    """A NaN, infinity or overflowing square anywhere in X makes a Gram diagonal non-finite."""
    if not np.all(np.isfinite(diag)):
        raise ValueError(f"{name} must contain only finite numbers (and entries small enough "
                         "that their squares are finite); got NaN, infinite or overflowing values")


def vector(value, name: str, length: int | None = None, X_shape=None, what: str = "") -> np.ndarray:
    """A finite 1-D vector of the given length; with ``X_shape``, hints at a transposed X."""
    arr = as_real_array(value, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array{what}; got shape {arr.shape}")
    if length is not None and arr.shape[0] != length:
        msg = f"{name} must have length {length}{what}; got length {arr.shape[0]}"
        if X_shape is not None and arr.shape[0] in X_shape:
            msg += (f". X has shape {X_shape}: its columns must be the data points "
                    "(shape (D, I)); did you pass X transposed?")
        raise ValueError(msg)
    check_finite(arr, name)
    return arr


_NO_START = object()


def problem(X, y, phi0=_NO_START, phi0_name: str = "phi0"):
    """A regression problem: X (D, I), y (I,) and, when given, a start (D,) (None: zeros)."""
    X = design_matrix(X)
    y = vector(y, "y", X.shape[1], X.shape, " (one target per column of X)")
    if phi0 is _NO_START:
        return X, y
    return X, y, start(phi0, X.shape[0], phi0_name)


def start(value, D: int, name: str = "phi0") -> np.ndarray:
    """A start (D,): a finite vector, zeros for None."""
    return np.zeros(D) if value is None else vector(value, name, D, what=ROW)


def starts(value, D: int, name: str = "phi0") -> np.ndarray:
    """One start (D,) or N starts (N, D), one per row; zeros (D,) for None."""
    if value is None:
        return np.zeros(D)
    arr = as_real_array(value, name)
    if arr.ndim == 1:
        return vector(arr, name, D, what=ROW)
    if arr.ndim != 2 or arr.shape[1] != D:
        msg = (f"{name} must have shape ({D},) or (N, {D}), one start per row; got shape "
               f"{arr.shape}")
        if arr.ndim == 2 and arr.shape[0] == D:
            msg += f"; did you pass {name} transposed?"
        raise ValueError(msg)
    check_finite(arr, name)
    return arr


def square_matrix(value, name: str) -> np.ndarray:
    """A finite, non-empty square matrix."""
    K = as_real_array(value, name)
    if K.ndim != 2 or K.shape[0] != K.shape[1] or K.size == 0:
        raise ValueError(f"{name} must be a non-empty square matrix; got shape {K.shape}")
    check_finite(K, name)
    return K


def check_symmetric(S: np.ndarray, name: str, scale: float, exponent: int = 0) -> None:
    """Raise unless max|S - S^T| <= 1e-10 scale (S scaled by 2**-exponent; message unscaled)."""
    with np.errstate(over="ignore", invalid="ignore"):
        asym = float(np.max(np.abs(S - S.T)))
    _check_asymmetry(asym, name, scale, exponent)


def symmetric_part(S: np.ndarray, name: str, scale: float, exponent: int = 0) -> np.ndarray:
    """``0.5 (S + S^T)`` after :func:`check_symmetric`'s check, in one pass over S by blocks
    of rows, with no temporary the size of S (for a kernel of 5,000 the two cost 0.5-0.9 s of
    page faults, beside 11 s for its ``eigh``). The same numbers as the whole-matrix form."""
    n = S.shape[0]
    rows_per_block = max(1, (1 << 17) // max(n, 1))  # blocks of about 1 MB
    out = np.empty_like(S)
    asym = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(0, n, rows_per_block):
            rows, cols = S[i : i + rows_per_block], S[:, i : i + rows_per_block].T
            diff = rows - cols
            asym = max(asym, float(np.max(np.abs(diff, out=diff))))
            half = out[i : i + rows_per_block]
            np.add(rows, cols, out=half)
            half *= 0.5
    _check_asymmetry(asym, name, scale, exponent)
    return out


def _check_asymmetry(asym: float, name: str, scale: float, exponent: int) -> None:
    if not asym <= 1e-10 * scale:
        with np.errstate(over="ignore"):
            given = float(np.ldexp(asym, exponent))
        raise ValueError(f"{name} must be symmetric; got a matrix with max |S - S^T| = "
                         f"{given:.3g}")


def path(value, D: int, name: str = "params", finite: bool = True) -> np.ndarray:
    """One parameter vector (D,) or a path (T, D); never NaN, infinite only if not ``finite``."""
    P = as_real_array(value, name)
    if P.ndim not in (1, 2) or P.shape[-1] != D:
        raise ValueError(f"{name} must have shape (T, {D}) or ({D},){ROW}; got shape {P.shape}")
    if finite:
        check_finite(P, name)
    elif np.any(np.isnan(P)):
        raise ValueError(f"{name} must not contain NaN")
    return P


def new_inputs(X_new, D: int, name: str = "X_new") -> np.ndarray:
    """A finite D x M matrix of new inputs (columns are points)."""
    X_new = as_real_array(X_new, name)
    if X_new.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (D, M) = ({D}, M) whose columns "
                         f"are inputs; got shape {X_new.shape}")
    if X_new.shape[0] != D:
        msg = f"{name} must have D = {D} rows (one per parameter); got shape {X_new.shape}"
        if X_new.shape[1] == D:
            msg += f"; did you pass {name} transposed?"
        raise ValueError(msg)
    check_finite(X_new, name)
    return X_new


def covariance(value, D: int, name: str = "prior_cov") -> np.ndarray:
    """A finite, symmetric positive semidefinite D x D matrix."""
    S = as_real_array(value, name)
    if S.shape != (D, D):
        raise ValueError(f"{name} must have shape ({D}, {D}); got shape {S.shape}")
    check_finite(S, name)
    scale = max(float(np.max(np.abs(S))), np.finfo(float).tiny)
    asym = float(np.max(np.abs(S - S.T)))
    if asym > 1e-10 * scale:
        raise ValueError(f"{name} must be symmetric; got a matrix with max |S - S^T| = {asym:.3g}")
    w_min = float(np.linalg.eigvalsh(0.5 * S + 0.5 * S.T)[0])  # no overflow near max float
    if w_min < -1e-10 * scale * D:
        raise ValueError(f"{name} must be positive semidefinite; got smallest eigenvalue "
                         f"{w_min:.3g}")
    return S


def positive_scalar(value, name: str) -> float:
    """A finite, strictly positive real number."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray)):
        raise TypeError(f"{name} must be a positive real number; got {describe(value)}")
    arr = as_real_array(value, name)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar; got an array of shape {arr.shape}")
    if not (np.isfinite(arr) and arr > 0):
        raise ValueError(f"{name} must be a finite positive number; got {float(arr)!r}")
    return float(arr)


def noise_and_prior(sigma_sq, sigma_sq_p):
    """``(s2, sp2, p)``: noise and prior variances and the ridge penalty p = s2/sp2, finite > 0."""
    s2 = positive_scalar(sigma_sq, "sigma_sq")
    sp2 = positive_scalar(sigma_sq_p, "sigma_sq_p")
    with np.errstate(over="ignore", under="ignore"):
        p = s2 / sp2
    if not (np.isfinite(p) and p > 0):
        raise ValueError(f"sigma_sq / sigma_sq_p must be a positive finite number; got {s2!r} / "
                         f"{sp2!r}")
    return s2, sp2, p


def non_negative_int(value, name: str) -> int:
    """A non-negative Python or numpy integer."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be a non-negative integer; got {describe(value)}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value}")
    return int(value)


# ---------------------------------------------- batches: a scalar or a 1-D array of values
def _batch(value, name, kind, of="", got="shape"):
    """A scalar or 1-D array of ``kind`` -> ``(1-D float array, is_scalar)``; bool refused."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a {kind} or a 1-D array of them; got bool")
    arr = as_real_array(value, name)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array{of}; got {got} {arr.shape}")
    return np.atleast_1d(arr), arr.ndim == 0


def _non_negative(arr, name):
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative; got minimum {float(arr.min())!r}")
    return arr


def times(t, name: str = "t"):
    """Non-negative finite times -> ``(1-D array, is_scalar)``; see :func:`unbatch`."""
    tt, scalar = _batch(t, name, "non-negative number", " of times", "an array of shape")
    if np.any(np.isnan(tt)):
        raise ValueError(f"{name} must not be NaN; got {describe(t)}")
    if np.any(np.isinf(tt)):
        raise ValueError(f"{name} must be finite (use .limit() for t -> infinity); got "
                         f"{describe(t)}")
    return _non_negative(tt, name), scalar


def ridge_penalties(penalty, name: str = "penalty"):
    """Non-negative finite ridge penalties -> ``(1-D array, is_scalar)``."""
    pen, scalar = _batch(penalty, name, "non-negative number")
    if not np.all(np.isfinite(pen)) or np.any(pen < 0):
        raise ValueError(f"{name} must be a finite non-negative number or a 1-D array of them; "
                         f"got {describe(penalty)}")
    return pen, scalar


def penalties(penalty, name: str = "penalty"):
    """Positive finite ridge penalties -> ``(1-D array, is_scalar)``."""
    pen, scalar = _batch(penalty, name, "positive number")
    if not np.all(np.isfinite(pen)) or np.any(pen <= 0):
        raise ValueError(f"{name} must be finite and positive; got {pen.tolist()[:5]}")
    return pen, scalar


def eigenvalues(lam, name: str = "lam") -> np.ndarray:
    """Finite non-negative eigenvalues -> a 1-D array."""
    lam = _batch(lam, name, "non-negative number", " of eigenvalues")[0]
    check_finite(lam, name)
    return _non_negative(lam, name)


def step_counts(k, name: str = "k"):
    """Non-negative integer step counts -> ``(1-D float array, is_scalar)``."""
    if not isinstance(k, (bool, np.bool_)) and np.asarray(k).dtype.kind not in "iu":
        raise TypeError(f"{name} must be a non-negative integer or a 1-D array of integers "
                        f"(step counts); got {describe(k)}")
    kk, scalar = _batch(k, name, "non-negative integer", " of step counts")
    return _non_negative(kk, name), scalar


def unbatch(out, scalar: bool):
    """Undo :func:`times`'s batching: for a scalar, drop ``out``'s leading axis (0-d: a float)."""
    if not scalar:
        return out
    if isinstance(out, tuple):
        items = [unbatch(o, True) for o in out]
        return type(out)(*items) if hasattr(out, "_fields") else tuple(items)
    return float(out[0]) if np.ndim(out[0]) == 0 else out[0]


def frozen(a) -> np.ndarray:
    """A read-only float64 copy (the caller's array and its flags stay as they were)."""
    a = np.array(a, dtype=float, copy=True)
    a.flags.writeable = False
    return a


def non_negative_scalar(value, name: str) -> float:
    """Check a finite real number >= 0 (a variance that may be zero)."""
    if isinstance(value, bool) or np.ndim(value) != 0:
        raise TypeError(f"{name} must be a non-negative real number; got {describe(value)}")
    arr = as_real_array(value, name)
    if not (np.isfinite(arr) and arr >= 0):
        raise ValueError(f"{name} must be a finite non-negative number; got {float(arr)!r}")
    return float(arr)


def kernel_rows(K_new, I: int, name: str = "K_new") -> np.ndarray:
    """Check a kernel between M new inputs and I training inputs: finite, shape (M, I)."""
    K_new = as_real_array(K_new, name)
    if K_new.ndim != 2 or K_new.shape[1] != I:
        raise ValueError(f"{name} must have shape (M, {I}); got shape {K_new.shape}")
    check_finite(K_new, name)
    return K_new


# --- kernels and networks (H2)
#: The default caps on the float64 values one call may allocate (2**27, 1 GiB) and on its
#: multiply-adds (2**32, a few minutes); larger requests are refused, naming the argument.
MAX_ELEMENTS = 2**27
MAX_WORK = 2**32


def size_limit(n, name: str, limit: int = MAX_ELEMENTS, what: str = "") -> int:
    """Refuse a size (or a product of sizes) above ``limit``, naming the argument."""
    if n > limit:
        raise ValueError(f"{name} must be at most {limit:,}{what}; got {n:,}")
    return n


def positive_int(value, name: str) -> int:
    """A Python or numpy integer >= 1."""
    n = non_negative_int(value, name)
    if n < 1:
        raise ValueError(f"{name} must be a positive integer; got {n}")
    return n


def scalar_inputs(x, name: str = "x") -> np.ndarray:
    """A finite 1-D array of scalar inputs."""
    return vector(x, name, what=" of scalar inputs")


def input_pair(x1, x2):
    """Scalar inputs x1 (M1,) and x2 (M2,) (default x1) whose (M1, M2) kernel fits the limit."""
    x1 = scalar_inputs(x1, "x1")
    x2 = x1 if x2 is None else scalar_inputs(x2, "x2")
    size_limit(x1.size * x2.size, "the kernel's size M1 * M2")
    return x1, x2


def input_rows(x1, x2):
    """Inputs (M, d), or (M,) for d = 1, as finite 2-D arrays of one d; x2 defaults to x1."""
    out = []
    for x, name in ((x1, "x1"), (x2, "x2")):
        if x is None:
            out.append(out[0])
            continue
        a = as_real_array(x, name)
        if a.ndim not in (1, 2) or (a.ndim == 2 and a.shape[1] == 0):
            raise ValueError(f"{name} must be an array of shape (M,) of scalar inputs or (M, d) of "
                             f"d-dimensional inputs, d >= 1; got shape {a.shape}")
        check_finite(a, name)
        out.append(a[:, None] if a.ndim == 1 else a)
    if out[0].shape[1] != out[1].shape[1]:
        raise ValueError(f"x1 and x2 must have the same input dimension d; got shapes "
                         f"{np.shape(x1)} and {np.shape(x2)}")
    return out[0], out[1]


def cosines(c, name: str = "c", tol: float = 1e-8) -> np.ndarray:
    """Cosines in [-1, 1]; up to ``tol`` outside is rounding and is clipped."""
    c = as_real_array(c, name)
    check_finite(c, name)
    if np.any(np.abs(c) > 1.0 + tol):
        raise ValueError(f"{name} must hold cosines in [-1, 1]; got values from "
                         f"{float(c.min())!r} to {float(c.max())!r}")
    return np.clip(c, -1.0, 1.0)


def shallow_params(params):
    """``(W, v, beta)``, shapes (..., D, 2), (..., D) and (...), all finite, D >= 1."""
    if not isinstance(params, tuple) or len(params) != 3:
        raise TypeError("params must be ShallowParams(W, v, beta), e.g. from init_shallow; got "
                        f"{describe(params)}")
    W, vv, beta = (as_real_array(a, n) for a, n in zip(params, ("W", "v", "beta"), strict=True))
    if W.ndim < 2 or W.shape[-1] != 2 or vv.shape != W.shape[:-1] or beta.shape != vv.shape[:-1]:
        raise ValueError("params must have W of shape (..., D, 2), v of shape (..., D) and beta "
                         f"of shape (...); got {W.shape}, {vv.shape} and {beta.shape}")
    if W.shape[-2] < 1:
        raise ValueError("params must have at least one hidden unit; got D = 0")
    for a, n in ((W, "W"), (vv, "v"), (beta, "beta")):
        check_finite(a, f"params.{n}")
    return W, vv, beta


def extent(value):
    """A plot window (intercept_min, intercept_max, slope_min, slope_max): finite, min < max."""
    try:
        c0, c1, s0, s1 = (float(e) for e in value)
    except (TypeError, ValueError):
        raise TypeError(
            "extent must be four numbers (intercept_min, intercept_max, slope_min, slope_max); "
            f"got {describe(value)}"
        ) from None
    if not (np.isfinite([c0, c1, s0, s1]).all() and c0 < c1 and s0 < s1):
        raise ValueError(
            "extent must be finite with intercept_min < intercept_max and slope_min < "
            f"slope_max; got {(c0, c1, s0, s1)}"
        )
    return c0, c1, s0, s1


# --- momentum (H9)
def momentum(value, name: str = "beta") -> float:
    """A momentum coefficient: a real number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray)):
        raise TypeError(f"{name} must be a real number in [0, 1); got {describe(value)}")
    arr = as_real_array(value, name)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar; got an array of shape {arr.shape}")
    if not 0.0 <= float(arr) < 1.0:
        raise ValueError(f"{name} must be in [0, 1) (momentum); got {float(arr)!r}")
    return float(arr)


def spectrum_values(value, name: str = "eigenvalues", positive: bool = True) -> np.ndarray:
    """Eigenvalues: a finite, non-negative 1-D array, with a positive one if ``positive``."""
    lam = as_real_array(value, name)
    if lam.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of eigenvalues; got shape {lam.shape}")
    check_finite(lam, name)
    _non_negative(lam, name)
    if positive and not np.any(lam > 0):
        raise ValueError(f"{name} must include a positive eigenvalue; got "
                         f"{'none' if lam.size == 0 else 'only zeros'} ({lam.size} values)")
    return lam


def metric(value, D: int, name: str = "metric") -> np.ndarray:
    """A preconditioner: a finite, symmetric positive definite D x D matrix (momentum, H9)."""
    P = as_real_array(value, name)
    if P.shape != (D, D):
        raise ValueError(f"{name} must be a symmetric positive definite matrix of shape ({D}, "
                         f"{D}), one row per parameter; got shape {P.shape}")
    check_finite(P, name)
    scale = max(float(np.max(np.abs(P))), np.finfo(float).tiny)
    check_symmetric(P, name, scale)
    w = np.linalg.eigvalsh(0.5 * P + 0.5 * P.T)
    if not w[0] > D * np.finfo(float).eps * w[-1]:
        raise ValueError(f"{name} must be positive definite; got smallest eigenvalue "
                         f"{float(w[0]):.3g} (largest {float(w[-1]):.3g})")
    return P


# --- stochastic gradient descent (issue 21)
def sampling(replace, name: str = "replace") -> bool:
    """Sampling with (True) or without (False) replacement: a bool."""
    if not isinstance(replace, (bool, np.bool_)):
        raise TypeError(f"{name} must be True (draws with replacement) or False (distinct "
                        f"points); got {describe(replace)}")
    return bool(replace)


def batch_size(value, I: int, replace: bool = True, name: str = "batch_size") -> int:  # noqa: E741
    """A minibatch size B >= 1; at most I, the number of points, without replacement."""
    B = positive_int(value, name)
    if not sampling(replace) and B > I:
        raise ValueError(f"{name} must be at most I = {I} (the number of data points) when "
                         f"drawing distinct points (replace=False); got {B}")
    return B


def reshuffle_batch(value, I: int, name: str = "batch_size") -> int:  # noqa: E741
    """A batch size B that divides I, for random reshuffling (I/B batches per epoch)."""
    B = positive_int(value, name)
    if I % B:
        raise ValueError(f"{name} must divide I = {I} (random reshuffling cuts each epoch into "
                         f"I / batch_size batches); got {B}")
    return B


# --- deep linear and diagonal networks (issue 22)
def correlation_matrix(value, name: str = "Sigma_yx") -> np.ndarray:
    """A finite, non-empty (N_out, N_in) input-output correlation matrix."""
    S = as_real_array(value, name)
    if S.ndim != 2 or S.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array of shape (N_out, N_in); got "
                         f"shape {S.shape}")
    check_finite(S, name)
    return S


def singular_values(value, name: str = "s") -> np.ndarray:
    """Finite singular values >= 0, a scalar or 1-D array -> a 1-D array."""
    s = as_real_array(value, name)
    if s.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array of singular values; got shape "
                         f"{s.shape}")
    return spectrum_values(np.atleast_1d(s), name, positive=False)


def increasing_times(t, limit: float, name: str = "t") -> np.ndarray:
    """Strictly increasing finite times >= 0, the last at most ``limit`` (an ODE solve)."""
    tt = times(t, name)[0]
    if np.any(np.diff(tt) <= 0) or tt[-1] > limit:
        raise ValueError(f"{name} must be increasing, with its last time at most {limit:g}; got "
                         f"{describe(t)}")
    return tt


def choice(value, options: tuple, name: str):
    """One of ``options`` (strings)."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got "
                         f"{describe(value)}")
    return value
