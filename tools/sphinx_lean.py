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
   are dropped.
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
5. Long pages drawn as they are read: the article of a page without API entries (``dl.py``)
   gets the class ``gflow-lazy``, on which ``book/site/gflow.css`` lays out its blocks from
   the second section on only near the window (``content-visibility``). A class written
   here, not a ``:has(dl.py)`` in the stylesheet: with ``:has()`` the browser re-checked the
   article as each element arrived, and the API page's first paint came at 6 s, not 1.8 s.
6. Without unused scripts: sphinx-thebe (live code on a Binder kernel), which Jupyter Book
   loads on every page although nothing starts it unless ``launch_buttons.thebe`` is set
   (it is not: the book's launch button opens Colab), with its stylesheet, its
   configuration and the inline scripts that name its CDN; sphinx-design's tab script on
   pages without tabs; a ``defer`` written twice is written once.

Loaded by tools/sphinx_gflow.py (``app.setup_extension``).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from html import escape as html_escape
from pathlib import Path

import tinycss2
from tinycss2 import ast

#: Bundled from ``_static/`` unless named here.
NOT_BUNDLED = ("katex/katex.min.css",)
#: The name of a bundle written here (an incremental build keeps those of earlier builds).
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
KATEX_LINK = re.compile(r'([ \t]*)<link\b[^>]*href="([^"]*)_static/katex/katex\.min\.css"[^>]*>')
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
#: A figure's tag: an image, or a source of a picture (one picture in its srcset).
FIGURE_TAG = re.compile(r'<(?:img|source)\b[^>]*?\s(?:src|srcset)="([^",\s]*)"[^>]*?(/?)>')
RASTER = (".png", ".jpg", ".jpeg", ".gif", ".webp")


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
            continue  # a bundle of an earlier build, on a page Sphinx did not write again
        found.append((match, path))
    return found


def uses_thebe(html: str) -> bool:
    body = html[html.find("<body"):]
    return bool(THEBE_STARTERS.search(body))


def lean_page(html: str, bundle_href_of, thebe: bool) -> str:
    """One page: its ``_static/`` stylesheets replaced by the bundle (``bundle_href_of``:
    the tuple of their paths and the prefix before ``_static/`` -> the link's href), thebe's
    pieces dropped unless ``thebe``, sphinx-design's tab script dropped without tabs."""
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
    if not API_ENTRY.search(rest) and LAZY_CLASS not in rest:
        rest = ARTICLE_TAG.sub(rf'<article class="bd-article\1 {LAZY_CLASS}"', rest, count=1)
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
                pieces.append(f'{indent}<link rel="stylesheet" type="text/css" '
                              f'href="{href}" />\n')
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


def site_pages(outdir: Path) -> list[Path]:
    skip = {"_static", "_sources", "_images"}
    return sorted(p for p in outdir.rglob("*.html")
                  if not skip & set(p.relative_to(outdir).parts[:-1]))


def lean_site(outdir: Path, thebe_configured: bool = False) -> dict[str, int]:
    """Rewrite the built site at ``outdir``; returns the bundles written and their sizes."""
    static = outdir / "_static"
    pages = {page: page.read_text(encoding="utf-8") for page in site_pages(outdir)}
    words: set[str] = set()
    for html in pages.values():
        words |= page_words(html)
        if not API_ENTRY.search(html):
            words.add(LAZY_CLASS)  # written on the page below
    # The scripts the pages load (not every file of _static/: the theme's Font Awesome
    # script, which tools/sphinx_gflow.py drops, names thousands of icons).
    scripts = {path for html in pages.values() for src in SCRIPT_SRC.findall(html)
               if (path := static_path(src)) and (static / path).is_file()}
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

    for page, html in pages.items():
        thebe = thebe_configured or uses_thebe(html)
        new = sized_figures(lean_page(html, bundle_href_of, thebe), figure_size(page))
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
    lean_site(Path(app.outdir), thebe_configured(app))


def setup(app):
    # After tools/sphinx_gflow.py's rewrites of the pages and of the theme's stylesheet.
    app.connect("build-finished", lean_pages, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
