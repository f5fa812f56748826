r"""Feedback for the coding exercise of the chapter on exploring the flow in time: the loss of
every frame from the stored residuals.

Introduced in the exercises of the chapter on exploring the flow in time.
"""

from __future__ import annotations

import numpy as np

from ..data import seed_data
from ..flow import LinearFlow
from ._common import close

__all__ = ["check_frame_losses"]

_OK = "Correct: "
_NO = "Not yet: "


def _problems():
    """Residual arrays (T, I): the book's flow on 40 frames, a square array (T = I, where
    summing over the wrong axis still gives the right shape) and a wide one (T < I)."""
    X, y, phi0 = seed_data()
    t = np.concatenate([[0.0], np.geomspace(0.01, 20.0, 39)])
    rng = np.random.default_rng(11)
    return [LinearFlow(X, y, phi0).residuals(t), rng.normal(size=(5, 5)),
            rng.normal(size=(2, 6))]


def _mistakes(r):
    """What common slips produce from residuals ``r`` (T, I), with the feedback naming each."""
    sq = r**2
    return [
        (sq.sum(axis=1), "the one half is missing: the loss is one half of the sum of squared "
         "residuals, L = (1/2) sum_i r_i^2."),
        (0.5 * sq.mean(axis=1), "you averaged over the data points; the book's loss sums "
         "them (then halves)."),
        (0.5 * sq.sum(axis=0), "you summed over time (axis 0) instead of over the data points: "
         "the rows of the residual array are frames, its columns are data points, so sum "
         "along axis=1."),
        (0.5 * r.sum(axis=1) ** 2, "you squared the sum of the residuals; square each residual "
         "first, then sum (residuals of opposite signs must not cancel)."),
        (0.5 * np.abs(r).sum(axis=1), "the residuals are not squared: you summed their sizes."),
        (0.5 * np.sqrt(sq.sum(axis=1)), "you halved the length of the residual vector; the "
         "loss is one half of its SQUARED length."),
        (0.5 * sq, "you returned one value per frame and data point; sum over the data points to "
         "get one loss per frame."),
        (np.full(r.shape[0], 0.5 * sq.sum()), "every frame got the same number: you summed "
         "over the whole array; sum over the data points only (axis=1)."),
    ]


def _close(a, b):
    return close(a, b, rtol=1e-9, atol=1e-12)


def check_frame_losses(frame_losses) -> str:
    r"""Check a learner's ``frame_losses(residuals)``: the loss of every frame at once.

    Introduced in the exercises of the chapter on exploring the flow in time.

    .. math::

        L(t_k) = \tfrac12 \sum_{i=1}^{I} r_i(t_k)^2, \qquad k = 0, \dots, T-1

    Parameters
    ----------
    frame_losses : callable
        ``frame_losses(residuals)`` with ``residuals`` of shape (T, I) (one row per frame, one
        column per data point); returns an array of shape (T,).

    Returns
    -------
    str
        Starts with "Correct:" or "Not yet:"; names the mistake when it recognizes one
        (one half missing, mean instead of sum, wrong axis, square of the sum, no square,
        norm not squared, no sum, sum over everything). Never shows the expected numbers.
    """
    if not callable(frame_losses):
        return f"{_NO}pass your function itself (got {type(frame_losses).__name__})."
    problems = _problems()
    outs = []
    for r in problems:
        try:
            out = frame_losses(r.copy())
        except NotImplementedError:
            return f"{_NO}the function still raises NotImplementedError; write its body."
        except Exception as exc:  # the learner's code may fail in any way
            return f"{_NO}your function raised {type(exc).__name__}: {exc}."
        try:
            outs.append(np.asarray(out, dtype=float))
        except (TypeError, ValueError):
            return f"{_NO}your function returned {type(out).__name__}, not numbers."
    refs = [0.5 * np.sum(r**2, axis=1) for r in problems]
    if all(_close(o, w) for o, w in zip(outs, refs, strict=True)):
        return f"{_OK}one loss per frame, right on all {len(refs)} test arrays."
    n_mistakes = len(_mistakes(problems[0]))
    for j in range(n_mistakes):
        wrong = [_mistakes(r)[j] for r in problems]
        if all(_close(o, w) for o, (w, _) in zip(outs, wrong, strict=True)):
            return f"{_NO}{wrong[0][1]}"
    for k, (o, w) in enumerate(zip(outs, refs, strict=True)):
        if o.shape != w.shape:
            return (f"{_NO}for a residual array of shape {problems[k].shape} your function "
                    f"returned shape {o.shape}; expected one number per frame, shape {w.shape}.")
    bad = [k + 1 for k, (o, w) in enumerate(zip(outs, refs, strict=True)) if not _close(o, w)]
    return (f"{_NO}the losses differ from the reference on test array(s) {bad} (array 1 holds "
            "the book's frames). Check each step against the equation.")
