"""Each public check's docstring lists the mistakes it names, as its table does: the Returns
section says "in the order tried: ``a``, ``b``, ...", and that list equals the names of the
table's :class:`~gflow_lib.checks.Mistake` rows, in order (issue 16)."""

from __future__ import annotations

import re

import pytest

from gflow_lib import checks
from gflow_lib.checks import grading

NAMES = sorted(n for n in checks.__all__ if n.startswith("check_"))


def documented_mistakes(doc: str) -> list[str]:
    """The names listed after "in the order tried:" up to the end of that sentence."""
    text = " ".join(doc.split())
    m = re.search(r"the mistakes it knows \(``mistake`` is the name\), in the order tried: "
                  r"((?:``[^`]+``(?:, )?)+)\.", text)
    assert m, "the docstring does not list its mistakes ('in the order tried: ``a``, ...')"
    return re.findall(r"``([^`]+)``", m.group(1))


@pytest.mark.parametrize("name", NAMES)
def test_the_docstring_lists_the_tables_mistakes(name):
    table = grading.table_of(name)
    assert documented_mistakes(getattr(checks, name).__doc__) == [m.name for m in table.mistakes]


def test_the_list_is_parsed_across_lines():
    doc = ("A ``str``; it names the mistakes it knows (``mistake`` is the name), in the order "
           "tried: ``no half``, ``X\n        transposed``.\n")
    assert documented_mistakes(doc) == ["no half", "X transposed"]
