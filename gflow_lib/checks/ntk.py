"""Feedback for the coding exercises of the chapters on wide networks and on training them
in closed form: ``ntk_from_weights(W, v, x1, x2)``, the empirical NTK of the shallow network
(reference :func:`gflow_lib.network.empirical_ntk`; the learner's name differs so as not to
shadow it), and ``last_layer_outputs(W, v, beta, x, y, x_new, t)``, the outputs after gradient
flow of the last layer alone (reference :func:`gflow_lib.network.last_layer_flow`)."""

from __future__ import annotations

import numpy as np

from .. import _docs
from ..network import (
    ShallowParams,
    empirical_ntk,
    last_layer_features,
    last_layer_flow,
    linearized_flow,
    shallow_forward,
)
from .harness import Case, Check, CheckResult, Mistake, run_check

__all__ = ["EMPIRICAL_NTK", "LAST_LAYER", "check_empirical_ntk", "check_last_layer"]

X_BOOK, Y_BOOK = np.array([0.2, 0.4, 0.8]), np.array([-0.05, -0.2, 0.3])


def _net(D, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(D, 2)), rng.normal(size=D)


# ------------------------------------------------------------------------- empirical NTK
def _ntk_case(D, x1, x2, seed):
    W, v = _net(D, seed)
    return W, v, np.asarray(x1, dtype=float), np.asarray(x2, dtype=float)


def _reference_ntk(W, v, x1, x2):
    return empirical_ntk(ShallowParams(W, v, np.array(0.0)), x1, x2)


def _terms(W, v, x1, x2):
    """The mistakes' own pieces: (u.u', sum_j v_j^2 s s', sum_j relu relu), unscaled."""
    a1, a2 = np.outer(W[:, 0], x1) + W[:, 1:2], np.outer(W[:, 0], x2) + W[:, 1:2]
    s = ((a1 > 0) * v[:, None] ** 2).T @ (a2 > 0)
    r = np.maximum(a1, 0).T @ np.maximum(a2, 0)
    return np.outer(x1, x2) + 1.0, s, r


def _ntk_with(W, v, x1, x2, dot=None, s_scale=1.0, scale=None, bias=1.0, first=1.0, last=1.0):
    d, s, r = _terms(W, v, x1, x2)
    D = W.shape[0] if scale is None else scale
    d = d if dot is None else dot(x1, x2)
    return (first * d * s * s_scale + last * r) / D + bias


def _v_not_squared(W, v, x1, x2):
    a1, a2 = np.outer(W[:, 0], x1) + W[:, 1:2], np.outer(W[:, 0], x2) + W[:, 1:2]
    s = ((a1 > 0) * v[:, None]).T @ (a2 > 0)
    r = np.maximum(a1, 0).T @ np.maximum(a2, 0)
    return ((np.outer(x1, x2) + 1.0) * s + r) / W.shape[0] + 1.0


EMPIRICAL_NTK = Check(
    "ntk_from_weights(W, v, x1, x2)", "ntk_from_weights",
    "one kernel value per pair of inputs, (M1, M2)",
    (Case("the book's three points, D = 5", lambda: _ntk_case(5, X_BOOK, X_BOOK, 1)),
     Case("the book's points against four new inputs, D = 40",
          lambda: _ntk_case(40, X_BOOK, [-1.0, 0.0, 0.5, 2.0], 2)),
     Case("one hidden unit (D = 1)", lambda: _ntk_case(1, [0.3, -0.7], [0.1, 0.9, 1.5], 3)),
     Case("negative inputs, D = 200", lambda: _ntk_case(200, [-2.0, -0.5], [-1.0, 1.0], 4))),
    _reference_ntk,
    (Mistake("no bias gradient", lambda W, v, x1, x2: _ntk_with(W, v, x1, x2, bias=0.0),
             "The output bias is missing: df/dbeta = 1 for every input, so it adds 1 to every "
             "entry of the kernel."),
     Mistake("no 1/D", lambda W, v, x1, x2: _ntk_with(W, v, x1, x2, scale=1.0),
             "The sum over hidden units is not divided by D. Each gradient carries the factor "
             "1/sqrt(D) of the NTK parameterization, so their products carry 1/D (the "
             "kernel is an average over the units)."),
     Mistake("1/sqrt(D)",
             lambda W, v, x1, x2: _ntk_with(W, v, x1, x2, scale=np.sqrt(W.shape[0])),
             "You divided by sqrt(D) once, but the kernel is a product of two gradients, each "
             "with a factor 1/sqrt(D): divide the sum by D."),
     Mistake("last layer only", lambda W, v, x1, x2: _ntk_with(W, v, x1, x2, first=0.0),
             "Only the output weights' gradients are there: ReLU(w.u) ReLU(w.u') / D + 1 is "
             "the last layer's kernel. The first-layer weights add "
             "(u.u') v_j^2 step(w.u) step(w.u') / D."),
     Mistake("first layer only", lambda W, v, x1, x2: _ntk_with(W, v, x1, x2, last=0.0),
             "The output weights' gradients ReLU(w_j.u) / sqrt(D) are missing: add "
             "ReLU(w.u) ReLU(w.u') / D to the first layer's term."),
     Mistake("x x' for u.u'",
             lambda W, v, x1, x2: _ntk_with(W, v, x1, x2, dot=np.outer),
             "The first-layer term needs u.u' = x x' + 1: the weight w_j1 that multiplies the "
             "constant input 1 is a parameter too."),
     Mistake("v not squared", _v_not_squared,
             "The derivative of f by w_j carries v_j, and the kernel multiplies two of them: "
             "use v_j ** 2 (your kernel can even be negative).")),
    hint="Check the formula (u.u') sum_j v_j^2 s_j(x) s_j(x') / D + sum_j ReLU(w_j.u) "
         "ReLU(w_j.u') / D + 1, with s_j the step of w_j.u.",
    error_hint="W has shape (D, 2): column 0 multiplies x, column 1 the constant 1, so the "
               "pre-activations are W[:, :1] * x + W[:, 1:] of shape (D, M).",
    no_library=True,  # the learner's own NumPy, not the library's function
)


@_docs.fill
def check_empirical_ntk(ntk_from_weights) -> CheckResult:
    r"""Check the learner's ``ntk_from_weights(W, v, x1, x2)``: the empirical NTK.
    Introduced in the exercises of the chapter on wide networks.

    Parameters
    ----------
    ntk_from_weights : callable
        ``(W (D, 2), v (D,), x1 (M1,), x2 (M2,)) -> (M1, M2)``, the shallow network's NTK.

    Returns
    -------
    %(check_result)s
        ``no bias gradient``, ``no 1/D``, ``1/sqrt(D)``, ``last layer only``, ``first layer only``,
        ``x x' for u.u'``, ``v not squared``.
    """
    return run_check(EMPIRICAL_NTK, ntk_from_weights)


# ---------------------------------------------------------------------- last layer only
def _last_case(D, x, y, x_new, t, seed, beta=0.0):
    W, v = _net(D, seed)
    return (W, v, float(beta), np.asarray(x, dtype=float), np.asarray(y, dtype=float),
            np.asarray(x_new, dtype=float), float(t))


def _params(W, v, beta):
    return ShallowParams(W, v, np.array(beta))


def _reference_last(W, v, beta, x, y, x_new, t):
    p = _params(W, v, beta)
    return last_layer_flow(p, x, y).predict(last_layer_features(p, x_new), t)


def _features(W, x, sqrt_d=True, ones=True):
    F = np.maximum(np.outer(W[:, 0], x) + W[:, 1:2], 0.0)
    if sqrt_d:
        F = F / np.sqrt(W.shape[0])
    return np.vstack([F, np.ones((1, x.size))]) if ones else F


def _linear_flow(F, Fn, y, phi0, t):
    """Gradient flow of the linear model F^T phi from phi0, at Fn: by the kernel F^T F."""
    K = F.T @ F
    lam, U = np.linalg.eigh(K)
    g = np.where(lam > 1e-12 * lam.max(), -np.expm1(-lam * t) / np.where(lam > 0, lam, 1), 0.0)
    r0 = F.T @ phi0 - y
    return Fn.T @ phi0 - (Fn.T @ F) @ (U @ (g * (U.T @ r0)))


def _no_bias(W, v, beta, x, y, x_new, t):
    """beta left out of training: features without the row of ones."""
    F, Fn = _features(W, x, ones=False), _features(W, x_new, ones=False)
    return _linear_flow(F, Fn, y - beta, v, t) + beta


def _no_sqrt_d(W, v, beta, x, y, x_new, t):
    F, Fn = _features(W, x, sqrt_d=False), _features(W, x_new, sqrt_d=False)
    return _linear_flow(F, Fn, y, np.append(v, beta), t)


def _all_layers(W, v, beta, x, y, x_new, t):
    return linearized_flow(_params(W, v, beta), x, y).predict(x_new, t)


def _from_zero(W, v, beta, x, y, x_new, t):
    """The last layer trained from (v, beta) = 0: the start forgotten."""
    F, Fn = _features(W, x), _features(W, x_new)
    return _linear_flow(F, Fn, y, np.zeros(F.shape[0]), t)


def _untrained(W, v, beta, x, y, x_new, t):
    return shallow_forward(_params(W, v, beta), x_new)


def _limit(W, v, beta, x, y, x_new, t):
    return _reference_last(W, v, beta, x, y, x_new, 1e12)


LAST_LAYER = Check(
    "last_layer_outputs(W, v, beta, x, y, x_new, t)", "last_layer_outputs",
    "one output per new input, (M,)",
    (Case("the book's data, D = 5, t = 2",
          lambda: _last_case(5, X_BOOK, Y_BOOK, [0.0, 0.5, 1.0], 2.0, 1)),
     Case("the book's data, D = 50, t = 0.3, beta = 0.4",
          lambda: _last_case(50, X_BOOK, Y_BOOK, [-0.5, 0.3, 0.6, 1.2], 0.3, 2, beta=0.4)),
     Case("five points, D = 8, t = 10",
          lambda: _last_case(8, [-1.0, -0.2, 0.4, 0.9, 1.3], [0.3, -0.1, 0.2, 0.5, -0.4],
                             [0.0, 2.0], 10.0, 3, beta=-0.2)),
     Case("the book's data, D = 200, t = 1",
          lambda: _last_case(200, X_BOOK, Y_BOOK, [0.1, 0.7], 1.0, 4))),
    _reference_last,
    (Mistake("all layers", _all_layers,
             "You trained every layer (the linearized network with the full NTK). Here W "
             "stays where it started: only v and beta move, so the kernel is the last "
             "layer's, F^T F with F = (ReLU(W u) / sqrt(D), 1)."),
     Mistake("untrained", _untrained,
             "Your outputs are the network at its start: nothing was trained. After time t "
             "the last layer has moved along -F (F^T phi - y)."),
     Mistake("limit", _limit,
             "Your answer does not depend on t: it is the t -> infinity limit. At time t "
             "each mode of F^T F has learned only the fraction 1 - exp(-lambda t)."),
     Mistake("no bias feature", _no_bias,
             "The output bias beta is a parameter of the last layer too: add a row of ones "
             "to the features, so that beta is trained with v."),
     Mistake("no 1/sqrt(D)", _no_sqrt_d,
             "The features are ReLU(W u) / sqrt(D): the network divides the sum over hidden "
             "units by sqrt(D), and the features must too."),
     Mistake("start forgotten", _from_zero,
             "You trained the last layer from zero: the flow starts at the network's own "
             "(v, beta), so phi0 = (v, beta), the residuals start at F^T phi0 - y, and the "
             "outputs at x_new start at the network's outputs there."),
     Mistake("time doubled",
             lambda W, v, beta, x, y, x_new, t: _reference_last(W, v, beta, x, y, x_new, 2 * t),
             "Your outputs are those at time 2t: each mode of F^T F moves with "
             "exp(-lambda t); exp(-2 lambda t) is what the LOSS carries (a square).")),
    hint="The last layer is a linear model with features F = (ReLU(W u) / sqrt(D), 1) and "
         "parameters (v, beta): use the closed-form flow of the earlier chapters from that "
         "start.",
    error_hint="W has shape (D, 2) and the features F have shape (D + 1, I): one column per "
               "input, the row of ones last.",
    # the exercise builds on the library's flow (LinearFlow), not on its last-layer answer
    forbidden=("gflow_lib.network.last_layer_flow", "gflow_lib.network.last_layer_features"),
)


@_docs.fill
def check_last_layer(last_layer_outputs) -> CheckResult:
    r"""Check the learner's ``last_layer_outputs(W, v, beta, x, y, x_new, t)``.
    Introduced in the exercises of the chapter on training wide networks in closed form.

    Parameters
    ----------
    last_layer_outputs : callable
        ``(W (D, 2), v (D,), beta float, x (I,), y (I,), x_new (M,), t float) -> (M,)``,
        the network's outputs at ``x_new`` after gradient flow of ``(v, beta)`` only.

    Returns
    -------
    %(check_result)s
        ``all layers``, ``untrained``, ``limit``, ``no bias feature``, ``no 1/sqrt(D)``, ``start
        forgotten``, ``time doubled``.
    """
    return run_check(LAST_LAYER, last_layer_outputs)
