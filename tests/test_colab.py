"""The chapters run where readers run them: on Colab, with only the installed library.

On Colab a chapter notebook sits alone in a fresh folder: the first code cell installs
``gflow_lib`` from the repository (``repository.url`` of ``_config.yml``) and everything after
it imports the *installed* package. These tests check that

* every chapter's first code cell is exactly the install cell of CONTRIBUTING.md, tagged
  ``remove-cell``, with the URL configured in ``_config.yml``;
* no chapter touches ``sys.path``;
* every chapter notebook executes without error from a temporary folder outside the
  repository, in a kernel whose only ``gflow_lib`` is a regular (non-editable) install of this
  repository into ``<tmp>/site`` (``pip install --no-deps --target``), and the notebook itself
  asserts that ``gflow_lib.__file__`` lies there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
SOURCES = sorted(p for p in (BOOK / "md").glob("*.md") if p.name != "README.md")

INSTALL_CELL = """\
# Colab: install gflow_lib when it is not importable (does nothing elsewhere).
import importlib.util, subprocess, sys
if importlib.util.find_spec("gflow_lib") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "gflow_lib @ git+{url}"],
                   check=True)"""


def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"]


def expected_install_cell() -> str:
    return INSTALL_CELL.format(url=repository_url())


def _ids(paths):
    return [p.stem for p in paths]


def _code_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def test_repository_url_is_the_books_repository():
    url = repository_url()
    assert url.startswith("https://github.com/") and not url.endswith((".git", "/")), url


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_first_code_cell_is_the_install_cell(path):
    code = _code_cells(path)
    if not code:
        pytest.skip(f"{path.name} has no code cells, so nothing to install")
    first = code[0]
    assert first.source.strip() == expected_install_cell(), (
        f"{path.name}: the first code cell must be exactly the Colab install cell of "
        f"CONTRIBUTING.md with the URL of _config.yml ({repository_url()}); it is:\n"
        f"{first.source}"
    )
    assert "remove-cell" in first.metadata.get("tags", []), (
        f"{path.name}: the install cell must be tagged remove-cell"
    )
    later = [c for c in code[1:] if "pip install" in c.source]
    assert not later, f"{path.name}: only the first code cell may install packages"


@pytest.mark.parametrize("path", NOTEBOOKS + SOURCES, ids=_ids(NOTEBOOKS) + [
    f"md-{p.stem}" for p in SOURCES])
def test_chapters_never_touch_sys_path(path):
    text = path.read_text()
    for needle in ("sys.path", "PYTHONPATH", "os.chdir"):
        assert needle not in text, (
            f"{path.relative_to(ROOT)} mentions {needle}: chapters import the installed "
            "library, never a path into the repository"
        )


# ----------------------------------------------------------------- executing like Colab
@pytest.fixture(scope="session")
def colab_site(tmp_path_factory):
    """A regular install of this repository's library into ``<tmp>/site``.

    The sources are copied out first, so the build leaves no ``build/`` folder in the
    repository and the install cannot point back into it.
    """
    base = tmp_path_factory.mktemp("colab")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "gflow_lib", src / "gflow_lib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    site = base / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--target", str(site), str(src)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, f"pip install --target failed:\n{proc.stderr[-3000:]}"
    assert (site / "gflow_lib" / "__init__.py").is_file()
    return site


def _where_check_cell(site: Path):
    return nbformat.v4.new_code_cell(
        "import pathlib as _p, gflow_lib as _g\n"
        f"_site = _p.Path({str(site.resolve())!r})\n"
        "assert _site in _p.Path(_g.__file__).resolve().parents, (\n"
        "    f'gflow_lib imported from {_g.__file__}, not from the installed copy in {_site}')\n"
    )


def run_like_colab(nb_path: Path, site: Path, workdir: Path, timeout: int = 120):
    """Execute a copy of ``nb_path`` in ``workdir`` with only ``site`` on the import path.

    A cell that checks where ``gflow_lib`` comes from is inserted right after the install
    cell (and another at the end). Raises ``CellExecutionError`` on the first failing cell.
    """
    nb = nbformat.read(nb_path, as_version=4)
    code_idx = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    at = code_idx[0] + 1 if code_idx else 0
    nb.cells.insert(at, _where_check_cell(site))
    nb.cells.append(_where_check_cell(site))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(site)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=env, cwd=str(workdir))
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_chapter_runs_from_the_installed_package(path, colab_site, tmp_path):
    workdir = tmp_path / "colab-run"
    try:
        run_like_colab(path, colab_site, workdir)
    except CellExecutionError as exc:
        pytest.fail(
            f"{path.name} fails when run like on Colab (outside the repository, with only "
            f"the installed gflow_lib):\n{str(exc)[-3000:]}",
            pytrace=False,
        )
    assert ROOT not in workdir.resolve().parents
