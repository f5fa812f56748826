"""tests/browsers.py: Chrome or Chromium is found on Linux and macOS or through CHROME and
CHROMEDRIVER; without one the browser tests skip outside CI and fail in CI (CI=true)."""

from __future__ import annotations

import os
import stat

import browsers
import pytest
from browsers import find_chrome, require_chrome


def _fake(path):
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    """No browser on the PATH or in the usual places."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(browsers, "BROWSER_PATHS", ())
    monkeypatch.setattr(browsers, "DRIVER_PATHS", ())
    for name in ("CHROME", "CHROMEDRIVER", "CI"):
        monkeypatch.delenv(name, raising=False)


def test_the_variables_name_the_browser_and_driver(nowhere, monkeypatch, tmp_path):
    monkeypatch.setenv("CHROME", str(_fake(tmp_path / "Google Chrome")))
    monkeypatch.setenv("CHROMEDRIVER", str(_fake(tmp_path / "chromedriver")))
    assert find_chrome() == (tmp_path / "Google Chrome", tmp_path / "chromedriver")
    assert require_chrome() == find_chrome()


def test_the_path_and_the_macos_applications_are_searched(nowhere, monkeypatch, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake(bin_dir / "chromedriver")
    app = _fake(tmp_path / "Chromium")  # stands for /Applications/Chromium.app/.../Chromium
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(browsers, "BROWSER_PATHS", ("/no/such/chrome", str(app)))
    assert find_chrome() == (app, bin_dir / "chromedriver")
    _fake(bin_dir / "google-chrome")
    assert find_chrome()[0] == bin_dir / "google-chrome"


def test_without_a_browser_it_skips_outside_ci(nowhere):
    with pytest.raises(pytest.skip.Exception, match="Chrome or Chromium and chromedriver not "
                       "found: install Chromium"):
        require_chrome()


@pytest.mark.parametrize("value", ["true", "1"])
def test_without_a_browser_it_fails_in_ci(nowhere, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="must run in CI"):
        require_chrome()


def test_a_wrong_variable_is_named(nowhere, monkeypatch, tmp_path):
    monkeypatch.setenv("CHROME", str(tmp_path / "missing"))
    with pytest.raises(pytest.skip.Exception, match=r"CHROME=.*missing is not an executable"):
        require_chrome()


def test_ci_run_exports_ci():
    text = open(os.path.join(os.path.dirname(__file__), "..", ".ci", "run")).read()
    assert "export CI=true" in text
