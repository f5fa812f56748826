"""Feedback for the coding exercise of the chapter on deep linear networks:
``mode_strength(s, u0, t)``, each mode's strength over time in a two-layer linear network from a
balanced start, with :func:`~gflow_lib.deep_linear_strength` as the reference."""

from __future__ import annotations

import numpy as np

from .. import _docs
from ..deep_linear import deep_linear_strength
from .harness import Case, Check, CheckResult, Mistake, run_check

__all__ = ["MODE_STRENGTH", "check_mode_strength"]


def _logistic(s, u0, t, rate=2.0, start=None):
    """s e^{r s t} / (e^{r s t} - 1 + s / u0), as a learner would write it (s > 0, no overflow)."""
    e = np.exp(rate * np.outer(t, s))
    return s * e / (e - 1 + (s / u0 if start is None else start(s, u0)))


def _case(s, u0, t):
    return np.array(s, dtype=float), float(u0), np.array(t, dtype=float)


def _random(K, T, seed):
    rng = np.random.default_rng(seed)
    return _case(np.sort(rng.uniform(0.3, 3.0, K))[::-1], 0.02, np.sort(rng.uniform(0, 5, T)))


_RETURN = "return the strength u(t) itself, shape (T, K): one row per time, one column per mode."

MODE_STRENGTH = Check(
    "mode_strength(s, u0, t)", "mode_strength", "one row per time and one column per mode, (T, K)",
    (Case("the chapter's three modes (s = 3, 2, 0.5, u0 = 1e-3), six times",
          lambda: _case([3.0, 2.0, 0.5], 1e-3, np.linspace(0, 8, 6))),
     Case("one mode (s = 0.4) starting above its value, four times",
          lambda: _case([0.4], 1.5, [0.0, 0.5, 1.0, 3.0])),
     Case("four random modes, u0 = 0.02, seven times", lambda: _random(4, 7, 22))),
    lambda s, u0, t: deep_linear_strength(s, u0, t),
    (Mistake("rate s", lambda s, u0, t: _logistic(s, u0, t, rate=1.0),
             "your curves rise at half the speed: with u = a^2 on a balanced mode, du/dt = "
             "2 a da/dt = 2u(s - u), so the exponent is 2st, not st."),
     Mistake("shallow", lambda s, u0, t: s + (u0 - s) * np.exp(-np.outer(t, np.ones_like(s))),
             "this is the shallow model W(t): every mode relaxes at rate one. The two-layer "
             "network's mode obeys du/dt = 2u(s - u), a logistic equation."),
     Mistake("lazy", lambda s, u0, t: s + (u0 - s) * np.exp(-2 * u0 * np.outer(t, np.ones_like(s))),
             "this is the network linearized at its start (its kernel frozen at 2 u0): the real "
             "kernel 2u(t) grows with the strength, du/dt = 2u(s - u)."),
     Mistake("u0 times s", lambda s, u0, t: _logistic(s, u0, t, start=lambda s, u0: s * u0),
             "the start enters as s / u0 in the denominator (at t = 0 the formula must give "
             "u0): e^{2st} - 1 + s / u0."),
     Mistake("fraction", lambda s, u0, t: _logistic(s, u0, t) / s,
             f"you returned the fraction u / s of each singular value; {_RETURN}"),
     Mistake("transposed", lambda s, u0, t: _logistic(s, u0, t).T,
             f"your array is transposed (modes by times); {_RETURN}")),
    hint="Check u(0) = u0 and u(t) -> s for large t, then the speed (the exponent 2st).",
    error_hint="s has shape (K,) and t shape (T,): np.outer(t, s) is (T, K).",
    no_library=True,
)


@_docs.fill
def check_mode_strength(mode_strength) -> CheckResult:
    r"""Check a learner's ``mode_strength(s, u0, t)`` that returns each mode's strength.
    Introduced in the exercises of the chapter on deep linear networks.

    .. math:: u(t) = \frac{s e^{2st}}{e^{2st} - 1 + s/u_0}

    Parameters
    ----------
    mode_strength : callable
        ``mode_strength(s, u0, t)`` with ``s`` (K,) singular values, ``u0`` float and ``t``
        (T,) times; returns an array (T, K).

    Returns
    -------
    %(check_result)s
        ``rate s``, ``shallow``, ``lazy``, ``u0 times s``, ``fraction``, ``transposed``.
    """
    return run_check(MODE_STRENGTH, mode_strength)
