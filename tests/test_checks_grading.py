"""Grading on top of the checks (gflow_lib.checks.grading and .hidden): every public check is
found from its name, has hidden problems of new shapes and data, and gives one verdict whose
points come from the hidden problems only; a learner who hard-codes the visible answers gets
no points. Answers received as data are judged like answers of a function called here."""

from __future__ import annotations

import numpy as np
import pytest

from gflow_lib import checks
from gflow_lib.checks import grading
from gflow_lib.checks.harness import Answer, answer_of
from gflow_lib.checks.hidden import HIDDEN

SEED = 2026

NAMES = sorted(n for n in checks.__all__ if n.startswith("check_"))


def _shapes(args):
    return tuple(np.shape(a) if isinstance(a, np.ndarray) else ("scalar",) for a in args)


def hard_coded(table):
    """A learner's function that returns the reference's answers of the visible problems,
    looked up by their arguments, and zeros otherwise."""
    known = [(c.make(), np.asarray(table.reference(*c.make()), dtype=float)) for c in table.cases]

    def fn(*args):
        for given, answer in known:
            if all(np.array_equal(a, b) for a, b in zip(args, given, strict=True)):
                return answer
        return np.zeros(np.shape(known[0][1]))

    return fn


@pytest.fixture(params=NAMES)
def name(request):
    return request.param


def test_every_check_is_found_and_has_hidden_problems(name):
    table = grading.table_of(name)
    assert table is grading.table_of(getattr(checks, name))
    assert name in HIDDEN, f"{name}: add its hidden problems to gflow_lib/checks/hidden.py"
    assert name == f"check_{grading.function_name(name)}" or name in (
        "check_last_layer", "check_empirical_ntk")  # ntk_from_weights: not the library's name


def test_hidden_problems_have_new_shapes_and_data(name):
    visible = [c.make() for c in grading.table_of(name).cases]
    hidden = [c.make() for c in HIDDEN[name](SEED)]
    assert len(hidden) >= 3
    for args in hidden:
        assert _shapes(args) not in {_shapes(v) for v in visible}, (name, _shapes(args))
    labels = [c.label for c, h in grading.problems(name, SEED) if h]
    assert all(label.startswith("hidden problem ") for label in labels)


def test_hidden_problems_follow_the_seed(name):
    def data(seed):
        return [np.concatenate([np.ravel(a) for a in c.make() if isinstance(a, np.ndarray)])
                for c in HIDDEN[name](seed)]

    assert all(np.array_equal(a, b) for a, b in zip(data(1), data(1), strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(data(1), data(2), strict=True))


def test_the_reference_gets_full_marks(name):
    table = grading.table_of(name)
    result = grading.grade(name, table.reference, seed=7)
    assert result.passed and result.startswith("Correct: "), result
    assert result.max_score == len(grading.problems(name, 7)) > len(table.cases)
    assert result.points == result.max_points == grading.POINTS


def test_hard_coding_the_visible_answers_earns_nothing(name):
    table = grading.table_of(name)
    n_visible = len(table.cases)
    result = grading.grade(name, hard_coded(table), SEED)
    assert result.score == n_visible < result.max_score, result
    assert result.points == 0 and result.max_points == grading.POINTS
    assert result.right[:n_visible] == (True,) * n_visible
    assert not any(result.right[n_visible:])
    assert result.startswith("Not yet: ") and "hidden problem" in result


def test_a_named_mistake_is_named_on_hidden_problems_too(name):
    table = grading.table_of(name)
    mistake = table.mistakes[0]
    result = grading.grade(name, mistake.answer, SEED)
    assert result.mistake == mistake.name and not result.passed, result


def test_a_missing_function_is_an_error():
    result = grading.grade("check_loss", None, SEED)
    assert result.startswith("Error: the notebook defines no function loss(X, y, phi)")
    assert result.score == 0 and result.right == (False,) * result.max_score


def test_points_come_from_the_hidden_problems_only():
    """Right on every hidden problem and wrong on the visible ones: full points; the reverse:
    none. Partial credit is per hidden problem."""
    table = grading.table_of("check_loss")
    visible = [c.make() for c in table.cases]

    def hidden_only(X, y, phi):
        seen = any(all(np.array_equal(a, b) for a, b in zip((X, y, phi), v, strict=True))
                   for v in visible)
        return 1.0 if seen else table.reference(X, y, phi)

    result = grading.grade("check_loss", hidden_only, SEED)
    assert result.points == grading.POINTS and not result.passed
    assert result.hidden_right == sum(result.hidden) and result.visible_right == 0
    first_hidden = [c.make() for c, h in grading.problems("check_loss", SEED) if h][0]

    def one_hidden(X, y, phi):
        same = all(np.array_equal(a, b) for a, b in zip((X, y, phi), first_hidden, strict=True))
        return table.reference(X, y, phi) if same else 0.0

    result = grading.grade("check_loss", one_hidden, SEED)
    assert result.points == pytest.approx(grading.POINTS / sum(result.hidden), abs=0.01)
    assert "hidden problems right: 1 of" in result.summary()


def test_answers_received_as_data_are_judged_alike(name):
    """grade_answers (the grader's path: answers as data) agrees with grade (a function
    called here), for the reference and for the first mistake."""
    table = grading.table_of(name)
    probs = grading.problems(name, SEED)
    pairs = [(c.label, c.make()) for c, _ in probs]
    hidden = [h for _, h in probs]
    for fn in (table.reference, table.mistakes[0].answer):
        answers = [answer_of(fn, args) for _, args in pairs]
        assert all(isinstance(a, Answer) for a in answers)
        by_data = grading.grade_answers(name, pairs, answers, hidden)
        here = grading.grade(name, fn, SEED)
        assert (str(by_data), by_data.points, by_data.right) == (str(here), here.points,
                                                                  here.right)


def test_a_seed_is_required():
    with pytest.raises(TypeError):
        grading.grade("check_loss", None)  # no default seed
    with pytest.raises(TypeError, match="seed must be an int"):
        grading.problems("check_loss", None)
    assert not hasattr(grading, "DEFAULT_SEED")


def test_bad_check_names_are_refused():
    with pytest.raises(ValueError, match="one of .*check_loss"):
        grading.table_of("loss")
    with pytest.raises(ValueError, match="run_check"):
        grading.table_of(lambda fn: None)
