"""The built book as a reader sees it: every page opened in headless Chromium, offline.

``make test`` builds the book first (the ``test`` target depends on ``book``), so these tests
find ``_build/html`` fresh. Run alone (``pytest tests/test_browser.py``) they build it
themselves when it is missing or older than its sources (``tools.fetch_assets`` and
``jupyter-book build . -W --keep-going``, the same as ``make book``).

The pages are served from ``_build/html`` by a local ``http.server`` on 127.0.0.1 and opened
in Debian's Chromium through Selenium; Chromium resolves every other host to nothing, so a
page that still needed a CDN would show it as console errors, raw TeX, or empty widgets. For
every page listed in ``_toc.yml`` the tests check that

* the math is typeset (MathJax containers inside every math element, no raw ``\\(``, ``\\[``
  or ``$$`` left in the visible text),
* every ``<img>`` has loaded,
* the console shows no error except the known, harmless
  ``Identifier 'THEBE_JS_URL' has already been declared``,
* a chapter page's Colab link opens that chapter's ``.ipynb`` in the configured repository,
* embedded widgets, if any, are rendered;

and on the explorer page, that the time control of the animation changes the frame. A
screenshot of the first screen of each page is saved under ``_build/screenshots/`` (of the
whole page, up to 4000 pixels tall, with ``GFLOW_FULL_SCREENSHOTS=1``: about 0.3 s more per
page). Static checks on the HTML (no browser needed) assert that no page loads a script,
stylesheet, image or frame from another host, and that the API reference documents every
public name of ``gflow_lib`` with its docstring sections rendered.

Without Chromium the browser tests fail with a message naming the Debian packages to
install; ``make test`` installs them (``make chromium``).
"""

from __future__ import annotations

import functools
import http.server
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

# GFLOW_BOOK_ROOT points the tests at another copy of the book (a scratch build); default: here.
ROOT = Path(os.environ.get("GFLOW_BOOK_ROOT") or Path(__file__).resolve().parent.parent)
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
STAMP = ROOT / "_build" / ".browser-test-build"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
KNOWN_CONSOLE_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)
INSTALL_HINT = (
    "headless Chromium is needed for the browser test: install the Debian packages "
    "with `apt-get update && apt-get install -y chromium chromium-driver` "
    "(`make chromium` does it; `make test` runs it first)"
)


# ---------------------------------------------------------------- the book's pages
def toc_files(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document of the table of contents, in reading order (``book/intro`` ...)."""
    toc = yaml.safe_load(toc_path.read_text())
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


# ---------------------------------------------------------------- a fresh build
def _sources() -> list[Path]:
    paths = [ROOT / "_config.yml", ROOT / "_toc.yml", ROOT / "tools" / "sphinx_gflow.py"]
    paths += list((ROOT / "book").glob("*.ipynb")) + list((ROOT / "book").glob("*.md"))
    paths += list((ROOT / "book").glob("*.bib")) + list((ROOT / "gflow_lib").rglob("*.py"))
    return [p for p in paths if p.exists()]


def _build_is_stale() -> bool:
    if not (HTML / "index.html").exists():
        return True
    built = max(p.stat().st_mtime for p in HTML.glob("**/*.html"))
    if STAMP.exists():
        built = max(built, STAMP.stat().st_mtime)
    return max(p.stat().st_mtime for p in _sources()) > built


@functools.lru_cache(maxsize=1)
def _build_book() -> str:
    """Build the book when stale, the way ``make book`` does; return '' or an error text."""
    if not _build_is_stale():
        return ""
    bindir = Path(sys.executable).parent
    for cmd in (
        [sys.executable, "-m", "tools.fetch_assets"],
        [str(bindir / "jupyter-book"), "build", ".", "-W", "--keep-going"],
    ):
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            out = (proc.stdout + proc.stderr)[-4000:]
            return f"`{' '.join(cmd[1:])}` failed (run `make book`):\n{out}"
    STAMP.touch()
    return ""


@pytest.fixture(scope="session")
def site() -> Path:
    error = _build_book()
    if error:
        pytest.fail(error, pytrace=False)
    return HTML


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


def external_loads(html: str) -> list[str]:
    """Every script/link/img/... reference in ``html`` that points at another host."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for tag, attrs in LOADING_ATTRS.items():
        for el in soup.find_all(tag):
            for attr in attrs:
                value = el.get(attr)
                if value and EXTERNAL.match(value):
                    found.append(f"<{tag} {attr}={value!r}>")
    for el in soup.find_all(style=True):
        for url in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^'\")]+)", el["style"]):
            found.append(f"style url({url})")
    return found


def test_no_page_loads_anything_from_another_host(site):
    pages = sorted(site.glob("**/*.html"))
    assert pages, "no built pages"
    offenders = {}
    for page in pages:
        bad = external_loads(page.read_text(errors="replace"))
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


def test_math_and_widgets_are_served_locally(site):
    for doc in PAGES:
        html = built_page(doc).read_text()
        if 'class="math' in html:
            assert "_static/mathjax/es5/tex-mml-chtml.js" in html, f"{doc}: MathJax not local"
        if "application/vnd.jupyter.widget-state+json" in html:
            assert "_static/requirejs/require.js" in html, f"{doc}: require.js not local"
            assert "_static/html-manager/dist/embed-amd.js" in html, f"{doc}: embed-amd not local"


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
    api_pages = {uri.split("#")[0] for names in python.values() for _, _, uri, _ in names.values()}
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
    assert api_pages <= {"book/api.html"}, f"Python objects documented elsewhere: {api_pages}"
    # Every name of the package's __all__ resolves to a documented object.
    import gflow_lib

    for name in gflow_lib.__all__:
        obj = getattr(gflow_lib, name)
        assert f"{obj.__module__}.{obj.__qualname__}" in documented, name


def numpydoc_sections(html: str) -> set[str]:
    """The names of the docstring sections (Parameters, Returns, ...) that an API page renders
    as field lists."""
    soup = BeautifulSoup(html, "html.parser")
    return {dt.get_text(strip=True).rstrip(":") for dl in soup.find_all("dl", class_="field-list")
            for dt in dl.find_all("dt", recursive=False)}


RAW_SECTION = re.compile(r"^\s*(Parameters|Returns|Raises)\s*\n\s*-{3,}\s*$", re.MULTILINE)


def test_api_reference_renders_numpydoc_sections(site):
    """The numpydoc sections of the docstrings are parsed (napoleon), not shown as raw text."""
    html = (site / "book" / "api.html").read_text()
    assert {"Parameters", "Returns"} <= numpydoc_sections(html)
    assert not RAW_SECTION.search(BeautifulSoup(html, "html.parser").get_text())


def test_numpydoc_detectors_can_fail():
    raw = "<main><p>Parameters\n----------\nX : array</p></main>"
    assert not numpydoc_sections(raw)
    assert RAW_SECTION.search(BeautifulSoup(raw, "html.parser").get_text())


# ---------------------------------------------------------------- the browser
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def chromium_missing() -> str:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    return f"{', '.join(missing)} not found: {INSTALL_HINT}" if missing else ""


@pytest.fixture(scope="session")
def browser():
    problem = chromium_missing()
    if problem:
        pytest.fail(problem, pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="gflow-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1000",
        # Offline on purpose: any host but the local server resolves to nothing, so a page
        # that still depends on a CDN shows it as a console error.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    except Exception as exc:  # noqa: BLE001 - report any start-up failure plainly
        shutil.rmtree(profile, ignore_errors=True)
        pytest.fail(f"Chromium did not start ({exc.__class__.__name__}: {exc}). "
                    f"{INSTALL_HINT}", pytrace=False)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


WAIT_FOR_PAGE = """
const done = arguments[arguments.length - 1];
const imgs = () => Array.from(document.images).every(i => i.complete);
const start = Date.now();
(async () => {
  while (document.readyState !== 'complete' || !imgs()) {
    if (Date.now() - start > 30000) break;
    await new Promise(r => setTimeout(r, 50));
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await MathJax.startup.promise; } catch (e) {}
  }
  done(true);
})();
"""

PAGE_FACTS = """
const clone = document.querySelector('main, article, body').cloneNode(true);
clone.querySelectorAll('pre, code, script, style, mjx-container, .MathJax, textarea, '
                       + '.cell_input, .highlight').forEach(e => e.remove());
const mathEls = Array.from(document.querySelectorAll('.math'));
return {
  text: clone.textContent,
  math: mathEls.length,
  untypeset: mathEls.filter(e => !e.querySelector('mjx-container'))
      .map(e => e.outerHTML.slice(0, 120)),
  containers: document.querySelectorAll('mjx-container').length,
  brokenImages: Array.from(document.images)
      .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 120)),
  images: document.images.length,
  colab: Array.from(document.querySelectorAll('a[href*="colab.research.google.com"]'))
      .map(a => a.href),
  widgetState: !!document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]'),
  widgetViews: document.querySelectorAll('.jupyter-widgets, .widget-inline-hbox').length,
};
"""


def open_page(driver, base: str, doc: str) -> dict:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(f"{base}/{doc}.html")
    driver.execute_async_script(WAIT_FOR_PAGE)
    facts = driver.execute_script(PAGE_FACTS)
    if facts["widgetState"]:
        deadline = time.time() + 20
        while facts["widgetViews"] == 0 and time.time() < deadline:
            time.sleep(0.25)
            facts = driver.execute_script(PAGE_FACTS)
    facts["console"] = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    return facts


def screenshot(driver, doc: str, max_height: int = 4000) -> Path:
    """A PNG of the page's first screen under _build/screenshots/; of the whole page (up to
    ``max_height`` pixels tall) when the environment sets GFLOW_FULL_SCREENSHOTS=1."""
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


def unexpected_console_errors(entries) -> list[str]:
    return [e["message"] for e in entries
            if not any(known in e["message"] for known in KNOWN_CONSOLE_ERRORS)]


RAW_TEX = re.compile(r"\\\(|\\\[|\$\$|\\begin\{")


@pytest.mark.parametrize("doc", PAGES)
def test_page_in_browser(browser, server, doc):
    if not built_page(doc).is_file():
        pytest.fail(f"{doc}.html was not built", pytrace=False)
    facts = open_page(browser, server, doc)
    problems = []
    raw = RAW_TEX.findall(facts["text"])
    if raw:
        at = RAW_TEX.search(facts["text"]).start()
        problems.append(f"raw TeX left in the visible text ({len(raw)}x), e.g. "
                        f"{facts['text'][max(0, at - 40):at + 60]!r}")
    if facts["untypeset"]:
        problems.append(f"{len(facts['untypeset'])} of {facts['math']} math elements were not "
                        f"typeset by MathJax, e.g. {facts['untypeset'][0]!r}")
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
    screenshot(browser, doc)
    assert not problems, f"{doc}:\n  " + "\n  ".join(problems)


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


# ---------------------------------------------------------------- the explorer's time control
ANIMATION_STATE = """
const div = document.querySelector('.animation');
if (!div) return null;
const img = div.querySelector('img');
const slider = div.querySelector('input[type="range"]');
return {src: img ? img.src : null, slider: slider ? slider.value : null,
        max: slider ? slider.max : null, id: slider ? slider.id : null};
"""


def test_explorer_time_control_changes_the_frame(browser, server):
    doc = next((d for d in PAGES if d.endswith("/explorer")), None)
    if doc is None:
        pytest.skip("no explorer page in _toc.yml yet")
    from selenium.webdriver.common.by import By

    open_page(browser, server, doc)
    state = browser.execute_script(ANIMATION_STATE)
    assert state and state["src"] and state["id"], (
        f"{doc}: no JavaScript animation (an <img> and an <input type=range> inside "
        f"div.animation) found; got {state}")
    assert int(state["max"]) >= 1, f"{doc}: the animation has a single frame"
    before = state["src"]

    # Drag the slider to the last frame (set the value and fire the input event it listens to).
    slider = browser.find_element(By.ID, state["id"])
    browser.execute_script(
        "arguments[0].value = arguments[0].max;"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", slider)
    after_slider = browser.execute_script(ANIMATION_STATE)
    assert after_slider["src"] != before, f"{doc}: moving the time slider did not change the frame"

    # Back to the first frame with the slider, then one step with the 'next frame' button.
    browser.execute_script(
        "arguments[0].value = 0;"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", slider)
    first = browser.execute_script(ANIMATION_STATE)["src"]
    buttons = browser.find_elements(
        By.CSS_SELECTOR, '.animation button[title="Next frame" i], '
                         '.animation button[onclick*="next_frame"]')
    assert buttons, f"{doc}: no 'next frame' button in the animation controls"
    buttons[0].click()
    stepped = browser.execute_script(ANIMATION_STATE)
    assert stepped["src"] != first, f"{doc}: the 'next frame' button did not change the frame"
    assert stepped["slider"] == "1", f"{doc}: the slider did not follow the button"
    screenshot(browser, doc + "-after-scrubbing")


# ---------------------------------------------------------------- opened from disk
@pytest.mark.parametrize("doc", [d for d in PAGES if d.endswith(("/closed_form", "/explorer"))])
def test_page_opened_from_disk(browser, site, doc):
    """A reader who downloads the built site and opens it from disk (file://, no server, no
    network) gets typeset math, every figure, and, on the explorer, a working time control."""
    facts = open_page(browser, site.as_uri(), doc)
    assert not RAW_TEX.findall(facts["text"]), f"{doc}: raw TeX left when opened from disk"
    assert not facts["untypeset"], f"{doc}: math not typeset when opened from disk"
    assert not facts["brokenImages"], f"{doc}: images missing: {facts['brokenImages']}"
    assert facts["math"] > 0, f"{doc}: no math found on the page"
    if doc.endswith("/explorer"):
        state = browser.execute_script(ANIMATION_STATE)
        assert state and state["src"], f"{doc}: no animation when opened from disk"
        browser.execute_script(
            "const s = document.querySelector('.animation input[type=range]');"
            "s.value = s.max; s.dispatchEvent(new Event('input', {bubbles: true}));")
        assert browser.execute_script(ANIMATION_STATE)["src"] != state["src"], (
            f"{doc}: the time control did not change the frame when opened from disk")
