"""Feedback of the heavy-ball exercise (issue 20): accepts correct answers written in several
ways, names typical mistakes written here independently of the check's table, and its
problems (visible and hidden) hold what the exercise promises: exact repeated roots, where a
difference quotient is 0/0, and complex roots. What every check shares is tested in
test_checks_harness.py, the hidden problems of every check in test_hidden.py."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from gflow_lib.checks import check_heavy_ball_gain, grading
from gflow_lib.checks.hidden import HIDDEN
from gflow_lib.checks.momentum import HEAVY_BALL_GAIN

mp.mp.dps = 40
NAME = "check_heavy_ball_gain"


def by_recursion(lam, lr, beta, k):
    p_prev = p = np.ones_like(lam)
    for _ in range(k):
        p_prev, p = p, (1 + beta - lr * lam) * p - beta * p_prev
    return 1 - p


def by_roots(lam, lr, beta, k):
    """Distinct roots by the quotient, repeated ones by their limit (k + 1) z^k."""
    s = 1 + beta - lr * lam
    d = np.sqrt(s * s - 4 * beta + 0j)
    z1, z2 = (s + d) / 2, (s - d) / 2
    same = d == 0
    dz = np.where(same, 1.0, z1 - z2)

    def U(j):
        return np.where(same, (j + 1) * (s / 2) ** j, (z1 ** (j + 1) - z2 ** (j + 1)) / dz)

    return (1 - (U(k) - beta * U(k - 1))).real


def by_difference_quotient(lam, lr, beta, k):
    """The textbook closed form, 0/0 where the roots coincide."""
    s = 1 + beta - lr * lam
    d = np.sqrt(s * s - 4 * beta + 0j)
    z1, z2 = (s + d) / 2, (s - d) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        keep = (z1 ** (k + 1) * (1 - z2) - z2 ** (k + 1) * (1 - z1)) / (z1 - z2)
    return (1 - keep).real


def _mp_gain(lam, lr, beta, k):
    out = []
    for value in lam:
        q, b = mp.mpf(float(lr)) * mp.mpf(float(value)), mp.mpf(float(beta))
        prev = p = mp.mpf(1)
        for _ in range(k):
            prev, p = p, (1 + b - q) * p - b * prev
        out.append(float(1 - p))
    return np.array(out)


def _all_problems(seeds=range(10)):
    cases = list(HEAVY_BALL_GAIN.cases)
    for seed in seeds:
        cases += list(HIDDEN[NAME](seed))
    return [c.make() for c in cases]


def test_the_reference_is_the_recursion_in_high_precision():
    for lam, lr, beta, k in _all_problems():
        want = _mp_gain(lam, lr, beta, k)
        got = HEAVY_BALL_GAIN.reference(lam, lr, beta, k)
        assert np.max(np.abs(got - want)) <= 1e-12 * np.max(np.abs(want))


def test_every_problem_has_an_exact_repeated_root_and_a_complex_pair():
    """The discriminant is exactly 0 at a mode, written in three ways, in float64 and float32;
    another mode has complex roots; every mode is stable and k >= 5."""
    hidden = [c.make() for seed in range(30) for c in HIDDEN[NAME](seed)]
    assert all(5 <= k <= 19 for *_, k in hidden)  # where every mistake still shows
    visible = [c.make() for c in HEAVY_BALL_GAIN.cases[1:]]  # the first is the book's data
    for lam, lr, beta, _k in visible + hidden:
        for dtype in (np.float64, np.float32):
            lm, lrd, bd = lam.astype(dtype), dtype(lr), dtype(beta)
            s = 1 + bd - lrd * lm
            forms = [s * s - 4 * bd, (s / 2) ** 2 - bd,
                     ((1 - np.sqrt(bd)) ** 2 - lrd * lm) * ((1 + np.sqrt(bd)) ** 2 - lrd * lm)]
            for disc in forms:
                assert np.any(disc == 0), (lam, lr, beta, dtype)
        s = 1 + beta - lr * lam
        assert np.any(s * s < 4 * beta)
        assert np.all((lr * lam > 0) & (lr * lam < 2 * (1 + beta)))


def test_a_difference_quotient_fails_on_a_repeated_root_with_its_label():
    result = check_heavy_ball_gain(by_difference_quotient)
    assert result.startswith("Not yet: on a repeated root") and "NaN" in result, result
    for seed in range(20):
        grade = grading.grade(NAME, by_difference_quotient, seed)
        assert grade.points < grade.max_points and "repeated" in grade, str(grade)


@pytest.mark.parametrize("fn", [by_recursion, by_roots], ids=["recursion", "roots"])
def test_accepts_correct_answers_written_otherwise(fn):
    assert check_heavy_ball_gain(fn).startswith("Correct:")
    for seed in range(20):
        grade = grading.grade(NAME, fn, seed)
        assert grade.passed and grade.points == grade.max_points, (seed, str(grade))


def test_the_library_is_refused():
    """In a notebook's namespace, a call of the library's filter is named."""
    namespace = {"__name__": "__main__"}
    exec("from gflow_lib import HeavyBall\n"
         "def gain(lam, lr, beta, k):\n"
         "    return HeavyBall(lr, beta)(lam, k).gain[0]\n", namespace)
    result = check_heavy_ball_gain(namespace["gain"])
    assert result.startswith("Not yet:") and "HeavyBall" in result and result.score == 0


def _with_previous(prev0):
    def fn(lam, lr, beta, k):
        p_prev, p = np.full_like(lam, prev0), np.ones_like(lam)
        for _ in range(k):
            p_prev, p = p, (1 + beta - lr * lam) * p - beta * p_prev
        return 1 - p
    return fn


def _power_at_repeated(lam, lr, beta, k):
    s = 1 + beta - lr * lam
    return np.where(s * s == 4 * beta, 1 - (s / 2) ** k, by_recursion(lam, lr, beta, k))


def _beta_powers(lam, lr, beta, k):
    """Complex modes with beta^k where sqrt(beta)^k belongs."""
    s = 1 + beta - lr * lam
    cplx = s * s < 4 * beta
    theta = np.arccos(np.clip(s / (2 * np.sqrt(beta)), -1, 1))
    safe = np.where(cplx, np.sin(theta), 1.0)

    def U(j):
        return beta**j * np.sin((j + 1) * theta) / safe

    return np.where(cplx, 1 - (U(k) - beta * U(k - 1)), by_recursion(lam, lr, beta, k))


MISTAKES = {
    "keep": (lambda lam, lr, beta, k: 1 - by_recursion(lam, lr, beta, k), "left"),
    "descent": (lambda lam, lr, beta, k: 1 - (1 - lr * lam) ** k, "plain gradient descent"),
    "previous value zero": (_with_previous(0.0), "starts at rest"),
    "one step too many": (lambda lam, lr, b, k: by_recursion(lam, lr, b, k + 1), "k + 1 steps"),
    "one step too few": (lambda lam, lr, b, k: by_recursion(lam, lr, b, k - 1), "k - 1 steps"),
    "repeated root as a power": (_power_at_repeated, "coincide"),
    "modulus beta": (_beta_powers, "sqrt(beta)"),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_names_each_typical_mistake_on_visible_and_hidden_problems(name):
    fn, phrase = MISTAKES[name]
    result = check_heavy_ball_gain(fn)
    assert result.startswith("Not yet:") and phrase in result and result.mistake == name, result
    for seed in range(5):
        grade = grading.grade(NAME, fn, seed)
        assert grade.mistake == name and grade.points < grade.max_points, (seed, str(grade))


def test_shape_and_in_place_mistakes_are_reported():
    assert "shape" in check_heavy_ball_gain(lambda lam, lr, b, k: by_recursion(lam, lr, b, k)[:1])

    def in_place(lam, lr, beta, k):
        lam *= lr
        return by_recursion(lam, 1.0, beta, k)

    assert "in place" in check_heavy_ball_gain(in_place)
