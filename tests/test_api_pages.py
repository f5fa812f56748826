"""The API reference as pages of modules (tools/sphinx_gflow.py: ``{gflow-api}`` and
``{gflow-api-index}``): ``book/api.md`` lists the modules, ``book/api_*.md`` (its sections in
``_toc.yml``) document them, every public module on exactly one page.

The sources are checked without a build (quick tier); the tests that take ``built_book`` read
the pages of ``make book`` (tier ``book``), and one clicks the index's links in headless Chromium
with tests/test_browser.py's fixtures (tier ``browser``). The built reference documenting every
public name once, with its numpydoc sections rendered, is checked by tests/test_browser.py."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
import test_browser

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tools/ is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))
from tools import sphinx_gflow as ext  # noqa: E402
from tools.myst import blocks  # noqa: E402

PACKAGE = "gflow_lib"
#: An API page's HTML at most (the one page of every module was 2,100 KB, and Lighthouse's
#: mobile performance 0.3-0.65; the largest page of modules is about 270 KB).
PAGE_BUDGET_KB = 400


def api_page_modules(root: Path = ROOT, toc: Path | None = None) -> dict[str, list[str]]:
    """{document: modules its ``{gflow-api}`` directives list} for each API document of the
    table of contents (the index's list is empty)."""
    out = {}
    for doc in ext.api_documents(toc or root / "_toc.yml"):
        text = (root / f"{doc}.md").read_text(encoding="utf-8")
        names = []
        for _, _, name, arg, tok in blocks(text):
            if name == "gflow-api":
                names += arg.split() + [line.strip() for line in tok.content.splitlines()
                                        if line.strip()]
        out[doc] = names
    return out


def coverage_problems(pages: dict[str, list[str]], modules: list[str]) -> list[str]:
    """What is wrong with the split: a module on no page or on two, a name that is not a
    public module, a page of modules that documents none."""
    listed = Counter(name for names in pages.values() for name in names)
    problems = [f"{m} is on no API page" for m in modules if m not in listed]
    problems += [f"{m} is on {n} API pages" for m, n in listed.items() if n > 1]
    problems += [f"{m} is not a public module of {PACKAGE}" for m in listed if m not in modules]
    problems += [f"{doc} documents no module" for doc, names in pages.items()
                 if doc != ext.API_INDEX and not names]
    return problems


def module_files(package: str = PACKAGE) -> list[str]:
    """The public modules of ``package`` read from its files, without importing it (importing
    gflow_lib.plotting takes matplotlib 2-5 s); the build walks the imported package
    (:func:`tools.sphinx_gflow.public_modules`), and the two agree (a test below)."""
    top = ROOT / package
    names = []
    for path in sorted(top.rglob("*.py")):
        parts = [package, *path.relative_to(top).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        if not any(part.startswith("_") for part in parts[1:]):
            names.append(".".join(parts))
    return sorted(names, key=lambda n: n.split("."))


# ---------------------------------------------------------------- the sources (quick)
def test_every_public_module_is_on_exactly_one_api_page():
    pages = api_page_modules()
    assert pages[ext.API_INDEX] == [], "book/api.md lists modules itself: use book/api_*.md"
    assert len(pages) > 2, f"the API reference is not split into pages: {list(pages)}"
    assert coverage_problems(pages, module_files()) == []
    index = (ROOT / "book" / "api.md").read_text(encoding="utf-8")
    assert any(name == "gflow-api-index" and arg == PACKAGE
               for _, _, name, arg, _ in blocks(index))


def test_coverage_problems_can_fail():
    modules = ["p", "p.a", "p.b"]
    assert coverage_problems({"book/api": [], "book/api_x": ["p", "p.a", "p.b"]}, modules) == []
    problems = coverage_problems(
        {"book/api": [], "book/api_x": ["p", "p.a"], "book/api_y": ["p.a", "p.c"],
         "book/api_z": []}, modules)
    assert problems == ["p.b is on no API page", "p.a is on 2 API pages",
                        "p.c is not a public module of gflow_lib", "book/api_z documents no module"]


def test_every_api_page_is_in_the_table_of_contents():
    """A book/api_*.md outside _toc.yml would be built as an orphan (a warning, so -W fails)
    or, worse, documented twice: every one is a section of book/api."""
    docs = set(ext.api_documents(ROOT / "_toc.yml"))
    on_disk = {f"book/{p.stem}" for p in (ROOT / "book").glob("api*.md")}
    assert on_disk == docs


def test_api_documents_of_a_toc(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: book/intro\nparts:\n  - caption: A\n    chapters:\n"
                   "      - file: book/data\n  - caption: B\n    chapters:\n"
                   "      - file: book/api.md\n        sections:\n          - file: book/api_a\n"
                   "          - file: book/api_b.md\n      - file: book/references\n")
    assert ext.api_documents(toc) == ["book/api", "book/api_a", "book/api_b"]
    toc.write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/data\n")
    assert ext.api_documents(toc) == []


@pytest.mark.parametrize("doc, first", [
    ("One eigenbasis, many filters: the core. Introduced in the chapter on flow.",
     "One eigenbasis, many filters: the core."),
    ("Diagonal networks (Woodworth et al. 2020) decide the bias. More.",
     "Diagonal networks (Woodworth et al. 2020) decide the bias."),
    ("Calls ``np.linalg.svd`` once. Then each filter (e.g. Flow) is a product.\n\nMore.",
     "Calls ``np.linalg.svd`` once."),
    ("A first line\nwrapped on two lines.\n\nSecond paragraph.",
     "A first line wrapped on two lines."),
    ("Feedback for the coding exercise of the chapter on momentum: heavy ball's filter, the "
     "fraction of the way to the minimum each mode covers in k steps from rest, with "
     ":class:`~gflow_lib.HeavyBall` as the reference.",
     "Feedback for the coding exercise of the chapter on momentum."),
    ("", ""),
    (None, ""),
])
def test_first_sentence(doc, first):
    assert ext.first_sentence(doc) == first


@pytest.mark.slow  # imports every module of gflow_lib, matplotlib too (2-5 s)
def test_undocumented_modules_names_each_missing_module():
    modules = ext.public_modules(PACKAGE)
    assert modules == module_files(), "the files and the imported package disagree"
    assert ext.undocumented_modules(PACKAGE, modules) == []
    documented = {m: None for m in modules if m not in ("gflow_lib.flow", "gflow_lib.checks")}
    assert ext.undocumented_modules(PACKAGE, documented) == ["gflow_lib.checks",
                                                             "gflow_lib.flow"]


@pytest.mark.slow  # imports every module of gflow_lib (2-5 s)
def test_a_module_on_no_page_is_a_build_warning(caplog):
    """``make book`` runs with -W: the warning fails the build and names the module."""
    modules = {m: None for m in ext.public_modules(PACKAGE) if m != "gflow_lib.sgd"}
    env = SimpleNamespace(gflow_api_packages={"book/api": PACKAGE},
                          get_domain=lambda name: SimpleNamespace(modules=modules))
    with caplog.at_level("WARNING"):
        ext.check_api_coverage(None, env)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "gflow_lib.sgd is on no API page" in warnings[0], warnings
    caplog.clear()
    modules["gflow_lib.sgd"] = None
    with caplog.at_level("WARNING"):
        ext.check_api_coverage(None, env)
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


# ---------------------------------------------------------------- the built pages (book)
MODULE_LINK = re.compile(r'<a class="reference internal" href="(?P<page>api_\w+)\.html'
                         r'#module-(?P<module>[\w.]+)"')


def test_the_index_links_every_module_to_its_page(built_book):
    """book/api.html lists every public module, linked to the page that documents it, under
    that page's title."""
    html = (built_book / "book" / "api.html").read_text(encoding="utf-8")
    article = html[html.index("<article"):html.index("</article>")]
    linked = {m.group("module"): m.group("page") for m in MODULE_LINK.finditer(article)}
    pages = api_page_modules()
    want = {m: doc.split("/")[-1] for doc, names in pages.items() for m in names}
    assert linked == want
    for doc in pages:
        if doc != ext.API_INDEX:
            assert f'href="{doc.split("/")[-1]}.html"' in article, f"no link to {doc}"
    assert '<dl class="py' not in article, "the index documents objects itself"


def test_api_pages_are_small(built_book):
    sizes = {doc: (built_book / f"{doc}.html").stat().st_size // 1024
             for doc in ext.api_documents(ROOT / "_toc.yml")}
    assert max(sizes.values()) <= PAGE_BUDGET_KB, sizes


def test_built_api_pages_have_no_alias_docstrings(built_book):
    """Named tuples' fields lose Python's "Alias for field number N" (tools/sphinx_gflow.py);
    the named tuples are still documented."""
    texts = {doc: (built_book / f"{doc}.html").read_text(encoding="utf-8")
             for doc in ext.api_documents(ROOT / "_toc.yml")}
    assert not [doc for doc, text in texts.items() if "Alias for field number" in text]
    assert any('id="gflow_lib.bayes.Posterior"' in text for text in texts.values())


# ---------------------------------------------------------------- in the browser
# The fixtures of tests/test_browser.py: the built site served on 127.0.0.1, headless Chromium.
site, server, browser = test_browser.site, test_browser.server, test_browser.browser


def test_a_module_link_of_the_index_lands_on_its_module(browser, server):
    """Clicking a module in book/api.html opens its page with the module's heading at the top
    of a phone's window, although the page lays its entries out only near the window
    (``gflow-lazy``, tools/sphinx_lean.py): the entries above keep estimated heights."""
    from browsers import settled, window
    from selenium.webdriver.common.by import By

    window(browser, 390, 844)
    pages = [doc for doc, names in api_page_modules().items() if names]
    for doc in (pages[0], pages[len(pages) // 2], pages[-1]):
        module = api_page_modules()[doc][-1]  # the page's last module: the farthest down
        browser.get(f"{server}/book/api.html")
        link = browser.find_element(
            By.CSS_SELECTOR, f'a[href="{doc.split("/")[-1]}.html#module-{module}"]')
        browser.execute_script("arguments[0].click()", link)
        # Where the heading comes to rest (it was read 800 ms after the click): the page
        # loaded, its fonts too, and the heading not moved over 10 frames the page drew.
        top = settled(browser, LANDED % f"module-{module}", f"{doc}: where {module} lands")
        assert 0 <= top[0] < top[1] / 3, (doc, module, top)


#: Where the element of id %s is in the window, [its top, the window's height], or null
#: until the page has loaded with its fonts.
LANDED = """
const e = document.readyState === 'complete' && document.fonts.status === 'loaded'
    && document.getElementById('%s');
return e ? [e.getBoundingClientRect().top, innerHeight] : null;"""
