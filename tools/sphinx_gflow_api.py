"""A Sphinx directive that documents every public module of a package, found by walking it.

``book/api.md`` uses it so the API reference follows the library as it grows::

    ```{gflow-api} gflow_lib
    ```

Every module and subpackage whose dotted name has no part starting with ``_`` gets a section
(a level-2 heading) with ``.. automodule::``; the directive is for MyST pages (it writes
MyST). Plain modules document their members (their ``__all__`` when they have one, else every
public name defined in them); packages document only what they define themselves
(``:ignore-module-all:``), since what they re-export is documented once, in the module that
defines it, which avoids duplicate object descriptions.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.
"""

from __future__ import annotations

import importlib
import pkgutil

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def public_modules(package: str) -> list[str]:
    """Dotted names of ``package`` and of all its public submodules, parents first."""
    pkg = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(pkg.__path__, prefix=package + "."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        names.append(info.name)
    return sorted(names, key=lambda n: n.split("."))


def is_package(name: str) -> bool:
    return hasattr(importlib.import_module(name), "__path__")


def module_myst(name: str) -> list[str]:
    """MyST for one module: a heading (its dotted name) and an automodule directive.

    autodoc writes reStructuredText, so the directive sits in an ``eval-rst`` block; the
    page that uses ``{gflow-api}`` is MyST Markdown, whose parser reads what this returns.
    """
    options = ["   :members:"]
    if is_package(name):
        options.append("   :ignore-module-all:")
    return [f"## `{name}`", "", "```{eval-rst}", f".. automodule:: {name}", *options, "```", ""]


class GflowApi(SphinxDirective):
    """``{gflow-api} PACKAGE``: one section per public module of PACKAGE."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        package = self.arguments[0]
        try:
            names = public_modules(package)
        except ImportError as exc:
            raise self.error(f"gflow-api: cannot import {package!r}: {exc}") from exc
        lines: list[str] = []
        for name in names:
            module = importlib.import_module(name)
            if getattr(module, "__file__", None):
                self.env.note_dependency(module.__file__)
            lines += module_myst(name)
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="gflow-api"), container)
        return container.children


def setup(app):
    app.add_directive("gflow-api", GflowApi)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
