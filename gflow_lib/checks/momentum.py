"""Feedback for the coding exercise of the chapter on momentum: heavy ball's filter, the
fraction of the way to the minimum each mode covers in k steps from rest, with
:class:`~gflow_lib.HeavyBall` as the reference. Every problem has a repeated root, where a
quotient by the difference of the roots is 0/0, and a mode with complex roots."""

from __future__ import annotations

import numpy as np

from .. import _docs
from ..data import running_example
from ..momentum import HeavyBall
from ..spectrum import Spectrum
from .harness import Case, Check, CheckResult, Mistake, run_check

__all__ = ["check_heavy_ball_gain"]


def _reference(lam, lr, beta, k):
    return HeavyBall(lr, beta)(lam, k).gain[0]


def _keep_loop(lam, lr, beta, k, previous=1.0):
    """p_k by the recursion, p_{-1} = ``previous`` (1: from rest), p_0 = 1."""
    q = lr * np.asarray(lam, dtype=float)
    prev, p = np.full_like(q, previous), np.ones_like(q)
    for _ in range(k):
        prev, p = p, (1 + beta - q) * p - beta * prev
    return p


def _roots(lam, lr, beta):
    """Half the sum of the roots, m, and m^2 - beta (0 at a repeated root, < 0 complex)."""
    m = 0.5 * (1 + beta - lr * np.asarray(lam, dtype=float))
    return m, m * m - beta


def _repeated_as_power(lam, lr, beta, k):
    """Right except at repeated roots z, where p_k = z^k (the k z^k term forgotten)."""
    m, disc = _roots(lam, lr, beta)
    return np.where(disc == 0, 1 - m**k, _reference(lam, lr, beta, k))


def _modulus_beta(lam, lr, beta, k):
    """Right except at complex roots, whose modulus sqrt(beta) is taken as beta."""
    m, disc = _roots(lam, lr, beta)
    rho = np.sqrt(beta)
    theta = np.arccos(np.clip(m / rho, -1.0, 1.0))

    def U(j):  # rho^j sin((j + 1) theta) / sin(theta), with beta^j for rho^j
        return beta**j * np.sin((j + 1) * theta) / np.where(disc < 0, np.sin(theta), 1.0)

    wrong = 1 - (U(k) - beta * U(k - 1))
    return np.where(disc < 0, wrong, _reference(lam, lr, beta, k))


_WHAT = "the fraction 1 - p_k(lam) of the way to phi_ML after k steps"

HEAVY_BALL_GAIN = Check(
    "heavy_ball_gain(lam, lr, beta, k)", "heavy_ball_gain", "one gain per eigenvalue, (r,)",
    (Case("the book's two eigenvalues, lr = 0.3, beta = 0.5, k = 7",
          lambda: (Spectrum(*running_example()[:2]).lam.copy(), 0.3, 0.5, 7)),
     Case("a repeated root (lr lam = (1 - sqrt(beta))^2 = 0.25 for lam = 1), lr = 0.25, "
          "beta = 0.25, k = 12", lambda: (np.array([1.0, 0.3, 5.0]), 0.25, 0.25, 12)),
     Case("both repeated roots (lr lam = (1 -+ sqrt(beta))^2) and ringing, lr = 1, "
          "beta = 0.5625, k = 20",
          lambda: (np.array([3.0625, 0.2, 1.0, 0.0625]), 1.0, 0.5625, 20))),
    _reference,
    (Mistake("keep", lambda lam, lr, beta, k: _keep_loop(lam, lr, beta, k),
             "you returned p_k, the fraction of the distance that is left; the gain is the "
             "fraction covered, 1 - p_k."),
     Mistake("descent", lambda lam, lr, beta, k: 1 - (1 - lr * lam) ** k,
             "your answer is plain gradient descent's, 1 - (1 - lr lam)^k: the momentum term "
             "beta (p_k - p_{k-1}) is missing."),
     Mistake("previous value zero", lambda lam, lr, beta, k: 1 - _keep_loop(lam, lr, beta, k, 0),
             "heavy ball starts at rest, phi_{-1} = phi_0, so p_{-1} = 1 and the first step is "
             "p_1 = 1 - lr lam; you took p_{-1} = 0 (p_1 = 1 + beta - lr lam)."),
     Mistake("one step too many", lambda lam, lr, beta, k: 1 - _keep_loop(lam, lr, beta, k + 1),
             "your answer is the gain after k + 1 steps: count p_0 = 1 as step 0."),
     Mistake("one step too few",
             lambda lam, lr, beta, k: 1 - _keep_loop(lam, lr, beta, max(k - 1, 0)),
             "your answer is the gain after k - 1 steps: count p_0 = 1 as step 0."),
     Mistake("repeated root as a power", _repeated_as_power,
             "where the two roots coincide (z1 = z2 = z), p_k is not z^k: the solution of the "
             "recursion there is (a + b k) z^k, and from rest p_k = z^k (1 + k (1 - z))."),
     Mistake("modulus beta", _modulus_beta,
             "where the roots are complex, their modulus is sqrt(beta) (their product is "
             "beta), so p_k shrinks like beta^(k/2), not beta^k.")),
    hint="Write the recursion p_{k+1} = (1 + beta - lr lam) p_k - beta p_{k-1} from rest "
         "(p_{-1} = p_0 = 1) and compare; where the two roots coincide, a quotient by their "
         "difference is 0/0: use the limit.",
    no_library=True,  # the learner's own formula, not the library's HeavyBall
)


@_docs.fill
def check_heavy_ball_gain(heavy_ball_gain) -> CheckResult:
    r"""Check a learner's ``heavy_ball_gain(lam, lr, beta, k)``, the gain
    :math:`1 - p_k(\lambda)` of heavy ball after k steps from rest, per eigenvalue.
    Introduced in the exercises of the chapter on momentum; each problem has a repeated root.

    Parameters
    ----------
    heavy_ball_gain : callable
        ``heavy_ball_gain(lam, lr, beta, k)`` with ``lam`` (r,), floats ``lr`` and
        ``beta`` (0 < beta < 1) and an int ``k`` >= 1; returns shape (r,).

    Returns
    -------
    %(check_result)s
        ``keep``, ``descent``, ``previous value zero``, ``one step too many``, ``one step
        too few``, ``repeated root as a power``, ``modulus beta``.
    """
    return run_check(HEAVY_BALL_GAIN, heavy_ball_gain)
