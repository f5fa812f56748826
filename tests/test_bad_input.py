"""One test per kind of bad input: the exception type, and a message that names the argument,
says what was expected and what was given. Nothing may come back as a silent NaN or a wrong
shape, and no RuntimeWarning may escape instead of the error (pyproject.toml turns the
library's RuntimeWarnings into errors)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gflow_lib import (
    LinearFlow,
    gradient_descent,
    gram_eigen,
    map_params,
    ml_params,
    mode_factors,
    prediction_distribution,
    ridge_params,
)

X = np.array([[0.2, 0.4, 0.8], [1.0, 1.0, 1.0]])  # D = 2, I = 3
Y = np.array([-0.1, 0.15, 0.3])
PHI0 = np.array([-0.05, -0.4])
X_NEW = np.array([[0.5, 0.1], [1.0, 1.0]])
MU = np.zeros(2)
SIGMA = 2.0 * np.eye(2)


def with_value(arr, index, value):
    out = np.array(arr, dtype=float)
    out[index] = value
    return out


def flow():
    return LinearFlow(X, Y, PHI0)


def pd(**kw):
    args = dict(X=X, y=Y, X_new=X_NEW, t=1.0, prior_mean=MU, prior_cov=SIGMA)
    args.update(kw)
    return prediction_distribution(**args)


def gd(**kw):
    args = dict(X=X, y=Y, phi0=PHI0, lr=0.1, n_steps=5)
    args.update(kw)
    return gradient_descent(**args)


NONFINITE = r"must contain only finite numbers.*got .*(NaN|infinite)"

# (id, call, exception type, regex the message must match)
CASES = [
    # ----------------------------------------------------------- non-finite values
    ("X-nan", lambda: LinearFlow(with_value(X, (0, 1), np.nan), Y, PHI0), ValueError,
     r"^X " + NONFINITE),
    ("X-inf", lambda: LinearFlow(with_value(X, (1, 2), np.inf), Y, PHI0), ValueError,
     r"^X " + NONFINITE),
    ("X-square-overflows", lambda: LinearFlow(X * 1e200, Y, PHI0), ValueError,
     r"^X must contain only finite numbers \(and entries small enough.*overflowing"),
    ("X-nan-ml", lambda: ml_params(with_value(X, (0, 0), np.nan), Y), ValueError,
     r"^X " + NONFINITE),
    ("X-nan-gd", lambda: gd(X=with_value(X, (0, 0), -np.inf)), ValueError, r"^X " + NONFINITE),
    ("X-nan-pd", lambda: pd(X=with_value(X, (0, 0), np.nan)), ValueError, r"^X " + NONFINITE),
    ("X-nan-gram-eigen", lambda: gram_eigen(with_value(X, (0, 0), np.nan)), ValueError,
     r"^X " + NONFINITE),
    ("y-nan", lambda: LinearFlow(X, with_value(Y, 1, np.nan), PHI0), ValueError,
     r"^y " + NONFINITE + r".*shape \(3,\)"),
    ("y-inf-map", lambda: map_params(X, with_value(Y, 0, np.inf), 0.05, 3.0), ValueError,
     r"^y " + NONFINITE),
    ("phi0-inf", lambda: LinearFlow(X, Y, with_value(PHI0, 0, np.inf)), ValueError,
     r"^phi0 " + NONFINITE),
    ("phi0-nan-gd", lambda: gd(phi0=with_value(PHI0, 1, np.nan)), ValueError,
     r"^phi0 " + NONFINITE),
    ("t-nan", lambda: flow().params(np.nan), ValueError, r"^t must not be NaN; got float nan"),
    ("t-nan-in-array", lambda: flow().loss([0.0, np.nan]), ValueError, r"^t must not be NaN"),
    ("t-inf", lambda: flow().params(np.inf), ValueError,
     r"^t must be finite \(use \.limit\(\) .*got float inf"),
    ("t-inf-loss-array", lambda: flow().loss(np.array([1.0, np.inf])), ValueError,
     r"^t must be finite"),
    ("prior_mean-nan", lambda: pd(prior_mean=with_value(MU, 0, np.nan)), ValueError,
     r"^prior_mean " + NONFINITE),
    ("prior_cov-nan", lambda: pd(prior_cov=with_value(SIGMA, (0, 1), np.nan)), ValueError,
     r"^prior_cov " + NONFINITE),
    ("prior_cov-inf", lambda: pd(prior_cov=with_value(SIGMA, (0, 0), np.inf)), ValueError,
     r"^prior_cov " + NONFINITE),
    ("X_new-nan", lambda: flow().predict(with_value(X_NEW, (0, 0), np.nan), 1.0), ValueError,
     r"^X_new " + NONFINITE),
    ("lam-nan", lambda: mode_factors([1.0, np.nan], 1.0), ValueError, r"^lam " + NONFINITE),
    # ----------------------------------------------------- mismatched lengths
    ("y-too-short", lambda: LinearFlow(X, Y[:1], PHI0), ValueError,
     r"^y must have length 3 \(one target per column of X\); got length 1$"),
    ("X-transposed", lambda: LinearFlow(X.T, Y, PHI0), ValueError,
     r"^y must have length 2 .*got length 3\. X has shape \(3, 2\).*did you pass X transposed\?"),
    ("X-transposed-ml", lambda: ml_params(X.T, Y), ValueError, r"did you pass X transposed\?"),
    ("X-transposed-gd", lambda: gd(X=X.T), ValueError, r"did you pass X transposed\?"),
    ("X-transposed-map", lambda: map_params(X.T, Y, 0.05, 3.0), ValueError,
     r"did you pass X transposed\?"),
    ("phi0-wrong-length", lambda: LinearFlow(X, Y, np.zeros(3)), ValueError,
     r"^phi0 must have length 2 \(one entry per row of X\); got length 3"),
    ("phi0-wrong-length-gd", lambda: gd(phi0=[1.0]), ValueError,
     r"^phi0 must have length 2 .*got length 1"),
    ("prior_mean-wrong-length", lambda: pd(prior_mean=np.zeros(3)), ValueError,
     r"^prior_mean must have length 2 .*got length 3"),
    ("prior_cov-wrong-shape", lambda: pd(prior_cov=np.eye(3)), ValueError,
     r"^prior_cov must have shape \(2, 2\); got shape \(3, 3\)"),
    ("X_new-wrong-rows", lambda: flow().predict(np.ones((3, 4)), 1.0), ValueError,
     r"^X_new must have D = 2 rows \(one per parameter\); got shape \(3, 4\)$"),
    ("X_new-transposed", lambda: flow().predict(np.ones((4, 2)), 1.0), ValueError,
     r"^X_new must have D = 2 rows.*got shape \(4, 2\); did you pass X_new transposed\?$"),
    ("X_new-wrong-rows-pd", lambda: pd(X_new=np.ones((3, 1))), ValueError,
     r"^X_new must have D = 2 rows.*got shape \(3, 1\)"),
    ("center-wrong-length", lambda: ridge_params(X, Y, 1.0, center=[1.0]), ValueError,
     r"^center must have length 2; got length 1"),
    # ----------------------------------------------------- wrong dimensionality
    ("X-1d", lambda: LinearFlow(X[0], Y, PHI0), ValueError,
     r"^X must be a 2-D array of shape \(D, I\).*got 1-D array of shape \(3,\)"),
    ("X-3d", lambda: LinearFlow(X[None], Y, PHI0), ValueError,
     r"^X must be a 2-D array.*got 3-D array of shape \(1, 2, 3\)"),
    ("X-scalar-ml", lambda: ml_params(2.0, Y), ValueError, r"^X must be a 2-D array.*got 0-D"),
    ("y-column", lambda: LinearFlow(X, Y[:, None], PHI0), ValueError,
     r"^y must be a 1-D array .*got shape \(3, 1\)"),
    ("y-row", lambda: ml_params(X, Y[None, :]), ValueError,
     r"^y must be a 1-D array .*got shape \(1, 3\)"),
    ("phi0-scalar", lambda: LinearFlow(X, Y, 0.0), ValueError,
     r"^phi0 must be a 1-D array .*got shape \(\)"),
    ("phi0-column", lambda: LinearFlow(X, Y, PHI0[:, None]), ValueError,
     r"^phi0 must be a 1-D array .*got shape \(2, 1\)"),
    ("t-2d", lambda: flow().params(np.zeros((2, 2))), ValueError,
     r"^t must be a scalar or a 1-D array of times; got an array of shape \(2, 2\)"),
    ("X_new-1d", lambda: flow().predict(np.ones(2), 1.0), ValueError,
     r"^X_new must be a 2-D array of shape \(D, M\) = \(2, M\).*got shape \(2,\)"),
    ("prior_cov-1d", lambda: pd(prior_cov=np.ones(2)), ValueError,
     r"^prior_cov must have shape \(2, 2\); got shape \(2,\)"),
    ("lam-2d", lambda: mode_factors([[1.0]], 1.0), ValueError,
     r"^lam must be a scalar or a 1-D array of eigenvalues; got shape \(1, 1\)"),
    ("lr-array", lambda: gd(lr=np.array([0.1])), ValueError,
     r"^lr must be a scalar; got an array of shape \(1,\)"),
    # ---------------------------------------------------------------- empty X
    ("X-no-rows", lambda: LinearFlow(np.zeros((0, 3)), Y, []), ValueError,
     r"^X must not be empty; got shape \(0, 3\)"),
    ("X-no-columns", lambda: LinearFlow(np.zeros((2, 0)), [], PHI0), ValueError,
     r"^X must not be empty; got shape \(2, 0\)"),
    ("X-empty-ml", lambda: ml_params(np.zeros((2, 0)), []), ValueError, r"^X must not be empty"),
    ("X-empty-gd", lambda: gd(X=np.zeros((0, 0)), y=[], phi0=[]), ValueError,
     r"^X must not be empty"),
    # -------------------------------------------- non-numeric, object, complex
    ("X-strings", lambda: LinearFlow([["a", "b", "c"], ["d", "e", "f"]], Y, PHI0), TypeError,
     r"^X must be a real numeric array .*got an array of shape \(2, 3\) and dtype <U1"),
    ("X-a-string", lambda: LinearFlow("0.2 0.4", Y, PHI0), TypeError,
     r"^X must be a real numeric array; got str '0\.2 0\.4'"),
    ("X-object", lambda: LinearFlow(np.array([[1, None, 2], [1, 1, 1]], dtype=object), Y, PHI0),
     TypeError, r"^X must be a real numeric array .*dtype object"),
    ("X-ragged", lambda: LinearFlow([[1.0, 2.0, 3.0], [1.0, 2.0]], Y, PHI0), TypeError,
     r"^X must be a real numeric array; got list that numpy cannot convert"),
    ("X-complex", lambda: LinearFlow(X + 1j, Y, PHI0), TypeError,
     r"^X must be real, not complex; got an array of shape \(2, 3\) and dtype complex128"),
    ("X-bool", lambda: LinearFlow(X > 0.3, Y, PHI0), TypeError,
     r"^X must be a real numeric array .*dtype bool"),
    ("y-None", lambda: LinearFlow(X, None, PHI0), TypeError,
     r"^y must be a real numeric array .*got NoneType None"),
    ("y-complex", lambda: ml_params(X, Y.astype(complex)), TypeError,
     r"^y must be real, not complex"),
    ("y-strings", lambda: gd(y=["1", "2", "3"]), TypeError,
     r"^y must be a real numeric array .*dtype <U1"),
    ("phi0-complex", lambda: LinearFlow(X, Y, PHI0 * 1j), TypeError,
     r"^phi0 must be real, not complex"),
    ("t-string", lambda: flow().params("1.0"), TypeError,
     r"^t must be a real numeric array; got str '1\.0'"),
    ("t-None", lambda: flow().loss(None), TypeError,
     r"^t must be a real numeric array .*got NoneType None"),
    ("t-bool", lambda: flow().params(True), TypeError,
     r"^t must be a non-negative number.*got bool"),
    ("t-complex", lambda: flow().params(1j), TypeError, r"^t must be real, not complex"),
    ("X_new-strings", lambda: flow().predict([["a"], ["b"]], 1.0), TypeError,
     r"^X_new must be a real numeric array .*dtype <U1"),
    ("prior_cov-complex", lambda: pd(prior_cov=SIGMA + 0j), TypeError,
     r"^prior_cov must be real, not complex"),
    ("prior_mean-object", lambda: pd(prior_mean=np.array([None, 1], dtype=object)), TypeError,
     r"^prior_mean must be a real numeric array .*dtype object"),
    # -------------------------------------------------- negative times
    ("t-negative", lambda: flow().params(-1.0), ValueError,
     r"^t must be non-negative; got minimum -1\.0$"),
    ("t-negative-in-array", lambda: flow().outputs([0.0, 1.0, -0.5]), ValueError,
     r"^t must be non-negative; got minimum -0\.5$"),
    ("t-negative-pd", lambda: pd(t=[-2.0]), ValueError,
     r"^t must be non-negative; got minimum -2\.0"),
    ("t-negative-mode-factors", lambda: mode_factors([1.0], -1), ValueError,
     r"^t must be non-negative"),
    ("lam-negative", lambda: mode_factors([1.0, -0.5], 1.0), ValueError,
     r"^lam must be non-negative; got minimum -0\.5$"),
    # --------------------------------------------- non-positive scalars
    ("lr-zero", lambda: gd(lr=0.0), ValueError, r"^lr must be a finite positive number; got 0\.0$"),
    ("lr-negative", lambda: gd(lr=-0.1), ValueError,
     r"^lr must be a finite positive number; got -0\.1$"),
    ("lr-nan", lambda: gd(lr=float("nan")), ValueError,
     r"^lr must be a finite positive number; got nan$"),
    ("lr-inf", lambda: gd(lr=np.inf), ValueError,
     r"^lr must be a finite positive number; got inf$"),
    ("lr-string", lambda: gd(lr="0.1"), TypeError,
     r"^lr must be a positive real number; got str '0\.1'"),
    ("sigma_sq-zero", lambda: map_params(X, Y, 0.0, 3.0), ValueError,
     r"^sigma_sq must be a finite positive number; got 0\.0$"),
    ("sigma_sq-negative", lambda: map_params(X, Y, -0.05, 3.0), ValueError,
     r"^sigma_sq must be a finite positive number; got -0\.05$"),
    ("sigma_sq-nan", lambda: map_params(X, Y, np.nan, 3.0), ValueError,
     r"^sigma_sq must be a finite positive number; got nan$"),
    ("sigma_sq_p-zero", lambda: map_params(X, Y, 0.05, 0), ValueError,
     r"^sigma_sq_p must be a finite positive number; got 0\.0$"),
    ("sigma_sq_p-negative", lambda: map_params(X, Y, 0.05, -3.0), ValueError,
     r"^sigma_sq_p must be a finite positive number; got -3\.0$"),
    ("sigma_sq_p-inf", lambda: map_params(X, Y, 0.05, np.inf), ValueError,
     r"^sigma_sq_p must be a finite positive number; got inf$"),
    ("sigma_sq_p-None", lambda: map_params(X, Y, 0.05, None), TypeError,
     r"^sigma_sq_p must be a positive real number; got NoneType None"),
    ("ridge-penalty-negative", lambda: ridge_params(X, Y, -1.0), ValueError,
     r"^penalty must be a finite non-negative number or a 1-D array of them; got float -1\.0"),
    ("ridge-penalty-lam-keyword", lambda: ridge_params(X, Y, lam=1.0), TypeError,
     r"unexpected keyword argument 'lam'"),
    # ----------------------------------------------------------------- n_steps
    ("n_steps-negative", lambda: gd(n_steps=-1), ValueError,
     r"^n_steps must be a non-negative integer; got -1$"),
    ("n_steps-float", lambda: gd(n_steps=2.5), TypeError,
     r"^n_steps must be a non-negative integer; got float 2\.5$"),
    ("n_steps-integral-float", lambda: gd(n_steps=3.0), TypeError,
     r"^n_steps must be a non-negative integer; got float 3\.0$"),
    ("n_steps-bool", lambda: gd(n_steps=True), TypeError,
     r"^n_steps must be a non-negative integer; got bool True$"),
    ("n_steps-string", lambda: gd(n_steps="10"), TypeError,
     r"^n_steps must be a non-negative integer; got str '10'$"),
    ("X_new-overflows-variance", lambda: pd(X_new=np.array([[1e200], [1.0]])), ValueError,
     r"^X_new, prior_mean and prior_cov must be small enough.*max \|X_new\| = 1e\+200"),
    # the variance at t = 0 is 1e308 * (10^2 + 1): truly beyond float range (a prior_cov of
    # 1e308 * ones gives a finite 1.6e305 at t = 1, which is returned)
    ("prior_cov-overflows-variance",
     lambda: pd(prior_cov=1e308 * np.eye(2), X_new=np.array([[10.0], [1.0]]), t=0.0),
     ValueError, r"prior_cov must be small enough.*max \|prior_cov\| = 1e\+308"),
    # ------------------------------------------------------------ covariance
    ("prior_cov-not-symmetric", lambda: pd(prior_cov=np.array([[1.0, 0.5], [0.0, 1.0]])),
     ValueError, r"^prior_cov must be symmetric; got a matrix with max \|S - S\^T\| = 0\.5$"),
    ("prior_cov-not-psd", lambda: pd(prior_cov=np.array([[1.0, 2.0], [2.0, 1.0]])), ValueError,
     r"^prior_cov must be positive semidefinite; got smallest eigenvalue -1$"),
    ("prior_cov-negative-variance", lambda: pd(prior_cov=-SIGMA), ValueError,
     r"^prior_cov must be positive semidefinite; got smallest eigenvalue -2$"),
]


@pytest.mark.parametrize(
    "call, exc, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises_naming_argument(call, exc, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an error, not a warning followed by garbage
        with pytest.raises(exc, match=pattern):
            call()


def test_case_ids_are_unique():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


# ------------------------------------------------------------ what must stay accepted
def test_edge_values_that_are_valid():
    """Boundaries on the valid side: t = 0, n_steps = 0, a singular (PSD) covariance, a
    covariance symmetric up to rounding, numpy integer n_steps, numpy float lr."""
    fl = flow()
    np.testing.assert_allclose(fl.params(0), PHI0, atol=1e-15)
    assert gd(n_steps=0).shape == (1, 2)
    assert gd(n_steps=np.int64(3), lr=np.float64(0.1)).shape == (4, 2)
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])
    mean, var = pd(prior_cov=singular)
    assert mean.shape == var.shape == (2,) and np.all(np.isfinite(var)) and np.all(var >= 0)
    nearly = SIGMA + np.array([[0.0, 1e-17], [0.0, 0.0]])
    assert np.all(np.isfinite(pd(prior_cov=nearly)[1]))


def test_no_silent_nan_from_valid_extremes():
    """Tiny and huge but finite data give finite results of the right shape."""
    for scale in (1e-150, 1e-8, 1e8, 1e150):
        fl = LinearFlow(X * scale, Y, PHI0)
        for t in (0.0, 1.0, 1e300):
            p = fl.params(t)
            assert p.shape == (2,) and np.all(np.isfinite(p)), (scale, t, p)
            assert np.isfinite(fl.loss(t))
        assert np.all(np.isfinite(fl.limit()))


def test_gradient_descent_overflowing_X_names_X():
    """An X whose squares overflow gives the ValueError naming X, not NaN iterates."""
    import warnings

    from gflow_lib import gradient_descent

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for X, y, phi0 in [
            (np.array([[1e200, 1.0], [1.0, 1.0]]), [1.0, 2.0], [0.0, 0.0]),
            (np.array([[1e200, 1.0, 3.0]]).T, [1.0], [0.0, 0.0, 0.0]),
        ]:
            with pytest.raises(ValueError, match="X must contain only finite numbers"):
                gradient_descent(X, y, phi0, 0.1, 3)
