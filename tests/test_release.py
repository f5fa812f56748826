"""The Colab install cell is pinned to the release (tools/release.py): it installs tag
v<gflow_lib.__version__>, and main while that tag does not exist. Run here against a local
git repository, with pip's options from the environment (a target folder, no dependencies),
in an isolated Python that does not see the installed gflow_lib."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from tools import release

ROOT = Path(__file__).resolve().parent.parent


def _git(repo, *args):
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.org",
                    "-c", "init.defaultBranch=main", *args], cwd=repo, check=True,
                   capture_output=True)


def _repository(tmp_path, tag: bool) -> Path:
    """A copy of the package in a git repository: the current version, tagged or not, then a
    later commit on main that calls itself 9.9.9."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(ROOT / "gflow_lib", repo / "gflow_lib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "release")
    if tag:
        _git(repo, "tag", f"v{release.version()}")
    init = repo / "gflow_lib" / "__init__.py"
    init.write_text(re.sub(r'__version__ = "[^"]+"', '__version__ = "9.9.9"', init.read_text()))
    _git(repo, "commit", "-q", "-am", "main moves on")
    return repo


def _run_cell(tmp_path, repo) -> str:
    """Run the install cell with the local repository's URL; the version it installed."""
    code = release.install_cell(url=repo.as_uri(), release=release.version())
    site = tmp_path / "site"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(PIP_TARGET=str(site), PIP_NO_DEPS="1", PIP_NO_BUILD_ISOLATION="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (info,) = site.glob("gflow_lib-*.dist-info")
    return info.name.removeprefix("gflow_lib-").removesuffix(".dist-info")


def test_the_cell_installs_the_release_tag(tmp_path):
    assert _run_cell(tmp_path, _repository(tmp_path, tag=True)) == release.version()


def test_without_the_tag_the_cell_falls_back_to_main(tmp_path):
    assert _run_cell(tmp_path, _repository(tmp_path, tag=False)) == "9.9.9"


def test_the_tag_is_the_packages_version():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in pyproject["project"]["dynamic"]
    attr = pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "gflow_lib.__version__"
    cell = release.install_cell()
    assert f'("@v{release.version()}", "")' in cell
    assert all(len(line) <= 80 for line in cell.splitlines())


def test_rewriting_a_chapter_changes_only_its_install_cell():
    text = (ROOT / "book" / "md" / "data.md").read_text()
    assert release.rewrite_markdown(text, release.install_cell()) == text
    other = release.rewrite_markdown(text, release.install_cell(release="7.0.0"))
    changed = [a for a, b in zip(text.splitlines(), other.splitlines(), strict=True) if a != b]
    assert changed == ['    for ref in ("@v{}", ""):'.format(release.version())]


@pytest.mark.parametrize("bad", ["1.2", "v1.2.3", "1.2.3rc"])
def test_a_bad_version_is_refused(bad):
    with pytest.raises(SystemExit, match="version must look like 1.2.3"):
        release.set_version(bad)


def test_contributing_gives_the_release_steps():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    assert "python -m tools.release" in text and "git tag v" in text
