"""The built book as a reader sees it: every page opened in headless Chromium, offline.

``make test`` builds the book first (the ``test`` target depends on ``book``), so these tests
find ``_build/html`` fresh. They never build it: run alone (``pytest tests/test_browser.py``)
after ``make book``; when the pages are missing or older than their sources, every test that
needs them fails saying so (the ``built_book`` fixture and the ``book`` marker of
tests/conftest.py). They are not in the quick tier (``make quick``).

The pages are served from ``_build/html`` by a local ``http.server`` on 127.0.0.1 and opened
in Debian's Chromium through Selenium; Chromium resolves every other host to nothing, so a
page that still needed a CDN would show it as console errors, raw TeX, or empty widgets. For
every page listed in ``_toc.yml`` the tests check that

* the math was rendered at build time (KaTeX's HTML inside every math element, no raw
  ``\\(``, ``\\[`` or ``$$`` left in the visible text) and no math script is loaded,
* every ``<img>`` has loaded (the figures that load lazily are made eager and waited for;
  that they load as they come near the window is checked on a long chapter),
* the console shows no error except the known, harmless
  ``Identifier 'THEBE_JS_URL' has already been declared``,
* a chapter page's Colab link opens that chapter's ``.ipynb`` in the configured repository,
* embedded widgets, if any, are rendered,
* on a chapter, each output with a phone rendering is a ``<picture>`` showing the rendering
  for the screen (the phone PNG at 390 px, the desktop one at 1280), every figure undistorted
  and, at 390 px, its 11-point text at least 11 px (``figure_problems``, on the same loads);

and on the explorer page, that the live explorer computes what ``gflow_lib`` computes
(``window.gflowLive.params`` against ``LinearFlow`` to 1e-10), that real pointer drags of the
start and of a data point recompute the panels, that the iterates of gradient descent diverge
once the learning rate passes 2/lambda_max, and that the panels stack on a 390-pixel screen
(screenshots in ``_build/screenshots/explorer-live/`` with ``GFLOW_SCREENSHOTS=1``). Pages load
light (issue 19, fast pages): figures far below the window are not fetched at load, no code
block far below is measured at load, a block gets its tab stop as it comes into view and every
box that scrolls can be reached by keyboard (at 390 and 1280 px), and a first visit sets the
page's colours once (dark on a screen that prefers it). With ``GFLOW_SCREENSHOTS=1`` a
screenshot of the first screen of each page is saved under ``_build/screenshots/`` (of the
whole page, up to 4000 pixels tall, with ``GFLOW_FULL_SCREENSHOTS=1``: about 0.3 s more per
page); a picture checks nothing, so a plain run takes none. Each page is opened in a window of
the size it is checked at (all the pages at 1280 px, then all at 390 px: browsers.window never
resizes a page that is open, which would lay it out again for nothing). Static checks on the
HTML (no browser needed) assert that no page loads a script, stylesheet, image or frame from
another host, and that the API reference documents every public name of ``gflow_lib`` with its
docstring sections rendered.

Chrome or Chromium and its driver are found on Linux and macOS, or through the ``CHROME`` and
``CHROMEDRIVER`` variables (tests/browsers.py). Without them the browser tests skip with a
message saying how to install them, except in CI (``CI=true``, set by ``.ci/run``), where they
fail; ``make test`` installs Debian's packages (``make chromium``).
"""

from __future__ import annotations

import contextlib
import functools
import html.parser as html_parser
import http.server
import importlib
import json
import os
import re
import struct
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from browsers import screenshots_wanted, settled, shared_chrome, wait_in_page, window

from tools import sphinx_phone
from tools.myst import toc_documents
from tools.sphinx_gflow import api_documents

# GFLOW_BOOK_ROOT points the tests at another copy of the book (a scratch build); default: here.
ROOT = Path(os.environ.get("GFLOW_BOOK_ROOT") or Path(__file__).resolve().parent.parent)
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
KNOWN_CONSOLE_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)


# ---------------------------------------------------------------- the book's pages
def toc_files(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document of the table of contents, in reading order (``book/intro`` ...)."""
    return toc_documents(toc_path)

PAGES = toc_files()


def is_notebook_page(doc: str) -> bool:
    return (ROOT / f"{doc}.ipynb").exists()


def repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main"), repo.get("path_to_book", "")


def colab_url(doc: str) -> str:
    url, branch, prefix = repository()
    base = url.replace("https://github.com/", "")
    path = f"{prefix.strip('/')}/{doc}" if prefix else doc
    return f"https://colab.research.google.com/github/{base}/blob/{branch}/{path}.ipynb"


# ---------------------------------------------------------------- the built pages
@pytest.fixture(scope="session")
def site(built_book) -> Path:
    """``_build/html`` as ``make book`` left it (tests/conftest.py fails the test when it is
    missing or stale)."""
    return built_book


def built_page(doc: str) -> Path:
    return HTML / f"{doc}.html"


# ---------------------------------------------------------------- static HTML checks
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)
LOADING_ATTRS = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
}


# bs4's void elements and string containers (whose text get_text() leaves out): the scanner
# below reads a page as BeautifulSoup(html, "html.parser") would build it, without the tree.
VOID = frozenset("area base basefont bgsound br col command embed frame hr image img input "
                 "isindex keygen link menuitem meta nextid param source spacer track wbr".split())
NOT_TEXT = frozenset(("script", "style", "template", "rt", "rp"))
KATEX_CSS = re.compile(r"_static/katex/katex\.min\.css")


_KATEX_HTML = re.compile(r'<span class="katex-html" aria-hidden="true">')
_SPAN = re.compile(r"<(/?)span\b[^>]*>")
_MATHML = re.compile(r"<math\b[^>]*>")
_MATHML_END = re.compile(r"</math>")
_TAG = re.compile(r"<[^>]*>")


def _mathml_end(html: str, at: int) -> int | None:
    end = _MATHML_END.search(html, at)
    return None if end is None else end.start()


def _span_end(html: str, at: int) -> int | None:
    depth = 1
    for tag in _SPAN.finditer(html, at):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.start()
    return None


def _insides_as_text(html: str, opening: re.Pattern, end_of) -> str:
    """``html`` with what lies between each ``opening`` tag and its closing tag (at
    ``end_of(html, position after the opening tag)``, None when it is not closed) reduced to
    its text."""
    out, at = [], 0
    for start in opening.finditer(html):
        if start.start() < at:
            continue
        end = end_of(html, start.end())
        if end is None:
            break
        out += [html[at:start.end()], _TAG.sub("", html[start.end():end])]
        at = end
    return "".join(out) + html[at:]


def _math_as_text(html: str) -> str:
    """``html`` with the inside of each MathML ``<math>`` element and of each KaTeX HTML
    rendering (``span.katex-html``) reduced to its text: their opening tags, which the checks
    read, stay. Most of a chapter's 230,000 tags are there and no check reads one of them, so
    the scan below takes half the time (3.0 -> 1.4 s of CPU for the 36 built pages) and finds
    the same (every page's loads, maths, errors, fields, scripts and text were compared,
    and ``test_scan_is_the_same_with_the_math_as_text`` compares one page). An element not
    closed is left as it is."""
    html = _insides_as_text(html, _MATHML, _mathml_end)
    return _insides_as_text(html, _KATEX_HTML, _span_end)


class PageScan(html_parser.HTMLParser):
    """One pass of the standard library's HTML tokenizer (the one BeautifulSoup's
    ``html.parser`` uses) over a page, with BeautifulSoup's tree rules (an end tag closes the
    most recent open element of its name, void elements have no children, everything open is
    closed at the end), collecting what the static checks need: loads from another host
    (:func:`external_loads`), the math elements (:func:`math_problems`), the numpydoc field
    lists (:func:`numpydoc_sections`) and the page's text (``get_text()``). Building the tree
    took about 5 s for the API page alone; this takes under 1 s. The math is read as text
    (:func:`_math_as_text`) unless ``math_as_text`` is False: a math element's text then comes
    in one piece instead of one per tag, the same text."""

    def __init__(self, html: str, math_as_text: bool = True):
        super().__init__(convert_charrefs=True)
        if math_as_text:
            html = _math_as_text(html)
        self.stack = []  # open elements: (tag, classes, records opened by it)
        self.loads = {tag: [] for tag in LOADING_ATTRS}
        self.style_loads = []
        self.maths, self.errors, self.fields, self.scripts = [], [], [], []
        self.stylesheet = False
        self.strings = []  # the page's text nodes
        self.pending = []  # text of the current text node
        self.hidden = 0  # open elements whose text get_text() leaves out
        self.feed(html)
        self.close()
        self._flush()
        while self.stack:
            self._pop()

    # text: one string per text node, whitespace-only nodes collapsed as bs4 does
    def _flush(self):
        if not self.pending:
            return
        text, self.pending = "".join(self.pending), []
        if not text.strip(" \t\n\r\f") and not any(t in ("pre", "textarea")
                                                     for t, _, _ in self.stack):
            text = "\n" if "\n" in text else " "
        for _, _, records in self.stack:
            for record in records:
                if "script" in record:
                    record["script"].append(text)
                elif not self.hidden:
                    record["text"].append(text)
        if not self.hidden:
            self.strings.append(text)

    def handle_data(self, data):
        self.pending.append(data)

    def unknown_decl(self, data):  # <![CDATA[...]]>: text for bs4
        self._flush()
        if data.startswith("CDATA["):
            self.pending.append(data[len("CDATA["):])
            self._flush()

    def handle_comment(self, data):
        self._flush()

    def handle_decl(self, decl):
        self._flush()

    def handle_pi(self, data):
        self._flush()

    def handle_startendtag(self, tag, attrs):
        self._start(tag, attrs, void=True)

    def handle_starttag(self, tag, attrs):
        self._start(tag, attrs, void=tag in VOID)

    def handle_endtag(self, tag):
        self._flush()
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                while len(self.stack) > i:
                    self._pop()
                return

    def _start(self, tag, attrs, void):
        self._flush()
        values = {k: "" if v is None else v for k, v in attrs}
        classes = set(values.get("class", "").split())
        for attr in LOADING_ATTRS.get(tag, ()):
            value = values.get(attr)
            if value and EXTERNAL.match(value):
                self.loads[tag].append(f"<{tag} {attr}={value!r}>")
        if "style" in values:
            for url in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^'\")]+)", values["style"]):
                self.style_loads.append(f"style url({url})")
        if tag == "math":  # matches ".katex .katex-mathml math" inside an open .math
            outer = [i for i, (_, c, _) in enumerate(self.stack) if "katex" in c]
            if outer and any("katex-mathml" in c for _, c, _ in self.stack[outer[0] + 1:]):
                for r in self._open_maths():
                    r["mathml"] = True
        if "katex-html" in classes and values.get("aria-hidden") == "true":
            for r in self._open_maths():
                r["html"] = True
        records = []
        if "math" in classes:
            records.append({"mathml": False, "html": False, "text": []})
            self.maths.append(records[-1])
        if "katex-error" in classes:
            records.append({"text": []})
            self.errors.append(records[-1])
        if (tag == "dt" and self.stack and self.stack[-1][0] == "dl"
                and "field-list" in self.stack[-1][1]):
            records.append({"text": []})
            self.fields.append(records[-1])
        if tag == "script":
            records.append({"script": [], "src": values.get("src") or "",
                            "preload": values.get("data-preload") or ""})
            self.scripts.append(records[-1])
        if tag == "link" and KATEX_CSS.search(values.get("href", "")):
            self.stylesheet = True
        self.stack.append((tag, classes, records))
        self.hidden += tag in NOT_TEXT
        if void:
            self._pop()

    def _open_maths(self):
        return [r for _, _, records in self.stack for r in records if "mathml" in r]

    def _pop(self):
        tag, _, _ = self.stack.pop()
        self.hidden -= tag in NOT_TEXT

    def text(self) -> str:
        """The page's ``get_text()``."""
        return "".join(self.strings)


def external_loads(html) -> list[str]:
    """Every script/link/img/... reference in ``html`` (a page's text or its
    :class:`PageScan`) that points at another host."""
    scan = html if isinstance(html, PageScan) else PageScan(html)
    return [load for tag in LOADING_ATTRS for load in scan.loads[tag]] + scan.style_loads


@functools.lru_cache(maxsize=None)
def scanned(page: Path) -> PageScan:
    """A built page scanned once per run (the static checks below share it)."""
    scan = PageScan(page.read_text(errors="replace"))
    scan.strings = ["".join(scan.strings)]  # one string: what the checks read
    return scan


def test_no_page_loads_anything_from_another_host(site):
    pages = sorted(site.glob("**/*.html"))
    assert pages, "no built pages"
    offenders = {}
    for page in pages:
        bad = external_loads(scanned(page))
        if bad:
            offenders[str(page.relative_to(site))] = bad
    assert not offenders, (
        "pages that load from another host (vendor the file with tools/fetch_assets.py):\n"
        + json.dumps(offenders, indent=1)
    )


def test_static_css_loads_nothing_from_another_host(site):
    offenders = []
    for css in (site / "_static").rglob("*.css"):
        for m in re.finditer(r"(@import\s+['\"]|url\(\s*['\"]?)((?:https?:)?//[^'\")\s]+)",
                             css.read_text(errors="replace")):
            offenders.append(f"{css.relative_to(site)}: {m.group(2)}")
    assert not offenders, "\n".join(offenders)


def test_external_load_detector_catches_a_cdn_script():
    html = ('<script src="https://cdn.example/x.js"></script><link href="//fonts.example/c.css">'
            '<img src="_static/a.png"><a href="https://github.com/x">repo</a>')
    assert external_loads(html) == [
        "<script src='https://cdn.example/x.js'>",
        "<link href='//fonts.example/c.css'>",
    ]


def math_problems(html) -> list[str]:
    """What is wrong with a built page's math (``html``: its text or its :class:`PageScan`): a
    math element without KaTeX's HTML and MathML in it, KaTeX's error markup, a script that is
    MathJax or KaTeX, math without KaTeX's stylesheet or without the preload of its main font
    (tools/sphinx_lean.py: a font that arrives after the first layout moves the text)."""
    scan = html if isinstance(html, PageScan) else PageScan(html)
    found = [f"not rendered: {''.join(m['text'])[:80]!r}" for m in scan.maths
             if not (m["mathml"] and m["html"])]
    found += [f"KaTeX error: {''.join(e['text'])[:80]!r}" for e in scan.errors]
    for script in scan.scripts:
        text = script["src"] + "".join(script["script"])
        if re.search(r"mathjax|katex", text, re.I):
            found.append(f"math script: {text[:80]!r}")
    if scan.maths and not scan.stylesheet:
        found.append("math without _static/katex/katex.min.css")
    if scan.maths and not any("KaTeX_Main-Regular.woff2" in s["preload"] for s in scan.scripts):
        found.append("math without the preload of KaTeX_Main-Regular.woff2")
    return found


def test_math_is_rendered_at_build_time_and_widgets_served_locally(site):
    """Every page's math is HTML and MathML written by the build (tools/sphinx_math.py): no
    MathJax or KaTeX script on any page; the widget manager is served from the site."""
    problems = {}
    for page in sorted(site.glob("**/*.html")):
        found = math_problems(scanned(page))
        if found:
            problems[str(page.relative_to(site))] = found[:3]
    assert not problems, json.dumps(problems, indent=1)
    assert (site / "_static" / "katex" / "fonts" / "KaTeX_Main-Regular.woff2").is_file()
    assert not (site / "_static" / "mathjax").exists(), "MathJax is still copied into the site"
    for doc in PAGES:
        html = built_page(doc).read_text()
        if "application/vnd.jupyter.widget-state+json" in html:
            assert "_static/requirejs/require.js" in html, f"{doc}: require.js not local"
            assert "_static/html-manager/dist/embed-amd.js" in html, f"{doc}: embed-amd not local"


#: An id made of a random UUID (myst-parser labels a numbered amsmath environment so): a new
#: one in every build, so no link to it lasts.
RANDOM_ID = re.compile(r'\bid="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"')


def test_no_page_has_an_id_that_changes_with_every_build(site):
    found = {str(page.relative_to(site)): RANDOM_ID.findall(page.read_text(errors="replace"))[:2]
             for page in sorted(site.glob("**/*.html"))}
    found = {page: ids for page, ids in found.items() if ids}
    assert not found, ("ids made of a random UUID (write a numbered amsmath environment as "
                       f"equation* with its \\tag): {found}")


def test_math_problems_detector_can_fail():
    good = ('<script data-preload="[&quot;_static/katex/fonts/KaTeX_Main-Regular.woff2&quot;]">'
            '</script><link href="_static/katex/katex.min.css?v=1"><span class="math">'
            '<span class="katex"><span class="katex-mathml"><math></math></span>'
            '<span class="katex-html" aria-hidden="true">x</span></span></span>')
    assert math_problems(good) == []
    assert math_problems(good.replace("KaTeX_Main", "KaTeX_Math")) == [
        "math without the preload of KaTeX_Main-Regular.woff2"]
    assert math_problems(good.replace("katex-mathml", "k")) == ["not rendered: 'x'"]
    assert math_problems(good + '<script src="_static/mathjax/es5/tex-mml-chtml.js"></script>')
    assert math_problems(good.replace("_static/katex/katex.min.css", "x.css"))
    assert math_problems(good + '<span class="katex-error">\\frac</span>')


def _scan_facts(scan: PageScan) -> tuple:
    def joined(records):
        return [{k: "".join(v) if isinstance(v, list) else v for k, v in r.items()}
                for r in records]
    return (scan.loads, scan.style_loads, joined(scan.maths), joined(scan.errors),
            joined(scan.fields), joined(scan.scripts), scan.stylesheet, scan.text())


def test_scan_is_the_same_with_the_math_as_text(site):
    """_math_as_text changes nothing the checks read, on a built page with math (the
    notation page: every kind of symbol the book uses) and on one it can break."""
    html = (site / "book" / "notation.html").read_text()
    assert html.count("katex-html") > 100
    assert _scan_facts(PageScan(html)) == _scan_facts(PageScan(html, math_as_text=False))
    first = _math_as_text(html).split('class="katex-html" aria-hidden="true">')[1]
    assert "<span" not in first[:first.index("</span>")]  # the inside is text now
    # not closed: left as it is
    broken = '<span class="katex-html" aria-hidden="true"><span>x</span>'
    assert _math_as_text(broken) == broken


@pytest.mark.parametrize("doc", PAGES)
def test_every_toc_page_was_built(site, doc):
    assert built_page(doc).is_file(), f"{doc} is in _toc.yml but {doc}.html was not built"


def _public_names(module_name: str) -> list[tuple[str, object]]:
    module = importlib.import_module(module_name)
    if hasattr(module, "__path__"):  # a package: only what it defines itself
        names = [n for n, o in vars(module).items()
                 if not n.startswith("_") and getattr(o, "__module__", None) == module_name]
    elif hasattr(module, "__all__"):
        names = list(module.__all__)
    else:
        names = [n for n, o in vars(module).items()
                 if not n.startswith("_") and getattr(o, "__module__", None) == module_name]
    return [(n, getattr(module, n)) for n in names]


def test_api_reference_documents_every_public_name(site):
    from sphinx.util.inventory import InventoryFile

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from sphinx_gflow import public_modules
    finally:
        sys.path.remove(str(ROOT / "tools"))
    with open(site / "objects.inv", "rb") as f:
        inv = InventoryFile.load(f, "", lambda base, uri: uri)
    python = {kind: names for kind, names in inv.items() if kind.startswith("py:")}
    documented = {name for names in python.values() for name in names}
    pages = {uri.split("#")[0] for names in python.values() for _, _, uri, _ in names.values()}
    missing = []
    for mod in public_modules("gflow_lib"):
        assert mod in documented, f"module {mod} is missing from the API reference"
        for name, obj in _public_names(mod):
            candidates = {f"{mod}.{name}"}
            if hasattr(obj, "__module__") and hasattr(obj, "__qualname__"):
                candidates.add(f"{obj.__module__}.{obj.__qualname__}")
            if not candidates & documented:
                missing.append(f"{mod}.{name}")
    assert not missing, f"public names missing from the API reference: {missing}"
    api_pages = {f"{doc}.html" for doc in api_documents(ROOT / "_toc.yml")}
    assert len(api_pages) > 1 and pages <= api_pages, f"Python objects documented elsewhere: " \
        f"{sorted(pages - api_pages)}"
    # Every name of the package's __all__ resolves to a documented object.
    import gflow_lib

    for name in gflow_lib.__all__:
        obj = getattr(gflow_lib, name)
        assert f"{obj.__module__}.{obj.__qualname__}" in documented, name


def numpydoc_sections(html) -> set[str]:
    """The names of the docstring sections (Parameters, Returns, ...) that an API page (its
    text or its :class:`PageScan`) renders as field lists."""
    scan = html if isinstance(html, PageScan) else PageScan(html)
    return {"".join(t.strip() for t in f["text"] if t.strip()).rstrip(":") for f in scan.fields}


RAW_SECTION = re.compile(r"^\s*(Parameters|Returns|Raises)\s*\n\s*-{3,}\s*$", re.MULTILINE)


def test_api_reference_renders_numpydoc_sections(site):
    """The numpydoc sections of the docstrings are parsed (napoleon), not shown as raw text,
    on every page of the API reference (book/api and the pages of modules, its sections in
    _toc.yml); each page that documents a function renders Parameters or Returns."""
    sections = set()
    for doc in api_documents(ROOT / "_toc.yml"):
        scan = scanned(built_page(doc))
        assert not RAW_SECTION.search(scan.text()), doc
        found = numpydoc_sections(scan)
        if '<dl class="py function">' in built_page(doc).read_text(encoding="utf-8"):
            assert found & {"Parameters", "Returns"}, doc
        sections |= found
    assert {"Parameters", "Returns"} <= sections


def test_numpydoc_detectors_can_fail():
    raw = "<main><p>Parameters\n----------\nX : array</p></main>"
    assert not numpydoc_sections(raw)
    assert RAW_SECTION.search(PageScan(raw).text())
    fields = '<dl class="field-list"><dt>Returns<span>:</span></dt><dd>x</dd></dl>'
    assert numpydoc_sections(fields) == {"Returns"}


# ---------------------------------------------------------------- the browser
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # poll_interval: shutdown() waits for the loop to look again (0.5 s by default, idle)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser(request):
    """Headless Chromium (skips outside CI when missing, fails in CI), shared with the other
    browser files of this process (browsers.shared_chrome)."""
    return shared_chrome(request.config)


# The page loaded with every image. Figures after a page's first load come only near the
# window (loading="lazy", tools/sphinx_lean.py): every one not loaded yet is made eager here,
# all at once, and each one's load or error awaited (test_below_the_window_nothing_loads_or_
# is_measured_until_it_comes_near checks, on a long chapter, that the figures far below are
# not fetched at load and that each is fetched as it comes near the window, as a reader
# scrolls). Scrolling to each figure in turn, as this did, waited about 45 ms per figure
# (4-5 s of a run) for the same figures. Then the page is at its top.
PAGE_LOADED = """
const until = Date.now() + 30000;
const loaded = img => new Promise(resolve => {
  if (img.complete) { resolve(); return; }
  const end = () => { clearTimeout(timer); resolve(); };
  const timer = setTimeout(end, Math.max(0, until - Date.now()));
  img.addEventListener('load', end, {once: true});
  img.addEventListener('error', end, {once: true});
  img.loading = 'eager';
});
const pageLoaded = async () => {
  if (document.readyState !== 'complete') {
    await new Promise(r => window.addEventListener('load', r, {once: true}));
  }
  await Promise.all(Array.from(document.images).map(loaded));
  window.scrollTo(0, 0);
};
"""
WAIT_FOR_PAGE = """
const done = arguments[arguments.length - 1];
""" + PAGE_LOADED + """
pageLoaded().then(() => done(true));
"""

PAGE_FACTS = """
const clone = document.querySelector('main, article, body').cloneNode(true);
clone.querySelectorAll('pre, code, script, style, .katex, textarea, '
                       + '.cell_input, .highlight').forEach(e => e.remove());
const mathEls = Array.from(document.querySelectorAll('.math'));
return {
  text: clone.textContent,
  math: mathEls.length,
  untypeset: mathEls.filter(e => !e.querySelector('.katex'))
      .map(e => e.outerHTML.slice(0, 120)),
  containers: document.querySelectorAll('.katex').length,
  mathScripts: performance.getEntriesByType('resource').map(r => r.name)
      .filter(n => /mathjax|katex[^/]*\\.js|tex-(mml|chtml|svg)/i.test(n))
      .concat(window.MathJax || window.katex ? ['a MathJax or KaTeX global'] : []),
  brokenImages: Array.from(document.images)
      .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 120)),
  images: document.images.length,
  colab: Array.from(document.querySelectorAll('a[href*="colab.research.google.com"]'))
      .map(a => a.href),
  widgetState: !!document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]'),
  widgetViews: document.querySelectorAll('.jupyter-widgets, .widget-inline-hbox').length,
};
"""


def open_page(driver, base: str, doc: str, width: int = 1280, height: int = 1000,
              measure: bool = False) -> dict:
    """PAGE_FACTS of ``doc`` opened ``width`` x ``height`` (WAIT_FOR_PAGE; the widgets, if
    the page stores any, given 20 s to render), with its console's errors. With ``measure``,
    also ``pictures`` (PICTURES, on a chapter), ``width`` (window.innerWidth) and ``layout``
    (LAYOUT_FACTS, which opens the folded solutions), in that order, after the facts: all in
    the one script that waits for the page (each WebDriver round trip costs about 5-7 ms of
    CPU for the driver and the browser)."""
    window(driver, width, height)
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(f"{base}/{doc}.html")
    got = driver.execute_async_script(LOAD_AND_MEASURE, {
        "facts": True, "pictures": measure and is_notebook_page(doc), "layout": measure})
    facts = got.pop("facts")
    facts["console"] = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    if measure:
        facts["measured"] = got
    return facts


def screenshot(driver, doc: str, max_height: int = 4000) -> Path | None:
    """A PNG of the page's first screen under _build/screenshots/ when the environment sets
    GFLOW_SCREENSHOTS=1; of the whole page (up to ``max_height`` pixels tall) with
    GFLOW_FULL_SCREENSHOTS=1 (browsers.screenshots_wanted)."""
    if not screenshots_wanted():
        return None
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = SHOTS / f"{doc.replace('/', '__')}.png"
    if os.environ.get("GFLOW_FULL_SCREENSHOTS") != "1":
        driver.save_screenshot(str(out))
        return out
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(800, min(int(height), max_height)))
    try:
        driver.save_screenshot(str(out))
    finally:
        driver.set_window_size(1280, 1000)
    return out


# ---------------------------------------------------------------- figures for the screen
PICTURES = """
return Array.from(document.querySelectorAll('figure img')).map(i => {
  const b = i.getBoundingClientRect();
  return {src: i.getAttribute('src'), current: i.currentSrc, natural: [i.naturalWidth,
          i.naturalHeight], shown: [b.width, b.height], picture: !!i.closest('picture')};
});
"""


def _ppi(png: bytes) -> float:
    """Pixels per inch from a PNG's pHYs chunk (matplotlib writes the figure's dpi there)."""
    at = png.find(b"pHYs")
    assert at > 0, "the PNG has no pHYs chunk (its dpi)"
    per_metre, _, unit = struct.unpack(">IIB", png[at + 4:at + 13])
    assert unit == 1, "pHYs is not in pixels per metre"
    return per_metre * 0.0254


#: Figures whose text may show under 11 CSS pixels at 390 pixels, with why: none. (A figure
#: no wider than the phone rendering gets none and needs none: ml_vs_map's paths figure,
#: 327 pixels, shows its 11-point text at its natural 15 pixels.)
SMALL_TEXT_EXEMPT: dict[str, str] = {}


def picture_problems(figures, width, html_root, exempt=()) -> list[str]:
    """What is wrong with the figures of a page seen ``width`` CSS pixels wide: at most
    sphinx_phone.MEDIA_MAX_PX, each ``<picture>`` must show its phone PNG and every figure
    (with a phone rendering or not) its text of TEXT_PT points at least 11 CSS pixels tall,
    unless its PNG's name (the hash) is in ``exempt``; wider, each ``<picture>`` its desktop
    PNG. Each shown undistorted."""
    from gflow_lib.plotting.style import TEXT_PT  # matplotlib: only when there are figures

    problems = []
    phone_screen = width <= sphinx_phone.MEDIA_MAX_PX
    for f in figures:
        name = f["current"].rsplit("/", 1)[-1]
        if f.get("picture", True) and name.endswith("-phone.png") != phone_screen:
            problems.append(f"{width}px: shows {name} (src {f['src']})")
            continue
        (nw, nh), (sw, sh) = f["natural"], f["shown"]
        if not nw or abs(sh / sw - nh / nw) > 0.02 * nh / nw:
            problems.append(f"{width}px: {name} is shown {sw:.0f}x{sh:.0f}, natural {nw}x{nh}")
            continue
        if not phone_screen or not name.endswith(".png"):
            continue
        if name.removesuffix(".png").removesuffix("-phone") in exempt:
            continue
        text_px = TEXT_PT / 72.0 * _ppi((html_root / "_images" / name).read_bytes()) * sw / nw
        if text_px < 11.0:
            problems.append(f"{width}px: {name}: {TEXT_PT:g} pt text is {text_px:.1f} px")
    return problems


@functools.lru_cache(maxsize=None)
def phone_renderings(doc: str) -> frozenset[str]:
    """The names (SHA-256) of the outputs of ``doc``'s notebook that have a phone rendering."""
    return frozenset(sphinx_phone.phone_images([ROOT / f"{doc}.ipynb"]))


def figure_problems(driver, doc: str, width: int, images=None) -> list[str]:
    """On a chapter just opened ``width`` pixels wide, every figure loaded: each output with a
    phone rendering is a ``<picture>`` (and no other figure is), and :func:`picture_problems`
    (the rendering for the screen, undistorted, text of at least 11 px at 390 px). Moved
    from tests/test_phone_figures.py, which loaded every chapter twice more for it.
    ``images``: PICTURES as already read on that load (else read here)."""
    if not is_notebook_page(doc):
        return []
    if images is None:
        images = driver.execute_script(PICTURES)
    shown = {f["src"].rsplit("/", 1)[-1][:-4] for f in images if f["picture"]}
    problems = []
    if shown != phone_renderings(doc):
        problems.append(f"pictures {sorted(shown)}, outputs with a phone rendering "
                        f"{sorted(phone_renderings(doc))}")
    return problems + picture_problems(images, width, HTML, SMALL_TEXT_EXEMPT)


def unexpected_console_errors(entries) -> list[str]:
    return [e["message"] for e in entries
            if not any(known in e["message"] for known in KNOWN_CONSOLE_ERRORS)]


RAW_TEX = re.compile(r"\\\(|\\\[|\$\$|\\begin\{")


@pytest.mark.parametrize("doc", PAGES)
def test_page_in_browser(browser, server, doc):
    """The page's math, images, console, widgets and Colab link, its screenshot, and then,
    on the same load at 1280 px, the layout checks of
    test_page_fits_the_screen_and_its_math_is_whole (which loads the page at 390 px)."""
    if not built_page(doc).is_file():
        pytest.fail(f"{doc}.html was not built", pytrace=False)
    shots = screenshots_wanted()  # of the page as loaded: before LAYOUT_FACTS opens things
    facts = open_page(browser, server, doc, measure=not shots)
    problems = []
    raw = RAW_TEX.findall(facts["text"])
    if raw:
        at = RAW_TEX.search(facts["text"]).start()
        problems.append(f"raw TeX left in the visible text ({len(raw)}x), e.g. "
                        f"{facts['text'][max(0, at - 40):at + 60]!r}")
    if facts["untypeset"]:
        problems.append(f"{len(facts['untypeset'])} of {facts['math']} math elements were not "
                        f"rendered at build time, e.g. {facts['untypeset'][0]!r}")
    if facts["mathScripts"]:
        problems.append(f"math JavaScript loaded: {facts['mathScripts']}")
    if facts["brokenImages"]:
        problems.append(f"images that did not load: {facts['brokenImages']}")
    errors = unexpected_console_errors(facts["console"])
    if errors:
        problems.append(f"console errors: {errors}")
    if facts["widgetState"] and facts["widgetViews"] == 0:
        problems.append("the page stores widget state but no widget was rendered")
    if is_notebook_page(doc):
        want = colab_url(doc)
        if want not in facts["colab"]:
            problems.append(f"Colab link should be {want}; the page has {facts['colab']}")
    if shots:
        problems += figure_problems(browser, doc, 1280)
        screenshot(browser, doc)
        measured = {"width": browser.execute_script("return window.innerWidth"),
                    "layout": browser.execute_script(LAYOUT_FACTS)}
    else:
        measured = facts["measured"]
        problems += figure_problems(browser, doc, 1280, measured.get("pictures"))
    assert measured["width"] == 1280, f"the window is {measured['width']} px wide, not 1280"
    problems += [f"at 1280 px: {p}" for p in layout_problems(measured["layout"])]
    assert not problems, f"{doc}:\n  " + "\n  ".join(problems)


# Every display equation fits its column or scrolls inside its own box (with the shadow cue
# of book/site/gflow.css); no inline math is cut by a box that does not scroll; no element of
# the article sticks out of the screen (the page never scrolls sideways). Solutions folded in
# dropdowns are opened first, so their math is measured too.
LAYOUT_FACTS = """
document.querySelectorAll('details').forEach(d => { d.open = true; });
// Every block laid out as a reader sees it when it comes near the window (book/site/gflow.css
// lets the browser skip the blocks far below it: content-visibility: auto).
const laidOut = document.createElement('style');
laidOut.textContent = '* { content-visibility: visible !important; }';
document.head.appendChild(laidOut);
document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
const vw = document.documentElement.clientWidth;
const pageWidth = document.documentElement.scrollWidth;
const article = document.querySelector('article.bd-article') || document.body;
const label = e => (e.querySelector('annotation') || e).textContent.trim().slice(0, 60);
const scrolls = b => /(auto|scroll)/.test(getComputedStyle(b).overflowX)
    && b.scrollWidth > b.clientWidth + 1;
// Nothing moves while this runs: each ancestor's overflow and box are read once.
const seen = new Map();
function clip(a) {  // null when a clips nothing, 'scrolls', or its rectangle
  if (!seen.has(a)) {
    const s = getComputedStyle(a);
    seen.set(a, s.overflowX === 'visible' && s.overflowY === 'visible' ? null
        : scrolls(a) || (/(auto|scroll)/.test(s.overflowY) && a.scrollHeight > a.clientHeight + 1)
        ? 'scrolls' : a.getBoundingClientRect());
  }
  return seen.get(a);
}
function cutBy(el) {  // the box that hides part of el, or null
  const r = el.getBoundingClientRect();
  for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
    const c = clip(a);
    if (c === null) continue;
    if (c === 'scrolls') return null;  // reachable by scrolling that box
    if (r.left < c.left - 1 || r.right > c.right + 1 || r.top < c.top - 1
        || r.bottom > c.bottom + 1) return a.tagName + '.' + String(a.className).slice(0, 40);
  }
  return (r.right > vw + 1 || r.left < -1) ? 'the screen' : null;
}
const visible = e => e.getClientRects().length > 0 && e.getBoundingClientRect().width > 0;
const display = Array.from(article.querySelectorAll('div.math')).filter(visible);
const boxes = display.map(d => d.querySelector(':scope > .gflow-math-scroll'));
return {
  pageWidth, vw,
  // only named when the page is wider than the screen (layout_problems reads it then)
  sticksOut: pageWidth <= vw + 1 ? [] : Array.from(article.querySelectorAll('*'))
      .filter(e => visible(e)
      && !e.closest('.katex-mathml') && e.getBoundingClientRect().right > vw + 1
      && cutBy(e) === 'the screen').slice(0, 3).map(e => e.tagName + ' ' + label(e)),
  displays: display.length,
  noBox: display.filter((d, i) => !boxes[i]).map(label).slice(0, 3),
  scrolling: boxes.filter(b => b && scrolls(b)).length,
  noCue: boxes.filter(b => b && scrolls(b)
      && !/radial-gradient/.test(getComputedStyle(b).backgroundImage)).map(label).slice(0, 3),
  // a box of a tagged equation that scrolls although the equation's lines and its tag fit in
  // it: KaTeX's 2-px spacer (.vlist-s) sticks out of a tag set at the right edge, a scrollbar
  // for nothing where the system shows scrollbars. (The same spacer at the end of a line that
  // fits within 2 px makes its box scroll by 2 px too; that line nearly is too wide.)
  scrollsForNothing: boxes.filter(b => b && b.querySelector('.katex-tag') && scrolls(b))
      .filter(b => {
    const right = b.getBoundingClientRect().left + b.clientLeft + b.clientWidth;
    return Array.from(b.querySelectorAll('.katex-html, .katex-html > *')).every(
        e => e.getBoundingClientRect().right <= right + 1);
  }).map(label).slice(0, 3),
  // code (a cell, its output, a block) whose lines are at most 80 characters (test_chapter_text
  // keeps the chapters' code there) that scrolls sideways in a desktop column (560 px or
  // more; on a phone a long line scrolls by design): gflow.css sizes the code font to fit
  codeScrolls: Array.from(article.querySelectorAll('div.highlight > pre')).filter(p => visible(p)
      && p.clientWidth >= 560 && p.scrollWidth > p.clientWidth + 1
      && Math.max(...p.textContent.split('\\n').map(l => l.length)) <= 80)
      .map(p => p.textContent.trim().slice(0, 40)).slice(0, 3),
  displayCut: display.map(d => d.querySelector('.katex-html')).filter(k => k && cutBy(k))
      .map(k => label(k.parentElement) + ' (by ' + cutBy(k) + ')').slice(0, 3),
  tagOver: Array.from(article.querySelectorAll('.katex-tag')).filter(visible).filter(t => {
    const r = t.getBoundingClientRect();
    return Array.from(t.parentElement.querySelectorAll(':scope > .katex-base')).some(b => {
      const q = b.getBoundingClientRect();
      return q.right > r.left + 1 && q.left < r.right - 1;
    });
  }).map(t => label(t.closest('.katex'))).slice(0, 3),
  inlineCut: Array.from(article.querySelectorAll('span.math .katex-html')).filter(visible)
      .filter(k => cutBy(k)).map(k => label(k.parentElement) + ' (by ' + cutBy(k) + ')')
      .slice(0, 3),
  // axe's scrollable-region-focusable (Lighthouse's accessibility): a box that scrolls is
  // focusable or holds something focusable, so that a keyboard can scroll it. The theme's
  // tab stops come from the build and book/site/gflow-tabstops.js (tools/sphinx_lean.py).
  unreachable: Array.from(document.querySelectorAll('body *:not(.katex *):not(svg *)'))
      .filter(e => {
        const s = getComputedStyle(e);
        return (/(auto|scroll)/.test(s.overflowX) && e.scrollWidth > e.clientWidth + 1
                || /(auto|scroll)/.test(s.overflowY) && e.scrollHeight > e.clientHeight + 1)
            && visible(e) && e.tabIndex < 0 && !e.querySelector(
                'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])');
      }).map(e => e.tagName + '.' + String(e.className).slice(0, 30) + ' '
                  + e.textContent.trim().slice(0, 40)).slice(0, 3),
};
"""


#: WAIT_FOR_PAGE, then what ``arguments[0]`` asks for, in this order: ``facts`` (PAGE_FACTS,
#: with 20 s for the widgets to render when the page stores widget state), ``pictures``
#: (PICTURES), ``width`` (always) and ``layout`` (LAYOUT_FACTS), in one round trip.
LOAD_AND_MEASURE = """
const done = arguments[arguments.length - 1], want = arguments[0];
""" + PAGE_LOADED + """
const pageFacts = () => {""" + PAGE_FACTS + """};
const pictures = () => {""" + PICTURES + """};
const layoutFacts = () => {""" + LAYOUT_FACTS + """};
(async () => {
  await pageLoaded();
  const out = {};
  if (want.facts) {
    out.facts = pageFacts();
    const end = Date.now() + 20000;
    while (out.facts.widgetState && out.facts.widgetViews === 0 && Date.now() < end) {
      await new Promise(r => setTimeout(r, 20));
      out.facts = pageFacts();
    }
  }
  if (want.pictures) out.pictures = pictures();
  out.width = window.innerWidth;
  if (want.layout) out.layout = layoutFacts();
  done(out);
})();
"""


def layout_problems(facts: dict) -> list[str]:
    problems = []
    if facts["pageWidth"] > facts["vw"] + 1:
        problems.append(f"the page is {facts['pageWidth']} px wide on a {facts['vw']} px screen "
                        f"({facts['sticksOut']})")
    for key, what in (("noBox", "display equations without their scroll box"),
                      ("noCue", "scrolling equations without the shadow cue"),
                      ("scrollsForNothing", "equations that fit but whose box scrolls"),
                      ("codeScrolls", "code of at most 80 characters a line that scrolls "
                                      "in a desktop column"),
                      ("displayCut", "display equations cut off"),
                      ("inlineCut", "inline math cut off"),
                      ("tagOver", "equation tags over their equation"),
                      ("unreachable", "boxes that scroll but a keyboard cannot reach")):
        if facts[key]:
            problems.append(f"{what}: {facts[key]}")
    return problems


@pytest.mark.parametrize("doc, width", [  # all at 390 px first: the window is resized once
    (d, 390) for d in (*PAGES, "genindex", "py-modindex", "search")] + [
    (d, 1280) for d in ("genindex", "py-modindex", "search")])
def test_page_fits_the_screen_and_its_math_is_whole(browser, server, doc, width):
    """At 390 px (a phone) and 1280 px: no sideways scroll, every display equation fits or
    scrolls in its own box with a visible cue, no inline math clipped, no tag over its
    equation. (The pages of the table of contents are measured at 1280 px by
    test_page_in_browser, on the load it makes anyway.)"""
    window(browser, width, 844 if width == 390 else 1000)
    browser.get(f"{server}/{doc}.html")
    measured = browser.execute_async_script(LOAD_AND_MEASURE, {
        "facts": False, "pictures": is_notebook_page(doc), "layout": True})
    assert measured["width"] == width, f"the window is {measured['width']} px wide, not {width}"
    problems = figure_problems(browser, doc, width, measured.get("pictures"))
    problems += layout_problems(measured["layout"])
    assert not problems, f"{doc} at {width} px:\n  " + "\n  ".join(problems)


def test_layout_detector_can_fail(browser, tmp_path):
    """The measurements above see a page wider than the screen, a display equation cut
    without a scroll box, inline math cut by its box, an equation's tag over it, a box that
    scrolls by the 2 px that stick out of a tag (KaTeX's spacer) and a code cell of 80
    characters a line that scrolls in a column of 600 px, on a made-up page."""
    katex = ('<span class="katex"><span class="katex-html" aria-hidden="true" '
             'style="display:inline-block;width:{w}px">x</span></span>')
    page = tmp_path / "bad.html"
    page.write_text(
        '<html><body style="margin:0"><article class="bd-article">'
        '<div class="math" style="overflow:hidden;width:200px">' + katex.format(w=600) + "</div>"
        '<p><span class="math" style="display:inline-block;overflow:hidden;max-width:50px">'
        + katex.format(w=300) + "</span></p>"
        '<div class="math"><div class="gflow-math-scroll"><span class="katex">'
        '<span class="katex-html" style="position:relative;display:block">'
        '<span class="katex-base" style="display:inline-block;width:300px">x</span>'
        '<span class="katex-tag" style="position:absolute;left:100px">(1)</span>'
        "</span></span></div></div>"
        '<div class="math"><div class="gflow-math-scroll" style="overflow-x:auto;width:200px" '
        'tabindex="0">'
        '<span class="katex"><span class="katex-html" style="position:relative;display:block">'
        '<span class="katex-base" style="display:inline-block;width:100px">x</span>'
        '<span class="katex-tag" style="position:absolute;right:0"><span style="display:'
        'inline-block;width:32px;margin-right:-2px">(2)</span></span></span></span></div></div>'
        '<pre style="width:900px">wide</pre>'
        '<div class="highlight"><pre style="overflow-x:auto;width:600px;padding:0 16px;'
        'font:14px monospace" tabindex="0">' + "z" * 80 + "</pre></div>"
        '<pre style="overflow-x:auto;width:100px">' + "x" * 80 + "</pre>"
        '<pre style="overflow-x:auto;width:100px" tabindex="0">' + "y" * 80 + "</pre>"
        "</article></body></html>")
    window(browser, 390, 844)
    browser.get(page.as_uri())
    facts = browser.execute_script(LAYOUT_FACTS)
    problems = " ".join(layout_problems(facts))
    for what in ("px wide on a", "without their scroll box", "display equations cut off",
                 "inline math cut off", "tags over their equation", "a keyboard cannot reach",
                 "fit but whose box scrolls", "scrolls in a desktop column"):
        assert what in problems, (what, facts)
    assert facts["unreachable"] == ["PRE. " + "x" * 40], facts["unreachable"]


def test_raw_tex_detector():
    assert RAW_TEX.search(r"the loss \(L\) is") and RAW_TEX.search("$$x$$")
    assert not RAW_TEX.search("costs $5 and $6")


@pytest.mark.parametrize("prefix, path", [("", "book/data"), ("site/", "site/book/data")])
def test_colab_url_points_at_the_notebook_in_the_repository(monkeypatch, prefix, path):
    """The expected Colab link of a page, for a made-up repository (the built pages are
    compared with it in test_page_in_browser)."""
    monkeypatch.setattr(sys.modules[__name__], "repository",
                        lambda: ("https://github.com/owner/name", "dev", prefix))
    assert colab_url("book/data") == (
        f"https://colab.research.google.com/github/owner/name/blob/dev/{path}.ipynb")


# ---------------------------------------------------------------- the live explorer
EXPLORER = next((d for d in PAGES if d.endswith("/explorer")), None)
LIVE_SHOTS = SHOTS / "explorer-live"

LIVE_LAST = """
const root = document.querySelector('.gflow-live');
return root && root.gflowLive ? root.gflowLive.last() : null;
"""

LIVE_TEXT = """
const root = document.querySelector('.gflow-live');
const cell = (k) => root.querySelector('[data-gflow="' + k + '"]').textContent;
return {loss: cell('loss'), gd: cell('gd'), lam: cell('lam'),
        path: root.querySelector('.gl-path').getAttribute('d'),
        contours: root.querySelector('.gl-level').getAttribute('d')};
"""


def _explorer_page(browser, base, untouched=False):
    """The explorer page freshly loaded at 1280 px (no console error, the explorer mounted);
    ``untouched``: for a test that only calls the page's pure functions, the load the
    previous such test made when it is still the open document (marked ``gflowUntouched``,
    gone with any load; only these tests set it), else a fresh one."""
    if EXPLORER is None:
        pytest.skip("no explorer page in _toc.yml")
    if untouched and browser.execute_script(
            "return window.gflowUntouched === true && innerWidth === 1280 "
            "&& location.href === arguments[0];", f"{base}/{EXPLORER}.html"):
        return browser.execute_script(LIVE_LAST)
    facts = open_page(browser, base, EXPLORER)
    assert not unexpected_console_errors(facts["console"]), facts["console"]
    last = browser.execute_script(LIVE_LAST)
    assert last is not None, f"{EXPLORER}: the live explorer did not mount"
    if untouched:
        browser.execute_script("window.gflowUntouched = true;")
    return last


def _live_problems(n=30, seed=12):
    import numpy as np

    from gflow_lib.data import design_matrix, running_example

    rng = np.random.default_rng(seed)
    problems = [running_example(), (design_matrix([0.4, 0.4, 0.4]), np.array([0.1, 0.3, -0.2]),
                              np.array([0.5, -0.3])),
                (design_matrix([0.4]), np.array([0.15]), np.array([-0.05, -0.4]))]
    for _ in range(n):
        I = int(rng.integers(1, 9))  # noqa: E741
        problems.append((rng.normal(size=(2, I)) * rng.uniform(0.2, 3.0), rng.normal(size=I),
                         rng.normal(size=2)))
    return problems


def test_live_params_equal_linear_flow(browser, server):
    """``window.gflowLive.params`` on the built page equals LinearFlow to 1e-10."""
    import numpy as np

    from gflow_lib import LinearFlow

    _explorer_page(browser, server, untouched=True)
    t = [0.0, 1e-6, 0.05, 0.3, 1.0, 4.0, 30.0, 500.0]
    problems = _live_problems()
    # All problems in one script (a WebDriver round trip costs about 5-7 ms of CPU each).
    answers = browser.execute_script(
        "return arguments[0].map(p => window.gflowLive.params(...p, arguments[1]));",
        [[X.tolist(), y.tolist(), phi0.tolist()] for X, y, phi0 in problems], t)
    for (X, y, phi0), got in zip(problems, answers, strict=True):
        want = LinearFlow(X, y, phi0).params(np.array(t))
        err = np.max(np.abs(np.array(got) - want) / np.maximum(1.0, np.abs(want)))
        assert err <= 1e-10, f"I = {y.size}: relative error {err:.3g}\n{got}\n{want}"


def test_live_params_check_can_fail(browser, server):
    """The comparison above sees a wrong answer: a shifted start gives a different path."""
    import numpy as np

    from gflow_lib import LinearFlow
    from gflow_lib.data import running_example

    _explorer_page(browser, server, untouched=True)  # the load of the test above
    X, y, phi0 = running_example()
    got = browser.execute_script("return window.gflowLive.params(...arguments);",
                                 X.tolist(), y.tolist(), (phi0 + 1e-9).tolist(), 0.3)
    assert np.max(np.abs(np.array(got) - LinearFlow(X, y, phi0).params(0.3))) > 1e-10


def _drag(browser, element, dx, dy):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    # Aim at the visible mark of the handle (chromedriver misplaces the centre of an SVG <g>).
    target = element.find_element(By.CSS_SELECTOR, ".gl-start, .gl-dot")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", target)
    # duration=0: chromedriver sends the same pointer events (one pointermove per move, seen
    # in the page) whatever the duration, and only waited out Selenium's default 250 ms each.
    (ActionChains(browser, duration=0).move_to_element(target).click_and_hold()
     .move_by_offset(dx // 2, dy // 2).move_by_offset(dx - dx // 2, dy - dy // 2)
     .release().perform())


def _shot(browser, name):
    from selenium.webdriver.common.by import By

    root = browser.find_element(By.CSS_SELECTOR, ".gflow-live")
    # Below the theme's sticky header, which would cover the top of the explorer.
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'});"
                           "window.scrollBy(0, -80);", root)
    if screenshots_wanted():
        LIVE_SHOTS.mkdir(parents=True, exist_ok=True)
        root.screenshot(str(LIVE_SHOTS / f"{name}.png"))


def test_live_drags_recompute_everything(browser, server):
    """Real pointer drags of the start and of a data point change the path, the printed loss
    and (for the point) the landscape; an arrow key moves the start by 0.01 (on a 0.001 grid)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    before = _explorer_page(browser, server)
    text0 = browser.execute_script(LIVE_TEXT)
    _shot(browser, "1-before-drag")
    start = browser.find_element(By.CSS_SELECTOR, ".gflow-live .gl-handle:not(.gl-point)")
    _drag(browser, start, 40, -30)
    after = browser.execute_script(LIVE_LAST)
    text1 = browser.execute_script(LIVE_TEXT)
    assert after["params"] != before["params"], "dragging the start did not move phi(t)"
    assert text1["path"] != text0["path"], "dragging the start did not change the path"
    assert text1["loss"] != text0["loss"], "dragging the start did not change the printed loss"
    assert text1["contours"] == text0["contours"], "the start moved the loss surface"
    assert after["limit"] == before["limit"], "the start moved the limit (full rank data)"
    _shot(browser, "2-after-dragging-the-start")

    point = browser.find_elements(By.CSS_SELECTOR, ".gflow-live .gl-point")[2]
    _drag(browser, point, 0, 45)
    moved = browser.execute_script(LIVE_LAST)
    text2 = browser.execute_script(LIVE_TEXT)
    assert moved["limit"] != after["limit"], "dragging a point did not move the limit"
    assert text2["loss"] != text1["loss"], "dragging a point did not change the printed loss"
    assert text2["contours"] != text1["contours"], "dragging a point left the landscape alone"
    _shot(browser, "3-after-dragging-a-point")

    slope = browser.execute_script(
        "return document.querySelector('.gflow-live').gflowLive.state().phi0[0];")
    start.send_keys(Keys.ARROW_UP)
    stepped = browser.execute_script(
        "return document.querySelector('.gflow-live').gflowLive.state().phi0[0];")
    assert abs(stepped - round(slope + 0.01, 3)) < 1e-12, (slope, stepped)  # a 0.001 grid


def test_live_add_remove_and_play(browser, server):
    """Add point, Delete on a focused point, Remove, Reset and Play act on the explorer."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _explorer_page(browser, server)
    root = browser.find_element(By.CSS_SELECTOR, ".gflow-live")
    state = "return document.querySelector('.gflow-live').gflowLive.state();"
    buttons = {b.text: b for b in root.find_elements(By.CSS_SELECTOR, "button")}
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", root)
    buttons["Add point"].click()
    assert len(browser.execute_script(state)["points"]) == 4
    assert len(root.find_elements(By.CSS_SELECTOR, ".gl-point")) == 4
    root.find_elements(By.CSS_SELECTOR, ".gl-point")[0].send_keys(Keys.DELETE)
    assert len(browser.execute_script(state)["points"]) == 3
    root.find_elements(By.CSS_SELECTOR, ".gl-point")[0].send_keys(Keys.TAB)  # focus the next
    buttons["Remove selected point"].click()
    assert len(browser.execute_script(state)["points"]) == 2
    buttons["Reset"].click()
    assert browser.execute_script(state)["points"] == [[0.2, -0.1], [0.4, 0.15], [0.8, 0.3]]
    t0 = browser.execute_script(state)["t"]
    buttons["Play"].click()
    # Playing moves the time at every frame: wait until it has moved (it did in 0.6 s before).
    wait_in_page(browser, f"return document.querySelector('.gflow-live').gflowLive.state().t"
                 f" > {t0!r};", 5, "Play to move the time")
    buttons["Play"].click()  # now labelled Pause: the same button
    t1 = browser.execute_script(state)["t"]
    assert t1 > t0, (t0, t1)
    # Still playing, the time would change at the next frame: 10 frames without a change.
    held = settled(browser, "return document.querySelector('.gflow-live').gflowLive.state().t;",
                   "the time after Pause")
    assert held == t1, "Pause did not stop the clock"


SET_SLIDER = """
const root = document.querySelector('.gflow-live');
const input = root.querySelectorAll('input[type=range]')[arguments[0]];
input.value = arguments[1];
input.dispatchEvent(new Event('input', {bubbles: true}));
input.dispatchEvent(new Event('change', {bubbles: true}));
return root.gflowLive.last();
"""


def _lr_position(lr):
    import math

    return round(1000 * math.log(lr / 0.001) / math.log(10 / 0.001))


def test_live_learning_rate_crosses_two_over_lambda_max(browser, server):
    """Below 2/lambda_max the iterates settle; above it they diverge, and the page says so."""
    last = _explorer_page(browser, server)
    lam_max = last["eigenvalues"][0]
    browser.execute_script(SET_SLIDER, 0, 1000 - 150)  # t of about 30
    below = browser.execute_script(SET_SLIDER, 1, _lr_position(1.9 / lam_max))
    text_below = browser.execute_script(LIVE_TEXT)["gd"]
    above = browser.execute_script(SET_SLIDER, 1, _lr_position(2.15 / lam_max))
    text_above = browser.execute_script(LIVE_TEXT)["gd"]
    assert below["steps"] > 20 and above["steps"] > 20
    assert below["descentLoss"] < 1.0, (below, text_below)
    assert above["descentLoss"] > 1e3, (above, text_above)
    assert "oscillates, converges" in text_below and "diverges" in text_above
    _shot(browser, "4-lr-above-2-over-lambda-max")


def test_live_explorer_on_a_phone(browser, server):
    """At 390 pixels the panels stack in one column with legible text."""
    _explorer_page(browser, server)
    browser.set_window_size(390, 900)  # the page open: the explorer follows the resize
    facts = browser.execute_script("""
        const root = document.querySelector('.gflow-live');
        const panels = Array.from(root.querySelectorAll('.gl-panel'))
            .map(p => p.getBoundingClientRect());
        const ticks = Array.from(root.querySelectorAll('.gl-ticklabel'))
            .map(t => t.getBoundingClientRect().height).filter(h => h > 0);
        return {lefts: panels.map(r => Math.round(r.left)), tops: panels.map(r => r.top),
                width: root.getBoundingClientRect().width,
                tick: Math.min(...ticks), viewport: window.innerWidth};
    """)
    assert len(set(facts["lefts"])) == 1, f"panels not in one column: {facts}"
    assert facts["tops"] == sorted(facts["tops"]), facts
    assert facts["width"] <= facts["viewport"], f"wider than the screen: {facts}"
    assert facts["tick"] >= 9, f"tick labels {facts['tick']:.1f} px tall: too small"
    _shot(browser, "5-phone-390px")


# ---------------------------------------------------------------- opened from disk
@pytest.mark.parametrize("doc", [d for d in PAGES if d.endswith(("/closed_form", "/explorer"))])
def test_page_opened_from_disk(browser, site, doc):
    """A reader who downloads the built site and opens it from disk (file://, no server, no
    network) gets typeset math, every figure, and, on the explorer, a working explorer."""
    facts = open_page(browser, site.as_uri(), doc)
    assert not RAW_TEX.findall(facts["text"]), f"{doc}: raw TeX left when opened from disk"
    assert not facts["untypeset"], f"{doc}: math not typeset when opened from disk"
    assert not facts["brokenImages"], f"{doc}: images missing: {facts['brokenImages']}"
    assert facts["math"] > 0, f"{doc}: no math found on the page"
    assert not unexpected_console_errors(facts["console"]), facts["console"]
    if doc.endswith("/explorer"):
        before = browser.execute_script(LIVE_LAST)
        assert before is not None, f"{doc}: the live explorer did not mount from disk"
        after = browser.execute_script(SET_SLIDER, 0, 1000)
        assert after["t"] > before["t"] and after["loss"] < before["loss"], (before, after)


# ---------------------------------------------------------------- navigation
# The buttons a reader sees in the article's header (book/site/gflow-nav.js makes them work:
# pydata-sphinx-theme 0.17 binds its handlers to the hidden navbar copies only).
NAV_STATE = """
const dialog = id => document.getElementById(id);
const sidebar = document.getElementById('pst-primary-sidebar');
const r = sidebar.getBoundingClientRect();
return {primaryOpen: dialog('pst-primary-sidebar-modal').open,
        secondaryOpen: dialog('pst-secondary-sidebar-modal').open,
        sidebarVisible: getComputedStyle(sidebar).visibility === 'visible' && r.right > 0,
        contentLeft: document.querySelector('main.bd-main, .bd-main')
            .getBoundingClientRect().left};
"""


def _visible(driver, selector):
    from selenium.webdriver.common.by import By

    shown = [e for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]
    assert shown, f"no visible {selector!r} on {driver.current_url}"
    return shown


def _open_at(driver, base, doc, width, height=844):
    window(driver, width, height)
    driver.get(f"{base}/{doc}.html")
    driver.execute_async_script(WAIT_FOR_PAGE)


def _wait_for(driver, key, value, timeout=3.0):
    """NAV_STATE once its ``key`` is ``value`` (polled in the page), or as it is after
    ``timeout`` seconds."""
    with contextlib.suppress(AssertionError):
        return wait_in_page(driver, f"const s = (() => {{ {NAV_STATE} }})(); "
                            f"return s[{json.dumps(key)}] === {json.dumps(value)} && s;",
                            timeout, f"{key} {value}")
    return driver.execute_script(NAV_STATE)


@pytest.mark.browser
@pytest.mark.book
def test_phone_navigation_opens_the_chapter_list_and_the_contents(browser, server):
    """At 390 x 844 the hamburger opens the chapter list, one of its links goes to that
    chapter, and "Contents" opens the page's table of contents."""
    start, target = PAGES[1], PAGES[2]
    _open_at(browser, server, start, 390)
    assert not browser.execute_script(NAV_STATE)["primaryOpen"]
    _visible(browser, ".primary-toggle")[0].click()
    state = _wait_for(browser, "primaryOpen", True)
    assert state["primaryOpen"], f"the hamburger did not open the chapter list: {state}"
    links = [a for a in _visible(browser, "#pst-primary-sidebar-modal a.reference.internal")
             if a.get_attribute("href").endswith(f"/{target}.html")]
    assert links, f"the chapter list has no visible link to {target}"
    links[0].click()
    deadline = time.time() + 10
    while not browser.current_url.endswith(f"/{target}.html") and time.time() < deadline:
        time.sleep(0.1)
    assert browser.current_url.endswith(f"/{target}.html"), browser.current_url

    browser.execute_async_script(WAIT_FOR_PAGE)
    _visible(browser, ".secondary-toggle")[0].click()
    state = _wait_for(browser, "secondaryOpen", True)
    assert state["secondaryOpen"], f"Contents did not open the page's contents: {state}"
    assert _visible(browser, "#pst-secondary-sidebar-modal a"), "the contents are empty"
    if screenshots_wanted():
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / "nav-phone-390px-contents.png"))


@pytest.mark.browser
@pytest.mark.book
def test_desktop_hamburger_collapses_and_restores_the_sidebar(browser, server):
    """At 1280 px the hamburger hides the chapter list (the text moves left, no dialog opens)
    and a second click brings it back."""
    _open_at(browser, server, PAGES[1], 1280, 1000)
    before = browser.execute_script(NAV_STATE)
    assert before["sidebarVisible"], before
    _visible(browser, ".primary-toggle")[0].click()
    hidden = _wait_for(browser, "sidebarVisible", False)
    assert not hidden["sidebarVisible"], f"the hamburger did not collapse it: {hidden}"
    assert not hidden["primaryOpen"], "a dialog opened on the desktop"
    _visible(browser, ".primary-toggle")[0].click()
    shown = _wait_for(browser, "sidebarVisible", True)
    assert shown["sidebarVisible"], f"a second click did not bring it back: {shown}"


@pytest.mark.browser
@pytest.mark.book
def test_search_page_finds_the_chapters(browser, server):
    """The search page answers a query with links to chapters, and its scripts run without a
    console error (searchtools.js calls doctools.js's _ready: both must load in that order,
    whether or not they are deferred)."""
    window(browser, 1280, 1000)
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(f"{server}/search.html?q=kernel")
    # Results are listed one by one; Sphinx says when it has listed them all.
    wait_in_page(browser, "const s = document.querySelector('#search-results .search-summary');"
                 "return s && s.innerText.includes('finished');", 30, "the search to finish")
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('#search-results li a'))"
        ".map(a => a.getAttribute('href'))")
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"the search page logged errors: {errors}"
    chapters = {h.split("#")[0].split("?")[0] for h in links if h.startswith("book/")}
    assert {"book/function_space.html", "book/ntk.html"} <= chapters, links


# ---------------------------------------------------------------- first paint and load
FIGURE_IMG = re.compile(r'<img\b[^>]*\ssrc="[^"]*_images/[^"]*"[^>]*>')


def test_the_first_figure_is_fetched_first_and_the_others_when_near(site):
    """tools/sphinx_lean.py: on every page the first figure has fetchpriority="high" and
    loads at once, every other one loading="lazy" (a chapter's figures no longer share a
    phone's connection with the first; Lighthouse's largest paint of momentum 4.0 -> 2.0 s)."""
    problems, figures = [], 0
    for doc in PAGES:
        if not built_page(doc).is_file():
            problems.append(f"{doc}: not built")
            continue
        tags = FIGURE_IMG.findall(built_page(doc).read_text(encoding="utf-8"))
        figures += len(tags)
        if tags and ('fetchpriority="high"' not in tags[0] or "loading=" in tags[0]):
            problems.append(f"{doc}: first figure {tags[0][-120:]}")
        problems += [f"{doc}: {t[-120:]}" for t in tags[1:] if 'loading="lazy"' not in t]
    assert figures > len(PAGES), f"only {figures} figures found"
    assert not problems, "\n".join(problems[:10])


#: Facts about a page just loaded, before anything scrolls: the figures loaded, and each code
#: block's tab stop (as built or measured) with whether it scrolls and where it is.
FIRST_LOAD = """
const done = arguments[arguments.length - 1];
(async () => {
  while (document.readyState !== 'complete') { await new Promise(r => setTimeout(r, 50)); }
  await new Promise(r => setTimeout(r, 500));  // the theme measured its blocks on load
  const blocks = Array.from(document.querySelectorAll('article pre'));
  const tabs = blocks.map(b => b.getAttribute('tabindex'));  // before anything is measured
  done({
    figures: Array.from(document.querySelectorAll('img[src*="_images/"]'))
        .map(i => ({complete: i.complete, top: i.getBoundingClientRect().top})),
    blocks: blocks.map((b, i) => ({tab: tabs[i], top: b.getBoundingClientRect().top,
                                   scrolls: b.scrollWidth > b.clientWidth,
                                   chars: Math.max(...b.textContent.split('\\n')
                                                   .map(l => l.length))})),
    height: window.innerHeight,
  });
})();
"""
BLOCK_IN_VIEW = """
const done = arguments[arguments.length - 1];
const block = document.querySelectorAll('article pre')[arguments[0]];
block.scrollIntoView({block: 'center'});
(async () => {
  const start = Date.now();
  while (block.tabIndex !== arguments[1] && Date.now() - start < 3000) {
    await new Promise(r => setTimeout(r, 50));
  }
  done(block.tabIndex);
})();
"""

#: Each figure (indices among the page's figures) scrolled into the window in turn, as a reader
#: scrolls, and its load awaited: whether it loaded, and whether it was still lazy.
FIGURES_NEAR = """
const done = arguments[arguments.length - 1];
const figures = Array.from(document.querySelectorAll('img[src*="_images/"]'));
(async () => {
  const out = [];
  for (const i of arguments[0]) {
    const img = figures[i];
    img.scrollIntoView({block: 'center'});
    const ok = img.complete || await new Promise(resolve => {
      const timer = setTimeout(() => resolve(false), 5000);
      img.addEventListener('load', () => { clearTimeout(timer); resolve(true); }, {once: true});
      img.addEventListener('error', () => { clearTimeout(timer); resolve(false); }, {once: true});
    });
    out.push({src: img.getAttribute('src'), loaded: ok && img.naturalWidth > 0,
              lazy: img.loading === 'lazy'});
  }
  done(out);
})();
"""


@pytest.mark.browser
@pytest.mark.book
def test_below_the_window_nothing_loads_or_is_measured_until_it_comes_near(browser, server):
    """On a long chapter at 1280 px, at load: the figures far below the window are not
    fetched, and no code block far below was measured (the theme's load-time pass over every
    block laid out the whole page; tools/sphinx_lean.py takes it out), so such a block keeps
    its build-time tab stop. Scrolled into view (book/site/gflow-tabstops.js), a block that
    does not scroll on this screen loses its tab stop and one that scrolls keeps it; each far
    figure, scrolled to, loads (test_page_in_browser makes the figures eager to check that all
    load); at 390 px the first block scrolls and gets its tab stop back."""
    doc = next(d for d in PAGES if d.endswith("/closed_form"))
    window(browser, 1280, 1000)
    # A first visit: nothing from the caches. Chromium shows a lazy figure at once when it is
    # in the renderer's memory cache (test_page_in_browser loaded them all just before when
    # the two ran alone).
    browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    try:
        browser.get(f"{server}/{doc}.html")
        facts = browser.execute_async_script(FIRST_LOAD)
    finally:
        browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
    far = 2 * facts["height"] + 2500  # beyond any lazy-load distance of Chromium's
    below = [f for f in facts["figures"] if f["top"] > far]
    assert below and not any(f["complete"] for f in below), facts["figures"]
    blocks = facts["blocks"]
    narrow = [i for i, b in enumerate(blocks)  # too wide for a phone (about 40)
              if b["top"] > far and b["tab"] == "0" and not b["scrolls"] and b["chars"] > 60]
    wide = [i for i, b in enumerate(blocks) if b["top"] > far and b["scrolls"]]
    assert narrow and wide, blocks
    assert browser.execute_async_script(BLOCK_IN_VIEW, narrow[0], -1) == -1, (
        "a block that does not scroll kept its tab stop in view")
    assert browser.execute_async_script(BLOCK_IN_VIEW, wide[0], 0) == 0, (
        "a block that scrolls has no tab stop in view")
    near = browser.execute_async_script(
        FIGURES_NEAR, [i for i, f in enumerate(facts["figures"]) if f["top"] > far])
    assert all(f["loaded"] and f["lazy"] for f in near), (
        f"figures that did not load as they came near the window: {near}")
    browser.execute_async_script(BLOCK_IN_VIEW, narrow[0], -1)
    browser.set_window_size(390, 844)
    assert browser.execute_async_script(BLOCK_IN_VIEW, narrow[0], 0) == 0, (
        "at 390 px the block scrolls but got no tab stop back")


#: Every value the page's ``data-theme`` takes, from the first script of the page on.
RECORD_THEMES = """
window.gflowThemes = [];
new MutationObserver(records => records.forEach(r => window.gflowThemes.push(
    r.target.getAttribute('data-theme')))).observe(document, {
  subtree: true, attributes: true, attributeFilter: ['data-theme']});
"""
THEME_FACTS = """
const rgb = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
return {themes: window.gflowThemes, theme: document.documentElement.dataset.theme,
        mode: document.documentElement.dataset.mode, light: rgb[0] + rgb[1] + rgb[2] > 384};
"""


@pytest.mark.browser
@pytest.mark.book
def test_a_first_visit_gets_its_colours_once_and_dark_mode_works(browser, server):
    """A first visit on a screen that prefers dark: the head script sets data-theme to
    "dark" and nothing sets another value later (the theme's head script set "auto", which
    no rule matches, and its script then "dark", computing every element's style again:
    tools/sphinx_lean.py); the page is dark, and the theme button switches it to light."""
    doc = PAGES[1]
    origin = server.rstrip("/")
    added = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                    {"source": RECORD_THEMES})
    try:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        browser.execute_cdp_cmd("Storage.clearDataForOrigin",
                                {"origin": origin, "storageTypes": "local_storage"})
        _open_at(browser, server, doc, 1280, 1000)
        dark = browser.execute_script(THEME_FACTS)
        assert dark["themes"] and set(dark["themes"]) == {"dark"}, dark
        assert dark["mode"] == "auto" and not dark["light"], dark
        _visible(browser, ".theme-switch-button")[0].click()
        with contextlib.suppress(AssertionError):  # (a colour may be in transition)
            wait_in_page(browser, f"const f = (() => {{ {THEME_FACTS} }})(); "
                         "return f.theme === 'light' && f.light;", 3, "the light colours")
        switched = browser.execute_script(THEME_FACTS)
        assert switched["theme"] == "light" and switched["light"], switched
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                {"identifier": added["identifier"]})
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        browser.execute_cdp_cmd("Storage.clearDataForOrigin",
                                {"origin": origin, "storageTypes": "local_storage"})
