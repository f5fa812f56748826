"""The live explorer in headless Chromium: heavy ball, touch, legends, divergence, widths.

Most tests open the explorer's own static HTML (``Explorer().static_html()``, the script the
book page carries) in a page of its own, from disk, with room above and below it to scroll:
they need no built book. They check that

* ``window.gflowLive.heavyBall(X, y, phi0, lr, beta, k)`` equals the library's
  ``HeavyBall(lr, beta)`` to 1e-10 on random problems and at repeated, complex and negative
  roots (issue 20), and that the momentum slider, its marks, the Polyak button and the red
  sign of divergence do what the chapter says;
* on a 390-pixel screen a finger (CDP ``Input.dispatchTouchEvent``) drags the start and a data
  point by exactly its own displacement and the page does not scroll, while the same finger on
  a panel without a handle scrolls it (issue 19 item 7);
* every panel has a legend under it, nothing is wider than a phone, and the theme's "Back to
  top" button steps aside while the explorer lies under it.

The last test reads the built book (``make book``; the ``built_book`` fixture fails when it is
missing or stale): the same touch drag, and the theme's real button, on the explorer page.
Screenshots go to ``_build/screenshots/explorer-browser/`` with ``GFLOW_SCREENSHOTS=1``.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import math
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from browsers import screenshots_wanted, settled, shared_chrome, wait_in_page, window
from test_browser import SET_SLIDER  # move a slider as a reader does, one script

from gflow_lib import HeavyBall, Spectrum, optimal_heavy_ball
from gflow_lib.data import design_matrix, running_example
from gflow_lib.widgets import Explorer

pytestmark = pytest.mark.browser

ROOT = Path(os.environ.get("GFLOW_BOOK_ROOT") or Path(__file__).resolve().parent.parent)
SHOTS = ROOT / "_build" / "screenshots" / "explorer-browser"
PHONE = 390

# A stand-in for the theme's button (pydata-sphinx-theme: fixed at 90 % of the height, shown
# with an inline display: block when the reader scrolls up).
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>explorer</title></head>
<body style="max-width: 900px; margin: 0 auto; padding: 8px; font: 16px sans-serif">
<p style="height: 1200px">Text above the explorer.</p>
{explorer}
<p style="height: 1500px">Text below the explorer.</p>
<button id="pst-back-to-top" style="position: fixed; top: 90vh; left: 50vw;
  transform: translate(-50%); z-index: 1080; display: block">Back to top</button>
</body></html>"""


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def chrome(request):
    """Headless Chromium (browsers.shared_chrome), 1280 px wide, with touch events enabled
    for this file's tests; touch and the viewports of _set_width undone after them."""
    driver = shared_chrome(request.config)
    window(driver, 1280, 1000)
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled",
                           {"enabled": True, "maxTouchPoints": 5})
    yield driver
    driver.get("about:blank")
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The explorer's static HTML in a page of its own, as a file:// URL."""
    path = tmp_path_factory.mktemp("explorer") / "explorer.html"
    path.write_text(PAGE.format(explorer=Explorer().static_html()), encoding="utf-8")
    return path.as_uri()


def _open(driver, url, width=1280):
    _set_width(driver, width)
    driver.get(url)
    return wait_in_page(driver, LAST, 20, f"the explorer to mount on {url}")


def _open_unchanged(driver, url):
    """The page at 1280 px as loaded, for a test that only calls its pure functions: the one
    opened by the previous such test when it is still the open document (marked by
    ``gflowUntouched``, gone with any load; only these tests set it), else a fresh load."""
    if driver.current_url == url and driver.execute_script(
            "return window.gflowUntouched === true && innerWidth === 1280;"):
        return
    _open(driver, url)
    driver.execute_script("window.gflowUntouched = true;")


def _set_width(driver, width):
    """A viewport ``width`` CSS pixels wide (device metrics: headless windows have a minimum
    width larger than a phone's)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 844 if width < 600 else 1000,
                            "deviceScaleFactor": 1, "mobile": False})


def _shot(driver, name):
    from selenium.webdriver.common.by import By

    root = driver.find_element(By.CSS_SELECTOR, ".gflow-live")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", root)
    if screenshots_wanted():
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / f"{name}.png"))


LAST = """
const root = document.querySelector('.gflow-live');
return root && root.gflowLive ? root.gflowLive.last() : null;
"""

STATE = "return document.querySelector('.gflow-live').gflowLive.state();"


TIME, LR, BETA = 0, 1, 2  # the sliders, in the page's order


def _lr_position(lr):
    return round(1000 * math.log(lr / 0.001) / math.log(10 / 0.001))


# ---------------------------------------------------------------- heavy ball: the numbers
def _problems(n=25, seed=20):
    rng = np.random.default_rng(seed)
    X, y, phi0 = running_example()
    lam = Spectrum(X, y).lam  # ascending
    lr_opt, beta_opt, _ = optimal_heavy_ball(lam)
    out = [(X, y, phi0, lr_opt, beta_opt, "Polyak: repeated roots in both modes"),
           (X, y, phi0, 1.0 / lam[-1], 0.5, "complex roots"),
           (X, y, phi0, 2.25 / lam[-1], 0.2, "negative real roots"),
           (X, y, phi0, (1 + math.sqrt(0.3)) ** 2 / lam[-1], 0.3, "repeated negative root"),
           (X, y, phi0, 2.5 / lam[-1], 0.2, "diverging"),
           (design_matrix([0.4, 0.4, 0.4]), np.array([0.1, 0.3, -0.2]), np.array([0.5, -0.3]),
            0.5, 0.7, "points at one input"),
           (design_matrix([0.4]), np.array([0.15]), phi0, 0.3, 0.6, "one point")]
    for i in range(n):
        I = int(rng.integers(1, 9))  # noqa: E741
        Xr = rng.normal(size=(2, I)) * rng.uniform(0.2, 3.0)
        lam_max = max(float(np.linalg.eigvalsh(Xr @ Xr.T)[-1]), 1e-3)
        beta = float(rng.uniform(0.0, 0.98))
        lr = float(rng.uniform(0.05, 2.0)) * (1 + beta) / lam_max
        out.append((Xr, rng.normal(size=I), rng.normal(size=2), lr, beta, f"random {i}"))
    return out


def test_heavy_ball_seam_equals_the_library(chrome, page):
    """``window.gflowLive.heavyBall`` equals ``Spectrum(X, y).path(HeavyBall(lr, beta))``."""
    _open_unchanged(chrome, page)
    k = [0, 1, 2, 3, 7, 30, 150]
    problems = _problems()
    # All problems in one script (a WebDriver round trip costs about 7 ms of CPU each).
    answers = chrome.execute_script(
        "return arguments[0].map(p => window.gflowLive.heavyBall(...p, arguments[1]));",
        [[X.tolist(), y.tolist(), phi0.tolist(), lr, beta] for X, y, phi0, lr, beta, _
         in problems], k)
    for (X, y, phi0, lr, beta, what), got in zip(problems, answers, strict=True):
        got = np.array(got)
        want = Spectrum(X, y).path(HeavyBall(lr, beta), phi0).params(np.array(k))
        err = np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)))
        assert err <= 1e-10, f"{what}: relative error {err:.3g}\n{got}\n{want}"


def test_heavy_ball_check_can_fail(chrome, page):
    """The comparison sees a wrong answer: a momentum off by 1e-9 moves phi_30."""
    _open_unchanged(chrome, page)
    X, y, phi0 = running_example()
    got = chrome.execute_script("return window.gflowLive.heavyBall(...arguments);",
                                X.tolist(), y.tolist(), phi0.tolist(), 0.3, 0.5 + 1e-9, 30)
    want = Spectrum(X, y).path(HeavyBall(0.3, 0.5), phi0).params(30)
    assert np.max(np.abs(np.array(got) - want)) > 1e-10


# ---------------------------------------------------------------- heavy ball: the page
MARKS = """
const root = document.querySelector('.gflow-live');
const slider = root.querySelectorAll('input[type=range]')[1].getBoundingClientRect();
const box = root.querySelector('.gl-marks').getBoundingClientRect();
return Array.from(root.querySelectorAll('.gl-mark')).map(m => {
  const r = m.getBoundingClientRect();
  const left = m.classList.contains('gl-left');
  return {text: m.textContent, shown: getComputedStyle(m).display !== 'none',
          tick: (left ? r.right : r.left) - box.left, width: box.width,
          left: r.left, right: r.right, top: r.top, sliderLeft: slider.left,
          sliderRight: slider.right};
});
"""

WARN = """
const root = document.querySelector('.gflow-live');
return Array.from(root.querySelectorAll('.gl-warn')).map(
    w => getComputedStyle(w).display !== 'none' ? w.textContent : '');
"""


def test_momentum_slider_moves_the_iterates_the_marks_and_the_warning(chrome, page):
    """beta = 0.5 from the slider: the iterates are heavy ball's, the marks sit at
    2(1 + beta)/lambda_max and (1 - sqrt(beta))^2/lambda_max, and a red sign appears over the
    landscape and the residuals just above 2(1 + beta)/lambda_max, not just below it."""
    last = _open(chrome, page)
    X, y, phi0 = running_example()
    lam_max = last["eigenvalues"][0]
    chrome.execute_script(SET_SLIDER, TIME, 850)
    after = chrome.execute_script(SET_SLIDER, BETA, 50)
    assert after["beta"] == 0.5
    K = after["steps"]
    want = Spectrum(X, y).path(HeavyBall(after["lr"], 0.5), phi0).params(K)
    np.testing.assert_allclose(after["descent"], want, rtol=1e-10, atol=1e-12)
    gd = chrome.execute_script(
        "return document.querySelector('[data-gflow=\"gd\"]').textContent;")
    assert gd.startswith("heavy ball, β 0.50,") and "converges" in gd, gd

    marks = {m["text"]: m for m in chrome.execute_script(MARKS) if m["shown"]}
    assert set(marks) == {"(1−√β)²/λmax", "2(1+β)/λmax"}, marks  # 2(1+β)/λmin is past 10
    for text, value in [("2(1+β)/λmax", 3.0 / lam_max),
                        ("(1−√β)²/λmax", (1 - math.sqrt(0.5)) ** 2 / lam_max)]:
        m = marks[text]
        want_px = m["width"] * math.log(value / 0.001) / math.log(1e4)
        assert abs(m["tick"] - want_px) < 2.5, (text, m, want_px)
    assert marks["(1−√β)²/λmax"]["right"] <= marks["2(1+β)/λmax"]["left"] + 0.5, marks

    assert chrome.execute_script(WARN) == ["", "", "", ""]
    below = chrome.execute_script(SET_SLIDER, LR, _lr_position(0.97 * 3.0 / lam_max))
    assert not below["diverges"] and chrome.execute_script(WARN) == ["", "", "", ""]
    above = chrome.execute_script(SET_SLIDER, LR, _lr_position(1.05 * 3.0 / lam_max))
    assert above["diverges"] and above["descentLoss"] > 1e3, above
    warn = chrome.execute_script(WARN)
    assert warn[0].startswith("⚠ heavy ball diverges") and warn[2] == warn[0], warn
    assert warn[1] == warn[3] == "", warn  # the fitted line and the predictions: no sign
    _shot(chrome, "1-heavy-ball-diverges-1280px")


def test_polyak_button_sets_the_optimal_step_and_momentum(chrome, page):
    from selenium.webdriver.common.by import By

    _open(chrome, page)
    X, y, _ = running_example()
    button = next(b for b in chrome.find_elements(By.CSS_SELECTOR, ".gflow-live button")
                  if b.text == "Polyak")
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    state = chrome.execute_script(STATE)
    lr, beta, _ = optimal_heavy_ball(Spectrum(X, y))
    assert abs(state["lr"] - lr) < 1e-12 and abs(state["beta"] - beta) < 1e-12, state
    gd = chrome.execute_script(
        "return document.querySelector('[data-gflow=\"gd\"]').textContent;")
    assert "= (1+√β)²: a repeated root, converges at rate √β = 0.66" in gd, gd
    heard = chrome.execute_script(
        "return document.querySelector('.gflow-live .gl-sr').textContent;")
    assert heard.startswith("Learning rate 0.7495, momentum 0.44:") and "repeated" in heard


# ---------------------------------------------------------------- touch, widths, legends
def _touch_drag(driver, x, y, dx, dy, steps=10):
    driver.execute_cdp_cmd("Input.dispatchTouchEvent",
                           {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, steps + 1):
        driver.execute_cdp_cmd("Input.dispatchTouchEvent", {
            "type": "touchMove", "touchPoints": [{"x": x + dx * i / steps,
                                                  "y": y + dy * i / steps}]})
        time.sleep(0.02)
    driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


CENTRE = """
const e = document.querySelector(arguments[0]);
e.scrollIntoView({block: 'center'});
const r = e.getBoundingClientRect();
return [r.left + r.width / 2, r.top + r.height / 2, window.scrollY,
        document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) !== null &&
        e.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2))];
"""

AT = """
const r = document.querySelector(%s).getBoundingClientRect();
return [r.left + r.width / 2, r.top + r.height / 2, window.scrollY];
"""


def touch_and_measure(driver, selector, dx, dy):
    """Drag with one finger from the centre of ``selector``; (moved x, moved y, scrolled)."""
    x, y, scroll, hit = driver.execute_script(CENTRE, selector)
    assert hit, f"{selector} is covered where the finger lands"
    # On the built page the blocks near the window are laid out once it has jumped there
    # (content-visibility, book/site/gflow.css), and the browser keeps what is on screen in
    # place by changing scrollY (scroll anchoring): wait until nothing moves any more (over
    # 10 frames; it was two readings 0.15 s apart).
    at = AT % json.dumps(selector)
    x, y, scroll = settled(driver, at, f"{selector} before the drag")
    _touch_drag(driver, x, y, dx, dy)
    # The same after the finger lifts (it was read 0.2 s later): a scroll the drag started,
    # and any fling after it, has ended.
    x1, y1, scroll1 = settled(driver, at, f"{selector} after the drag")
    return x1 - x, y1 - y, scroll1 - scroll


@pytest.mark.parametrize("what, selector", [
    ("the start", ".gflow-live .gl-handle:not(.gl-point) .gl-start"),
    ("a data point", ".gflow-live .gl-point:nth-child(2) .gl-dot"),
])
def test_a_finger_drags_a_handle_and_the_page_stays(chrome, page, what, selector):
    """At 390 px a touch drag moves the handle by the finger's own displacement (it follows
    the finger) and window.scrollY does not change (issue 19: the page scrolled 45 px)."""
    _open(chrome, page, PHONE)
    before = chrome.execute_script(STATE)
    moved_x, moved_y, scrolled = touch_and_measure(chrome, selector, 30, -50)
    after = chrome.execute_script(STATE)
    assert scrolled == 0, f"dragging {what} scrolled the page by {scrolled} px"
    assert abs(moved_x - 30) < 1.5 and abs(moved_y + 50) < 1.5, (moved_x, moved_y)
    assert after != before, f"dragging {what} did not change the state"


def test_a_finger_elsewhere_on_a_panel_scrolls_the_page(chrome, page):
    """The control: the same drag where there is no handle (the residual panel) scrolls, so
    the touch test above can see a scroll; the explorer does not trap the page."""
    _open(chrome, page, PHONE)
    _, _, scrolled = touch_and_measure(chrome, ".gflow-live .gl-panel:nth-child(3) svg", 0, -80)
    assert scrolled > 40, f"a drag on the residual panel scrolled {scrolled} px"


WIDTHS = """
const root = document.querySelector('.gflow-live');
const W = document.documentElement.clientWidth;
const wide = Array.from(root.querySelectorAll('*')).filter(e => {
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.right > W + 0.5 && !e.closest('svg:not(.gl-swatch)');
}).map(e => e.tagName + '.' + (e.getAttribute('class') || '') + ' ' + e.textContent.slice(0, 30));
return {scroll: document.documentElement.scrollWidth, client: W, wide: wide};
"""

LEGENDS = """
const root = document.querySelector('.gflow-live');
return Array.from(root.querySelectorAll('.gl-panel')).map(p => {
  const svg = p.querySelector(':scope > svg').getBoundingClientRect();
  const legend = p.querySelector('figcaption.gl-legend');
  if (!legend) { return null; }
  const r = legend.getBoundingClientRect();
  return {keys: Array.from(legend.querySelectorAll('.gl-key')).filter(
            k => getComputedStyle(k).display !== 'none').map(k => k.textContent),
          below: r.top >= svg.bottom - 0.5, size: parseFloat(getComputedStyle(legend).fontSize)};
});
"""


@pytest.mark.parametrize("width", [PHONE, 1280])
def test_legends_and_widths(chrome, page, width):
    """Each panel has a legend under its plot (never over the data) in text of at least 12 px,
    naming what is drawn; nothing of the explorer is wider than the screen."""
    _open(chrome, page, width)
    chrome.execute_script(SET_SLIDER, BETA, 60)  # the longest labels of the marks
    chrome.execute_script(SET_SLIDER, LR, _lr_position(2.0))
    facts = chrome.execute_script(WIDTHS)
    assert facts["scroll"] <= facts["client"] and not facts["wide"], facts
    legends = chrome.execute_script(LEGENDS)
    assert all(legends), f"a panel without a legend: {legends}"
    for legend in legends:
        assert legend["below"] and legend["size"] >= 12 and len(legend["keys"]) >= 3, legend
    keys = [k for legend in legends for k in legend["keys"]]
    for name in ("gradient flow φ(t)", "heavy ball φₖ", "start φ₀ (drag)", "limit line",
                 "mean prediction", "time t"):
        assert name in keys, (name, keys)
    _shot(chrome, f"2-legends-{width}px")


def test_the_text_is_true_at_every_width():
    """No word of the explorer or of its chapter places a panel (top left, bottom right...):
    the panels stack on a phone, so the panels are named instead."""
    import re

    from gflow_lib.widgets import explorer_js

    chapter = (Path(__file__).resolve().parent.parent / "book" / "md" / "explorer.md").read_text()
    where = re.compile(r"\b(top|bottom)[ -](left|right)\b|\b(left|right)[ -]hand panel\b"
                       r"|\bpanel (above|below|to the (left|right))\b", re.I)
    assert not where.findall(chapter), where.findall(chapter)
    assert not where.findall(explorer_js()), where.findall(explorer_js())


BUTTON = """
const b = document.getElementById('pst-back-to-top');
b.style.display = 'block';  // what the theme's script does when the reader scrolls up
const r = b.getBoundingClientRect(), root = document.querySelector('.gflow-live');
const e = root.getBoundingClientRect();
return {shown: getComputedStyle(b).display !== 'none',
        overExplorer: r.height > 0 ? (r.top < e.bottom && r.bottom > e.top)
                                   : (0.9 * innerHeight < e.bottom && 0.9 * innerHeight > e.top)};
"""


def _button_when(driver, condition, timeout=3.0):
    """BUTTON once ``condition`` (on its facts, ``b``) holds, or as it is after ``timeout``
    seconds. The button follows the explorer through an IntersectionObserver, whose news
    comes a frame or two after a scroll (this slept 0.3 s instead)."""
    with contextlib.suppress(AssertionError):
        return wait_in_page(driver, f"const b = (() => {{ {BUTTON} }})(); "
                            f"return ({condition}) && b;", timeout, condition)
    return driver.execute_script(BUTTON)


@pytest.mark.parametrize("width", [PHONE, 1280])
def test_back_to_top_steps_aside_over_the_explorer(chrome, page, width):
    """While the explorer lies under the theme's "Back to top" button the button is hidden;
    away from the explorer it shows."""
    _open(chrome, page, width)
    chrome.execute_script("window.scrollTo(0, document.querySelector('.gflow-live')"
                          ".getBoundingClientRect().top + scrollY - innerHeight / 2);")
    over = _button_when(chrome, "b.overExplorer && !b.shown")
    assert over["overExplorer"] and not over["shown"], over
    chrome.execute_script("window.scrollTo(0, 0);")
    away = _button_when(chrome, "!b.overExplorer && b.shown")
    assert not away["overExplorer"] and away["shown"], away


# ---------------------------------------------------------------- the built page
@pytest.fixture(scope="module")
def served(built_book):
    """``_build/html`` served on 127.0.0.1 (a thread), and the explorer page's URL."""
    handler = type("Quiet", (http.server.SimpleHTTPRequestHandler,),
                   {"log_message": lambda *a: None})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a, **k: handler(*a, directory=str(built_book), **k))
    # poll_interval 0.05 s: shutdown() waits for the loop to look again (0.5 s by default)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/book/explorer.html"
    server.shutdown()


def test_built_page_touch_and_back_to_top(chrome, served):
    """On the built explorer page at 390 px: a finger drags the start without scrolling, and
    the theme's own Back to top button is hidden while the explorer lies under it."""
    _open(chrome, served, PHONE)
    moved_x, moved_y, scrolled = touch_and_measure(
        chrome, ".gflow-live .gl-handle:not(.gl-point) .gl-start", 25, -40)
    assert scrolled == 0 and abs(moved_x - 25) < 1.5 and abs(moved_y + 40) < 1.5, \
        (moved_x, moved_y, scrolled)
    assert chrome.execute_script("return !!document.getElementById('pst-back-to-top');"), \
        "the theme has no Back to top button any more: drop this half of the test"
    chrome.execute_script("window.scrollTo(0, document.querySelector('.gflow-live')"
                          ".getBoundingClientRect().top + scrollY - innerHeight / 2);")
    over = _button_when(chrome, "b.overExplorer && !b.shown")
    assert over["overExplorer"] and not over["shown"], over
    _shot(chrome, "3-built-page-390px")
