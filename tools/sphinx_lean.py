"""Lean pages: the site's stylesheets as one file without the rules no page uses, and no
script that a page does not use.

What Lighthouse (``make bench``, benchmarks/pages.py) found: every page waited for eleven
stylesheets before its first paint (two round trips more than one file needs on a phone's
connection, and ``theme.css`` only ``@import``-s ``basic.css``, a third), the theme's
``pydata-sphinx-theme.css`` alone is 396 KB (66 KB compressed) of which 92% matched nothing
(it ships all of Bootstrap), and every selector of it is matched against every element of the
page when styles are computed, which is most of the main thread's work on the pages with
thousands of elements of math. So, after the build (Sphinx's ``build-finished``, after the
rewrites of tools/sphinx_gflow.py):

1. One stylesheet: the stylesheets a page links from ``_static/`` (the theme's, Pygments',
   the extensions', ``book/site/gflow.css``) become one file, ``_static/gflow-<hash>.css``,
   linked where the last of them was, so that the order of the rules is kept. Not bundled:
   KaTeX's stylesheet, which only pages with math load (tools/sphinx_math.py); it comes
   before the book's ``gflow.css`` (whose rules for equations must follow KaTeX's), as it did.
   ``@import`` is inlined, every ``url()`` is rewritten to hold from ``_static/``, comments
   are dropped. The bundle's link names the stylesheets it was made of, so that an
   incremental build re-bundles the pages Sphinx did not write again too: every page links
   the one bundle of today's stylesheets.
2. Without unused rules: a selector that names a class or an id that no page of the site
   has (in an element's ``class`` or ``id``) and that no script the pages load names (the
   classes Bootstrap and the theme add when a reader opens a menu, a dialog, a tooltip) is
   dropped, and a rule without selectors left goes with it. Selectors inside ``:not()``,
   ``:is()``, ``:where()``, ``:has()`` and attribute selectors are kept as they are (they
   do not make a rule unused), as is every ``@font-face`` and ``@keyframes``.
3. Figures with their size: an ``<img>`` (and a ``<source>`` of a ``<picture>``) of
   ``_images/`` without ``width`` and ``height`` gets the picture's own, so that the page
   keeps its place before the image arrives (Lighthouse measured layout shifts of 0.12 as the
   figures of a chapter came in; ``book/site/gflow.css`` keeps their height in proportion).
4. KaTeX's two main fonts preloaded on pages with math (``KaTeX_Main-Regular`` for every
   formula, ``KaTeX_Math-Italic`` for its letters): a browser asks for a font only once it has
   laid out text in it, so the first paint set the math in the fallback font and then again,
   moving what followed (a layout shift of 0.08 on the data chapter, none with the preloads).
   Not from a page opened from disk, whose fonts cannot be preloaded (see PRELOAD_FONTS).
5. Long pages drawn as they are read: the article of a page gets the class ``gflow-lazy``, on
   which ``book/site/gflow.css`` lays out its blocks from the second section on only near the
   window (``content-visibility``); not a page of API entries (``dl.py``) over
   :data:`LAZY_API_BYTES`. A class written here, not a ``:has(dl.py)`` in the stylesheet:
   with ``:has()`` the browser re-checked the article as each element arrived, and the API
   page's first paint came at 6 s, not 1.8 s.
6. Without unused scripts: sphinx-thebe (live code on a Binder kernel), which Jupyter Book
   loads on every page although nothing starts it unless ``launch_buttons.thebe`` is set
   (it is not: the book's launch button opens Colab), with its stylesheet, its
   configuration and the inline scripts that name its CDN; sphinx-design's tab script on
   pages without tabs; a ``defer`` written twice is written once.
7. Figures fetched as they are read: the first figure of a page (an ``<img>`` of
   ``_images/``) gets ``fetchpriority="high"``, the others ``loading="lazy"`` and
   ``decoding="async"``. Every figure of a chapter loaded at once and shared a phone's
   connection with the first, and the largest paint of momentum came at 4.0 s, at 2.0 s with
   the others lazy (Lighthouse). tools/pdf.py makes every image eager before it prints.
8. The theme's colours decided before the first paint: pydata-sphinx-theme's script in the
   head sets ``data-theme`` to the stored theme or, for a first visit, to ``auto``, which no
   rule of its stylesheet matches; its script then sets ``light`` or ``dark`` after the first
   paint, and every element's style is computed again (1 s of a loaded machine's main thread
   on momentum). The head script here sets what the theme's script will set (the stored mode
   if light or dark, else the screen's preference), so that setting it again changes nothing.
9. No layout of the whole page at load for tab stops: pydata-sphinx-theme's script measures
   every code block, output and table on the window's load event to give those that scroll
   a tab stop (``addTabStopsToScrollableElements``), which lays out the whole page, the blocks
   that ``gflow-lazy`` lets the browser skip included (a task of 650 ms in Lighthouse's
   simulation of a phone). That call is taken out of the served script (a replacement that
   fails the build when the theme's code is not as expected, so that a theme upgrade cannot
   skip it silently); a block that can scroll on a screen 320 px wide or wider (a code block
   with a line over PRE_SCROLL_CHARS characters, a table, an HTML output holding a table)
   gets ``tabindex="0"`` here, and ``book/site/gflow-tabstops.js`` measures each block as
   the theme did when it comes into the window.

Loaded by tools/sphinx_gflow.py (``app.setup_extension``).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from html import escape as html_escape
from html import unescape as html_unescape
from pathlib import Path

import tinycss2
from tinycss2 import ast

#: Bundled from ``_static/`` unless named here.
NOT_BUNDLED = ("katex/katex.min.css",)
#: Written on a bundle's link: the paths under ``_static/`` of the stylesheets it was made of.
SOURCES_ATTR = "data-gflow-sources"
SOURCES = re.compile(rf'\b{SOURCES_ATTR}="([^"]*)"')
#: The name of a bundle written here (those no page links any more are removed).
BUNDLE_NAME = re.compile(r"gflow-[0-9a-f]{12}\.css")
#: Classes that scripts build from parts (Bootstrap's ``bs-tooltip-${placement}``), kept
#: although no page and no script spells them out.
KEPT_PREFIXES = ("bs-",)
#: At-rules whose content is rules, purged like the top level.
NESTED_AT_RULES = ("media", "supports", "layer", "container")
STYLESHEET_LINK = re.compile(r'[ \t]*<link\b[^>]*\brel="stylesheet"[^>]*>\n?')
HREF = re.compile(r'\bhref="([^"]*)"')
CLASS_ATTR = re.compile(r'\bclass="([^"]*)"')
ID_ATTR = re.compile(r'\bid="([^"]*)"')
INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.DOTALL)
SCRIPT_SRC = re.compile(r'<script\b[^>]*\bsrc="([^"]*)"')
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
#: sphinx-thebe's pieces in a page: the stylesheet is left out of the bundle (THEBE_CSS).
THEBE_CSS = "sphinx-thebe.css"
THEBE_PIECES = (
    re.compile(r'[ \t]*<script\b[^>]*src="[^"]*_static/sphinx-thebe\.js[^"]*"[^>]*></script>\n?'),
    re.compile(r"[ \t]*<script>const THEBE_JS_URL = [^<]*</script>\n?"),
    re.compile(r'[ \t]*<script type="text/x-thebe-config">.*?</script>\n?', re.DOTALL),
    re.compile(r"[ \t]*<script>kernelName = '[^'<]*'</script>\n?"),
)
#: Something that starts thebe: its launch button (sphinx-book-theme) or a call to it.
THEBE_STARTERS = re.compile(r"thebe-launch-button|initThebe|thebelab-button")
DESIGN_TABS_JS = re.compile(
    r'[ \t]*<script\b[^>]*src="[^"]*_static/design-tabs\.js[^"]*"[^>]*></script>\n?')
DOUBLE_DEFER = re.compile(r'\bdefer="defer"(\s+defer="defer")+')
#: KaTeX's stylesheet link (tools/sphinx_math.py puts it on pages with math).
#: Versioned (``?v=``) or not: Sphinx adds its checksum when the file is in place as it writes the
#: page (tools/sphinx_math.py sees to that).
KATEX_LINK = re.compile(
    r'([ \t]*)<link\b[^>]*href="([^"]*)_static/katex/katex\.min\.css(?:\?[^"]*)?"[^>]*>')
#: The fonts preloaded on a page with math, with the class that needs each.
KATEX_FONTS = (("KaTeX_Main-Regular", "katex"), ("KaTeX_Math-Italic", "mathnormal"))
#: Written by a script in the head, not as ``<link rel="preload">``: a font is fetched with
#: CORS, which a page opened from disk (``file://``, tests/test_browser.py) cannot do, and a
#: preload link would log that as an error there; the stylesheet's own request does not. The
#: fonts are the script's ``data-preload`` (the code is the same on every page, and names no
#: math library: tests/test_browser.py takes a script that does for a math renderer).
PRELOAD_FONTS = ('if (location.protocol !== "file:") JSON.parse(document.currentScript'
                 '.dataset.preload).forEach(function (href) {'
                 ' var l = document.createElement("link"); l.rel = "preload"; l.as = "font";'
                 ' l.type = "font/woff2"; l.crossOrigin = "anonymous"; l.href = href;'
                 " document.head.appendChild(l); });")
#: The article of a page (pydata-sphinx-theme), and what marks an API entry.
ARTICLE_TAG = re.compile(r'<article class="bd-article\b([^"]*)"')
API_ENTRY = re.compile(r'<dl class="py\b')
LAZY_CLASS = "gflow-lazy"
#: A page of API entries larger than this is laid out whole: Lighthouse's accessibility audit
#: forces each skipped block to be laid out, one at a time, and timed out on the one API page
#: of 2.1 MB. The pages of modules (book/api_*.md, 44-270 KB) pass it (1.00, 28 s) and their
#: mobile performance went from 0.73-0.88 to 0.91-0.98 with the class (tools/sphinx_gflow.py).
LAZY_API_BYTES = 600_000


def drawn_as_read(html: str) -> bool:
    """Whether a page's article gets ``gflow-lazy``: a page without API entries, or a small
    one with them."""
    return not API_ENTRY.search(html) or len(html) <= LAZY_API_BYTES
#: A figure's tag: an image, or a source of a picture (one picture in its srcset).
FIGURE_TAG = re.compile(r'<(?:img|source)\b[^>]*?\s(?:src|srcset)="([^",\s]*)"[^>]*?(/?)>')
RASTER = (".png", ".jpg", ".jpeg", ".gif", ".webp")
#: An ``<img>`` tag and its ``src``.
IMG_TAG = re.compile(r"<img\b[^>]*>")
SRC_ATTR = re.compile(r'\ssrc="([^"]*)"')
#: pydata-sphinx-theme's script in the head (its ``theme.html``), which sets the mode and the
#: theme before the first paint; a first visit gets the theme ``auto``, which no rule matches.
#: (``"auto"`` is the theme's ``default_mode``, which ``dataset.mode`` holds too.)
THEME_MODE_SCRIPT = re.compile(r'document\.documentElement\.dataset\.theme = '
                               r'localStorage\.getItem\("theme"\) \|\| "[a-z]*";')
#: What the theme's setTheme() will set: the mode if it is light or dark, else the screen's.
THEME_MODE_RESOLVED = (
    'document.documentElement.dataset.theme = (function (mode) {'
    ' return mode === "light" || mode === "dark" ? mode'
    ' : window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";'
    ' })(document.documentElement.dataset.mode);')
THEME_SCRIPT_MARK = "document.documentElement.dataset.theme"
#: The served theme script, and its load-time call of addTabStopsToScrollableElements
#: (minified: ``"complete"===document.readyState?I():window.addEventListener("load",I)``).
THEME_JS = "scripts/pydata-sphinx-theme.js"
TAB_PASS_CALL = re.compile(r'"complete"===document\.readyState\?([A-Za-z_$][\w$]*)\(\):'
                           r'window\.addEventListener\("load",\1\)')
TAB_PASS_DONE = "/* gflow: no tab-stop pass at load (tools/sphinx_lean.py) */"
#: The script that measures the blocks as they come into the window, and its selectors.
TABSTOPS_JS = "gflow-tabstops.js"
#: The start of the names of the book's own static files (book/site), kept fresh by lean_site.
OWN_STATIC = "gflow"
THEME_SCRIPT_TAG = re.compile(r'<script\b[^>]*\ssrc="([^"]*)_static/scripts/pydata-sphinx-theme'
                              r'\.js[^"]*"[^>]*></script>')
JS_SELECTORS = re.compile(r"\bSELECTORS = \[([^\]]*)\]")
#: A code block whose longest line is longer than this may scroll sideways on a screen 320 px
#: wide: it gets a tab stop at build time. Measured at 320 px: about 30 characters of the
#: theme's code font fit in a chapter's code box, 26 in the narrowest box seen (instructors,
#: inside a list), where a line of 25 scrolled; 20 leaves room for deeper boxes.
PRE_SCROLL_CHARS = 20
PRE_TAG = re.compile(r"<pre\b([^>]*)>(.*?)</pre>", re.DOTALL)
TABLE_CONTAINER = re.compile(r'<div class="pst-scrollable-table-container"')
#: An HTML output (MyST-NB, nbsphinx, Jupyter's renderer): a tab stop if it holds a table.
HTML_OUTPUT = re.compile(r'<div class="(?:output text_html|[^"]*\bjp-RenderedHTMLCommon\b'
                         r'|[^"]*\boutput_area\b)[^"]*"')
TAG = re.compile(r"<[^>]*>")


# ---------------------------------------------------------------------------- vocabulary

def page_words(html: str) -> set[str]:
    """The classes and ids of a page's elements and the words of its inline scripts."""
    words: set[str] = set()
    for value in CLASS_ATTR.findall(html):
        words.update(value.split())
    words.update(value.strip() for value in ID_ATTR.findall(html))
    for script in INLINE_SCRIPT.findall(html):
        words.update(WORD.findall(script))
    return words


def script_words(text: str) -> set[str]:
    """Every word a script spells (class names in strings, ``classList.add("show")``)."""
    return set(WORD.findall(text))


# ---------------------------------------------------------------------------- selectors

def _split_selectors(prelude) -> list[list]:
    groups, current = [], []
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            groups.append(current)
            current = []
        else:
            current.append(token)
    groups.append(current)
    return groups


def selector_names(selector) -> tuple[set[str], set[str]]:
    """The classes and ids a selector requires (``.a > #b:hover`` -> {a}, {b}); what is
    inside ``:not()`` and other functions or attribute brackets is not required."""
    classes, ids = set(), set()
    for before, token in zip([None, *selector], selector, strict=False):
        if token.type == "ident" and before is not None and before.type == "literal" \
                and before.value == ".":
            classes.add(token.value)
        elif token.type == "hash" and token.is_identifier:
            ids.add(token.value)
    return classes, ids


def selector_is_used(selector, words: set[str]) -> bool:
    classes, ids = selector_names(selector)
    return (all(c in words or c.startswith(KEPT_PREFIXES) for c in classes)
            and all(i in words for i in ids))


# ---------------------------------------------------------------------------- stylesheets

def _rewrite_urls(tokens, rewrite) -> list:
    out = []
    for token in tokens:
        if token.type == "url":
            new = rewrite(token.value)
            if new != token.value:
                token = ast.URLToken(token.source_line, token.source_column, new,
                                     f'url("{new}")')
        elif token.type == "function" and token.lower_name == "url":
            args = [t for t in token.arguments if t.type not in ("whitespace", "comment")]
            if len(args) == 1 and args[0].type == "string" \
                    and rewrite(args[0].value) != args[0].value:
                new = rewrite(args[0].value)
                token = ast.URLToken(token.source_line, token.source_column, new,
                                     f'url("{new}")')
        elif getattr(token, "content", None) is not None and token.type in (
                "() block", "[] block", "{} block"):
            token.content = _rewrite_urls(token.content, rewrite)
        elif token.type == "function":
            token.arguments = _rewrite_urls(token.arguments, rewrite)
        out.append(token)
    return out


def _url_from(folder: str):
    """A ``url()`` rewrite for a stylesheet in ``folder`` (relative to ``_static/``)."""
    def rewrite(url: str) -> str:
        if re.match(r"^(?:[a-z][a-z0-9+.-]*:|/|#)", url, re.IGNORECASE):
            return url  # data:, another host (the browser tests catch that), absolute, #id
        path, sep, rest = re.match(r"([^?#]*)([?#]?)(.*)", url).groups()
        return posixpath.normpath(posixpath.join(folder, path)) + sep + rest
    return rewrite


def lean_css(css: str, words: set[str] | None, folder: str = "", read=None) -> str:
    """``css`` (a stylesheet in ``folder`` of ``_static/``) without comments, with its
    ``url()`` rewritten to hold from ``_static/``, its ``@import`` inlined (``read(path)``
    gives the imported file's text, a path relative to ``_static/``) and, when ``words`` is
    given, without the selectors that need a class or id not in ``words``."""
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    return _lean_rules(rules, words, folder, read)


def _lean_rules(rules, words, folder, read) -> str:
    rewrite = _url_from(folder)
    out = []
    for rule in rules:
        if rule.type == "error":
            raise ValueError(f"CSS parse error in _static/{folder or '.'}: {rule.message} "
                             f"(line {rule.source_line})")
        if rule.type == "at-rule" and rule.lower_at_keyword == "import":
            target = [t for t in rule.prelude if t.type in ("string", "url", "function")]
            media = tinycss2.serialize(
                [t for t in rule.prelude if t not in target[:1]]).strip()
            if not target or read is None:
                raise ValueError(f"cannot inline @import {tinycss2.serialize(rule.prelude)}")
            first = target[0]
            url = first.value if first.type in ("string", "url") else first.arguments[0].value
            path = rewrite(url).split("?")[0]
            inner = lean_css(read(path), words, posixpath.dirname(path), read)
            out.append(f"@media {media}{{{inner}}}" if media else inner)
        elif rule.type == "at-rule" and rule.lower_at_keyword in NESTED_AT_RULES \
                and rule.content is not None:
            inner_rules = tinycss2.parse_stylesheet(rule.content, skip_comments=True,
                                                    skip_whitespace=True)
            inner = _lean_rules(inner_rules, words, folder, read)
            if inner:
                prelude = tinycss2.serialize(rule.prelude).strip()
                out.append(f"@{rule.at_keyword} {prelude}{{{inner}}}")
        elif rule.type == "at-rule":
            prelude = tinycss2.serialize(_rewrite_urls(rule.prelude, rewrite)).strip()
            body = (";" if rule.content is None else
                    "{" + tinycss2.serialize(_rewrite_urls(rule.content, rewrite)).strip()
                    + "}")
            out.append(f"@{rule.at_keyword} {prelude}{body}")
        else:  # a qualified rule: selectors { declarations }
            selectors = _split_selectors(rule.prelude)
            if words is not None:
                selectors = [s for s in selectors if selector_is_used(s, words)]
            if not selectors:
                continue
            prelude = ",".join(tinycss2.serialize(s).strip() for s in selectors)
            body = tinycss2.serialize(_rewrite_urls(rule.content, rewrite)).strip()
            out.append(f"{prelude}{{{body}}}")
    return "\n".join(out)


# ---------------------------------------------------------------------------- pages

def static_path(href: str) -> str | None:
    """``../_static/pygments.css?v=1`` -> ``pygments.css``; None for what is not a file of
    the site's ``_static/``."""
    if re.match(r"^(?:[a-z][a-z0-9+.-]*:|//)", href, re.IGNORECASE):
        return None
    path = href.split("?")[0].split("#")[0]
    before, sep, after = path.rpartition("_static/")
    if not sep or before.strip("./"):
        return None
    return after


def bundled_links(head: str, drop: tuple[str, ...] = ()) -> list[tuple[re.Match, str]]:
    """The stylesheet links of a page's head that go into the bundle, with their paths
    under ``_static/`` (in order); ``drop``: paths left out (and out of the page)."""
    found = []
    for match in STYLESHEET_LINK.finditer(head):
        href = HREF.search(match.group(0))
        path = static_path(href.group(1)) if href else None
        if (path is None or path in NOT_BUNDLED or "media=" in match.group(0)
                or BUNDLE_NAME.fullmatch(path)):
            continue  # a bundle of a build before data-gflow-sources (see unbundled)
        found.append((match, path))
    return found


def unbundled(head: str) -> str:
    """A head whose bundle link (of an earlier run, on a page Sphinx did not write again) is
    put back as the links of the stylesheets it was made of (its ``data-gflow-sources``), so
    that every page links the bundle of this run: of today's stylesheets and today's pages."""
    def back(match):
        sources = SOURCES.search(match.group(0))
        href = HREF.search(match.group(0))
        if not (sources and href and BUNDLE_NAME.fullmatch(static_path(href.group(1)) or "")):
            return match.group(0)
        indent = re.match(r"[ \t]*", match.group(0)).group(0)
        prefix = href.group(1).split("_static/")[0]
        return "".join(f'{indent}<link rel="stylesheet" type="text/css" '
                       f'href="{prefix}_static/{path}" />\n'
                       for path in html_unescape(sources.group(1)).split())
    return STYLESHEET_LINK.sub(back, head)


def uses_thebe(html: str) -> bool:
    body = html[html.find("<body"):]
    return bool(THEBE_STARTERS.search(body))


def without_unused_scripts(html: str, thebe: bool) -> str:
    """A page without thebe's pieces (unless ``thebe``) and without sphinx-design's tab
    script when it has no tabs."""
    end = html.find("</head>")
    if end < 0:
        return html
    head, rest = html[:end], html[end:]
    if not thebe:
        for piece in THEBE_PIECES:
            head = piece.sub("", head)
            rest = piece.sub("", rest)
    if "sd-tab-set" not in rest:
        head = DESIGN_TABS_JS.sub("", head)
    return head + rest


def lean_page(html: str, bundle_href_of, thebe: bool) -> str:
    """One page: its ``_static/`` stylesheets replaced by the bundle (``bundle_href_of``:
    the tuple of their paths and the prefix before ``_static/`` -> the link's href), thebe's
    pieces dropped unless ``thebe``, sphinx-design's tab script dropped without tabs."""
    html = without_unused_scripts(html, thebe)
    end = html.find("</head>")
    if end < 0:
        return html
    head, rest = html[:end], html[end:]
    head = DOUBLE_DEFER.sub('defer="defer"', head)
    katex = KATEX_LINK.search(head)
    if katex and "_static/katex/fonts/" not in head:
        indent, prefix = katex.group(1), katex.group(2)
        fonts = [f"{prefix}_static/katex/fonts/{font}.woff2" for font, needs in KATEX_FONTS
                 if re.search(rf'class="(?:[^"]*\s)?{needs}[\s"]', rest)]
        if fonts:
            data = html_escape(json.dumps(fonts), quote=True)
            tag = f'{indent}<script data-preload="{data}">{PRELOAD_FONTS}</script>\n'
            head = head[:katex.start()] + tag + head[katex.start():]
    if drawn_as_read(rest) and LAZY_CLASS not in rest:
        rest = ARTICLE_TAG.sub(rf'<article class="bd-article\1 {LAZY_CLASS}"', rest, count=1)
    head = unbundled(head)
    links = [(m, p) for m, p in bundled_links(head) if thebe or p != THEBE_CSS]
    thebe_link = [m for m, p in bundled_links(head) if p == THEBE_CSS and not thebe]
    if links:
        prefix = HREF.search(links[0][0].group(0)).group(1).split("_static/")[0]
        href = bundle_href_of(tuple(p for _, p in links), prefix)
        last = links[-1][0]
        pieces, pos = [], 0
        for match in sorted([m for m, _ in links] + thebe_link, key=lambda m: m.start()):
            pieces.append(head[pos:match.start()])
            if match is last:
                indent = re.match(r"[ \t]*", match.group(0)).group(0)
                sources = html_escape(" ".join(p for _, p in links), quote=True)
                pieces.append(f'{indent}<link rel="stylesheet" type="text/css" '
                              f'href="{href}" {SOURCES_ATTR}="{sources}" />\n')
            pos = match.end()
        pieces.append(head[pos:])
        head = "".join(pieces)
    elif thebe_link:
        for match in sorted(thebe_link, key=lambda m: m.start(), reverse=True):
            head = head[:match.start()] + head[match.end():]
    return head + rest


def sized_figures(html: str, size_of) -> str:
    """``width`` and ``height`` on every figure tag that has neither: ``size_of(url)`` gives
    the picture's (width, height) in pixels, or None for what is not a figure of the site."""
    def add(match):
        tag = match.group(0)
        if re.search(r"\s(?:width|height)=", tag):
            return tag
        size = size_of(match.group(1))
        if size is None:
            return tag
        end = len(tag) - 2 if match.group(2) else len(tag) - 1
        space = " " if match.group(2) else ""
        return f'{tag[:end].rstrip()} width="{size[0]}" height="{size[1]}"{space}{tag[end:]}'
    return FIGURE_TAG.sub(add, html)


def _with_attrs(tag: str, attrs: str) -> str:
    """``tag`` (``<img ...>`` or ``<img ... />``) with ``attrs`` added before its end."""
    end = len(tag) - 2 if tag.endswith("/>") else len(tag) - 1
    space = " " if tag.endswith("/>") else ""
    return f"{tag[:end].rstrip()} {attrs}{space}{tag[end:]}"


def lazy_figures(html: str) -> str:
    """The first figure of a page (``<img>`` of ``_images/``) fetched first
    (``fetchpriority="high"``), the others when they come near the window
    (``loading="lazy"``, ``decoding="async"``). A tag that says already how to load is left."""
    first = True

    def add(match):
        nonlocal first
        tag = match.group(0)
        src = SRC_ATTR.search(tag)
        if not src or "_images/" not in src.group(1):
            return tag
        was_first, first = first, False
        if re.search(r"\s(?:loading|fetchpriority)=", tag):
            return tag
        if was_first:
            return _with_attrs(tag, 'fetchpriority="high"')
        decoding = "" if re.search(r"\sdecoding=", tag) else ' decoding="async"'
        return _with_attrs(tag, 'loading="lazy"' + decoding)
    return IMG_TAG.sub(add, html)


def longest_line(pre_html: str) -> int:
    """The length of the longest line of a code block's text (its HTML without tags)."""
    from html import unescape

    text = unescape(TAG.sub("", pre_html)).expandtabs(8)
    return max((len(line) for line in text.split("\n")), default=0)


def _element_end(html: str, start: int) -> int:
    """Where the ``<div>`` that starts at ``start`` ends (after its ``</div>``)."""
    depth, pos = 0, start
    for match in re.compile(r"<(/?)div\b[^>]*>").finditer(html, start):
        depth += -1 if match.group(1) else 1
        pos = match.end()
        if depth == 0:
            return pos
    return len(html)


def scroll_tab_stops(html: str) -> str:
    """``tabindex="0"`` on the blocks that can scroll sideways on a screen 320 px wide or
    wider and have no tabindex: code blocks with a line longer than PRE_SCROLL_CHARS, table
    containers, HTML outputs holding a table (book/site/gflow-tabstops.js corrects each block
    for the reader's screen when it comes into view)."""
    def pre(match):
        attrs, body = match.group(1), match.group(2)
        if "tabindex=" in attrs or longest_line(body) <= PRE_SCROLL_CHARS:
            return match.group(0)
        return f'<pre{attrs} tabindex="0">{body}</pre>'

    html = PRE_TAG.sub(pre, html)
    inserts = []
    for pattern in (TABLE_CONTAINER, HTML_OUTPUT):
        for match in pattern.finditer(html):
            tag_end = html.index(">", match.start())
            if "tabindex=" in html[match.start():tag_end]:
                continue
            if pattern is HTML_OUTPUT and "<table" not in html[tag_end:_element_end(
                    html, match.start())]:
                continue
            inserts.append(match.end())
    for at in sorted(set(inserts), reverse=True):
        html = html[:at] + ' tabindex="0"' + html[at:]
    return html


def resolved_theme(html: str) -> str:
    """The theme's head script made to set the theme its setTheme() will set (not ``auto``).
    A page with a theme script not as expected is an error (a theme upgrade changed it)."""
    if THEME_MODE_RESOLVED in html or THEME_SCRIPT_MARK not in html:
        return html
    found = THEME_MODE_SCRIPT.search(html)
    if found is None:
        at = html.index(THEME_SCRIPT_MARK)
        raise ValueError("pydata-sphinx-theme's head script is not as tools/sphinx_lean.py "
                         f"expects ({THEME_MODE_SCRIPT.pattern!r}); found: "
                         f"{html[max(0, at - 80):at + 120]!r}")
    return html[:found.start()] + THEME_MODE_RESOLVED + html[found.end():]


def theme_without_tab_pass(js: str, selectors: list[str]) -> str:
    """pydata-sphinx-theme's minified script without its load-time call of
    ``addTabStopsToScrollableElements``, after checking that the function called is that one
    and measures the blocks ``selectors`` names (book/site/gflow-tabstops.js's list). Raises
    ValueError when the script is not as expected."""
    if TAB_PASS_DONE in js:
        return js
    calls = list(TAB_PASS_CALL.finditer(js))
    if len(calls) != 1:
        raise ValueError(f"_static/{THEME_JS}: {len(calls)} load-time calls like "
                         f"'\"complete\"===document.readyState?I():window.addEventListener"
                         f"(\"load\",I)' (one expected): pydata-sphinx-theme changed; see "
                         "tools/sphinx_lean.py, item 9")
    name = re.escape(calls[0].group(1))
    body = re.search(rf"function {name}\(\)\{{const \w+=\(\)=>\{{document\.querySelectorAll"
                     rf"\(\[([^\]]*)\]\.join\(\", \"\)\)\.forEach\(\w+=>\{{\w+\.tabIndex=", js)
    if body is None:
        raise ValueError(f"_static/{THEME_JS}: the function called on load is not the tab-stop "
                         "pass tools/sphinx_lean.py expects (pydata-sphinx-theme changed)")
    theirs = json.loads(f"[{body.group(1)}]")
    if theirs != selectors:
        raise ValueError(f"_static/{THEME_JS}: the theme gives tab stops to {theirs}, "
                         f"book/site/{TABSTOPS_JS} to {selectors}: make them agree")
    return js[:calls[0].start()] + TAB_PASS_DONE + "void 0" + js[calls[0].end():]


def with_tabstops_script(html: str, version: str) -> str:
    """The page loading book/site/gflow-tabstops.js (deferred, after the theme's script),
    when it loads the theme's script. Written here, not by ``app.add_js_file``: an incremental
    build rewrites only the pages whose sources changed, and this step runs on every page."""
    if TABSTOPS_JS in html:
        return html
    theme = THEME_SCRIPT_TAG.search(html)
    if theme is None:
        return html
    tag = (f'\n<script defer="defer" src="{theme.group(1)}_static/{TABSTOPS_JS}?v={version}">'
           "</script>")
    return html[:theme.end()] + tag + html[theme.end():]


def tabstop_selectors(js: str) -> list[str]:
    """The SELECTORS of book/site/gflow-tabstops.js."""
    found = JS_SELECTORS.search(js)
    if found is None:
        raise ValueError(f"{TABSTOPS_JS} has no SELECTORS = [...] list")
    return json.loads(f"[{found.group(1)}]")


def site_pages(outdir: Path) -> list[Path]:
    skip = {"_static", "_sources", "_images"}
    return sorted(p for p in outdir.rglob("*.html")
                  if not skip & set(p.relative_to(outdir).parts[:-1]))


def lean_site(outdir: Path, thebe_configured: bool = False,
              static_sources: tuple[Path, ...] = ()) -> dict[str, int]:
    """Rewrite the built site at ``outdir``; returns the bundles written and their sizes.
    ``static_sources``: the folders of ``html_static_path``, from which the book's own files
    (``gflow*``: book/site's stylesheet and scripts) are copied when ``_static`` lacks them or
    has an older copy: Sphinx copies static files only in a build that writes a page, so an
    edit of ``book/site/gflow.css`` alone did not reach the site."""
    static = outdir / "_static"
    for folder in static_sources:
        for source in sorted(Path(folder).glob(f"{OWN_STATIC}*")):
            target = static / source.name
            if source.is_file() and static.is_dir() and (
                    not target.is_file() or target.read_bytes() != source.read_bytes()):
                target.write_bytes(source.read_bytes())
    pages = {page: page.read_text(encoding="utf-8") for page in site_pages(outdir)}
    # What the pages hold once lean (below): the same whether Sphinx wrote a page in this
    # build or left it as the last build's lean_site wrote it, so that a fresh build and a
    # later one make the same bundle.
    kept = [without_unused_scripts(html, thebe_configured or uses_thebe(html))
            for html in pages.values()]
    words: set[str] = set()
    for html in kept:
        words |= page_words(html)
        if drawn_as_read(html):
            words.add(LAZY_CLASS)  # written on the page below
    # The scripts the pages load (not every file of _static/: the theme's Font Awesome
    # script, which tools/sphinx_gflow.py drops, names thousands of icons).
    scripts = {path for html in kept for src in SCRIPT_SRC.findall(html)
               if (path := static_path(src)) and (static / path).is_file()}
    if (static / TABSTOPS_JS).is_file() and any(THEME_SCRIPT_TAG.search(html)
                                               for html in pages.values()):
        scripts.add(TABSTOPS_JS)  # written into those pages below (with_tabstops_script)
    for path in sorted(scripts):
        words |= script_words((static / path).read_text(encoding="utf-8", errors="replace"))

    def read(path: str) -> str:
        return (static / path).read_text(encoding="utf-8")

    bundles: dict[tuple[str, ...], str] = {}
    sizes: dict[str, int] = {}

    def bundle_href_of(paths: tuple[str, ...], prefix: str) -> str:
        if paths not in bundles:
            parts = [f"/* {p} */\n" + lean_css(read(p), words, posixpath.dirname(p), read)
                     for p in paths]
            text = "\n".join(parts) + "\n"
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            name = f"gflow-{digest}.css"
            (static / name).write_text(text, encoding="utf-8")
            bundles[paths] = name
            sizes[name] = len(text.encode())
        return f"{prefix}_static/{bundles[paths]}"

    sizes_of_figures: dict[Path, tuple[int, int] | None] = {}

    def figure_size(page: Path):
        def size_of(url: str):
            if "_images/" not in url or re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):
                return None
            path = (page.parent / url.split("?")[0]).resolve()
            if path.suffix.lower() not in RASTER:
                return None
            if path not in sizes_of_figures:
                from PIL import Image

                try:
                    with Image.open(path) as image:
                        sizes_of_figures[path] = image.size
                except OSError:
                    sizes_of_figures[path] = None
            return sizes_of_figures[path]
        return size_of

    theme_js = static / THEME_JS
    tabstops_version = None
    if theme_js.is_file():
        if not (static / TABSTOPS_JS).is_file():
            raise ValueError(f"_static/{TABSTOPS_JS} is missing: the theme's tab stops are "
                             "taken out of its script only with it to replace them")
        ours = (static / TABSTOPS_JS).read_text(encoding="utf-8")
        tabstops_version = hashlib.sha256(ours.encode()).hexdigest()[:8]
        selectors = tabstop_selectors(ours)
        js = theme_js.read_text(encoding="utf-8")
        new_js = theme_without_tab_pass(js, selectors)
        if new_js != js:
            theme_js.write_text(new_js, encoding="utf-8")

    for page, html in pages.items():
        thebe = thebe_configured or uses_thebe(html)
        new = sized_figures(lean_page(html, bundle_href_of, thebe), figure_size(page))
        new = scroll_tab_stops(lazy_figures(resolved_theme(new)))
        if tabstops_version is not None:
            new = with_tabstops_script(new, tabstops_version)
        if new != html:
            page.write_text(new, encoding="utf-8")
        pages[page] = new
    # Bundles no page links any more (left by earlier builds into the same folder) go.
    linked = {static_path(HREF.search(m.group(0)).group(1)) for html in pages.values()
              for m in STYLESHEET_LINK.finditer(html) if HREF.search(m.group(0))}
    for old in static.glob("gflow-*.css"):
        if BUNDLE_NAME.fullmatch(old.name) and old.name not in linked:
            old.unlink()
    return sizes


def thebe_configured(app) -> bool:
    options = app.config.html_theme_options or {}
    launch = options.get("launch_buttons") or {}
    return bool(launch.get("thebe") or options.get("use_thebe")
                or getattr(app.config, "use_thebe", False))


def lean_pages(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    sources = tuple(Path(app.confdir) / entry for entry in app.config.html_static_path)
    lean_site(Path(app.outdir), thebe_configured(app), sources)


def setup(app):
    # After tools/sphinx_gflow.py's rewrites of the pages and of the theme's stylesheet.
    app.connect("build-finished", lean_pages, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
