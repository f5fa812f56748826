"""Grading a coding exercise: its check's visible problems plus hidden ones, one verdict.

A grader (``make grade``, ``tools/grade.py``) asks a check of :mod:`gflow_lib.checks` for a
verdict on the table's visible problems and on the hidden ones of
:mod:`gflow_lib.checks.hidden`, drawn from the instructor's seed. **Points come from the hidden
problems only.** :func:`grade` calls a function in this process; :func:`grade_answers` judges
answers received as data from the learner's process; both use
:func:`gflow_lib.checks.harness.judge`. A check is found from its name (``"check_loss"``) by
:func:`table_of`, so a new check needs no registration here."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap

from . import harness
from .harness import Case, Check, CheckResult, answer_of, judge
from .hidden import HIDDEN

__all__ = ["POINTS", "PREFIXES", "Grade", "function_name", "grade", "grade_answers",
           "problems", "table_of"]

POINTS = 10  # each exercise's points, shared equally by its hidden problems


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
    """The :class:`~gflow_lib.checks.Check` table that a check function (or its name, e.g.
    ``"check_loss"``) runs: the one named in its call ``run_check(TABLE, ...)``."""
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


def _seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        try:
            if isinstance(seed, str) and seed.strip().lstrip("-").isdigit():
                return int(seed)
        except ValueError:
            pass
        raise TypeError(f"seed must be an int (the instructor's private seed); got {seed!r}")
    return seed


def problems(check, seed: int) -> tuple[tuple[Case, bool], ...]:
    """Every problem a grader runs, as ``(case, hidden)``, the visible ones first; ``seed``
    (required, an int) draws the hidden problems; keep a course's seed private."""
    seed = _seed(seed)
    name = _check_function(check).__name__
    hidden = HIDDEN[name](seed) if name in HIDDEN else ()
    return tuple((c, False) for c in table_of(check).cases) + tuple((c, True) for c in hidden)


class Grade(CheckResult):
    """A :class:`~gflow_lib.checks.CheckResult` for all problems of an exercise, with ``points`` out
    of ``max_points`` (shared by the hidden problems; ``hidden`` says which); visible ones first."""

    points: float
    max_points: float
    hidden: tuple[bool, ...]

    def __new__(cls, result: CheckResult, hidden, max_points: float = POINTS,
                text: str | None = None, mistake: str | None = None):
        hidden = tuple(bool(h) for h in hidden)
        right = result.right or (False,) * len(hidden)
        self = super().__new__(cls, str(result) if text is None else text, result.score,
                               result.max_score, result.mistake if mistake is None else mistake,
                               right)
        n_hidden = sum(hidden)
        won = sum(r for r, h in zip(right, hidden, strict=True) if h)
        self.hidden, self.max_points = hidden, float(max_points)
        self.points = round(max_points * won / n_hidden, 2) if n_hidden else 0.0
        return self

    def __getnewargs__(self):
        return (CheckResult(str(self), self.score, self.max_score, self.mistake, self.right),
                self.hidden, self.max_points)

    @property
    def visible_right(self) -> int:
        return sum(r for r, h in zip(self.right, self.hidden, strict=True) if not h)

    @property
    def hidden_right(self) -> int:
        return sum(r for r, h in zip(self.right, self.hidden, strict=True) if h)

    def summary(self) -> str:
        """One line: visible and hidden problems right, and the points."""
        n_hidden = sum(self.hidden)
        return (f"visible problems right: {self.visible_right} of {len(self.hidden) - n_hidden} "
                f"(feedback only); hidden problems right: {self.hidden_right} of {n_hidden}; "
                f"points {self.points:g} of {self.max_points:g}")


def zero(check, seed: int, text: str, mistake: str) -> Grade:
    """A :class:`Grade` of no points with the grader's own feedback ``text``, named ``mistake``."""
    probs = problems(check, seed)
    n = len(probs)
    return Grade(CheckResult(text, 0, n, mistake, (False,) * n), [h for _, h in probs],
                 mistake=mistake)


def grade(check, fn, seed: int, function: str | None = None) -> Grade:
    """Run a learner's function, in this process, on the visible and hidden problems of a check.

    Parameters
    ----------
    check : callable or str
        The check function or its name.
    fn : callable or None
        The learner's function; None when the notebook defines none.
    seed : int
        The seed of the hidden problems (the instructor's, kept private; required).
    function : str, optional
        The name of the learner's function in the notebook, for the message when it is
        missing (default: the name in the table's signature).

    Returns
    -------
    Grade
        One feedback line for all problems, starting with "Correct:", "Not yet:" or "Error:";
        ``score`` out of ``max_score`` problems, ``right`` says which, and ``points`` out of
        ``max_points`` from the hidden problems alone.
    """
    table = table_of(check)
    probs = problems(check, seed)
    if fn is None or not callable(fn):
        return zero(check, seed, missing(check, function), "no function")
    pairs = [(c.label, c.make()) for c, _ in probs]
    answers = [answer_of(fn, args, table.no_library) for _, args in pairs]
    return Grade(judge(table, pairs, answers), [h for _, h in probs])


def missing(check, function: str | None = None) -> str:
    """The feedback when the notebook defines no function of the exercise's name."""
    table = table_of(check)
    args = table.signature[table.signature.index("("):]
    return (f"Error: the notebook defines no function {function or function_name(check)}{args}: "
            "keep the name and the arguments of the exercise.")


def grade_answers(check, pairs, answers, hidden) -> Grade:
    """Judge answers received as data: ``pairs`` are the problems' ``(label, args)`` as the
    grader built them, ``answers`` one :class:`~gflow_lib.checks.harness.Answer` each, and
    ``hidden`` one bool each. The references are computed here, never sent anywhere."""
    return Grade(judge(table_of(check), pairs, answers), hidden)


# the prefixes every feedback line starts with, for graders that parse them
PREFIXES = harness.PREFIXES
