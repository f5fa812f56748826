"""Every correct way of writing an exercise gets full marks on every seed.

The grader runs each check's visible problems and the hidden ones of
:mod:`gflow_lib.checks.hidden`, drawn from the instructor's seed. A problem that is ill-posed
for the tolerance (a kernel with condition number 1e10, a mode below any sensible eigenvalue
cut-off that still carries part of the answer, a ReLU pre-activation at its kink) marks a
correct answer wrong on some seeds. So for each of the nine exercises three correct variants,
written differently, must pass every problem of 100 seeds:

* the book's own solution, read from the chapter's solution cell (``book/md/*.md``);
* a loop version: explicit Python loops over the data points (over units and parameters
  too where that stays fast), float64, an eigenvalue cut-off of 1e-9 where a decomposition is
  needed (the book's uses 1e-12, the library keeps every mode);
* a float32 version: the computation done in float32 from float32 inputs, returned as float32
  (the harness then compares at float32 precision): the book's solution on float32 inputs, and
  for the last layer (whose book solution calls the library) NumPy with pinv's cut-off.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import jupytext
import numpy as np
import pytest

import gflow_lib
from gflow_lib.checks import grading, run_check
from gflow_lib.checks.hidden import HIDDEN

ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(100)
CUT = 1e-9  # the loop versions' eigenvalue cut-off, relative to the largest eigenvalue


# ------------------------------------------------------------------ the book's solutions
@functools.cache
def book_solutions() -> dict[str, object]:
    """{check name: the function of the chapter's solution cell}, from the MyST sources: the
    solution cell (tag ``solution``) defines the function that the next code cell hands to
    ``print(check_...(name))``. Read when a test first needs it, not at collection (0.6 s of
    CPU in every pytest worker, most of which never runs this file)."""
    found = {}
    for path in sorted((ROOT / "book" / "md").glob("*.md")):
        cells = [c for c in jupytext.read(path, fmt="md:myst").cells if c.cell_type == "code"]
        for cell, after in zip(cells, cells[1:], strict=False):
            if "solution" not in cell.metadata.get("tags", []):
                continue
            m = re.search(r"print\(\s*(check_\w+)\(\s*(\w+)\s*\)\s*\)", after.source)
            assert m, f"{path.stem}: no print(check_...(fn)) cell after the solution"
            namespace = {"np": np, "gl": gflow_lib}
            exec(compile(cell.source, f"{path.stem} solution", "exec"), namespace)
            found[m.group(1)] = namespace[m.group(2)]
    return found



# ------------------------------------------------------------------------ loop versions
def loss_loops(X, y, phi):
    D, I = X.shape  # noqa: E741
    total = 0.0
    for i in range(I):
        f = 0.0
        for d in range(D):
            f += X[d, i] * phi[d]
        total += (f - y[i]) ** 2
    return 0.5 * total


def _gram(A):
    """A^T A by a loop over its entries."""
    n = A.shape[1]
    G = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            G[i, j] = A[:, i] @ A[:, j]
    return G


def _modes(G, cut=CUT):
    """Eigenpairs of G, the modes below cut * largest dropped (keep[k] False)."""
    lam, U = np.linalg.eigh(G)
    return lam, U, [lam[k] > cut * lam.max() for k in range(len(lam))]


def residuals_loops(X, y, phi0, t):
    D, I = X.shape  # noqa: E741
    lam, U = np.linalg.eigh(_gram(X))
    r0 = [sum(X[d, i] * phi0[d] for d in range(D)) - y[i] for i in range(I)]
    r = np.zeros(I)
    for k in range(I):
        c = sum(U[i, k] * r0[i] for i in range(I))
        for i in range(I):
            r[i] += U[i, k] * np.exp(-lam[k] * t) * c
    return r


def gd_step_loops(X, y, phi, lr):
    D, I = X.shape  # noqa: E741
    res = [sum(X[d, i] * phi[d] for d in range(D)) - y[i] for i in range(I)]
    return np.array([phi[d] - lr * sum(X[d, i] * res[i] for i in range(I)) for d in range(D)])


def map_estimate_loops(X, y, sigma_sq, sigma_sq_p):
    D, I = X.shape  # noqa: E741
    A = _gram(X.T)
    for d in range(D):
        A[d, d] += sigma_sq / sigma_sq_p
    b = np.array([sum(X[d, i] * y[i] for i in range(I)) for d in range(D)])
    return np.linalg.solve(A, b)


def predictive_variance_loops(X, X_new, t, s):
    lam, V = np.linalg.eigh(_gram(X.T))
    D, M = X_new.shape
    out = np.zeros(M)
    for m in range(M):
        z = np.zeros(D)
        for k in range(D):
            c = sum(V[d, k] * X_new[d, m] for d in range(D))
            z += V[:, k] * np.exp(-lam[k] * t) * c
        out[m] = s * sum(zd**2 for zd in z)
    return out


def frame_losses_loops(residuals):
    T, I = residuals.shape  # noqa: E741
    return np.array([0.5 * sum(residuals[k, i] ** 2 for i in range(I)) for k in range(T)])


def kernel_predict_loops(K, y, K_new, t):
    lam, U, keep = _modes(K)
    I, M = K.shape[0], K_new.shape[0]  # noqa: E741
    coef = np.zeros(I)
    for k in range(I):
        if keep[k]:
            c = sum(U[i, k] * y[i] for i in range(I))
            coef += U[:, k] * (1 - np.exp(-lam[k] * t)) / lam[k] * c
    return np.array([sum(K_new[m, i] * coef[i] for i in range(I)) for m in range(M)])


def empirical_ntk_loops(W, v, x1, x2):
    D = W.shape[0]
    out = np.zeros((len(x1), len(x2)))
    for a, xa in enumerate(x1):
        for b, xb in enumerate(x2):
            pa, pb = W[:, 0] * xa + W[:, 1], W[:, 0] * xb + W[:, 1]  # every unit at once
            first = (xa * xb + 1) * np.sum(v**2 * (pa > 0) * (pb > 0))
            out[a, b] = (first + np.maximum(pa, 0) @ np.maximum(pb, 0)) / D + 1.0
    return out


def _features_loops(W, xs):
    D = W.shape[0]
    F = np.ones((D + 1, len(xs)))
    for i, x in enumerate(xs):
        F[:D, i] = np.maximum(W[:, 0] * x + W[:, 1], 0.0) / np.sqrt(D)
    return F


def last_layer_outputs_loops(W, v, beta, x, y, x_new, t):
    F, Fn = _features_loops(W, x), _features_loops(W, x_new)
    phi = np.append(v, beta)
    lam, U, keep = _modes(_gram(F))
    r0 = F.T @ phi - y
    for k in range(len(lam)):
        if keep[k]:
            phi = phi - F @ U[:, k] * (1 - np.exp(-lam[k] * t)) / lam[k] * (U[:, k] @ r0)
    return np.array([Fn[:, m] @ phi for m in range(Fn.shape[1])])


def heavy_ball_gain_loops(lam, lr, beta, k):
    """The recursion p_{j+1} = (1 + beta - lr lam) p_j - beta p_{j-1} from rest, one mode at a
    time."""
    out = np.zeros(len(lam))
    for i, lam_i in enumerate(lam):
        prev = p = 1.0
        for _ in range(k):
            prev, p = p, (1 + beta - lr * lam_i) * p - beta * prev
        out[i] = 1 - p
    return out


def sgd_covariance_step_loops(X, y, m, S, lr):
    """The covariance after one draw of SGD as an average over the I points of the outer
    products of each point's step, minus the new mean's outer product."""
    D, I = X.shape  # noqa: E741
    first, second = np.zeros(D), np.zeros((D, D))
    for i in range(I):
        x = X[:, i]
        J = np.eye(D) - lr * I * np.outer(x, x)  # the step from phi is J phi + c
        c = lr * I * x * y[i]
        mean_i = J @ m + c
        first += mean_i / I
        second += (J @ S @ J.T + np.outer(mean_i, mean_i)) / I
    return second - np.outer(first, first)


def mode_strength_loops(s, u0, t):
    """Each mode and time on its own, in the harmonic-mean form 1/u = e^{-2st}/u0 + (1 -
    e^{-2st})/s."""
    out = np.zeros((len(t), len(s)))
    for i, ti in enumerate(t):
        for k, sk in enumerate(s):
            decay = np.exp(-2 * sk * ti)
            out[i, k] = 1.0 / (decay / u0 + (1 - decay) / sk)
    return out


LOOPS = {
    "check_loss": loss_loops,
    "check_residuals_at": residuals_loops,
    "check_gd_step": gd_step_loops,
    "check_map_estimate": map_estimate_loops,
    "check_predictive_variance": predictive_variance_loops,
    "check_frame_losses": frame_losses_loops,
    "check_kernel_predict": kernel_predict_loops,
    "check_empirical_ntk": empirical_ntk_loops,
    "check_last_layer": last_layer_outputs_loops,
    "check_mode_strength": mode_strength_loops,
    "check_heavy_ball_gain": heavy_ball_gain_loops,
    "check_sgd_covariance_step": sgd_covariance_step_loops,
}


# --------------------------------------------------------------------- float32 versions
def last_layer_outputs_numpy(W, v, beta, x, y, x_new, t):
    """The last layer's flow in NumPy alone, in the dtype of its inputs."""
    def features(xs):
        act = np.maximum(np.outer(W[:, 0], xs) + W[:, 1:2], 0)
        ones = np.ones((1, xs.size), W.dtype)
        return np.vstack([act / np.sqrt(W.shape[0]).astype(W.dtype), ones])

    F, Fn = features(x), features(x_new)
    phi0 = np.append(v, beta).astype(W.dtype)
    lam, U = np.linalg.eigh(F.T @ F)
    keep = lam > lam.size * np.finfo(lam.dtype).eps * lam.max()  # pinv's cut-off
    gain = np.zeros_like(lam)
    gain[keep] = -np.expm1(-lam[keep] * t) / lam[keep]
    return Fn.T @ (phi0 - F @ (U @ (gain * (U.T @ (F.T @ phi0 - y)))))


def in_float32(fn):
    """fn computed in float32: array arguments and float scalars cast, the answer float32."""
    def cast(a):
        return a.astype(np.float32) if isinstance(a, np.ndarray) else (
            np.float32(a) if isinstance(a, float) else a)

    def wrapped(*args):
        return np.asarray(fn(*(cast(a) for a in args)), dtype=np.float32)

    return wrapped


def variant(kind: str, name: str):
    """The answer to check ``name`` as the book's solution ("book"), as loops ("loops"), or
    the book's computed in float32 ("float32"; the last layer's from the numpy version)."""
    if kind == "loops":
        return LOOPS[name]
    if kind == "float32":
        return in_float32(last_layer_outputs_numpy if name == "check_last_layer"
                          else book_solutions()[name])
    return book_solutions()[name]


VARIANTS = ("book", "loops", "float32")
NAMES = sorted(LOOPS)


def test_the_book_has_one_solution_per_check():
    public = sorted(n for n in gflow_lib.checks.__all__ if n.startswith("check_"))
    assert sorted(book_solutions()) == NAMES == public


@pytest.mark.parametrize("kind", VARIANTS)
@pytest.mark.parametrize("name", NAMES)
def test_a_correct_variant_passes_every_problem_of_every_seed(name, kind):
    """The grader's verdict on the first seed (visible and hidden problems), then the hidden
    problems of every seed (the visible ones do not depend on the seed: run once)."""
    fn = variant(kind, name)
    first = grading.grade(name, fn, SEEDS[0])
    assert first.passed and first.startswith("Correct:"), (name, kind, str(first))
    table = grading.table_of(name)
    failed = {}
    for seed in SEEDS:
        result = run_check(table, fn, HIDDEN[name](seed))
        if not result.passed:
            failed[seed] = str(result)
    assert not failed, (f"{name}, {kind}: {len(failed)} of {len(SEEDS)} seeds fail; e.g. "
                        f"{next(iter(failed.items()))}")


MISTAKES = [(name, m) for name in NAMES for m in grading.table_of(name).mistakes]


@pytest.mark.parametrize("name, mistake", MISTAKES, ids=[f"{n}-{m.name}" for n, m in MISTAKES])
def test_hidden_problems_tell_each_mistake_apart(name, mistake):
    """A function that makes a table's mistake is told that mistake by the hidden problems of
    every seed alone, and fails at least one of them: they are not only degenerate cases
    (t = 0, D = 1, I = 2, no null space, a zero start) where it coincides with the answer or
    with another mistake. (A mistake that cannot run on the hidden shapes, such as a transposed
    X, gets an error instead; the visible problems name it.)"""
    table = grading.table_of(name)
    for seed in SEEDS[:5]:
        result = run_check(table, mistake.answer, HIDDEN[name](seed))
        assert not result.passed, (seed, str(result))
        if result.startswith("Error:"):  # only where the mistake cannot run at all
            for case in HIDDEN[name](seed):
                with pytest.raises(ValueError):
                    mistake.answer(*case.make())
        else:
            assert result.mistake == mistake.name, (seed, str(result))
