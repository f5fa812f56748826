"""The book's configuration keeps the site self-contained, launchable on Colab and complete.

No build is needed here: these tests read ``_config.yml``, ``_toc.yml``, the bibliography,
the workflow and ``tools/fetch_assets.py``, and exercise the asset fetcher's failure modes
(checksum mismatch, a file missing after unpacking, a version that does not exist).

Each test checks a relation between files or a property that a wrong edit breaks (a URL
that disagrees with the README, an asset path the fetcher does not provide, a cited key
missing from the bibliography); none restates a value of the configuration. What the
configuration produces is checked on the built site by tests/test_browser.py (Colab links,
local widgets, math rendered at build time, the API reference).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from browsers import in_ci

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tools/ is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))
from tools import fetch_assets as fa  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
SPHINX = CONFIG["sphinx"]["config"]
# The works the book must credit: the blog series it grows out of (references.md says so)
# and the papers the chapters lean on. Keys cited in the text are found by
# test_every_cited_key_is_in_the_bibliography.
BIB_KEYS = (
    "prince2024gradientflow", "prince2024ntk1", "prince2024ntk2", "prince2024bayes1",
    "prince2024bayes2", "ali2019continuous", "barrett2021implicit", "jacot2018ntk",
    "lee2019wide",
)


# ---------------------------------------------------------------- Colab and the repository
def test_repository_is_the_one_the_readme_publishes():
    """The repository of _config.yml (Colab and source links) is the one whose workflow badge
    and GitHub Pages site the README shows, and the branch the workflow deploys."""
    url = CONFIG["repository"]["url"]
    m = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", url)
    assert m, f"repository.url must be https://github.com/OWNER/NAME, got {url!r}"
    owner, name = m.groups()
    readme = (ROOT / "README.md").read_text()
    assert f"https://{owner}.github.io/{name}/" in readme
    assert f"github.com/{owner}/{name}/actions/workflows/book.yml/badge.svg" in readme
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    branch = CONFIG["repository"].get("branch", "main")
    assert f"refs/heads/{branch}" in wf["jobs"]["deploy"]["if"]
    # The Colab links open book/NAME.ipynb: the book sits at the repository's root.
    assert CONFIG["repository"].get("path_to_book", "") == ""
    assert (ROOT / _toc()["root"]).with_suffix(".ipynb").exists()


def test_contributing_install_cell_uses_the_configured_url():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    # the install cell of tools/release.py: url = "URL", then the release tag or main
    assert f"url = \"{CONFIG['repository']['url']}\"" in text


# ---------------------------------------------------------------- a self-contained site
def test_widget_manager_is_the_fetched_assets():
    """The widget manager is served from the folder fetch_assets fills, at paths that
    fetch_assets requires to exist after unpacking: no URL, no file it does not check. (The
    math needs no script: tests/test_math.py.)"""
    static = SPHINX["html_static_path"]
    assert static[0] == fa.VENDOR.relative_to(ROOT).as_posix()
    for folder in static[1:]:  # the book's own files, in the repository, not named _static
        assert (ROOT / folder).is_dir() and "_static" not in folder, folder
    required = {f"{a.dest}/{rel}" for a in fa.ASSETS for rel, _ in a.required}
    paths = list(SPHINX["nb_ipywidgets_js"])
    assert len(paths) >= 2, "require.js and the widget manager"
    for path in paths:
        assert "://" not in path and not path.startswith("//"), path
        assert path in required, f"{path} is not a file that tools/fetch_assets.py checks"
    assert not any(v for v in SPHINX["nb_ipywidgets_js"].values() if "://" in str(v))


def test_vendor_folder_is_not_a_static_folder_and_is_ignored():
    # Jupyter Book 1 injects every .js/.css under a top-level _static/ into every page.
    assert fa.VENDOR.name != "_static"
    assert not (ROOT / "_static").exists(), (
        "a top-level _static/ folder makes Jupyter Book inject every .js/.css of every "
        "html_static_path folder into every page"
    )
    ignored = (ROOT / ".gitignore").read_text().split()
    vendor = fa.VENDOR.relative_to(ROOT).as_posix()
    cache_top = fa.CACHE.relative_to(ROOT).parts[0]
    assert f"{vendor}/" in ignored and f"{cache_top}/" in ignored
    assert vendor in CONFIG["exclude_patterns"]


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


@pytest.mark.e2e  # asks the npm registry
@pytest.mark.skipif(shutil.which("npm") is None and not in_ci(),
                    reason="npm is not installed (in CI, where make book needs it, this fails)")
def test_a_version_that_does_not_exist_fails(tmp_path, capsys):
    """Asks the npm registry for requirejs@0.0.404 (no such version): a loud failure."""
    bogus = replace(fa.ASSETS[0], version="0.0.404")
    status = fa.main([], assets=(bogus,), vendor=tmp_path / "vendor", cache=tmp_path / "c")
    err = capsys.readouterr().err
    assert status == 1
    assert f"{bogus.name}@0.0.404" in err and "npm pack" in err


def test_folders_no_asset_fills_are_removed(tmp_path):
    """A folder left in _vendor/ by an asset no longer fetched (MathJax) would be copied into
    every built site: fetch_assets removes it and keeps the others."""
    vendor = tmp_path / "vendor"
    for name in ("mathjax", fa.ASSETS[0].dest):
        (vendor / name).mkdir(parents=True)
    assert fa.prune(vendor) == ["mathjax"]
    assert sorted(p.name for p in vendor.iterdir()) == [fa.ASSETS[0].dest]


def test_missing_npm_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(fa.shutil, "which", lambda name: None)
    with pytest.raises(fa.AssetError, match="apt-get install -y npm"):
        fa.npm_pack(fa.ASSETS[0], tmp_path)


# ---------------------------------------------------------------- API reference, bibliography
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


def _bibliography():
    from pybtex.database import BibliographyData, parse_file

    bib = BibliographyData()
    for name in CONFIG["bibtex_bibfiles"]:
        for key, entry in parse_file(str(ROOT / name)).entries.items():
            bib.add_entry(key, entry)
    return bib


def test_bibliography_holds_every_key():
    bib = _bibliography()
    assert set(BIB_KEYS) <= set(bib.entries)
    for key, entry in bib.entries.items():
        assert entry.fields.get("title") and entry.fields.get("year"), key
        assert entry.persons.get("author"), key
    assert "{bibliography}" in (ROOT / "book" / "references.md").read_text()


CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")


def test_every_cited_key_is_in_the_bibliography():
    sources = sorted((ROOT / "book").glob("*.md")) + sorted((ROOT / "book" / "md").glob("*.md"))
    cited = {key.strip() for p in sources for keys in CITE.findall(p.read_text())
             for key in keys.split(",")}
    assert cited, "no {cite} role found in the book: the pattern is out of date"
    missing = cited - set(_bibliography().entries)
    assert not missing, f"cited but not in the bibliography: {sorted(missing)}"


def _toc():
    return yaml.safe_load((ROOT / "_toc.yml").read_text())


def test_api_and_references_come_after_every_chapter():
    """The back matter closes the table of contents: a chapter added at the end of the list
    would land after the references."""
    toc = _toc()
    entries = toc.get("chapters", []) + [c for p in toc.get("parts", []) for c in p["chapters"]]
    files = [c["file"] for c in entries]
    back = {"book/api", "book/references"}
    assert back <= set(files)
    chapters = [i for i, f in enumerate(files) if (ROOT / f).with_suffix(".ipynb").exists()]
    assert chapters and max(chapters) < min(i for i, f in enumerate(files) if f in back)


# ---------------------------------------------------------------- publishing
def test_workflow_runs_the_readme_commands_and_deploys_pages():
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    steps = [s for job in wf["jobs"].values() for s in job.get("steps", [])]
    uses = " ".join(s.get("uses", "") for s in steps)
    runs = "\n".join(s.get("run", "") for s in steps)
    for action in ("actions/checkout@", "actions/upload-pages-artifact@", "actions/deploy-pages@"):
        assert action in uses, action
    # The commands the README's set-up block gives (a line each, `make test` then `make book`).
    commands = re.findall(r"^(make \w+)\b", (ROOT / "README.md").read_text(), re.MULTILINE)
    assert commands[:2] == ["make test", "make book"], commands
    at = [runs.find(c) for c in commands[:2]]
    assert -1 < at[0] < at[1], f"the workflow must run {commands[:2]} in this order"
    assert "chromium" in runs and "chromium-driver" in runs
    # The Python of the pinned toolchain, on Debian, where the browser test finds chromium.
    python = re.search(r"\(Python (\d+\.\d+)\)", (ROOT / "requirements.txt").read_text())
    assert python, "requirements.txt no longer says which Python it pins for"
    container = wf["jobs"]["build"]["container"]
    assert re.fullmatch(rf"python:{re.escape(python.group(1))}-(bookworm|trixie)", container)
    assert wf["jobs"]["deploy"]["needs"] == "build"


def test_the_pinned_toolchain_is_installed_as_pinned_without_rfc3987_syntax():
    """requirements.txt is installed with --no-deps, so the environment is the pinned set: no
    rfc3987-syntax, whose import builds a parser (3.6 s of CPU) in every process that imports
    jsonschema (nbformat, nbval, each pytest worker, the grader). The Makefile's install must
    stay --no-deps with a pip check, and the running environment must not import it."""
    pins = {line.split("==")[0].lower()
            for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line}
    assert "rfc3987-syntax" not in pins and "lark" not in pins
    assert {"setuptools", "wheel"} <= pins, "make freeze must keep pip freeze --all's pins"
    make = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --no-deps -r requirements.txt" in make
    assert "pip check" in make
    probe = "import sys, jsonschema; print(sorted(m for m in sys.modules if 'rfc3987' in m))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", f"jsonschema imported {out}: rebuild the venv with make"


# ---------------------------------------------------------------- citing the book
CFF_REQUIRED = ("cff-version", "message", "title", "authors")  # CFF 1.2.0's required keys


def _citation():
    return yaml.safe_load((ROOT / "CITATION.cff").read_text())


def _library_version() -> str:
    text = (ROOT / "gflow_lib" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE).group(1)


def _cite_box() -> str:
    """The BibTeX entry of the "Cite this book" admonition of book/md/intro.md."""
    intro = (ROOT / "book" / "md" / "intro.md").read_text()
    box = re.search(r":::\{admonition\} Cite this book\n(?P<body>.*?)\n:::\n", intro, re.DOTALL)
    assert box, 'book/md/intro.md has no ":::{admonition} Cite this book" box'
    entry = re.search(r"```bibtex\n(?P<entry>@\w+\{.*?\n\})\n```", box.group("body"), re.DOTALL)
    assert entry, "the Cite this book box holds no ```bibtex block with one entry"
    return entry.group("entry")


def _bibtex_field(entry: str, field: str) -> str:
    match = re.search(rf"^\s*{field}\s*=\s*\{{(.*)\}},?\s*$", entry, re.MULTILINE)
    assert match, f"the BibTeX entry has no {field} field: {entry}"
    return match.group(1)


def test_citation_file_is_cff_1_2_0_with_the_book_version_and_repository():
    cff = _citation()
    missing = [key for key in CFF_REQUIRED if key not in cff]
    assert not missing, f"CITATION.cff lacks the required keys {missing}"
    assert cff["cff-version"] == "1.2.0"
    assert cff["authors"] and all("name" in a or "family-names" in a for a in cff["authors"])
    assert str(cff["version"]) == _library_version(), (cff["version"], _library_version())
    assert cff["repository-code"] == CONFIG["repository"]["url"]
    licenses = cff["license"] if isinstance(cff["license"], list) else [cff["license"]]
    pyproject = (ROOT / "pyproject.toml").read_text()
    code_licence = re.search(r'^license = "([^"]+)"$', pyproject, re.MULTILINE).group(1)
    assert code_licence in licenses and "CC-BY-4.0" in licenses, licenses


def test_cite_box_agrees_with_the_citation_file_and_the_library():
    entry, cff = _cite_box(), _citation()
    assert _bibtex_field(entry, "version") == str(cff["version"]) == _library_version()
    assert _bibtex_field(entry, "url") == cff["repository-code"] == CONFIG["repository"]["url"]
    assert _bibtex_field(entry, "title") == cff["title"]


def test_license_is_an_spdx_string_with_its_file():
    # A `license = { text = ... }` table makes setuptools >= 77 warn (deprecated, PEP 639).
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^license = "MIT"$', pyproject, re.MULTILINE), "license is not SPDX"
    files = re.search(r"^license-files = \[(.*)\]$", pyproject, re.MULTILINE)
    assert files and all((ROOT / f.strip().strip('"')).is_file()
                         for f in files.group(1).split(",")), files
    requires = re.search(r'requires = \["setuptools>=(\d+)', pyproject).group(1)
    assert int(requires) >= 77, "SPDX license strings need setuptools >= 77"

