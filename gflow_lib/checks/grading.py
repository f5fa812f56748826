r"""Grading a coding exercise: its check's visible problems plus hidden ones, one verdict.

The checks of :mod:`gflow_lib.checks` give formative feedback in the notebook. A grader
(``make grade``, ``tools/grade.py``, on top of otter-grader) asks the same check for a verdict
on more problems: the table's visible ones and the hidden ones of
:mod:`gflow_lib.checks.hidden`, drawn from the instructor's seed. :func:`grade` returns one
:class:`~gflow_lib.checks.CheckResult` for all of them (the feedback line with the harness's
prefixes, the score, and which problems were right); :func:`assert_problem` is what each of
otter's test cases calls: it passes when problem ``k`` is right, and otherwise fails with
the feedback line.

Every check is found from its name alone (``"check_loss"``): :func:`table_of` reads which
table the check function hands to ``run_check``, so a new check is graded without being
registered here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap

from . import harness
from .harness import Case, Check, CheckResult, run_check
from .hidden import HIDDEN

__all__ = ["DEFAULT_SEED", "PREFIXES", "assert_problem", "function_name", "grade", "problems",
           "table_of"]

DEFAULT_SEED = 2026
_CACHE: dict = {}


def _check_function(check):
    """The check function, from itself or its name (``"check_loss"``)."""
    if callable(check):
        return check
    checks = importlib.import_module("gflow_lib.checks")
    fn = getattr(checks, str(check), None)
    if not callable(fn) or not str(check).startswith("check_"):
        public = sorted(n for n in checks.__all__ if n.startswith("check_"))
        raise ValueError(f"check must be a check function of gflow_lib.checks or its name, one "
                         f"of {public}; got {check!r}")
    return fn


def table_of(check) -> Check:
    """The :class:`~gflow_lib.checks.Check` table that a check function runs.

    Parameters
    ----------
    check : callable or str
        A check function of :mod:`gflow_lib.checks` or its name, e.g. ``"check_loss"``.

    Returns
    -------
    Check
        The table named in the function's call ``run_check(TABLE, ...)``.
    """
    fn = _check_function(check)
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "run_check"
                and node.args and isinstance(node.args[0], ast.Name)):
            table = getattr(inspect.getmodule(fn), node.args[0].id, None)
            if isinstance(table, Check):
                return table
    raise ValueError(f"{fn.__name__} does not call run_check(TABLE, ...) with a Check table")


def function_name(check) -> str:
    """The name of the learner's function, from the table's signature (``"loss"``)."""
    return re.match(r"\s*(\w+)", table_of(check).signature).group(1)


def problems(check, seed: int = DEFAULT_SEED) -> tuple[tuple[Case, bool], ...]:
    """Every problem a grader runs, as ``(case, hidden)``: the visible ones first."""
    name = _check_function(check).__name__
    hidden = HIDDEN[name](seed) if name in HIDDEN else ()
    return tuple((c, False) for c in table_of(check).cases) + tuple((c, True) for c in hidden)


def grade(check, fn, seed: int = DEFAULT_SEED, function: str | None = None) -> CheckResult:
    """Run a learner's function on the visible and hidden problems of a check.

    Parameters
    ----------
    check : callable or str
        The check function or its name.
    fn : callable or None
        The learner's function; None when the notebook defines none.
    seed : int
        The seed of the hidden problems (the instructor's).
    function : str, optional
        The name of the learner's function in the notebook, for the message when it is
        missing (default: the name in the table's signature).

    Returns
    -------
    CheckResult
        One feedback line for all problems, starting with "Correct:", "Not yet:" or "Error:";
        ``score`` out of ``max_score`` problems, ``right`` says which.
    """
    table = table_of(check)
    cases = tuple(c for c, _ in problems(check, seed))
    if fn is None:
        args = table.signature[table.signature.index("("):]
        return CheckResult(f"Error: the notebook defines no function "
                           f"{function or function_name(check)}{args}: keep the name and the "
                           "arguments of the exercise.", 0, len(cases),
                           right=(False,) * len(cases))
    return run_check(table, fn, cases)


def assert_problem(env: dict, check, k: int, seed: int = DEFAULT_SEED,
                   function: str | None = None) -> None:
    """Pass when problem ``k`` of :func:`problems` is right; else raise ``AssertionError``
    with the feedback line. ``env`` is the notebook's namespace (otter's test cases get it);
    ``function`` names the learner's function in it (default: the name in the table's
    signature).

    The verdict for all problems is computed once per function and seed.
    """
    fn = env.get(function or function_name(check))
    key = (_check_function(check).__name__, id(fn), seed)
    if key not in _CACHE or _CACHE[key][0] is not fn:
        _CACHE[key] = (fn, grade(check, fn, seed, function))
    result = _CACHE[key][1]
    if not (result.right and result.right[k]):
        raise AssertionError(str(result))


# the prefixes every feedback line starts with, for graders that parse them
PREFIXES = harness.PREFIXES
