"""The rewrites of tools/sphinx_gflow.py that make the pages lighter and more accessible,
checked on small pieces of HTML and a docutils tree (no build). The built site itself is
checked by tests/test_browser.py."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from docutils import nodes

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tools/ is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))
from tools import sphinx_gflow as ext  # noqa: E402

PAGE = """<html><head>
  <script defer src="../_static/scripts/fontawesome.js?digest=55c26ed414f5f8a31ebb"></script>
  <link rel="preload" as="script" href="../_static/scripts/bootstrap.js?digest=1" />
    <script src="../_static/searchtools.js"></script>
    <script src="../_static/language_data.js"></script>
    <script src="../searchindex.js"></script>
</head><body>
<button class="theme-switch-button" aria-label="Color mode">
  <i class="theme-switch fa-solid fa-sun fa-lg" data-mode="light" title="Light"></i>
</button>
<button class="btn search-button-field" aria-label="Search">
 <span class="search-button__default-text">Search</span>
 <span class="search-button__kbd-shortcut"><kbd>Ctrl</kbd>+<kbd>K</kbd></span>
</button>
<div role="list" class="citation-list">
<div class="citation" id="id8" role="doc-biblioentry"><p>An entry.</p></div>
</div></body></html>
"""


def _app(outdir, fmt="html"):
    return SimpleNamespace(outdir=str(outdir), builder=SimpleNamespace(format=fmt),
                           config=SimpleNamespace(html_title="Gradient Flow"))


def test_built_pages_drop_font_awesome_script_and_fix_aria(tmp_path):
    page = tmp_path / "book" / "a.html"
    page.parent.mkdir()
    page.write_text(PAGE)
    ext.lighter_pages(_app(tmp_path), None)
    out = page.read_text()
    assert "fontawesome.js" not in out
    assert "bootstrap.js" in out  # other scripts stay
    assert "searchindex.js" not in out and "searchtools.js" not in out
    search = tmp_path / "search.html"
    search.write_text(PAGE)
    ext.lighter_pages(_app(tmp_path), None)
    assert "searchindex.js" in search.read_text()  # the search page keeps its index
    assert '<i aria-hidden="true" class="theme-switch fa-solid fa-sun fa-lg"' in out
    assert 'role="doc-biblioentry"' not in out and 'role="listitem"' in out
    assert '<button class="btn search-button-field">' in out  # named by its text


def test_pages_are_left_alone_after_a_failed_build(tmp_path):
    page = tmp_path / "a.html"
    page.write_text(PAGE)
    ext.lighter_pages(_app(tmp_path), RuntimeError("build failed"))
    assert page.read_text() == PAGE


def _doctree(*paragraphs):
    doc = nodes.document(None, None)
    section = nodes.section()
    section += nodes.title(text="A title")
    note = nodes.note()
    note += nodes.paragraph(text="A note that is long enough to be taken for the first one.")
    section += note
    for text in paragraphs:
        section += nodes.paragraph(text=text)
    doc += section
    return doc


def test_meta_description_from_the_first_paragraph():
    long = "Three points and a straight line, " * 10
    context = {"metatags": ""}
    ext.meta_description(_app("."), "book/data", "page.html", context, _doctree("Short.", long))
    tag = context["metatags"].strip()
    assert tag.startswith('<meta name="description" content="Three points and a straight')
    content = tag.split('content="')[1].split('"')[0]
    assert len(content) <= ext.DESCRIPTION_LENGTH + 3 and content.endswith("...")
    assert "note" not in content  # admonitions are not the page's summary


def test_meta_description_kept_when_the_page_sets_one():
    context = {"metatags": '<meta content="Mine." name="description" />'}
    ext.meta_description(_app("."), "book/x", "page.html", context, _doctree("A" * 80))
    assert context["metatags"].count("description") == 1


def test_meta_description_of_a_generated_page():
    context = {"metatags": "", "title": "Search", "docstitle": "Gradient Flow"}
    ext.meta_description(_app("."), "search", "search.html", context, None)
    assert 'content="Search: a page of Gradient Flow."' in context["metatags"]


# ---------------------------------------------------------------- the API page, reporting
def test_namedtuple_alias_docstrings_are_dropped():
    alias = ["Alias for field number 3"]
    ext.drop_namedtuple_alias_docs(None, "property", "m.Posterior.cov", None, {}, alias)
    assert alias == []
    commented = ["The posterior mean (D,)."]  # a field documented by a ``#:`` comment
    ext.drop_namedtuple_alias_docs(None, "attribute", "m.Posterior.mean", None, {}, commented)
    assert commented == ["The posterior mean (D,)."]
    other = ["Alias for field number 3"]  # a function's docstring is never touched
    ext.drop_namedtuple_alias_docs(None, "function", "m.f", None, {}, other)
    assert other == ["Alias for field number 3"]


# The built API pages without alias docstrings: tests/test_api_pages.py.


def test_every_page_has_an_issue_button_naming_it(built_book):
    """The theme's "Open issue" entry starts a GitHub issue whose title names the page."""
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    pages = sorted((built_book / "book").glob("*.html"))
    assert pages, f"no pages under {built_book / 'book'}"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        hrefs = re.findall(r'<a href="([^"]+)"[^>]*\n?\s*class="[^"]*btn-source-issues-button',
                           text)
        assert len(hrefs) == 1, f"{page.name}: {len(hrefs)} issue buttons"
        url = urlsplit(hrefs[0].replace("&amp;", "&"))
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{repo}/issues/new", hrefs[0]
        title = parse_qs(url.query)["title"][0]
        assert f"book/{page.name}" in title, f"{page.name}: the issue title {title!r}"


def test_the_footer_links_the_pdf_relative_to_each_page(tmp_path):
    """``{pdf}`` in the footer becomes a link to gradient-flow.pdf at the site's top, from
    pages at the top and in book/ (make pdf puts the PDF there)."""
    footer = '<footer><a href="{pdf}">The whole book as a PDF</a></footer>'
    (tmp_path / "book").mkdir()
    (tmp_path / "index.html").write_text(footer)
    (tmp_path / "book" / "a.html").write_text(footer)
    ext.lighter_pages(_app(tmp_path), None)
    assert f'href="{ext.PDF_NAME}"' in (tmp_path / "index.html").read_text()
    assert f'href="../{ext.PDF_NAME}"' in (tmp_path / "book" / "a.html").read_text()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert 'href="{pdf}"' in config["html"]["extra_footer"]


@pytest.mark.slow  # subsets three fonts (about 2 s)
def test_icon_fonts_are_cut_to_the_icons_the_pages_use(tmp_path):
    """The theme's Font Awesome fonts become WOFFs of the icons named in the pages, and its
    stylesheet points at them: an icon the pages use keeps its glyph, one they do not loses
    it, and the font is a small fraction of the original."""
    import shutil

    import pydata_sphinx_theme
    from fontTools.ttLib import TTFont

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    static = tmp_path / "_static"
    shutil.copytree(theme / "styles", static / "styles")
    shutil.copytree(theme / "vendor" / "fontawesome" / "webfonts",
                    static / "vendor" / "fontawesome" / "webfonts")
    (tmp_path / "page.html").write_text('<i class="fa-solid fa-bars"></i>'
                                        '<i class="fa-brands fa-github"></i>')
    ext.subset_icon_fonts(_app(tmp_path), None)
    css = (static / "styles" / "pydata-sphinx-theme.css").read_text()
    assert "fa-solid-900.icons.woff" in css and "fa-solid-900.woff2" not in css
    webfonts = static / "vendor" / "fontawesome" / "webfonts"
    solid = webfonts / "fa-solid-900.icons.woff"
    cmap = TTFont(solid).getBestCmap()
    assert 0xF0C9 in cmap and 0xF002 not in cmap  # fa-bars kept, fa-magnifying-glass not
    assert 0xF09B in TTFont(webfonts / "fa-brands-400.icons.woff").getBestCmap()  # fa-github
    assert solid.stat().st_size < (webfonts / "fa-solid-900.woff2").stat().st_size / 20
    # the same bytes from every build: the font keeps its own date (fontTools would stamp the
    # time of the build in it)
    assert TTFont(solid)["head"].modified == TTFont(webfonts / "fa-solid-900.ttf")["head"].modified


def test_scripts_that_wire_buttons_are_deferred(tmp_path):
    """The head's scripts that only wire up buttons load with defer (in order, attributes
    kept); documentation_options.js stays, since an inline script uses it at once."""
    head = ('<script src="../_static/documentation_options.js?v=1"></script>\n'
            '<script src="../_static/doctools.js?v=2"></script>\n'
            '<script data-sd-tabs-storage-prefix="x-" src="../_static/design-tabs.js?v=3">'
            '</script>\n<script async="async" src="../_static/sphinx-thebe.js?v=4"></script>\n'
            "<script>DOCUMENTATION_OPTIONS.pagename = 'a';</script>")
    page = tmp_path / "a.html"
    page.write_text(head)
    ext.lighter_pages(_app(tmp_path), None)
    out = page.read_text()
    assert '<script src="../_static/documentation_options.js?v=1"></script>' in out
    assert '<script defer="defer" src="../_static/doctools.js?v=2"></script>' in out
    assert ('<script data-sd-tabs-storage-prefix="x-" defer="defer" '
            'src="../_static/design-tabs.js?v=3"></script>') in out
    assert '<script async="async" src="../_static/sphinx-thebe.js?v=4"></script>' in out
    # a file the next build leaves alone (a page Sphinx did not write again, the theme's
    # template in _static/) is rewritten to the same bytes, not deferred twice
    ext.lighter_pages(_app(tmp_path), None)
    assert page.read_text() == out
