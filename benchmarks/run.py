"""Benchmarks P1, P2, K1, N1, E1 and W1 (``make bench``). Every figure is a ratio measured within
one run, but E1's and W1's.

P1  The seed notebook's workload (parameters, outputs and loss at t = 0, 0.01, ..., 19.99;
    predictive mean and variance at 100 inputs at the same times) through gflow_lib versus a
    faithful re-implementation of the notebook's loops (benchmarks/seed_reference.py).
    Target: at least 150 times faster, same numbers.
P2  A large problem: X of 100 x 1,000,000 and 1000 times. ``LinearFlow`` + ``params`` +
    ``loss`` versus one ``X @ X.T`` on the same machine in the same run (target: at most 1.10
    times), and peak memory (target: at most 1.05 times the size of X, X included). Also the
    overparameterized side, D = 100,000 and I = 100.
K1  ``KernelFlow`` (= ``KernelSpectrum(K, y).path(Flow())``) on a 5,000 x 5,000 kernel
    matrix, built and evaluated at 100 times, versus one ``numpy.linalg.eigh`` of the same
    matrix: the positive-semidefiniteness check reuses the one decomposition (target: at most
    1.10 times; it was 1.56 with a second eigenvalue solve).
N1  Wide networks at D = 100,000 hidden units: ``empirical_ntk`` at 20 inputs versus the
    product of Jacobians ``J.T @ J`` it avoids (time and peak memory), and one step of
    ``train_shallow`` on the three data points versus one forward pass (``shallow_forward``).
E1  The live explorer (``gflow_lib.widgets``): one drag move to a redrawn frame in headless
    Chromium, timed in the page with ``performance.now()`` (``benchmarks/explorer.py``).
    Target: at most 16 ms (script and layout, 95th percentile; a time, not a ratio).
W1  Every page of the built book (``_build/html``, from ``make book``) in Lighthouse's mobile
    simulation: performance >= 0.90, accessibility 1.00, at most 600 KB downloaded without
    figures and 1.5 MB with (``benchmarks/pages.py``; numbers per page in
    ``_build/bench/pages.json``).

Times are the minimum over repeats (the least disturbed run). Memory is measured in a fresh
subprocess: tracemalloc's peak of NumPy allocations and the growth of the peak resident set.

Usage: ``python -m benchmarks.run [--smoke]`` (``--smoke`` runs tiny sizes, for the tests).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from gflow_lib import Flow, KernelFlow, LinearFlow, Spectrum
from gflow_lib.data import design_matrix, running_example

from .seed_reference import seed_workload


def best_time(fn, repeats):
    """Minimum wall time of ``fn()`` over ``repeats`` runs, and its last result."""
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def gflow_workload(X, y, phi0, t_all, x_predict, sigma_sq_p=2.0):
    """The same workload as :func:`seed_workload`, through gflow_lib: one spectrum of X, the
    flow from phi0 and the crowd of starts N(0, sigma_sq_p I) as two paths through it."""
    spec = Spectrum(X, y)
    flow = spec.path(Flow(), phi0)
    mean, var = spec.path(Flow()).predictive(x_predict, t_all, sigma_sq_p * np.eye(X.shape[0]))
    return {
        "params": flow.params(t_all),
        "outputs": flow.outputs(t_all),
        "loss": flow.loss(t_all),
        "mean": mean,
        "var": var,
    }


def p1(smoke=False):
    X, y, phi0 = running_example()
    t_all = np.arange(0, 0.5 if smoke else 20, 0.01)
    x_predict = design_matrix(np.arange(0, 1, 0.01))
    t_seed, ref = best_time(lambda: seed_workload(X, y, phi0, t_all, x_predict), 1 if smoke else 2)
    t_lib, got = best_time(lambda: gflow_workload(X, y, phi0, t_all, x_predict), 5 if smoke else 20)
    err = max(float(np.max(np.abs(got[k] - ref[k]))) for k in ref)
    return {
        "case": "P1 seed workload",
        "T": len(t_all),
        "seed_s": t_seed,
        "gflow_s": t_lib,
        "speedup": t_seed / t_lib,
        "max_abs_diff": err,
    }


def _large(D, I, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((D, I))
    X *= 1.0 / np.sqrt(I)  # in place: no second array of the size of X
    y = rng.standard_normal(I)
    phi0 = rng.standard_normal(D)
    return X, y, phi0


def _flow_work(X, y, phi0, ts, with_params=True):
    flow = LinearFlow(X, y, phi0)
    loss = flow.loss(ts)
    params = flow.params(ts) if with_params else flow.limit()
    return params, loss


def p2_time(D, I, T, repeats, with_params=True):
    X, y, phi0 = _large(D, I)
    ts = np.geomspace(1e-3, 1e3, T)
    gram = (lambda: X @ X.T) if D <= I else (lambda: X.T @ X)
    # Interleaved, so that both see the same state of the machine; minimum of each.
    t_gram = t_flow = np.inf
    for _ in range(repeats):
        t, _ = best_time(gram, 1)
        t_gram = min(t_gram, t)
        t, (params, loss) = best_time(lambda: _flow_work(X, y, phi0, ts, with_params), 1)
        t_flow = min(t_flow, t)
    # Sanity: the loss decreases and the parameters are finite.
    assert np.all(np.diff(loss) <= 1e-9 * loss[0]) and np.all(np.isfinite(params))
    return {
        "case": f"P2 time D={D} I={I} T={T}" + ("" if with_params else " (limit, no params)"),
        "gram_s": t_gram,
        "flow_s": t_flow,
        "ratio": t_flow / t_gram,
    }


def _status_kb(field):
    """A field of /proc/self/status in kB (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def p2_memory(D, I, T, with_params=True):
    """Run in a fresh interpreter: peak memory of the workload relative to X's size.

    Two measures: tracemalloc's peak of NumPy allocations during the workload, and the
    growth of the resident set's high-water mark (reset through /proc/self/clear_refs just
    before the workload, so the creation of X does not mask it; BLAS buffers count here).
    """
    X, y, phi0 = _large(D, I)
    ts = np.geomspace(1e-3, 1e3, T)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset VmHWM to the current resident set
    rss0 = _status_kb("VmRSS") * 1024
    tracemalloc.start()
    _flow_work(X, y, phi0, ts, with_params)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    hwm = _status_kb("VmHWM") * 1024
    nbytes = X.nbytes
    growth = max(hwm - rss0, 0)
    return {
        "case": f"P2 memory D={D} I={I} T={T}" + ("" if with_params else " (limit, no params)"),
        "X_MB": nbytes / 2**20,
        "traced_ratio": (nbytes + peak) / nbytes,
        "rss_growth_MB": growth / 2**20,
        "rss_ratio": (nbytes + growth) / nbytes,
    }


def _memory_in_subprocess(D, I, T, with_params=True):
    code = (
        "import json; from benchmarks.run import p2_memory; "
        f"print(json.dumps(p2_memory({D}, {I}, {T}, {with_params})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(smoke=False):
    rows = [p1(smoke)]
    if smoke:
        sizes = [(20, 20_000, 100, True), (2_000, 20, 100, True)]
        repeats = 2
    else:
        sizes = [
            (100, 1_000_000, 1000, True),
            (100_000, 100, 1000, False),
            (100_000, 100, 100, True),
        ]
        repeats = 10
    for D, I, T, wp in sizes:
        rows.append(p2_time(D, I, T, repeats, wp))
        rows.append(_memory_in_subprocess(D, I, T, wp))
    rows.append(k1_kernel_flow(300 if smoke else 5_000, 2 if smoke else 3))
    rows += n1_networks(smoke)
    from .explorer import measure  # E1: the live explorer in headless Chromium

    rows.append(measure(20 if smoke else 200))
    return rows


def k1_kernel_flow(n, repeats):
    """K1: KernelFlow (one eigh, PSD check included) against one eigh of the same K."""
    rng = np.random.default_rng(0)
    F = rng.standard_normal((n, n // 2))
    K = F @ F.T / n  # PSD, rank n / 2
    y = rng.standard_normal(n)
    ts = np.geomspace(1e-3, 1e3, 100)
    t_eigh = t_flow = np.inf
    for _ in range(repeats):  # interleaved: both see the same state of the machine
        t, _ = best_time(lambda: np.linalg.eigh(K), 1)
        t_eigh = min(t_eigh, t)
        t, loss = best_time(lambda: KernelFlow(K, y).loss(ts), 1)
        t_flow = min(t_flow, t)
    assert np.all(np.diff(loss) <= 1e-9 * loss[0])
    return {"case": f"K1 KernelFlow n={n}", "eigh_s": t_eigh, "flow_s": t_flow,
            "ratio": t_flow / t_eigh}


def _peak(fn):
    """Peak of NumPy allocations (tracemalloc) while ``fn()`` runs, in bytes."""
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def n1_networks(smoke=False):
    """N1: the wide-network functions at D = 100,000 (1,000 with ``smoke``)."""
    from gflow_lib.network import (
        empirical_ntk,
        init_shallow,
        shallow_forward,
        shallow_jacobian,
        train_shallow,
    )

    D = 1_000 if smoke else 100_000
    n_steps, repeats = (5, 1) if smoke else (200, 5)
    p = init_shallow(D, seed=0)
    x = np.linspace(-1.0, 1.0, 20)
    x3, y3 = np.array([0.2, 0.4, 0.8]), np.array([-0.05, -0.2, 0.3])

    def ntk():
        return empirical_ntk(p, x)

    def jac():
        J = shallow_jacobian(p, x)
        return J.T @ J

    def train():
        return train_shallow(p, x3, y3, 0.2, n_steps, record_every=n_steps, record_params=False)

    # Interleaved, so that both sides of each ratio see the same state of the machine.
    t_ntk = t_jac = t_fwd = t_train = np.inf
    for _ in range(repeats):
        t, K = best_time(ntk, 1)
        t_ntk = min(t_ntk, t)
        t, KJ = best_time(jac, 1)
        t_jac = min(t_jac, t)
        t, _ = best_time(lambda: shallow_forward(p, x3), 5)
        t_fwd = min(t_fwd, t)
        t, tr = best_time(train, 1)
        t_train = min(t_train, t)
    assert np.max(np.abs(K - KJ)) < 1e-10 * np.max(K) and tr.loss[-1] < tr.loss[0]
    return [
        {"case": f"N1 empirical_ntk D={D} M=20", "ntk_s": t_ntk, "jacobian_s": t_jac,
         "time_ratio": t_ntk / t_jac, "peak_ratio": _peak(ntk) / _peak(jac)},
        {"case": f"N1 train_shallow D={D} I=3 steps={n_steps}", "train_s": t_train,
         "step_s": t_train / n_steps, "step_over_forward": t_train / n_steps / t_fwd},
    ]


def table(rows):
    lines = []
    for r in rows:
        cells = [r["case"]]
        for k, v in r.items():
            if k == "case":
                continue
            cells.append(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}")
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def _pages():
    """W1: Lighthouse on every built page (benchmarks/pages.py); a FAIL when there is no
    built book to measure."""
    from . import pages

    try:
        rows = pages.measure()
    except SystemExit as exc:
        return [(f"W1 pages measured ({exc})", False)]
    pages.OUT.parent.mkdir(parents=True, exist_ok=True)
    pages.OUT.write_text(json.dumps(rows, indent=1))
    return pages.verdicts(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, for the test suite")
    args = ap.parse_args(argv)
    rows = run(args.smoke)
    print(table(rows))
    if not args.smoke:
        p1row = rows[0]
        big_t, big_m = rows[1], rows[2]
        verdicts = [
            ("P1 speedup >= 150", p1row["speedup"] >= 150),
            ("P1 same numbers (max |diff| < 1e-10)", p1row["max_abs_diff"] < 1e-10),
            ("P2 time ratio <= 1.10", big_t["ratio"] <= 1.10),
            ("P2 peak memory <= 1.05 x X (traced)", big_m["traced_ratio"] <= 1.05),
            ("P2 peak memory <= 1.05 x X (RSS growth)", big_m["rss_ratio"] <= 1.05),
            ("K1 KernelFlow / one eigh <= 1.10",
             next(r for r in rows if r["case"].startswith("K1"))["ratio"] <= 1.10),
            ("E1 explorer drag update, script + layout p95 <= 16 ms",
             rows[-1]["layout_p95_ms"] <= 16.0),
        ]
        verdicts += _pages()
        for name, ok in verdicts:
            print(f"{'PASS' if ok else 'FAIL'}  {name}")
        return 0 if all(ok for _, ok in verdicts) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
