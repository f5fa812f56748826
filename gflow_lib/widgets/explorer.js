/*
 * The live explorer of the book "Gradient Flow": a line fitted to points by gradient flow,
 * computed exactly in the reader's browser, with no server and no Python.
 *
 * One file serves three places:
 *  - the static book page: a classic <script> that gflow_lib.widgets.Explorer.static_html()
 *    writes into the page; it defines window.gflowLive and mounts the explorer on the element
 *    just before the script (a classic script also works from file://, a module would not);
 *  - Jupyter and Colab: the anywidget front end (gflow_lib.widgets appends
 *    `export default gflowLive.widget;` to this text);
 *  - node's test runner (tests/js/): module.exports.
 *
 * The numbers are the closed forms of the book for two parameters phi = (slope, intercept):
 * A = X X^T is 2 x 2, its eigendecomposition is written out (no library), each mode moves by
 * e^{-lambda t} (exp and expm1, so small lambda t loses no digits), a zero eigenvalue (points
 * at one input) leaves its coordinate where it started, and gradient descent multiplies each
 * mode by (1 - lr lambda)^k. Nothing loops over time steps. The drawing is plain SVG: the loss
 * of a quadratic has ellipses for level sets, so no contour library is needed.
 */
var gflowLive = (function () {
  "use strict";

  var VERSION = "1.0.0";
  var EPS = 2.220446049250313e-16;
  var SVGNS = "http://www.w3.org/2000/svg";
  var T_MIN = 0.01;
  var T_MAX = 1000;
  var LR_MIN = 0.001;
  var LR_MAX = 10;
  var VAR_MIN = 0.001;
  var VAR_MAX = 10;
  var STEPS = 1000; // slider positions
  var BETA_STEPS = 100; // momentum from 0 to 0.99 in steps of 0.01
  var PATH_TIMES = 160;
  var MAX_ITERATES = 240;
  var LEVELS = 10;
  var DEFAULT_PALETTE = {
    points: ["#D55E00", "#009E73", "#CC79A7", "#E69F00", "#0072B2", "#56B4E9"],
    markers: ["o", "s", "^"],
    flow: "#2e5fa8",
    descent: "#e67e22",
    band: "#cfcfcf",
    levels: ["#2a0f08", "#4a1d12", "#6b2c1c", "#8c4027", "#ac5736", "#c4714b", "#d68d62",
             "#e3ad7a", "#edc9a0", "#f7e6cc"]
  };

  // ------------------------------------------------------------------ input checks
  function fail(message) {
    throw new TypeError("gflowLive: " + message);
  }

  function numbers(a, name, n) {
    if (a === null || typeof a !== "object" || typeof a.length !== "number") {
      fail(name + " must be an array of numbers; got " + typeof a);
    }
    if (n !== undefined && a.length !== n) {
      fail(name + " must have " + n + " entries; got " + a.length);
    }
    for (var i = 0; i < a.length; i++) {
      if (typeof a[i] !== "number" || !isFinite(a[i])) {
        fail(name + "[" + i + "] must be a finite number; got " + a[i]);
      }
    }
    return a;
  }

  function checkProblem(X, y, phi0) {
    if (X === null || typeof X !== "object" || X.length !== 2) {
      fail("X must be a list of 2 rows (D = 2: slope input, intercept input), each with one " +
           "entry per data point; got " + (X && X.length !== undefined ? X.length + " rows"
                                                                       : typeof X));
    }
    numbers(y, "y");
    numbers(X[0], "X[0]", y.length);
    numbers(X[1], "X[1]", y.length);
    numbers(phi0, "phi0", 2);
  }

  function checkTime(t, name) {
    if (typeof t !== "number" || !(t >= 0)) {
      fail(name + " must be a non-negative number; got " + t);
    }
    return t;
  }

  // ------------------------------------------------------------------ the spectrum
  /*
   * The eigendecomposition of A = X X^T (2 x 2) and the minimum-norm solution's coordinates.
   * lam[0] >= lam[1] >= 0; V[k] is the unit eigenvector of lam[k] (slope, intercept);
   * z[k] = V[k].(X y) / lam[k] for lam[k] > 0. The determinant is the Cauchy-Binet sum of
   * squared 2 x 2 minors, so the small eigenvalue lam[1] = det / lam[0] keeps its relative
   * accuracy (no cancellation in a c - b^2), and it is exactly 0 when the points share one
   * input. As in gflow_lib.Spectrum, an eigenvalue below (max(D, I) eps)^2 lam[0] is zero.
   */
  function solve(X, y) {
    var x0 = X[0], x1 = X[1], I = y.length;
    var a = 0, b = 0, c = 0, b0 = 0, b1 = 0, det = 0;
    for (var i = 0; i < I; i++) {
      a += x0[i] * x0[i];
      b += x0[i] * x1[i];
      c += x1[i] * x1[i];
      b0 += x0[i] * y[i];
      b1 += x1[i] * y[i];
      for (var j = i + 1; j < I; j++) {
        var d = x0[i] * x1[j] - x0[j] * x1[i];
        det += d * d;
      }
    }
    var l1 = 0.5 * (a + c) + Math.hypot(0.5 * (a - c), b);
    var l2 = l1 > 0 ? det / l1 : 0;
    var tol = Math.pow(Math.max(2, I) * EPS, 2) * l1;
    if (!(l2 > tol)) { l2 = 0; }
    if (!(l1 > 0)) { l1 = 0; }
    // An eigenvector of l1 from the row of A - l1 I that does not cancel.
    var u, w;
    if (a >= c) { u = l1 - c; w = b; } else { u = b; w = l1 - a; }
    var norm = Math.hypot(u, w);
    if (!(norm > 0)) { u = 1; w = 0; } else { u /= norm; w /= norm; }
    var V = [[u, w], [-w, u]];
    var lam = [l1, l2];
    var z = [0, 0];
    for (var k = 0; k < 2; k++) {
      if (lam[k] > 0) { z[k] = (V[k][0] * b0 + V[k][1] * b1) / lam[k]; }
    }
    return {X: X, y: y, I: I, lam: lam, V: V, z: z, rank: (l1 > 0 ? 1 : 0) + (l2 > 0 ? 1 : 0)};
  }

  function coords(s, phi) {
    return [s.V[0][0] * phi[0] + s.V[0][1] * phi[1], s.V[1][0] * phi[0] + s.V[1][1] * phi[1]];
  }

  function expand(s, c) {
    return [c[0] * s.V[0][0] + c[1] * s.V[1][0], c[0] * s.V[0][1] + c[1] * s.V[1][1]];
  }

  /* Per-mode factors (keep, gain) of the flow at time t: e^{-lam t} and -expm1(-lam t). */
  function flowFactor(lam, t) {
    if (!(lam > 0)) { return [1, 0]; }
    var x = -lam * t;
    return [Math.exp(x), -Math.expm1(x)];
  }

  /* Per-mode factors after k steps of gradient descent: (1 - lr lam)^k and 1 minus it. */
  function descentFactor(lam, lr, k) {
    if (!(lam > 0)) { return [1, 0]; }
    var q = lr * lam;
    if (q < 1) {
      var x = k * Math.log1p(-q);
      return [Math.exp(x), -Math.expm1(x)];
    }
    var keep = Math.pow(1 - q, k);
    return [keep, 1 - keep];
  }

  function sinc(x) { return x === 0 ? 1 : Math.sin(x) / x; }

  /*
   * Per-mode factors after k steps of heavy ball from rest (phi_{-1} = phi_0), as
   * gflow_lib.HeavyBall(lr, beta): the keep solves kappa_{k+1} = (1 + beta - q) kappa_k -
   * beta kappa_{k-1}, kappa_{-1} = kappa_0 = 1, q = lr lam. Its roots are sigma R1 and sigma R2
   * (sigma the sign of their mean m = (1 + beta - q) / 2, R1 >= R2, R1 R2 = beta), and with
   * S_n = sum_{j <= n} (R2 / R1)^j, kappa_k = sigma^k R1^(k-1) (R1 S_k - sigma beta S_(k-1));
   * for complex roots sigma sqrt(beta) e^(+-i th), S_n = sin((n + 1) th) / sin th. Both S_n are
   * written to pass through the repeated root (S_n = n + 1) with no quotient by a difference
   * of roots: expm1((n + 1) L) / expm1(L), L = log(R2 / R1) = -2 atanh(d / |m|), and
   * (n + 1) sinc((n + 1) th) / sinc(th). For sigma = 1, R1 S_k - beta S_(k-1) is
   * R1 (R1 + (1 - R1) S_k) with 1 - R1 = q / (1 - R2): two positive terms.
   */
  function heavyBallFactor(lam, lr, beta, k) {
    if (!(lam > 0) || k === 0) { return [1, 0]; }
    if (beta === 0) { return descentFactor(lam, lr, k); }
    var q = lr * lam, rb = Math.sqrt(beta);
    var f1 = (1 - rb) * (1 - rb) - q, f2 = (1 + rb) * (1 + rb) - q; // 4 d^2 = f1 f2
    var m = 0.5 * (1 + beta - q), am = Math.abs(m), sg = m < 0 ? -1 : 1;
    var d = 0.5 * Math.sqrt(Math.abs(f1)) * Math.sqrt(Math.abs(f2));
    var logR, br;
    if (f1 >= 0 || f2 <= 0) { // real roots
      var R1 = am + d, R2 = beta / R1, x = d / am;
      var L = x < 0.5 ? -2 * Math.atanh(x) : Math.log(R2) - Math.log(R1);
      var S = function (n) { return L === 0 ? n + 1 : Math.expm1((n + 1) * L) / Math.expm1(L); };
      logR = Math.log(R1);
      br = sg > 0 ? R1 * (R1 + q / (1 - R2) * S(k)) : R1 * S(k) + beta * S(k - 1);
    } else { // complex roots
      var th = Math.atan2(d, am);
      var Sc = function (n) { return (n + 1) * sinc((n + 1) * th) / sinc(th); };
      logR = 0.5 * Math.log(beta);
      br = rb * (Sc(k) - sg * rb * Sc(k - 1));
    }
    var sign = (sg < 0 && k % 2 === 1 ? -1 : 1) * (br < 0 ? -1 : 1);
    var keep = sign * Math.exp((k - 1) * logR + Math.log(Math.abs(br)));
    return [keep, 1 - keep];
  }

  /* Coordinates keep a + gain z; a diverging mode (keep infinite) as z + keep (a - z). */
  function move(s, a, factor) {
    var c = [0, 0];
    for (var k = 0; k < 2; k++) {
      var f = factor(s.lam[k]);
      var ck = f[0] * a[k] + f[1] * s.z[k];
      if (!isFinite(ck)) {
        var dk = a[k] - s.z[k];
        ck = s.z[k] + (dk === 0 ? 0 : f[0] * dk);
      }
      c[k] = ck;
    }
    return expand(s, c);
  }

  function flowAt(s, a, t) {
    return move(s, a, function (lam) { return flowFactor(lam, t); });
  }

  function descentAt(s, a, lr, k) {
    return move(s, a, function (lam) { return descentFactor(lam, lr, k); });
  }

  function heavyBallAt(s, a, lr, beta, k) {
    return move(s, a, function (lam) { return heavyBallFactor(lam, lr, beta, k); });
  }

  function residualsOf(s, phi) {
    var r = new Array(s.I);
    for (var i = 0; i < s.I; i++) {
      r[i] = s.X[0][i] * phi[0] + s.X[1][i] * phi[1] - s.y[i];
    }
    return r;
  }

  function lossOf(s, phi) {
    var r = residualsOf(s, phi), total = 0;
    for (var i = 0; i < r.length; i++) { total += r[i] * r[i]; }
    return 0.5 * total;
  }

  /* Mean and variance of predictions at inputs xnew (rows as X) over starts N(phi0, v I). */
  function spreadAt(s, a, t, sigma_sq_p, x0, x1) {
    var phi = flowAt(s, a, t);
    var keep = [flowFactor(s.lam[0], t)[0], flowFactor(s.lam[1], t)[0]];
    var mean = new Array(x0.length), variance = new Array(x0.length);
    for (var m = 0; m < x0.length; m++) {
      mean[m] = phi[0] * x0[m] + phi[1] * x1[m];
      var total = 0;
      for (var k = 0; k < 2; k++) {
        var p = keep[k] * (s.V[k][0] * x0[m] + s.V[k][1] * x1[m]);
        total += p * p;
      }
      variance[m] = sigma_sq_p * total;
    }
    return {mean: mean, variance: variance};
  }

  function eachTime(t, name, fn) {
    if (typeof t === "number") { return fn(checkTime(t, name)); }
    numbers(t, name);
    return Array.prototype.map.call(t, function (tk) { return fn(checkTime(tk, name)); });
  }

  // ------------------------------------------------------------------ public numbers
  /**
   * The parameters phi(t) of gradient flow from phi0, in closed form: the test seam.
   * X: 2 rows (D = 2) of I inputs each; y: I targets; phi0: 2 numbers; t: a time or an
   * array of times. Returns [phi_0, phi_1], or one such pair per time.
   */
  function params(X, y, phi0, t) {
    checkProblem(X, y, phi0);
    var s = solve(X, y), a = coords(s, phi0);
    return eachTime(t, "t", function (tk) { return flowAt(s, a, tk); });
  }

  /** The parameters after k steps of gradient descent with step lr (closed form per mode). */
  function descent(X, y, phi0, lr, k) {
    checkProblem(X, y, phi0);
    if (typeof lr !== "number" || !(lr > 0) || !isFinite(lr)) {
      fail("lr must be a positive number; got " + lr);
    }
    var s = solve(X, y), a = coords(s, phi0);
    return eachTime(k, "k", function (kk) {
      if (Math.floor(kk) !== kk) { fail("k must be a whole number of steps; got " + kk); }
      return descentAt(s, a, lr, kk);
    });
  }

  function checkStep(lr, beta) {
    if (typeof lr !== "number" || !(lr > 0) || !isFinite(lr)) {
      fail("lr must be a positive number; got " + lr);
    }
    if (typeof beta !== "number" || !(beta >= 0 && beta < 1)) {
      fail("beta must be a number in [0, 1) (momentum); got " + beta);
    }
  }

  /**
   * The parameters phi_k after k steps of heavy ball with step lr and momentum beta from rest
   * (phi_{-1} = phi0), in closed form per mode: the test seam, as gflow_lib.HeavyBall.
   * X: 2 rows of I inputs; y: I targets; phi0: 2 numbers; k: a whole number or an array.
   */
  function heavyBall(X, y, phi0, lr, beta, k) {
    checkProblem(X, y, phi0);
    checkStep(lr, beta);
    var s = solve(X, y), a = coords(s, phi0);
    return eachTime(k, "k", function (kk) {
      if (Math.floor(kk) !== kk) { fail("k must be a whole number of steps; got " + kk); }
      return heavyBallAt(s, a, lr, beta, kk);
    });
  }

  /** The loss 1/2 |X^T phi(t) - y|^2 along the flow. */
  function loss(X, y, phi0, t) {
    checkProblem(X, y, phi0);
    var s = solve(X, y), a = coords(s, phi0);
    return eachTime(t, "t", function (tk) { return lossOf(s, flowAt(s, a, tk)); });
  }

  /** Predictions at new inputs Xnew (2 rows) over random starts N(phi0, sigma_sq_p I). */
  function prediction(X, y, Xnew, t, phi0, sigma_sq_p) {
    checkProblem(X, y, phi0);
    if (!Xnew || Xnew.length !== 2) { fail("Xnew must be a list of 2 rows"); }
    numbers(Xnew[0], "Xnew[0]");
    numbers(Xnew[1], "Xnew[1]", Xnew[0].length);
    if (typeof sigma_sq_p !== "number" || !(sigma_sq_p > 0)) {
      fail("sigma_sq_p must be a positive number; got " + sigma_sq_p);
    }
    var s = solve(X, y), a = coords(s, phi0);
    return eachTime(t, "t", function (tk) {
      return spreadAt(s, a, tk, sigma_sq_p, Xnew[0], Xnew[1]);
    });
  }

  /** Eigenvalues of A = X X^T, largest first, and the limit phi(infinity) from phi0. */
  function spectrum(X, y, phi0) {
    checkProblem(X, y, phi0);
    var s = solve(X, y);
    return {eigenvalues: s.lam.slice(), vectors: [s.V[0].slice(), s.V[1].slice()],
            rank: s.rank, limit: flowAt(s, coords(s, phi0), Infinity)};
  }

  // ------------------------------------------------------------------ small helpers
  function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }

  function fmt(v, digits) {
    if (!isFinite(v)) { return v > 0 ? "∞" : (v < 0 ? "−∞" : "undefined"); }
    var d = digits === undefined ? 3 : digits;
    var text;
    if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) {
      text = v.toExponential(Math.max(0, d - 1)).replace("e+", "e");
    } else {
      text = v.toFixed(d);
    }
    return text.replace("-", "−");
  }

  /*
   * What descent (beta = 0) or heavy ball does to the fast mode, q = lr lambda_max: real
   * positive roots below (1 - sqrt(beta))^2 (no overshoot), complex ones up to
   * (1 + sqrt(beta))^2 (rings, modulus sqrt(beta)), negative real ones up to 2 (1 + beta),
   * where a root reaches -1; beyond it the mode diverges.
   */
  function regime(lr, beta, lamMax) {
    var q = lr * lamMax, rb = Math.sqrt(beta), hi = 2 * (1 + beta), text;
    var head = "lr·λmax = " + fmt(q, 2);
    if (!(lamMax > 0)) { return {text: "no data direction: nothing moves", diverges: false}; }
    if (beta === 0) {
      if (q < 1) { text = head + " < 1: moves monotonically"; }
      else if (q < 2) { text = head + " in (1, 2): oscillates, converges"; }
      else if (q === 2) { text = "lr·λmax = 2: oscillates forever"; }
      else { text = head + " > 2: diverges"; }
    } else if (Math.abs(q - (1 - rb) * (1 - rb)) <= 1e-12 * q ||
               Math.abs(q - (1 + rb) * (1 + rb)) <= 1e-12 * q) {
      text = head + " = (1" + (q > 1 ? "+" : "−") + "√β)²: a repeated root, converges at " +
        "rate √β = " + fmt(rb, 2);
    } else if (q <= (1 - rb) * (1 - rb)) {
      text = head + " ≤ (1−√β)² = " + fmt((1 - rb) * (1 - rb), 2) + ": real roots, no ringing";
    } else if (q < (1 + rb) * (1 + rb)) {
      text = head + ": complex roots, rings at rate √β = " + fmt(rb, 2) + ", converges";
    } else if (q < hi) {
      text = head + " in [(1+√β)², 2(1+β)): flips sign each step, converges";
    } else if (q === hi) {
      text = "lr·λmax = 2(1+β): oscillates forever";
    } else {
      text = head + " > 2(1+β) = " + fmt(hi, 2) + ": diverges";
    }
    return {text: text, diverges: q > hi};
  }

  function logPos(v, lo, hi) { return STEPS * Math.log(v / lo) / Math.log(hi / lo); }
  function logVal(p, lo, hi) { return lo * Math.pow(hi / lo, p / STEPS); }
  function timeFromPos(p) { return p <= 0 ? 0 : T_MIN * Math.pow(T_MAX / T_MIN, (p - 1) / (STEPS - 1)); }
  function posFromTime(t) {
    if (!(t > 0)) { return 0; }
    return clamp(Math.round(1 + (STEPS - 1) * Math.log(t / T_MIN) / Math.log(T_MAX / T_MIN)),
                 1, STEPS);
  }

  function niceStep(span, count) {
    var raw = span / Math.max(1, count), p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
  }

  function ticks(lo, hi, count) {
    var step = niceStep(hi - lo, count), out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return out;
  }

  function tickLabel(v) {
    var text = Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.01)
      ? v.toExponential(0).replace("e+", "e") : String(+v.toPrecision(6));
    return text.replace("-", "−");
  }

  function el(tag, attrs, parent, ns) {
    var node = ns ? document.createElementNS(SVGNS, tag) : document.createElement(tag);
    for (var key in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, key)) {
        if (key === "text") { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
      }
    }
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function svgEl(tag, attrs, parent) { return el(tag, attrs, parent, true); }

  /* Text and styles that rarely change are written only when they do (a write, even of the
     same text, would make the browser lay the legends out again at every move). */
  function setText(node, text) { if (node.textContent !== text) { node.textContent = text; } }
  function setStyle(node, key, value) { if (node.style[key] !== value) { node.style[key] = value; } }

  function linear(d0, d1, r0, r1) {
    var f = function (v) { return r0 + (v - d0) * (r1 - r0) / (d1 - d0); };
    f.invert = function (p) { return d0 + (p - r0) * (d1 - d0) / (r1 - r0); };
    f.domain = [d0, d1];
    return f;
  }

  function logScale(d0, d1, r0, r1) {
    var l0 = Math.log(d0), l1 = Math.log(d1);
    var f = function (v) { return r0 + (Math.log(v) - l0) * (r1 - r0) / (l1 - l0); };
    f.domain = [d0, d1];
    return f;
  }

  var BIG = 1e5; // pixel coordinates are clipped to +-BIG before they reach the SVG
  function px(v) { return clamp(v, -BIG, BIG).toFixed(1); }

  function polyline(pts) {
    var out = "";
    for (var i = 0; i < pts.length; i++) {
      if (!isFinite(pts[i][0]) || !isFinite(pts[i][1])) { continue; }
      out += (out ? "L" : "M") + px(pts[i][0]) + " " + px(pts[i][1]);
    }
    return out;
  }

  var uid = 0;

  /* A marker centred on 0, 0 (matplotlib's codes): circle "o", square "s", triangle "^". */
  function marker(kind, r) {
    if (kind === "s") {
      var a = (0.88 * r).toFixed(2), b = (1.76 * r).toFixed(2);
      return "M-" + a + " -" + a + "h" + b + "v" + b + "h-" + b + "Z";
    }
    if (kind === "^") {
      var h = 1.2 * r;
      return "M0 " + (-h).toFixed(2) + "L" + (1.04 * h).toFixed(2) + " " + (0.6 * h).toFixed(2) +
             "L" + (-1.04 * h).toFixed(2) + " " + (0.6 * h).toFixed(2) + "Z";
    }
    return "M-" + r + " 0a" + r + " " + r + " 0 1 0 " + 2 * r + " 0a" + r + " " + r +
           " 0 1 0 -" + 2 * r + " 0Z";
  }

  // ------------------------------------------------------------------ panels
  var W = 360, H = 270;
  var MARGIN = {left: 50, right: 12, top: 26, bottom: 40};

  function makePanel(parent, title, xlabel, ylabel) {
    var id = "gflow-live-" + (++uid);
    var fig = el("figure", {"class": "gl-panel"}, parent);
    var svg = svgEl("svg", {viewBox: "0 0 " + W + " " + H, role: "group",
                            "aria-labelledby": id + "-title " + id + "-desc"}, fig);
    svgEl("title", {id: id + "-title", text: title}, svg);
    var desc = svgEl("desc", {id: id + "-desc"}, svg);
    svgEl("text", {x: MARGIN.left, y: 16, "class": "gl-title", text: title}, svg);
    var clip = svgEl("clipPath", {id: id + "-clip"}, svg);
    svgEl("rect", {x: MARGIN.left, y: MARGIN.top, width: W - MARGIN.left - MARGIN.right,
                   height: H - MARGIN.top - MARGIN.bottom}, clip);
    var axes = svgEl("g", {"class": "gl-axes", "aria-hidden": "true"}, svg);
    var plot = svgEl("g", {"clip-path": "url(#" + id + "-clip)"}, svg);
    var over = svgEl("g", {}, svg); // handles, not clipped (they stay inside by clamping)
    svgEl("text", {x: (MARGIN.left + W - MARGIN.right) / 2, y: H - 6, "class": "gl-label",
                   "text-anchor": "middle", text: xlabel, "aria-hidden": "true"}, svg);
    svgEl("text", {x: 12, y: (MARGIN.top + H - MARGIN.bottom) / 2, "class": "gl-label",
                   "text-anchor": "middle", "aria-hidden": "true",
                   transform: "rotate(-90 12 " + (MARGIN.top + H - MARGIN.bottom) / 2 + ")",
                   text: ylabel}, svg);
    // a visible sign when the iterates diverge (hidden otherwise)
    var warnBox = svgEl("g", {"class": "gl-warn", style: "display: none"}, svg);
    svgEl("rect", {x: MARGIN.left + 4, y: MARGIN.top + 4, width: W - MARGIN.left - MARGIN.right - 8,
                   height: 20, rx: 3}, warnBox);
    var warn = svgEl("text", {x: (MARGIN.left + W - MARGIN.right) / 2, y: MARGIN.top + 18,
                              "text-anchor": "middle"}, warnBox);
    var legendBox = el("figcaption", {"class": "gl-legend"}, fig);
    return {fig: fig, svg: svg, desc: desc, axes: axes, plot: plot, over: over, key: "",
            warn: warn, warnBox: warnBox, legend: legendBox};
  }

  /*
   * The legend of a panel, under it (it never covers data): one swatch and a name per kind of
   * mark. kind: "line", "dash", "dot" (dotted line), "gd" (line with squares), "start", "star",
   * "ring" (dashed ellipse), "band", "points" (the data's colours and markers), "vline".
   * On the landscape the swatches sit on a chip of the contours' colour (white marks).
   */
  function legend(panel, items, palette) {
    var box = panel.legend, out = {};
    items.forEach(function (it) {
      var item = el("span", {"class": "gl-key"}, box);
      var sw = svgEl("svg", {viewBox: "0 0 28 14", width: 28, height: 14, "aria-hidden": "true",
                             "class": "gl-swatch"}, item);
      if (it.chip) { svgEl("rect", {x: 0, y: 0, width: 28, height: 14, rx: 2, fill: it.chip}, sw); }
      var c = it.color || "#1a1a1a";
      if (it.kind === "line" || it.kind === "dash" || it.kind === "dot" || it.kind === "gd") {
        svgEl("path", {d: "M2 7H26", stroke: c, fill: "none",
                       "stroke-width": it.kind === "line" ? 3 : 1.8,
                       "stroke-dasharray": it.kind === "dash" ? "5 3" : it.kind === "dot" ? "2 3" : "none"}, sw);
        if (it.kind === "gd") {
          svgEl("path", {d: "M4 5h4v4h-4ZM12 5h4v4h-4ZM20 5h4v4h-4Z", fill: c,
                         stroke: "#ffffff", "stroke-width": 0.4}, sw);
        }
      } else if (it.kind === "start") {
        svgEl("circle", {cx: 14, cy: 7, r: 5, fill: "#ffffff", stroke: "#1a1a1a", "stroke-width": 2}, sw);
      } else if (it.kind === "star") {
        var d = "";
        for (var m = 0; m < 10; m++) {
          var ang = -Math.PI / 2 + m * Math.PI / 5, rr = m % 2 ? 2.6 : 6.4;
          d += (m ? "L" : "M") + (14 + rr * Math.cos(ang)).toFixed(2) + " " +
               (7.5 + rr * Math.sin(ang)).toFixed(2);
        }
        svgEl("path", {d: d + "Z", fill: "#ffd84d", stroke: "#1a1a1a", "stroke-width": 1}, sw);
      } else if (it.kind === "ring") {
        svgEl("ellipse", {cx: 14, cy: 7, rx: 11, ry: 5, fill: "rgba(255,255,255,0.22)",
                          stroke: "#ffffff", "stroke-width": 1.2, "stroke-dasharray": "3 2"}, sw);
      } else if (it.kind === "band") {
        svgEl("rect", {x: 1, y: 2, width: 26, height: 10, fill: c, opacity: 0.85}, sw);
        svgEl("path", {d: "M1 7H27", stroke: it.line, "stroke-width": 2.5}, sw);
      } else if (it.kind === "points") {
        for (var j = 0; j < 3; j++) {
          svgEl("path", {d: marker(palette.markers[j % palette.markers.length], 3.6),
                         transform: "translate(" + (5 + 9 * j) + " 7)", "class": "gl-dot",
                         fill: palette.points[j % palette.points.length]}, sw);
        }
      } else if (it.kind === "curves") {
        for (var n = 0; n < 3; n++) {
          svgEl("path", {d: "M2 " + (3 + 4 * n) + "H26", "stroke-width": 1.8,
                         stroke: palette.points[n % palette.points.length]}, sw);
        }
      } else if (it.kind === "squares") {
        for (var r = 0; r < 3; r++) {
          svgEl("path", {d: "M" + (4 + 8 * r) + " 5h4v4h-4Z", opacity: 0.75,
                         fill: palette.points[r % palette.points.length]}, sw);
        }
      } else if (it.kind === "vline") {
        svgEl("path", {d: "M14 0V14", stroke: c, "stroke-width": 1.2, "stroke-dasharray": "3 2"}, sw);
      }
      out[it.name || it.text] = el("span", {text: it.text}, item);
    });
    return out;
  }

  function drawAxes(panel, sx, sy, xt, yt) {
    var key = sx.domain.join() + "|" + sy.domain.join();
    if (panel.key === key) { return; }
    panel.key = key;
    var g = panel.axes;
    while (g.firstChild) { g.removeChild(g.firstChild); }
    var x0 = MARGIN.left, x1 = W - MARGIN.right, y0 = MARGIN.top, y1 = H - MARGIN.bottom;
    svgEl("rect", {x: x0, y: y0, width: x1 - x0, height: y1 - y0, "class": "gl-frame"}, g);
    xt.forEach(function (v) {
      var p = sx(v);
      if (p < x0 - 0.5 || p > x1 + 0.5) { return; }
      svgEl("line", {x1: p, x2: p, y1: y1, y2: y1 + 4, "class": "gl-tick"}, g);
      svgEl("text", {x: p, y: y1 + 15, "text-anchor": "middle", "class": "gl-ticklabel",
                     text: v.label || tickLabel(v)}, g);
    });
    yt.forEach(function (v) {
      var p = sy(v);
      if (p < y0 - 0.5 || p > y1 + 0.5) { return; }
      svgEl("line", {x1: x0 - 4, x2: x0, y1: p, y2: p, "class": "gl-tick"}, g);
      svgEl("text", {x: x0 - 6, y: p + 4, "text-anchor": "end", "class": "gl-ticklabel",
                     text: tickLabel(v)}, g);
    });
  }

  // ------------------------------------------------------------------ windows
  function dataWindow(points) {
    var x0 = -0.1, x1 = 1.1, y0 = -1, y1 = 1;
    points.forEach(function (p) {
      x0 = Math.min(x0, p[0] - 0.1); x1 = Math.max(x1, p[0] + 0.1);
      y0 = Math.min(y0, p[1] - 0.2); y1 = Math.max(y1, p[1] + 0.2);
    });
    return {x: [x0, x1], y: [y0, y1]};
  }

  function landscapeWindow(phi0, lim) {
    // (intercept range, slope range): the default square, the start and the limit.
    var c0 = -1, c1 = 1, s0 = -1, s1 = 1;
    [phi0, lim].forEach(function (p) {
      if (!isFinite(p[0]) || !isFinite(p[1])) { return; }
      c0 = Math.min(c0, p[1]); c1 = Math.max(c1, p[1]);
      s0 = Math.min(s0, p[0]); s1 = Math.max(s1, p[0]);
    });
    var pc = 0.12 * (c1 - c0), ps = 0.12 * (s1 - s0);
    var cap = 50;
    return {c: [clamp(c0 - pc, -cap, cap), clamp(c1 + pc, -cap, cap)],
            s: [clamp(s0 - ps, -cap, cap), clamp(s1 + ps, -cap, cap)]};
  }

  // ------------------------------------------------------------------ the explorer
  function defaults(state) {
    var s = state || {};
    return {
      points: (s.points || [[0.2, -0.1], [0.4, 0.15], [0.8, 0.3]]).map(function (p) {
        return [+p[0], +p[1]];
      }),
      phi0: (s.phi0 || [-0.05, -0.4]).map(Number),
      t: s.t === undefined ? 0.3 : +s.t,
      lr: s.lr === undefined ? 0.1 : +s.lr,
      beta: s.beta === undefined ? 0 : +s.beta,
      sigma_sq_p: s.sigma_sq_p === undefined ? 0.04 : +s.sigma_sq_p,
      show_descent: s.show_descent === undefined ? true : !!s.show_descent,
      palette: s.palette || {}
    };
  }

  var SYNCED = ["points", "phi0", "t", "lr", "beta", "sigma_sq_p", "show_descent"];
  var instances = [];

  /*
   * Build the explorer inside `root` and keep it in step with `model`, anywidget's model
   * (get, set, save_changes, on, off) or the page's local stand-in. Returns a cleanup function.
   */
  function render(args) {
    var model = args.model, root = args.el;
    var init = {};
    SYNCED.concat(["palette"]).forEach(function (k) { init[k] = model.get(k); });
    var st = defaults(init);
    var palette = {};
    Object.keys(DEFAULT_PALETTE).forEach(function (k) {
      palette[k] = (st.palette && st.palette[k]) || DEFAULT_PALETTE[k];
    });
    st.selected = -1;
    var win = dataWindow(st.points);
    var lwin = null;
    var contourKey = "";
    var last = null; // numbers of the last update
    var playing = null;
    var applying = false; // true while this view writes to the model
    var saveTimer = null;

    root.classList.add("gflow-live");
    root.innerHTML = "";
    var id = "gflow-live-" + (++uid);

    // ---- controls
    var controls = el("div", {"class": "gl-controls"}, root);

    function slider(name, label, pos, max) {
      var row = el("div", {"class": "gl-row"}, controls);
      el("label", {"for": id + "-" + name, text: label}, row);
      var input = el("input", {type: "range", id: id + "-" + name, min: 0, max: max || STEPS,
                               step: 1, value: pos}, row);
      var out = el("output", {"for": id + "-" + name, id: id + "-" + name + "-out"}, row);
      input.setAttribute("aria-describedby", out.id);
      return {row: row, input: input, out: out};
    }

    var time = slider("t", "time t", posFromTime(st.t));
    var play = el("button", {type: "button", "class": "gl-button", "aria-pressed": "false",
                             text: "Play"}, time.row);
    var lr = slider("lr", "learning rate lr", logPos(st.lr, LR_MIN, LR_MAX));
    var marks = el("div", {"class": "gl-marks", "aria-hidden": "true"}, controls);
    var mark1 = el("span", {"class": "gl-mark gl-mark1"}, marks);
    var mark2 = el("span", {"class": "gl-mark gl-mark2"}, marks);
    var mark3 = el("span", {"class": "gl-mark gl-mark3"}, marks);
    var markKey = "", markSpecs = null, markWidth = 0;
    /*
     * Each mark at its step on the slider's log scale, its label on the preferred side of the
     * tick unless it would leave the slider, in the first row where it overlaps no other label
     * (the marks move with the data and beta, not with lr: placed again only when they change).
     */
    function placeMarks(specs) {
      markSpecs = specs;
      // the width from the ResizeObserver below: reading it here would force a layout
      var key = JSON.stringify(specs.map(function (m) { return [m[1], m[2]]; })) + "|" + markWidth;
      if (key === markKey) { return; }
      markKey = key;
      var width = markWidth || marks.clientWidth;
      var rows = [[], [], []], used = 1;
      specs.forEach(function (m) {
        var span = m[0], pos = m[1] > 0 ? logPos(m[1], LR_MIN, LR_MAX) / STEPS : Infinity;
        span.textContent = m[2];
        span.title = m[2] + " = " + fmt(m[1], 4);
        if (!(pos >= 0 && pos <= 1)) { span.style.display = "none"; return; }
        span.style.display = "";
        var x = pos * width, w = span.offsetWidth;
        var left = m[3] ? x - w >= 0 || x + w > width : x + w > width && x - w >= 0;
        var box = left ? [x - w, x] : [x, x + w], row = 0;
        while (row < 2 && rows[row].some(function (b) { return b[0] < box[1] + 4 && box[0] < b[1] + 4; })) {
          row++;
        }
        rows[row].push(box);
        used = Math.max(used, row + 1);
        span.classList.toggle("gl-left", left);
        span.style.left = (100 * pos).toFixed(2) + "%";
        span.style.top = (1.1 * row).toFixed(1) + "rem";
      });
      marks.style.height = (1.1 * used).toFixed(1) + "rem";
    }
    if (typeof ResizeObserver !== "undefined") {
      new ResizeObserver(function (entries) {
        markWidth = entries[entries.length - 1].contentRect.width;
        if (markSpecs) { placeMarks(markSpecs); }
      }).observe(marks);
    }
    var beta = slider("beta", "momentum β", Math.round(st.beta * BETA_STEPS),
                      BETA_STEPS - 1);
    var polyak = el("button", {type: "button", "class": "gl-button",
                               title: "Polyak's step and momentum for these data: the " +
                                      "fastest heavy ball (optimal_heavy_ball)",
                               text: "Polyak"}, beta.row);
    var prior = slider("var", "prior variance σp²", logPos(st.sigma_sq_p, VAR_MIN, VAR_MAX));
    var buttons = el("div", {"class": "gl-row gl-buttons"}, controls);
    var showBox = el("input", {type: "checkbox", id: id + "-gd"}, buttons);
    showBox.checked = st.show_descent;
    el("label", {"for": id + "-gd", text: "show descent (heavy ball if β > 0)"}, buttons);
    var addBtn = el("button", {type: "button", "class": "gl-button", text: "Add point"}, buttons);
    var removeBtn = el("button", {type: "button", "class": "gl-button",
                                  text: "Remove selected point"}, buttons);
    var resetBtn = el("button", {type: "button", "class": "gl-button", text: "Reset"}, buttons);
    var initial = JSON.parse(JSON.stringify({points: st.points, phi0: st.phi0, t: st.t,
                                             lr: st.lr, beta: st.beta,
                                             sigma_sq_p: st.sigma_sq_p}));

    // ---- panels
    var grid = el("div", {"class": "gl-grid"}, root);
    var pl = makePanel(grid, "Loss landscape and path", "intercept φ[1]", "slope φ[0]");
    var pf = makePanel(grid, "Fitted line and residuals", "input x", "output");
    var pr = makePanel(grid, "Residuals over time", "time t (log scale)", "residual f − y");
    var pp = makePanel(grid, "Predictions over random starts", "input x", "prediction");

    // landscape layers
    var contourG = svgEl("g", {"aria-hidden": "true"}, pl.plot);
    var contours = [];
    for (var j = 0; j < LEVELS; j++) {
      contours.push(svgEl("path", {"class": "gl-level",
                                   fill: palette.levels[Math.min(palette.levels.length - 1,
                                                                 LEVELS - 1 - j)]}, contourG));
    }
    var eig = [svgEl("path", {"class": "gl-eig"}, pl.plot), svgEl("path", {"class": "gl-eig gl-eig2"}, pl.plot)];
    var crowd = svgEl("path", {"class": "gl-crowd"}, pl.plot);
    var pathAll = svgEl("path", {"class": "gl-path-all", stroke: palette.flow}, pl.plot);
    var pathDone = svgEl("path", {"class": "gl-path", stroke: palette.flow}, pl.plot);
    var gdLine = svgEl("path", {"class": "gl-gd", stroke: palette.descent}, pl.plot);
    var gdDots = svgEl("path", {"class": "gl-gd-dots", fill: palette.descent}, pl.plot);
    var star = svgEl("path", {"class": "gl-star"}, pl.plot);
    var now = svgEl("circle", {r: 5, "class": "gl-now", fill: palette.flow}, pl.plot);
    var eigLabels = [svgEl("text", {"class": "gl-small gl-onmap", "aria-hidden": "true"}, pl.plot),
                     svgEl("text", {"class": "gl-small gl-onmap", "aria-hidden": "true"}, pl.plot)];
    var startG = svgEl("g", {"class": "gl-handle", tabindex: 0, role: "button",
                             "aria-roledescription": "draggable start"}, pl.over);
    svgEl("circle", {r: 14, "class": "gl-hit"}, startG);
    svgEl("circle", {r: 6, "class": "gl-start"}, startG);
    svgEl("text", {x: 9, y: -8, "class": "gl-small gl-halo", text: "φ₀", "aria-hidden": "true"},
          startG);

    // fitted line layers
    var limitLine = svgEl("path", {"class": "gl-limit-line"}, pf.plot);
    var fitLine = svgEl("path", {"class": "gl-fit", stroke: palette.flow}, pf.plot);
    var gdFit = svgEl("path", {"class": "gl-gd-fit", stroke: palette.descent}, pf.plot);
    var residG = svgEl("g", {}, pf.plot);
    var pointG = svgEl("g", {}, pf.over);

    // residual layers
    var zeroLine = svgEl("path", {"class": "gl-zero"}, pr.plot);
    var resCurves = svgEl("g", {}, pr.plot);
    var resGd = svgEl("g", {}, pr.plot);
    var tLine = svgEl("path", {"class": "gl-tline"}, pr.plot);
    var resDots = svgEl("g", {}, pr.plot);

    // prediction layers
    var band = svgEl("path", {"class": "gl-band", fill: palette.band}, pp.plot);
    var meanLine = svgEl("path", {"class": "gl-fit", stroke: palette.flow}, pp.plot);
    var predPts = svgEl("g", {}, pp.plot);
    var chip = palette.levels[Math.floor(palette.levels.length / 2)];
    var keysL = legend(pl, [
      {kind: "line", color: palette.flow, text: "gradient flow φ(t)"},
      {kind: "gd", color: palette.descent, text: "descent φₖ", name: "gd"},
      {kind: "start", chip: chip, text: "start φ₀ (drag)"},
      {kind: "star", chip: chip, text: "limit"},
      {kind: "ring", chip: chip, text: "random starts at t (2 sd)"},
      {kind: "dash", color: "#ffffff", chip: chip, text: "eigen-directions"}], palette);
    var keysF = legend(pf, [
      {kind: "points", text: "data (drag)"},
      {kind: "line", color: palette.flow, text: "line at t"},
      {kind: "dash", color: palette.descent, text: "descent's line", name: "gd"},
      {kind: "dot", color: "#6b6b6b", text: "limit line"},
      {kind: "dash", color: "#1a1a1a", text: "residual f − y"}], palette);
    var keysR = legend(pr, [
      {kind: "curves", text: "one per point (its colour)"},
      {kind: "squares", text: "descent at t = k·lr", name: "gd"},
      {kind: "vline", text: "time t"}], palette);
    var keysP = legend(pp, [
      {kind: "line", color: palette.flow, text: "mean prediction"},
      {kind: "band", color: palette.band, line: palette.flow,
       text: "± 2 sd over starts N(φ₀, σp² I)", name: "band"},
      {kind: "points", text: "data"}], palette);

    // ---- numbers and the text alternative
    var numbersBox = el("dl", {"class": "gl-numbers"}, root);
    var numberCells = {};
    [["t", "time t"], ["loss", "loss L(t)"], ["limit", "loss as t → ∞"],
     ["lam", "eigenvalues λmax, λmin"], ["tau", "time constants 1/λ"],
     ["gd", "descent (heavy ball if β > 0)"], ["bandw", "band half-width at x = 0.5"]].forEach(function (p) {
      var item = el("div", {}, numbersBox);
      el("dt", {text: p[1]}, item);
      numberCells[p[0]] = el("dd", {"data-gflow": p[0]}, item);
    });
    var live = el("p", {"class": "gl-sr", "aria-live": "polite"}, root);
    el("p", {"class": "gl-help", text: "Drag the start φ₀ on the landscape or a data point on " +
       "the fitted line (or focus one with Tab and move it with the arrow keys; Shift moves " +
       "further, Delete removes a point)."}, root);

    // ---- the model
    function xy() {
      var x = st.points.map(function (p) { return p[0]; });
      var ones = st.points.map(function () { return 1; });
      return {X: [x, ones], y: st.points.map(function (p) { return p[1]; })};
    }

    function save(now) {
      if (saveTimer !== null) { clearTimeout(saveTimer); saveTimer = null; }
      var write = function () {
        applying = true;
        try {
          model.set("points", st.points.map(function (p) { return p.slice(); }));
          model.set("phi0", st.phi0.slice());
          model.set("t", st.t);
          model.set("lr", st.lr);
          model.set("beta", st.beta);
          model.set("sigma_sq_p", st.sigma_sq_p);
          model.set("show_descent", st.show_descent);
          model.save_changes();
        } finally {
          applying = false;
        }
      };
      if (now) { write(); } else { saveTimer = setTimeout(function () { saveTimer = null; write(); }, 120); }
    }

    function fromModel() {
      if (applying) { return; }
      var next = {};
      SYNCED.forEach(function (k) { next[k] = model.get(k); });
      var s = defaults(next);
      var dataChanged = JSON.stringify(s.points) !== JSON.stringify(st.points);
      st.points = s.points; st.phi0 = s.phi0; st.t = s.t; st.lr = s.lr; st.beta = s.beta;
      st.sigma_sq_p = s.sigma_sq_p; st.show_descent = s.show_descent;
      if (st.selected >= st.points.length) { st.selected = -1; }
      if (dataChanged) { win = dataWindow(st.points); rebuildPoints(); }
      lwin = null;
      syncControls();
      update();
    }

    var handlers = SYNCED.map(function (k) {
      var f = function () { fromModel(); };
      model.on("change:" + k, f);
      return ["change:" + k, f];
    });

    function syncControls() {
      time.input.value = posFromTime(st.t);
      lr.input.value = Math.round(logPos(st.lr, LR_MIN, LR_MAX));
      beta.input.value = Math.min(BETA_STEPS - 1, Math.round(st.beta * BETA_STEPS));
      prior.input.value = Math.round(logPos(st.sigma_sq_p, VAR_MIN, VAR_MAX));
      showBox.checked = st.show_descent;
    }

    // ---- drawing helpers
    var px0 = MARGIN.left, px1 = W - MARGIN.right, py0 = MARGIN.top, py1 = H - MARGIN.bottom;

    function ellipsePath(center, s, radii, sx, sy) {
      var pts = [];
      for (var i = 0; i <= 72; i++) {
        var th = 2 * Math.PI * i / 72, c = Math.cos(th) * radii[0], d = Math.sin(th) * radii[1];
        var slope = center[0] + c * s.V[0][0] + d * s.V[1][0];
        var icpt = center[1] + c * s.V[0][1] + d * s.V[1][1];
        pts.push([sx(icpt), sy(slope)]);
      }
      return polyline(pts) + "Z";
    }

    var pointEls = [];
    function rebuildPoints() {
      while (pointG.firstChild) { pointG.removeChild(pointG.firstChild); }
      while (residG.firstChild) { residG.removeChild(residG.firstChild); }
      while (resCurves.firstChild) { resCurves.removeChild(resCurves.firstChild); }
      while (resDots.firstChild) { resDots.removeChild(resDots.firstChild); }
      while (resGd.firstChild) { resGd.removeChild(resGd.firstChild); }
      while (predPts.firstChild) { predPts.removeChild(predPts.firstChild); }
      pointEls = st.points.map(function (p, i) {
        var color = palette.points[i % palette.points.length];
        var shape = palette.markers[i % palette.markers.length];
        var g = svgEl("g", {"class": "gl-handle gl-point", tabindex: 0, role: "button",
                            "aria-roledescription": "draggable data point"}, pointG);
        svgEl("circle", {r: 14, "class": "gl-hit"}, g);
        svgEl("path", {d: marker(shape, 6), fill: color, "class": "gl-dot"}, g);
        attachDrag(g, "point", i);
        return {
          g: g,
          resid: svgEl("path", {"class": "gl-resid", stroke: color}, residG),
          curve: svgEl("path", {"class": "gl-curve", stroke: color}, resCurves),
          dot: svgEl("path", {d: marker(shape, 4.5), fill: color, "class": "gl-dot"}, resDots),
          gd: svgEl("path", {fill: color, "class": "gl-gd-res"}, resGd),
          pred: svgEl("path", {d: marker(shape, 4.5), fill: color, "class": "gl-dot"}, predPts)
        };
      });
    }

    // ---- the update: everything from the closed forms
    function update() {
      var t0 = (typeof performance !== "undefined") ? performance.now() : 0;
      var d = xy();
      var s = solve(d.X, d.y);
      var a = coords(s, st.phi0);
      var phi = flowAt(s, a, st.t);
      var lim = flowAt(s, a, Infinity);
      var L = lossOf(s, phi), Linf = lossOf(s, lim);
      if (lwin === null) { lwin = landscapeWindow(st.phi0, lim); }

      // landscape: x is the intercept, y the slope (increasing upward)
      var sx = linear(lwin.c[0], lwin.c[1], px0, px1);
      var sy = linear(lwin.s[0], lwin.s[1], py1, py0);
      drawAxes(pl, sx, sy, ticks(lwin.c[0], lwin.c[1], 5), ticks(lwin.s[0], lwin.s[1], 5));
      var key = JSON.stringify([st.points, lwin]);
      var span = Math.hypot(lwin.c[1] - lwin.c[0], lwin.s[1] - lwin.s[0]);
      if (key !== contourKey) {
        contourKey = key;
        // Levels equally spaced in sqrt(L - L_min): semi-axes r sqrt(2 / lambda_k).
        var corners = [[lwin.s[0], lwin.c[0]], [lwin.s[0], lwin.c[1]], [lwin.s[1], lwin.c[0]],
                       [lwin.s[1], lwin.c[1]]];
        var rmax = 0;
        corners.forEach(function (p) {
          var c = coords(s, [p[0] - lim[0], p[1] - lim[1]]);
          rmax = Math.max(rmax, Math.sqrt(0.5 * (s.lam[0] * c[0] * c[0] + s.lam[1] * c[1] * c[1])));
        });
        for (var j = 0; j < LEVELS; j++) {
          var r = rmax * (LEVELS - j) / LEVELS;
          var radii = s.lam.map(function (lam) {
            return lam > 0 ? Math.min(r * Math.sqrt(2 / lam), 50 * span) : 50 * span;
          });
          contours[j].setAttribute("d", r > 0 ? ellipsePath(lim, s, radii, sx, sy) : "");
        }
        for (var k = 0; k < 2; k++) {
          var v = s.V[k], e0 = [lim[0] - 3 * span * v[0], lim[1] - 3 * span * v[1]];
          var e1 = [lim[0] + 3 * span * v[0], lim[1] + 3 * span * v[1]];
          eig[k].setAttribute("d", polyline([[sx(e0[1]), sy(e0[0])], [sx(e1[1]), sy(e1[0])]]));
          // label where the direction leaves the window, on the side the path comes from
          var label = s.lam[k] > 0 ? (k ? "slow" : "fast") + " 1/λ = " + fmt(1 / s.lam[k], 2)
                                   : "λ = 0: never moves";
          var width = 6.3 * label.length; // about 11 px type
          var lx = clamp(sx(lim[1] + 0.35 * span * v[1] * (k ? 1 : -1)), px0 + 4, px1 - width - 2);
          var ly = clamp(sy(lim[0] + 0.35 * span * v[0] * (k ? 1 : -1)), py0 + 12, py1 - 4);
          eigLabels[k].setAttribute("x", lx.toFixed(1));
          eigLabels[k].setAttribute("y", ly.toFixed(1));
          eigLabels[k].textContent = label;
        }
      }
      // path: closed form at log-spaced times (no time stepping)
      var all = [], done = [];
      for (var i = 0; i <= PATH_TIMES; i++) {
        var ti = i === 0 ? 0 : T_MIN * Math.pow(T_MAX / T_MIN, (i - 1) / (PATH_TIMES - 1));
        var p = flowAt(s, a, ti), q = [sx(p[1]), sy(p[0])];
        all.push(q);
        if (ti <= st.t) { done.push(q); }
      }
      done.push([sx(phi[1]), sy(phi[0])]);
      pathAll.setAttribute("d", polyline(all));
      pathDone.setAttribute("d", polyline(done));
      now.setAttribute("cx", px(sx(phi[1])));
      now.setAttribute("cy", px(sy(phi[0])));
      // the crowd of starts N(phi0, v I) at time t: +-2 sd along each eigen-direction
      var keep = [flowFactor(s.lam[0], st.t)[0], flowFactor(s.lam[1], st.t)[0]];
      var sd = Math.sqrt(st.sigma_sq_p);
      crowd.setAttribute("d", ellipsePath(phi, s, [2 * sd * keep[0], 2 * sd * keep[1]], sx, sy));
      var sxl = sx(lim[1]), syl = sy(lim[0]), starD = "";
      if (isFinite(sxl) && isFinite(syl)) {
        for (var m = 0; m < 10; m++) {
          var ang = -Math.PI / 2 + m * Math.PI / 5, rr = m % 2 ? 3.2 : 8;
          starD += (m ? "L" : "M") + px(sxl + rr * Math.cos(ang)) + " " + px(syl + rr * Math.sin(ang));
        }
        starD += "Z";
      }
      star.setAttribute("d", starD);
      startG.setAttribute("transform", "translate(" + px(sx(st.phi0[1])) + " " + px(sy(st.phi0[0])) + ")");
      startG.setAttribute("aria-label", "Start φ₀: slope " + fmt(st.phi0[0]) + ", intercept " +
                          fmt(st.phi0[1]) + ". Arrow keys move it.");

      // descent (heavy ball when beta > 0): iterates k = 0 .. floor(t / lr), each in closed form
      var K = Math.floor(st.t / st.lr + 1e-9);
      var ks = [];
      if (K + 1 <= MAX_ITERATES) {
        for (var kk = 0; kk <= K; kk++) { ks.push(kk); }
      } else {
        for (var kq = 0; kq < MAX_ITERATES; kq++) {
          var kv = Math.round(Math.pow(K + 1, kq / (MAX_ITERATES - 1))) - 1;
          if (!ks.length || kv > ks[ks.length - 1]) { ks.push(kv); }
        }
      }
      var gdPts = [], gdPhi = st.phi0, dots = "";
      if (st.show_descent) {
        ks.forEach(function (kk) {
          var g = heavyBallAt(s, a, st.lr, st.beta, kk), q = [sx(g[1]), sy(g[0])];
          gdPts.push(q);
          gdPhi = g;
          if (isFinite(q[0]) && isFinite(q[1]) && Math.abs(q[0]) < BIG && Math.abs(q[1]) < BIG) {
            dots += "M" + (q[0] - 2.2).toFixed(1) + " " + (q[1] - 2.2).toFixed(1) + "h4.4v4.4h-4.4Z";
          }
        });
      }
      gdLine.setAttribute("d", st.show_descent ? polyline(gdPts) : "");
      gdDots.setAttribute("d", dots);
      var gdLoss = lossOf(s, gdPhi);

      // fitted line and residuals
      var fx = linear(win.x[0], win.x[1], px0, px1), fy = linear(win.y[0], win.y[1], py1, py0);
      drawAxes(pf, fx, fy, ticks(win.x[0], win.x[1], 5), ticks(win.y[0], win.y[1], 5));
      var line = function (ph) {
        return polyline([[fx(win.x[0]), fy(ph[0] * win.x[0] + ph[1])],
                         [fx(win.x[1]), fy(ph[0] * win.x[1] + ph[1])]]);
      };
      fitLine.setAttribute("d", line(phi));
      limitLine.setAttribute("d", line(lim));
      gdFit.setAttribute("d", st.show_descent ? line(gdPhi) : "");
      var res = residualsOf(s, phi);
      st.points.forEach(function (p, i) {
        var e = pointEls[i];
        if (!e) { return; }
        e.g.setAttribute("transform", "translate(" + px(fx(p[0])) + " " + px(fy(p[1])) + ")");
        e.g.setAttribute("aria-label", "Data point " + (i + 1) + " at x " + fmt(p[0]) + ", y " +
                         fmt(p[1]) + ", residual " + fmt(res[i]) + ". Arrow keys move it, " +
                         "Delete removes it.");
        e.g.classList.toggle("gl-selected", i === st.selected);
        e.resid.setAttribute("d", polyline([[fx(p[0]), fy(p[1])], [fx(p[0]), fy(p[1] + res[i])]]));
      });

      // residuals over time
      var times = [], rmaxAbs = 0;
      for (var n = 0; n < PATH_TIMES; n++) {
        times.push(T_MIN * Math.pow(T_MAX / T_MIN, n / (PATH_TIMES - 1)));
      }
      var curves = st.points.map(function () { return []; });
      times.forEach(function (tn) {
        var r = residualsOf(s, flowAt(s, a, tn));
        r.forEach(function (ri, i) { curves[i].push(ri); rmaxAbs = Math.max(rmaxAbs, Math.abs(ri)); });
      });
      res.forEach(function (ri) { rmaxAbs = Math.max(rmaxAbs, Math.abs(ri)); });
      var rtop = niceStep(rmaxAbs * 1.1 || 1, 1);
      while (rtop < rmaxAbs * 1.05) { rtop += niceStep(rtop, 4); }
      var tx = logScale(T_MIN, T_MAX, px0, px1), ry = linear(-rtop, rtop, py1, py0);
      var tt = [0.01, 0.1, 1, 10, 100, 1000].map(function (v) {
        var o = Number(v); return o;
      });
      drawAxes(pr, tx, ry, tt, ticks(-rtop, rtop, 4));
      zeroLine.setAttribute("d", polyline([[px0, ry(0)], [px1, ry(0)]]));
      var tpx = tx(Math.max(st.t, T_MIN));
      tLine.setAttribute("d", polyline([[tpx, py0], [tpx, py1]]));
      var gdRes = st.show_descent ? ks.filter(function (kk) { return kk * st.lr >= T_MIN; })
        .slice(-80).map(function (kk) {
          return [kk * st.lr, residualsOf(s, heavyBallAt(s, a, st.lr, st.beta, kk))];
        }) : [];
      st.points.forEach(function (p, i) {
        var e = pointEls[i];
        if (!e) { return; }
        e.curve.setAttribute("d", polyline(times.map(function (tn, n) {
          return [tx(tn), ry(curves[i][n])];
        })));
        e.dot.setAttribute("transform", "translate(" + px(tpx) + " " + px(ry(res[i])) + ")");
        var gd = "";
        gdRes.forEach(function (g) {
          var qx = tx(g[0]), qy = ry(g[1][i]);
          if (isFinite(qy) && Math.abs(qy) < BIG) {
            gd += "M" + (qx - 2).toFixed(1) + " " + (qy - 2).toFixed(1) + "h4v4h-4Z";
          }
        });
        e.gd.setAttribute("d", gd);
        e.pred.setAttribute("transform", "translate(" + px(fx(p[0])) + " " + px(fy(p[1])) + ")");
      });

      // predictions over random starts N(phi0, sigma_sq_p I): mean and +-2 sd
      drawAxes(pp, fx, fy, ticks(win.x[0], win.x[1], 5), ticks(win.y[0], win.y[1], 5));
      var xs = [], ones = [];
      for (var b = 0; b <= 48; b++) { xs.push(win.x[0] + (win.x[1] - win.x[0]) * b / 48); ones.push(1); }
      var spread = spreadAt(s, a, st.t, st.sigma_sq_p, xs, ones);
      var upper = [], lower = [];
      xs.forEach(function (xv, b) {
        var h = 2 * Math.sqrt(spread.variance[b]);
        upper.push([fx(xv), fy(spread.mean[b] + h)]);
        lower.unshift([fx(xv), fy(spread.mean[b] - h)]);
      });
      band.setAttribute("d", polyline(upper.concat(lower)) + "Z");
      meanLine.setAttribute("d", polyline(xs.map(function (xv, b) { return [fx(xv), fy(spread.mean[b])]; })));
      var half = 2 * Math.sqrt(spreadAt(s, a, st.t, st.sigma_sq_p, [0.5], [1]).variance[0]);
      setText(keysP.band, "± 2 sd over starts N(φ₀, " + fmt(st.sigma_sq_p, 3) + " I)");
      var hb = st.beta > 0 ? "heavy ball" : "descent";
      setText(keysL.gd, hb + " φₖ");
      setText(keysF.gd, hb + "'s line");
      setText(keysR.gd, hb + " at t = k·lr");
      [keysL, keysF, keysR].forEach(function (keys) {
        setStyle(keys.gd.parentNode, "display", st.show_descent ? "" : "none");
      });

      // numbers
      var lamMax = s.lam[0], lamMin = s.lam[1];
      var reg = regime(st.lr, st.beta, lamMax);
      setText(numberCells.t, fmt(st.t, 3));
      setText(numberCells.loss, fmt(L, 6));
      setText(numberCells.limit, fmt(Linf, 6));
      setText(numberCells.lam, fmt(lamMax, 4) + ", " + fmt(lamMin, 4));
      setText(numberCells.tau, (lamMax > 0 ? fmt(1 / lamMax, 3) : "∞") + ", " +
                             (lamMin > 0 ? fmt(1 / lamMin, 3) : "∞ (λmin = 0)"));
      var method = st.beta > 0 ? "heavy ball, β " + fmt(st.beta, 2) + ", " : "";
      setText(numberCells.gd, st.show_descent
        ? method + K + " steps of lr " + fmt(st.lr, 3) + ": loss " + fmt(gdLoss, 6) + "; " +
          reg.text
        : "hidden; " + reg.text);
      var diverging = st.show_descent && reg.diverges;
      [pl, pr].forEach(function (panel) {
        setText(panel.warn, !diverging ? "" : "⚠ " + (st.beta > 0 ? "heavy ball" : "descent") +
          " diverges: lr > " + (st.beta > 0 ? "2(1+β)" : "2") + "/λmax");
        setStyle(panel.warnBox, "display", diverging ? "" : "none");
      });
      root.classList.toggle("gl-diverged", diverging);
      setText(numberCells.bandw, fmt(half, 4));
      setText(time.out, "t = " + fmt(st.t, 3));
      setText(lr.out, "lr = " + fmt(st.lr, 4));
      setText(beta.out, "β = " + fmt(st.beta, 2));
      setText(prior.out, "σp² = " + fmt(st.sigma_sq_p, 3));
      // thresholds under the learning-rate slider: where the fast mode's roots stop being real
      // and positive, (1 - sqrt(beta))^2 / lambda_max, and where each mode diverges,
      // 2 (1 + beta) / lambda (descent's 1/lambda_max and 2/lambda at beta = 0)
      var b0 = st.beta === 0, rb = Math.sqrt(st.beta);
      placeMarks([[mark1, (1 - rb) * (1 - rb) / lamMax, b0 ? "1/λmax" : "(1−√β)²/λmax", true],
                  [mark2, 2 * (1 + st.beta) / lamMax, b0 ? "2/λmax" : "2(1+β)/λmax", false],
                  [mark3, 2 * (1 + st.beta) / lamMin, b0 ? "2/λmin" : "2(1+β)/λmin", false]]);
      removeBtn.disabled = st.selected < 0 || st.points.length <= 1;

      // the text alternative of each panel
      pl.desc.textContent = "Loss contours over intercept and slope. Start: slope " +
        fmt(st.phi0[0]) + ", intercept " + fmt(st.phi0[1]) + ". At t = " + fmt(st.t) +
        " the flow is at slope " + fmt(phi[0]) + ", intercept " + fmt(phi[1]) + "; its limit is " +
        "slope " + fmt(lim[0]) + ", intercept " + fmt(lim[1]) + "." +
        (st.show_descent ? (st.beta > 0 ? " Heavy ball with momentum " + fmt(st.beta, 2)
                                        : " Gradient descent") + " after " + K +
         " steps: slope " + fmt(gdPhi[0]) + ", intercept " + fmt(gdPhi[1]) + "; " + reg.text +
         "." : "");
      pf.desc.textContent = "The line y = " + fmt(phi[0]) + " x + " + fmt(phi[1]) + " at t = " +
        fmt(st.t) + " through " + st.points.length + " points; residuals " +
        res.map(function (r) { return fmt(r); }).join(", ") + "; loss " + fmt(L, 6) + ".";
      pr.desc.textContent = "Residual of each point over time t from 0.01 to 1000 on a log " +
        "scale; at t = " + fmt(st.t) + " they are " + res.map(function (r) { return fmt(r); }).join(", ") + ".";
      pp.desc.textContent = "Mean prediction and a band of two standard deviations over random " +
        "starts around φ₀ with variance " + fmt(st.sigma_sq_p) + "; at x = 0.5 the mean is " +
        fmt(phi[0] * 0.5 + phi[1]) + " and the half-width " + fmt(half) + ".";

      last = {t: st.t, loss: L, lossLimit: Linf, params: phi, limit: lim, eigenvalues: s.lam.slice(),
              descent: gdPhi, descentLoss: gdLoss, steps: K, halfWidth: half, lr: st.lr,
              beta: st.beta, diverges: reg.diverges,
              ms: (typeof performance !== "undefined") ? performance.now() - t0 : 0};
      return last;
    }

    function announce() {
      if (!last) { return; }
      live.textContent = "t " + fmt(last.t) + ", loss " + fmt(last.loss, 6) + ", slope " +
        fmt(last.params[0]) + ", intercept " + fmt(last.params[1]) + ".";
    }

    /* What a screen reader hears after the step or the momentum changed: the regime. */
    function announceSteps() {
      if (!last) { return; }
      live.textContent = "Learning rate " + fmt(last.lr, 4) + ", momentum " + fmt(last.beta, 2) +
        ": " + regime(last.lr, last.beta, last.eigenvalues[0]).text + ".";
    }

    // ---- dragging and keys
    var drag = null;
    function toView(svg, evt) {
      var pt = svg.createSVGPoint();
      pt.x = evt.clientX; pt.y = evt.clientY;
      var m = svg.getScreenCTM();
      return m ? pt.matrixTransform(m.inverse()) : pt;
    }

    function moveTo(kind, i, v, panelSvg) {
      if (kind === "start") {
        var sx = linear(lwin.c[0], lwin.c[1], px0, px1), sy = linear(lwin.s[0], lwin.s[1], py1, py0);
        st.phi0 = [sy.invert(clamp(v.y, py0, py1)), sx.invert(clamp(v.x, px0, px1))];
      } else {
        var fx = linear(win.x[0], win.x[1], px0, px1), fy = linear(win.y[0], win.y[1], py1, py0);
        st.points[i] = [fx.invert(clamp(v.x, px0, px1)), fy.invert(clamp(v.y, py0, py1))];
      }
      return panelSvg;
    }

    function attachDrag(g, kind, i) {
      var svg = kind === "start" ? pl.svg : pf.svg;
      g.addEventListener("pointerdown", function (evt) {
        evt.preventDefault();
        if (g.setPointerCapture) { try { g.setPointerCapture(evt.pointerId); } catch (e) { /* synthetic */ } }
        drag = {kind: kind, i: i};
        if (kind === "point") { st.selected = i; }
        g.focus({preventScroll: true});
        g.classList.add("gl-dragging");
      });
      // On touch, a finger that lands on a handle drags it and never scrolls the page.
      // Chrome ignores touch-action on SVG children, and touch-action on the whole panel
      // would stop the page from scrolling under any finger on it; a touchstart that is not
      // passive, cancelled on the handle alone, keeps the scroll everywhere else.
      g.addEventListener("touchstart", function (evt) {
        if (evt.cancelable) { evt.preventDefault(); }
      }, {passive: false});
      g.addEventListener("pointermove", function (evt) {
        if (!drag || drag.kind !== kind || drag.i !== i) { return; }
        moveTo(kind, i, toView(svg, evt), svg);
        if (kind === "point") { lwin = null; }
        update();
        save(false);
      });
      var end = function () {
        if (!drag || drag.kind !== kind || drag.i !== i) { return; }
        drag = null;
        g.classList.remove("gl-dragging");
        lwin = null;
        update();
        save(true);
        announce();
      };
      g.addEventListener("pointerup", end);
      g.addEventListener("pointercancel", end);
      g.addEventListener("lostpointercapture", end);
      g.addEventListener("focus", function () {
        if (kind === "point") { st.selected = i; removeBtn.disabled = st.points.length <= 1; update(); }
      });
      g.addEventListener("keydown", function (evt) {
        var step = evt.shiftKey ? 0.1 : 0.01, dx = 0, dy = 0;
        if (evt.key === "ArrowLeft") { dx = -step; } else if (evt.key === "ArrowRight") { dx = step; }
        else if (evt.key === "ArrowUp") { dy = step; } else if (evt.key === "ArrowDown") { dy = -step; }
        else if ((evt.key === "Delete" || evt.key === "Backspace") && kind === "point") {
          evt.preventDefault(); st.selected = i; removeSelected(); return;
        } else { return; }
        evt.preventDefault();
        var r3 = function (v) { return Math.round(v * 1000) / 1000; };
        if (kind === "start") {
          st.phi0 = [r3(st.phi0[0] + dy), r3(st.phi0[1] + dx)];
          lwin = landscapeWindow(st.phi0, spectrum(xy().X, xy().y, st.phi0).limit);
        } else {
          var p = st.points[i];
          st.points[i] = [r3(clamp(p[0] + dx, win.x[0], win.x[1])), r3(clamp(p[1] + dy, win.y[0], win.y[1]))];
          lwin = null;
        }
        update();
        save(true);
        announce();
      });
    }
    attachDrag(startG, "start", 0);

    function removeSelected() {
      if (st.selected < 0 || st.points.length <= 1) { return; }
      st.points.splice(st.selected, 1);
      st.selected = -1;
      rebuildPoints();
      lwin = null;
      update();
      save(true);
      live.textContent = "Point removed; " + st.points.length + " points left.";
    }

    // ---- controls
    time.input.addEventListener("input", function () {
      st.t = timeFromPos(+time.input.value);
      update();
      save(false);
    });
    time.input.addEventListener("change", function () { save(true); announce(); });
    lr.input.addEventListener("input", function () {
      st.lr = +logVal(+lr.input.value, LR_MIN, LR_MAX).toPrecision(4);
      update();
      save(false);
    });
    lr.input.addEventListener("change", function () { save(true); announceSteps(); });
    beta.input.addEventListener("input", function () {
      st.beta = +beta.input.value / BETA_STEPS;
      update();
      save(false);
    });
    beta.input.addEventListener("change", function () { save(true); announceSteps(); });
    polyak.addEventListener("click", function () {
      var lam = solve(xy().X, xy().y).lam.filter(function (l) { return l > 0; });
      if (!lam.length) { return; }
      var hi = Math.sqrt(lam[0]), lo = Math.sqrt(lam[lam.length - 1]);
      st.lr = clamp(4 / ((hi + lo) * (hi + lo)), LR_MIN, LR_MAX);
      st.beta = Math.pow((hi - lo) / (hi + lo), 2);
      st.show_descent = true;
      syncControls();
      update();
      save(true);
      announceSteps();
    });
    prior.input.addEventListener("input", function () {
      st.sigma_sq_p = +logVal(+prior.input.value, VAR_MIN, VAR_MAX).toPrecision(4);
      update();
      save(false);
    });
    prior.input.addEventListener("change", function () { save(true); });
    showBox.addEventListener("change", function () {
      st.show_descent = showBox.checked;
      update();
      save(true);
    });
    addBtn.addEventListener("click", function () {
      // a new point right of the others (wrapping inside the window), on the limit line
      var xs = st.points.map(function (p) { return p[0]; });
      var x = xs.length ? Math.max.apply(null, xs) + 0.15 : 0.5;
      if (x > win.x[1] - 0.05) { x = win.x[0] + 0.1 + 0.07 * (st.points.length % 10); }
      st.points.push([Math.round(x * 1000) / 1000, 0]);
      st.selected = st.points.length - 1;
      rebuildPoints();
      lwin = null;
      update();
      save(true);
      live.textContent = "Point added at x " + fmt(x) + ", y 0; " + st.points.length + " points.";
    });
    removeBtn.addEventListener("click", removeSelected);
    resetBtn.addEventListener("click", function () {
      var s0 = JSON.parse(JSON.stringify(initial));
      st.points = s0.points; st.phi0 = s0.phi0; st.t = s0.t; st.lr = s0.lr; st.beta = s0.beta;
      st.sigma_sq_p = s0.sigma_sq_p; st.selected = -1;
      win = dataWindow(st.points);
      lwin = null;
      rebuildPoints();
      syncControls();
      update();
      save(true);
      announce();
    });

    function stopPlay() {
      if (playing !== null) { cancelAnimationFrame(playing); playing = null; }
      play.textContent = "Play";
      play.setAttribute("aria-pressed", "false");
      save(true);
    }
    play.addEventListener("click", function () {
      if (playing !== null) { stopPlay(); return; }
      var pos = +time.input.value >= STEPS ? 0 : +time.input.value, prev = null;
      play.textContent = "Pause";
      play.setAttribute("aria-pressed", "true");
      var tick = function (ts) {
        if (prev !== null) { pos = Math.min(STEPS, pos + (ts - prev) * STEPS / 8000); }
        prev = ts;
        time.input.value = Math.round(pos);
        st.t = timeFromPos(pos);
        update();
        if (pos >= STEPS) { playing = null; stopPlay(); return; }
        playing = requestAnimationFrame(tick);
      };
      playing = requestAnimationFrame(tick);
    });

    rebuildPoints();
    syncControls();
    update();

    var stopWatching = watchBackToTop(root);
    var handle = {el: root, state: function () { return JSON.parse(JSON.stringify(st)); },
                  update: update, last: function () { return last; }};
    instances.push(handle);
    root.gflowLive = handle;
    return function cleanup() {
      if (playing !== null) { cancelAnimationFrame(playing); }
      stopWatching();
      handlers.forEach(function (h) { model.off(h[0], h[1]); });
      var at = instances.indexOf(handle);
      if (at >= 0) { instances.splice(at, 1); }
    };
  }

  /*
   * The book theme's "Back to top" button (#pst-back-to-top, fixed at 90 % of the screen's
   * height, 2.5 rem tall) would cover a panel: while an explorer crosses that band, the page's
   * root element has the class gflow-live-under-button, and explorer.css hides the button.
   */
  var under = [];
  function watchBackToTop(root) {
    if (typeof IntersectionObserver === "undefined" || typeof document === "undefined") {
      return function () {};
    }
    var mark = function () {
      document.documentElement.classList.toggle("gflow-live-under-button", under.length > 0);
    };
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        var at = under.indexOf(root);
        if (e.isIntersecting && at < 0) { under.push(root); }
        if (!e.isIntersecting && at >= 0) { under.splice(at, 1); }
      });
      mark();
    }, {rootMargin: "-88% 0px -2% 0px"});
    observer.observe(root);
    return function () {
      observer.disconnect();
      var at = under.indexOf(root);
      if (at >= 0) { under.splice(at, 1); }
      mark();
    };
  }

  /* A stand-in for anywidget's model on a static page: the same get/set/on/off. */
  function localModel(state) {
    var data = {}, listeners = {};
    Object.keys(state || {}).forEach(function (k) { data[k] = state[k]; });
    return {
      get: function (k) { return data[k]; },
      set: function (k, v) {
        data[k] = v;
        (listeners["change:" + k] || []).slice().forEach(function (f) { f(); });
      },
      save_changes: function () {},
      on: function (ev, f) { (listeners[ev] = listeners[ev] || []).push(f); },
      off: function (ev, f) {
        var list = listeners[ev] || [], at = list.indexOf(f);
        if (at >= 0) { list.splice(at, 1); }
      }
    };
  }

  /** Mount an explorer on `el` of a static page; state as the widget's synced traits. */
  function mount(target, state) {
    var model = localModel(defaults(state));
    render({model: model, el: target});
    return model;
  }

  /** Mount on the element right before `script` (the page's inline script), once. */
  function mountBefore(script) {
    var target = script && script.previousElementSibling;
    while (target && !target.hasAttribute("data-gflow-live")) { target = target.previousElementSibling; }
    if (!target || target.getAttribute("data-gflow-mounted")) { return null; }
    target.setAttribute("data-gflow-mounted", "1");
    var state = JSON.parse(target.getAttribute("data-gflow-live") || "{}");
    var holder = document.createElement("div");
    target.innerHTML = "";
    target.appendChild(holder);
    return mount(holder, state);
  }

  var api = {
    version: VERSION,
    params: params,
    descent: descent,
    heavyBall: heavyBall,
    loss: loss,
    prediction: prediction,
    spectrum: spectrum,
    render: render,
    mount: mount,
    mountBefore: mountBefore,
    instances: instances,
    widget: {render: render}
  };
  return api;
})();

if (typeof window !== "undefined" && !window.gflowLive) { window.gflowLive = gflowLive; }
if (typeof module !== "undefined" && module.exports) { module.exports = gflowLive; }
