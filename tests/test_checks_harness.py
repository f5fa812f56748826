"""The one harness of the exercise checks, tried on every check: the library's answer passes,
each mistake of each table is named, and complex, float32, wrongly shaped, non-finite, in-place
and raising answers get the feedback the harness promises. The feedback never shows an
expected number."""

from __future__ import annotations

import copy
import pickle
import re

import numpy as np
import pytest

from gflow_lib import checks
from gflow_lib.checks import (
    CheckResult,
    basics,
    bayes,
    deep_linear,
    explorer,
    function_space,
    landscape,
    ml_map,
    momentum,
    ntk,
    sgd,
)

CHECKS = {
    "loss": (checks.check_loss, basics.LOSS),
    "residuals_at": (checks.check_residuals_at, basics.RESIDUALS),
    "gd_step": (checks.check_gd_step, landscape.GD_STEP),
    "map_estimate": (checks.check_map_estimate, ml_map.MAP_ESTIMATE),
    "predictive_variance": (checks.check_predictive_variance, bayes.PREDICTIVE_VARIANCE),
    "frame_losses": (checks.check_frame_losses, explorer.FRAME_LOSSES),
    "kernel_predict": (checks.check_kernel_predict, function_space.KERNEL_PREDICT),
    "empirical_ntk": (checks.check_empirical_ntk, ntk.EMPIRICAL_NTK),
    "last_layer": (checks.check_last_layer, ntk.LAST_LAYER),
    "mode_strength": (checks.check_mode_strength, deep_linear.MODE_STRENGTH),
    "heavy_ball_gain": (checks.check_heavy_ball_gain, momentum.HEAVY_BALL_GAIN),
    "sgd_covariance_step": (checks.check_sgd_covariance_step, sgd.SGD_COVARIANCE_STEP),
}
PREFIXES = ("Correct: ", "Not yet: ", "Error: ")


@pytest.fixture(params=list(CHECKS))
def pair(request):
    return CHECKS[request.param]


def answer(table, change):
    """A learner's function: the reference's answer, changed by ``change``."""
    return lambda *args: change(np.asarray(table.reference(*args), dtype=float))


def test_every_public_check_is_tried():
    public = {n for n in checks.__all__ if n.startswith("check_")}
    assert public == {fn.__name__ for fn, _ in CHECKS.values()}


def test_the_reference_passes(pair):
    check, table = pair
    result = check(table.reference)
    assert isinstance(result, CheckResult) and isinstance(result, str)
    assert result.startswith("Correct: ") and "Note" not in result, result
    assert result.passed and result.score == result.max_score == len(table.cases)
    assert result.mistake is None


@pytest.mark.parametrize("error", [0.0, 2e-5], ids=["rounded", "computed-in-float32"])
def test_float32_passes_with_a_note(pair, error):
    """A float32 answer off by 2e-5 relative (about 170 float32 epsilons, what a computation
    in float32 can lose) is right; the same error in float64 is not."""
    check, table = pair
    result = check(answer(table, lambda a: (a * (1 + error)).astype(np.float32)))
    assert result.passed and result.startswith("Correct: ") and "float32" in result, result
    if error:
        assert not check(answer(table, lambda a: a * (1 + error))).passed


def test_float32_is_compared_at_float32_precision(pair):
    """Off by 1e-3 relative is wrong in float32 too; the note is only for right answers."""
    check, table = pair
    result = check(answer(table, lambda a: (a * 1.001 + 1e-3).astype(np.float32)))
    assert result.startswith("Not yet: ") and not result.passed and "float32" not in result


@pytest.mark.parametrize("imag", [1e-3j, 0j], ids=["imaginary", "zero-imaginary"])
def test_complex_answers_are_rejected(pair, imag):
    check, table = pair
    result = check(answer(table, lambda a: a + imag))
    assert result.startswith("Not yet: ") and "complex" in result, result
    assert not result.passed and result.score == 0


def test_a_wrong_shape_is_named(pair):
    check, table = pair
    result = check(answer(table, lambda a: np.append(a, 1.0)))
    want = np.shape(table.reference(*table.cases[0].make()))
    assert result.startswith("Not yet: ") and f"expected shape {want}" in result, result


@pytest.mark.parametrize("value, words", [(np.nan, "NaN"), (None, "None"), ("many", "not numbers")])
def test_answers_that_are_not_numbers(pair, value, words):
    check, _ = pair
    result = check(lambda *args: value if value is None or isinstance(value, str)
                   else np.full(3, value))
    assert result.startswith("Not yet: ") and words in result, result


def test_a_raising_function_gets_the_error(pair):
    check, _ = pair
    result = check(lambda *args: 1 / 0)
    assert result.startswith("Error: ") and "ZeroDivisionError: division by zero" in result
    assert result.score == 0 and not result.passed


def test_the_stub_gets_the_error(pair):
    def stub(*args):
        raise NotImplementedError("Exercise toy: write the body of f")

    result = pair[0](stub)
    assert result.startswith("Error: ")
    assert "NotImplementedError: Exercise toy: write the body of f" in result


def test_not_a_function(pair):
    check, table = pair
    result = check(np.zeros(3))
    assert result.startswith("Error: ") and table.signature in result and "ndarray" in result


def test_changing_an_input_in_place_is_named(pair):
    check, table = pair

    def in_place(*args):
        out = table.reference(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
        args[0][...] = 0.0
        return out

    result = check(in_place)
    name = re.findall(r"\w+", table.signature)[1]
    assert result.startswith("Not yet: ") and f"changed its argument {name} in place" in result


def test_partial_credit(pair):
    """Right on the first case only: score 1 of n, for a grader."""
    check, table = pair
    first = table.cases[0].make()

    def right_once(*args):
        same = all(np.array_equal(a, b) for a, b in zip(args, first, strict=True))
        return table.reference(*args) if same else 0.5 * np.asarray(table.reference(*args))

    result = check(right_once)
    assert not result.passed and (result.score, result.max_score) == (1, len(table.cases))


CASES = [(name, m) for name, (_, table) in CHECKS.items() for m in table.mistakes]


@pytest.mark.parametrize("name, mistake", CASES, ids=[f"{n}-{m.name}" for n, m in CASES])
def test_each_mistake_of_each_table_is_named(name, mistake):
    """The table's own mistake is recognised as itself: no earlier row shadows it."""
    check = CHECKS[name][0]
    result = check(mistake.answer)
    assert result.mistake == mistake.name, result
    assert result.startswith(f"Not yet: {mistake.feedback}") and not result.passed


def _numbers_revealed(result, table):
    """Numbers in the feedback that equal an expected value to 3 digits."""
    want = np.concatenate([np.ravel(table.reference(*c.make())) for c in table.cases])
    shown = [float(x) for x in re.findall(r"\d+\.\d+(?:e-?\d+)?", result)]
    return [x for x in shown if np.any(np.isclose(x, np.abs(want), rtol=1e-3, atol=0))]


def test_feedback_never_shows_an_expected_number(pair):
    check, table = pair
    learners = [table.reference, answer(table, lambda a: 1.01 * a),
                answer(table, lambda a: a + 1j), *(m.answer for m in table.mistakes)]
    for fn in learners:
        result = check(fn)
        assert result.startswith(PREFIXES) and not _numbers_revealed(result, table), result


def test_numbers_revealed_can_fail():
    """The detector above finds an expected value when one is shown."""
    table = basics.LOSS
    value = float(table.reference(*table.cases[0].make()))
    assert _numbers_revealed(f"Not yet: expected {value:.4f}", table)


def test_check_result_copies_and_pickles():
    result = checks.check_loss(lambda X, y, phi: 0.0)
    for twin in (copy.copy(result), pickle.loads(pickle.dumps(result))):
        assert twin == result and type(twin) is CheckResult
        assert (twin.passed, twin.score, twin.max_score, twin.mistake) == (
            result.passed, result.score, result.max_score, result.mistake)


# ----------------------------------------------------------------- the learner's own code
def _notebook(source):
    """Functions defined as in a notebook: in a namespace of their own (``__main__``)."""
    namespace = {"__name__": "__main__"}
    exec(source, namespace)
    return namespace


LIBRARY_LOSS = """
import numpy as np
import gflow_lib
from gflow_lib import LinearFlow
flow = LinearFlow(np.eye(2), np.zeros(2), np.zeros(2))

def by_class(X, y, phi):
    return LinearFlow(X, y, phi).loss(0.0)

def by_module(X, y, phi):
    return gflow_lib.LinearFlow(X, y, phi).loss(0.0)

def helper(X, y, phi):
    return LinearFlow(X, y, phi).loss(0.0)

def through_a_helper(X, y, phi):
    return helper(X, y, phi)

def swallowed(X, y, phi):
    try:
        return LinearFlow(X, y, phi).loss(0.0)
    except Exception:
        r = X.T @ phi - y
        return 0.5 * r @ r

def by_numpy(X, y, phi):
    r = X.T @ phi - y
    return 0.5 * r @ r
"""


@pytest.mark.parametrize("name, used", [
    ("by_class", "LinearFlow"), ("by_module", "gflow_lib.LinearFlow"),
    ("through_a_helper", "LinearFlow"), ("swallowed", "LinearFlow")])
def test_a_no_library_check_names_the_library_call(name, used):
    """The loss exercise asks for the learner's own NumPy: a call of the library through a
    name of the notebook is named, even through a helper or inside a try block."""
    namespace = _notebook(LIBRARY_LOSS)
    result = checks.check_loss(namespace[name])
    assert result.startswith("Not yet: ") and f"uses {used} from gflow_lib" in result, result
    assert result.score == 0 and result.right == (False,) * len(basics.LOSS.cases)
    # the notebook's names are back afterwards
    assert namespace["LinearFlow"] is __import__("gflow_lib").LinearFlow
    assert type(namespace["flow"]).__name__ == "LinearFlow"


def test_a_no_library_check_accepts_numpy_and_restores_names_after_an_error():
    namespace = _notebook(LIBRARY_LOSS + "\ndef broken(X, y, phi):\n    return 1 / 0\n")
    assert checks.check_loss(namespace["by_numpy"]).passed
    assert checks.check_loss(namespace["broken"]).startswith("Error: ")
    assert namespace["LinearFlow"] is __import__("gflow_lib").LinearFlow


def test_checks_without_no_library_allow_the_library():
    """The switch is per table: the last-layer exercise builds on the earlier chapters' flow,
    so its check lets the learner call the library."""
    assert basics.LOSS.no_library and not ntk.LAST_LAYER.no_library
    namespace = _notebook("import gflow_lib\nfrom gflow_lib.checks import ntk as table\n"
                          "def outputs(*args):\n"
                          "    assert gflow_lib.LinearFlow is not None\n"
                          "    return table.LAST_LAYER.reference(*args)\n")
    assert checks.check_last_layer(namespace["outputs"]).passed


def test_check_result_right_lists_each_case_and_prefix_is_required():
    table = basics.LOSS
    first = table.cases[0].make()

    def right_once(X, y, phi):
        same = all(np.array_equal(a, b) for a, b in zip((X, y, phi), first, strict=True))
        r = X.T @ phi - y
        return 0.5 * r @ r if same else 0.0

    result = checks.check_loss(right_once)
    assert result.right == (True,) + (False,) * (len(table.cases) - 1)
    with pytest.raises(ValueError, match="must start with one of"):
        CheckResult("Fine: no prefix", 1, 1)
