"""The live explorer as a widget: in Python, and in a real notebook front end.

Colab cannot be reached from here, so JupyterLab stands in for it: the test starts JupyterLab
(pinned in requirements.txt) headless on 127.0.0.1, opens the explorer chapter in Debian's
Chromium, runs every cell, finds the widget rendered by anywidget's front end, moves the time
slider and drags a data point with real key and pointer events, and asks the kernel what it
sees: Python must hold the new state. Then Python sets the time and the momentum and the page
must follow; the momentum slider moved by keys reaches Python; and Lab's own rules for dl, dt
and dd must leave each label of the numbers block above its value (they floated it beside).

The Python side (validation, the static HTML, the state) is tested without a browser first.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import pytest
import traitlets
from browsers import screenshots_wanted, shared_chrome, wait_in_page, window

from gflow_lib import HeavyBall, LinearFlow, Spectrum
from gflow_lib.data import design_matrix, running_example
from gflow_lib.widgets import Explorer, explorer_js

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "book" / "explorer.ipynb"


# ---------------------------------------------------------------- Python side
def test_defaults_are_the_books_problem():
    ex = Explorer()
    X, y, phi0 = running_example()
    np.testing.assert_array_equal(ex.X, X)
    np.testing.assert_array_equal(ex.y, y)
    assert ex.phi0 == list(phi0)
    assert (ex.t, ex.lr, ex.beta, ex.sigma_sq_p, ex.show_descent) == (0.3, 0.1, 0.0, 0.04, True)
    np.testing.assert_array_equal(ex.flow().params(0.3), LinearFlow(X, y, phi0).params(0.3))


def test_set_data_and_traits_reach_the_flow():
    ex = Explorer()
    ex.set_data(design_matrix([0.1, 0.5]), [0.0, 1.0], phi0=[1.0, 2.0])
    assert ex.points == [[0.1, 0.0], [0.5, 1.0]] and ex.phi0 == [1.0, 2.0]
    ex.t = 2.0
    want = LinearFlow(design_matrix([0.1, 0.5]), [0.0, 1.0], [1.0, 2.0]).params(2.0)
    np.testing.assert_allclose(ex.flow().params(ex.t), want, rtol=0, atol=0)


def test_iterates_are_heavy_ball_and_descent_at_beta_zero():
    X, y, phi0 = running_example()
    ex = Explorer(lr=0.3, beta=0.6)
    k = np.array([0, 1, 4, 30])
    want = Spectrum(X, y).path(HeavyBall(0.3, 0.6), phi0).params(k)
    np.testing.assert_array_equal(ex.iterates(k), want)
    ex.beta = 0.0
    np.testing.assert_allclose(ex.iterates(k), [gl_descent(X, y, phi0, 0.3, kk) for kk in k],
                               rtol=1e-12, atol=1e-15)


def gl_descent(X, y, phi0, lr, k):
    """k plain descent steps, one at a time (an independent check)."""
    phi = np.array(phi0, dtype=float)
    for _ in range(int(k)):
        phi = phi - lr * X @ (X.T @ phi - y)
    return phi


@pytest.mark.parametrize("kwargs, match", [
    ({"X": np.ones((3, 2)), "y": np.zeros(2), "phi0": np.zeros(3)}, "X must have 2 rows"),
    ({"X": np.array([[0.1, 0.2], [1.0, 2.0]]), "y": np.zeros(2)}, "second row must be all ones"),
    ({"X": design_matrix([0.1, 0.2]), "y": np.zeros(3)}, "y"),
    ({"X": design_matrix([0.1, 0.2])}, "give both X and y"),
])
def test_bad_problems_are_refused(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Explorer(**kwargs)


@pytest.mark.parametrize("name, value, match", [
    ("t", -1.0, "t must be a number from 0 to 1000"),
    ("t", float("nan"), "t must be"),
    ("lr", 0.0, "lr must be a number from 0.001 to 10"),
    ("beta", 1.0, r"beta must be a number in \[0, 1\)"),
    ("beta", -0.1, "beta must be"),
    ("beta", float("nan"), "beta must be"),
    ("sigma_sq_p", 20.0, "sigma_sq_p must be"),
    ("phi0", [1.0], "phi0 must be two finite numbers"),
    ("points", [[0.1, float("inf")]], r"points\[0\] must be a pair of finite numbers"),
    ("points", [], "at least one"),
])
def test_bad_settings_are_refused(name, value, match):
    ex = Explorer()
    with pytest.raises(traitlets.TraitError, match=match):
        setattr(ex, name, value)


def test_static_html_is_deterministic_and_self_contained():
    a, b = Explorer().static_html(), Explorer().static_html()
    assert a == b, "the static HTML must not change between runs (nbval compares it)"
    assert explorer_js() in a and "gflowLive.mountBefore(document.currentScript)" in a
    assert "<script src" not in a and "http" not in a.replace("http://www.w3.org", "")
    state = Explorer(t=2.5).state()
    assert json.dumps(state["points"]) and state["t"] == 2.5


def test_the_bundle_offers_the_widget_and_the_static_page():
    data, _ = Explorer()._repr_mimebundle_()
    assert {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"} <= set(data)
    assert data["text/plain"] == ("Explorer(I=3, phi0=[-0.05, -0.4], t=0.3, lr=0.1, beta=0, "
                                  "sigma_sq_p=0.04)")


def test_the_widget_module_is_the_package_file_with_an_export():
    assert Explorer._esm.startswith(explorer_js())
    assert Explorer._esm.rstrip().endswith("export default gflowLive.widget;")


# ---------------------------------------------------------------- JupyterLab
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 serving a folder that holds the explorer chapter, outputs
    cleared; isolated settings; stopped after the tests."""
    if not shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)):
        pytest.fail("JupyterLab is not installed (pip install -r requirements.txt)", pytrace=False)
    base = tmp_path_factory.mktemp("lab")
    work = base / "work"
    work.mkdir()
    nb = nbformat.read(CHAPTER, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, work / "explorer.ipynb")
    # No news toast over the notebook (JupyterLab asks once whether to fetch news).
    news = base / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    # No build check (the page asks the server whether Lab needs a rebuild: a node process for
    # yarn's configuration and a scan of every extension) and the read-only extension manager
    # (the PyPI one would look on pypi.org): neither is what this test looks at, and together
    # they cost Lab about 0.5 s of CPU (4.9 -> 4.4 core-s for Lab and its kernel, 3 runs each).
    labconfig = base / "config" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text('{"buildCheck": false, "buildAvailable": false}')
    # Nor jupyter_lsp's server extension (no language server is installed): asked for its
    # status by the page, it ran `npm prefix -g` (node) to look for one, about 0.3 s of CPU.
    (base / "config" / "jupyter_server_config.json").write_text(
        '{"ServerApp": {"jpserver_extensions": {"jupyter_lsp": false}}}')
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(base / "config"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    log = open(base / "lab.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--ServerApp.token={token}", f"--ServerApp.root_dir={work}",
         "--ServerApp.port_retries=0", "--LabApp.expose_app_in_browser=True",
         "--LabApp.extension_manager=readonly", "--allow-root"],  # CI runs as root
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n"
                                + (base / "lab.log").read_text()[-3000:], pytrace=False)
                time.sleep(0.3)
        yield {"url": url, "token": token, "log": base / "lab.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def chrome(request):
    """Headless Chromium (browsers.shared_chrome: shared with the other browser files of this
    process), 1400 x 1100, its console log emptied of what other pages logged."""
    driver = shared_chrome(request.config)
    window(driver, 1400, 1100)
    driver.get_log("browser")
    driver.set_script_timeout(90)
    yield driver
    driver.set_script_timeout(60)
    driver.get("about:blank")


KERNEL_IDLE = """
const app = window.jupyterapp;
const panel = app && app.shell.currentWidget;
const ctx = panel && panel.sessionContext;
const kernel = ctx && ctx.session && ctx.session.kernel;
return !!(panel && panel.content && panel.content.widgets && kernel
          && kernel.status === 'idle' && panel.context.isReady);
"""

RUN_IN_KERNEL = """
const done = arguments[arguments.length - 1];
const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
const future = kernel.requestExecute({code: arguments[0]});
let out = '';
future.onIOPub = (msg) => {
  if (msg.header.msg_type === 'stream') { out += msg.content.text; }
  if (msg.header.msg_type === 'error') { out += 'ERROR ' + msg.content.evalue; }
};
future.done.then(() => done(out), (e) => done('FAILED ' + e));
"""

PAGE_STATE = """
const root = document.querySelector('.jp-OutputArea .gflow-live');
return root && root.gflowLive ? root.gflowLive.state() : null;
"""


NUMBER_BOXES = """
const root = document.querySelector('.jp-OutputArea .gflow-live');
const box = (e) => { const r = e.getBoundingClientRect();
                     return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
return Array.from(root.querySelectorAll('dl.gl-numbers > div')).map(
    (d) => [d.querySelector('dt').textContent, box(d.querySelector('dt')),
            box(d.querySelector('dd'))]);
"""


def _python_state(driver):
    out = driver.execute_async_script(
        RUN_IN_KERNEL, "import json; print(json.dumps({'t': explorer.t, 'points': "
        "explorer.points, 'phi0': explorer.phi0}))")
    assert out.strip().startswith("{"), out
    return json.loads(out.strip().splitlines()[-1])


def test_explorer_runs_in_jupyterlab_and_syncs_both_ways(lab, chrome):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    chrome.get(f"{lab['url']}/lab/tree/explorer.ipynb?token={lab['token']}")
    wait_in_page(chrome, KERNEL_IDLE, 60, "the notebook and an idle kernel")
    chrome.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")
    wait_in_page(chrome, PAGE_STATE, 60, "the explorer widget rendered by anywidget")
    wait_in_page(chrome, KERNEL_IDLE, 60, "the cells to finish")
    page = chrome.execute_script(PAGE_STATE)
    assert page["t"] == 0.3 and len(page["points"]) == 3
    assert _python_state(chrome)["t"] == 0.3

    # The reader moves the time slider (keys) and drags a data point (pointer).
    root = chrome.find_element(By.CSS_SELECTOR, ".jp-OutputArea .gflow-live")
    slider = root.find_element(By.CSS_SELECTOR, "input[type=range]")
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'});", slider)
    slider.send_keys(Keys.END)
    dot = root.find_elements(By.CSS_SELECTOR, ".gl-point .gl-dot")[1]
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'});", dot)
    # duration=0: the same pointer events as Selenium's default of 250 ms a move, which
    # chromedriver only waits out (tests/test_browser.py's _drag).
    ActionChains(chrome, duration=0).move_to_element(dot).click_and_hold().move_by_offset(0, -20) \
        .move_by_offset(0, -20).release().perform()
    page = chrome.execute_script(PAGE_STATE)
    assert page["t"] == 1000.0, page["t"]
    assert page["points"][1] != [0.4, 0.15], "the drag did not move the point"

    deadline, seen = time.time() + 15, None
    while time.time() < deadline:
        seen = _python_state(chrome)
        if seen["t"] == page["t"] and seen["points"] == page["points"]:
            break
        time.sleep(0.3)
    assert seen["t"] == 1000.0, f"Python sees t = {seen['t']}"
    assert seen["points"] == page["points"], (seen, page)

    # Python sets the time and the momentum; the page follows.
    out = chrome.execute_async_script(RUN_IN_KERNEL, "explorer.t = 2.0; explorer.beta = 0.5")
    assert "ERROR" not in out, out
    wait_in_page(chrome, PAGE_STATE.replace("return root &&", "return !!root &&").replace(
        ".state() : null;", ".state().t === 2.0 && root.gflowLive.state().beta === 0.5 "
        ": false;"), 15, "the page to follow explorer.t = 2.0 and explorer.beta = 0.5")
    # The reader moves the momentum slider (keys); Python sees it.
    beta = root.find_elements(By.CSS_SELECTOR, "input[type=range]")[2]
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'});", beta)
    beta.send_keys(Keys.END)
    deadline = time.time() + 15
    while time.time() < deadline:
        out = chrome.execute_async_script(RUN_IN_KERNEL, "print(explorer.beta)")
        if out.strip() == "0.99":
            break
        time.sleep(0.3)
    assert out.strip() == "0.99", f"Python sees beta = {out!r} with the slider at its end"
    # Lab's styles for dl, dt and dd must not lay the numbers' labels over their values.
    boxes = chrome.execute_script(NUMBER_BOXES)
    assert boxes, "no numbers block"
    for label, dt, dd in boxes:
        assert dt["bottom"] <= dd["top"] + 0.5 and dt["left"] == dd["left"], (label, dt, dd)
    if screenshots_wanted():
        LIVE = Path(os.environ.get("GFLOW_BOOK_ROOT") or ROOT) / "_build" / "screenshots"
        LIVE.mkdir(parents=True, exist_ok=True)
        chrome.execute_script("arguments[0].scrollIntoView({block: 'start'});", root)
        root.screenshot(str(LIVE / "explorer-jupyterlab.png"))
        numbers = root.find_element(By.CSS_SELECTOR, "dl.gl-numbers")
        chrome.execute_script("arguments[0].scrollIntoView({block: 'center'});", numbers)
        numbers.screenshot(str(LIVE / "explorer-jupyterlab-numbers.png"))
    errors = [e["message"] for e in chrome.get_log("browser")
              if e.get("level") == "SEVERE" and "gflow" in e["message"].lower()]
    assert not errors, errors
