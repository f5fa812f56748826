"""Feedback for the coding exercise of the chapter on exploring the flow in time: the loss of
every frame from the stored residuals (of :class:`~gflow_lib.LinearFlow`)."""

from __future__ import annotations

import numpy as np

from .. import LinearFlow, _docs
from ..data import running_example
from .harness import Case, Check, CheckResult, Mistake, run_check

__all__ = ["check_frame_losses"]


def _frames():
    t = np.concatenate([[0.0], np.geomspace(0.01, 20.0, 39)])
    return (LinearFlow(*running_example()).residuals(t),)


_AXIS = "sum over the data points only (axis=1)"

FRAME_LOSSES = Check(
    "frame_losses(residuals)", "frame_losses", "one loss per frame, (T,)",
    (Case("the book's 40 frames (T = 40, I = 3)", _frames),
     # T = I: summing over the wrong axis gives the right shape; then T < I
     Case("a square array (T = I = 5)", lambda: (np.random.default_rng(11).normal(size=(5, 5)),)),
     Case("a wide array (T = 2, I = 6)", lambda: (np.random.default_rng(12).normal(size=(2, 6)),))),
    lambda r: 0.5 * np.einsum("ti,ti->t", r, r),  # the definition: no library function needed
    (Mistake("no half", lambda r: np.sum(r**2, axis=1),
             "the one half is missing: the loss is one half of the sum of squared residuals, "
             "L = (1/2) sum_i r_i^2."),
     Mistake("mean", lambda r: 0.5 * np.mean(r**2, axis=1),
             "you averaged over the data points; the book's loss sums them (then halves)."),
     Mistake("wrong axis", lambda r: 0.5 * np.sum(r**2, axis=0),
             "you summed over time (axis 0) instead of over the data points: the rows of the "
             "residual array are frames, its columns are data points, so sum along axis=1."),
     Mistake("square of sum", lambda r: 0.5 * np.sum(r, axis=1) ** 2,
             "you squared the sum of the residuals; square each residual first, then sum "
             "(residuals of opposite signs must not cancel)."),
     Mistake("no square", lambda r: 0.5 * np.sum(np.abs(r), axis=1),
             "the residuals are not squared: you summed their sizes."),
     Mistake("norm", lambda r: 0.5 * np.linalg.norm(r, axis=1),
             "you halved the length of the residual vector; the loss is one half of its "
             "SQUARED length."),
     Mistake("no sum", lambda r: 0.5 * r**2,
             f"you returned one value per frame and data point; {_AXIS}."),
     Mistake("sum all", lambda r: np.full(len(r), 0.5 * np.sum(r**2)),
             f"every frame got the same number: you summed over the whole array; {_AXIS}."),
     Mistake("mean no half", lambda r: np.mean(r**2, axis=1),
             "you took the mean of the squared residuals; the book's loss is one half of "
             "their SUM: 0.5 * np.sum(r**2, axis=1).")),
    hint="Check each step against the equation.",
    no_library=True,  # the learner's own NumPy, not the library's function
)


@_docs.fill
def check_frame_losses(frame_losses) -> CheckResult:
    r"""Check a learner's ``frame_losses(residuals)``: the loss of every frame at once.
    Introduced in the exercises of the chapter on exploring the flow in time.

    .. math:: L(t_k) = \tfrac12 \sum_{i=1}^{I} r_i(t_k)^2, \qquad k = 0, \dots, T-1

    Parameters
    ----------
    frame_losses : callable
        ``frame_losses(residuals)`` with ``residuals`` of shape (T, I) (one row per frame, one
        column per data point); returns an array of shape (T,).

    Returns
    -------
    %(check_result)s
        ``no half``, ``mean``, ``wrong axis``, ``square of sum``, ``no square``, ``norm``, ``no
        sum``, ``sum all``, ``mean no half``.
    """
    return run_check(FRAME_LOSSES, frame_losses)
