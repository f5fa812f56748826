"""Derive the high-precision reference values that ``tests/test_accuracy.py`` checks.

Re-derive them from the repository root with::

    .venv/bin/python tests/reference/make_reference.py

which rewrites ``tests/reference/high_precision.json`` (about a second). The test reads
the inputs and the references from that file only. The inputs are made here from seeded
NumPy generators (a QR on another machine may change their last bits; the references are
always those of the stored inputs) and stored as exact floats (``repr`` round-trips). Every
reference output is computed from those exact binary values in mpmath at 60 to 900
significant digits and written as a decimal string of 25 significant digits.

Nothing here imports ``gflow_lib``. The methods are plain linear algebra in mpmath:

* LU solves of ``X X^T + penalty I`` at 400 digits (900 when X X^T ~ 1e400 sits next to a
  penalty of 1): ridge, MAP, the posterior;
* the symmetric eigendecomposition (``mp.eigsy``) of the smaller Gram matrix, formed
  exactly, with the rank asserted from a gap of many orders of magnitude; the flow in
  closed form through it, with ``expm1`` for ``1 - e^{-lambda t}``; residuals in the
  data-space eigenbasis, so that e^{-lambda t} ~ 1e-637 keeps its digits;
* direct sums of squared residuals for the loss grids.

Independent routes are compared and the script stops with an AssertionError when they
disagree: each flow against ``mp.expm`` of the augmented matrix ``t [[-X X^T, X y], [0, 0]]``
at a moderate time (1e-30 relative), residuals against ``X^T phi(t) - y`` (to working
precision, absolutely), ridge in the primal and the dual form (1e-30), the smallest penalty
against the minimum-norm solution from the eigendecomposition (1e-60), and the risk's
eigenvalues from both Gram matrices.
"""

from __future__ import annotations

import json
from pathlib import Path

import mpmath
import numpy as np
from mpmath import mp

OUT = Path(__file__).with_name("high_precision.json")
SIG = 25  # significant digits written for each reference value
AGREE = mp.mpf("1e-30")  # two independent routes must agree this closely


# ----------------------------------------------------------------------------- helpers
def M(a) -> mpmath.matrix:
    """An mpmath matrix (or column vector) holding the exact binary values of ``a``."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        return mp.matrix([mp.mpf(float(v)) for v in a])
    return mp.matrix([[mp.mpf(float(v)) for v in row] for row in a])


def s(x) -> str:
    return mp.nstr(x, SIG, min_fixed=0, max_fixed=0) if x != 0 else "0.0"


def strs(v) -> list:
    """Decimal strings of a vector, or a list of vectors (rows)."""
    if isinstance(v, list):
        return [strs(r) for r in v]
    return [s(v[i]) for i in range(v.rows)]


def floats(a) -> list:
    return np.asarray(a, dtype=float).tolist()


def norm(v):
    return mp.sqrt(mp.fsum(v[i] ** 2 for i in range(v.rows)))


def rel(a, b):
    d = norm(a - b)
    n = norm(b)
    return d / n if n else d


def dot(a, b):
    return mp.fsum(a[i] * b[i] for i in range(a.rows))


def col(Q, j):
    return Q[:, j]


def eig_range(G, rank: int):
    """Nonzero eigenpairs of the exactly formed symmetric Gram matrix ``G``.

    ``rank`` is known by construction; it is asserted from the gap: the other eigenvalues
    (exact zeros in exact arithmetic) must lie below 10^(-dps/2) of the largest one."""
    E, Q = mp.eigsy(G)
    n = G.rows
    order = sorted(range(n), key=lambda i: E[i])
    top = max(abs(E[i]) for i in range(n))
    small, big = order[: n - rank], order[n - rank :]
    assert all(abs(E[i]) < top * mp.mpf(10) ** (-mp.dps // 2) for i in small), "rank"
    assert all(E[i] > top * mp.mpf(10) ** (-40) for i in big), "rank"
    return [E[i] for i in big], [col(Q, i) for i in big]


def range_basis(X, rank: int):
    """(lam, U, V): nonzero eigenvalues of X X^T, orthonormal U (parameter space) and
    V (data space) with X^T u_k = sqrt(lam_k) v_k, from the smaller Gram matrix."""
    D, I = X.rows, X.cols
    if D <= I:
        lam, U = eig_range(X * X.T, rank)
        V = [X.T * u / mp.sqrt(l) for l, u in zip(lam, U, strict=True)]
    else:
        lam, V = eig_range(X.T * X, rank)
        U = [X * w / mp.sqrt(l) for l, w in zip(lam, V, strict=True)]
    return lam, U, V


def gain(l, t):
    """1 - e^{-l t}, without cancellation."""
    return -mp.expm1(-l * t)


class Flow:
    """Gradient flow d phi/dt = -X (X^T phi - y) in closed form through the eigenbasis."""

    def __init__(self, X, y, phi0, rank):
        self.X, self.y, self.phi0 = M(X), M(y), M(phi0)
        self.lam, self.U, self.V = range_basis(self.X, rank)
        Xy = self.X * self.y
        modes = zip(self.lam, self.U, strict=True)
        # distance from the start to the solution, per mode
        self.d = [dot(u, Xy) / l - dot(u, self.phi0) for l, u in modes]
        self.r0 = self.X.T * self.phi0 - self.y
        # residual coordinates in the data-space eigenbasis, and the part of r0 outside
        # its span: the least-squares residual, exactly 0 when rank = I (computing it as
        # r0 - V V^T r0 would leave 10^-dps of rounding, too much next to e^{-lam t})
        self.c = [dot(w, self.r0) for w in self.V]
        self.perp = mp.zeros(self.X.cols, 1)
        if rank < self.X.cols:
            self.perp = self.r0 - sum((w * c for w, c in zip(self.V, self.c, strict=True)),
                                      mp.zeros(self.X.cols, 1))

    def params(self, t):
        out = self.phi0.copy()
        for l, u, d in zip(self.lam, self.U, self.d, strict=True):
            out += u * (gain(l, t) * d)
        return out

    def limit(self):
        out = self.phi0.copy()
        for u, d in zip(self.U, self.d, strict=True):
            out += u * d
        return out

    def residuals(self, t):
        """r(t) = e^{-X^T X t} r0 = perp + sum_k v_k e^{-lam_k t} v_k^T r0 (relative
        accuracy at any size), checked against X^T phi(t) - y."""
        r = self.perp.copy()
        for l, w, c in zip(self.lam, self.V, self.c, strict=True):
            r += w * (mp.exp(-l * t) * c)
        # the direct route cancels, so it is only accurate to working precision absolutely
        phi = self.params(t)
        direct = self.X.T * phi - self.y
        scale = norm(self.r0) + norm(self.y) + mp.mnorm(self.X, "f") * norm(phi)
        assert norm(r - direct) <= mp.mpf(10) ** (10 - mp.dps) * scale, "residual routes"
        return r

    def outputs(self, t):
        return self.X.T * self.params(t)

    def loss(self, t):
        r = self.residuals(t)
        return dot(r, r) / 2

    def loss_limit(self):
        return dot(self.perp, self.perp) / 2

    def check_expm(self, t):
        """phi(t) against the last column of expm(t [[-A, Xy], [0, 0]]) with phi0 folded in."""
        D = self.X.rows
        big = mp.zeros(D + 1, D + 1)
        A = self.X * self.X.T
        b = self.X * self.y
        for i in range(D):
            for j in range(D):
                big[i, j] = -A[i, j] * t
            big[i, D] = b[i] * t
        Et = mp.expm(big)
        via = mp.matrix([mp.fsum(Et[i, j] * self.phi0[j] for j in range(D)) + Et[i, D]
                         for i in range(D)])
        err = rel(via, self.params(t))
        assert err < AGREE, f"expm cross-check failed: {mp.nstr(err, 3)}"


def ridge(X, y, penalty):
    """(X X^T + p I)^{-1} X y by an LU solve; checked against the dual form
    X (X^T X + p I)^{-1} y."""
    X, y, p = M(X), M(y), mp.mpf(float(penalty))
    D, I = X.rows, X.cols
    primal = mp.lu_solve(X * X.T + p * mp.eye(D), X * y)
    dual = X * mp.lu_solve(X.T * X + p * mp.eye(I), y)
    assert rel(dual, primal) < AGREE, "ridge primal/dual"
    return primal


def min_norm(X, y, rank):
    lam, U, V = range_basis(M(X), rank)
    out = mp.zeros(M(X).rows, 1)
    Xy = M(X) * M(y)
    for l, u in zip(lam, U, strict=True):
        out += u * (dot(u, Xy) / l)
    return out


def orthonormal(rng, n, k):
    q, r = np.linalg.qr(rng.standard_normal((n, k)))
    return q * np.sign(np.diag(r))


# ------------------------------------------------------------------------------ cases
def case_ridge():
    """1. Ridge / MAP with tiny penalties on exactly rank-deficient X."""
    mp.dps = 400
    penalties = [1e-300, 1e-200, 1e-100, 1e-16, 1e-8, 1e-3, 1.0]
    out = []
    problems = {
        "D2_I3_rank1": ([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]], [0.3, -0.2, 0.5], 1),
        # D > I: rows (1,2,3), 2*(1,2,3), (1,0,1), (1,2,3) + 2*(1,0,1)
        "D4_I3_rank2": ([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0], [3.0, 2.0, 5.0]],
                        [0.3, -0.2, 0.5], 2),
    }
    for name, (X, y, rank) in problems.items():
        mn = min_norm(X, y, rank)
        for p in penalties:
            ref = ridge(X, y, p)
            out.append({
                "name": f"{name}_penalty{p:g}", "X": X, "y": y, "penalty": p,
                "params": strs(ref), "min_norm": strs(mn),
                "how": "(X X^T + p I)^{-1} X y by mpmath lu_solve at 400 digits on the exact "
                       "floats, equal to the dual form X (X^T X + p I)^{-1} y",
            })
        # at penalty 1e-300 ridge is the minimum-norm solution (p / lam ~ 1e-302), which the
        # eigendecomposition gives independently; the solve keeps ~100 of its 400 digits
        assert rel(ridge(X, y, penalties[0]), mn) < mp.mpf("1e-60")
    return out


def case_flow_ill_conditioned():
    """2. LinearFlow on X = U diag(s) V^T with cond(X) = 1e7, 1e8."""
    mp.dps = 80
    out = []
    for cond in (1e7, 1e8):
        for D, I in ((3, 5), (5, 3)):
            rng = np.random.default_rng([20240129, int(np.log10(cond)), D, I])
            r = min(D, I)
            U = orthonormal(rng, D, r)
            V = orthonormal(rng, I, r)
            sv = np.geomspace(1.0, 1.0 / cond, r)
            X = (U * sv) @ V.T
            # y: an O(1) component on every mode of the range of X^T, plus (D < I only) an
            # O(1) part outside it, so that the least-squares residual is not small
            y = V @ np.array([1.0, -1.0, 1.0])
            if I > r:
                n = rng.standard_normal(I)
                y = y + 0.5 * (n - V @ (V.T @ n))
            phi0 = rng.standard_normal(D)
            flow = Flow(X, y, phi0, rank=r)
            lam = flow.lam
            lam_min = min(lam)
            # lam_min t = 1 at t = 1e14 (cond 1e7) and 1e16 (cond 1e8)
            t = [0.5, 1e4, 1e12, 1e14, 1e16]
            flow.check_expm(mp.mpf(0.5))
            sing = mp.svd_r(M(X), compute_uv=False)
            out.append({
                "name": f"cond{cond:g}_D{D}_I{I}", "X": floats(X), "y": floats(y),
                "phi0": floats(phi0), "t": t, "cond": s(sing[0] / sing[r - 1]),
                "lam_min": s(lam_min),
                "params": [strs(flow.params(mp.mpf(ti))) for ti in t],
                "loss": [s(flow.loss(mp.mpf(ti))) for ti in t],
                "limit": strs(flow.limit()), "loss_limit": s(flow.loss_limit()),
                "how": "closed-form flow through mp.eigsy of the exact smaller Gram matrix at "
                       "80 digits (checked against mp.expm); cond from mp.svd_r of the exact "
                       "floats of X",
            })
    return out


def case_residuals():
    """3. Residuals and outputs where they are tiny."""
    mp.dps = 80
    out = []
    X2 = [[2.0, 1.0], [0.6, 2.0]]  # 2 x [[1, 0.5], [0.3, 1]]
    X32 = [[2.0, 1.0], [0.6, 2.0], [1.0, -1.0]]  # D = 3 > I = 2, rank = I
    for name, X, y, phi0, t in (
        ("square_D2_I2", X2, [0.7, -0.4], [0.3, -0.2], [20.0, 50.0, 1e3]),
        ("tall_D3_I2", X32, [0.7, -0.4], [0.3, -0.2, 0.1], [20.0, 50.0, 1e3]),
    ):
        flow = Flow(X, y, phi0, rank=2)
        flow.check_expm(mp.mpf(1))
        out.append({
            "name": name, "X": X, "y": y, "phi0": phi0, "t": t,
            "residuals": [strs(flow.residuals(mp.mpf(ti))) for ti in t],
            "loss": [s(flow.loss(mp.mpf(ti))) for ti in t],
            "residuals_0": strs(flow.r0),
            "how": "e^{-X^T X t}(X^T phi0 - y) through mp.eigsy of the exact Gram matrix at "
                   "80 digits, equal to X^T phi(t) - y computed in mpmath",
        })
    flow = Flow(X2, [0.7, -0.4], [0.0, 0.0], rank=2)
    t = 1e-300
    out.append({
        "name": "outputs_tiny_t", "X": X2, "y": [0.7, -0.4], "phi0": [0.0, 0.0], "t": [t],
        "outputs": [strs(flow.outputs(mp.mpf(t)))],
        "how": "X^T phi(t) with phi(t) = sum_k u_k expm1-gain(lam_k t) u_k^T X y / lam_k, "
               "80 digits (about t X^T X y)",
    })
    return out


def case_loss_grid():
    """4. loss_grid with targets offset by 1e8."""
    mp.dps = 60
    x = [0.2, 0.4, 0.8]
    X = [x, [1.0, 1.0, 1.0]]
    y = [v + 1e8 for v in (-0.1, 0.15, 0.3)]
    c0 = -0.175 + 1e8
    slopes = [0.625 + d for d in (-0.5, -0.01, 0.0, 0.01, 0.5)]
    intercepts = [c0 + d for d in (-0.25, -0.01, 0.0, 0.01, 0.25)]
    grid = []
    for sl in slopes:
        row = []
        for c in intercepts:
            r = [mp.mpf(sl) * mp.mpf(xi) + mp.mpf(c) - mp.mpf(yi)
                 for xi, yi in zip(x, y, strict=True)]
            row.append(s(mp.fsum(ri**2 for ri in r) / 2))
        grid.append(row)
    return [{
        "name": "offset_1e8", "X": X, "y": y, "slopes": slopes, "intercepts": intercepts,
        "loss": grid,
        "how": "0.5 sum_i (s x_i + c - y_i)^2 summed in mpmath at 60 digits on the exact "
               "floats of the grid and of y",
    }]


def case_flow_risk():
    """5. flow_risk for rank-deficient X at huge t."""
    mp.dps = 100
    X = [[1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0], [1.0, 0.0, 1.0, 0.0]]  # rank 2
    beta0 = [1.0, -0.5, 0.25]
    sigma_sq = 0.3
    t = [1.0, 1e155, 1e200, 1e300]
    Xm = M(X)
    E, Q = mp.eigsy(Xm * Xm.T)  # all D modes, including the null one
    lam_nz, U = eig_range(Xm * Xm.T, 2)
    lam_k, _ = eig_range(Xm.T * Xm, 2)  # the same nonzero eigenvalues from X^T X
    pairs = zip(sorted(lam_nz), sorted(lam_k), strict=True)
    assert all(abs(a - b) < AGREE * max(lam_nz) for a, b in pairs)
    d = -M(beta0)  # phi0 - beta0 with phi0 = 0
    null = dot(d, d) - mp.fsum(dot(u, d) ** 2 for u in U)
    bias, var = [], []
    for ti in t:
        ti = mp.mpf(ti)
        modes = zip(lam_nz, U, strict=True)
        bias.append(null + mp.fsum(mp.exp(-2 * l * ti) * dot(u, d) ** 2 for l, u in modes))
        var.append(sigma_sq * mp.fsum(gain(l, ti) ** 2 / l for l in lam_k))
    return [{
        "name": "rank2_D3_I4", "X": X, "beta0": beta0, "sigma_sq": sigma_sq, "t": t,
        "bias_sq": [s(b) for b in bias], "variance": [s(v) for v in var],
        "risk": [s(b + v) for b, v in zip(bias, var, strict=True)],
        "how": "sums over mp.eigsy eigenpairs of the exact X X^T at 100 digits (null mode "
               "exactly 0 by the asserted gap), variance over the equal nonzero eigenvalues of "
               "X^T X",
    }]


def case_overflow():
    """7. Inputs whose naive intermediate products overflow while the results are finite."""
    mp.dps = 80
    out = {"flows": [], "ridge": [], "posterior_predictive": [], "loss_grid": []}
    x = np.array([0.2, 0.4, 0.8])
    X0 = np.vstack([x, np.ones(3)])
    y0 = np.array([-0.1, 0.15, 0.3])
    phi00 = np.array([-0.05, -0.4])
    # ||y||^2 ~ 1e312 overflows, while every loss along this flow is ~1e304
    near_line = 1e156 * (0.5 * x + 0.25) + 1e152 * np.array([1.0, -2.0, 1.0])
    near_start = 1e156 * np.array([0.5, 0.25]) + 1e152 * np.array([1.0, -1.0])
    for name, a, y, phi0, tscale in (
        ("X_1e10_y_1e300", 1e10, y0 * 1e300, phi00 * 1e290, 1e-20),
        ("X_1_y_1e308", 1.0, y0 * 1e308, phi00 * 1e308, 1.0),
        ("X_1_y_near_line_1e156", 1.0, near_line, near_start, 1.0),
    ):
        X = X0 * a
        t = [tscale * v for v in (0.1, 1.0, 10.0, 100.0)]
        flow = Flow(X, y, phi0, rank=2)
        flow.check_expm(mp.mpf(t[1]))
        out["flows"].append({
            "name": name, "X": floats(X), "y": floats(y), "phi0": floats(phi0), "t": t,
            "params": [strs(flow.params(mp.mpf(ti))) for ti in t],
            "outputs": [strs(flow.outputs(mp.mpf(ti))) for ti in t],
            "residuals": [strs(flow.residuals(mp.mpf(ti))) for ti in t],
            "loss": [s(flow.loss(mp.mpf(ti))) for ti in t],
            "limit": strs(flow.limit()), "loss_limit": s(flow.loss_limit()),
            "how": "closed-form flow through mp.eigsy of the exact Gram matrix at 80 digits "
                   "(no exponent range in mpmath), checked against mp.expm",
        })
    # X whose squares overflow in float64: entries up to 1e200. X X^T ~ 1e400 next to a
    # penalty of 1, so the dual form's X^T X + p I needs more than 400 digits: 900.
    mp.dps = 900
    X = X0 * 1e200
    for p in (1.0, 1e-3):
        ref = ridge(X, y0, p)
        out["ridge"].append({
            "name": f"X_1e200_penalty{p:g}", "X": floats(X), "y": floats(y0), "penalty": p,
            "params": strs(ref),
            "how": "(X X^T + p I)^{-1} X y, mpmath lu_solve at 900 digits",
        })
    sigma_sq, sigma_sq_p = 0.5, 2.0
    X_new = X[:, :2].copy()
    A = M(X) * M(X).T + mp.mpf(sigma_sq / sigma_sq_p) * mp.eye(2)
    mean_phi = mp.lu_solve(A, M(X) * M(y0))
    mean, var = [], []
    for j in range(X_new.shape[1]):
        xn = M(X_new[:, j])
        mean.append(s(dot(xn, mean_phi)))
        var.append(s(sigma_sq * dot(xn, mp.lu_solve(A, xn))))
    out["posterior_predictive"].append({
        "name": "X_1e200", "X": floats(X), "y": floats(y0), "X_new": floats(X_new),
        "sigma_sq": sigma_sq, "sigma_sq_p": sigma_sq_p, "mean": mean, "var": var,
        "how": "mean x^T (X X^T + s2/sp2 I)^{-1} X y and var s2 x^T (X X^T + s2/sp2 I)^{-1} x "
               "by mpmath lu_solve at 900 digits",
    })
    mp.dps = 60
    slopes = [v * 1e-200 for v in (0.5, 0.625, 0.75)]
    intercepts = [v * 1e-200 for v in (-0.3, -0.175, -0.05)]
    grid = [[s(mp.fsum((mp.mpf(sl) * mp.mpf(X[0, i]) + mp.mpf(c) * mp.mpf(X[1, i])
                        - mp.mpf(y0[i])) ** 2 for i in range(3)) / 2)
             for c in intercepts] for sl in slopes]
    out["loss_grid"].append({
        "name": "X_1e200", "X": floats(X), "y": floats(y0), "slopes": slopes,
        "intercepts": intercepts, "loss": grid,
        "how": "0.5 sum_i (s X_0i + c X_1i - y_i)^2 in mpmath at 60 digits",
    })
    return out


def main():
    data = {
        "about": "High-precision references for tests/test_accuracy.py; written by "
                 "tests/reference/make_reference.py (run it to re-derive). Inputs are exact "
                 "floats; outputs are decimal strings of 25 significant digits.",
        "mpmath": mpmath.__version__,
        "ridge_rank_deficient": case_ridge(),
        "flow_ill_conditioned": case_flow_ill_conditioned(),
        "residuals": case_residuals(),
        "loss_grid_offset": case_loss_grid(),
        "flow_risk_huge_t": case_flow_risk(),
        "overflow": case_overflow(),
    }
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
