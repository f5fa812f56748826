"""Write the student copy of each chapter: solutions removed, code to write stubbed out.

The chapters hold their exercises and solutions together (sphinx-exercise). The student copy
is generated from the same source, never kept by hand:

* every ``{solution}`` block is removed (colon ``:::`` or backtick fences, any length);
* every gated ``{solution-start} LABEL`` ... ``{solution-end}`` span is removed, across cells:
  the markdown around it and any code cell inside it, except the code cells tagged
  ``solution``; in those, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` become
  ``raise NotImplementedError("Exercise LABEL: write the body of NAME")``, and the signature,
  docstring and comments outside the markers stay;
* outputs and execution counts are cleared, and a banner cell is added on top (optional);
* each ``{exercise}`` directive becomes plain markdown (bold title and label, then the body),
  since Colab and plain Jupyter show MyST directives as raw text (``--keep-myst`` keeps them).

The input is a MyST source (``book/md/NAME.md``) or a generated notebook (``book/NAME.ipynb``);
both hold the same cells. Markdown is tokenized by :mod:`tools.myst` with the same parser
settings as the book (myst-parser's markdown-it with colon fences), so a fence is found
exactly where Sphinx finds it. Anything that still looks like a solution afterwards is an
error, not a silent leak.

Usage::

    python -m tools.student                  # every chapter of book/md/ into _build/student/
    python -m tools.student data closed_form # only these chapters
    python -m tools.student --out DIR --no-banner
    python -m tools.student --table          # print the table of exercises per chapter
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import nbformat

from tools import book_refs
from tools.myst import blocks, options_and_body
from tools.notebooks import sources

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "book" / "md"
OUT = ROOT / "_build" / "student"

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
SOLUTION_TAG = "solution"

_CHECK = re.compile(r"\b(check_\w+)\s*\(\s*(\w+)?")
_DEF = re.compile(r"^(?P<indent>\s*)(?:async\s+)?def\s+(?P<name>\w+)\s*\(")
_MINUTES = re.compile(r"(\d+)\s*(?:[-–]\s*(\d+)\s*)?(?:min\b|minutes?\b)", re.IGNORECASE)
_OBJECTIVES = re.compile(r"\bObjectives?\s+(\d+(?:\s*(?:,|and|&)\s*\d+)*)", re.IGNORECASE)
_KINDS = (
    ("coding", re.compile(r"\bcod(?:e|ing)\b", re.IGNORECASE)),
    ("derivation", re.compile(r"\bderiv|\bprove\b|\bshow that\b", re.IGNORECASE)),
    ("exploration", re.compile(r"\bexplor", re.IGNORECASE)),
)


class StudentCopyError(ValueError):
    """The chapter breaks the exercise convention, so no safe student copy can be written."""


@dataclass
class Exercise:
    """One exercise of a chapter, as read from its ``{exercise}`` directive."""

    chapter: str
    label: str
    title: str
    body: str
    solution: str | None = None  # "folded" ({solution}) or "gated" (solution-start/end)
    stubs: list[str] = field(default_factory=list)  # messages of its NotImplementedError stubs
    check: str | None = None  # the gflow_lib.checks function called after its solution
    checked: str | None = None  # the name of the learner's function that the check is given

    @property
    def coding(self) -> bool:
        return bool(self.stubs)

    @property
    def kind(self) -> str:
        """coding if the solution holds code to write, else derivation/exploration by wording."""
        if self.coding:
            return "coding"
        text = f"{self.title}\n{self.body}"
        for kind, pattern in _KINDS[1:]:
            if pattern.search(text):
                return kind
        return "other"

    @property
    def objectives(self) -> str:
        """The chapter's learning objectives the exercise serves, as written ("2, 3")."""
        m = _OBJECTIVES.search(f"{self.title}\n{self.body}")
        return ", ".join(re.findall(r"\d+", m.group(1))) if m else ""

    @property
    def minutes(self) -> str:
        """The estimated time as written in the exercise ("10" or "10-15"), or "" if absent."""
        m = _MINUTES.search(f"{self.title}\n{self.body}")
        if not m:
            return ""
        return m.group(1) if not m.group(2) else f"{m.group(1)}-{m.group(2)}"


def stub_code(source: str, label: str) -> tuple[str, list[str]]:
    """Replace each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` span of a code cell by a stub.

    The stub sits at the indentation of the ``BEGIN`` marker and raises ``NotImplementedError``
    with a message naming the exercise and the enclosing function, e.g.
    ``"Exercise data-ex-residuals: write the body of residuals_at"``. Lines outside the markers
    (signature, docstring, comments) are kept. Returns the new source and the messages.
    """
    lines = source.splitlines()
    out: list[str] = []
    messages: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(END):
            raise StudentCopyError(f"exercise {label}: '{END}' without a '{BEGIN}' before it")
        if not stripped.startswith(BEGIN):
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(line.lstrip())]
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(END):
            if lines[j].strip().startswith(BEGIN):
                raise StudentCopyError(
                    f"exercise {label}: nested '{BEGIN}' (line {j + 1}) inside another solution"
                )
            j += 1
        if j == len(lines):
            raise StudentCopyError(f"exercise {label}: '{BEGIN}' on line {i + 1} is never closed")
        func = None
        for prev in reversed(out):
            m = _DEF.match(prev)
            if m and len(m.group("indent")) < len(indent):
                func = m.group("name")
                break
        what = f"write the body of {func}" if func else "write the code of this cell"
        message = f"Exercise {label}: {what}"
        out.append(f"{indent}# Your code here ({what}).")
        out.append(f"{indent}raise NotImplementedError({json.dumps(message)})")
        messages.append(message)
        i = j + 1
    return "\n".join(out), messages


def load(path: Path) -> nbformat.NotebookNode:
    """Read a chapter from its MyST source (``.md``) or its notebook (``.ipynb``)."""
    path = Path(path)
    if path.suffix == ".md":
        nb = jupytext.read(path, fmt="md:myst")
        nb.metadata.pop("jupytext", None)
        return nb
    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    raise StudentCopyError(f"path must be a .md MyST source or an .ipynb notebook; got {path}")


def _banner(chapter: str, coding: bool) -> nbformat.NotebookNode:
    todo = (
        "In each coding exercise a function raises `NotImplementedError`: write its body where "
        "it says *Your code here*, then run the check cell below it, which prints feedback. "
        if coding
        else ""
    )
    return nbformat.v4.new_markdown_cell(
        f"> **Student copy of the chapter `{chapter}`.** The solutions are removed. {todo}"
        "Run the cells from the top; the first cell installs `gflow_lib` when it is missing "
        "(Colab)."
    )


def make_student(nb, chapter: str, banner: bool = True, plain_exercises: bool = True,
                 faithful: bool = True):
    """The student copy of a chapter notebook, and the exercises found in it.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The chapter, from :func:`load`. It is not modified.
    chapter : str
        The chapter's name, used in messages and in the banner.
    banner : bool
        Put a markdown cell on top that says what the copy is.
    plain_exercises : bool
        Write each ``{exercise}`` directive as plain markdown (a bold title line with the
        label, then the body), which Colab and plain Jupyter render; MyST directives would show
        there as raw text.
    faithful : bool
        Write the text as Jupyter and Colab should show it (``tools/book_refs.py``): MyST
        roles resolved to the book's numbers and links, equations tagged with their
        numbers, each figure's caption as a markdown cell under its figure cell, targets
        and admonitions made plain, and the sentences true only in the book rewritten.

    Returns
    -------
    student : nbformat.NotebookNode
        Solutions removed, code to write stubbed, outputs and execution counts cleared.
    exercises : list of Exercise
        In the order of the chapter, with the kind of solution each one has.

    Raises
    ------
    StudentCopyError
        A gated solution not closed (or closed twice), a ``solution`` cell without markers,
        unbalanced markers, or solution text that survives the removal.
    """
    exercises: dict[str, Exercise] = {}
    cells = []
    gate = None  # label of the open gated solution, if any
    current = None  # label of the last exercise seen, for markers outside a gate
    closed = None  # label of the gated solution that just ended: its check cell comes next

    def solution_for(label, form, where):
        if not label:
            raise StudentCopyError(f"{chapter}: a {{{form}}} without an exercise label ({where})")
        ex = exercises.get(label)
        if ex is None:
            raise StudentCopyError(
                f"{chapter}: solution for {label!r} ({where}) does not follow an exercise "
                f"with that label; exercises so far: {sorted(exercises) or 'none'}"
            )
        ex.solution = "gated" if form == "solution-start" else "folded"
        return ex

    for index, cell in enumerate(nb.cells):
        where = f"cell {index}"
        new = copy.deepcopy(cell)
        if cell.cell_type == "markdown":
            lines = cell.source.splitlines()
            drop = [gate is not None] * len(lines)
            subst = {}  # first line of a block -> the lines written instead of the block
            cursor = 0
            for start, end, name, arg, tok in blocks(cell.source):
                for k in range(cursor, start):
                    drop[k] = gate is not None
                removed = gate is not None
                if name in ("exercise", "exercise-start") and gate is None:
                    opts, body = options_and_body(tok.content)
                    label = opts.get("label")
                    if not label:
                        raise StudentCopyError(f"{chapter}: an exercise without :label: ({where})")
                    exercises[label] = Exercise(chapter, label, arg or "", body)
                    current = label
                    if plain_exercises and name == "exercise":
                        title = f"**Exercise: {arg}**" if arg else "**Exercise**"
                        subst[start] = [f"{title} (`{label}`)", "", *body.splitlines()]
                        removed = True
                elif name == "solution":
                    solution_for(arg.split()[0] if arg else "", name, where)
                    removed = True
                elif name == "solution-start":
                    if gate is not None:
                        raise StudentCopyError(
                            f"{chapter}: solution-start {arg!r} ({where}) inside the open "
                            f"gated solution of {gate!r}"
                        )
                    gate = solution_for(arg.split()[0] if arg else "", name, where).label
                    current = gate
                    removed = True
                elif name == "solution-end":
                    if gate is None:
                        raise StudentCopyError(f"{chapter}: solution-end without start ({where})")
                    closed, gate = gate, None
                    removed = True
                for k in range(start, end):
                    drop[k] = removed
                cursor = max(cursor, end)
            for k in range(cursor, len(lines)):
                drop[k] = gate is not None
            kept = []
            for k, line in enumerate(lines):
                kept.extend(subst.get(k, [] if drop[k] else [line]))
            text = "\n".join(kept).strip("\n")
            if not text.strip():
                continue
            new.source = book_refs.plain_markdown(text) if faithful else text
        elif cell.cell_type == "code":
            tags = list(cell.metadata.get("tags", []))
            if gate is not None and SOLUTION_TAG not in tags:
                continue  # code that belongs to the solution only
            if closed is not None:
                m = _CHECK.search(cell.source)
                if m:
                    exercises[closed].check, exercises[closed].checked = m.group(1, 2)
                closed = None
            if SOLUTION_TAG in tags or BEGIN in cell.source:
                label = gate or current
                if label is None:
                    raise StudentCopyError(
                        f"{chapter}: solution code before any exercise ({where})"
                    )
                if BEGIN not in cell.source:
                    raise StudentCopyError(
                        f"{chapter}: the solution cell of {label} ({where}) has no "
                        f"'{BEGIN}' / '{END}' markers around the code to write"
                    )
                new.source, messages = stub_code(cell.source, label)
                exercises[label].stubs.extend(messages)
                tags = [t for t in tags if t != SOLUTION_TAG]
            if tags:
                new.metadata["tags"] = tags
            else:
                new.metadata.pop("tags", None)
            new.outputs = []
            new.execution_count = None
            new.metadata.pop("execution", None)
        else:  # raw cells
            if gate is not None:
                continue
        cells.append(new)
        if faithful and cell.cell_type == "code":
            caption = book_refs.caption_markdown(cell.metadata.get("mystnb", {}).get("figure", {}))
            if caption:
                cells.append(nbformat.v4.new_markdown_cell(caption))

    if gate is not None:
        raise StudentCopyError(f"{chapter}: the gated solution of {gate!r} has no solution-end")

    student = copy.deepcopy(nb)
    student.metadata.pop("widgets", None)
    student.metadata["gflow_lib"] = {"chapter": chapter}  # for the grader (tools/grade.py)
    coding = any(ex.stubs for ex in exercises.values())
    student.cells = ([_banner(chapter, coding)] if banner else []) + cells
    for k, cell in enumerate(student.cells):
        for marker in ("{solution}", "{solution-start}", "{solution-end}", BEGIN, END):
            if marker in cell.source:
                raise StudentCopyError(
                    f"{chapter}: {marker!r} survives in student cell {k} (a solution nested "
                    f"inside another block?); refusing to write a copy that leaks it"
                )
    return student, list(exercises.values())


def write_student(path: Path, out_dir: Path = OUT, banner: bool = True,
                  plain_exercises: bool = True):
    """Write the student copy of one chapter to ``out_dir/<stem>.ipynb``."""
    path = Path(path)
    student, exercises = make_student(
        load(path), path.stem, banner=banner, plain_exercises=plain_exercises
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{path.stem}.ipynb"
    nbformat.write(student, target)
    return target, exercises


def table(exercises: list[Exercise]) -> str:
    """A markdown table of the exercises: chapter, label, title, kind, objectives, minutes,
    and the check function of a coding exercise."""
    rows = [
        "| Chapter | Exercise | Title | Kind | Objectives | Time (min) | Check |",
        "|---|---|---|---|---|---|---|",
    ]
    for ex in exercises:
        rows.append(
            f"| {ex.chapter} | `{ex.label}` | {ex.title} | {ex.kind} | "
            f"{ex.objectives or '?'} | {ex.minutes or '?'} | {ex.check or ''} |"
        )
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", help="chapter names (default: all of book/md)")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (%(default)s)")
    parser.add_argument("--no-banner", action="store_true", help="no banner cell on top")
    parser.add_argument("--keep-myst", action="store_true",
                        help="keep {exercise} directives as MyST (default: plain markdown)")
    parser.add_argument("--table", action="store_true", help="only print the exercise table")
    args = parser.parse_args(argv)
    found = []
    for src in sources(args.chapters):
        try:
            if args.table:
                found += make_student(load(src), src.stem)[1]
                continue
            target, exercises = write_student(
                src, args.out, banner=not args.no_banner, plain_exercises=not args.keep_myst
            )
        except StudentCopyError as exc:
            raise SystemExit(f"{src}: no student copy written: {exc}") from None
        found += exercises
        coding = sum(ex.coding for ex in exercises)
        print(f"{target}: {len(exercises)} exercises ({coding} coding)")
    if args.table:
        print(table(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
