"""Long chapters drawn as they are read, their math whole (book/site/gflow.css, issue 19).

A chapter of hundreds of formulas is thousands of elements of KaTeX HTML and MathML; a phone
spent seconds of its main thread styling and laying them out before a reader could scroll
(Lighthouse's total blocking time). ``book/site/gflow.css`` lets the browser skip every block
of a chapter that is not near the window (``content-visibility: auto``). In the built book,
opened in headless Chromium at 390 x 844 (a phone), these tests check that

* most formulas of a long chapter are not laid out when the page has loaded (the browser
  skips them), and nothing of the article moved on the way (no layout shift, as the browser
  reports it: the blocks of the first screen were drawn in the first frame);
* the focus ring of every equation's scroll box and of every link in the article is drawn
  whole: a skipped-and-drawn block clips what it paints to its box, which cut the rings of
  equations (``overflow-clip-margin`` gives them room).

tests/test_browser.py checks that every equation fits or scrolls in its own box, with the
skipping turned off. Each detector is seen failing on a made-up page.
"""

from __future__ import annotations

import functools
import http.server
import posixpath
import re
import threading

import pytest
from browsers import shared_chrome, wait_in_page, window

#: The longest chapters (elements of math: momentum 12k, ntk_training 13k); momentum last, so
#: that the first test of RING_PAGES finds it open and unchanged (_open_as_loaded).
LONG_CHAPTERS = ("book/ntk_training", "book/momentum")
#: Pages with equations in the first section, in exercise boxes and in folded solutions.
RING_PAGES = ("book/momentum", "book/closed_form", "book/ml_vs_map")
#: At load, at most this share of a long chapter's formulas is laid out (momentum: 0.03).
MAX_LAID_OUT = 0.2


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(built_book):
    return built_book


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,),  # shutdown waits for a poll
                     daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(request):
    """Headless Chromium (browsers.shared_chrome), each test's page opened 390 x 844."""
    return shared_chrome(request.config)


@pytest.fixture(autouse=True)
def _phone_window(browser):
    window(browser, 390, 844)


# Layout shifts are recorded from the start of the page (buffered); the page is measured once
# it has loaded and two frames have been drawn, without scrolling.
LOAD_FACTS = """
const done = arguments[arguments.length - 1];
// Shifts of the article's content only: the theme's header (div.header-article-items__end)
// shifts by about 0.004 after load, with or without the skipping of book/site/gflow.css.
const shifts = [];
new PerformanceObserver(list => list.getEntries().forEach(e => {
  const article = document.querySelector('article.bd-article') || document.body;
  const nodes = (e.sources || []).map(s => s.node).filter(n => n && article.contains(n));
  if (!e.hadRecentInput && nodes.length) shifts.push({value: e.value, from: nodes.map(n =>
      (n.nodeName + '.' + String(n.className || '')).slice(0, 60))});
})).observe({type: 'layout-shift', buffered: true});
const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
(async () => {
  while (document.readyState !== 'complete') await new Promise(r => setTimeout(r, 50));
  await frame(); await frame();
  const article = document.querySelector('article.bd-article') || document.body;
  // laid out: not inside a block the browser skips (checkVisibility with contentVisibilityAuto
  // is false there) and not hidden (display: none)
  const drawn = e => e.checkVisibility({contentVisibilityAuto: true});
  const formulas = Array.from(article.querySelectorAll('.katex')).filter(e => e.checkVisibility());
  // what came over the network: a body transferred (not from the cache, nor revalidated)
  const fetched = performance.getEntriesByType('resource').filter(
      e => e.encodedBodySize > 0 && e.transferSize >= e.encodedBodySize).map(e => e.name);
  done({formulas: formulas.length, laidOut: formulas.filter(drawn).length, shifts, fetched});
})();
"""


def load_problems(facts: dict, long_page: bool) -> list[str]:
    problems = []
    if facts["shifts"]:
        total = sum(s["value"] for s in facts["shifts"])
        problems.append(f"layout shifts of {total:.4f} in all: {facts['shifts'][:3]}")
    if long_page:
        share = facts["laidOut"] / max(facts["formulas"], 1)
        if facts["formulas"] < 100 or share > MAX_LAID_OUT:
            problems.append(f"{facts['laidOut']} of {facts['formulas']} formulas laid out at "
                            f"load ({share:.0%}; at most {MAX_LAID_OUT:.0%} expected)")
    return problems


# What a page loads (stylesheets, scripts, icons, images, and the fonts of _static, which the
# stylesheets ask for): put in the browser's cache by fetch() from a small page of the same
# site, so that a long chapter is measured with them cached without being loaded twice.
SUBRESOURCE = re.compile(r'<(?:link|script|img|source)\b[^>]*?\b(?:href|src|srcset)='
                         r'"(?!https?:|//|#|data:)([^" ]+)[^"]*"')
NOT_LOADED = (".html", ".pdf", ".ipynb")  # links to other documents (prev, next, a download)
WARM = """
const done = arguments[arguments.length - 1];
Promise.all(arguments[0].map(u => fetch(u).then(r => r.arrayBuffer()).then(() => null,
                                                                         () => u)))
  .then(failed => done(failed.filter(Boolean)));
"""


@pytest.fixture(scope="module")
def cached(browser, server, site):
    """The long chapters' subresources in the browser's cache (HTTP cache; the same keys as
    the page's own requests: same site, same-origin CORS). The first load of a chapter used
    to do it: a font that arrives after the first layout moves the text (a race of the font
    preload, seen with and without the skipping: 0.12 once in 8 loads of ntk_training at 4x
    CPU slowdown), which is not measured here. Each measured load checks that nothing it
    loaded came over the network (``fetched`` in LOAD_FACTS)."""
    urls = {f"/{p.relative_to(site).as_posix()}" for p in (site / "_static").rglob("*.woff*")}
    for doc in LONG_CHAPTERS:
        base = f"/{doc.rsplit('/', 1)[0]}/"
        html = (site / f"{doc}.html").read_text(encoding="utf-8")
        urls |= {posixpath.normpath(base + u) for u in SUBRESOURCE.findall(html)
                 if not u.split("?")[0].endswith(NOT_LOADED)}
    browser.get(f"{server}/_static/katex/katex.min.css")  # a page of the site, drawn as text
    failed = browser.execute_async_script(WARM, sorted(urls))
    assert not failed, f"could not fetch {failed}"
    return sorted(urls)


@pytest.mark.parametrize("doc", LONG_CHAPTERS)
def test_a_long_chapter_lays_out_only_what_is_near_the_window(browser, server, cached, doc):
    browser.get(f"{server}/{doc}.html")
    facts = browser.execute_async_script(LOAD_FACTS)
    assert not facts["fetched"], f"{doc} loaded these over the network, not from the cache " \
        f"(cached fixture): {facts['fetched']}"
    browser.execute_script("window.gflowAsLoaded = true;")  # LOAD_FACTS changed nothing
    problems = load_problems(facts, long_page=True)
    assert not problems, f"{doc}:\n  " + "\n  ".join(problems)


def _open_as_loaded(browser, url):
    """``url`` loaded at 390 x 844 and unchanged: the page the test before measured (it marks
    it ``gflowAsLoaded``, gone with any load) when it is still open, else a new load."""
    if browser.current_url != url or not browser.execute_script(
            "return window.gflowAsLoaded === true && innerWidth === 390;"):
        browser.get(url)


# Every focusable element of the article (equation boxes, links, buttons) is focused as from the
# keyboard; the ring it draws (its box grown by the outline's width and offset) must lie inside
# every box that clips it: an ancestor whose overflow is not visible clips at its padding box,
# a block with paint containment (content-visibility: auto) at its padding box grown by its
# overflow-clip-margin. Elements in folded solutions are unfolded first.
RING_FACTS = """
document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
document.querySelectorAll('details').forEach(d => { d.open = true; });
const article = document.querySelector('article.bd-article') || document.body;
const px = v => parseFloat(v) || 0;
function clipOf(a) {  // the rectangle a clips its content to, or null
  const s = getComputedStyle(a);
  const contained = s.contentVisibility === 'auto' || /paint|strict|content/.test(s.contain);
  const overflow = s.overflowX !== 'visible' || s.overflowY !== 'visible';
  if (!contained && !overflow) return null;
  const r = a.getBoundingClientRect();
  const grow = overflow && !/clip/.test(s.overflowX + s.overflowY) ? 0 : px(s.overflowClipMargin);
  return {left: r.left + px(s.borderLeftWidth) - grow,
          right: r.right - px(s.borderRightWidth) + grow,
          top: r.top + px(s.borderTopWidth) - grow,
          bottom: r.bottom - px(s.borderBottomWidth) + grow};
}
const cut = [];
let rings = 0;
const focusable = Array.from(article.querySelectorAll(
    'a[href], button, summary, [tabindex]:not([tabindex="-1"])'));
for (const e of focusable) {
  if (!e.checkVisibility({visibilityProperty: true})) continue;
  e.focus({focusVisible: true, preventScroll: true});
  if (document.activeElement !== e) continue;
  const s = getComputedStyle(e);
  if (s.outlineStyle === 'none' || px(s.outlineWidth) === 0) continue;
  rings += 1;
  const grow = px(s.outlineWidth) + px(s.outlineOffset);
  for (const r of e.getClientRects()) {
    if (r.width === 0 && r.height === 0) continue;
    const ring = {left: r.left - grow, right: r.right + grow,
                  top: r.top - grow, bottom: r.bottom + grow};
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      const c = clipOf(a);
      if (c && (ring.left < c.left - 0.5 || ring.right > c.right + 0.5
                || ring.top < c.top - 0.5 || ring.bottom > c.bottom + 0.5)) {
        cut.push(e.tagName + '.' + String(e.className).slice(0, 30) + ' '
                 + e.textContent.trim().slice(0, 30) + ' (by ' + a.tagName + '.'
                 + String(a.className).slice(0, 40) + ')');
        break;
      }
    }
  }
}
document.activeElement && document.activeElement.blur();
return {rings, equations: article.querySelectorAll('div.math > .gflow-math-scroll').length, cut};
"""


def ring_problems(facts: dict) -> list[str]:
    problems = []
    if facts["rings"] == 0:
        problems.append("no focus ring measured")
    if facts["cut"]:
        problems.append(f"{len(facts['cut'])} focus rings cut: {facts['cut'][:4]}")
    return problems


@pytest.mark.parametrize("doc", RING_PAGES)
def test_focus_rings_in_the_article_are_drawn_whole(browser, server, doc):
    _open_as_loaded(browser, f"{server}/{doc}.html")
    browser.execute_async_script(
        "const done = arguments[0]; (function w() { document.readyState === 'complete' "
        "? done() : setTimeout(w, 50); })();")
    facts = browser.execute_script(RING_FACTS)
    problems = ring_problems(facts)
    assert not problems, f"{doc}:\n  " + "\n  ".join(problems)
    assert facts["equations"] > 0, f"{doc} has no equation box to measure"


def test_the_detectors_can_fail(browser, tmp_path):
    """On a made-up page: a block that grows after the first frame (a layout shift), a long
    page whose formulas are all laid out, and an equation box whose ring its block clips."""
    formulas = "".join(f'<p><span class="katex">x{i}</span></p>' for i in range(150))
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><body style='margin:0'><article class='bd-article'><section>"
        "<p id='grow' style='height:50px'>first</p><p>second</p>" + formulas +
        "<div class='math' style='content-visibility:auto;margin:0'>"
        "<div class='gflow-math-scroll' tabindex='0' style='outline:3px solid red;"
        "outline-offset:2px'>x = y</div></div>"
        "</section></article><script>requestAnimationFrame(() => setTimeout(() => {"
        "document.getElementById('grow').style.height = '300px'; }, 100));</script>"
        "</body></html>")
    browser.get(page.as_uri())
    wait_in_page(browser, "return document.getElementById('grow').offsetHeight === 300;", 5,
                 "the block to grow (100 ms after the first frame)")
    problems = " ".join(load_problems(browser.execute_async_script(LOAD_FACTS), long_page=True))
    for what in ("layout shifts of", "formulas laid out at load"):
        assert what in problems, (what, problems)
    problems = " ".join(ring_problems(browser.execute_script(RING_FACTS)))
    assert "focus rings cut" in problems and "gflow-math-scroll" in problems, problems
