"""Feedback of the mode-strength exercise (issue 22): accepts correct answers written in other
ways, names typical mistakes written here independently of the check's table, refuses the
library's one-liner. What every check shares is tested in test_checks_harness.py; the hidden
problems in test_hidden.py."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from gflow_lib import deep_linear_strength
from gflow_lib.checks import check_mode_strength
from gflow_lib.checks.deep_linear import MODE_STRENGTH
from gflow_lib.checks.harness import run_check
from gflow_lib.checks.hidden import HIDDEN


def by_hand(s, u0, t):
    e = np.exp(2 * np.outer(t, s))
    return s * e / (e - 1 + s / u0)


def test_accepts_the_formula_and_an_ode_solve():
    assert check_mode_strength(by_hand).startswith("Correct:")

    def by_ode(s, u0, t):
        sol = solve_ivp(lambda _, u: 2 * u * (s - u), (0, t.max()), np.full(s.size, u0),
                        t_eval=np.sort(t), rtol=1e-12, atol=1e-14, method="DOP853")
        return sol.y.T[np.argsort(np.argsort(t))]

    assert check_mode_strength(by_ode).startswith("Correct:")


def test_the_reference_is_the_library_and_matches_the_formula():
    for case in MODE_STRENGTH.cases:
        args = case.make()
        np.testing.assert_allclose(MODE_STRENGTH.reference(*args), by_hand(*args), rtol=1e-12)


def test_the_library_one_liner_is_refused():
    def one_liner(s, u0, t):
        return deep_linear_strength(s, u0, t)

    result = check_mode_strength(one_liner)
    assert result.startswith("Not yet:") and "deep_linear_strength" in result, result
    assert not result.passed


def test_float32_passes_with_a_note():
    def in_float32(s, u0, t):
        s, t = s.astype(np.float32), t.astype(np.float32)
        e = np.exp(np.float32(2) * np.outer(t, s))
        return s * e / (e - 1 + s / np.float32(u0))

    result = check_mode_strength(in_float32)
    assert result.passed and "float32" in result, result


MISTAKES = {
    "exponent st": (lambda s, u0, t: by_hand(s / 2, u0 / 2, t) * 2, "half the speed"),
    "shallow": (lambda s, u0, t: s - (s - u0) * np.exp(-t)[:, None], "shallow model"),
    "lazy": (lambda s, u0, t: s - (s - u0) * np.exp(-2 * u0 * t)[:, None], "linearized"),
    "fraction": (lambda s, u0, t: by_hand(s, u0, t) / s, "fraction"),
    "transposed": (lambda s, u0, t: by_hand(s, u0, t).T, "transposed"),
    "u0 s": (lambda s, u0, t: by_hand(s, 1 / u0, t), "s / u0"),
    "none": (lambda s, u0, t: None, "None"),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_names_each_typical_mistake(name):
    fn, phrase = MISTAKES[name]
    msg = check_mode_strength(fn)
    assert msg.startswith("Not yet:") and phrase in msg, msg


def test_in_place_change_is_reported():
    def in_place(s, u0, t):
        out = by_hand(s, u0, t)
        t *= 0
        return out

    msg = check_mode_strength(in_place)
    assert msg.startswith("Not yet:") and "in place" in msg, msg


@pytest.mark.parametrize("seed", range(5))
def test_hidden_problems_pass_a_correct_answer_and_fail_each_mistake(seed):
    cases = HIDDEN["check_mode_strength"](seed)
    visible = {tuple(np.shape(a) for a in c.make()) for c in MODE_STRENGTH.cases}
    assert not visible & {tuple(np.shape(a) for a in c.make()) for c in cases}
    assert run_check(MODE_STRENGTH, by_hand, cases).passed
    for mistake in MODE_STRENGTH.mistakes:  # each told apart by the hidden problems alone
        result = run_check(MODE_STRENGTH, mistake.answer, cases)
        assert not result.passed and result.mistake == mistake.name, (mistake.name, result)
