"""Grading on top of the checks (gflow_lib.checks.grading and .hidden): every public check is
found from its name, has hidden problems of new shapes and data, and gives one verdict with
partial credit; a learner who hard-codes the visible answers does not get full marks."""

from __future__ import annotations

import numpy as np
import pytest

from gflow_lib import checks
from gflow_lib.checks import grading
from gflow_lib.checks.hidden import HIDDEN

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
    assert name == f"check_{grading.function_name(name)}" or name == "check_last_layer"


def test_hidden_problems_have_new_shapes_and_data(name):
    visible = [c.make() for c in grading.table_of(name).cases]
    hidden = [c.make() for c in HIDDEN[name](grading.DEFAULT_SEED)]
    assert len(hidden) >= 3
    for args in hidden:
        assert _shapes(args) not in {_shapes(v) for v in visible}, (name, _shapes(args))
    labels = [c.label for c, h in grading.problems(name) if h]
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


def test_hard_coding_the_visible_answers_gets_partial_credit(name):
    table = grading.table_of(name)
    n_visible = len(table.cases)
    result = grading.grade(name, hard_coded(table))
    assert result.score == n_visible < result.max_score, result
    assert result.right[:n_visible] == (True,) * n_visible
    assert not any(result.right[n_visible:])
    assert result.startswith("Not yet: ") and "hidden problem" in result


def test_a_named_mistake_is_named_on_hidden_problems_too(name):
    table = grading.table_of(name)
    mistake = table.mistakes[0]
    result = grading.grade(name, mistake.answer)
    assert result.mistake == mistake.name and not result.passed, result


def test_a_missing_function_is_an_error():
    result = grading.grade("check_loss", None)
    assert result.startswith("Error: the notebook defines no function loss(X, y, phi)")
    assert result.score == 0 and result.right == (False,) * result.max_score


def test_assert_problem_passes_or_raises_the_feedback():
    table = grading.table_of("check_loss")
    grading.assert_problem({"loss": table.reference}, "check_loss", 0)
    env = {"loss": hard_coded(table)}
    grading.assert_problem(env, "check_loss", 0)
    with pytest.raises(AssertionError, match="^Not yet: .*hidden problem"):
        grading.assert_problem(env, "check_loss", len(table.cases))
    with pytest.raises(AssertionError, match="^Error: the notebook defines no function"):
        grading.assert_problem({}, "check_loss", 0)


def test_bad_check_names_are_refused():
    with pytest.raises(ValueError, match="one of .*check_loss"):
        grading.table_of("loss")
    with pytest.raises(ValueError, match="run_check"):
        grading.table_of(lambda fn: None)
