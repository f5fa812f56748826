"""The chapters' text as a reader meets it: code that fits the page, figures a screen reader
can describe, one notation, no private jargon, and time estimates derived from one table.

Read from the MyST sources (``book/md/*.md``, through jupytext as ``tools.notebooks`` does) and
from ``book/instructors.md``; no execution, no build.

* Every line of a code cell the page shows is at most 80 characters: the theme scrolls longer
  ones sideways (cells tagged ``remove-cell``, like the Colab install cell fixed by
  CONTRIBUTING.md, are not shown).
* Every figure cell gives its image an alt text (``mystnb: image: alt:``) that says what the
  figure shows, so a screen reader does not read a hashed file name.
* The notation of ``book/notation.md``: the least-squares point is :math:`\\phi_{ML}` only (not
  :math:`\\phi^*`, :math:`\\phi_\\infty`, :math:`\\phi(\\infty)`); the ridge penalty is
  :math:`\\mu`, never a :math:`\\lambda`; a subscript of :math:`\\phi` is a time, so the slope
  and intercept are :math:`\\phi[0]`, :math:`\\phi[1]`, never :math:`\\phi_1`.
* "seed" is not a word of the text: the notebook the book started from is named plainly.
* Time estimates: the table of ``book/instructors.md`` (section 1) is the single source. Each
  chapter's "Estimated reading time" line states its row; each row's exercise minutes are the
  sum of the minutes its exercises state; the last row is the sum of the others; and the
  introduction's "about N hours" is the total rounded to hours.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
SOURCES = sorted(p for p in (BOOK / "md").glob("*.md") if p.name != "README.md")
#: The longest code line: on a desktop (960 px and wider) it fits its box, whose font follows
#: the box (book/site/gflow.css; tests/test_browser.py checks the built pages at 1280 px).
MAX_COLUMNS = 80


def _ids(paths):
    return [p.stem for p in paths]


def _cells(path: Path):
    """The cells of a MyST source, parsed once per run (several tests read each chapter;
    treat them as read-only)."""
    return _parsed(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=None)
def _parsed(path: Path, _mtime_ns: int):
    return jupytext.read(path, fmt="md:myst").cells


def _shown_code_lines(path: Path):
    """(cell number, line) for every line of every code cell the page shows."""
    for k, cell in enumerate(_cells(path)):
        if cell.cell_type != "code" or "remove-cell" in cell.metadata.get("tags", []):
            continue
        for line in cell.source.splitlines():
            yield k, line


def long_code_lines(path: Path, limit: int = MAX_COLUMNS) -> list[str]:
    """The shown code lines of a chapter longer than ``limit`` characters, described."""
    return [f"cell {k}, {len(line)} characters: {line.strip()[:60]}..."
            for k, line in _shown_code_lines(path) if len(line) > limit]


@pytest.mark.parametrize("path", SOURCES, ids=_ids(SOURCES))
def test_code_lines_fit_the_page(path):
    long = long_code_lines(path)
    assert not long, (
        f"{path.name}: {len(long)} code line(s) over {MAX_COLUMNS} characters (the page scrolls "
        "them sideways); wrap them:\n  " + "\n  ".join(long)
    )


def test_the_line_limit_catches_a_long_line(tmp_path):
    """The check itself: an 81-character line in a shown cell is caught, the same line in a
    removed cell is not."""
    long = "x = " + "1 + " * 19 + "1"  # 81 characters
    assert len(long) == MAX_COLUMNS + 1
    text = (
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
        "# A\n\n```{code-cell} ipython3\n:tags: [remove-cell]\n\n" + long + "\n```\n\n"
        "```{code-cell} ipython3\n" + long + "\n```\n"
    )
    path = tmp_path / "a.md"
    path.write_text(text)
    assert len(long_code_lines(path)) == 1


# ---------------------------------------------------------------------- figures: alt text
def _figure_cells(path: Path):
    for k, cell in enumerate(_cells(path)):
        meta = cell.metadata.get("mystnb", {}) if cell.cell_type == "code" else {}
        if "figure" in meta:
            yield k, meta


@pytest.mark.parametrize("path", SOURCES, ids=_ids(SOURCES))
def test_every_figure_has_alt_text(path):
    for k, meta in _figure_cells(path):
        name = meta["figure"].get("name", f"cell {k}")
        alt = str(meta.get("image", {}).get("alt", "")).strip()
        assert alt, (
            f"{path.name}: figure {name} has no alt text; add `image: {{alt: ...}}` to its "
            "mystnb metadata, saying what the figure shows"
        )
        assert len(alt.split()) >= 8, f"{path.name}: alt text of {name} is too short: {alt!r}"
        assert "$" not in alt and "\\" not in alt, (
            f"{path.name}: alt text of {name} must be plain words (a screen reader reads TeX "
            f"as symbols): {alt!r}"
        )


# ------------------------------------------------------------------------------ notation
def _prose(path: Path) -> str:
    """The markdown cells, without code spans and fenced code."""
    text = "\n".join(c.source for c in _cells(path) if c.cell_type == "markdown")
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    return re.sub(r"`[^`\n]*`", " ", text)


def _all_text(path: Path) -> str:
    """Markdown and the figure captions of code cells (they are text on the page too)."""
    parts = [_prose(path)]
    for _, meta in _figure_cells(path):
        parts.append(str(meta["figure"].get("caption", "")))
    return "\n".join(parts)


#: TeX that writes a symbol the notation page retired, and what to write instead.
RETIRED = {
    r"\phi^*": r"\phi_{ML} (the least-squares point has one name)",
    r"\phi_\infty": r"\phi_{ML}",
    r"\phi(\infty)": r"\phi_{ML}",
    r"\lambda_{\text{ridge}}": r"\mu (the ridge penalty; lambda is for eigenvalues)",
    r"\phi_1": r"\phi[1] (a subscript of phi is a time)",
    r"L_\infty": r"L_{\min}",
    # issue 18: one symbol, one meaning
    r"\lambda \approx 1/t": r"\mu \approx 1/t (the penalty is mu)",
    r"u = (x, 1)": r"\tilde x = (x, 1) (u_k are eigenvectors)",
    r"\kappa_1(c)": r"\kappa_1(\rho) (c_k are eigen-coordinates)",
    r"\kappa_0(c)": r"\kappa_0(\rho) (c_k are eigen-coordinates)",
    r"\bar v": r"\overline{\operatorname{Var}}",
}


@pytest.mark.parametrize("path", [*SOURCES, BOOK / "notation.md", BOOK / "instructors.md"],
                         ids=[*_ids(SOURCES), "notation", "instructors"])
def test_retired_symbols_are_not_used(path):
    text = _all_text(path) if path.parent.name == "md" else path.read_text()
    found = [f"{tex} -> write {instead}" for tex, instead in RETIRED.items()
             if re.search(re.escape(tex) + r"(?![A-Za-z])", text)]
    if path.name == "notation.md":  # the page may name a retired symbol to retire it
        found = [f for f in found if "retired" not in text]
    assert not found, f"{path.name} uses retired notation:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("path", SOURCES, ids=_ids(SOURCES))
def test_seed_is_not_a_word_of_the_text(path):
    """Readers were never told what "the seed" is: name the blog post or its notebook."""
    hits = re.findall(r"[^\n]{0,30}\bseed\b[^\n]{0,30}", _all_text(path), flags=re.I)
    assert not hits, f"{path.name} says 'seed' in its text: {hits}"


# ------------------------------------------------------------------------ time estimates
TIMES_HEADING = "## 1. Learning objectives and times"
READING = re.compile(
    r"\*\*Estimated reading time:\*\*\s+(?:about\s+)?(\d+)\s+minutes\s+\(plus\s+(?:about\s+)?"
    r"(\d+)\s+minutes\s+for\s+the\s+exercises\)"
)
INTRO = re.compile(r"about (\d+) hours\s+for\s+the\s+book\s+with\s+its\s+exercises")


def times_table(text: str | None = None) -> tuple[dict[str, tuple[int, int, int]], tuple]:
    """The rows of the instructors' time table: chapter label -> (reading, exercises, total),
    and the last row's three totals."""
    text = (BOOK / "instructors.md").read_text() if text is None else text
    section = text.split(TIMES_HEADING, 1)[1].split("\n## ", 1)[0]
    rows, last = {}, None
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[1].isdigit():
            continue
        nums = tuple(int(c) for c in cells[1:])
        m = re.fullmatch(r"\{ref\}`([\w-]+)`", cells[0])
        if m:
            rows[m.group(1)] = nums
        else:
            last = nums
    return rows, last


def _label(path: Path) -> str:
    m = re.search(r"^\(([\w-]+)\)=\s*$", path.read_text(), flags=re.M)
    assert m, f"{path.name} has no (label)= line"
    return m.group(1)


def _toc_chapters() -> list[Path]:
    """The chapters of _toc.yml that have a MyST source, the introduction aside."""
    text = (ROOT / "_toc.yml").read_text()
    files = re.findall(r"file:\s*(\S+)", text)
    root = yaml.safe_load(text)["root"]
    out = []
    for f in files:
        src = BOOK / "md" / f"{Path(f).name}.md"
        if f != root and src.exists():
            out.append(src)
    return out


def exercise_minutes(path: Path) -> list[int]:
    """The minutes each exercise of a chapter states in its first line."""
    out = []
    for block in re.findall(r":::\{exercise\}.*?\n(.*?):::", path.read_text(), flags=re.S):
        body = "\n".join(ln for ln in block.splitlines() if not ln.startswith(":"))
        m = re.search(r"(\d+) min", body)
        assert m, f"{path.name}: an exercise states no time: {body.strip()[:80]!r}"
        out.append(int(m.group(1)))
    return out


def test_every_chapter_states_the_times_of_the_table():
    rows, _ = times_table()
    for path in _toc_chapters():
        label = _label(path)
        assert label in rows, (
            f"{path.name}: chapter {label!r} has no row in the time table of "
            "book/instructors.md (section 1), the single source of time estimates"
        )
        m = READING.search(path.read_text())
        assert m, (
            f"{path.name}: no line '**Estimated reading time:** R minutes (plus E minutes for "
            "the exercises)'"
        )
        reading, exercises, total = rows[label]
        assert (int(m.group(1)), int(m.group(2))) == (reading, exercises), (
            f"{path.name} states {m.group(1)} + {m.group(2)} minutes, the table {reading} + "
            f"{exercises}: change one of them"
        )
        assert reading + exercises == total, f"row {label}: {reading} + {exercises} != {total}"
        stated = exercise_minutes(path)
        assert sum(stated) == exercises, (
            f"{path.name}: its exercises state {stated} minutes, {sum(stated)} in all, the "
            f"table {exercises}"
        )


def test_the_totals_and_the_introduction_are_derived_from_the_table():
    rows, last = times_table()
    sums = tuple(sum(r[i] for r in rows.values()) for i in range(3))
    assert last == sums, f"the table's last row {last} is not the sum of its rows {sums}"
    m = INTRO.search((BOOK / "md" / "intro.md").read_text())
    assert m, "intro.md: no 'about N hours for the book with its exercises'"
    assert int(m.group(1)) == round(sums[2] / 60), (
        f"intro.md says about {m.group(1)} hours; the table adds up to {sums[2]} minutes, "
        f"about {round(sums[2] / 60)} hours"
    )


def test_the_time_checks_catch_a_wrong_total():
    """The parser reads rows and totals, so a total off by one minute is seen."""
    table = (f"{TIMES_HEADING}\n\n| Chapter | R | E | T |\n|---|---|---|---|\n"
             "| {ref}`a` | 10 | 20 | 30 |\n| {ref}`b` | 5 | 5 | 10 |\n"
             "| The book | 15 | 25 | 41 |\n")
    rows, last = times_table(table)
    assert rows == {"a": (10, 20, 30), "b": (5, 5, 10)} and last == (15, 25, 41)
    assert tuple(sum(r[i] for r in rows.values()) for i in range(3)) != last


# ------------------------------------------------------------------------- citations
def test_every_citation_label_is_unambiguous():
    """Seven sources by Prince (2024) once all read "[Prince, 2024]" (issue 18): the book's
    bibliography style (tools/sphinx_bib.py) gives each entry its own label, with a letter
    where author and year are equal, and the student copies use the same labels."""
    from pybtex.database import parse_file

    from tools.sphinx_bib import _with_letters, labels

    assert _with_letters(["A, 1", "B, 2", "A, 1"]) == ["A, 1a", "B, 2", "A, 1b"]
    entries = parse_file(str(BOOK / "references.bib")).entries
    found = labels(entries.values())
    assert sorted(found) == sorted(entries), "an entry has no label"
    assert len(set(found.values())) == len(found), f"labels repeat: {sorted(found.values())}"
    prince = sorted(v for k, v in found.items() if k.startswith("prince2024"))
    assert prince == [f"Prince, 2024{c}" for c in "abcdefg"[:len(prince)]], prince


def test_the_book_uses_the_unambiguous_style():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    sphinx = config["sphinx"]
    assert sphinx["local_extensions"].get("sphinx_bib") == "tools"
    assert sphinx["config"]["bibtex_default_style"] == "gflow"
    assert sphinx["config"]["bibtex_reference_style"] == "label"


def test_the_instructors_page_states_each_chapters_objectives():
    """The outcome lists of book/instructors.md are the chapters' own learning objectives,
    word for word (closed_form's and ml_vs_map's had drifted apart, issue 18)."""
    page = " ".join((BOOK / "instructors.md").read_text().split())
    for path in _toc_chapters():
        text = path.read_text()
        block = text[text.index("**Learning objectives.**"):text.index("**Estimated reading")]
        objectives = " ".join(block.split(" can", 1)[1].split())
        assert objectives in page, f"book/instructors.md does not state {path.stem}'s objectives"
