"""Unambiguous citations: author-year labels with a letter for the same author and year.

sphinxcontrib-bibtex's ``author_year`` style writes "[Prince, 2024]" for each of the seven
parts and notebooks of the blog series, and its default ``alpha`` bibliography labels them
"[Pri24a]" ... "[Pri24g]", a form the text never shows. This extension registers the pybtex
style ``gflow``: the entries sorted by author, year and title (as ``alpha``), each labelled
"Author, Year" ("Author and Other", "Author et al."), with a letter after the year where two
labels would be equal ("Prince, 2024a" ... "Prince, 2024g", in the order of the list, the
APA convention). ``_config.yml`` sets ``bibtex_default_style: gflow`` and
``bibtex_reference_style: label``, so a citation and its entry in the list show the same
label. ``tools/book_refs.py`` uses :func:`labels` for the student copies.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.
"""

from __future__ import annotations

import string
from collections import Counter

from pybtex.plugin import find_plugin, register_plugin
from pybtex.style.formatting.alpha import Style as AlphaStyle
from pybtex.style.labels import BaseLabelStyle


def _plain(text: str) -> str:
    return text.replace("{", "").replace("}", "")


def author_year(entry) -> str:
    """"Prince, 2024", "Cho and Saul, 2009", "Lee et al., 2019" (no letter yet)."""
    people = [_plain(" ".join(p.last_names)) for p in entry.persons.get("author", [])]
    names = (people[0] if len(people) == 1 else " and ".join(people) if len(people) == 2
             else f"{people[0]} et al." if people else entry.key)
    return f"{names}, {entry.fields.get('year', 'n.d.')}"


def _with_letters(plain_labels: list[str]) -> list[str]:
    counts, seen = Counter(plain_labels), Counter()
    out = []
    for label in plain_labels:
        if counts[label] > 1:
            out.append(label + string.ascii_lowercase[seen[label]])
            seen[label] += 1
        else:
            out.append(label)
    return out


class AuthorYearLabels(BaseLabelStyle):
    """Labels "Author, Year", with a, b, ... for equal ones, in the order given."""

    def format_labels(self, sorted_entries):
        return iter(_with_letters([author_year(e) for e in sorted_entries]))


class Style(AlphaStyle):
    """The ``alpha`` bibliography (sorted by author, year, title) with author-year labels."""

    default_label_style = "gflow_author_year"


def labels(entries) -> dict[str, str]:
    """{key: label} for a pybtex entry collection, as the book's bibliography labels them."""
    ordered = find_plugin("pybtex.style.sorting", "author_year_title")().sort(list(entries))
    return {e.key: lab for e, lab in zip(ordered, _with_letters(
        [author_year(e) for e in ordered]), strict=True)}


def _register():
    for group, name, cls in (("pybtex.style.labels", "gflow_author_year", AuthorYearLabels),
                             ("pybtex.style.formatting", "gflow", Style)):
        try:
            find_plugin(group, name)
        except Exception:  # not registered yet (pybtex raises PluginNotFound)
            register_plugin(group, name, cls)


def setup(app):
    _register()
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
