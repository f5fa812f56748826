"""Numbers in the prose come from the code (issue 18, "Make it hard to write again").

``gflow_lib.prose.glue`` writes a value in the form MyST-NB pastes into the text (checked here
with MyST-NB's own reader); ``tools.prose_numbers`` lists typed decimals in a chapter's prose
that equal a number the executed chapter printed or glued, and each chapter must have none.
"""

from __future__ import annotations

import json
import re

import nbformat
import numpy as np
import pytest

from gflow_lib.prose import GLUE_PREFIX, bound, glue
from tools import prose_numbers as tool

CHAPTERS = sorted(p.stem for p in (tool.BOOK / "md").glob("*.md"))

#: Chapters whose prose still types computed numbers, and why they may for now. A chapter
#: leaves this list when it glues them (its test then passes; for the chapters marked strict it
#: must, as an unexpected pass fails).
PENDING = {}


def _nb(markdown: str, code: str, output: str) -> dict:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(code)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    nb.cells = [cell, nbformat.v4.new_markdown_cell(markdown)]
    return json.loads(nbformat.writes(nb))


def test_a_typed_computed_number_is_found():
    nb = _nb("The gap is $0.0254$, well under $\\approx 0.03$.", "print(gap)", "gap 0.025417\n")
    found = tool.typed_numbers("toy", nb)
    assert [t.text for t in found] == ["0.0254"]
    assert "glue it" in str(found[0]) and "0.025417" in str(found[0])


@pytest.mark.parametrize("markdown", [
    "The gap is {glue:text}`gap`.",                     # glued: the way to write it
    "The step `lr = 0.0254` is in code.",               # a code span
    "```python\nx = 0.0254\n```\n",                     # a code block
    "A tenth, $0.03$, or one digit: 0.02.",             # fewer than two significant digits
    "See Fig. 0.25 and section 0.25.",                  # numbering, not values
])
def test_glued_code_and_coarse_numbers_pass(markdown):
    assert tool.typed_numbers("toy", _nb(markdown, "print(x)", "0.025417 0.25\n")) == []


def test_inputs_in_the_code_and_the_allow_list_pass():
    nb = _nb("With $\\mathrm{lr} = 0.45$ and a target of 0.15 the loss is 0.4523.",
             "lr = 0.45\nprint(lr, 0.15)", "0.45 0.15 0.452301\n")
    assert [t.text for t in tool.typed_numbers("toy", nb)] == ["0.4523"]


def test_scientific_notation_in_text_and_captions():
    nb = _nb("It falls to $1.7 \\times 10^{-4}$ and 6.4e-5.", "print(v)", "0.000174 6.4e-05\n")
    nb["cells"][0]["metadata"] = {"mystnb": {"figure": {"caption": "Down to 0.00017."}}}
    found = [t.text for t in tool.typed_numbers("toy", nb)]
    assert found == ["0.00017", "1.7 \\times 10^{-4}", "6.4e-5"]  # the caption first


def test_glue_writes_what_myst_nb_reads():
    """The output has MyST-NB 1.x's glue form: its reader finds the value under the name."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    from myst_nb.ext.glue import extract_glue_data_cell

    InteractiveShell.instance()
    with capture_output() as captured:
        glue("gap_max", 0.0254171, ".4f")
    (out,) = captured.outputs
    assert out.data == {"text/plain": "gap_max = 0.0254", GLUE_PREFIX + "text/plain": "0.0254"}
    cell = nbformat.v4.new_code_cell("glue(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data=out.data,
                                           metadata=out.metadata)]
    ((key, data),) = extract_glue_data_cell(cell)
    assert key == "gap_max" and data["data"]["text/plain"] == "0.0254"
    assert cell.outputs == []  # hidden in the book: the value shows in the sentence


def test_glue_prints_outside_ipython(capsys, monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    glue("n_active", 167, "d")
    assert capsys.readouterr().out == "n_active = 167\n"


@pytest.mark.parametrize("name, value, error, words", [
    ("gap max", 0.1, ValueError, "name must be a word"),
    (3, 0.1, ValueError, "name must be a word"),
    ("gap", 1 + 2j, TypeError, "got complex"),
    ("gap", [0.1], TypeError, "got list"),
])
def test_glue_bad_input(name, value, error, words):
    with pytest.raises(error, match=words):
        glue(name, value, ".3f")


@pytest.mark.parametrize("chapter", [
    pytest.param(c, marks=pytest.mark.xfail(reason=PENDING[c], strict=False))
    if c in PENDING else c for c in CHAPTERS])
def test_no_computed_number_is_typed_in_the_prose(chapter):
    path = tool.BOOK / f"{chapter}.ipynb"
    assert path.exists(), f"{path} is missing: python -m tools.notebooks {chapter}"
    found = tool.typed_numbers(chapter)
    assert not found, "\n".join(map(str, found))


def test_student_copies_show_the_glued_value(monkeypatch):
    """Jupyter and Colab show a student copy's markdown: the role becomes the value."""
    from tools import book_refs

    monkeypatch.setattr(book_refs, "glue_values", lambda: {"gap_max": "0.0254"})
    out = book_refs.plain_markdown("within {glue:text}`gap_max` and {glue}`gap_max`", {})
    assert out == "within 0.0254 and 0.0254"


def test_glue_names_are_unique_in_the_book():
    """A student copy finds a glued value by its name alone."""
    seen = {}
    for path in sorted(tool.BOOK.glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []):
                name = output.get("metadata", {}).get("scrapbook", {}).get("name")
                if name:
                    assert name not in seen, f"{name} glued in {seen[name]} and {path.stem}"
                    seen[name] = path.stem


def test_the_book_shows_a_glued_number_with_its_digits():
    """MyST-NB's {glue:text} would print str(literal_eval(text)): '-0.40' as -0.4 and
    '1.7e-04' as 0.00017; tools/sphinx_glue.py keeps the text (seen failing without it)."""
    import yaml
    from myst_nb.core.variables import format_plain_text

    from tools.sphinx_glue import keep_digits

    assert format_plain_text("-0.40", "s") == "-0.4"  # why the extension exists
    kept = keep_digits(format_plain_text)
    for text in ("-0.40", "1.7e-04", "24", "0.0254"):  # the role passes "s" without a spec
        assert kept(text, "s") == text and kept(text, "") == text
    assert kept("'a str'", "s") == "a str" and kept("0.0254", ".2f") == "0.03"
    config = yaml.safe_load((tool.ROOT / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"].get("sphinx_glue") == "tools"


@pytest.mark.parametrize("value, limit, text", [
    (2.05e-9, 1e-8, "1e-8"), (0.0, 5e-9, "5e-9"), (np.float64(3.5e-13), 1e-11, "1e-11"),
    (np.array(0.5), 100, "1e2"), (9.99e-11, 1e-10, "1e-10"),
])
def test_bound_gives_the_limit_for_a_value_below_it(value, limit, text):
    assert bound(value, limit) == text


@pytest.mark.parametrize("value, limit, error, words", [
    (1e-8, 1e-8, ValueError, "value 1e-08 is not below the bound 1e-08"),  # equal is not below
    (2.3e-8, 1e-8, ValueError, "not below the bound"),
    (float("nan"), 1e-8, ValueError, "value must be a finite non-negative number; got nan"),
    (float("inf"), 1e-8, ValueError, "value must be a finite non-negative number; got inf"),
    (-1e-9, 1e-8, ValueError, "value must be a finite non-negative number"),
    (1e-9, 0.0, ValueError, "limit must be a finite positive number"),
    (1e-9, float("inf"), ValueError, "limit must be a finite positive number"),
    (True, 1e-8, TypeError, "value must be a non-negative real number; got bool"),
    (1e-9, "1e-8", TypeError, "limit must be a positive real number; got str"),
    (1e-9j, 1e-8, TypeError, "value must be real, not complex"),
    ([1e-9], 1e-8, TypeError, "value must be a non-negative real number; got list"),
])
def test_bound_bad_input(value, limit, error, words):
    with pytest.raises(error, match=re.escape(words)):
        bound(value, limit)
