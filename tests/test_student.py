"""The student copies written by ``tools/student.py`` (``make student``).

Checked on a synthetic chapter built here (so the tool is tested before any chapter has
exercises) and on every real chapter notebook that has exercises:

* no solution text survives: the solution regions are found by an independent line scanner
  (CommonMark fence rules), not by the tool's markdown-it parser;
* the student notebook runs up to its first stub, and the first error is the stub's
  ``NotImplementedError`` naming the exercise;
* every chapter with exercises has at least three, at least one of them a coding exercise.

A real chapter is not executed again here when nbval executes it in the same pytest run (the
whole suite, ``make test``): its student copy's code before the first stub is the chapter's
own code, cell for cell, which nbval runs (the copy may leave out the chapter's last cells
before its first stub, a solution's code: nbval runs them after the others); from the first
stub on, the copy's cells run in this process with the chapter's imports (a few
milliseconds). When either does not hold (a code cell of the chapter removed from between two
cells before the first stub, a later cell that needs the chapter's state, or this file run
alone), the student copy is executed in a kernel, as the synthetic chapter always is.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import inspect
import io
import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import kernel_fork
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools import book_refs
from tools import student as tool

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
CHAPTERS = sorted(
    p
    for p in BOOK.glob("*.ipynb")
    if any(
        c.cell_type == "markdown" and "{exercise" in c.source
        for c in nbformat.read(p, as_version=4).cells
    )
)
STUB = re.compile(r"raise NotImplementedError\((['\"])(?P<msg>Exercise [^'\"]+)\1\)")


# --------------------------------------------------------------------------------------------
# An independent scanner of solution regions
# --------------------------------------------------------------------------------------------
_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|:{3,})\s*\{(?P<name>[\w-]+)\}(?P<arg>.*)$")


def _close_of(lines, i, fence):
    """Index of the line closing the fence opened on line i (same character, at least as
    long, nothing else on the line); len(lines) if it is never closed."""
    closing = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
    for j in range(i + 1, len(lines)):
        if closing.match(lines[j]):
            return j
    return len(lines)


def solution_regions(nb):
    """Split a chapter's lines into (solution lines, other lines), and list its exercises.

    Solution lines: the bodies of {solution} blocks, everything from a {solution-start}
    fence to its {solution-end} fence (across cells), except that in ``solution``-tagged code
    cells only the lines between the BEGIN/END SOLUTION markers count.
    """
    sol, other, labels = [], [], []
    gated = False
    for cell in nb.cells:
        lines = cell.source.splitlines()
        if cell.cell_type == "code":
            if "# BEGIN SOLUTION" in cell.source:
                inside = False
                for line in lines:
                    if line.strip().startswith("# BEGIN SOLUTION"):
                        inside = True
                    (sol if inside else other).append(line)
                    if line.strip().startswith("# END SOLUTION"):
                        inside = False
            else:
                (sol if gated else other).extend(lines)
            continue
        i = 0
        while i < len(lines):
            m = _OPEN.match(lines[i])
            name = m.group("name") if m else None
            if name == "exercise" or name == "exercise-start":
                labels += [
                    x.split(":label:")[1].strip()
                    for x in lines[i + 1 : _close_of(lines, i, m.group("fence"))]
                    if ":label:" in x
                ]
            if name in ("solution", "solution-start", "solution-end"):
                j = _close_of(lines, i, m.group("fence"))
                sol.extend(lines[i : j + 1])
                gated = {"solution-start": True, "solution-end": False}.get(name, gated)
                i = j + 1
                continue
            (sol if gated else other).append(lines[i])
            i += 1
    return sol, other, labels


def assert_no_solution_leaks(original, student):
    sol, other, _ = solution_regions(original)
    allowed = Counter(line.strip() for line in other)
    text = [
        line.strip()
        for cell in student.cells
        for line in cell.source.splitlines()
        if "NotImplementedError" not in line and "Your code here" not in line
    ]
    have = Counter(text)
    # The banner is not from the chapter: count it as allowed.
    if student.cells and "Student copy" in student.cells[0].source:
        allowed.update(line.strip() for line in student.cells[0].source.splitlines())
    leaked = [
        line.strip()
        for line in sol
        # lines without two letters or digits in a row ("$$", ")") tell nothing
        if re.search(r"\w\w", line) and have[line.strip()] > allowed[line.strip()]
    ]
    assert not leaked, f"solution lines survive in the student copy: {leaked[:5]}"
    joined = "\n".join(c.source for c in student.cells)
    for marker in ("solution-start", "solution-end", "{solution}", "BEGIN SOLUTION",
                   "END SOLUTION"):
        assert marker not in joined, f"{marker!r} survives in the student copy"


PROBE = """
import inspect as _inspect, json as _json
_probe = {}
for _name in %r:
    _f = globals().get(_name)
    if not callable(_f):
        continue
    _n = sum(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
             for p in _inspect.signature(_f).parameters.values())
    try:
        _f(*[None] * _n)
        _probe[_name] = "returned without raising"
    except NotImplementedError as _e:
        _probe[_name] = str(_e)
    except Exception as _e:
        _probe[_name] = f"{type(_e).__name__}: {_e}"
print(_json.dumps(_probe))
"""


def _reports_stub(cell):
    """True when a code cell's printed output says that a stub is not implemented."""
    printed = "".join(
        o.get("text", "") + "".join(o.get("data", {}).get("text/plain", ""))
        for o in cell.get("outputs", [])
    )
    return bool(re.search(r"not\s*implemented", printed, re.IGNORECASE))


def run_until_first_error(nb, cwd, probe_functions=(), stop_when=None, timeout=120):
    """Execute a notebook with nbclient, stopping at the first error (or at the first cell
    for which ``stop_when(cell)`` is true). Then, in the same
    kernel, call each of ``probe_functions`` that got defined (with None for every required
    argument) and return the cells and ``{name: message raised}``."""
    nb = copy.deepcopy(nb)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}},
                            # forked from one preloaded process (tests/kernel_fork.py)
                            kernel_manager_class=kernel_fork.AsyncKernelManager)
    probed = {}
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError:
                break
            if stop_when is not None and stop_when(cell):
                break
        if probe_functions:
            probe = nbformat.v4.new_code_cell(PROBE % (list(probe_functions),))
            nb.cells.append(probe)
            client.execute_cell(probe, len(nb.cells) - 1)
            nb.cells.pop()
            text = "".join(o.get("text", "") for o in probe.outputs if o.output_type == "stream")
            probed = json.loads(text.strip().splitlines()[-1])
    return nb.cells, probed


def _stubs(student):
    """Index of the first cell with a stub, every stub message, and {function: message}."""
    stubs = {
        i: [m.group("msg") for m in STUB.finditer(c.source)]
        for i, c in enumerate(student.cells)
        if c.cell_type == "code" and STUB.search(c.source)
    }
    assert stubs, "the student copy has no NotImplementedError stub"
    messages = {m for msgs in stubs.values() for m in msgs}
    functions = {
        m.split("write the body of ")[1]: m for m in messages if "write the body of " in m
    }
    return min(stubs), messages, functions


def _assert_first_stub_hit(hit, probed, messages, functions):
    """``hit`` is (cell index, (error name, message) or None when a check reported it)."""
    assert hit is not None, "no cell raised or reported NotImplementedError: stubs never called"
    i, err = hit
    if err is not None:
        ename, evalue = err
        assert ename == "NotImplementedError", f"cell {i}: {ename}: {evalue}"
        assert evalue in messages, f"cell {i}: unexpected message {evalue!r}"
    for name, message in probed.items():
        assert message == functions[name], f"{name}() raised {message!r}"
    assert probed or err is not None, "the first stub hit was neither raised nor probed"


def assert_runs_up_to_first_stub(student, cwd):
    """Every cell before the first stub runs without error; the first stub that is hit
    raises NotImplementedError with its exercise's message, either as the first error of the
    notebook or caught and reported by a check (``gflow_lib.checks`` print "not implemented");
    and each stubbed function that got defined raises exactly its message when called."""
    first_stub, messages, functions = _stubs(student)
    cells, probed = run_until_first_error(student, cwd, functions, stop_when=_reports_stub)
    hit = None
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if i < first_stub:
            assert not errors, (
                f"cell {i} failed before the first stub (cell {first_stub}): "
                f"{errors[0].ename}: {errors[0].evalue}"
            )
            assert cell.execution_count is not None, f"cell {i} before the first stub did not run"
            continue
        if errors or _reports_stub(cell):
            hit = (i, (errors[0].ename, errors[0].evalue) if errors else None)
            break
    _assert_first_stub_hit(hit, probed, messages, functions)


# --------------------------------------------------------------------------------------------
# Without a second execution: the chapter's own run (nbval) and the stubs in this process
# --------------------------------------------------------------------------------------------
def prefix_is_the_chapters(original, student):
    """True when the student copy's code cells before its first stub are the chapter's first
    code cells, with the same sources and in the same order, none of the chapter's cells
    before its first solution cell removed from between them (the copy may leave out the last
    ones: the code of a solution region just before the first stub), and the chapter stored
    them executed in order (counts 1, 2, ...) without an error: then the run that re-executes
    the chapter (nbval, which also compares every output) runs exactly this code, in the same
    state, before it runs anything the copy left out."""
    first_stub, _, _ = _stubs(student)
    before = [c.source for c in student.cells[:first_stub] if c.cell_type == "code"]
    chapter = []
    for c in original.cells:
        if c.cell_type != "code":
            continue
        if tool.BEGIN in c.source or tool.SOLUTION_TAG in c.metadata.get("tags", []):
            break
        chapter.append(c)
    chapter = chapter[:len(before)]
    if [c.source for c in chapter] != before:
        return False
    return all(
        c.get("execution_count") == k + 1
        and not any(o.get("output_type") == "error" for o in c.get("outputs", []))
        for k, c in enumerate(chapter)
    )


def _run_cell_here(source, namespace, name):
    """Execute a cell's source in ``namespace`` like a kernel does: the value of a last
    expression is shown (here: printed as its repr). Returns what the cell printed."""
    tree = ast.parse(source, filename=name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(tree, name, "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), name, "eval"), namespace)
            if value is not None:
                print(repr(value))
    return out.getvalue()


def run_from_first_stub_here(student):
    """Run the student copy from its first stub on, in this process, with the import
    statements of the cells before it (the chapter's state is not rebuilt), up to the first
    cell that raises or prints "not implemented"; then probe the stubbed functions.

    Returns (hit, probed) as :func:`_assert_first_stub_hit` takes them, or None when the first
    error is not a NotImplementedError (say a NameError of a cell that needs the chapter's
    state) or nothing was hit: only a kernel that runs the whole copy can judge that."""
    first_stub, _, functions = _stubs(student)
    namespace = {"__name__": "__main__"}
    for k, cell in enumerate(student.cells[:first_stub]):
        if cell.cell_type == "code":
            imports = [n for n in ast.parse(cell.source).body
                       if isinstance(n, (ast.Import, ast.ImportFrom))]
            exec(compile(ast.Module(imports, []), f"<imports of cell {k}>", "exec"), namespace)
    hit = None
    for i, cell in enumerate(student.cells):
        if i < first_stub or cell.cell_type != "code":
            continue
        try:
            printed = _run_cell_here(cell.source, namespace, f"<student cell {i}>")
        except Exception as exc:  # noqa: BLE001 - judged below, like a kernel's error output
            if not isinstance(exc, NotImplementedError):
                return None
            hit = (i, (type(exc).__name__, str(exc)))
            break
        if re.search(r"not\s*implemented", printed, re.IGNORECASE):
            hit = (i, None)
            break
    if hit is None:
        return None
    probed = {}
    for name in functions:
        f = namespace.get(name)
        if not callable(f):
            continue
        params = inspect.signature(f).parameters.values()
        n = sum(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                for p in params)
        try:
            f(*[None] * n)
            probed[name] = "returned without raising"
        except NotImplementedError as exc:
            probed[name] = str(exc)
        except Exception as exc:  # noqa: BLE001 - reported as the kernel's probe does
            probed[name] = f"{type(exc).__name__}: {exc}"
    return hit, probed


MESSAGE = re.compile(
    r"^Exercise (?P<label>[\w-]+): write (?:the body of (?P<func>\w+)|the code of this cell)$"
)


def assert_stub_messages(original, student):
    """Each stub names an exercise of the chapter and, inside a function, that function."""
    labels = set(solution_regions(original)[2])
    for cell in student.cells:
        for m in STUB.finditer(cell.source):
            msg = MESSAGE.match(m.group("msg"))
            assert msg, f"stub message {m.group('msg')!r} does not follow the convention"
            assert msg.group("label") in labels, f"stub names unknown exercise: {msg.group(0)!r}"
            if msg.group("func"):
                before = cell.source[: m.start()]
                defs = re.findall(r"^\s*def (\w+)\(", before, re.MULTILINE)
                assert defs and defs[-1] == msg.group("func"), (
                    f"stub {msg.group(0)!r} sits in {defs[-1:] or 'no function'}"
                )


# --------------------------------------------------------------------------------------------
# A synthetic chapter with every form the convention allows
# --------------------------------------------------------------------------------------------
def _md(text, **meta):
    return nbformat.v4.new_markdown_cell(text, metadata=meta)


def _code(text, tags=()):
    cell = nbformat.v4.new_code_cell(text)
    if tags:
        cell.metadata["tags"] = list(tags)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="stored output\n")]
    cell.execution_count = 1
    return cell


SECRET_DERIVATION = "the secret derivation line 8f3a"
SECRET_NESTED = "print('nested fence secret 2c71')"
SECRET_CODE = "return phi * 0 + 41.5  # secret body 77d2"
SECRET_EXPLAIN = "The secret explanation 51be of the gated solution."
SECRET_EXTRA = "extra_secret_cell = 'c0de'"
SECRET_TOP = "answer_top = 6 * 7  # secret top-level c9e1"
SECRET_COLON = "The colon secret e4a0, shown in a note."


def synthetic_chapter():
    cells = [
        _md("(toy)=\n# A toy chapter\n\nReading time: 5 minutes."),
        _code("import math\nprint(f'{math.pi:.6f}')"),
        _md("## Exercises\n\n"
            ":::{exercise} Derive the rate\n:label: toy-ex-derive\n\n"
            "*Derivation, 10 min. Objectives 1 and 3.* Show that the rate is the eigenvalue."
            "\n:::\n\n"
            ":::::{solution} toy-ex-derive\n:class: dropdown\n\n"
            f"{SECRET_DERIVATION}\n\n"
            "::::{note}\n" + SECRET_COLON + "\n::::\n:::::\n"),
        _md("````{exercise} Explore the step\n:label: toy-ex-explore\n\n"
            "*Exploration, 15-20 minutes.* Explore what happens.\n````\n\n"
            "````{solution} toy-ex-explore\n:class: dropdown\n\n"
            "```python\n" + SECRET_NESTED + "\n```\n````\n\n"
            "Text after the folded solution stays."),
        _md(":::{exercise} Write the loss\n:label: toy-ex-code\n\n"
            "*Coding, 10 min.* Write `toy_loss`.\n:::\n\n"
            "```{solution-start} toy-ex-code\n:class: dropdown\n```\n\n"
            + SECRET_EXPLAIN),
        _code("def toy_loss(phi):\n"
              '    """The loss at phi (keep this docstring)."""\n'
              "    # A comment outside the markers stays.\n"
              "    # BEGIN SOLUTION\n"
              "    phi = phi + 1\n"
              f"    {SECRET_CODE}\n"
              "    # END SOLUTION", tags=("solution",)),
        _code(SECRET_EXTRA),
        _md("```{solution-end}\n```\n\nNow check your function:"),
        _code("print(toy_loss(1.0))  # stands for print(check_toy_loss(toy_loss))"),
        _md(":::{exercise} A top-level computation\n:label: toy-ex-top\n\n"
            "*Coding, 5 min.*\n:::\n\n"
            ":::{solution-start} toy-ex-top\n:class: dropdown\n:::"),
        _code(f"# BEGIN SOLUTION\n{SECRET_TOP}\n# END SOLUTION\nprint(answer_top)",
              tags=("solution",)),
        _md(":::{solution-end}\n:::"),
        _md("## After the exercises\n\nThe end."),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["widgets"] = {"state": {}}
    return nb


SECRETS = [SECRET_DERIVATION, SECRET_NESTED, SECRET_CODE, SECRET_EXPLAIN, SECRET_EXTRA,
           SECRET_TOP, SECRET_COLON]


@pytest.fixture(scope="module")
def toy():
    nb = synthetic_chapter()
    student, exercises = tool.make_student(nb, "toy")
    return nb, student, exercises


def test_toy_secrets_are_gone(toy):
    _, student, _ = toy
    text = "\n".join(c.source for c in student.cells)
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} survives"


def test_toy_no_solution_leaks(toy):
    nb, student, _ = toy
    assert_no_solution_leaks(nb, student)


def test_toy_scanner_sees_every_secret(toy):
    """The independent scanner must classify every secret as solution text, else the leak
    test above would prove nothing."""
    sol, other, labels = solution_regions(toy[0])
    for secret in SECRETS:
        assert any(secret in line for line in sol), secret
        assert not any(secret in line for line in other), secret
    assert labels == ["toy-ex-derive", "toy-ex-explore", "toy-ex-code", "toy-ex-top"]


def test_toy_keeps_signature_docstring_and_text(toy):
    _, student, _ = toy
    text = "\n".join(c.source for c in student.cells)
    for kept in ("def toy_loss(phi):", '"""The loss at phi (keep this docstring)."""',
                 "# A comment outside the markers stays.", "Text after the folded solution stays.",
                 "Now check your function:", "print(toy_loss(1.0))", "print(answer_top)",
                 "**Exercise: Write the loss** (`toy-ex-code`)",
                 "*Coding, 10 min.* Write `toy_loss`.",
                 "## After the exercises", "Reading time: 5 minutes."):
        assert kept in text, f"{kept!r} was lost"
    stubs = [m.group("msg") for m in STUB.finditer(text)]
    assert stubs == ["Exercise toy-ex-code: write the body of toy_loss",
                     "Exercise toy-ex-top: write the code of this cell"]


def test_toy_exercises_plain_or_myst(toy):
    """Exercises become plain markdown by default (Colab shows MyST directives raw)."""
    _, student, _ = toy
    text = "\n".join(c.source for c in student.cells)
    assert "{exercise}" not in text and ":label:" not in text
    assert text.count("**Exercise: ") == 4
    myst, _ = tool.make_student(synthetic_chapter(), "toy", plain_exercises=False)
    text = "\n".join(c.source for c in myst.cells)
    assert text.count("{exercise}") == 4 and ":label: toy-ex-code" in text
    assert_no_solution_leaks(synthetic_chapter(), myst)


def test_toy_stub_messages(toy):
    nb, student, _ = toy
    assert_stub_messages(nb, student)


@pytest.mark.parametrize("old, new", [("toy-ex-code", "toy-ex-cod"), ("of toy_loss", "of toy")],
                         ids=["unknown-label", "wrong-function"])
def test_stub_message_check_can_fail(toy, old, new):
    nb, student, _ = toy
    broken = copy.deepcopy(student)
    for cell in broken.cells:
        cell.source = cell.source.replace(old, new)
    with pytest.raises(AssertionError):
        assert_stub_messages(nb, broken)


def test_toy_stub_is_indented_inside_the_function(toy):
    _, student, _ = toy
    cell = next(c for c in student.cells if "def toy_loss" in c.source)
    compile(cell.source, "<stub>", "exec")
    assert '    raise NotImplementedError("Exercise toy-ex-code' in cell.source.replace("'", '"')


def test_toy_outputs_cleared_and_banner(toy):
    _, student, _ = toy
    code = [c for c in student.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert all("solution" not in c.metadata.get("tags", []) for c in code)
    assert "widgets" not in student.metadata
    assert "Student copy" in student.cells[0].source
    nbformat.validate(student)
    bare, _ = tool.make_student(synthetic_chapter(), "toy", banner=False)
    assert len(bare.cells) == len(student.cells) - 1
    assert "Student copy" not in bare.cells[0].source


def test_toy_original_untouched():
    nb = synthetic_chapter()
    before = copy.deepcopy(nb)
    tool.make_student(nb, "toy")
    assert nb == before


def test_toy_exercises_found(toy):
    _, _, exercises = toy
    got = [(e.label, e.kind, e.minutes, e.objectives, e.solution, e.check) for e in exercises]
    assert got == [
        ("toy-ex-derive", "derivation", "10", "1, 3", "folded", None),
        ("toy-ex-explore", "exploration", "15-20", "", "folded", None),
        ("toy-ex-code", "coding", "10", "", "gated", "check_toy_loss"),
        ("toy-ex-top", "coding", "5", "", "gated", None),
    ]
    assert "| toy | `toy-ex-derive` | Derive the rate | derivation | 1, 3 | 10 |  |" in (
        tool.table(exercises)
    )


@pytest.mark.notebooks
def test_toy_runs_up_to_first_stub(toy, tmp_path):
    _, student, _ = toy
    assert_runs_up_to_first_stub(student, tmp_path)


def _caught(nb):
    """The check cell catches the stub's error and prints feedback, as gflow_lib.checks do."""
    nb.cells[8].source = (
        "try:\n    toy_loss(1.0)\nexcept NotImplementedError:\n"
        "    print('Not yet: the function still raises NotImplementedError.')"
    )
    return nb


@pytest.mark.notebooks
def test_toy_runs_up_to_first_stub_when_a_check_catches_it(tmp_path):
    student, _ = tool.make_student(_caught(synthetic_chapter()), "toy")
    assert_runs_up_to_first_stub(student, tmp_path)


def _fail_before_stub(student):
    student.cells[2].source += "\n1 / 0"


def _never_raises(student):
    for cell in student.cells:
        cell.source = cell.source.replace("raise NotImplementedError(", "print(")


@pytest.mark.notebooks
@pytest.mark.parametrize("breakage", [_fail_before_stub, _never_raises],
                         ids=["error-before-stub", "never-raises"])
def test_run_check_can_fail(breakage, tmp_path):
    """The execution check itself catches a broken student copy. (Whether the check cell
    catches the stub's error does not matter here: an error before the stub fails before any
    check runs, and a stub that never raises leaves nothing for a check to catch.)"""
    student, _ = tool.make_student(synthetic_chapter(), "toy")
    breakage(student)
    with pytest.raises(AssertionError):
        assert_runs_up_to_first_stub(student, tmp_path)


# The path without a second execution, on the toy (whose stored outputs stand for nbval's run).
TOY_MESSAGE = "Exercise toy-ex-code: write the body of toy_loss"


@pytest.mark.parametrize("caught", [False, True], ids=["raised", "caught"])
def test_toy_from_first_stub_here(caught):
    nb = _caught(synthetic_chapter()) if caught else synthetic_chapter()
    student, _ = tool.make_student(nb, "toy")
    assert prefix_is_the_chapters(nb, student)
    hit, probed = run_from_first_stub_here(student)
    i, err = hit
    assert "toy_loss(1.0)" in student.cells[i].source
    assert err == (None if caught else ("NotImplementedError", TOY_MESSAGE))
    assert probed == {"toy_loss": TOY_MESSAGE}
    _assert_first_stub_hit(hit, probed, *_stubs(student)[1:])


def test_from_first_stub_here_can_fail():
    """A wrong message fails; an error that is not the stub's, or no stub hit at all, is left
    to the kernel (None)."""
    student, _ = tool.make_student(synthetic_chapter(), "toy")
    renamed = copy.deepcopy(student)
    for cell in renamed.cells:
        cell.source = cell.source.replace("write the body of toy_loss\")",
                                          "write the body of toy_loss!\")")
    result = run_from_first_stub_here(renamed)
    assert result is not None
    with pytest.raises(AssertionError, match="unexpected message"):
        _assert_first_stub_hit(*result, *_stubs(student)[1:])
    needs_state = copy.deepcopy(student)
    cell = next(c for c in needs_state.cells if "print(toy_loss(1.0))" in c.source)
    cell.source = "print(math.tau, state_of_the_chapter)\n" + cell.source
    assert run_from_first_stub_here(needs_state) is None  # NameError: needs the chapter's state
    never = copy.deepcopy(student)
    _never_raises(never)
    with pytest.raises(AssertionError, match="no NotImplementedError stub"):
        run_from_first_stub_here(never)


def test_prefix_is_the_chapters_can_fail():
    nb = synthetic_chapter()
    student, _ = tool.make_student(nb, "toy")
    assert prefix_is_the_chapters(nb, student)
    # A code cell of a gated solution before the first stub is removed from the copy: fine
    # after the copy's cells (nbval runs it after them), not before one of them.
    for at, covered in ((4, True), (1, False)):
        gated = synthetic_chapter()
        gated.cells[at:at] = [
            _md(":::{exercise} Early\n:label: toy-ex-early\n\n*Coding, 1 min.*\n:::\n\n"
                ":::{solution-start} toy-ex-early\n:::"),
            _code("early_helper = 1"),
            _md(":::{solution-end}\n:::"),
        ]
        for k, cell in enumerate(c for c in gated.cells if c.cell_type == "code"):
            cell.execution_count = k + 1
        gated_student, _ = tool.make_student(gated, "toy")
        assert "early_helper" not in "".join(c.source for c in gated_student.cells)
        assert prefix_is_the_chapters(gated, gated_student) is covered, at
    # The chapter's stored run failed, or ran out of order, before the first stub.
    failed = synthetic_chapter()
    failed.cells[1].outputs = [nbformat.v4.new_output("error", ename="E", evalue="", traceback=[])]
    assert not prefix_is_the_chapters(failed, student)
    unexecuted = synthetic_chapter()
    unexecuted.cells[1].execution_count = None
    assert not prefix_is_the_chapters(unexecuted, student)


def test_toy_solution_runs_in_the_original():
    """The fixture itself is valid: with its solutions, its code (plain Python) runs without
    error."""
    namespace = {"__name__": "__main__"}
    printed = [_run_cell_here(c.source, namespace, f"<toy cell {i}>")
               for i, c in enumerate(synthetic_chapter().cells) if c.cell_type == "code"]
    assert printed[0] == "3.141593\n" and printed[-1] == "42\n", printed


def test_md_and_ipynb_give_the_same_copy(tmp_path):
    import jupytext

    nb = synthetic_chapter()
    md = tmp_path / "toy.md"
    jupytext.write(nb, md, fmt="md:myst")
    ipynb = tmp_path / "toy.ipynb"
    nbformat.write(nb, ipynb)
    a, _ = tool.make_student(tool.load(md), "toy")
    b, _ = tool.make_student(tool.load(ipynb), "toy")
    assert [(c.cell_type, c.source) for c in a.cells] == [(c.cell_type, c.source) for c in b.cells]


def test_cli_refuses_a_broken_chapter(tmp_path, monkeypatch):
    import jupytext

    nb = synthetic_chapter()
    nb.cells.pop(11)  # the last solution-end
    jupytext.write(nb, tmp_path / "toy.md", fmt="md:myst")
    monkeypatch.setattr(tool, "SRC", tmp_path)
    monkeypatch.setattr(tool.sources, "__defaults__", (None, tmp_path))
    with pytest.raises(SystemExit, match="no student copy written.*has no solution-end"):
        tool.main(["--out", str(tmp_path / "out")])
    assert not (tmp_path / "out" / "toy.ipynb").exists()


def test_banner_without_coding_exercises():
    nb = nbformat.v4.new_notebook(cells=[_md("# Intro\n\nNo exercises here.")])
    student, exercises = tool.make_student(nb, "intro")
    assert exercises == [] and "Student copy" in student.cells[0].source
    assert "NotImplementedError" not in student.cells[0].source


def test_cli_writes_the_copies(tmp_path, capsys):
    src = tmp_path / "md"
    src.mkdir()
    import jupytext

    jupytext.write(synthetic_chapter(), src / "toy.md", fmt="md:myst")
    target, exercises = tool.write_student(src / "toy.md", tmp_path / "out")
    assert target == tmp_path / "out" / "toy.ipynb"
    assert len(exercises) == 4
    written = nbformat.read(target, as_version=4)
    assert "Student copy" in written.cells[0].source
    assert_no_solution_leaks(synthetic_chapter(), written)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda cells: cells.pop(11), "has no solution-end"),
        (lambda cells: cells[5].metadata.update(tags=["solution"]) or cells[5].update(
            source="def toy_loss(phi):\n    return phi"), "has no '# BEGIN SOLUTION'"),
        (lambda cells: cells[5].update(source="def f():\n    # BEGIN SOLUTION\n    pass"),
         "never closed"),
        (lambda cells: cells[5].update(
            source="def f():\n    # BEGIN SOLUTION\n    # END SOLUTION\n    # END SOLUTION"),
         "without a '# BEGIN SOLUTION'"),
        (lambda cells: cells.insert(3, _md("```{solution-end}\n```")), "without start"),
        (lambda cells: cells.insert(3, _md(":::{solution} toy-ex-nope\n:::")),
         "does not follow an exercise"),
        (lambda cells: cells.insert(
            4, _md("::::{note}\n:::{solution} toy-ex-derive\nhidden\n:::\n::::")),
         "survives"),
    ],
    ids=["unclosed-gate", "unmarked-solution-cell", "begin-without-end", "end-without-begin",
         "end-without-start", "unknown-label", "nested-solution"],
)
def test_bad_chapters_are_refused(mutate, message):
    nb = synthetic_chapter()
    mutate(nb.cells)
    with pytest.raises(tool.StudentCopyError, match=re.escape(message)):
        tool.make_student(nb, "toy")


def test_makefile_has_student_target():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^student:.*\n\t.*-m tools\.student", makefile, re.MULTILINE)
    assert "_build/" in (ROOT / ".gitignore").read_text().split()


# --------------------------------------------------------------------------------------------
# The real chapters
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _chapter(path):
    """A chapter and its student copy, built once per run (shared by the tests below: treat
    them as read-only)."""
    nb = tool.load(path)
    student, exercises = tool.make_student(nb, path.stem)
    return path, nb, student, exercises


@pytest.fixture(params=CHAPTERS, ids=[p.stem for p in CHAPTERS])
def chapter(request):
    return _chapter(request.param)


@pytest.fixture(scope="session")
def nbval_chapters(request):
    """The notebooks that nbval executes in this pytest run (none when this file runs alone
    or without --nbval)."""
    return {item.path.resolve() for item in request.session.items if item.path.suffix == ".ipynb"}


def test_chapter_no_solution_leaks(chapter):
    _, nb, student, _ = chapter
    assert_no_solution_leaks(nb, student)


def test_chapter_exercise_counts(chapter):
    path, nb, _, exercises = chapter
    kinds = Counter(e.kind for e in exercises)
    report = f"{path.stem}: {len(exercises)} exercises {dict(kinds)}"
    assert len(exercises) >= 3, report
    assert kinds["coding"] >= 1, report
    assert [e.label for e in exercises] == solution_regions(nb)[2], report
    unsolved = [e.label for e in exercises if e.solution is None]
    assert not unsolved, f"{report}; exercises without a solution: {unsolved}"
    unchecked = [e.label for e in exercises if e.coding and e.check is None]
    assert not unchecked, f"{report}; coding exercises without a check cell: {unchecked}"


def test_each_coding_exercise_names_one_function_everywhere(chapter):
    """The grader finds an exercise by its check cell, ``print(check_x(NAME))``, and grades the
    function NAME of the notebook on the check's visible and hidden problems. NAME must be the
    one the exercise text asks for, the stub's, and the check table's, and must not be a name
    of the library that the chapter imports (a learner who follows the text would otherwise
    be graded on another function)."""
    import gflow_lib
    from gflow_lib.checks import grading
    from gflow_lib.checks.hidden import HIDDEN

    path, _, _, exercises = chapter
    coding = [e for e in exercises if e.coding]
    assert coding, f"{path.stem}: no auto-graded coding exercise"
    for ex in coding:
        where = f"{path.stem}: {ex.label}"
        assert ex.check in HIDDEN and ex.checked, where
        assert grading.function_name(ex.check) == ex.checked, (where, ex.checked)
        assert f"`{ex.checked}(" in ex.body, f"{where}: the text does not ask for {ex.checked}"
        assert any(f"body of {ex.checked}" in m for m in ex.stubs), (where, ex.stubs)
        assert not hasattr(gflow_lib, ex.checked), f"{where}: {ex.checked} shadows the library's"


def test_instructor_page_lists_every_exercise():
    """book/instructors.md is written by hand from the chapters: it must name every exercise
    and every check (regenerate its table with `python -m tools.student --table`)."""
    page = (BOOK / "instructors.md").read_text()
    missing = []
    for path in CHAPTERS:
        for ex in _chapter(path)[3]:
            missing += [f"`{ex.label}`"] if f"`{ex.label}`" not in page else []
            missing += [ex.check] if ex.check and ex.check not in page else []
    assert not missing, f"book/instructors.md does not mention: {missing}"
    assert page.startswith("(instructors)=\n# ")


def test_chapter_stub_messages(chapter):
    _, nb, student, _ = chapter
    assert_stub_messages(nb, student)


@pytest.mark.notebooks
def test_chapter_runs_up_to_first_stub(chapter, nbval_chapters, tmp_path):
    """See the module docstring: executed in a kernel only when nbval's run of the chapter
    does not already cover the code before the first stub, or the rest needs the state."""
    path, nb, student, _ = chapter
    if path.resolve() in nbval_chapters and prefix_is_the_chapters(nb, student):
        result = run_from_first_stub_here(student)
        if result is not None:
            _assert_first_stub_hit(*result, *_stubs(student)[1:])
            return
    assert_runs_up_to_first_stub(student, tmp_path)


# --------------------------------------------------------------------------------------------
# Faithful text: captions, numbers and links as in the book, no book-only sentences
# --------------------------------------------------------------------------------------------
HTML = ROOT / "_build" / "html"
RAW_MYST = re.compile(r"\{[a-z:-]+\}`|^\([\w:-]+\)=|\$\$[ \t]*\([\w:-]+\)|^:::|^```\{",
                      re.MULTILINE)
LINK = re.compile(r"\]\((?P<url>https?://[^)\s]+)\)")


def _markdown(nb):
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def test_chapter_copy_shows_each_caption_under_its_figure(chapter):
    _, nb, student, _ = chapter
    figures = [c for c in nb.cells
               if c.cell_type == "code" and c.metadata.get("mystnb", {}).get("figure", {})
               .get("caption")]
    index = book_refs.book_index()
    shown = []
    for i, cell in enumerate(student.cells[:-1]):
        nxt = student.cells[i + 1]
        if cell.cell_type == "code" and nxt.cell_type == "markdown" and nxt.source.startswith(
                "**Figure "):
            shown.append(nxt.source)
    assert len(shown) == len(figures)
    for cell, text in zip(figures, shown, strict=True):
        fig = cell.metadata["mystnb"]["figure"]
        assert text.startswith(f"**Figure {index[fig['name']].number}.** ")
        words = [w for w in re.findall(r"[A-Za-z]{4,}", fig["caption"])][:5]
        assert all(w in text for w in words), (text, words)


def test_chapter_copy_has_no_raw_myst_and_no_book_only_sentence(chapter):
    path, _, student, _ = chapter
    text = "\n".join(_markdown(student))
    assert not RAW_MYST.findall(text), f"{path.stem}: raw MyST {RAW_MYST.findall(text)[:5]}"
    for phrase in book_refs.BOOK_ONLY_PHRASES:
        assert phrase.lower() not in " ".join(text.lower().split()), (path.stem, phrase)


def test_roles_become_the_books_numbers_and_links():
    index = {"eq-loss": book_refs.Target("book/data", "equation-eq-loss", "1.3"),
             "fig-x": book_refs.Target("book/data", "fig-x", "1.7", "A caption"),
             "data": book_refs.Target("book/data", "", None, "The data and the model")}
    url = book_refs.base_url() + "book/data.html"
    text = ("By {eq}`eq-loss`, {numref}`fig-x` and {numref}`Figure %s <fig-x>` in the\n"
            "{ref}`first chapter\n<data>`, {ref}`data`, {ref}`no-such-label` "
            "{cite}`prince2024gradientflow`.\n\n(data)=\n\n$$\nx\n$$ (eq-loss)")
    out = book_refs.plain_markdown(text, index)
    assert out.startswith(f"By [(1.3)]({url}#equation-eq-loss), [Fig. 1.7]({url}#fig-x) and "
                          f"[Figure 1.7]({url}#fig-x) in the\n[first chapter]({url}), "
                          f"[The data and the model]({url}), no-such-label "
                          "([Prince, 2024c](https://")  # the bibliography's label
    assert out.endswith("$$\nx\n\\tag{1.3}\n$$") and "(data)=" not in out


def test_chapter_numrefs_become_the_chapters_number_and_title():
    """Sphinx's ``{number}`` and ``{name}`` in a numref's text are the chapter's number in the
    sidebar and its title; no placeholder reaches a copy (the introduction's chapter map)."""
    url = book_refs.base_url() + "book/"
    out = book_refs.resolve_roles("{numref}`{number}. {name} <data>` and "
                                  "{numref}`Chapter {number} <explorer>`; "
                                  "{numref}`{number}. {name} <no-such-label>`")
    assert out == (f"[1. The data and the model]({url}data.html) and "
                   f"[Chapter 9]({url}explorer.html); no-such-label")


def test_intro_copy_names_every_chapter():
    student, _ = tool.make_student(tool.load(ROOT / "book" / "md" / "intro.md"), "intro")
    text = "\n".join(_markdown(student))
    assert "{number}" not in text and "{name}" not in text
    for n, page in enumerate(["data", "closed_form", "landscape", "ml_vs_map",
                              "bayes_over_time", "function_space", "ntk", "ntk_training",
                              "explorer"], start=1):
        assert re.search(rf"\[{n}\. [A-Z][^\]]+\]\([^)]*book/{page}\.html\)", text), page


def test_book_only_sentences_are_rewritten():
    text = ("Solve it. The cell after the solution\nchecks your function.\n\n"
            "In this static page there is no kernel: a script\nholds it.\n\nNext.")
    out = book_refs.plain_markdown(text, {})
    assert "The check cell after your function\nchecks your function." in out
    assert "cell after the solution" not in out
    assert "static page" not in out and out.endswith("Next.")


def test_the_base_url_is_the_published_book():
    url = book_refs.base_url()
    assert url == "https://gradient-flow-book.github.io/gradient-flow/"
    assert url in (ROOT / "README.md").read_text()


def _html(page):
    path = HTML / f"{page}.html"
    return path.read_text() if path.is_file() else None


@pytest.mark.book  # tests/conftest.py fails it, saying so, when the book is not built
def test_numbers_and_anchors_match_the_built_book():
    """Every number the copies print is the one the HTML book shows, and every anchor they
    link to exists on its page."""
    index = book_refs.book_index()
    pages = {t.page for t in index.values() if t.number is not None}
    for page in pages:
        html = _html(page)
        assert html is not None, f"{page}.html is missing from the built book"
        eqs = [t.number for t in index.values() if t.page == page and t.anchor.startswith(
            "equation-") and t.number]
        figs = [t.number for t in index.values() if t.page == page and t.number
                and not t.anchor.startswith("equation-")]
        html_eqs = re.findall(r'<span class="eqno">\(([\d.]+)\)', html)
        html_figs = re.findall(r'caption-number">Fig\. ([\d.]+) ', html)
        assert sorted(eqs) == sorted(html_eqs), (page, eqs, html_eqs)
        assert sorted(figs) == sorted(html_figs), (page, figs, html_figs)
        for t in index.values():
            if t.page == page and t.anchor:
                assert f'id="{t.anchor}"' in html, (page, t.anchor)


@pytest.mark.book  # tests/conftest.py fails it, saying so, when the book is not built
def test_links_of_the_copies_reach_the_built_book(chapter):
    _, _, student, _ = chapter
    base = book_refs.base_url()
    for text in _markdown(student):
        for m in LINK.finditer(text):
            url = m.group("url")
            if not url.startswith(base):
                continue
            page, _, anchor = url[len(base):].partition("#")
            html = (HTML / page).read_text() if (HTML / page).is_file() else None
            assert html is not None, f"link to a page the book lacks: {url}"
            assert not anchor or f'id="{anchor}"' in html, f"no anchor {anchor} in {page}"
