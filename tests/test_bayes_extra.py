"""Tests of the Bayesian view over time: a batch of flows, the posterior and its predictions.

Each check compares with an independent method: a numerical ODE solve per start
(``scipy.integrate.solve_ivp``), Monte Carlo over initialisations, and the posterior obtained
by conditioning the joint Gaussian of (phi, y) directly.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from gflow_lib.bayes import (
    ensemble_params,
    posterior_distribution,
    posterior_predictive,
    prediction_distribution,
)
from gflow_lib.regression import map_params

SIGMA_SQ, SIGMA_SQ_P = 0.05, 2.0


@pytest.fixture
def line():
    x = np.array([0.2, 0.4, 0.8])
    return np.vstack([x, np.ones(3)]), np.array([-0.1, 0.15, 0.3])


@pytest.fixture
def wide():
    """An overparameterized problem: D = 6 parameters, I = 3 data points."""
    rng = np.random.default_rng(7)
    return rng.normal(size=(6, 3)), rng.normal(size=3)


def _ode(X, y, phi0, ts):
    A, b = X @ X.T, X @ y
    sol = solve_ivp(lambda _t, p: b - A @ p, (0.0, ts[-1]), phi0, t_eval=ts,
                    method="DOP853", rtol=1e-12, atol=1e-14)
    assert sol.success
    return sol.y.T  # (T, D)


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


# ------------------------------------------------------------------ ensemble_params
@pytest.mark.parametrize("which", ["line", "wide"])
def test_ensemble_params_matches_ode_for_each_start(which, request):
    X, y = request.getfixturevalue(which)
    rng = np.random.default_rng(1)
    phi0s = rng.normal(size=(4, X.shape[0]))
    ts = np.array([0.0, 0.3, 2.0, 7.0])
    got = ensemble_params(X, y, phi0s, ts)
    assert got.shape == (4, 4, X.shape[0])
    for n in range(4):
        np.testing.assert_allclose(got[:, n, :], _ode(X, y, phi0s[n], ts), atol=1e-9)


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


def test_monte_carlo_matches_prediction_distribution(line):
    """Sample mean and variance of many flows agree with the closed form within 5
    standard errors."""
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


def test_prediction_distribution_reference_numbers(line):
    """NOTES.md: phi0 ~ N(0, 2 I), predictions at x = 0.5."""
    X, y = line
    ts = np.array([0.0, 0.4, 0.8, 2.0, 10.0])
    mean, var = prediction_distribution(X, y, np.array([[0.5], [1.0]]), ts,
                                        np.zeros(2), 2.0 * np.eye(2))
    np.testing.assert_allclose(mean[:, 0], [0.0, 0.102602, 0.126272, 0.133843, 0.136439],
                               atol=5e-7)
    np.testing.assert_allclose(var[:, 0], [2.5, 0.130876, 0.006931, 6.4e-5, 5.5e-6],
                               rtol=0.02, atol=5e-7)


def test_spread_survives_in_null_space(wide):
    X, y = wide
    X_new = np.random.default_rng(4).normal(size=(6, 5))
    P0 = np.eye(6) - np.linalg.pinv(X.T) @ X.T
    _, var = prediction_distribution(X, y, X_new, 1e6, np.zeros(6), SIGMA_SQ_P * np.eye(6))
    np.testing.assert_allclose(var, SIGMA_SQ_P * np.sum((P0 @ X_new) ** 2, axis=0), rtol=1e-9)
    assert np.all(var > 0.1)


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


# ------------------------------------------------------------------ posterior
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
    """Sigma^-1 = X X^T / sigma^2 + I / sigma_p^2; the mean is the MAP estimate (NOTES.md:
    (0.568123, -0.147637) for sigma^2 = 0.05, sigma_p^2 = 3)."""
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


# ------------------------------------------------------------------ the figures
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
    ax = plot_prediction_band(x, mean, var, noise_var=SIGMA_SQ)
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
