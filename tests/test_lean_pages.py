"""The build step of tools/sphinx_lean.py on small stylesheets and a small built site: one
bundle of the pages' stylesheets in their order, KaTeX's left alone, rules that name a class
or id no page and no loaded script has dropped (and only those), ``url()`` and ``@import``
made to hold from ``_static/``, sphinx-thebe and the tab script dropped where nothing uses
them. Computed styles of the real pages were compared before and after by hand (every element
of notation, closed_form and search, light and dark, 390 and 1280 px: no difference); the
built site is checked by tests/test_browser.py."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tools/ is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))
from tools import sphinx_lean as lean  # noqa: E402


def rules(css: str) -> list[str]:
    return [r for r in css.split("\n") if r]


def test_rules_naming_a_class_or_id_nobody_has_are_dropped():
    css = (".used{color:red}/* a comment */.unused{color:blue}"
           ".used .unused, #here > .used:hover{margin:0}"
           "p:not(.unused){padding:0} a[href$='.pdf']{x:y} .bs-tooltip-top{z:1}"
           "#elsewhere{a:b} html[data-theme=dark] .used{color:white}")
    out = lean.lean_css(css, {"used", "here"})
    assert rules(out) == [".used{color:red}", "#here > .used:hover{margin:0}",
                          "p:not(.unused){padding:0}", 'a[href$=".pdf"]{x:y}',
                          ".bs-tooltip-top{z:1}", "html[data-theme=dark] .used{color:white}"]
    # without a vocabulary nothing is dropped (only the comment)
    assert len(rules(lean.lean_css(css, None))) == 8


def test_at_rules_are_purged_inside_and_kept_whole_when_not_rules():
    css = ("@media (max-width: 500px){.unused{a:b}}"
           "@media print{.used{a:b}.unused{c:d}}"
           "@supports (display:grid){.used{display:grid}}"
           "@keyframes spin{from{transform:rotate(0)}to{transform:rotate(1turn)}}"
           "@font-face{font-family:X;src:url(fonts/x.woff2) format('woff2')}")
    out = rules(lean.lean_css(css, {"used"}, folder="katex"))
    assert out[0] == "@media print{.used{a:b}}"
    assert out[1] == "@supports (display:grid){.used{display:grid}}"
    assert out[2].startswith("@keyframes spin{from{")
    assert out[3] == '@font-face {font-family:X;src:url("katex/fonts/x.woff2") format("woff2")}'
    assert len(out) == 4


def test_urls_hold_from_static_and_imports_are_inlined():
    files = {"basic.css": ".a{background:url('file.png')}",
             "styles/theme.css": '@import "../basic.css";\n.b{background:url(../images/b.svg)}'
                                 ".c{background:url(data:image/png;base64,AAAA)}"
                                 ".d{background:url(#grad)}"}
    out = lean.lean_css(files["styles/theme.css"], None, "styles", files.__getitem__)
    assert rules(out) == ['.a{background:url("file.png")}',
                          '.b{background:url("images/b.svg")}',
                          ".c{background:url(data:image/png;base64,AAAA)}",
                          ".d{background:url(#grad)}"]
    with pytest.raises(ValueError, match="@import"):
        lean.lean_css('@import "x.css";', None)


def test_static_path_of_a_link():
    assert lean.static_path("../_static/pygments.css?v=1") == "pygments.css"
    assert lean.static_path("_static/styles/theme.css?digest=2") == "styles/theme.css"
    assert lean.static_path("https://cdn.example/_static/x.css") is None
    assert lean.static_path("../other/_static/x.css") is None
    assert lean.static_path("../x.css") is None


HEAD = """<html><head>
  <link href="{p}_static/styles/theme.css?digest=1" rel="stylesheet" />
    <link rel="stylesheet" type="text/css" href="{p}_static/pygments.css?v=2" />
    <link rel="stylesheet" type="text/css" href="{p}_static/katex/katex.min.css" />
    <link rel="stylesheet" type="text/css" href="{p}_static/sphinx-thebe.css?v=3" />
    <link rel="stylesheet" type="text/css" href="{p}_static/gflow.css?v=4" />
    <script defer="defer" defer="defer" src="{p}_static/doctools.js?v=5"></script>
    <script data-sd-tabs-storage-prefix="x-" defer="defer" src="{p}_static/design-tabs.js"></script>
    <script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"; </script>
    <script async="async" src="{p}_static/sphinx-thebe.js?v=6"></script>
</head><body>
{body}
    <script type="text/x-thebe-config">
    {{ requestKernel: true }}
    </script>
    <script>kernelName = 'python3'</script>
<script defer src="{p}_static/scripts/theme.js"></script>
</body></html>
"""


def small_site(tmp_path: Path, chapter_body: str, index_body: str = "<p>Top</p>") -> Path:
    static = tmp_path / "_static"
    (static / "styles").mkdir(parents=True)
    (static / "katex").mkdir()
    (static / "basic.css").write_text(".section{margin:0}.never{color:red}")
    (static / "styles" / "theme.css").write_text(
        '@import "../basic.css";\n.theme{color:blue}.menu.show{display:block}'
        "@font-face{font-family:F;src:url(../vendor/f.woff)}")
    (static / "pygments.css").write_text(".highlight .k{color:green}.highlight .zz{x:y}")
    (static / "katex" / "katex.min.css").write_text(".katex{font:1em KaTeX_Main}")
    (static / "sphinx-thebe.css").write_text(".thebe-launch-button{color:red}")
    (static / "gflow.css").write_text(".katex{overflow-x:auto}#main{padding:0}")
    (static / "doctools.js").write_text("")
    (static / "design-tabs.js").write_text("")
    (static / "sphinx-thebe.js").write_text('x.classList.add("never-in-pages")')
    (static / "scripts").mkdir()
    (static / "scripts" / "theme.js").write_text('menu.classList.toggle("show")')
    (static / "unloaded.js").write_text('"never"')  # a script no page loads
    (tmp_path / "book").mkdir()
    (tmp_path / "index.html").write_text(HEAD.format(p="", body=index_body))
    (tmp_path / "book" / "chapter.html").write_text(HEAD.format(p="../", body=chapter_body))
    return tmp_path


def stylesheets(page: Path) -> list[str]:
    return re.findall(r'<link\b[^>]*rel="stylesheet"[^>]*href="([^"]*)"', page.read_text())


def test_a_site_gets_one_bundle_in_the_order_of_its_stylesheets(tmp_path):
    site = small_site(tmp_path, '<div class="section theme highlight" id="main">'
                                '<span class="k katex menu">x</span></div>')
    sizes = lean.lean_site(site)
    assert len(sizes) == 1
    name = next(iter(sizes))
    assert stylesheets(site / "book" / "chapter.html") == [
        "../_static/katex/katex.min.css", f"../_static/{name}"]
    assert stylesheets(site / "index.html") == [
        "_static/katex/katex.min.css", f"_static/{name}"]
    bundle = (site / "_static" / name).read_text()
    found = [r for r in bundle.split("\n") if r and not r.startswith("/*")]
    assert found == [
        ".section{margin:0}", ".theme{color:blue}",
        ".menu.show{display:block}",  # "show": a class only the theme's script adds
        '@font-face {font-family:F;src:url("vendor/f.woff")}',
        ".highlight .k{color:green}",
        ".katex{overflow-x:auto}", "#main{padding:0}"]
    # .never: only in a script no page loads; thebe's stylesheet: not loaded at all
    assert "never" not in bundle and "thebe" not in bundle


def test_an_incremental_build_keeps_one_bundle_and_leaves_no_stale_one(tmp_path):
    """Builds into the same folder: a page Sphinx did not write again is re-bundled from the
    stylesheets its bundle's link names, so every page links the one bundle of this run (of
    today's stylesheets, not a bundle of the last bundle); bundles no page links go."""
    body = '<div class="section theme" id="main"><span class="k katex">x</span></div>'
    site = small_site(tmp_path, body)
    chapter, index = site / "book" / "chapter.html", site / "index.html"

    def bundles():
        return sorted(p.name for p in (site / "_static").glob("gflow-*.css"))

    def linked():
        return {Path(h).name for page in (index, chapter) for h in stylesheets(page)
                if "gflow-" in h}

    lean.lean_site(site)
    chapter.write_text(HEAD.format(p="../", body=body + '<b class="menu">new</b>'))
    lean.lean_site(site)  # index.html is as the first run left it
    assert len(bundles()) == 1 and set(bundles()) == linked()
    assert "gflow-" not in (site / "_static" / bundles()[0]).read_text()  # not nested
    assert stylesheets(index)[0] == "_static/katex/katex.min.css"
    lean.lean_site(site)  # nothing changed: nothing new
    assert len(bundles()) == 1 and set(bundles()) == linked()
    # a stylesheet changes and Sphinx writes no page again (only the static files)
    (site / "_static" / "gflow.css").write_text(".katex{overflow-x:auto}#main{padding:1px}")
    lean.lean_site(site)
    assert len(bundles()) == 1 and set(bundles()) == linked()
    bundle = (site / "_static" / bundles()[0]).read_text()
    assert "#main{padding:1px}" in bundle and "#main{padding:0}" not in bundle


def test_thebe_and_tabs_are_dropped_where_nothing_uses_them(tmp_path):
    site = small_site(tmp_path, '<div class="sd-tab-set">tabs</div>')
    # a rule for a class that only the dropped thebe script names
    pygments = site / "_static" / "pygments.css"
    pygments.write_text(pygments.read_text() + ".never-in-pages{z-index:7}")
    lean.lean_site(site)
    chapter = (site / "book" / "chapter.html").read_text()
    index = (site / "index.html").read_text()
    for page in (chapter, index):
        assert "thebe" not in page.lower() and "unpkg" not in page and "kernelName" not in page
        assert '<script defer="defer" src=' in page and 'defer="defer" defer' not in page
    assert "design-tabs.js" in chapter and "design-tabs.js" not in index
    # the bundle holds what the lean pages use, so a second run (an incremental build, whose
    # unwritten pages are already lean) makes the same one
    first = stylesheets(site / "book" / "chapter.html")
    bundle = (site / "book" / next(p for p in first if "gflow-" in p)).read_text()
    assert "never-in-pages" not in bundle
    lean.lean_site(site)
    assert stylesheets(site / "book" / "chapter.html") == first


def test_thebe_stays_when_a_page_can_start_it(tmp_path):
    site = small_site(tmp_path, '<button class="thebe-launch-button">Live code</button>')
    lean.lean_site(site)
    chapter = (site / "book" / "chapter.html").read_text()
    assert "sphinx-thebe.js" in chapter and "x-thebe-config" in chapter
    bundle = stylesheets(site / "book" / "chapter.html")[-1].split("/")[-1]
    assert ".thebe-launch-button{color:red}" in (site / "_static" / bundle).read_text()
    # the other page gets its own bundle, without thebe's stylesheet
    assert stylesheets(site / "index.html")[-1].split("/")[-1] != bundle
    assert "thebe" not in (site / "index.html").read_text().lower()


def test_a_css_error_names_the_stylesheet(tmp_path):
    site = small_site(tmp_path, "<p>x</p>")
    (site / "_static" / "pygments.css").write_text(".a{color:red}}")
    with pytest.raises(ValueError, match=r"_static/\."):
        lean.lean_site(site)


def test_figures_get_their_size_and_nothing_else_does(tmp_path):
    from PIL import Image

    site = small_site(tmp_path, '<picture><source media="(max-width: 540px)" '
                                'srcset="../_images/a-phone.png" type="image/png">'
                                '<img alt="A" src="../_images/a.png" /></picture>'
                                '<img alt="logo" src="../_static/logo.png">'
                                '<img alt="B" src="../_images/a.png" width="50%">'
                                '<img alt="C" data-src="../_images/a.png" src="x.svg">')
    (site / "_images").mkdir()
    Image.new("RGB", (600, 400)).save(site / "_images" / "a.png")
    Image.new("RGB", (300, 900)).save(site / "_images" / "a-phone.png")
    Image.new("RGB", (10, 10)).save(site / "_static" / "logo.png")
    lean.lean_site(site)
    page = (site / "book" / "chapter.html").read_text()
    assert ('srcset="../_images/a-phone.png" type="image/png" width="300" height="900">'
            in page)
    # (the first figure fetched first, the others lazily: test_the_first_figure_is_fetched...)
    assert ('<img alt="A" src="../_images/a.png" width="600" height="400" fetchpriority="high" />'
            in page)
    assert '<img alt="logo" src="../_static/logo.png">' in page  # not a figure
    assert ('<img alt="B" src="../_images/a.png" width="50%" loading="lazy" decoding="async">'
            in page)  # sized already
    assert '<img alt="C" data-src="../_images/a.png" src="x.svg">' in page


def test_pages_with_math_preload_the_fonts_they_use(tmp_path):
    site = small_site(tmp_path, '<span class="katex"><span class="mord mathnormal">x</span>'
                                "</span>", index_body='<span class="katex">1</span>')
    lean.lean_site(site)

    def preloaded(page):
        text = (site / page).read_text()
        found = re.findall(r'<script data-preload="([^"]*)">([^<]*)</script>', text)
        assert len(found) <= 1
        if not found:
            return []
        data, code = found[0]
        # before KaTeX's stylesheet, which asks for the fonts too; not from a file:// page
        assert text.index(data) < text.index("katex/katex.min.css")
        assert 'location.protocol !== "file:"' in code and "katex" not in code.lower()
        return json.loads(html.unescape(data))

    assert preloaded("book/chapter.html") == ["../_static/katex/fonts/KaTeX_Main-Regular.woff2",
                                              "../_static/katex/fonts/KaTeX_Math-Italic.woff2"]
    # math without letters: no Math-Italic
    assert preloaded("index.html") == ["_static/katex/fonts/KaTeX_Main-Regular.woff2"]
    lean.lean_site(site)  # a second run adds nothing
    assert len(preloaded("book/chapter.html")) == 2
    # Sphinx versions the link (?v=) when the stylesheet is in the output folder as it writes
    # the page (tools/sphinx_math.py copies it there first): the fonts are preloaded all the same
    versioned = HEAD.format(p="../", body='<span class="katex">1</span>').replace(
        "katex/katex.min.css", "katex/katex.min.css?v=1026d69a")
    page = lean.lean_page(versioned, lambda paths, prefix: "x.css", thebe=False)
    assert "katex/fonts/KaTeX_Main-Regular.woff2" in page
    assert page.index("data-preload") < page.index("katex.min.css?v=1026d69a")
    page = lean.lean_page("<html><head></head><body><p>No math.</p></body></html>",
                          lambda paths, prefix: "x.css", thebe=False)
    assert "preload" not in page


def test_pages_but_large_api_pages_are_drawn_as_they_are_read(monkeypatch):
    monkeypatch.setattr(lean, "LAZY_API_BYTES", 5000)  # 600 KB pages take seconds here

    def page(body):
        html = f'<html><head></head><body><article class="bd-article">{body}</article></body>'
        return lean.lean_page(html, lambda paths, prefix: "x.css", thebe=False)

    assert '<article class="bd-article gflow-lazy">' in page("<p>A chapter.</p>")
    entry = '<dl class="py function"><dt>f</dt><dd><p>Does f.</p></dd></dl>'
    assert '<article class="bd-article gflow-lazy">' in page(entry)  # a page of modules
    many = entry * (lean.LAZY_API_BYTES // len(entry) + 1)  # the one API page of 2.1 MB
    api = page(many)
    assert "gflow-lazy" not in api and '<article class="bd-article">' in api
    assert '<article class="bd-article gflow-lazy">' in page("<p>x</p>" * len(many))
    assert page("<p>x</p>").count("gflow-lazy") == 1
    assert lean.lean_page(page("<p>x</p>"), lambda p, q: "x.css", False).count("gflow-lazy") == 1


def test_the_rule_for_the_class_written_on_pages_is_kept(tmp_path):
    site = small_site(tmp_path, '<article class="bd-article"><p>Text.</p></article>')
    (site / "_static" / "gflow.css").write_text(".bd-article.gflow-lazy p{content-visibility:auto}"
                                               ".bd-article.unused p{color:red}")
    sizes = lean.lean_site(site)
    bundle = (site / "_static" / next(iter(sizes))).read_text()
    assert ".bd-article.gflow-lazy p{content-visibility:auto}" in bundle
    assert ".unused" not in bundle
    assert 'class="bd-article gflow-lazy"' in (site / "book" / "chapter.html").read_text()


def test_the_first_figure_is_fetched_first_and_the_others_as_they_come_near():
    page = ('<img alt="logo" src="../_static/logo.png">'
            '<picture><source srcset="../_images/a-phone.png"><img alt="A" '
            'src="../_images/a.png" width="6" height="4" /></picture>'
            '<img alt="B" src="../_images/b.png">'
            '<img alt="C" src="../_images/c.png" loading="eager">'
            '<img alt="D" data-src="../_images/d.png" src="x.svg">')
    out = lean.lazy_figures(page)
    assert '<img alt="logo" src="../_static/logo.png">' in out  # not a figure
    assert ('<img alt="A" src="../_images/a.png" width="6" height="4" fetchpriority="high" />'
            in out)
    assert '<img alt="B" src="../_images/b.png" loading="lazy" decoding="async">' in out
    assert '<img alt="C" src="../_images/c.png" loading="eager">' in out  # says so already
    assert '<img alt="D" data-src="../_images/d.png" src="x.svg">' in out
    assert "<source srcset=\"../_images/a-phone.png\">" in out  # the picture's img decides
    assert lean.lazy_figures(out) == out
    assert out.count("fetchpriority") == 1 and out.count('loading="lazy"') == 1


def test_blocks_that_can_scroll_on_a_narrow_screen_get_a_tab_stop():
    wide = "x" * (lean.PRE_SCROLL_CHARS + 1)
    narrow = "y" * lean.PRE_SCROLL_CHARS
    page = (f'<div class="highlight"><pre><span class="n">{wide}</span>\nshort</pre></div>'
            f"<pre>{narrow}\n{narrow}</pre>"
            f"<pre>&lt;{'&amp;' * (lean.PRE_SCROLL_CHARS - 1)}</pre>"  # 24 characters shown
            f'<pre tabindex="-1">{wide}</pre>'
            '<div class="pst-scrollable-table-container"><table><tr><td>1</td></tr></table></div>'
            '<div class="cell_output docutils container"><div class="output text_html">'
            '<div><table><tr><td>1</td></tr></table></div></div></div>'
            '<div class="output text_html"><div><svg></svg></div></div><table></table>')
    out = lean.scroll_tab_stops(page)
    assert f'<pre tabindex="0"><span class="n">{wide}</span>\nshort</pre>' in out
    assert f"<pre>{narrow}\n{narrow}</pre>" in out
    assert "<pre>&lt;&amp;" in out
    assert f'<pre tabindex="-1">{wide}</pre>' in out  # set by someone else: left
    assert '<div class="pst-scrollable-table-container" tabindex="0">' in out
    assert '<div class="output text_html" tabindex="0"><div><table>' in out
    assert '<div class="output text_html"><div><svg>' in out  # no table inside it
    assert lean.scroll_tab_stops(out) == out


def test_the_head_script_sets_the_theme_the_themes_script_will_set():
    script = ('<html data-theme="auto"><head><script data-cfasync="false">\n'
              '    document.documentElement.dataset.mode = localStorage.getItem("mode") '
              '|| "auto";\n    document.documentElement.dataset.theme = '
              'localStorage.getItem("theme") || "auto";\n  </script></head></html>')
    out = lean.resolved_theme(script)
    assert not lean.THEME_MODE_SCRIPT.search(out) and lean.THEME_MODE_RESOLVED in out
    assert 'localStorage.getItem("mode") || "auto";' in out  # the mode as the theme sets it
    assert lean.resolved_theme(out) == out
    plain = "<html><body>No theme.</body></html>"
    assert lean.resolved_theme(plain) == plain
    changed = script.replace('|| "auto";\n  </script>', "|| mode;\n  </script>")
    with pytest.raises(ValueError, match="head script"):
        lean.resolved_theme(changed)


#: The theme's script as minified, cut to the parts that matter here (pydata-sphinx-theme 0.17).
THEME_JS = ('(()=>{function I(){const e=()=>{document.querySelectorAll(["pre",".nboutput > '
            '.output_area",".cell_output > .output",".jp-RenderedHTMLCommon",'
            '".pst-scrollable-table-container"].join(", ")).forEach(e=>{e.tabIndex=e.scrollWidth'
            '>e.clientWidth||e.scrollHeight>e.clientHeight?0:-1})},t=_(e,300);e()}'
            'e(()=>{}),"complete"===document.readyState?I():window.addEventListener("load",I)})();')


def tabstops_selectors() -> list[str]:
    return lean.tabstop_selectors((ROOT / "book" / "site" / lean.TABSTOPS_JS).read_text())


def test_the_themes_load_time_tab_pass_is_taken_out_and_only_it():
    selectors = tabstops_selectors()
    out = lean.theme_without_tab_pass(THEME_JS, selectors)
    assert 'addEventListener("load"' not in out and "readyState?I()" not in out
    assert out.replace(lean.TAB_PASS_DONE + "void 0", "") == THEME_JS.replace(
        '"complete"===document.readyState?I():window.addEventListener("load",I)', "")
    assert lean.theme_without_tab_pass(out, selectors) == out
    with pytest.raises(ValueError, match="0 load-time calls"):
        lean.theme_without_tab_pass(THEME_JS.replace('"load",I', '"load",J'), selectors)
    with pytest.raises(ValueError, match="not the tab-stop pass"):
        lean.theme_without_tab_pass(THEME_JS.replace("function I()", "function X()"), selectors)
    with pytest.raises(ValueError, match="make them agree"):
        lean.theme_without_tab_pass(THEME_JS.replace('"pre",', '"pre","table",'), selectors)


def test_the_installed_theme_is_as_expected():
    """The theme's served script and head script as this step rewrites them (a theme upgrade
    that changes them fails here, as it would fail the build)."""
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    js = (theme / "static" / lean.THEME_JS).read_text()
    out = lean.theme_without_tab_pass(js, tabstops_selectors())
    assert len(out) < len(js) and lean.TAB_PASS_DONE in out
    layout = (theme / "layout.html").read_text().replace("{{ default_mode }}", "auto")
    assert lean.THEME_MODE_SCRIPT.search(layout)


def test_a_site_with_the_theme_script_loads_the_tab_stop_script(tmp_path):
    site = small_site(tmp_path, '<pre>short</pre>')
    scripts = site / "_static" / "scripts"
    (scripts / "pydata-sphinx-theme.js").write_text(THEME_JS)
    for page in (site / "index.html", site / "book" / "chapter.html"):
        prefix = "../" if page.parent.name == "book" else ""
        page.write_text(page.read_text().replace(
            "</body>", f'<script defer src="{prefix}_static/scripts/pydata-sphinx-theme.js'
                       '?digest=1"></script></body>'))
    # a rule for a class that only the tab stop script names (in its SELECTORS)
    pygments = site / "_static" / "pygments.css"
    pygments.write_text(pygments.read_text() + ".pst-scrollable-table-container{z-index:7}")
    with pytest.raises(ValueError, match="gflow-tabstops.js is missing"):
        lean.lean_site(site)
    # copied from html_static_path's folder (a build that writes no page copies nothing)
    lean.lean_site(site, static_sources=(tmp_path / "nothing", ROOT / "book" / "site"))
    ours = (ROOT / "book" / "site" / lean.TABSTOPS_JS).read_text()
    assert (site / "_static" / lean.TABSTOPS_JS).read_text() == ours
    first = stylesheets(site / "book" / "chapter.html")
    lean.lean_site(site)  # twice: once each
    # the script's words count from the first run, which writes it into the pages: a fresh
    # build and a later one make the same bundle
    assert stylesheets(site / "book" / "chapter.html") == first
    bundle = next(p for p in first if "gflow-" in p)
    assert "z-index:7" in (site / "book" / bundle).read_text()
    assert lean.TAB_PASS_DONE in (scripts / "pydata-sphinx-theme.js").read_text()
    chapter = (site / "book" / "chapter.html").read_text()
    tags = re.findall(r'<script defer="defer" src="([^"]*gflow-tabstops[^"]*)"></script>', chapter)
    assert len(tags) == 1 and tags[0].startswith("../_static/gflow-tabstops.js?v=")
    assert chapter.index("pydata-sphinx-theme.js") < chapter.index("gflow-tabstops.js")
    assert "gflow-tabstops" in (site / "index.html").read_text()


def test_an_edit_of_the_books_own_stylesheet_alone_reaches_the_bundle(tmp_path):
    """Sphinx copies static files only in a build that writes a page: lean_site copies the
    book's own files (gflow*) from html_static_path's folders when _static's copy is older,
    and leaves other files of those folders alone."""
    site = small_site(tmp_path / "site", '<div class="section" id="main">x</div>')
    source = tmp_path / "book_site"
    source.mkdir()
    (source / "gflow.css").write_text("#main{padding:2px}")
    (source / "vendor.css").write_text("#main{color:red}")
    lean.lean_site(site, static_sources=(source,))
    bundle = (site / "_static" / Path(stylesheets(site / "index.html")[-1]).name).read_text()
    assert "#main{padding:2px}" in bundle and "#main{padding:0}" not in bundle
    assert not (site / "_static" / "vendor.css").exists()
