"""The book's configuration keeps the site self-contained, launchable on Colab and complete.

No build is needed here: these tests read ``_config.yml``, ``_toc.yml``, the bibliography,
the workflow and ``tools/fetch_assets.py``, and exercise the asset fetcher's failure modes
(checksum mismatch, a file missing after unpacking, a version that does not exist).
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tools/ is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))
from tools import fetch_assets as fa  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
SPHINX = CONFIG["sphinx"]["config"]
BIB_KEYS = (
    "prince2024gradientflow", "prince2024ntk1", "prince2024ntk2", "prince2024bayes1",
    "prince2024bayes2", "ali2019continuous", "barrett2021implicit", "jacot2018ntk",
    "lee2019wide",
)


# ---------------------------------------------------------------- Colab and the repository
def test_repository_and_colab_launch_buttons():
    assert CONFIG["repository"]["url"] == "https://github.com/gradient-flow-book/gradient-flow"
    assert CONFIG["repository"]["branch"] == "main"
    assert CONFIG["repository"].get("path_to_book", "") == ""
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


def test_contributing_install_cell_uses_the_configured_url():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    assert f"gflow_lib @ git+{CONFIG['repository']['url']}\"" in text


# ---------------------------------------------------------------- a self-contained site
def test_mathjax_and_widget_manager_are_local():
    assert SPHINX["html_static_path"] == ["_vendor"]
    assert "://" not in SPHINX["mathjax_path"]
    assert SPHINX["mathjax_path"] == "mathjax/es5/tex-mml-chtml.js"
    widgets = SPHINX["nb_ipywidgets_js"]
    assert set(widgets) == {"requirejs/require.js", "html-manager/dist/embed-amd.js"}
    assert not any("://" in k or "://" in str(v) for k, v in widgets.items())


def test_config_paths_match_the_fetched_assets():
    """The paths in _config.yml are exactly files that fetch_assets requires to exist."""
    required = {f"{a.dest}/{rel}" for a in fa.ASSETS for rel, _ in a.required}
    assert SPHINX["mathjax_path"] in required
    for path in SPHINX["nb_ipywidgets_js"]:
        assert path in required, path


def test_vendor_folder_is_not_a_static_folder_and_is_ignored():
    # Jupyter Book 1 injects every .js/.css under a top-level _static/ into every page.
    assert fa.VENDOR.name != "_static"
    assert not (ROOT / "_static").exists(), (
        "a top-level _static/ folder makes Jupyter Book inject every .js/.css of every "
        "html_static_path folder (all of MathJax) into every page"
    )
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "_vendor/" in ignored and ".cache/" in ignored
    assert "_vendor" in CONFIG["exclude_patterns"]


def test_every_asset_is_pinned_with_a_sha512():
    for asset in fa.ASSETS:
        assert re.fullmatch(r"\d+\.\d+\.\d+", asset.version), asset.spec
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", asset.integrity), asset.spec
        assert asset.required, asset.spec


def test_no_cdn_url_left_in_the_config():
    text = (ROOT / "_config.yml").read_text()
    for host in ("cdn.", "unpkg.com", "jsdelivr", "cdnjs", "googleapis"):
        assert host not in text, host


# ---------------------------------------------------------------- the asset fetcher fails loudly
def _fake_tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _fake_asset(tarball: Path, **changes) -> fa.Asset:
    asset = fa.Asset(
        name="fake-asset", version="1.0.0", integrity=fa.sri(tarball.read_bytes()),
        dest="fake", members=("dist/",), required=(("dist/a.js", 10),),
    )
    return replace(asset, **changes)


def test_fetch_unpacks_only_wanted_members_and_verifies(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    tarball = _fake_tarball(cache / "fake-asset-1.0.0.tgz", {
        "dist/a.js": b"x" * 20, "dist/a.js.map": b"{}", "README.md": b"hi"})
    asset = _fake_asset(tarball)
    vendor = tmp_path / "vendor"
    assert fa.fetch(asset, vendor, cache) == "unpacked from cache and verified"
    files = sorted(p.relative_to(vendor).as_posix() for p in vendor.rglob("*") if p.is_file())
    assert files == ["fake/.stamp", "fake/dist/a.js"]
    assert fa.fetch(asset, vendor, cache) == "up to date"


def test_checksum_mismatch_fails(tmp_path, monkeypatch, capsys):
    cache = tmp_path / "cache"
    cache.mkdir()
    tarball = _fake_tarball(cache / "fake-asset-1.0.0.tgz", {"dist/a.js": b"x" * 20})
    asset = _fake_asset(tarball, integrity=fa.sri(b"something else"))
    # A damaged cached copy is fetched once more; "npm" here hands back the same bad file.
    monkeypatch.setattr(fa, "npm_pack", lambda a, c: tarball)
    status = fa.main([], assets=(asset,), vendor=tmp_path / "vendor", cache=cache)
    err = capsys.readouterr().err
    assert status == 1
    assert "checksum mismatch for fake-asset@1.0.0" in err and "not built" in err
    assert not (tmp_path / "vendor" / "fake" / "dist" / "a.js").exists()


def test_missing_or_truncated_file_fails(tmp_path, capsys):
    cache = tmp_path / "cache"
    cache.mkdir()
    tarball = _fake_tarball(cache / "fake-asset-1.0.0.tgz", {"dist/a.js": b"tiny"})
    too_small = _fake_asset(tarball)
    assert fa.main([], assets=(too_small,), vendor=tmp_path / "v1", cache=cache) == 1
    assert "has 4 bytes, expected at least 10" in capsys.readouterr().err
    missing = _fake_asset(tarball, required=(("dist/b.js", 1),))
    assert fa.main([], assets=(missing,), vendor=tmp_path / "v2", cache=cache) == 1
    assert "dist/b.js is missing" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_a_version_that_does_not_exist_fails(tmp_path, capsys):
    """Asks the npm registry for mathjax@0.0.404 (no such version): a loud failure."""
    bogus = replace(fa.ASSETS[0], version="0.0.404")
    status = fa.main([], assets=(bogus,), vendor=tmp_path / "vendor", cache=tmp_path / "c")
    err = capsys.readouterr().err
    assert status == 1
    assert "mathjax@0.0.404" in err and "npm pack" in err


def test_missing_npm_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(fa.shutil, "which", lambda name: None)
    with pytest.raises(fa.AssetError, match="apt-get install -y npm"):
        fa.npm_pack(fa.ASSETS[0], tmp_path)


# ---------------------------------------------------------------- API reference, bibliography
def test_api_reference_uses_autodoc():
    extensions = CONFIG["sphinx"]["extra_extensions"]
    for ext in ("sphinx.ext.autodoc", "sphinx.ext.napoleon"):
        assert ext in extensions
    assert CONFIG["sphinx"]["local_extensions"] == {"sphinx_gflow": "tools"}
    assert "{gflow-api} gflow_lib" in (ROOT / "book" / "api.md").read_text()


def test_public_modules_are_walked():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from sphinx_gflow import public_modules
    finally:
        sys.path.remove(str(ROOT / "tools"))
    mods = public_modules("gflow_lib")
    assert mods[0] == "gflow_lib"
    assert {"gflow_lib.flow", "gflow_lib.plotting", "gflow_lib.plotting.style",
            "gflow_lib.checks"} <= set(mods)
    assert not any("._" in m for m in mods)


def test_bibliography_holds_every_key():
    from pybtex.database import parse_file

    bib = parse_file(str(ROOT / "book" / "references.bib"))
    assert set(BIB_KEYS) <= set(bib.entries)
    assert CONFIG["bibtex_bibfiles"] == ["book/references.bib"]
    for key in BIB_KEYS:
        entry = bib.entries[key]
        assert entry.fields.get("title") and entry.fields.get("year"), key
        assert entry.persons.get("author"), key
    assert "{bibliography}" in (ROOT / "book" / "references.md").read_text()


def test_api_and_references_close_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for c in toc["chapters"]]
    assert files[-2:] == ["book/api", "book/references"]


# ---------------------------------------------------------------- publishing
def test_workflow_runs_the_readme_commands_and_deploys_pages():
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    steps = [s for job in wf["jobs"].values() for s in job.get("steps", [])]
    uses = " ".join(s.get("uses", "") for s in steps)
    runs = "\n".join(s.get("run", "") for s in steps)
    for action in ("actions/checkout@", "actions/upload-pages-artifact@", "actions/deploy-pages@"):
        assert action in uses, action
    assert runs.index("make test") < runs.index("make book")
    assert "chromium" in runs and "chromium-driver" in runs
    # Python 3.11 on Debian, like .ci/run's machine: Debian's chromium lives at /usr/bin.
    assert wf["jobs"]["build"]["container"] == "python:3.11-bookworm"
    assert wf["jobs"]["deploy"]["needs"] == "build"
    assert "refs/heads/main" in wf["jobs"]["deploy"]["if"]
    readme = (ROOT / "README.md").read_text()
    assert "https://gradient-flow-book.github.io/gradient-flow/" in readme
    assert "actions/workflows/book.yml/badge.svg" in readme
