"""Finding Chrome or Chromium and its driver for the browser tests, on Linux and macOS.

``find_chrome()`` looks at the ``CHROME`` and ``CHROMEDRIVER`` variables first, then at the
usual names on the ``PATH`` and the usual install places (Debian's ``chromium`` and
``chromium-driver``, Google Chrome, Homebrew's and the macOS applications).
``require_chrome()`` is what a test calls: outside CI, a machine without a browser skips the
browser tests with a message that says how to get one; in CI (``CI=true``, set by
``.ci/run``) they must run, so a missing browser fails them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
BROWSER_PATHS = (
    "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
    "/snap/bin/chromium", "/opt/google/chrome/chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
DRIVER_PATHS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver",
                "/opt/homebrew/bin/chromedriver", "/usr/local/bin/chromedriver")
HINT = (
    "install Chromium and its driver (Debian/Ubuntu: `apt-get install -y chromium "
    "chromium-driver`, or `make chromium`; macOS: `brew install --cask chromium "
    "chromedriver`), or point CHROME and CHROMEDRIVER at a Chrome and its chromedriver"
)


def _executable(path) -> Path | None:
    p = Path(path).expanduser()
    return p if p.is_file() and os.access(p, os.X_OK) else None


def _first(variable, names, paths) -> Path | None:
    if os.environ.get(variable):
        return _executable(os.environ[variable])
    for name in names:
        found = shutil.which(name)
        if found:
            return Path(found)
    return next((p for p in map(_executable, paths) if p), None)


def find_chrome() -> tuple[Path | None, Path | None]:
    """(browser, driver): the executables found, None where one is missing."""
    return (_first("CHROME", BROWSERS, BROWSER_PATHS),
            _first("CHROMEDRIVER", ("chromedriver",), DRIVER_PATHS))


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_chrome() -> tuple[Path, Path]:
    """The browser and driver, or skip (fail in CI) with a message saying what is missing."""
    browser, driver = find_chrome()
    missing = [what for what, p in (("Chrome or Chromium", browser), ("chromedriver", driver))
               if p is None]
    if not missing:
        return browser, driver
    set_to = [f"{v}={os.environ[v]}" for v in ("CHROME", "CHROMEDRIVER") if os.environ.get(v)]
    message = (f"{' and '.join(missing)} not found"
               f"{' (' + ', '.join(set_to) + ' is not an executable)' if set_to else ''}: "
               f"{HINT}")
    if in_ci():
        pytest.fail(f"the browser tests must run in CI (CI=true): {message}", pytrace=False)
    pytest.skip(f"browser test skipped: {message}")


#: What every browser test's Chromium runs with. Offline on purpose: any host but the local
#: server resolves to nothing, so a page that still depends on a CDN shows it as an error.
#: No back-forward cache and no new renderer process per page opened: the tests never go back
#: in history, and each of their page loads started a renderer of its own while the last page
#: was kept in the cache (60 page loads and layout checks: 36.1 -> 32.4 core-s of CPU, mean of
#: four interleaved pairs, with the same results).
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--disable-back-forward-cache",
                "--disable-features=BackForwardCache,ProactivelySwapBrowsingInstance",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")


_SHARED = {}


def shared_chrome(config):
    """The one :func:`offline_chrome` of this pytest process, for every browser test file
    that runs in it (a worker of ``make test``'s ``--dist loadfile`` runs several: one
    Chromium each cost about 1.3 s of CPU to start and quit, and its first page loaded
    cold). Started by the first test that needs it, quit when the run ends
    (``config.add_cleanup``). Each test opens its pages at the size it needs
    (:func:`window`), and a file that changes anything else (emulation, scripts on new
    documents) undoes it when it is done."""
    driver = _SHARED.get("driver")
    if driver is None:
        stack = contextlib.ExitStack()
        driver = stack.enter_context(offline_chrome(1280, 1000))
        _SHARED["driver"] = driver

        def close():
            _SHARED.pop("driver", None)
            stack.close()

        config.add_cleanup(close)
    return driver


def window(driver, width: int, height: int) -> None:
    """Make the window ``width`` x ``height`` for the page opened next. A page still loaded is
    left first (about:blank): resizing it would lay the whole page out again at the new width
    for nothing (0.2-0.3 s of CPU for a long chapter). A test that wants a page resized while
    it is open calls ``driver.set_window_size`` itself."""
    size = driver.get_window_size()
    if (size["width"], size["height"]) != (width, height):
        driver.get("about:blank")
        driver.set_window_size(width, height)


_WAIT = """
const done = arguments[arguments.length - 1], until = Date.now() + arguments[0];
const check = () => { %s };
(function poll() {
  let value;
  try { value = check(); } catch (e) { done({gflowWaitError: String(e)}); return; }
  if (value) { done(value); } else if (Date.now() > until) { done(null); }
  else { setTimeout(poll, 20); }
})();
"""


def wait_in_page(driver, script: str, timeout: float, what: str):
    """The first true value of ``script`` (a function body), evaluated in the page every
    20 ms by one asynchronous script, or an AssertionError naming ``what`` after ``timeout``
    seconds. Polling from Python cost a WebDriver round trip each time (about 7 ms of CPU
    for the driver and the browser), and a fixed sleep waits its whole length: this returns
    as soon as the condition holds."""
    value = driver.execute_async_script(_WAIT % script, timeout * 1000)
    if isinstance(value, dict) and "gflowWaitError" in value:
        raise AssertionError(f"waiting for {what}: {value['gflowWaitError']}")
    if not value:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")
    return value


_SETTLED = """
const done = arguments[arguments.length - 1], frames = arguments[0];
const until = Date.now() + arguments[1];
const measure = () => { %s };
(async () => {
  let last = JSON.stringify(measure()), still = 0;
  while (still < frames && Date.now() < until) {
    await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
    const now = JSON.stringify(measure());
    still = now === last && now !== 'null' ? still + 1 : 0;
    last = now;
  }
  done({value: JSON.parse(last), still});
})();
"""


def settled(driver, script: str, what: str, frames: int = 10, timeout: float = 5.0):
    """The value of ``script`` (a function body returning something JSON can hold; null for
    "not ready yet") once it has stayed the same over ``frames`` frames in a row that the page
    drew (about 17 ms each), or an AssertionError naming ``what`` when it still changed (or
    was null) after ``timeout`` seconds. What a fixed sleep was for ("wait until nothing moves
    any more"), without the sleep's idle length."""
    got = driver.execute_async_script(_SETTLED % script, frames, timeout * 1000)
    if got["still"] < frames:
        raise AssertionError(f"{what} still changed after {timeout} s: last {got['value']}")
    return got["value"]


def screenshots_wanted() -> bool:
    """Whether the browser tests save their screenshots (``GFLOW_SCREENSHOTS=1``, or
    ``GFLOW_FULL_SCREENSHOTS=1`` for whole pages): a picture checks nothing and costs about
    0.1 s of CPU each, so ``make test`` takes none unless asked."""
    return "1" in (os.environ.get("GFLOW_SCREENSHOTS"), os.environ.get("GFLOW_FULL_SCREENSHOTS"))


@contextlib.contextmanager
def offline_chrome(width: int, height: int):
    """Headless Chromium (:func:`require_chrome`) in a window of ``width`` x ``height``, with
    :data:`CHROME_FLAGS`, a profile of its own and the browser's console log kept; quit and
    its profile removed afterwards. A browser that does not start fails the test plainly."""
    browser, driver_path = require_chrome()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="gflow-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(browser)
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(str(driver_path)), options=options)
    except Exception as exc:  # noqa: BLE001 - report any start-up failure plainly
        shutil.rmtree(profile, ignore_errors=True)
        pytest.fail(f"Chromium did not start ({exc.__class__.__name__}: {exc}): {HINT}",
                    pytrace=False)
    try:
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(60)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
