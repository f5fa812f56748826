"""gflow_lib.bayes: the spread of a crowd of flows over time, and the Bayesian posterior.

Every check compares with an independent method: the exact matrix-exponential formula
(``scipy.linalg.expm``, the ``ref`` fixture of conftest.py) for general covariances, D > I and
rank deficiency; a numerical ODE solve per start (``scipy.integrate.solve_ivp``, also from
``ref``); Monte Carlo over initialisations and over the posterior; and the posterior obtained
by conditioning the joint Gaussian of (phi, y) directly. The figures of
:mod:`gflow_lib.plotting.bayes` are checked at the end.

Reference numbers: the seed notebook printed the mean and variance of the prediction at
x = 0.5 for its data (the ``seed`` fixture) with phi0 ~ N(0, 2 I), at six decimals (two
significant figures for the two smallest variances). It derived them with one
``scipy.linalg.expm`` per time, as :func:`exact_distribution` does;
``test_reference_numbers_are_the_expm_values`` re-derives them that way here.
"""

from __future__ import annotations

import numpy as np
import pytest

from gflow_lib import LinearFlow, prediction_distribution
from gflow_lib.bayes import (
    ensemble_params,
    posterior_distribution,
    posterior_predictive,
    sample_then_optimize,
)
from gflow_lib.regression import map_params

SIGMA_SQ, SIGMA_SQ_P = 0.05, 2.0

# The seed notebook's predictions at x = 0.5 with phi0 ~ N(0, 2 I) (see the module docstring):
# (t, mean, variance, significant figures of the variance or None for six decimals).
REFERENCE = [
    (0.0, 0.0, 2.5, None),
    (0.4, 0.102602, 0.130876, None),
    (0.8, 0.126272, 0.006931, None),
    (2.0, 0.133843, 6.4e-5, 2),
    (10.0, 0.136439, 5.5e-6, 2),
]
X_HALF = np.array([[0.5], [1.0]])  # the input x = 0.5 as a column (x, 1)


@pytest.fixture
def line(seed):
    """The seed data (X, y): three points on the line's inputs (x, 1)."""
    X, y, _ = seed
    return X, y


@pytest.fixture
def wide():
    """An overparameterized problem: D = 6 parameters, I = 3 data points."""
    rng = np.random.default_rng(7)
    return rng.normal(size=(6, 3)), rng.normal(size=3)


def exact_distribution(X, y, X_new, ts, mu, S, ref):
    """mean = X*^T (E mu + c), var = diag(X*^T E S E^T X*) with E, c from expm."""
    means, variances = [], []
    for t in np.atleast_1d(ts):
        E, c = ref.expm_affine(X, y, float(t))
        means.append(X_new.T @ (E @ mu + c))
        B = E.T @ X_new  # (D, M)
        variances.append(np.einsum("dm,dk,km->m", B, S, B))
    return np.array(means), np.array(variances)


def random_cov(rng, D, rank=None):
    """A non-diagonal covariance, possibly singular."""
    rank = D if rank is None else rank
    L = rng.normal(size=(D, rank))
    return L @ L.T / rank + (0.0 if rank < D else 0.1 * np.eye(D))


def _condition_joint(X, y, X_new, s2, sp2):
    """Posterior of phi and of f* = X_new^T phi by conditioning the joint Gaussian of
    (phi, f*, y) on y: no ridge formula, no Woodbury identity."""
    D, n_data = X.shape
    cov_yy = sp2 * X.T @ X + s2 * np.eye(n_data)
    cov_py = sp2 * X  # Cov(phi, y)
    gain = np.linalg.solve(cov_yy, cov_py.T).T  # (D, I)
    mean = gain @ y
    cov = sp2 * np.eye(D) - gain @ cov_py.T
    cov_fy = sp2 * X_new.T @ X
    gain_f = np.linalg.solve(cov_yy, cov_fy.T).T
    f_mean = gain_f @ y
    f_var = np.diag(sp2 * X_new.T @ X_new - gain_f @ cov_fy.T)
    return mean, cov, f_mean, f_var


def _assert_printed(value, printed, digits):
    """``value`` rounds to ``printed``: six decimals, or ``digits`` significant figures."""
    if digits is None:
        step = 1e-6
    else:
        step = 10.0 ** (np.floor(np.log10(printed)) - digits + 1)
    assert abs(value - printed) <= 0.5 * step * (1 + 1e-9), (value, printed)


# ------------------------------------------------------------------------ reference numbers
def test_reference_numbers_are_the_expm_values(seed, ref):
    """The printed numbers follow from the seed data by the exact expm formula."""
    X, y, _ = seed
    ts = [t for t, *_ in REFERENCE]
    mean, var = exact_distribution(X, y, X_HALF, ts, np.zeros(2), 2.0 * np.eye(2), ref)
    for k, (_, m, v, digits) in enumerate(REFERENCE):
        _assert_printed(mean[k, 0], m, None)
        _assert_printed(var[k, 0], v, digits)


@pytest.mark.parametrize("t, mean, var, var_digits", REFERENCE)
def test_reference_numbers(seed, t, mean, var, var_digits):
    X, y, _ = seed
    m, v = prediction_distribution(X, y, X_HALF, t, np.zeros(2), 2.0 * np.eye(2))
    assert m.shape == v.shape == (1,)
    _assert_printed(m[0], mean, None)
    _assert_printed(v[0], var, var_digits)


def test_reference_numbers_all_times_at_once(seed):
    X, y, _ = seed
    ts = [t for t, *_ in REFERENCE]
    m, v = prediction_distribution(X, y, X_HALF, ts, np.zeros(2), 2 * np.eye(2))
    assert m.shape == v.shape == (5, 1)
    for k, (_, mean, var, digits) in enumerate(REFERENCE):
        _assert_printed(m[k, 0], mean, None)
        _assert_printed(v[k, 0], var, digits)


# ------------------------------------------------------------- prediction_distribution
MC_CASES = {
    # D <= I: every start ends at the ML solution, the spread vanishes
    "D<I": dict(D=3, n_data=6, ts=[0.0, 0.05, 0.3, 2.0]),
    # D > I: the spread survives in the null space of X^T
    "D>I": dict(D=5, n_data=2, ts=[0.0, 0.1, 1.0, 50.0]),
}


@pytest.mark.parametrize("case", MC_CASES.values(), ids=MC_CASES.keys())
def test_monte_carlo_ensemble(case, ref):
    """N seeded starts phi0 ~ N(mu, Sigma) (Sigma non-diagonal), each propagated exactly by
    phi(t) = E phi0 + c (scipy expm). The sample mean and variance of the predictions must
    agree with the closed form within 5 standard errors: sqrt(var / N) for the mean and
    var * sqrt(2 / (N - 1)) for the variance of Gaussian samples. With 8 comparisons of each
    kind a 5-sigma band fails by chance with probability below 1e-5."""
    rng = np.random.default_rng(11)
    D, n_data = case["D"], case["n_data"]
    X, y = rng.normal(size=(D, n_data)), rng.normal(size=n_data)
    X_new = rng.normal(size=(D, 2))
    mu = rng.normal(size=D)
    S = random_cov(rng, D)
    N = 40_000
    starts = rng.multivariate_normal(mu, S, size=N)
    mean, var = prediction_distribution(X, y, X_new, case["ts"], mu, S)
    for k, t in enumerate(case["ts"]):
        E, c = ref.expm_affine(X, y, t)
        preds = (starts @ E.T + c) @ X_new  # (N, M)
        m_hat = preds.mean(axis=0)
        v_hat = preds.var(axis=0, ddof=1)
        se_mean = np.sqrt(var[k] / N)
        se_var = var[k] * np.sqrt(2.0 / (N - 1))
        assert np.all(np.abs(m_hat - mean[k]) <= 5 * se_mean + 1e-12), (t, m_hat, mean[k])
        assert np.all(np.abs(v_hat - var[k]) <= 5 * se_var + 1e-12), (t, v_hat, var[k])


def test_monte_carlo_through_ensemble_params(line):
    """The same comparison on the seed data, with the starts propagated by the library's
    ensemble_params instead of expm."""
    X, y = line
    N = 40_000
    phi0s = np.random.default_rng(3).normal(0.0, np.sqrt(SIGMA_SQ_P), size=(N, 2))
    ts = np.array([0.0, 0.4, 2.0])
    X_new = np.array([[0.0, 0.5, 1.0], [1.0, 1.0, 1.0]])
    preds = ensemble_params(X, y, phi0s, ts) @ X_new  # (T, N, M)
    mean, var = prediction_distribution(X, y, X_new, ts, np.zeros(2), SIGMA_SQ_P * np.eye(2))
    se_mean = np.sqrt(var / N)
    se_var = var * np.sqrt(2.0 / (N - 1))
    assert np.all(np.abs(preds.mean(axis=1) - mean) < 5 * se_mean)
    assert np.all(np.abs(preds.var(axis=1, ddof=1) - var) < 5 * se_var)


def test_ensemble_through_linear_flow_matches_expm_propagation(ref):
    """The Monte Carlo above propagates with expm; a small ensemble run one by one through
    LinearFlow lands on the same predictions, so the ensemble is the flow's."""
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(3, 4)), rng.normal(size=4)
    X_new = rng.normal(size=(3, 2))
    starts = rng.normal(size=(25, 3))
    ts = np.array([0.0, 0.2, 3.0])
    by_flow = np.array([LinearFlow(X, y, p).predict(X_new, ts) for p in starts])  # (N, T, M)
    for k, t in enumerate(ts):
        E, c = ref.expm_affine(X, y, t)
        np.testing.assert_allclose(by_flow[:, k], (starts @ E.T + c) @ X_new, atol=1e-12)


EXACT_CASES = {
    "D<I-general-cov": dict(D=3, n_data=7, rank=None),
    "D=I": dict(D=4, n_data=4, rank=None),
    "D>I-general-cov": dict(D=6, n_data=3, rank=None),
    "D>I-singular-cov": dict(D=5, n_data=2, rank=2),
    "rank-deficient-X": dict(D=4, n_data=8, rank=None, x_rank=2),
}


@pytest.mark.parametrize("case", EXACT_CASES.values(), ids=EXACT_CASES.keys())
def test_matches_exact_expm_formula(case, ref):
    rng = np.random.default_rng(3)
    D, n_data = case["D"], case["n_data"]
    if "x_rank" in case:
        X = rng.normal(size=(D, case["x_rank"])) @ rng.normal(size=(case["x_rank"], n_data))
    else:
        X = rng.normal(size=(D, n_data))
    y, mu = rng.normal(size=n_data), rng.normal(size=D)
    S = random_cov(rng, D, case["rank"])
    X_new = rng.normal(size=(D, 5))
    ts = np.array([0.0, 0.01, 0.1, 0.5, 2.0, 10.0])
    mean, var = prediction_distribution(X, y, X_new, ts, mu, S)
    want_mean, want_var = exact_distribution(X, y, X_new, ts, mu, S, ref)
    assert mean.shape == var.shape == (6, 5)
    scale_m = np.abs(want_mean).max()
    np.testing.assert_allclose(mean, want_mean, rtol=0, atol=1e-11 * scale_m)
    np.testing.assert_allclose(var, want_var, rtol=0, atol=1e-11 * want_var[0].max())
    np.testing.assert_allclose(mean, LinearFlow(X, y, mu).predict(X_new, ts), atol=1e-12 * scale_m)


def test_spread_vanishes_when_x_x_transpose_is_invertible(ref):
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(3, 6)), rng.normal(size=6)
    X_new, mu, S = rng.normal(size=(3, 4)), rng.normal(size=3), random_cov(rng, 3)
    mean, var = prediction_distribution(X, y, X_new, 1e300, mu, S)
    _, var0 = prediction_distribution(X, y, X_new, 0.0, mu, S)
    # the range of X is everything: what is left is rounding in the null-space projection
    assert np.all(var <= 1e-25 * var0)
    ml = np.linalg.lstsq(X.T, y, rcond=None)[0]
    np.testing.assert_allclose(mean, X_new.T @ ml, atol=1e-12)


def test_spread_survives_in_the_null_space_when_D_exceeds_I(ref):
    rng = np.random.default_rng(9)
    D, n_data = 5, 2
    X, y = rng.normal(size=(D, n_data)), rng.normal(size=n_data)
    X_new, mu, S = rng.normal(size=(D, 4)), rng.normal(size=D), random_cov(rng, D)
    P = np.linalg.pinv(X.T)
    P0 = np.eye(D) - P @ X.T  # projector on the null space of X^T
    mean, var = prediction_distribution(X, y, X_new, [50.0, 1e300], mu, S)
    want_var = np.einsum("dm,dk,km->m", P0 @ X_new, S, P0 @ X_new)
    assert np.all(want_var > 1e-2)  # not vacuous
    np.testing.assert_allclose(var, np.tile(want_var, (2, 1)), rtol=1e-10)
    want_mean = X_new.T @ (P @ y + P0 @ mu)
    np.testing.assert_allclose(mean, np.tile(want_mean, (2, 1)), atol=1e-11)
    # at the training inputs themselves the predictions are certain
    _, var_train = prediction_distribution(X, y, X, 1e300, mu, S)
    np.testing.assert_allclose(var_train, 0.0, atol=1e-12 * S.max())


def test_spread_survives_in_the_null_space_isotropic_prior(wide):
    """The same with an isotropic prior covariance sigma_p^2 I at a large finite time."""
    X, y = wide
    X_new = np.random.default_rng(4).normal(size=(6, 5))
    P0 = np.eye(6) - np.linalg.pinv(X.T) @ X.T
    _, var = prediction_distribution(X, y, X_new, 1e6, np.zeros(6), SIGMA_SQ_P * np.eye(6))
    np.testing.assert_allclose(var, SIGMA_SQ_P * np.sum((P0 @ X_new) ** 2, axis=0), rtol=1e-9)
    assert np.all(var > 0.1)


def test_zero_covariance_and_shapes(seed):
    X, y, phi0 = seed
    X_new = np.array([[0.0, 0.5, 1.0], [1.0, 1.0, 1.0]])
    mean, var = prediction_distribution(X, y, X_new, 0.7, phi0, np.zeros((2, 2)))
    assert mean.shape == var.shape == (3,)
    assert np.all(var == 0.0)
    np.testing.assert_allclose(mean, LinearFlow(X, y, phi0).predict(X_new, 0.7), atol=1e-15)
    mean_list, var_list = prediction_distribution(
        X.tolist(), y.tolist(), X_new.tolist(), [0.7], phi0.tolist(), np.eye(2).tolist()
    )
    assert mean_list.shape == var_list.shape == (1, 3)
    m0, v0 = prediction_distribution(X, y, X_new, np.array(0.7), phi0, np.eye(2))
    assert m0.shape == v0.shape == (3,)
    np.testing.assert_allclose(v0, var_list[0], rtol=1e-14)


def test_variance_never_increases_and_stays_non_negative(ref):
    rng = np.random.default_rng(12)
    for D, n_data in ((3, 5), (6, 3)):
        X, y = rng.normal(size=(D, n_data)), rng.normal(size=n_data)
        X_new, S = rng.normal(size=(D, 6)), random_cov(rng, D)
        ts = np.concatenate([[0.0], np.geomspace(1e-3, 1e3, 80)])
        _, var = prediction_distribution(X, y, X_new, ts, np.zeros(D), S)
        assert np.all(var >= 0)
        # S = I: var = |E x|^2 with E a contraction that shrinks as t grows
        _, var_iso = prediction_distribution(X, y, X_new, ts, np.zeros(D), np.eye(D))
        assert np.all(np.diff(var_iso, axis=0) <= 1e-13 * var_iso[0])


# ------------------------------------------------------------------------ ensemble_params
@pytest.mark.parametrize("which", ["line", "wide"])
def test_ensemble_params_matches_ode_for_each_start(which, request, ref):
    X, y = request.getfixturevalue(which)
    rng = np.random.default_rng(1)
    phi0s = rng.normal(size=(4, X.shape[0]))
    ts = np.array([0.0, 0.3, 2.0, 7.0])
    got = ensemble_params(X, y, phi0s, ts)
    assert got.shape == (4, 4, X.shape[0])
    for n in range(4):
        np.testing.assert_allclose(got[:, n, :], ref.ode_params(X, y, phi0s[n], ts), atol=1e-9)


def test_ensemble_params_scalar_time_shape(line):
    X, y = line
    phi0s = np.zeros((5, 2))
    out = ensemble_params(X, y, phi0s, 1.0)
    assert out.shape == (5, 2)
    np.testing.assert_allclose(out[0], out[4])


def test_ensemble_params_keeps_null_space_part(wide):
    """D > I: the part of each start in the null space of X^T never moves."""
    X, y = wide
    phi0s = np.random.default_rng(2).normal(size=(3, 6))
    P0 = np.eye(6) - np.linalg.pinv(X.T) @ X.T
    out = ensemble_params(X, y, phi0s, np.array([0.5, 50.0]))
    for k in range(2):
        np.testing.assert_allclose(out[k] @ P0.T, phi0s @ P0.T, atol=1e-12)
    limit = np.linalg.pinv(X.T) @ y + phi0s @ P0.T
    np.testing.assert_allclose(ensemble_params(X, y, phi0s, 1e6), limit, atol=1e-9)


@pytest.mark.parametrize(
    "phi0s, match",
    [
        (np.zeros(2), "shape \\(N, D\\)"),
        (np.zeros((2, 5)), "transposed"),
        (np.full((3, 2), np.nan), "finite"),
        ("abc", "real numeric"),
    ],
)
def test_ensemble_params_bad_starts(line, phi0s, match):
    X, y = line
    with pytest.raises((ValueError, TypeError), match=match):
        ensemble_params(X, y, phi0s, 1.0)


def test_ensemble_params_bad_time(line):
    X, y = line
    with pytest.raises(ValueError, match="non-negative"):
        ensemble_params(X, y, np.zeros((2, 2)), -1.0)


# ------------------------------------------------------------------------------ posterior
@pytest.mark.parametrize("which", ["line", "wide"])
def test_posterior_matches_joint_gaussian_conditioning(which, request):
    X, y = request.getfixturevalue(which)
    mean, cov = posterior_distribution(X, y, SIGMA_SQ, SIGMA_SQ_P)
    X_new = np.random.default_rng(5).normal(size=(X.shape[0], 4))
    ref_mean, ref_cov, ref_fm, ref_fv = _condition_joint(X, y, X_new, SIGMA_SQ, SIGMA_SQ_P)
    np.testing.assert_allclose(mean, ref_mean, atol=1e-10)
    np.testing.assert_allclose(cov, ref_cov, atol=1e-10)
    fm, fv = posterior_predictive(X, y, X_new, SIGMA_SQ, SIGMA_SQ_P)
    np.testing.assert_allclose(fm, ref_fm, atol=1e-10)
    np.testing.assert_allclose(fv, ref_fv, atol=1e-10)
    fm2, fv2 = posterior_predictive(X, y, X_new, SIGMA_SQ, SIGMA_SQ_P, noisy=True)
    np.testing.assert_allclose(fm2, fm)
    np.testing.assert_allclose(fv2, ref_fv + SIGMA_SQ, atol=1e-10)


def test_posterior_is_precision_inverse_and_map(line):
    """Sigma^-1 = X X^T / sigma^2 + I / sigma_p^2; the mean is the MAP estimate. For the
    seed data with sigma^2 = 0.05, sigma_p^2 = 3 that is the solution of
    (X X^T + I / 60) phi = X y, with X X^T = [[0.84, 1.4], [1.4, 3]] and X y = (0.28, 0.35):
    (0.568123, -0.147637) to six decimals, the seed notebook's printed MAP estimate."""
    X, y = line
    mean, cov = posterior_distribution(X, y, 0.05, 3.0)
    np.testing.assert_allclose(np.linalg.inv(cov), X @ X.T / 0.05 + np.eye(2) / 3.0, rtol=1e-10)
    np.testing.assert_allclose(mean, [0.568123, -0.147637], atol=5e-7)
    np.testing.assert_allclose(mean, map_params(X, y, 0.05, 3.0), atol=1e-12)


def test_posterior_predictive_monte_carlo(line):
    """Sampling phi from the posterior and adding noise reproduces the noisy variance."""
    X, y = line
    mean, cov = posterior_distribution(X, y, SIGMA_SQ, SIGMA_SQ_P)
    rng = np.random.default_rng(6)
    N = 40_000
    phis = rng.multivariate_normal(mean, cov, size=N)
    x_new = np.array([[0.5], [1.0]])
    obs = (phis @ x_new)[:, 0] + rng.normal(0.0, np.sqrt(SIGMA_SQ), size=N)
    m, v = posterior_predictive(X, y, x_new, SIGMA_SQ, SIGMA_SQ_P, noisy=True)
    assert abs(obs.mean() - m[0]) < 5 * np.sqrt(v[0] / N)
    assert abs(obs.var(ddof=1) - v[0]) < 5 * v[0] * np.sqrt(2.0 / (N - 1))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"sigma_sq": -1.0}, ValueError, "sigma_sq must be a finite positive"),
        ({"sigma_sq_p": 0.0}, ValueError, "sigma_sq_p must be a finite positive"),
        ({"sigma_sq": "big"}, TypeError, "sigma_sq must be a positive real"),
        ({"noisy": "yes"}, TypeError, "noisy must be True or False"),
        ({"X_new": np.ones((3, 2))}, ValueError, "transposed"),
    ],
)
def test_posterior_predictive_bad_input(line, kwargs, exc, match):
    X, y = line
    args = {"X_new": np.ones((2, 3)), "sigma_sq": SIGMA_SQ, "sigma_sq_p": SIGMA_SQ_P}
    noisy = kwargs.pop("noisy", False)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        posterior_predictive(X, y, args["X_new"], args["sigma_sq"], args["sigma_sq_p"],
                             noisy=noisy)


def test_posterior_distribution_bad_y(line):
    X, _ = line
    with pytest.raises(ValueError, match="length 3"):
        posterior_distribution(X, np.zeros(2), SIGMA_SQ, SIGMA_SQ_P)


def test_posterior_mean_with_tiny_noise_is_min_norm_interpolant(wide):
    """sigma^2 -> 0 with D > I: the posterior mean interpolates with minimum norm."""
    X, y = wide
    mean, _ = posterior_distribution(X, y, 1e-12, SIGMA_SQ_P)
    np.testing.assert_allclose(mean, np.linalg.pinv(X.T) @ y, atol=1e-8)


# ------------------------------------------------------------------------------ the figures
def _band_limits(collection):
    """Lower and upper edge of a fill_between band, sampled at its vertices."""
    verts = collection.get_paths()[0].vertices
    return verts[:, 0], verts[:, 1]


def test_bands_are_two_sd_of_output_and_of_noisy_observation():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gflow_lib.plotting.bayes import plot_prediction_band

    x = np.linspace(0.0, 1.0, 5)
    mean = np.linspace(-0.2, 0.3, 5)
    var = np.array([0.01, 0.02, 0.04, 0.02, 0.01])
    ax = plot_prediction_band(x, mean, var, sigma_sq=SIGMA_SQ)
    light, dark = ax.collections[0], ax.collections[1]
    for band, v in [(dark, var), (light, var + SIGMA_SQ)]:
        xs, ys = _band_limits(band)
        for xi, mi, vi in zip(x, mean, v, strict=True):
            at = np.isclose(xs, xi)
            assert np.isclose(ys[at].max(), mi + 2 * np.sqrt(vi))
            assert np.isclose(ys[at].min(), mi - 2 * np.sqrt(vi))
    plt.close("all")


def test_plot_functions_reject_bad_shapes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gflow_lib.plotting.bayes import (
        plot_prediction_band,
        plot_prediction_grid,
        plot_spread_over_time,
    )

    x = np.linspace(0.0, 1.0, 4)
    with pytest.raises(ValueError, match="same length"):
        plot_prediction_band(x, np.zeros(3), np.ones(4))
    with pytest.raises(ValueError, match="non-negative"):
        plot_prediction_band(x, np.zeros(4), -np.ones(4))
    with pytest.raises(ValueError, match="titles"):
        plot_prediction_grid(x, np.zeros((2, 4)), np.ones((2, 4)), ["one"])
    with pytest.raises(ValueError, match="2 colours"):
        plot_prediction_grid(x, np.zeros((2, 4)), np.ones((2, 4)), ["a", "b"], color=["r"])
    with pytest.raises(ValueError, match="shape \\(T, M\\)"):
        plot_spread_over_time(np.arange(3.0), np.ones((4, 2)), ["a", "b"])
    fig = plot_prediction_grid(x, np.zeros((2, 4)), np.ones((2, 4)), ["a", "b"], ncols=3)
    assert len([a for a in fig.axes if a.get_visible()]) == 2
    plt.close("all")


# ------------------------------------------------------------------ sample-then-optimise
def _penalised_minimisers(X, y, sigma_sq, sigma_sq_p, n, seed):
    """The same draws as sample_then_optimize (starts, then target perturbations), each
    minimiser found with np.linalg.solve on the normal equations of the penalised loss."""
    rng = np.random.default_rng(seed)
    D, I = X.shape
    starts = rng.normal(0.0, np.sqrt(sigma_sq_p), size=(n, D))
    targets = y + rng.normal(0.0, np.sqrt(sigma_sq), size=(n, I))
    p = sigma_sq / sigma_sq_p
    M = X @ X.T + p * np.eye(D)
    return np.array([np.linalg.solve(M, X @ t + p * s) for s, t in zip(starts, targets,
                                                                         strict=True)])


@pytest.mark.parametrize("shape", [(2, 3), (3, 3), (6, 3)])
def test_sample_then_optimize_minimises_the_perturbed_penalised_loss(shape):
    rng = np.random.default_rng(sum(shape))
    X, y = rng.normal(size=shape), rng.normal(size=shape[1])
    got = sample_then_optimize(X, y, 0.3, 1.5, 7, seed=4)
    np.testing.assert_allclose(got, _penalised_minimisers(X, y, 0.3, 1.5, 7, 4),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("wide", [False, True])
def test_sample_then_optimize_draws_the_posterior(line, wide):
    """Monte Carlo: the sample mean and covariance agree with posterior_distribution within
    four standard errors, for D <= I and for D > I (where the prior survives in the null
    space of X^T)."""
    X, y = line[0], line[1]
    if wide:
        X = np.vstack([X, np.sin(3 * X[0]), X[0] ** 2])  # 4 parameters, 3 points
    n = 40_000
    S = sample_then_optimize(X, y, SIGMA_SQ, SIGMA_SQ_P, n, seed=11)
    mean, cov = posterior_distribution(X, y, SIGMA_SQ, SIGMA_SQ_P)
    se_mean = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(S.mean(axis=0) - mean) < 4 * se_mean)
    d = np.sqrt(np.diag(cov))
    se_cov = np.sqrt((cov**2 + np.outer(d**2, d**2)) / n)  # of a Gaussian sample covariance
    assert np.all(np.abs(np.cov(S.T) - cov) < 4 * se_cov)


def test_sample_then_optimize_bad_input(line):
    X, y = line[0], line[1]
    with pytest.raises(ValueError, match="n_samples must be at least 1"):
        sample_then_optimize(X, y, SIGMA_SQ, SIGMA_SQ_P, 0)
    with pytest.raises(TypeError, match="n_samples"):
        sample_then_optimize(X, y, SIGMA_SQ, SIGMA_SQ_P, 2.5)
    with pytest.raises(ValueError, match="sigma_sq"):
        sample_then_optimize(X, y, -1.0, SIGMA_SQ_P, 10)
    with pytest.raises(ValueError, match="y"):
        sample_then_optimize(X, y[:2], SIGMA_SQ, SIGMA_SQ_P, 10)
    with pytest.raises(TypeError, match="seed"):
        sample_then_optimize(X, y, SIGMA_SQ, SIGMA_SQ_P, 10, seed=1.5)
