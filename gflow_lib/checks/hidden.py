"""Hidden test problems for grading: new data and new shapes for every check.

A grader (``make grade``, :mod:`gflow_lib.checks.grading`) runs each check's visible problems
and these, drawn from the instructor's seed, so that hard-coded answers or shape-specific code
fail. ``HIDDEN`` maps each public check's name to a function of the seed returning its hidden
:class:`~gflow_lib.checks.Case` tuple; no hidden problem has a visible one's argument shapes,
and a check without an entry is graded on its visible problems only.

Every problem is well-posed for the harness's tolerance (1e-6 relative, 1e-4 in float32), so
any correct answer passes on every seed (tests/test_hidden.py tries the book's solution, a
loop with an eigenvalue cut-off of 1e-9 and float32 on 100 seeds):

* **bounded conditioning**: every matrix an answer decomposes or solves with has each
  eigenvalue within ``COND = 1e4`` of the largest or below ``ZERO = 1e-14`` of it (an exact
  null space), so any cut-off from 1e-12 to 1e-5 keeps the same modes;
* **no kinks**: no ReLU pre-activation is within ``KINK = 1e-3`` of zero, and at each input
  some unit is active.

Each named mistake gives a wrong answer on at least one hidden problem of every seed. A draw
that breaks a rule is replaced by the generator's next draw: a problem depends on the seed only."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..kernels import rbf_kernel
from .harness import Case

__all__ = ["COND", "HIDDEN", "KINK", "ZERO"]

COND = 1e4  # the largest ratio of two nonzero eigenvalues of a matrix an answer decomposes
ZERO = 1e-14  # eigenvalues below ZERO times the largest are rounded exact zeros
KINK = 1e-3  # the smallest size of a ReLU pre-activation


def _rng(seed: int, k: int, attempt: int = 0) -> np.random.Generator:
    return np.random.default_rng([int(seed), k] + ([attempt] if attempt else []))


def _well_split(A, square: bool = False) -> bool:
    """Each eigenvalue of A^T A (of A when ``square``) >= 1/COND or <= ZERO of the largest."""
    lam = np.linalg.eigvalsh(A) if square else np.linalg.svd(A, compute_uv=False) ** 2
    r = lam / lam.max()
    return bool(np.all((r <= ZERO) | (r >= 1.0 / COND)))


def _first_good(seed: int, k: int, draw, good):
    """``draw(rng)`` from the first attempt of problem k's generator whose draw is ``good``."""
    for attempt in range(1000):
        args = draw(_rng(seed, k, attempt))
        if good(*args):
            return args
    raise RuntimeError(f"no well-posed draw for hidden problem {k} of seed {seed}")


def _problem(seed, k, D, I, scale=1.0):  # noqa: E741
    """(X, y, phi) of shapes (D, I), (I,), (D,), X^T X of order one and well split."""
    def draw(rng):
        X = scale * rng.normal(size=(D, I))
        return X, rng.normal(size=I), rng.normal(size=D)

    return _first_good(seed, k, draw, lambda X, *_: _well_split(X))


def _label(k, text):
    return f"hidden problem {k} ({text})"


def _cases(specs, make):
    """One Case per spec; ``make(k, *spec)`` builds the arguments of hidden problem k."""
    return tuple(Case(_label(k, text), (lambda k=k, s=spec: make(k, *s)))
                 for k, (text, *spec) in enumerate(specs, start=1))


def _loss(seed):
    return _cases([("D = 5, I = 7", 5, 7), ("D = I = 6", 6, 6), ("D = 7 > I = 3", 7, 3),
                   ("D = 1, I = 4", 1, 4)],
                  lambda k, D, I: _problem(seed, k, D, I))  # noqa: E741


def _residuals(seed):
    return _cases([("D = 3, I = 6, t = 0.15", 3, 6, 0.15), ("D = I = 5, t = 1.1", 5, 5, 1.1),
                   ("D = 6 > I = 2, t = 4", 6, 2, 4.0)],
                  lambda k, D, I, t: (*_problem(seed, k, D, I, 0.5), t))  # noqa: E741


def _gd_step(seed):
    return _cases([("D = I = 4, lr = 0.05", 4, 4, 0.05), ("D = 3, I = 8, lr = 0.02", 3, 8, 0.02),
                   ("D = 5 > I = 2, lr = 0.1", 5, 2, 0.1)],
                  lambda k, D, I, lr: (*_problem(seed, k, D, I), lr))  # noqa: E741


def _map(seed, k, D, I, sigma_sq, sigma_sq_p):  # noqa: E741
    def draw(rng):
        X = rng.normal(size=(D, I))
        X[-1] = 1.0  # a bias row, as in the book
        return X, rng.normal(size=I), sigma_sq, sigma_sq_p

    def good(X, y, s2, sp2):
        return _well_split(X @ X.T + s2 / sp2 * np.eye(D), square=True)

    return _first_good(seed, k, draw, good)


def _map_estimate(seed):
    return _cases([("D = 3, I = 5", 3, 5, 0.3, 1.2), ("D = 5, I = 9", 5, 9, 0.1, 0.25),
                   ("D = 6 > I = 3", 6, 3, 0.5, 4.0)],
                  lambda k, *spec: _map(seed, k, *spec))


def _variance_case(seed, k, D, I, M, t, s):  # noqa: E741
    def draw(rng):
        return 0.6 * rng.normal(size=(D, I)), rng.normal(size=(D, M)), t, s

    return _first_good(seed, k, draw, lambda X, *_: _well_split(X))


def _predictive_variance(seed):
    return _cases([("D = 3, I = 4, M = 5, t = 0.7", 3, 4, 5, 0.7, 1.3),
                   ("D = 5 > I = 3, M = 2, t = 2.5", 5, 3, 2, 2.5, 0.8),
                   ("D = 2, I = 6, M = 4, t = 0", 2, 6, 4, 0.0, 3.0)],
                  lambda k, *spec: _variance_case(seed, k, *spec))


def _frame_losses(seed):
    return _cases([("T = 9, I = 4", 9, 4), ("T = I = 4", 4, 4), ("T = 1, I = 7", 1, 7)],
                  lambda k, T, I: (_rng(seed, k).normal(size=(T, I)),))  # noqa: E741


def _kernel_case(seed, k, kind, I, M, t):  # noqa: E741
    if kind == "rbf":
        def draw(rng):  # a jittered grid on [-1, 1], spacing 2 / (I - 1) >= the lengthscale
            h = 2.0 / (I - 1)
            x = np.linspace(-1, 1, I) + rng.uniform(-0.25 * h, 0.25 * h, I)
            xn = rng.uniform(-1.3, 1.3, M)
            K = rbf_kernel(x, lengthscale=0.3)
            return K, rng.normal(size=I), rbf_kernel(xn, x, 0.3), t

        return _first_good(seed, k, draw, lambda K, *_: _well_split(K, square=True))
    D = 3  # features: K = X^T X, singular when D < I, with K_new = X_new^T X

    def draw(rng):
        X, Xn = rng.normal(size=(D, I)), rng.normal(size=(D, M))
        return X, X.T @ X, rng.normal(size=I), Xn.T @ X, t

    return _first_good(seed, k, draw, lambda X, *_: _well_split(X))[1:]


def _kernel_predict(seed):
    return _cases([("an RBF kernel on 7 points, M = 3, t = 1.3", "rbf", 7, 3, 1.3),
                   ("a singular K = X^T X (D = 3 < I = 6), M = 2, t = 0.4", "features", 6, 2,
                    0.4),
                   ("an RBF kernel on 3 points, M = 6, t = 8", "rbf", 3, 6, 8.0)],
                  lambda k, *spec: _kernel_case(seed, k, *spec))


def _no_kink(W, *inputs) -> bool:
    """No pre-activation within KINK of zero at any input, and a unit active at each input."""
    a = np.outer(W[:, 0], np.concatenate(inputs)) + W[:, 1:2]
    return bool(np.all(np.abs(a) >= KINK) and np.all(np.any(a > 0, axis=0)))


def _features(W, x):
    """The last layer's features (ReLU(W u) / sqrt(D), 1), shape (D + 1, I)."""
    F = np.maximum(np.outer(W[:, 0], x) + W[:, 1:2], 0.0) / np.sqrt(W.shape[0])
    return np.vstack([F, np.ones((1, x.size))])


def _empirical_ntk(seed):
    def make(k, D, m1, m2):
        def draw(rng):
            W, v = rng.normal(size=(D, 2)), rng.normal(size=D)
            return W, v, rng.uniform(-2, 2, m1), rng.uniform(-2, 2, m2)

        return _first_good(seed, k, draw, lambda W, v, x1, x2: _no_kink(W, x1, x2))

    return _cases([("D = 17, 4 by 2 inputs", 17, 4, 2), ("D = 3, 1 by 5 inputs", 3, 1, 5),
                   ("D = 60, 6 by 6 inputs", 60, 6, 6)], make)


def _last_layer(seed):
    def make(k, D, I, M, t, beta):  # noqa: E741
        def draw(rng):
            W, v = rng.normal(size=(D, 2)), rng.normal(size=D)
            h = 3.0 / (I - 1)  # a jittered grid on [-1.5, 1.5]
            x = np.linspace(-1.5, 1.5, I) + rng.uniform(-0.25 * h, 0.25 * h, I)
            return W, v, beta, x, rng.normal(size=I), rng.uniform(-2, 2, M), t

        def good(W, v, beta, x, y, x_new, t):
            return _no_kink(W, x, x_new) and _well_split(_features(W, x))

        return _first_good(seed, k, draw, good)

    return _cases([("D = 12, I = 4, M = 3, t = 0.8", 12, 4, 3, 0.8, 0.3),
                   ("D = 30, I = 6, M = 1, t = 5", 30, 6, 1, 5.0, -0.5),
                   ("D = 3, I = 2, M = 5, t = 0.05", 3, 2, 5, 0.05, 0.0)], make)


def _heavy_ball_gain(seed):
    """r modes of heavy ball after k steps: a repeated root (positive, negative or both) with
    sqrt(beta) a multiple of 1/8 and lr a power of two, so that its discriminant is exactly 0
    however it is written; a complex pair; a slow mode; the others anywhere in the stable band.
    k from 5 (at k = 0 every gain is 0: nothing to judge rounding against) to where the
    repeated and complex modes keep 1e-4 at least, so that every mistake shows."""
    def make(k, r, which):
        rng = _rng(seed, k)
        s = float(rng.choice([0.375, 0.5, 0.625]))  # sqrt(beta)
        beta, lr = s * s, float(rng.choice([0.125, 0.25, 0.5, 2.0]))
        q = [(1 - s) ** 2] * (which != "negative") + [(1 + s) ** 2] * (which != "positive")
        q += [rng.uniform((1 - s) ** 2, (1 + s) ** 2), rng.uniform(0.01, 0.05) * (1 - s) ** 2]
        q.extend(rng.uniform(0.02, 1.95 * (1 + beta), r - len(q)))
        z = min(1 - s, s) if which != "negative" else s  # the smallest root modulus shown
        steps = int(rng.integers(5, max(5, int(np.log(1e-4) / np.log(z))) + 1))
        return np.array(q)[rng.permutation(r)] / lr, lr, beta, steps

    return _cases([("5 modes, a repeated positive root", 5, "positive"),
                   ("6 modes, a repeated negative root", 6, "negative"),
                   ("8 modes, both repeated roots", 8, "both")], make)

def _sgd_covariance_step(seed):  # (issue 21)
    def make(k, D, I, lr):  # noqa: E741
        def draw(rng):
            L = rng.normal(size=(D, D))
            return (rng.normal(size=(D, I)) / np.sqrt(I), rng.normal(size=I),
                    rng.normal(size=D), 0.1 * (L @ L.T / D + np.eye(D)), lr)

        return _first_good(seed, k, draw, lambda X, *_: _well_split(X))

    return _cases([("D = 3, I = 4, lr = 0.1", 3, 4, 0.1), ("D = 4, I = 7, lr = 0.03", 4, 7, 0.03),
                   ("D = 2, I = 6, lr = 0.15", 2, 6, 0.15)], make)


def _mode_strength(seed):  # (issue 22)
    """K modes of a two-layer linear network at T times: s in [0.2, 4], u0 from 1e-4 to 0.5
    (some modes start above half their value), 2 s t <= 48 so that the plain formula stays in
    range, and K != T so that a transposed answer shows."""
    def make(k, T, K):  # noqa: N803
        rng = _rng(seed, k)
        s = np.sort(rng.uniform(0.2, 4.0, K))[::-1]
        u0 = float(10 ** rng.uniform(-4, np.log10(0.5)))
        return s, u0, np.sort(rng.uniform(0.0, 6.0, T))

    return _cases([("T = 5 times, K = 2 modes", 5, 2), ("T = 3, K = 6", 3, 6),
                   ("T = 9, K = 1", 9, 1)], make)


HIDDEN: dict[str, Callable[[int], tuple[Case, ...]]] = {
    "check_loss": _loss,
    "check_residuals_at": _residuals,
    "check_gd_step": _gd_step,
    "check_map_estimate": _map_estimate,
    "check_predictive_variance": _predictive_variance,
    "check_frame_losses": _frame_losses,
    "check_kernel_predict": _kernel_predict,
    "check_empirical_ntk": _empirical_ntk,
    "check_last_layer": _last_layer,
    "check_mode_strength": _mode_strength,
    "check_heavy_ball_gain": _heavy_ball_gain,
    "check_sgd_covariance_step": _sgd_covariance_step,
}
