"""The book's numbers and links, for copies of its text that leave the book (student copies).

Jupyter and Colab render markdown, not MyST: a role such as ``{eq}`eq-loss``` or
``{numref}`fig-data``` shows as raw text there, a figure's caption (kept in the code cell's
metadata) does not show at all, and an equation label does not number the equation. This
module reads the whole book once, in the order of ``_toc.yml``, and numbers what Sphinx
numbers as Sphinx does (``numfig`` with ``numfig_secnum_depth`` 1): in a chapter of a
numbered part, equations and captioned figures count per chapter ("3.1"); in the pages
outside (introduction, appendix) they share one count ("1"). So a copy can say what the book
says:

* ``{eq}`label``` becomes ``[(N)](URL#equation-label)``, ``{numref}`fig-x``` becomes
  ``[Fig. N](URL#fig-x)`` (``%s`` or ``{number}`` in a custom text is the number, ``{name}``
  the target's title; a chapter's number is its place in the numbered parts), ``{ref}``
  and ``{doc}`` become links to the book's pages with the target's title or the given text,
  and ``{cite}`` becomes ``[Author, Year](URL)`` from ``book/references.bib``, with the
  bibliography's letter where two are equal ("Prince, 2024c", ``tools/sphinx_bib.py``)
  (``{cite:t}``: ``Author (Year)``), linked to the entry's URL, else the book's references
  page; the book's URL is ``https://OWNER.github.io/REPO/``, from the repository URL of
  ``_config.yml``;
  ``{glue:text}`name``` becomes the value the executed chapter glued under that name
  (``gflow_lib.prose.glue``; names are unique in the book);
* ``$$ ... $$ (label)`` gets ``\\tag{N}``, so the notebook shows the book's number;
* ``(label)=`` targets are dropped and an ``{admonition}`` becomes a quoted block;
* :data:`BOOK_ONLY` rewrites the sentences that are true only in the book (the solution
  folded after an exercise, the web page without a kernel, the launch button).

A role whose target the book does not have keeps its text, without a link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from tools.myst import blocks, options_and_body, parser

ROOT = Path(__file__).resolve().parent.parent
ROLE = re.compile(r"\{(?P<role>eq|numref|ref|doc|cite|cite:t|cite:p|term|glue|glue:text)\}"
                  r"`(?P<body>[^`]+)`")
_TEXT_TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
_EQ_LABEL = re.compile(r"\$\$[ \t]*\((?P<label>[\w:-]+)\)[ \t]*$", re.MULTILINE)
_TARGET_LINE = re.compile(r"^\([\w:-]+\)=[ \t]*\n?", re.MULTILINE)


def _words(phrase: str) -> str:
    """A regex for a phrase whose words may be split across lines."""
    return r"\s+".join(re.escape(w) for w in phrase.split())


# Sentences true only in the book, and what a student copy says instead ("" drops them).
BOOK_ONLY = (
    (re.compile(_words("The cell after the solution")), "The check cell after your function"),
    (re.compile(_words("the cell after the solution")), "the check cell after your function"),
    (re.compile(_words("The solutions to the exercises are folded: open them after trying.")),
     "This copy has no solutions: your instructor releases them."),
    (re.compile(_words("The rocket button at the top of the page opens it in Google Colab;")),
     "Opened in Google Colab,"),
    (re.compile(_words("In this static page there is no kernel:") + r"[^\n]*(?:\n(?!\n)[^\n]*)*"),
     "In the book's web page, which has no kernel, a script computes the same closed forms; "
     "here the kernel runs the library itself."),
)
# Phrases that must not reach a student copy (tests/test_student.py).
BOOK_ONLY_PHRASES = ("cell after the solution", "are folded", "static page", "rocket button",
                     "solution below", "open the solution")


@dataclass(frozen=True)
class Target:
    """Where a label points: the page (``book/data``), the anchor, a number, a title."""

    page: str
    anchor: str
    number: str | None = None
    title: str | None = None


def base_url() -> str:
    """The published book: ``https://OWNER.github.io/REPO/`` from ``repository.url``."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    baseurl = (config.get("html") or {}).get("baseurl")
    if baseurl:
        return baseurl.rstrip("/") + "/"
    m = re.match(r"https://github\.com/([^/]+)/([^/]+?)/?$", config["repository"]["url"])
    if not m:
        raise ValueError(f"repository.url of _config.yml is not a GitHub repository: "
                         f"{config['repository']['url']}")
    return f"https://{m.group(1).lower()}.github.io/{m.group(2)}/"


def page_url(page: str, anchor: str = "") -> str:
    return base_url() + page + ".html" + (f"#{anchor}" if anchor else "")


@lru_cache(maxsize=1)
def _toc_pages() -> dict[str, str]:
    """{page: chapter number ("" outside the numbered parts)}, in the order Sphinx walks."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = {toc["root"]: ""}
    count = 0

    def walk(entries, numbered):
        nonlocal count
        for entry in entries or []:
            if "file" in entry:
                if numbered:
                    count += 1
                pages[entry["file"]] = str(count) if numbered else ""
            walk(entry.get("sections"), False)

    walk(toc.get("chapters"), bool(toc.get("numbered")))
    for part in toc.get("parts", []):
        walk(part.get("chapters"), bool(part.get("numbered")))
    return pages


def _cells(page: str):
    """(kind, text, figure metadata) of a page's cells, from its MyST source."""
    import jupytext

    name = page.split("/")[-1]
    src = ROOT / "book" / "md" / f"{name}.md"
    if src.is_file():
        nb = jupytext.read(src, fmt="md:myst")
        for cell in nb.cells:
            figure = cell.metadata.get("mystnb", {}).get("figure", {})
            yield cell.cell_type, cell.source, figure
        return
    path = ROOT / f"{page}.md"
    if path.is_file():
        yield "markdown", path.read_text(), {}


@lru_cache(maxsize=1)
def book_index() -> dict[str, Target]:
    """Every label of the book: chapters and sections, equations, figures, exercises."""
    index: dict[str, Target] = {}
    numbered = _toc_pages()
    others = [f"book/{p.stem}" for p in sorted((ROOT / "book" / "md").glob("*.md"))]
    others += [f"book/{p.stem}" for p in sorted((ROOT / "book").glob("*.md"))]
    counters: dict[tuple[str, str], int] = {}

    def number(kind, page):
        if page not in numbered:  # a page outside the table of contents: no number
            return None
        prefix = numbered[page]
        counters[kind, prefix] = counters.get((kind, prefix), 0) + 1
        return f"{prefix}.{counters[kind, prefix]}" if prefix else str(counters[kind, prefix])

    for page in list(numbered) + [p for p in dict.fromkeys(others) if p not in numbered]:
        for kind, text, figure in _cells(page):
            if kind == "code":
                n = number("figure", page) if figure.get("caption") else None
                if figure.get("name"):
                    index.setdefault(figure["name"], Target(page, figure["name"], n,
                                                            figure.get("caption")))
                continue
            if kind != "markdown":
                continue
            tokens = parser().parse(text)
            for i, tok in enumerate(tokens):
                if tok.type == "myst_target":
                    title = next((t.content for t in tokens[i + 1:i + 3] if t.type == "inline"),
                                 None)
                    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
                    top = nxt is not None and nxt.type == "heading_open" and nxt.tag == "h1"
                    index.setdefault(tok.content, Target(page, "" if top else tok.content,
                                                         None, title))
                elif tok.type == "math_block_label":
                    index.setdefault(tok.info, Target(page, f"equation-{tok.info}",
                                                      number("equation", page)))
                elif tok.type in ("colon_fence", "fence") and tok.info.startswith("{exercise"):
                    opts, _ = options_and_body(tok.content)
                    if "label" in opts:
                        title = tok.info.split("}", 1)[1].strip() or None
                        index.setdefault(opts["label"], Target(page, opts["label"], None, title))
    return index


@lru_cache(maxsize=1)
def _bibliography() -> dict[str, tuple[str, str]]:
    """{key: (label, url)} from book/references.bib, labelled as the book's bibliography
    labels them (``tools/sphinx_bib.py``: "Prince, 2024c", "Cho and Saul, 2009")."""
    from pybtex.database import parse_file

    from tools.sphinx_bib import labels

    entries = parse_file(str(ROOT / "book" / "references.bib")).entries
    return {key: (label, entries[key].fields.get("url") or page_url("book/references"))
            for key, label in labels(entries.values()).items()}


def _cite(keys: str, textual: bool) -> str:
    refs = []
    for key in (k.strip() for k in keys.split(",")):
        label, url = _bibliography().get(key, (key, page_url("book/references")))
        if textual:  # "Cho and Saul (2009)"
            label = "{} ({})".format(*label.rsplit(", ", 1)) if ", " in label else label
        refs.append(f"[{label}]({url})")
    return "; ".join(refs) if textual else "(" + "; ".join(refs) + ")"


@lru_cache(maxsize=1)
def glue_values() -> dict[str, str]:
    """{name: text} of every value glued in the executed chapters (``book/*.ipynb``)."""
    import json

    from gflow_lib.prose import GLUE_PREFIX

    out = {}
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []):
                name = output.get("metadata", {}).get("scrapbook", {}).get("name")
                text = output.get("data", {}).get(GLUE_PREFIX + "text/plain")
                if name and text is not None:
                    out[name] = "".join(text)
    return out


def resolve_role(role: str, body: str, index: dict[str, Target] | None = None) -> str:
    """The markdown that stands for one MyST role outside the book."""
    if role.startswith("glue"):
        return glue_values().get(body.strip(), body.strip())
    index = book_index() if index is None else index
    if role.startswith("cite"):
        return _cite(body, textual=role == "cite:t")
    m = _TEXT_TARGET.match(body.strip())
    text, label = (m.group("text"), m.group("target")) if m else (None, body.strip())
    if role == "doc":
        page = f"book/{label.split('/')[-1]}"
        titles = [t.title for t in index.values() if t.page == page and not t.anchor]
        return f"[{text or (titles[0] if titles else label)}]({page_url(page)})"
    target = index.get(label)
    if role == "eq":
        if target is None or target.number is None:
            return f"({label})"
        return f"[({target.number})]({page_url(target.page, target.anchor)})"
    if role == "numref":
        number = target and (target.number or (not target.anchor and _toc_pages().get(
            target.page))) or None  # a figure's or equation's number, or a chapter's
        if text:  # Sphinx's {name} is the target's title
            text = text.replace("{name}", (target and target.title) or label)
        if number is None:
            return (text.replace("%s", "").replace("{number}", "").strip(" .")
                    if text else label)
        shown = (text.replace("%s", number).replace("{number}", number)
                 if text else f"Fig. {number}")
        return f"[{shown}]({page_url(target.page, target.anchor)})"
    if target is None:
        return text or label
    return f"[{text or target.title or label}]({page_url(target.page, target.anchor)})"


def resolve_roles(text: str, index: dict[str, Target] | None = None) -> str:
    return ROLE.sub(lambda m: resolve_role(m.group("role"), m.group("body"), index), text)


def _admonitions(text: str) -> str:
    """``:::{admonition} Title`` blocks as quoted blocks with a bold title."""
    lines = text.splitlines()
    for start, end, name, arg, tok in reversed(list(blocks(text))):
        if name in ("admonition", "note", "tip", "warning", "important"):
            _, body = options_and_body(tok.content)
            title = arg or name.capitalize()
            quoted = [f"> **{title}**", ">"] + [f"> {b}".rstrip() for b in body.splitlines()]
            lines[start:end] = quoted
    return "\n".join(lines)


def plain_markdown(text: str, index: dict[str, Target] | None = None) -> str:
    """A markdown cell of the book as Jupyter and Colab should show it."""
    index = book_index() if index is None else index

    def tag(m):
        target = index.get(m.group("label"))
        return f"\\tag{{{target.number}}}\n$$" if target and target.number else "$$"

    text = _EQ_LABEL.sub(tag, text)
    text = _TARGET_LINE.sub("", text)
    text = _admonitions(text)
    for pattern, replacement in BOOK_ONLY:
        text = pattern.sub(replacement, text)
    return resolve_roles(text, index).strip("\n")


def caption_markdown(figure: dict, index: dict[str, Target] | None = None) -> str | None:
    """The caption of a figure cell as the book prints it, ``**Figure N.** caption``."""
    caption = figure.get("caption")
    if not caption:
        return None
    index = book_index() if index is None else index
    target = index.get(figure.get("name", ""))
    number = f" {target.number}" if target and target.number else ""
    return f"**Figure{number}.** {resolve_roles(' '.join(caption.split()), index)}"
