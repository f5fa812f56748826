"""Never silently wrong: gflow_lib against independent high-precision references (issue 8).

Each test pins one way the library used to return a wrong number without complaint: a
tiny ridge penalty on rank-deficient X, a mode lost to an ill-conditioned Gram matrix,
residuals that lost their relative accuracy, a loss surface that cancels, NaN risk at huge
times, caller's arrays changed or kept, intermediate overflow, and memory that grows with
rank^2 * M or D^2.

The reference values are in ``tests/reference/high_precision.json``, computed from the
exact float inputs stored there by ``tests/reference/make_reference.py`` (mpmath at 60 to
900 digits, no gflow_lib; rerun it to re-derive them). The memory cases, far too large for
mpmath, are checked against an SVD of X computed here with NumPy, in a child process with a
hard address-space limit so that a D x D or rank^2 x M array fails at once as a MemoryError
instead of swapping the machine.

Tolerances are stated per case, with the reason, next to each test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from gflow_lib import (
    KernelFlow,
    LinearFlow,
    landscape,
    map_params,
    posterior_predictive,
    regularization,
    ridge_params,
)

ROOT = Path(__file__).resolve().parent.parent
REF = json.loads((ROOT / "tests" / "reference" / "high_precision.json").read_text())
EPS = np.finfo(float).eps


def num(a) -> np.ndarray:
    """Reference decimal strings (or exact stored floats) as float64."""
    return np.array(a, dtype=float)


def rel_err(got, ref) -> float:
    """Norm-wise relative error ``||got - ref|| / ||ref||`` (``inf`` for NaN or inf)."""
    got = np.asarray(got, dtype=float)
    ref = np.asarray(ref, dtype=float)
    assert got.shape == ref.shape, f"shape {got.shape}, expected {ref.shape}"
    if not np.all(np.isfinite(got)):
        return float("inf")
    scale = np.max(np.abs(ref))  # values near 1e308 would overflow the sum of squares
    return float(np.linalg.norm(got / scale - ref / scale) / np.linalg.norm(ref / scale))


def entry_err(got, ref, floor: float = 0.0) -> float:
    """Largest entrywise relative error ``|got - ref| / (|ref| + floor)``."""
    got = np.asarray(got, dtype=float)
    ref = np.asarray(ref, dtype=float)
    assert got.shape == ref.shape, f"shape {got.shape}, expected {ref.shape}"
    if not np.all(np.isfinite(got)):
        return float("inf")
    return float(np.max(np.abs(got - ref) / (np.abs(ref) + floor)))


def names(cases):
    return [c["name"] for c in cases]


def right_or_refused(call, check):
    """The only two acceptable outcomes for input whose intermediate products overflow:
    the correct finite value (``check`` asserts it), or a ValueError naming X."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            got = call()
    except ValueError as exc:
        assert re.search(r"\bX\b", str(exc)), f"the ValueError does not name X: {exc}"
        return
    check(got)


# ================================================ 1. ridge / MAP with a tiny penalty
# The exact ridge solution on exactly rank-deficient X is continuous in the penalty and
# tends to the minimum-norm solution ([0.02, 0.04] for the 2 x 3 X). The null direction
# must contribute nothing at any penalty, so 1e-10 relative is loose for a method that
# takes the rank from the singular values; the bug returned ~1e283.
RIDGE = REF["ridge_rank_deficient"]


@pytest.mark.parametrize("case", RIDGE, ids=names(RIDGE))
def test_ridge_params_tiny_penalty_rank_deficient(case):
    got = ridge_params(num(case["X"]), num(case["y"]), case["penalty"])
    assert rel_err(got, num(case["params"])) <= 1e-10, got


@pytest.mark.parametrize("case", RIDGE, ids=names(RIDGE))
def test_map_params_tiny_noise_rank_deficient(case):
    # sigma_sq / sigma_sq_p with sigma_sq_p = 1 is exactly the penalty
    got = map_params(num(case["X"]), num(case["y"]), case["penalty"], 1.0)
    assert rel_err(got, num(case["params"])) <= 1e-10, got


@pytest.mark.parametrize("X_name", sorted({c["name"].split("_penalty")[0] for c in RIDGE}))
def test_ridge_params_all_penalties_at_once(X_name):
    cases = [c for c in RIDGE if c["name"].startswith(X_name + "_")]
    pens = np.array([c["penalty"] for c in cases])
    got = ridge_params(num(cases[0]["X"]), num(cases[0]["y"]), pens)
    assert got.shape == (len(cases), len(cases[0]["params"]))
    for row, c in zip(got, cases, strict=True):
        assert rel_err(row, num(c["params"])) <= 1e-10, (c["penalty"], row)


# ============================================ 2. LinearFlow on ill-conditioned X
# X = U diag(s) V^T with cond(X) = 1e7 and 1e8 (Gram condition 1e14, 1e16). No mode may be
# lost. Parameters and the limit: a backward-stable SVD gets them to a small multiple of
# cond(X) * eps; 1e3 * cond(X) * eps (2e-6 at 1e7, 2e-5 at 1e8) leaves a wide margin.
# The loss at time t is exponentially sensitive to the eigenvalues: d ln e^{-2 lam t} /
# d ln lam = -2 lam t, and the smallest eigenvalue carries a relative error of order
# cond(X) * eps, so the bound is 1e3 * cond(X) * eps * (1 + 2 lam_min t): 7e-6 (cond 1e7)
# and 7e-5 (cond 1e8) at t = 1/lam_min, 4e-4 at lam_min t = 100, where the loss is 1e-88
# (an SVD-based flow measured 2e-7 there, and <= 2e-9 everywhere else). A lost mode is an
# O(1) error in all of them.
FLOW_COND = REF["flow_ill_conditioned"]


def _flow(case):
    return LinearFlow(num(case["X"]), num(case["y"]), num(case["phi0"]))


def _cond_tol(case):
    return 1e3 * float(case["cond"]) * EPS


@pytest.mark.parametrize("case", FLOW_COND, ids=names(FLOW_COND))
def test_ill_conditioned_limit(case):
    got = _flow(case).limit()
    assert rel_err(got, num(case["limit"])) <= _cond_tol(case), got


@pytest.mark.parametrize("case", FLOW_COND, ids=names(FLOW_COND))
def test_ill_conditioned_params(case):
    flow = _flow(case)
    t = num(case["t"])
    got = flow.params(t)
    for k, tk in enumerate(t):
        err = rel_err(got[k], num(case["params"][k]))
        assert err <= _cond_tol(case), f"t = {tk:g}: relative error {err:.3g}"


@pytest.mark.parametrize("case", FLOW_COND, ids=names(FLOW_COND))
def test_ill_conditioned_loss(case):
    flow = _flow(case)
    t = num(case["t"])
    lam_min = float(case["lam_min"])
    got = flow.loss(t)
    for k, tk in enumerate(t):
        ref = float(case["loss"][k])
        tol = _cond_tol(case) * (1.0 + 2.0 * lam_min * tk)
        err = abs(got[k] - ref) / ref
        assert err <= tol, f"t = {tk:g}: loss {got[k]!r}, reference {ref!r}, error {err:.3g}"


@pytest.mark.parametrize("case", FLOW_COND, ids=names(FLOW_COND))
def test_ill_conditioned_loss_limit(case):
    flow = _flow(case)
    got = flow.loss_limit()
    D, I = np.shape(case["X"])  # noqa: E741
    if D >= I:
        # rank = I: y is in the range of X^T and the true minimum is exactly 0; what is
        # left can only be the rounding of a residual, (1e3 cond eps)^2 of the start
        assert 0.0 <= got <= _cond_tol(case) ** 2 * float(case["loss"][0]), got
    else:
        ref = float(case["loss_limit"])
        assert abs(got - ref) / ref <= _cond_tol(case), (got, ref)


# ======================================== 3. residuals and outputs keep relative accuracy
# Residuals decay like e^{-lam_min t}; computing them as X^T phi(t) - y leaves an absolute
# error of about eps * ||y||, i.e. no correct digit once they are below 1e-16. In the
# data-space eigenbasis they are exact to a few eps relative: 1e-8 per entry is loose. Entries
# below 1e-300 (where e^{-lam t} underflows) are compared absolutely.
RESID = [c for c in REF["residuals"] if "residuals" in c]
TINY_T = [c for c in REF["residuals"] if "outputs" in c]


@pytest.mark.parametrize("case", RESID, ids=names(RESID))
def test_residuals_keep_relative_accuracy(case):
    flow = _flow(case)
    t = num(case["t"])
    got = flow.residuals(t)
    for k, tk in enumerate(t):
        ref = num(case["residuals"][k])
        err = entry_err(got[k], ref, floor=1e-300 / 1e-8)
        assert err <= 1e-8, f"t = {tk:g}: residuals {got[k]}, reference {ref}"


@pytest.mark.parametrize("case", RESID, ids=names(RESID))
def test_half_squared_residuals_equal_loss(case):
    flow = _flow(case)
    for k, tk in enumerate(num(case["t"])):
        ref = float(case["loss"][k])
        r = flow.residuals(tk)
        half = 0.5 * float(r @ r)
        loss = flow.loss(tk)
        if ref < 1e-290:  # underflows: both must be (next to) zero
            assert half <= 1e-290 and loss <= 1e-290, (tk, half, loss)
            continue
        assert abs(loss - ref) <= 1e-8 * ref, (tk, loss, ref)
        assert abs(half - loss) <= 1e-8 * loss, f"t = {tk:g}: 0.5 |r|^2 = {half!r}, loss {loss!r}"


@pytest.mark.parametrize("case", RESID, ids=names(RESID))
def test_residuals_vanish_when_rank_equals_I(case):
    # rank = I: the least-squares residual is exactly zero, so at t = 1e3 (lam_min t > 300)
    # nothing of the start may be left but an underflowed e^{-lam t}
    flow = _flow(case)
    r0 = np.linalg.norm(num(case["residuals_0"]))
    got = flow.residuals(1e3)
    assert np.linalg.norm(got) <= 1e-290 * r0, got


@pytest.mark.parametrize("case", TINY_T, ids=names(TINY_T))
def test_outputs_at_tiny_time(case):
    # phi0 = 0: outputs(t) = X^T (1 - e^{-A t}) A^{-1} X y ~ t X^T X y, about 1e-300 here
    flow = _flow(case)
    got = flow.outputs(case["t"][0])
    ref = num(case["outputs"][0])
    assert entry_err(got, ref) <= 1e-10, (got, ref)


# ================================================= 4. loss_grid with offset targets
# y offset by 1e8 and the grid through the minimum (slope 0.625, intercept -0.175 + 1e8).
# The loss there is 0.004375 up to the rounding of the stored floats; the expanded quadratic
# form cancels ~1e16 against 0.004. The reference is the loss of the exact floats, so 1e-9
# relative asks that the residuals be formed without cancellation (e.g. intercept and
# targets centred first: c - y_i is then exact).
GRID = REF["loss_grid_offset"]


@pytest.mark.parametrize("case", GRID, ids=names(GRID))
def test_loss_grid_offset_targets(case):
    got = landscape.loss_grid(
        num(case["X"]), num(case["y"]), num(case["slopes"]), num(case["intercepts"])
    )
    ref = num(case["loss"])
    assert np.all(got >= 0), got
    mid = ref.shape[0] // 2, ref.shape[1] // 2
    assert abs(got[mid] - ref[mid]) <= 1e-9 * ref[mid], (got[mid], ref[mid])
    assert abs(ref[mid] - 0.004375) <= 1e-6 * 0.004375  # the unshifted minimum, to rounding
    assert entry_err(got, ref) <= 1e-9, got - ref


# ====================================================== 5. flow_risk at huge times
# Rank-deficient X (rank 2, D = 3): at t >= 1e155 the variance is sigma_sq * sum 1/lam over
# the nonzero modes and the bias the null-space part of beta0. Sums of a few positive
# terms: 1e-10 relative is loose. A NaN or a RuntimeWarning is a failure.
RISK = REF["flow_risk_huge_t"]


@pytest.mark.parametrize("case", RISK, ids=names(RISK))
def test_flow_risk_huge_t_rank_deficient(case):
    t = num(case["t"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = regularization.flow_risk(num(case["X"]), num(case["beta0"]), case["sigma_sq"], t)
    for field in ("bias_sq", "variance", "risk"):
        value = np.asarray(getattr(got, field))
        assert np.all(np.isfinite(value)), (field, value)
        assert entry_err(value, num(case[field])) <= 1e-10, (field, value)


@pytest.mark.parametrize("case", RISK, ids=names(RISK))
def test_flow_risk_huge_scalar_t(case):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = regularization.flow_risk(
            num(case["X"]), num(case["beta0"]), case["sigma_sq"], case["t"][-1]
        )
    assert abs(got.variance - float(case["variance"][-1])) <= 1e-10 * float(
        case["variance"][-1]
    ), got


# ============================================ 6. the caller's arrays stay the caller's
def _seed():
    x = np.array([0.2, 0.4, 0.8])
    return np.vstack([x, np.ones(3)]), np.array([-0.1, 0.15, 0.3]), np.array([-0.05, -0.4])


def test_the_explorer_widget_leaves_the_callers_arrays_alone():
    """FlowFrames set the caller's t and x_new read-only; it went with the pre-rendered
    animation. Its successor, the live explorer widget, takes the caller's data: they stay
    writeable, unchanged and unshared."""
    from gflow_lib.widgets import Explorer

    X, y, phi0 = _seed()
    copies = [a.copy() for a in (X, y, phi0)]
    ex = Explorer(X, y, phi0)
    ex.set_data(X, y, phi0)
    for a, c in zip((X, y, phi0), copies, strict=True):
        assert a.flags.writeable and np.array_equal(a, c)
    assert not np.shares_memory(ex.X, X) and not np.shares_memory(ex.y, y)


@pytest.mark.parametrize("shape", [(2, 3), (3, 2)], ids=["D<=I", "D>I"])
def test_linear_flow_keeps_no_reference(shape):
    rng = np.random.default_rng(8)
    X = rng.standard_normal(shape)
    y = rng.standard_normal(shape[1])
    phi0 = rng.standard_normal(shape[0])
    flow = LinearFlow(X, y, phi0)
    for name, arr in (("X", X), ("y", y), ("phi0", phi0)):
        assert not np.shares_memory(getattr(flow, name), arr), name
    t = np.array([0.0, 0.3, 2.0])
    before = [flow.params(t), flow.outputs(t), flow.residuals(t), flow.loss(t), flow.limit()]
    X *= 3.0
    y += 1.0
    phi0 -= 2.0
    after = [flow.params(t), flow.outputs(t), flow.residuals(t), flow.loss(t), flow.limit()]
    quantities = ("params", "outputs", "residuals", "loss", "limit")
    for what, b, a in zip(quantities, before, after, strict=True):
        assert np.array_equal(a, b), f"{what} changed when the caller changed its arrays"


# ===================================================== 7. intermediate overflow
# The true results are finite (scaling X by a and y by b scales the solution by b / a), so
# they must come back finite and right: the seed data has cond(X) ~ 5, so 1e-10 relative
# is loose. Where the true loss itself exceeds the float range (~1e597 for y ~ 1e300), the
# correctly rounded answer is inf; a ValueError saying so is also acceptable; NaN is not.
OVER = REF["overflow"]


@pytest.mark.parametrize("case", OVER["flows"], ids=names(OVER["flows"]))
def test_overflow_flow_params_outputs_limit(case):
    t = num(case["t"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        flow = _flow(case)
        got = {
            "params": flow.params(t), "outputs": flow.outputs(t),
            "residuals": flow.residuals(t), "limit": flow.limit(),
        }
    for what in ("params", "outputs", "residuals"):
        for k, tk in enumerate(t):
            err = rel_err(got[what][k], num(case[what][k]))
            assert err <= 1e-10, f"{what} at t = {tk:g}: {got[what][k]}, error {err:.3g}"
    assert rel_err(got["limit"], num(case["limit"])) <= 1e-10, got["limit"]


@pytest.mark.parametrize("case", OVER["flows"], ids=names(OVER["flows"]))
def test_overflow_flow_loss(case):
    t = num(case["t"])
    flow = _flow(case)
    refs = [float(v) for v in case["loss"]] + [float(case["loss_limit"])]
    calls = [lambda tk=tk: flow.loss(tk) for tk in t] + [flow.loss_limit]
    for ref, call in zip(refs, calls, strict=True):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                got = call()
        except ValueError:
            assert np.isinf(ref), "ValueError for a loss that is finite"
            continue
        if np.isinf(ref):
            assert got == np.inf, f"loss {got!r}; the true loss exceeds the float range"
        else:
            # near-line data: ||y||^2 ~ 1e312 overflows, the loss ~ 1e304 does not; the
            # residual is 1e-4 of y, so forming it costs ~1e-12 relative
            assert abs(got - ref) <= 1e-8 * ref, (got, ref)


BIG = OVER["ridge"]


@pytest.mark.parametrize("case", BIG, ids=names(BIG))
def test_overflow_ridge_params(case):
    def check(got):
        assert rel_err(got, num(case["params"])) <= 1e-10, got

    right_or_refused(lambda: ridge_params(num(case["X"]), num(case["y"]), case["penalty"]), check)


@pytest.mark.parametrize("case", BIG, ids=names(BIG))
def test_overflow_map_params(case):
    def check(got):
        assert rel_err(got, num(case["params"])) <= 1e-10, got

    right_or_refused(
        lambda: map_params(num(case["X"]), num(case["y"]), case["penalty"], 1.0), check
    )


POST = OVER["posterior_predictive"]


@pytest.mark.parametrize("case", POST, ids=names(POST))
def test_overflow_posterior_predictive(case):
    def check(got):
        mean, var = got
        assert rel_err(mean, num(case["mean"])) <= 1e-10, mean
        assert entry_err(var, num(case["var"])) <= 1e-8, var

    right_or_refused(
        lambda: posterior_predictive(
            num(case["X"]), num(case["y"]), num(case["X_new"]), case["sigma_sq"],
            case["sigma_sq_p"],
        ),
        check,
    )


@pytest.mark.parametrize("case", OVER["loss_grid"], ids=names(OVER["loss_grid"]))
def test_overflow_loss_grid(case):
    def check(got):
        assert entry_err(got, num(case["loss"])) <= 1e-9, got

    right_or_refused(
        lambda: landscape.loss_grid(
            num(case["X"]), num(case["y"]), num(case["slopes"]), num(case["intercepts"])
        ),
        check,
    )


# ============================================================== 9. memory
# Run in a child process whose address space is capped (RLIMIT_AS): today's O(rank^2 M)
# and D x D arrays fail there at once with MemoryError instead of swapping a shared
# machine. The child reports tracemalloc's peak (NumPy registers its buffers with it).
CHILD_PRELUDE = """
import json, resource, sys, tracemalloc
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
import numpy as np
import gflow_lib
from gflow_lib import landscape, regularization
out = {{}}
"""


def run_capped(*parts: str, limit_gib: float, timeout: float = 120.0) -> dict:
    """Run the code ``parts`` in a child Python with the address space capped at
    ``limit_gib``; they fill the dict ``out``, which comes back as JSON."""
    limit = int(limit_gib * 2**30)
    code = CHILD_PRELUDE.format(limit=limit) + "".join(textwrap.dedent(p) for p in parts)
    code += "\nprint('RESULT' + json.dumps(out))\n"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
        cwd=ROOT, env=env,
    )
    tail = (proc.stderr or "")[-1500:]
    assert proc.returncode == 0, f"child failed (address space {limit_gib} GiB):\n{tail}"
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")][-1]
    return json.loads(line[len("RESULT"):])


def test_prediction_distribution_memory():
    # D = 300, I = 400, M = 2000, T = 3: X_new is 4.8 MB. Allowed: 8 X_new plus 32 D x D
    # arrays (about 61 MB); O(rank^2 M) was 1.4 GiB.
    out = run_capped(
        """
        rng = np.random.default_rng(9)
        D, I, M = 300, 400, 2000
        X = rng.standard_normal((D, I))
        y = rng.standard_normal(I)
        X_new = rng.standard_normal((D, M))
        t = np.array([0.01, 0.1, 1.0])
        prior_mean = np.zeros(D)
        B = rng.standard_normal((D, D)) / np.sqrt(D)
        prior_cov = B @ B.T + 0.5 * np.eye(D)
        tracemalloc.start()
        mean, var = gflow_lib.prediction_distribution(X, y, X_new, t, prior_mean, prior_cov)
        out["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out["budget"] = 8 * X_new.nbytes + 32 * D * D * 8
        # reference, after the measurement: phi(t) = E phi0 + c is affine in phi0, so
        # var = diag(X_new^T E S E X_new) with E = expm(-A t) from an eigh of A = X X^T
        lam, V = np.linalg.eigh(X @ X.T)
        errs = []
        for k, tk in enumerate(t):
            E = (V * np.exp(-lam * tk)) @ V.T
            c = (V * (-np.expm1(-lam * tk) / lam)) @ (V.T @ (X @ y))
            W = E @ X_new
            ref_mean = c @ X_new
            ref_var = np.einsum("dm,dm->m", W, prior_cov @ W)
            errs.append(float(np.max(np.abs(mean[k] - ref_mean)) / np.max(np.abs(ref_mean))))
            errs.append(float(np.max(np.abs(var[k] - ref_var) / ref_var)))
        out["err"] = max(errs)
        out["shape"] = list(mean.shape) + list(var.shape)
        """,
        limit_gib=1.5,
    )
    assert out["shape"] == [3, 2000, 3, 2000]
    assert out["peak"] <= out["budget"], f"peak {out['peak'] / 2**20:.0f} MiB"
    assert out["peak"] < 100 * 2**20
    assert out["err"] <= 1e-8, out["err"]


# D = 50,000, I = 50: a D x D float64 array is 20 GB; the address space allows 2 GiB. The
# reference is the thin SVD of X (cond(X) ~ 1.07), so 1e-10 relative is loose.
WIDE = """
rng = np.random.default_rng(10)
D, I = 50_000, 50
X = rng.standard_normal((D, I))
beta0 = rng.standard_normal(D) / np.sqrt(D)
U, sv, _ = np.linalg.svd(X, full_matrices=False)
lam = sv**2
d = -beta0  # phi0 = 0 and center = 0
proj = U.T @ d
null = float(d @ d - proj @ proj)
sigma_sq = 0.7
"""


def test_flow_risk_and_ridge_risk_wide_X():
    out = run_capped(
        WIDE,
        """
        t = np.array([1e-6, 1e-4, 1e-2, 1e300])
        risk = regularization.flow_risk(X, beta0, sigma_sq, t)
        e = np.exp(-np.outer(t, lam))
        ref_bias = null + (e * e) @ proj**2
        ref_var = sigma_sq * ((-np.expm1(-np.outer(t, lam))) ** 2 / lam).sum(axis=1)
        out["flow"] = [
            float(np.max(np.abs(np.asarray(risk.bias_sq) - ref_bias) / ref_bias)),
            float(np.max(np.abs(np.asarray(risk.variance) - ref_var) / ref_var)),
        ]
        pen = np.array([1e-3, 10.0, 1e4, 1e6])
        rr = regularization.ridge_risk(X, beta0, sigma_sq, pen)
        shrink = pen[:, None] / (lam + pen[:, None])
        ref_bias = null + (shrink**2) @ proj**2
        ref_var = sigma_sq * (lam / (lam + pen[:, None]) ** 2).sum(axis=1)
        out["ridge"] = [
            float(np.max(np.abs(np.asarray(rr.bias_sq) - ref_bias) / ref_bias)),
            float(np.max(np.abs(np.asarray(rr.variance) - ref_var) / ref_var)),
        ]
        """,
        limit_gib=2.0,
    )
    assert max(out["flow"]) <= 1e-10, out
    assert max(out["ridge"]) <= 1e-10, out


def test_eigen_coordinates_wide_X():
    # For D > I only the rank r = I modes with nonzero eigenvalues are defined by X (the
    # null space has no preferred basis): the test checks those coordinates,
    # c_j = v_j^T (phi - phi*), with each v_j signed so its largest-magnitude entry is
    # positive, as the function documents. Null-space columns, if returned, are not checked.
    out = run_capped(
        WIDE,
        """
        y = rng.standard_normal(I)
        P = rng.standard_normal((2, D))
        lam_got, vecs, coords = landscape.eigen_coordinates(X, y, P)
        lam_got = np.asarray(lam_got)
        nz = np.flatnonzero(lam_got > 1e-8 * lam_got.max())
        out["rank"] = int(nz.size)
        out["lam"] = float(np.max(np.abs(np.sort(lam_got[nz]) - np.sort(lam)) / lam))
        order = nz[np.argsort(lam_got[nz])]
        phi_star = U @ ((U.T @ X @ y) / lam)  # the minimum-norm solution, via the SVD
        Us = U[:, np.argsort(lam)]
        Us = Us * np.where(Us[np.argmax(np.abs(Us), axis=0), np.arange(I)] < 0, -1.0, 1.0)
        ref = (P - phi_star) @ Us
        got = np.asarray(coords)[:, order]
        out["coords"] = float(np.linalg.norm(got - ref) / np.linalg.norm(ref))
        """,
        limit_gib=2.0,
    )
    assert out["rank"] == 50, out
    assert out["lam"] <= 1e-10, out
    assert out["coords"] <= 1e-10, out


# ------------------------------------------------------------------ issue 16's corners
# References in 60-digit mpmath, computed here from the exact float inputs: a symmetric
# eigendecomposition (mpmath.eigsy) of a matrix rescaled to order 1 by an exact factor, and
# the closed forms on its modes (no exponential underflows or overflows in mpmath).
mp = pytest.importorskip("mpmath")
mp.mp.dps = 60
RUNNING_X = np.array([[0.2, 0.4, 0.8], [1.0, 1.0, 1.0]])
RUNNING_Y = np.array([-0.1, 0.15, 0.3])


def _mp_modes(M):
    """``(eigenvalues, eigenvectors)`` of a symmetric mpmath matrix."""
    E, Q = mp.eigsy(M)
    return [E[i] for i in range(M.rows)], Q


def _floats(v):
    return np.array([float(x) for x in v])


def _mp_residual(K, r0, t):
    """e^{-K t} r0 and half its squared norm, K an mpmath matrix."""
    E, Q = _mp_modes(K)
    w = Q.T * mp.matrix(r0.tolist())
    out = Q * mp.matrix([mp.exp(-E[i] * t) * w[i] for i in range(len(E))])
    return _floats(out), float(sum(x**2 for x in out) / 2)


@pytest.mark.parametrize("X, method", [
    (np.array([[1.0, 0.5], [0.3, 1.0]]), "gram"),
    (np.array([[1.0, 1.0], [1.0, 1.0 + 1e-5]]), "svd"),
], ids=["gram", "svd"])
def test_residuals_and_loss_where_the_decay_underflows(X, method):
    """e^{-lambda t} = 1e-339 underflows to 0, but with targets of 1e200 the residual is about
    1e-139 and the loss 1e-277: both representable, and returned (they were 0). The tolerance
    of the SVD case is cond(X)^2 eps lambda t: the slow eigenvalue's own rounding times 780."""
    y = np.array([1e200, -3e200])
    flow = LinearFlow(X, y)
    assert flow.spectrum.method == method
    t = 780.0 / float(flow.spectrum.lam[0])
    Xm = mp.matrix(X.tolist())
    want, want_loss = _mp_residual(Xm.T * Xm, -y, t)
    tol = 1e-13 if method == "gram" else 1e-7
    assert rel_err(flow.residuals(t), want) < tol
    assert flow.loss(t) == pytest.approx(want_loss, rel=2 * tol)
    assert rel_err(flow.residuals(np.array([t, 2 * t]))[0], want) < tol
    if method == "gram":  # function space, on the same kernel as a float matrix
        K = X.T @ X
        kwant, kloss = _mp_residual(mp.matrix(K.tolist()), -y, t)
        kflow = KernelFlow(K, y)
        assert rel_err(kflow.residuals(t), kwant) < 1e-13
        assert kflow.loss(t) == pytest.approx(kloss, rel=1e-12)


@pytest.mark.parametrize("K", [
    np.array([[1e308, 0.5e308], [0.5e308, 1e308]]),  # 0.5 (K + K^T) overflowed: rank 0
    np.array([[1.7e308, 1e300], [1e300, 1e307]]),  # K + K^T overflowed: LinAlgError
    np.array([[1e-310, 0.0], [0.0, 3e-320]]),  # subnormal entries
], ids=["1e308", "1.7e308", "subnormal"])
def test_kernel_near_the_ends_of_the_float_range(K):
    """A symmetric PSD kernel is scaled by a power of two before its one eigh: eigenvalues
    and the flow's predictions against mpmath."""
    y, Kn = np.array([1.0, -2.0]), K[:1] * 0.5
    t = min(0.5 / float(np.max(K)), 1e300)  # lambda t of order 1 (1e-10 for subnormal K)
    flow = KernelFlow(K, y)
    scale = mp.mpf(float(np.max(np.abs(K))))
    E, Q = _mp_modes(mp.matrix(K.tolist()) / scale)
    lam = sorted(float(e * scale) for e in E)
    np.testing.assert_allclose(flow.eigenvalues, lam, rtol=1e-14)
    assert flow.spectrum.rank == 2
    ts = mp.mpf(t) * scale
    w = Q.T * mp.matrix(y.tolist())
    g = [(-mp.expm1(-E[i] * ts)) / (E[i] * scale) * w[i] for i in range(2)]
    want = _floats(mp.matrix(Kn.tolist()) * (Q * mp.matrix(g)))
    assert rel_err(flow.predict(Kn, t), want) < 1e-13


def test_kernel_whose_eigenvalue_overflows_is_refused_by_name():
    with pytest.raises(ValueError, match=r"^K must have finite eigenvalues; got max \|K\| = "
                                         r"1\.7e\+308, whose largest eigenvalue overflows"):
        KernelFlow(np.full((2, 2), 1.7e308), np.ones(2))


def _mp_descent(X, y, phi0, lr, k):
    """phi_k = phi* + (I - lr A)^k (phi0 - phi*) in mpmath, for D <= I with A invertible."""
    Xm, ym = mp.matrix(X.tolist()), mp.matrix(y.tolist())
    E, Q = _mp_modes(Xm * Xm.T)
    star = Q.T * mp.lu_solve(Xm * Xm.T, Xm * ym)
    a = Q.T * mp.matrix(phi0.tolist())
    c = [star[i] + (1 - lr * E[i]) ** k * (a[i] - star[i]) for i in range(len(E))]
    return Q * mp.matrix(c)


def _overflowing_floats(v):
    """mpmath numbers as floats, +-inf beyond the float range (the promised value)."""
    big = mp.mpf(np.finfo(float).max)
    return np.array([float(x) if abs(x) <= big else (np.inf if x > 0 else -np.inf) for x in v])


def test_diverging_descent_gives_infinities_with_their_signs_never_nan():
    """lr = 1 on the running example: the fast mode is multiplied by 1 - 3.69 each step.
    Closed form, loop, outputs, residuals, loss and predictions, in both spaces: the
    infinities the docstrings promise (they were NaN where modes of opposite sign met)."""
    from gflow_lib import Descent, KernelSpectrum, Spectrum, descent_closed_form, gradient_descent

    X, y, phi0, lr = RUNNING_X, RUNNING_Y, np.array([-0.05, -0.4]), 1.0
    ks = np.array([10, 500, 600, 2000])
    want = np.array([_overflowing_floats(_mp_descent(X, y, phi0, lr, int(k))) for k in ks])
    with np.errstate(all="raise"):
        got = descent_closed_form(X, y, phi0, lr, ks)
        loop = gradient_descent(X, y, phi0, lr, 2000)
        path = Spectrum(X, y).path(Descent(lr), phi0)
        kpath = KernelSpectrum(X.T @ X, y).path(Descent(lr), X.T @ phi0)
        outs = [path.outputs(ks), path.residuals(ks), path.predict(X, ks), kpath.outputs(ks),
                kpath.residuals(ks), kpath.predict(X.T @ X, ks)]
        losses = [path.loss(ks), kpath.loss(ks)]
    assert np.isfinite(want[0]).all() and np.isinf(want[-1]).all()
    for arr in [got, loop[ks]]:
        assert not np.isnan(arr).any()
        np.testing.assert_array_equal(np.isinf(arr), np.isinf(want))
        np.testing.assert_array_equal(np.sign(arr), np.sign(want))
        np.testing.assert_allclose(arr[0], want[0], rtol=1e-12)
    fwant = np.array([_overflowing_floats(mp.matrix(X.tolist()).T * _mp_descent(
        X, y, phi0, lr, int(k))) for k in ks])
    for arr in outs:
        assert not np.isnan(arr).any()
        assert np.isinf(arr[-1]).all() and np.isfinite(arr[0]).all()
    for arr in (outs[0], outs[2], outs[3], outs[5]):  # outputs: X^T phi_k
        np.testing.assert_array_equal(np.sign(arr[-1]), np.sign(fwant[-1]))
    for loss in losses:
        assert np.isinf(loss[-1]) and loss[-1] > 0 and np.isfinite(loss[0])


def _mp_scaled(X):
    """X as a / B with an exact mpmath B of order 1 and the factor a."""
    a = mp.mpf(float(np.max(np.abs(X))))
    return mp.matrix(X.tolist()) / a, a


@pytest.mark.parametrize("a", [1e-155, 1e-160, 1e-200, 1e-300])
def test_x_below_1e_154_is_answered_like_a_large_x(a):
    """An X whose squares are subnormal or underflow is scaled by a power of two (it was
    refused): ml_params, LinearFlow, prediction_distribution and ridge_params against the
    exactly rescaled problem in mpmath, phi_X(t) = phi_B(a^2 t) with B = X / a."""
    from gflow_lib import ml_params, prediction_distribution

    X, y, Xn = RUNNING_X * a, RUNNING_Y, RUNNING_X[:, :2] * a
    B, s = _mp_scaled(X)
    A, ym = B * B.T, mp.matrix(y.tolist())
    star = mp.lu_solve(A, B * ym) / s
    assert rel_err(ml_params(X, y), _floats(star)) < 4 * EPS
    E, Q = _mp_modes(A)
    for t, phi0 in [(1.0, np.array([-0.05, -0.4])), (1e300, np.zeros(2))]:
        ts = mp.mpf(t) * s**2
        c0, cb = Q.T * mp.matrix(phi0.tolist()), Q.T * (B * ym) / s
        c = [mp.exp(-E[i] * ts) * c0[i] - mp.expm1(-E[i] * ts) / E[i] * cb[i] for i in range(2)]
        phi = Q * mp.matrix(c)
        assert rel_err(LinearFlow(X, y, phi0).params(t), _floats(phi)) < 4 * EPS
        mean, var = prediction_distribution(X, y, Xn, t, phi0, np.eye(2))
        assert rel_err(mean, _floats(mp.matrix(Xn.tolist()).T * phi)) < 4 * EPS
        assert np.all(np.isfinite(var)) and np.all(var >= 0)
    for p in (1e-300, a * (a * 1e300)):  # the gains lambda / (lambda + p) are normal floats
        want = mp.lu_solve(A + (mp.mpf(p) / s**2) * mp.eye(2), B * ym) / s
        assert rel_err(ridge_params(X, y, p), _floats(want)) < 8 * EPS
