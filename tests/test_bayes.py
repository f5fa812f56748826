"""prediction_distribution against NOTES.md, a Monte Carlo ensemble of flows, and the exact
matrix-exponential formula (scipy.linalg.expm) for general covariances, D > I and rank
deficiency."""

from __future__ import annotations

import numpy as np
import pytest

from gflow_lib import LinearFlow, prediction_distribution


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


# ------------------------------------------------------------------------- NOTES.md numbers
@pytest.mark.parametrize(
    "t, mean, var, var_digits",
    [(0.0, 0.0, 2.5, None), (0.4, 0.102602, 0.130876, None), (0.8, 0.126272, 0.006931, None),
     (2.0, 0.133843, 6.4e-5, 2), (10.0, 0.136439, 5.5e-6, 2)],
)
def test_reference_numbers(seed, t, mean, var, var_digits):
    X, y, _ = seed
    X_new = np.array([[0.5], [1.0]])
    m, v = prediction_distribution(X, y, X_new, t, np.zeros(2), 2.0 * np.eye(2))
    assert m.shape == v.shape == (1,)
    assert abs(m[0] - mean) <= 0.5e-6 * (1 + 1e-9)
    if var_digits is None:  # printed with 6 decimals
        assert abs(v[0] - var) <= 0.5e-6 * (1 + 1e-9)
    else:  # printed with var_digits significant figures
        step = 10.0 ** (np.floor(np.log10(var)) - var_digits + 1)
        assert abs(v[0] - var) <= 0.5 * step * (1 + 1e-9)


def test_reference_numbers_all_times_at_once(seed):
    X, y, _ = seed
    ts = [0.0, 0.4, 0.8, 2.0, 10.0]
    m, v = prediction_distribution(X, y, np.array([[0.5], [1.0]]), ts, np.zeros(2), 2 * np.eye(2))
    assert m.shape == v.shape == (5, 1)
    np.testing.assert_allclose(m[:, 0], [0.0, 0.102602, 0.126272, 0.133843, 0.136439], atol=5e-7)
    np.testing.assert_allclose(v[:3, 0], [2.5, 0.130876, 0.006931], atol=5e-7)


# ------------------------------------------------------------------------------- Monte Carlo
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


# -------------------------------------------------------------------- exact expm formula
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
