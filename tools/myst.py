"""MyST helpers shared by the tools that read the book's sources (``tools/student.py``,
``tools/book_refs.py``): the book's markdown parser, its top-level blocks and the options of a
directive.

Markdown is tokenized with the same parser settings as the book (myst-parser's markdown-it with
the extensions of ``_config.yml``), so a fence is found exactly where Sphinx finds it.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["blocks", "options_and_body", "parser"]

DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*)$")


@lru_cache(maxsize=1)
def parser():
    """myst-parser's markdown-it, configured like the book (_config.yml myst extensions)."""
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    config = MdParserConfig(
        enable_extensions={"colon_fence", "dollarmath", "amsmath", "deflist", "substitution"}
    )
    return create_md_parser(config, RendererHTML)


def blocks(text: str):
    """Top-level blocks of a markdown text as ``(start, end, directive, arg, token)``.

    ``start``/``end`` are 0-based line numbers (end exclusive); ``directive`` is the name
    inside the braces of a fenced directive (``solution``, ``exercise`` ...) or ``None``.
    """
    for tok in parser().parse(text):
        if tok.level != 0 or tok.map is None:
            continue
        name = arg = None
        if tok.type in ("fence", "colon_fence"):
            m = DIRECTIVE.match(tok.info.strip())
            if m:
                name, arg = m.group("name"), m.group("arg").strip()
        yield tok.map[0], tok.map[1], name, arg, tok


def options_and_body(content: str) -> tuple[dict, str]:
    """Split a directive's content into its ``:key: value`` options and its body."""
    lines = content.splitlines()
    opts = {}
    i = 0
    while i < len(lines):
        m = OPTION.match(lines[i])
        if not m:
            break
        opts[m.group("key")] = m.group("value").strip()
        i += 1
    return opts, "\n".join(lines[i:]).strip()


def toc_documents(toc_path) -> list[str]:
    """Every document of a ``_toc.yml``, in reading order, without its suffix
    (``book/intro``, ``book/notation``, ...): the pages the site builds from it."""
    from pathlib import Path

    import yaml

    toc = yaml.safe_load(Path(toc_path).read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if not isinstance(entry, dict):
                continue
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []) or []:
        walk(part.get("chapters"))
    return [re.sub(r"\.(md|ipynb)$", "", f) for f in files]
