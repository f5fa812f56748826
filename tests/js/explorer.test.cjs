// Unit tests of the explorer's numbers (gflow_lib/widgets/explorer.js) with node's test runner,
// against fixtures written by gflow_lib (tests/js/fixtures.py). Run through tests/test_js.py:
//   GFLOW_FIXTURES=fixtures.json node --test tests/js/
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");

const live = require(path.join(__dirname, "..", "..", "gflow_lib", "widgets", "explorer.js"));
const fixturesPath = process.env.GFLOW_FIXTURES;
if (!fixturesPath) {
  throw new Error("set GFLOW_FIXTURES to a file written by `python -m tests.js.fixtures`");
}
const cases = JSON.parse(fs.readFileSync(fixturesPath, "utf8"));

function close(got, want, tol, what) {
  if (Array.isArray(want)) {
    assert.strictEqual(got.length, want.length, `${what}: length`);
    want.forEach((w, i) => close(got[i], w, tol, `${what}[${i}]`));
    return;
  }
  const err = Math.abs(got - want) / Math.max(1, Math.abs(want));
  assert.ok(err <= tol, `${what}: got ${got}, want ${want} (relative error ${err})`);
}

test("there are fixtures, random and special", () => {
  assert.ok(cases.length >= 20);
  assert.ok(cases.some((c) => c.name.includes("rank 1")));
  assert.ok(cases.some((c) => c.name.includes("D > I")));
});

for (const c of cases) {
  test(`params equal LinearFlow: ${c.name}`, () => {
    close(live.params(c.X, c.y, c.phi0, c.t), c.params, 1e-10, "params");
    c.t.forEach((t, i) => close(live.params(c.X, c.y, c.phi0, t), c.params[i], 1e-10, `t=${t}`));
  });
  test(`loss, limit and eigenvalues: ${c.name}`, () => {
    close(live.loss(c.X, c.y, c.phi0, c.t), c.loss, 1e-10, "loss");
    const spec = live.spectrum(c.X, c.y, c.phi0);
    close(spec.limit, c.limit, 1e-10, "limit");
    const lam = c.eigenvalues.concat([0, 0]).slice(0, 2);
    close(spec.eigenvalues, lam, 1e-12, "eigenvalues");
  });
  test(`descent equals descent_closed_form: ${c.name}`, () => {
    const got = live.descent(c.X, c.y, c.phi0, c.lr, c.k);
    got.forEach((g, i) => {
      if (c.descent[i].every(Number.isFinite)) {
        close(g, c.descent[i], 1e-9, `k=${c.k[i]}`);
      }
    });
  });
  test(`heavyBall equals HeavyBall(lr, beta): ${c.name}`, () => {
    const got = live.heavyBall(c.X, c.y, c.phi0, c.lr, c.beta, c.k);
    got.forEach((g, i) => close(g, c.heavy_ball[i], 1e-10, `k=${c.k[i]}`));
    c.k.forEach((k, i) => close(live.heavyBall(c.X, c.y, c.phi0, c.lr, c.beta, k),
                                c.heavy_ball[i], 1e-10, `k=${k} alone`));
  });
  test(`prediction equals prediction_distribution: ${c.name}`, () => {
    const got = live.prediction(c.X, c.y, c.Xnew, c.t, c.phi0, c.sigma_sq_p);
    got.forEach((g, i) => {
      close(g.mean, c.pred_mean[i], 1e-10, `mean t=${c.t[i]}`);
      close(g.variance, c.pred_var[i], 1e-10, `variance t=${c.t[i]}`);
    });
  });
}

test("points at one input: the null-space coordinate of the start never moves", () => {
  const X = [[0.4, 0.4, 0.4], [1, 1, 1]];
  const y = [0.1, 0.3, -0.2];
  const phi0 = [0.5, -0.3];
  const spec = live.spectrum(X, y, phi0);
  assert.strictEqual(spec.rank, 1);
  assert.strictEqual(spec.eigenvalues[1], 0);
  const n = [1 / Math.hypot(1, 0.4), -0.4 / Math.hypot(1, 0.4)]; // X^T n = 0
  const dot = (p) => p[0] * n[0] + p[1] * n[1];
  for (const t of [0.5, 10, 1e6]) {
    close(dot(live.params(X, y, phi0, t)), dot(phi0), 1e-14, `t=${t}`);
  }
});

test("small lambda t keeps its digits (expm1): from zero, phi(t) / t -> X y", () => {
  // 1 - exp(-lambda t) would keep about 4 digits at lambda t = 1e-12; expm1 keeps them all.
  const X = [[0.2, 0.4, 0.8], [1, 1, 1]];
  const y = [-0.1, 0.15, 0.3];
  const t = 1e-12;
  const p = live.params(X, y, [0, 0], t);
  const Xy = [0, 1].map((d) => y.reduce((s, yi, i) => s + X[d][i] * yi, 0));
  close(p[0] / t, Xy[0], 1e-9, "slope / t");
  close(p[1] / t, Xy[1], 1e-9, "intercept / t");
});

test("descent above 2/lambda_max diverges, below 1/lambda_max it does not", () => {
  const X = [[0.2, 0.4, 0.8], [1, 1, 1]];
  const y = [-0.1, 0.15, 0.3];
  const phi0 = [-0.05, -0.4];
  const lamMax = live.spectrum(X, y, phi0).eigenvalues[0];
  const far = live.descent(X, y, phi0, 2.2 / lamMax, 200);
  assert.ok(Math.hypot(far[0], far[1]) > 1e6, `no divergence: ${far}`);
  const near = live.descent(X, y, phi0, 0.9 / lamMax, 200);
  assert.ok(Math.hypot(near[0], near[1]) < 10, `diverged: ${near}`);
});

// Heavy ball step by step, phi_{k+1} = phi_k - lr grad L(phi_k) + beta (phi_k - phi_{k-1}),
// from rest: an independent check of the closed form (no eigendecomposition).
function iterate(X, y, phi0, lr, beta, K) {
  let prev = phi0.slice(), cur = phi0.slice();
  for (let k = 0; k < K; k++) {
    const r = y.map((yi, i) => X[0][i] * cur[0] + X[1][i] * cur[1] - yi);
    const g = [0, 1].map((d) => r.reduce((s, ri, i) => s + X[d][i] * ri, 0));
    const next = [0, 1].map((d) => cur[d] - lr * g[d] + beta * (cur[d] - prev[d]));
    prev = cur;
    cur = next;
  }
  return cur;
}

test("heavyBall equals the heavy-ball iterates, also at repeated and complex roots", () => {
  const X = [[0.2, 0.4, 0.8], [1, 1, 1]];
  const y = [-0.1, 0.15, 0.3];
  const phi0 = [-0.05, -0.4];
  const lam = live.spectrum(X, y, phi0).eigenvalues;
  const [hi, lo] = lam.map(Math.sqrt);
  const polyak = [4 / (hi + lo) ** 2, ((hi - lo) / (hi + lo)) ** 2]; // both modes repeated
  const cases = [polyak, [0.1, 0.5], [0.5, 0.9], [1.2, 0.3], [0.9, 0.2], [0.3, 0.99],
                 [(1 + Math.sqrt(0.3)) ** 2 / lam[0], 0.3], [(1 - Math.sqrt(0.6)) ** 2 / lam[1], 0.6],
                 [0.2, 1e-9], [2.3 / lam[0], 0.2]];
  let n = 0;
  for (const [lr, beta] of cases) {
    for (const k of [1, 2, 3, 7, 25, 120]) {
      close(live.heavyBall(X, y, phi0, lr, beta, k), iterate(X, y, phi0, lr, beta, k), 1e-11,
            `lr ${lr}, beta ${beta}, k ${k}`);
      n++;
    }
  }
  assert.strictEqual(n, 60);
});

test("heavyBall with beta = 0 is descent, and beyond 2(1 + beta)/lambda_max it diverges", () => {
  const X = [[0.2, 0.4, 0.8], [1, 1, 1]];
  const y = [-0.1, 0.15, 0.3];
  const phi0 = [-0.05, -0.4];
  const ks = [0, 1, 5, 40];
  assert.deepStrictEqual(live.heavyBall(X, y, phi0, 0.3, 0, ks), live.descent(X, y, phi0, 0.3, ks));
  const lamMax = live.spectrum(X, y, phi0).eigenvalues[0];
  const far = live.heavyBall(X, y, phi0, 2.1 * 1.5 / lamMax, 0.5, 300);
  assert.ok(Math.hypot(far[0], far[1]) > 1e6, `no divergence: ${far}`);
  const near = live.heavyBall(X, y, phi0, 1.9 * 1.5 / lamMax, 0.5, 300);
  assert.ok(Math.hypot(near[0] - 0.625, near[1] + 0.175) < 1e-3, `not converged: ${near}`);
});

test("bad input is refused with a message naming the argument", () => {
  const X = [[0.2, 0.4], [1, 1]];
  assert.throws(() => live.params([[0.2, 0.4]], [1, 2], [0, 0], 1), /X must be a list of 2 rows/);
  assert.throws(() => live.params(X, [1], [0, 0], 1), /X\[0\] must have 1 entries/);
  assert.throws(() => live.params(X, [1, 2], [0], 1), /phi0 must have 2 entries/);
  assert.throws(() => live.params(X, [1, NaN], [0, 0], 1), /y\[1\] must be a finite number/);
  assert.throws(() => live.params(X, [1, 2], [0, 0], -1), /t must be a non-negative number/);
  assert.throws(() => live.descent(X, [1, 2], [0, 0], 0, 1), /lr must be a positive number/);
  assert.throws(() => live.descent(X, [1, 2], [0, 0], 0.1, 1.5), /k must be a whole number/);
  assert.throws(() => live.heavyBall(X, [1, 2], [0, 0], 0.1, 1, 3), /beta must be a number in \[0, 1\)/);
  assert.throws(() => live.heavyBall(X, [1, 2], [0, 0], 0.1, -0.1, 3), /beta must be/);
  assert.throws(() => live.heavyBall(X, [1, 2], [0, 0], -1, 0.5, 3), /lr must be a positive/);
  assert.throws(() => live.heavyBall(X, [1, 2], [0, 0], 0.1, 0.5, 2.5), /k must be a whole/);
});
