"""Fixtures for the explorer's JavaScript tests (tests/js/explorer.test.cjs), written by gflow_lib.

``python -m tests.js.fixtures OUT.json`` writes them; tests/test_js.py does so into a temporary
folder and runs ``node --test`` on them. Every expected number comes from the library
(``LinearFlow``, ``descent_closed_form``, ``prediction_distribution``, heavy ball as
``Spectrum(X, y).path(HeavyBall(lr, beta), phi0)``), never from the JS.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from gflow_lib import (
    HeavyBall,
    LinearFlow,
    Spectrum,
    descent_closed_form,
    optimal_heavy_ball,
    prediction_distribution,
)
from gflow_lib.data import design_matrix, running_example

TIMES = [0.0, 1e-9, 1e-4, 0.01, 0.3, 1.0, 7.5, 100.0, 1e4]


def _case(name, X, y, phi0, lr=0.1, ks=(0, 1, 2, 5, 40), sigma_sq_p=0.04, beta=0.5):
    X, y, phi0 = np.asarray(X, float), np.asarray(y, float), np.asarray(phi0, float)
    flow = LinearFlow(X, y, phi0)
    t = np.array(TIMES)
    x_new = np.vstack([np.linspace(-1.0, 2.0, 7), np.linspace(0.5, 1.5, 7)])
    pred = prediction_distribution(X, y, x_new, t, phi0, sigma_sq_p * np.eye(2))
    ks = np.array(ks)
    return {
        "name": name, "X": X.tolist(), "y": y.tolist(), "phi0": phi0.tolist(),
        "t": t.tolist(), "params": flow.params(t).tolist(), "loss": flow.loss(t).tolist(),
        "limit": flow.limit().tolist(), "eigenvalues": sorted(flow.eigenvalues.tolist())[::-1],
        "lr": lr, "k": ks.tolist(), "descent": descent_closed_form(X, y, phi0, lr, ks).tolist(),
        "beta": beta, "heavy_ball": Spectrum(X, y).path(HeavyBall(lr, beta), phi0)
        .params(ks).tolist(),
        "Xnew": x_new.tolist(), "sigma_sq_p": sigma_sq_p,
        "pred_mean": pred.mean.tolist(), "pred_var": pred.var.tolist(),
    }


def fixtures(seed: int = 20260, n_random: int = 25) -> list[dict]:
    X, y, phi0 = running_example()
    out = [_case("the book's three points", X, y, phi0)]
    rng = np.random.default_rng(seed)
    for i in range(n_random):
        I = int(rng.integers(2, 9))  # noqa: E741
        Xr = rng.normal(size=(2, I)) * rng.uniform(0.3, 2.0)
        out.append(_case(f"random problem {i} (I = {I})", Xr, rng.normal(size=I),
                         rng.normal(size=2), lr=float(rng.uniform(0.01, 0.2)),
                         sigma_sq_p=float(rng.uniform(0.01, 3.0)),
                         beta=float(rng.uniform(0.0, 0.98))))
    out.append(_case("points at one input (rank 1)", design_matrix([0.4, 0.4, 0.4]),
                     [0.1, 0.3, -0.2], [0.5, -0.3]))
    out.append(_case("one point (D > I)", design_matrix([0.4]), [0.15], [-0.05, -0.4]))
    out.append(_case("descent above 2/lambda_max", X, y, phi0, lr=0.6, ks=(0, 1, 3, 10, 30)))
    out.append(_case("descent between 1 and 2 over lambda_max", X, y, phi0, lr=0.4))
    lr_opt, beta_opt, _ = optimal_heavy_ball(Spectrum(X, y))
    long = (0, 1, 2, 3, 10, 40, 200)
    out.append(_case("heavy ball at Polyak's optimum (repeated roots)", X, y, phi0,
                     lr=lr_opt, beta=beta_opt, ks=long))
    lam_max = float(Spectrum(X, y).lam[-1])
    for what, q, beta in [("complex roots", 1.0, 0.5), ("negative real roots", 2.25, 0.2),
                          ("one repeated negative root", (1 + np.sqrt(0.3)) ** 2, 0.3),
                          ("above 2(1 + beta) / lambda_max", 2.5, 0.2),
                          ("beta 0.99", 0.05, 0.99), ("beta 0 (descent)", 0.5, 0.0)]:
        out.append(_case(f"heavy ball, {what}", X, y, phi0, lr=q / lam_max, beta=beta,
                         ks=long))
    return out


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m tests.js.fixtures OUT.json")
    with open(args[0], "w") as fh:
        json.dump(fixtures(), fh)


if __name__ == "__main__":
    main()
