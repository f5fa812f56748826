"""The book's own Sphinx extension: the API reference directive and offline rewrites.

1. The API reference, one page per group of modules (one page of every module was 2 MB of
   HTML, which a phone took 5 s to lay out). ``{gflow-api}`` documents the modules it lists,
   each in a section (a level-2 heading) with ``.. automodule::``; the directive is for MyST
   pages (it writes MyST). Plain modules document their members, with
   or without a docstring (their ``__all__`` when they have one, else every public name
   defined in them); packages document only what they define themselves
   (``:ignore-module-all:``), since what they re-export is documented once, in the module
   that defines it, which avoids duplicate object descriptions. Constants whose repr is a
   memory address are shown without a value. ``book/api_*.md`` use it, a module a line::

       ```{gflow-api}
       gflow_lib.flow
       gflow_lib.descent
       ```

   ``{gflow-api-index} PACKAGE`` (``book/api.md``) lists every public module of PACKAGE,
   found by walking it (every module and subpackage whose dotted name has no part starting
   with ``_``), with the first sentence of its docstring, under the page that documents it,
   in the order of the table of contents. A public module that no ``{gflow-api}`` lists is a
   build warning (an error under ``-W``); one listed twice is Sphinx's duplicate object
   warning. So the reference follows the library as it grows: a new module fails the build
   until a page holds it.
2. Offline rewrites: a few URLs that notebook outputs carry (matplotlib's JavaScript
   animations link Font Awesome 4.4.0 from a CDN) are replaced, in every built page, by the
   copies that ``tools/fetch_assets.py`` vendors into ``_vendor/`` (served from ``_static/``).
   The site must load nothing from another host.
3. Embedded ipywidgets work with the local widget manager (``@jupyter-widgets/html-manager``
   1.0.6): it loads its icon fonts from ``@jupyter-widgets/html-manager/dist/`` relative to
   the page, so those fonts are copied there next to every page that embeds widgets. (Math
   is rendered at build time by ``tools/sphinx_math.py``, set up from here: pages load no
   MathJax, so the widget manager's MathJax 2 calls find none and do nothing.)
4. Lighter and more accessible pages, by small rewrites of what the theme writes: the theme's
   Font Awesome script (1.5 MB, it only turns icon ``<i>`` elements into inline SVG, which
   the theme's CSS already draws from web fonts) is not loaded, nor, outside the search page,
   the search index and scripts that the theme's search-as-you-type (off here) would need;
   the scripts that only wire up buttons (copy, toggles, tabs, the theme's) load deferred;
   Font Awesome's icon fonts are cut to the icons the pages use (275 KB to a few KB a page);
   icons inside labelled buttons are hidden from screen readers, and the search field is
   named by the text it shows, so a button's accessible name matches what it shows; the
   bibliography's entries get the role ``listitem`` their list requires (docutils writes the
   deprecated ``doc-biblioentry``); and a page without a meta description gets one, from its
   first paragraph.
5. The version, the date and the PDF in the footer: ``{version}`` and ``{date}`` in
   ``html.extra_footer`` of ``_config.yml`` become ``gflow_lib.__version__`` (read from the
   source next to the book) and the build's date, from ``SOURCE_DATE_EPOCH`` when it is set,
   else the date of the last commit, so that building one commit twice gives the same pages;
   ``{pdf}`` becomes a link, relative to each page, to ``gradient-flow.pdf`` at the site's
   top (``make pdf`` puts the book's PDF there, tools/pdf.py). Sphinx's ``version``,
   ``release`` and ``today`` get the same values (a LaTeX title page shows them).
6. Working sidebar buttons: ``book/site/gflow-nav.js`` passes clicks on the hamburger and
   "Contents" buttons that a reader sees to the theme's first, hidden, copies, the only ones
   pydata-sphinx-theme 0.17 and sphinx-book-theme 1.3 give handlers (phone dialogs, desktop
   collapse).
7. The API page: a named tuple's fields lose Python's generated docstring "Alias for field
   number N".
8. Lean pages (tools/sphinx_lean.py, set up from here): the site's stylesheets as one file
   without the rules no page uses, no script a page does not use.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.
"""

from __future__ import annotations

import datetime
import html
import importlib
import inspect
import os
import pkgutil
import posixpath
import re
import shutil
import subprocess
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.errors import ConfigError
from sphinx.ext.autodoc import DataDocumenter, ModuleDocumenter
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode, nested_parse_with_titles

logger = logging.getLogger(__name__)


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
    options = ["   :members:", "   :undoc-members:"]
    if is_package(name):
        options.append("   :ignore-module-all:")
    return [f"## `{name}`", "", "```{eval-rst}", f".. automodule:: {name}", *options, "```", ""]


#: The end of a docstring's first sentence: a full stop before a space and a capital, not
#: after an abbreviation ("et al. 2020", "e.g. X").
_SENTENCE_END = re.compile(r"(?<!\bal)(?<!\be\.g)(?<!\bi\.e)(?<!\bcf)\.(?=\s+[A-Z(`:])")


#: A first sentence longer than this is cut at its first colon or semicolon (its subject).
SUMMARY_LENGTH = 160


def _outside_markup(head: str) -> bool:
    """``head`` closes every parenthesis and inline markup it opens."""
    return head.count("(") == head.count(")") and head.count("`") % 2 == 0


def first_sentence(doc: str | None) -> str:
    """The first sentence of a docstring's first paragraph, on one line ("" without one); a
    long one is cut at its first colon or semicolon ("Feedback for the coding exercise of the
    chapter on momentum: heavy ball's filter, ..." gives its part before the colon)."""
    paragraph = " ".join((doc or "").strip().split("\n\n")[0].split())
    sentence = paragraph
    for match in _SENTENCE_END.finditer(paragraph):
        if _outside_markup(paragraph[:match.end()]):
            sentence = paragraph[:match.end()]
            break
    if len(sentence) > SUMMARY_LENGTH:
        for match in re.finditer(r"[:;](?=\s)", sentence):
            head = sentence[:match.start()]
            if _outside_markup(head):
                return head + "."
    return sentence


#: The entry of ``_toc.yml`` whose sections are the API pages.
API_INDEX = "book/api"


def api_documents(toc_path) -> list[str]:
    """The API reference's documents in a ``_toc.yml``: ``book/api`` and its sections (the
    pages of modules), in reading order; [] when the table of contents has no ``book/api``."""
    import yaml

    toc = yaml.safe_load(Path(toc_path).read_text())

    def walk(entries):
        for entry in entries or []:
            if not isinstance(entry, dict):
                continue
            if re.sub(r"\.(md|ipynb)$", "", entry.get("file", "")) == API_INDEX:
                return [API_INDEX, *(re.sub(r"\.(md|ipynb)$", "", s["file"])
                                     for s in entry.get("sections") or [] if "file" in s)]
            found = walk(entry.get("sections")) or walk(entry.get("chapters"))
            if found:
                return found
        return []

    return walk(toc.get("chapters")) or next(
        (found for part in toc.get("parts") or [] if (found := walk(part.get("chapters")))), [])


def undocumented_modules(package: str, documented) -> list[str]:
    """The public modules of ``package`` (:func:`public_modules`) not in ``documented``."""
    return [name for name in public_modules(package) if name not in set(documented)]


def _import(directive: SphinxDirective, name: str):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise directive.error(f"{directive.name}: cannot import {name!r}: {exc}") from exc


class ReprSafeDataDocumenter(DataDocumenter):
    """Module constants, also instances of other libraries' classes (``BOOK_CMAP``, a
    matplotlib colormap, whose ``__module__`` would make autodoc take it for an import), and
    without their value when its repr is an object description (``<... object at 0x...>``
    says nothing and changes every build). Documented by their ``#:`` comment only."""

    @classmethod
    def can_document_member(cls, member, membername, isattr, parent) -> bool:
        # Data with a ``#:`` comment (isattr), or any plain value a module lists in __all__.
        if not isinstance(parent, ModuleDocumenter):
            return False
        if isattr:
            return True
        listed = (not parent.options.ignore_module_all
                  and membername in (getattr(parent.object, "__all__", None) or ()))
        plain = not (inspect.isroutine(member) or inspect.isclass(member)
                     or inspect.ismodule(member))
        return listed and plain

    def check_module(self) -> bool:
        listed = getattr(importlib.import_module(self.modname), "__all__", None) or ()
        return self.objpath[-1] in listed or super().check_module()

    def should_suppress_value_header(self) -> bool:
        try:
            text = repr(self.object)
        except Exception:  # noqa: BLE001 - an unprintable value: show none
            return True
        if " at 0x" in text or (text.startswith("<") and text.endswith(">")):
            return True
        return super().should_suppress_value_header()

    def get_doc(self):
        # Only the ``#:`` comment documents a constant: the docstring of its type (what
        # autodoc falls back to) describes the class, not this value.
        comment = self.get_module_comment(self.objpath[-1])
        return [comment] if comment else []


class GflowApi(SphinxDirective):
    """``{gflow-api}`` with a module's dotted name on each line of its content (or as its
    arguments): one section per module, in that order."""

    optional_arguments = 100
    has_content = True

    def run(self) -> list[nodes.Node]:
        names = [*self.arguments, *(line.strip() for line in self.content if line.strip())]
        if not names:
            raise self.error("gflow-api: no module given (one dotted name per line)")
        lines: list[str] = []
        placed = self.env.__dict__.setdefault("gflow_api_modules", {})
        for name in names:
            module = _import(self, name)
            if getattr(module, "__file__", None):
                self.env.note_dependency(module.__file__)
            lines += module_myst(name)
            placed[name] = (self.env.docname, len(placed))  # the index keeps this order
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="gflow-api"), container)
        return container.children


class api_index(nodes.General, nodes.Element):
    """Where ``{gflow-api-index}`` puts its list, once every page is read (the modules, in
    the order of the package, each a list item marked with its ``gflow_module``)."""


class GflowApiIndex(SphinxDirective):
    """``{gflow-api-index} PACKAGE``: every public module of PACKAGE with the first sentence
    of its docstring, grouped by the API page that documents it (:func:`group_api_index`)."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        package = self.arguments[0]
        _import(self, package)
        names = public_modules(package)
        lines = ["```{eval-rst}"]
        for name in names:
            module = importlib.import_module(name)
            if getattr(module, "__file__", None):
                self.env.note_dependency(module.__file__)
            summary = first_sentence(module.__doc__)
            # "gflow_lib: gradient flow for ..." after the name gflow_lib says it twice.
            if summary.startswith(f"{name}: "):
                summary = summary[len(name) + 2:]
                summary = summary[:1].upper() + summary[1:]
            lines.append(f"* :py:mod:`{name}`" + (f": {summary}" if summary else ""))
        lines.append("```")
        holder = nodes.container()
        holder.document = self.state.document
        self.state.nested_parse(StringList(lines, source="gflow-api-index"), 0, holder)
        items = list(holder.findall(nodes.list_item))
        if len(items) != len(names):
            raise self.error(f"gflow-api-index: {len(names)} modules gave {len(items)} items")
        for item, name in zip(items, names, strict=True):
            item["gflow_module"] = name
        index = api_index(package=package)
        index += holder.children
        packages = self.env.__dict__.setdefault("gflow_api_packages", {})
        packages[self.env.docname] = package
        return [index]


def _purge_api_packages(app, env, docname):
    getattr(env, "gflow_api_packages", {}).pop(docname, None)
    placed = getattr(env, "gflow_api_modules", {})
    for name in [n for n, (doc, _) in placed.items() if doc == docname]:
        del placed[name]


def _merge_api_packages(app, env, docnames, other):
    for key in ("gflow_api_packages", "gflow_api_modules"):
        env.__dict__.setdefault(key, {}).update(getattr(other, key, {}))


def _reread_api_index(app, env, added, changed, removed):
    """The index is read again whenever a page of modules changes: its list says which page
    holds each module (an incremental build would keep a stale one)."""
    pages = {doc for doc, _ in getattr(env, "gflow_api_modules", {}).values()}
    touched = set(added) | set(changed) | set(removed)
    if touched & pages or any(doc.startswith(API_INDEX + "_") for doc in touched):
        return sorted(getattr(env, "gflow_api_packages", {}))
    return []


def check_api_coverage(app, env):
    """Warn (an error under ``-W``) for each public module that no API page documents."""
    documented = env.get_domain("py").modules
    for docname, package in sorted(getattr(env, "gflow_api_packages", {}).items()):
        for name in undocumented_modules(package, documented):
            logger.warning(f"{name} is on no API page: list it in the {{gflow-api}} "
                           f"directive of one of the pages under {docname}",
                           location=docname)


def _toc_order(env, docname: str) -> list[str]:
    """The documents under ``docname`` in the table of contents, in reading order."""
    order: list[str] = []
    for child in env.toctree_includes.get(docname, []):
        order += [child, *_toc_order(env, child)]
    return order


def group_api_index(app, doctree, fromdocname):
    """Fill each ``{gflow-api-index}``: per API page (in the order of the table of contents),
    a paragraph linking the page by its title, then the list of its modules."""
    env = app.builder.env
    modules = env.get_domain("py").modules
    for index in list(doctree.findall(api_index)):
        items = list(index.findall(nodes.list_item))
        page_of = {id(item): modules[item["gflow_module"]].docname for item in items
                   if item.get("gflow_module") in modules}
        order = _toc_order(env, fromdocname)
        pages = sorted(dict.fromkeys(page_of.values()),
                       key=lambda d: (order.index(d) if d in order else len(order), d))
        out: list[nodes.Node] = []
        for page in pages:
            title = env.titles[page].astext() if page in env.titles else page
            para = nodes.paragraph(classes=["gflow-api-page"])
            para += make_refnode(app.builder, fromdocname, page, "",
                                 nodes.strong(title, title))
            listing = nodes.bullet_list(bullet="*")
            mine = [item for item in items if page_of.get(id(item)) == page]
            # In the order the page documents them (its {gflow-api} list), else the package's.
            placed = getattr(env, "gflow_api_modules", {})
            mine.sort(key=lambda item: placed.get(item["gflow_module"], ("", len(placed)))[1])
            listing += [item.deepcopy() for item in mine]
            out += [para, listing]
        index.replace_self(nodes.container("", *out, classes=["gflow-api-index"]))


#: CDN URL found in notebook outputs -> the vendored copy under ``_static/``.
OFFLINE_REWRITES = {
    "https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/font-awesome.min.css":
        "_static/font-awesome/css/font-awesome.min.css",
}


def rewrite_cdn_urls(app, pagename, templatename, context, doctree):
    """Point known CDN URLs in the page body at the vendored copies."""
    body = context.get("body")
    if not body or "//" not in body:
        return
    for cdn, local in OFFLINE_REWRITES.items():
        if cdn in body:
            body = body.replace(cdn, context["pathto"](local, 1))
    context["body"] = body


WIDGET_FONTS = ("*.woff", "*.woff2", "*.ttf", "*.eot", "*.svg")


def note_widget_pages(app, pagename, templatename, context, doctree):
    """Remember the folders of pages that load the widget manager."""
    scripts = context.get("script_files") or []
    if any("embed-amd.js" in str(getattr(js, "filename", js) or "") for js in scripts):
        app.env.gflow_widget_dirs = getattr(app.env, "gflow_widget_dirs", set())
        app.env.gflow_widget_dirs.add(posixpath.dirname(pagename))


def copy_widget_fonts(app, exception):
    """Put the widget manager's fonts where it looks for them, next to its pages."""
    if exception is not None or app.builder.format != "html":
        return
    src = Path(app.confdir) / "_vendor" / "html-manager" / "dist"
    for folder in sorted(getattr(app.env, "gflow_widget_dirs", set())):
        dest = Path(app.outdir) / folder / "@jupyter-widgets" / "html-manager" / "dist"
        dest.mkdir(parents=True, exist_ok=True)
        for pattern in WIDGET_FONTS:
            for font in src.glob(pattern):
                shutil.copy2(font, dest / font.name)


#: The theme's Font Awesome script tag (pydata-sphinx-theme's ``webpack-macros.html``).
FONTAWESOME_JS = re.compile(
    r'[ \t]*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>\n?'
)
#: Sphinx's search scripts and index, which the theme loads, render-blocking, on every page
#: for its search-as-you-type (off in this book): only the search page needs them.
SEARCH_SRC = r'[^"]*(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js)'
SEARCH_SCRIPTS = re.compile(rf'[ \t]*<script src="{SEARCH_SRC}"></script>\n?')
#: Scripts that the theme and extensions load in the head, blocking the first paint, although
#: they only wire up buttons once the page is there: loaded with ``defer`` instead (in the same
#: order, after the inline scripts that configure them, before DOMContentLoaded). Not
#: documentation_options.js, which an inline script of the head uses at once.
DEFERRABLE_SCRIPTS = re.compile(
    r'<script ((?:[a-z-]+="[^"]*" )*)src="([^"]*_static/(?:doctools|sphinx_highlight|'
    r'clipboard\.min|copybutton|scripts/sphinx-book-theme|togglebutton|design-tabs)\.js'
    r'[^"]*)"></script>'
)
#: The search page's own scripts, loaded deferred after the deferred doctools.js, whose
#: ``_ready`` searchtools.js calls as it loads (blocking, it ran first and the search died).
SEARCH_SCRIPT_TAGS = re.compile(rf'<script src="({SEARCH_SRC})"></script>')
#: The aria-label of the theme's search field, a button that shows more text than its label.
SEARCH_FIELD_LABEL = re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) '
                                r'aria-label="Search"')
#: An icon inside the theme's colour-mode button, which has its own aria-label.
THEME_SWITCH_ICON = re.compile(r'<i class="(theme-switch [^"]*)"')
DESCRIPTION_LENGTH = 160
#: The book as one PDF, at the site's top folder (tools/pdf.py, make pdf).
PDF_NAME = "gradient-flow.pdf"


def _deferred(match: re.Match) -> str:
    """A script tag of DEFERRABLE_SCRIPTS with ``defer`` (once: a page or a file of _static/
    that the build did not write again is rewritten to the same bytes)."""
    if re.search(r'\bdefer="', match.group(1)):
        return match.group(0)
    return f'<script {match.group(1)}defer="defer" src="{match.group(2)}"></script>'


def lighter_pages(app, exception):
    """Rewrite the built pages: no Font Awesome script, no search scripts outside the search
    page, icons hidden from screen readers in the labelled colour-mode button, bibliography
    entries as list items, the footer's link to the PDF made relative to the page."""
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for page in outdir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = FONTAWESOME_JS.sub("", text)
        if page.name != "search.html" and "search_as_you_type = true" not in new:
            new = SEARCH_SCRIPTS.sub("", new)
        new = THEME_SWITCH_ICON.sub(r'<i aria-hidden="true" class="\1"', new)
        new = DEFERRABLE_SCRIPTS.sub(_deferred, new)
        new = SEARCH_SCRIPT_TAGS.sub(r'<script defer="defer" src="\1"></script>', new)
        # The search field's aria-label "Search" hid its visible text "Search Ctrl + K": its
        # name is now that text, which it shows.
        new = SEARCH_FIELD_LABEL.sub(r"\1", new)
        new = new.replace('role="doc-biblioentry"', 'role="listitem"')
        # The footer's link to the PDF (make pdf copies it to the site's top folder).
        pdf = posixpath.relpath(PDF_NAME, page.parent.relative_to(outdir).as_posix() or ".")
        new = new.replace('href="{pdf}"', f'href="{pdf}"')
        if new != text:
            page.write_text(new, encoding="utf-8")


#: ``.fa-bars:before,.fa-navicon:before{content:"\f0c9"}`` in the theme's stylesheet.
FA_GLYPH = re.compile(r'((?:\.fa-[a-z0-9-]+:(?:before|after),?)+)\{content:"\\([0-9a-fA-F]+)"\}')
FA_CLASS = re.compile(r"\bfa-[a-z0-9-]+")
#: Font Awesome 6 as the theme ships it: ``@font-face`` sources per font file.
FA_FONT_SRC = re.compile(r"src:url\((?P<dir>[^)]*/webfonts/)(?P<name>fa-[a-z]+-\d+)\.woff2\) "
                         r'format\("woff2"\),url\([^)]*\.ttf\) format\("truetype"\)')
#: Scripts of the theme that add icons to a page (pydata-sphinx-theme's close button).
ICON_SCRIPTS = ("scripts/pydata-sphinx-theme.js", "scripts/sphinx-book-theme.js")


def icon_codepoints(css: str, texts) -> set[int]:
    """The code points of the Font Awesome icons named (``fa-...`` classes) in ``texts``."""
    glyphs = {}
    for selectors, code in FA_GLYPH.findall(css):
        for name in re.findall(r"\.(fa-[a-z0-9-]+):", selectors):
            glyphs[name] = int(code, 16)
    used = set().union(*(FA_CLASS.findall(text) for text in texts))
    return {glyphs[name] for name in used if name in glyphs}


def subset_icon_fonts(app, exception):
    """The theme's icon fonts cut to the icons the pages use: Font Awesome's solid and brands
    fonts are 275 KB that every page downloads for about twenty icons. Each font becomes a
    WOFF of those glyphs (a few KB) and the theme's stylesheet points at it."""
    if exception is not None or app.builder.format != "html":
        return
    from fontTools import subset
    from fontTools.ttLib import TTFont

    static = Path(app.outdir) / "_static"
    css_path = static / "styles" / "pydata-sphinx-theme.css"
    if not css_path.is_file():
        return
    css = css_path.read_text(encoding="utf-8")
    texts = [p.read_text(encoding="utf-8", errors="replace")
             for p in Path(app.outdir).rglob("*.html")]
    texts += [(static / js).read_text(encoding="utf-8") for js in ICON_SCRIPTS
              if (static / js).is_file()]
    codepoints = icon_codepoints(css, texts)

    def cut(match):
        folder = css_path.parent / match.group("dir")
        source = folder / f"{match.group('name')}.ttf"
        if not source.is_file():
            return match.group(0)
        font = TTFont(source, recalcTimestamp=False)  # the font's date, not the build's
        options = subset.Options()
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints)
        subsetter.subset(font)
        font.flavor = "woff"
        font.save(folder / f"{match.group('name')}.icons.woff")
        return f'src:url({match.group("dir")}{match.group("name")}.icons.woff) format("woff")'

    new = FA_FONT_SRC.sub(cut, css)
    if new != css:
        css_path.write_text(new, encoding="utf-8")


def _first_paragraph(doctree) -> str:
    """The text of the first paragraph of a page's body (not in a caption, an admonition or a
    table), on one line."""
    skip = (nodes.caption, nodes.Admonition, nodes.table, nodes.title, nodes.comment)
    for para in doctree.findall(nodes.paragraph):
        parent, inside = para.parent, False
        while parent is not None:
            if isinstance(parent, skip):
                inside = True
                break
            parent = parent.parent
        text = " ".join(para.astext().split())
        if not inside and len(text) > 40:
            return text
    return ""


def meta_description(app, pagename, templatename, context, doctree):
    """A ``<meta name="description">`` for every page: the one the page sets (MyST
    ``html_meta``), else its first paragraph cut at a word near 160 characters, else its
    title and the book's."""
    metatags = context.get("metatags", "")
    if 'name="description"' in metatags:
        return
    text = _first_paragraph(doctree) if doctree is not None else ""
    if not text:
        book = context.get("docstitle") or app.config.html_title or "the book"
        title = re.sub(r"<[^>]+>", "", context.get("title", "") or "")
        text = f"{title}: a page of {book}." if title else str(book)
    if len(text) > DESCRIPTION_LENGTH:
        text = text[:DESCRIPTION_LENGTH].rsplit(" ", 1)[0].rstrip(",;:.") + "..."
    context["metatags"] = (
        metatags + f'\n<meta name="description" content="{html.escape(text, quote=True)}" />'
    )


_VERSION = re.compile(r'^__version__ = "(?P<version>[^"]+)"$', re.MULTILINE)


def book_version(root: Path) -> str:
    """``gflow_lib.__version__`` of the book at ``root``, read from its source (the importable
    gflow_lib may be another checkout's)."""
    init = Path(root) / "gflow_lib" / "__init__.py"
    match = _VERSION.search(init.read_text(encoding="utf-8")) if init.is_file() else None
    if match is None:
        raise ConfigError(f"footer version: no __version__ = \"x.y.z\" line in {init}")
    return match.group("version")


def build_date(root: Path) -> str:
    """The build's date, ``YYYY-MM-DD`` in UTC: ``SOURCE_DATE_EPOCH`` when set, else the
    date of the last commit of ``root``, else today (outside a git checkout)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        proc = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root,
                              capture_output=True, text=True)
        epoch = proc.stdout.strip() if proc.returncode == 0 else ""
        if not epoch:
            return datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    elif not epoch.isdigit():
        raise ConfigError("SOURCE_DATE_EPOCH must be a number of seconds since 1970-01-01 "
                          f"UTC; got {epoch!r}")
    return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date().isoformat()


def footer_version(app, config):
    """Fill ``{version}`` and ``{date}`` in the theme's extra footer; set version, release
    and today to them."""
    root = Path(app.confdir)
    version, date = book_version(root), build_date(root)
    config.version = config.release = version
    config.today = date
    options = config.html_theme_options
    footer = options.get("extra_footer") or ""
    options["extra_footer"] = footer.replace("{version}", version).replace("{date}", date)


#: The docstring Python gives every field of a named tuple (``collections.namedtuple``,
#: ``typing.NamedTuple``): it says nothing to a reader of the API page.
NAMEDTUPLE_FIELD_DOC = re.compile(r"Alias for field number \d+")


def drop_namedtuple_alias_docs(app, what, name, obj, options, lines):
    """Empty the generated "Alias for field number N" of a named tuple's field (its name
    stays, under its class, whose signature lists the fields); a field documented by a
    ``#:`` comment keeps that comment."""
    if what in ("attribute", "property") and NAMEDTUPLE_FIELD_DOC.fullmatch(
            " ".join(line.strip() for line in lines).strip()):
        lines[:] = []


def setup(app):
    # tools/sphinx_math.py: every equation rendered at build time (KaTeX); no math script.
    app.setup_extension("sphinx_math")
    app.connect("config-inited", footer_version)
    app.setup_extension("sphinx.ext.autodoc")
    app.add_autodocumenter(ReprSafeDataDocumenter, override=True)
    app.add_directive("gflow-api", GflowApi)
    app.add_node(api_index)
    app.add_directive("gflow-api-index", GflowApiIndex)
    app.connect("env-purge-doc", _purge_api_packages)
    app.connect("env-merge-info", _merge_api_packages)
    app.connect("env-get-outdated", _reread_api_index)
    app.connect("env-check-consistency", check_api_coverage)
    app.connect("doctree-resolved", group_api_index)
    app.connect("html-page-context", rewrite_cdn_urls)
    app.connect("autodoc-process-docstring", drop_namedtuple_alias_docs)
    app.connect("html-page-context", note_widget_pages)
    app.connect("build-finished", copy_widget_fonts)
    app.connect("html-page-context", meta_description)
    app.connect("build-finished", lighter_pages)
    app.connect("build-finished", subset_icon_fonts)
    # tools/sphinx_lean.py: after the two above, the stylesheets as one file without unused
    # rules, no sphinx-thebe, no tab script on pages without tabs.
    app.setup_extension("sphinx_lean")
    # book/site/gflow-nav.js: the visible sidebar buttons (hamburger, "Contents") work.
    app.add_js_file("gflow-nav.js", loading_method="defer")
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
