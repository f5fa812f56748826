"""The library's docstrings (issue 16): at most 30 % of its lines, full numpydoc for every name
a chapter calls, and the shared parameter text of ``gflow_lib._docs`` filled in at import."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import gflow_lib
from gflow_lib import _docs

PACKAGE = Path(gflow_lib.__file__).parent
CHAPTERS = Path(__file__).parents[1] / "book" / "md"
MAX_SHARE = 0.30  # issue 16's aim, met (38.8 %, then 33.2 %, now 29.8 %)
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def docstring_nodes(tree: ast.Module):
    """The string constants that open the module and each class and function body."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                yield body[0]


def docstring_share(paths) -> tuple[int, int]:
    """(docstring lines, all lines) of the source files, as issue 16 measures them."""
    doc = total = 0
    for path in paths:
        text = path.read_text()
        total += len(text.splitlines())
        doc += sum(n.end_lineno - n.lineno + 1 for n in docstring_nodes(ast.parse(text)))
    return doc, total


def test_docstrings_are_at_most_30_percent_of_the_library():
    doc, total = docstring_share(sorted(PACKAGE.rglob("*.py")))
    assert total > 5000  # the whole library was read
    assert doc / total <= MAX_SHARE, (
        f"docstrings are {doc} of {total} lines ({doc / total:.1%}), more than {MAX_SHARE:.0%}: "
        "share parameter text through gflow_lib._docs, give helpers one line")


def test_the_share_counts_every_docstring_line(tmp_path):
    source = tmp_path / "m.py"
    source.write_text('"""Module."""\n\n\nclass A:\n    """Two\n    lines."""\n\n'
                      '    def f(self):\n        """One."""\n        return "not a docstring"\n')
    assert docstring_share([source]) == (4, 10)


def chapter_names() -> dict[str, object]:
    """Every library name a chapter's code cell imports from gflow_lib (or reads as ``gl.x``),
    as ``module:name`` -> the object."""
    found = {}
    for md in sorted(CHAPTERS.glob("*.md")):
        for cell in re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", md.read_text(), re.S):
            if cell.startswith("---"):  # cell metadata
                cell = cell.split("---", 2)[2]
            lines = [line for line in cell.splitlines()  # no short metadata, magics, shell
                     if not re.match(r":|[%!]", line)]
            for node in ast.walk(ast.parse("\n".join(lines))):
                if (isinstance(node, ast.ImportFrom) and node.module
                        and node.module.startswith("gflow_lib")):
                    module = importlib.import_module(node.module)
                    for alias in node.names:
                        found[f"{node.module}:{alias.name}"] = getattr(module, alias.name)
                elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                      and node.value.id == "gl"):
                    found[f"gflow_lib:{node.attr}"] = getattr(gflow_lib, node.attr)
    return found


CALLED = {name: obj for name, obj in chapter_names().items()
          if inspect.isfunction(obj) or inspect.isclass(obj)}


def test_the_chapters_call_many_library_names():
    assert len(CALLED) > 80
    assert "gflow_lib:LinearFlow" in CALLED and "gflow_lib.plotting:plot_fits" in CALLED


def sections(doc: str) -> set[str]:
    """The numpydoc section headings of a docstring (a title underlined with dashes)."""
    return set(re.findall(r"^\s*([A-Z][A-Za-z ]+)\n\s*-{3,}\s*$", inspect.cleandoc(doc), re.M))


def takes_arguments(obj) -> bool:
    params = inspect.signature(obj).parameters
    return any(name != "self" for name in params)


@pytest.mark.parametrize("name", sorted(CALLED))
def test_names_called_from_chapters_have_full_numpydoc(name):
    obj = CALLED[name]
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    assert "%(" not in doc, f"{name}: an unfilled placeholder in {doc!r}"
    found = sections(doc)
    if takes_arguments(obj):
        assert "Parameters" in found, f"{name}: no Parameters section (has {sorted(found)})"
    wanted = {"Attributes", "Returns"} if inspect.isclass(obj) else {"Returns"}
    returns_none = inspect.signature(obj).return_annotation in (None, "None")
    assert returns_none or found & wanted, f"{name}: no {' or '.join(sorted(wanted))} section"
    assert "Introduced in" in " ".join(doc.split()), f"{name}: no 'Introduced in the chapter'"


def library_objects():
    """(dotted name, object) for every module, class, function and property of gflow_lib."""
    modules = [gflow_lib] + [importlib.import_module(info.name) for info in
                             pkgutil.walk_packages(gflow_lib.__path__, prefix="gflow_lib.")]
    for module in modules:
        yield module.__name__, module
        for name, obj in vars(module).items():
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj
            elif inspect.isclass(obj):
                yield f"{module.__name__}.{name}", obj
                for attr, member in vars(obj).items():
                    if inspect.isfunction(member) or isinstance(member, property):
                        yield f"{module.__name__}.{name}.{attr}", member


def test_no_placeholder_is_left_unfilled_after_import():
    objects = dict(library_objects())
    assert len(objects) > 300
    unfilled = [name for name, obj in objects.items() if "%(" in (obj.__doc__ or "")
                and not name.startswith("gflow_lib._docs")]  # which explains the syntax
    assert not unfilled, f"docstrings with an unfilled %(...)s placeholder: {unfilled}"


def test_the_filled_text_is_what_help_shows():
    from gflow_lib.plotting import plot_outputs

    doc = inspect.getdoc(plot_outputs)
    assert "t : array_like, shape (T,)\n    Times along the horizontal axis." in doc


def test_every_placeholder_in_the_source_is_in_the_shared_table():
    used = set()
    for path in sorted(set(PACKAGE.rglob("*.py")) - {Path(_docs.__file__)}):
        for node in docstring_nodes(ast.parse(path.read_text())):
            used |= set(PLACEHOLDER.findall(node.value.value))
    assert used, "no docstring uses the shared table"
    assert not used - set(_docs.PARAMS), f"not in _docs.PARAMS: {sorted(used - set(_docs.PARAMS))}"


def test_fill_indents_like_the_placeholder_and_refuses_unknown_names():
    table = {"a": "a : int\n    The a."}

    def f():
        """Summary.

        Parameters
        ----------
        %(a)s
        """

    doc = _docs.format_doc(f.__doc__, table)
    assert "        a : int\n            The a.\n" in doc
    with pytest.raises(KeyError, match=r"%\(b\)s"):
        _docs.format_doc("Text %(b)s.", table)
    assert _docs.format_doc(None) is None
    assert _docs.format_doc("100 % sure, %d and %s stay.") == "100 % sure, %d and %s stay."


def test_fill_works_on_functions_classes_and_properties():
    class A:
        @_docs.fill
        @property
        def p(self):
            """%(seed)s"""

    @_docs.fill
    class B:
        """%(seed)s"""

    assert A.p.__doc__.startswith("seed : int\n") and B.__doc__.startswith("seed : int\n")
