"""The one harness behind every exercise check: a check is a table, run by :func:`run_check`.

A :class:`Check` lists the cases (a label and a function building seeded arguments), the
reference (the library's own function wherever it has one, so checks and book agree) and the
typical mistakes (a name, a function giving the mistaken answer, the feedback naming it).
:func:`run_check` returns a :class:`CheckResult`: the feedback line as a ``str``, which also
carries ``passed``, ``score``, ``max_score`` and ``mistake`` for a grader. Calling and judging
are two steps: :func:`answer_of` turns what the function gave into plain data (an
:class:`Answer`), :func:`judge` compares answers with the reference and the mistakes; a grader
(``tools/grade.py``) calls in the learner's process and judges in its own.

Every feedback line starts with ``"Correct:"`` (right on every case), ``"Not yet:"`` (runs,
but an answer is wrong: a named mistake, a wrong shape, complex or non-finite numbers, an
argument changed in place) or ``"Error:"`` (not a function, or it raised; exceptions are
reported, never raised). It never shows an expected number.

With ``no_library=True`` every name of the learner's module bound to ``gflow_lib`` stands for
a blocker while the function runs ("Not yet:" with the name used): a guard against the
one-line answer, not a sandbox. Complex answers are refused even when their imaginary parts
are zero (usually ``eig`` where ``eigh`` belongs); float32 answers are judged at its precision."""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Answer", "Case", "Check", "CheckResult", "Mistake", "answer_of", "describe",
           "judge", "random_problem", "run_check"]

PREFIXES = ("Correct:", "Not yet:", "Error:")

RTOL_64, RTOL_32 = 1e-6, 1e-4  # float32 answers: about 1000 eps of float32
F32_NOTE = (" Note: your answer is float32, so it was compared at float32 precision (about 7 "
            "significant digits); the book computes in float64 (about 16), as NumPy does by "
            "default.")
_SHAPE_WORDS = ("shape", "matmul", "align", "dimension", "broadcast")


class Case(NamedTuple):
    """A test problem: how the feedback names it, and a function that builds its arguments."""

    label: str
    make: Callable[[], tuple]


class Mistake(NamedTuple):
    """A typical mistake: its name, its answer from the learner's arguments (None or an exception
    where it does not apply), and the feedback naming it."""

    name: str
    answer: Callable[..., Any]
    feedback: str


@dataclass(frozen=True)
class Check:
    """One exercise check as a table; ``signature`` names the learner's function and its
    arguments, e.g. ``"loss(X, y, phi)"``, and ``returns`` says what it returns."""

    signature: str
    what: str
    returns: str
    cases: tuple[Case, ...]
    reference: Callable[..., Any]
    mistakes: tuple[Mistake, ...] = ()
    hint: str = "Check each step against the equations."
    error_hint: str = ""  # added when the learner's function raises a shape error
    no_library: bool = False  # the learner writes the computation without gflow_lib
    # library names that are the answer of the exercise, forbidden even when no_library is
    # False (dotted, e.g. "gflow_lib.network.last_layer_flow"); a grader refuses a function that
    # reaches one of them (or, with no_library, any name of gflow_lib, and always gflow_lib.checks)
    forbidden: tuple[str, ...] = ()


class CheckResult(str):
    """The feedback line, a ``str`` with ``passed``, ``score`` out of ``max_score`` (cases),
    ``mistake`` (the recognised mistake's name, or None) and ``right`` (one bool per case)."""

    passed: bool
    score: int
    max_score: int
    mistake: str | None
    right: tuple[bool, ...]

    def __new__(cls, text: str, score: int, max_score: int, mistake: str | None = None,
                right: tuple[bool, ...] = ()):
        if not text.startswith(PREFIXES):
            raise ValueError(f"feedback must start with one of {PREFIXES}; got {text[:40]!r}")
        self = super().__new__(cls, text)
        self.passed, self.score, self.max_score, self.mistake, self.right = (
            score == max_score, score, max_score, mistake, tuple(bool(r) for r in right))
        return self

    def __getnewargs__(self):  # copy and pickle
        return str(self), self.score, self.max_score, self.mistake, self.right


class _LibraryUsed(BaseException):
    """Raised by a blocker: a BaseException, so that ``except Exception`` does not hide it."""


class _Blocker:
    """A gflow_lib name during a ``no_library`` run: using it records the name and raises."""

    def __init__(self, name, used):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_used", used)

    def _hit(self, what):
        self._used.append(what)
        raise _LibraryUsed(what)

    def __call__(self, *args, **kwargs):
        self._hit(self._name)

    def __getattr__(self, attr):
        self._hit(f"{self._name}.{attr}")


def _from_library(value) -> bool:
    """True for gflow_lib, its modules, and what they define (functions, classes, objects)."""
    if isinstance(value, types.ModuleType):
        name = value.__name__
    else:
        try:
            name = getattr(value, "__module__", None)
        except Exception:  # an object whose attribute lookup fails: not the library's
            return False
    return isinstance(name, str) and (name == "gflow_lib" or name.startswith("gflow_lib."))


def _call_without_library(fn, args, used):
    """``fn(*args)`` with its module's gflow_lib names replaced by blockers (put back after)."""
    namespace = getattr(fn, "__globals__", None)
    if not isinstance(namespace, dict) or str(namespace.get("__name__", "")).startswith(
            "gflow_lib"):
        return fn(*args)
    saved = {k: v for k, v in list(namespace.items())
             if not k.startswith("__") and _from_library(v)}
    try:
        namespace.update({k: _Blocker(k, used) for k in saved})
        return fn(*args)
    finally:
        namespace.update(saved)


_LIBRARY = ("this exercise asks you to write the computation yourself with NumPy (and SciPy), "
            "but your function uses {name} from gflow_lib, the library whose code you are "
            "rebuilding here")


def random_problem(D: int, I: int, seed: int):  # noqa: E741
    """Seeded ``(X, y, phi)`` of shapes (D, I), (I,), (D,)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(D, I)), rng.normal(size=I), rng.normal(size=D)


def _close(a, b, float32=False) -> bool:
    """Same shape and equal to float64 (or float32) precision, entrywise or to the largest entry."""
    rtol = RTOL_32 if float32 else RTOL_64
    return a.shape == b.shape and bool(
        np.allclose(a, b, rtol=rtol, atol=rtol * np.max(np.abs(b), initial=1e-300)))


class Answer(NamedTuple):
    """What the learner's function gave on one problem, as plain data: ``value`` (the numbers, or
    None), ``error`` (``(type name, message, builtin base name)``), ``problem`` (why it is not an
    answer) and ``after`` (the array arguments after the call, or None)."""

    value: np.ndarray | None = None
    error: tuple[str, str, str] | None = None
    problem: str | None = None
    after: tuple | None = None


def _base_name(exc: BaseException) -> str:
    """The first built-in exception class of ``exc``'s type (``ValueError`` for a subclass)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins":
            return cls.__name__
    return "Exception"


def describe(out) -> Answer:
    """The :class:`Answer` for a returned object: its numbers, or why it is not an answer."""
    if out is None:
        return Answer(problem="your function returned None: return the result")
    try:
        a = np.asarray(out)
    except Exception:  # ragged lists, objects that refuse conversion: not numbers
        a = np.asarray(None)
    if a.dtype.kind == "c":
        return Answer(problem=complex_problem(str(a.dtype)))
    if a.dtype.kind not in "biuf":
        return Answer(problem=f"your function returned {type(out).__name__}, not numbers")
    return Answer(value=a)


def complex_problem(dtype: str) -> str:
    return (f"your function returned complex numbers ({dtype}), even if their imaginary "
            "parts are zero; the answer is real. Use np.linalg.eigh for a symmetric matrix "
            "(np.linalg.eig can return complex numbers) and return a real array")


def answer_of(fn, args: tuple, no_library: bool = False) -> Answer:
    """Call the learner's ``fn`` on copies of ``args`` and describe what it gave (with
    ``no_library``, its module's gflow_lib names are blocked while it runs)."""
    given = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    used: list[str] = []
    try:
        out = _call_without_library(fn, given, used) if no_library else fn(*given)
    except _LibraryUsed:
        out = None
    except Exception as exc:  # the learner's code may fail in any way: report it
        if not used:
            return Answer(error=(type(exc).__name__, str(exc), _base_name(exc)))
    if used:  # even when the learner's code caught the blocker's exception
        return Answer(problem=_LIBRARY.format(name=used[0]))
    return describe(out)._replace(after=tuple(given))


class _Run(NamedTuple):
    label: str
    args: tuple
    want: np.ndarray
    answer: np.ndarray | None  # the answer as float64, None when it cannot be compared
    float32: bool  # compared at float32 precision
    exc: tuple[str, str, str] | None  # (type, message, base) when the function raised
    problem: str | None  # why the answer is not acceptable whatever its values
    right: bool


def _judge_one(label, args, got: Answer, names, reference) -> _Run:
    want = np.asarray(reference(*args), dtype=float)
    if got.error is not None:
        return _Run(label, args, want, None, False, got.error, None, False)
    problem, answer, float32 = got.problem, None, False
    if problem is None:
        value = np.asarray(got.value)
        if value.dtype.kind not in "biuf":
            problem = "the answer could not be read as numbers"
        else:
            answer, float32 = value.astype(float), value.dtype == np.float32
    if problem is None and got.after is not None:
        changed = [n for n, a, g in zip(names, args, got.after, strict=False)
                   if isinstance(a, np.ndarray)
                   and not (np.shape(g) == a.shape and np.array_equal(a, g))]
        if changed:
            problem = (f"your function changed its argument {changed[0]} in place; leave the "
                       "inputs as they are and return a new array")
    if problem is None and not np.all(np.isfinite(answer)):
        problem = "your function returned NaN or infinite values"
    right = problem is None and _close(answer, want, float32)
    return _Run(label, args, want, answer if problem is None else None, float32, None,
                problem, right)


def _explains(mistake: Mistake, runs) -> list[str]:
    """Labels of the cases the mistake explains (each answer right, raised or its), or []."""
    seen = []
    for r in runs:
        if r.exc is not None or r.right:
            continue
        try:
            wrong = mistake.answer(*r.args)
        except Exception:  # the mistake does not apply to this case (shapes do not fit)
            wrong = None
        if (r.problem or r.answer is None or wrong is None
                or not _close(r.answer, np.asarray(wrong, float), r.float32)):
            return []
        seen.append(r.label)
    return seen


def _raised(label, exc, error_hint) -> str:
    name, message, base = exc
    what = f"{name}: {message}" if message else name
    if base == "NotImplementedError":
        return f"your function raised {what}. Run this check again once it is written."
    hint = error_hint if base == "ValueError" and any(
        w in message for w in _SHAPE_WORDS) else ""
    return f"on {label} your function raised {what}. {hint}".rstrip()


def run_check(check: Check, fn, cases: tuple[Case, ...] | None = None) -> CheckResult:
    """Run the learner's ``fn`` on every case of ``check`` and say what is right or wrong.

    Parameters
    ----------
    check : Check
        The table: cases, reference, mistakes.
    fn : callable
        The learner's function, called with copies of each case's arguments.
    cases : tuple of Case, optional
        Run these cases instead of the table's (a grader adds its hidden ones).

    Returns
    -------
    CheckResult
        The feedback (a ``str``) starting with "Correct:", "Not yet:" or "Error:".
    """
    cases = check.cases if cases is None else tuple(cases)
    if not callable(fn):
        return CheckResult(f"Error: pass your function itself, {check.signature}; got "
                           f"{type(fn).__name__}, not a function.", 0, len(cases))
    problems = [(case.label, case.make()) for case in cases]
    answers = [answer_of(fn, args, check.no_library) for _, args in problems]
    return judge(check, problems, answers)


def judge(check: Check, problems, answers) -> CheckResult:
    """Judge a learner's answers: compare them with the reference, name a mistake.

    Parameters
    ----------
    check : Check
        The table: reference, mistakes, hints.
    problems : sequence of (str, tuple)
        Each problem's label and arguments, as the learner's function was called with them.
    answers : sequence of Answer
        What the learner's function gave on each problem (:func:`answer_of`, or as data).

    Returns
    -------
    CheckResult
        The feedback (a ``str``) starting with "Correct:", "Not yet:" or "Error:".
    """
    problems, answers = list(problems), list(answers)
    if len(problems) != len(answers):
        raise ValueError(f"answers must have one Answer per problem ({len(problems)}); got "
                         f"{len(answers)}")
    n = len(problems)
    names = re.findall(r"\w+", check.signature)[1:]
    runs = [_judge_one(label, args, got, names, check.reference)
            for (label, args), got in zip(problems, answers, strict=True)]
    score = sum(r.right for r in runs)
    right = tuple(r.right for r in runs)
    if score == n:
        note = F32_NOTE if any(r.float32 for r in runs) else ""
        return CheckResult(f"Correct: {check.what} matches the reference on all {n} test "
                           f"problems.{note}", n, n, right=right)
    raised = [r for r in runs if r.exc is not None]
    for mistake in check.mistakes:
        seen = _explains(mistake, runs)
        if seen:
            where = ("" if len(seen) == n else f" (Seen on {'; '.join(seen)}.)" if len(seen) < 3
                     else f" (Seen on {len(seen)} of {n} test problems.)")
            also = (f" Also, {_raised(raised[0].label, raised[0].exc, check.error_hint)}"
                    if raised else "")
            return CheckResult(f"Not yet: {mistake.feedback}{where}{also}", score, n,
                               mistake.name, right)
    if raised:
        return CheckResult(f"Error: {_raised(raised[0].label, raised[0].exc, check.error_hint)}",
                           score, n, right=right)
    r = next(r for r in runs if not r.right)
    if r.problem:
        return CheckResult(f"Not yet: on {r.label} {r.problem}.", score, n, right=right)
    if r.answer.shape != r.want.shape:
        return CheckResult(f"Not yet: on {r.label} your function returned shape "
                           f"{r.answer.shape}; expected shape {r.want.shape}, {check.returns}.",
                           score, n, right=right)
    bad = "; ".join(r.label for r in runs if not r.right) if score else f"all {n} test problems"
    return CheckResult(f"Not yet: {check.what} differs from the reference on {bad}, and not "
                       f"by a mistake this check knows. {check.hint}", score, n, right=right)
