"""The chapters run where readers run them: on Colab, with only the installed library.

On Colab a chapter notebook sits alone in a fresh folder: the first code cell installs
``gflow_lib`` from the repository (``repository.url`` of ``_config.yml``) and everything after
it imports the *installed* package. These tests check that

* every chapter's first code cell is exactly the install cell of CONTRIBUTING.md, tagged
  ``remove-cell``, with the URL configured in ``_config.yml``;
* no chapter touches ``sys.path``;
* the library is installed once, as a regular (non-editable) install of this repository into
  ``<tmp>/site`` (``pip install --no-deps --target``), and holds every module of ``gflow_lib``;
* one chapter (the one that imports the most ``gflow_lib`` modules) executes without error
  in a temporary folder outside the repository, in a kernel with only that install on the
  path, and the notebook itself asserts that ``gflow_lib.__file__`` lies in the install;
* every import statement of every chapter succeeds in that kernel, after the chapter (one
  more cell, the import probe), and every ``gflow_lib`` module loaded comes from the install
  (when the chapter fails, the probe runs in a fresh process in such a folder instead).

Executing every chapter here as well would run each chapter twice per test run: nbval
already executes all of them (with the repository's library), and what differs on Colab, the
installed package, is covered by the checks above. The one chapter run here (about 5 s) is the
only chapter executed twice by ``make test``. The tests that install the package or run a
kernel are not in the quick tier (tests/conftest.py marks the users of ``colab_site`` e2e).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import yaml
from install_support import copy_package
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools import release

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
SOURCES = sorted(p for p in (BOOK / "md").glob("*.md") if p.name != "README.md")

def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"]


def expected_install_cell() -> str:
    """The cell of tools/release.py with the URL and branch of _config.yml and the tag of the
    version (tests/test_release.py runs it in a fresh environment against a local repository,
    with and without the tag)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return release.install_cell(url=config["url"], release=release.version(),
                                branch=config.get("branch", "main"))


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


@pytest.mark.parametrize("path", SOURCES, ids=_ids(SOURCES))
def test_every_source_starts_with_the_install_cell(path):
    """The MyST sources too (make notebooks writes the notebooks from them): a source with an
    old cell would bring it back into its notebook."""
    text = path.read_text()
    if "```{code-cell}" not in text:
        pytest.skip(f"{path.name} has no code cells")
    first = text.index("```{code-cell}")
    assert release.FIRST_LINE in text and text.index(release.FIRST_LINE) > first
    assert release.rewrite_markdown(text, expected_install_cell()) == text, (
        f"{path.name}: the install cell is not tools.release.install_cell() for this version "
        "(python -m tools.release --cells rewrites every chapter's cell)")
    assert text.index(expected_install_cell()) < text.index("```{code-cell}", first + 1)


def test_contributing_shows_the_install_cell_as_it_is():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    shown = "\n".join(("   " + line) if line else "" for line in
                      expected_install_cell().splitlines())
    assert f"   ```python\n{shown}\n   ```" in text, (
        "CONTRIBUTING.md's copy of the install cell differs from tools.release.install_cell()")


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
    src = copy_package(base / "src")
    site = base / "site"
    proc = subprocess.run(
        # pyproject.toml's build back end in an isolated build environment, as on Colab.
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--target", str(site), str(src)],
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


def run_like_colab(nb_path: Path, site: Path, workdir: Path, timeout: int = 120,
                   imports: dict[str, list[str]] | None = None):
    """Execute a copy of ``nb_path`` in ``workdir`` with only ``site`` on the import path.

    A cell that checks where ``gflow_lib`` comes from is inserted right after the install
    cell (and another at the end). With ``imports``, the import probe of those statements
    runs as the last cell (``probe_report`` reads its report). Raises ``CellExecutionError``
    on the first failing cell.
    """
    nb = nbformat.read(nb_path, as_version=4)
    code_idx = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    at = code_idx[0] + 1 if code_idx else 0
    nb.cells.insert(at, _where_check_cell(site))
    nb.cells.append(_where_check_cell(site))
    if imports is not None:
        nb.cells.append(nbformat.v4.new_code_cell(
            IMPORT_PROBE + f"print(_gflow_import_probe({str(site)!r}, {imports!r}))\n"
            "del _gflow_import_probe\n"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = _colab_env(site)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=env, cwd=str(workdir))
    return nb


def _colab_env(site: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(site)
    return env


def chapter_imports(path: Path) -> list[str]:
    """Every import statement of a chapter's code cells after the install cell (at any
    depth: an import inside a function counts), as source lines."""
    imports = []
    for cell in _code_cells(path)[1:]:
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imports.append(ast.unparse(node))
    return imports


#: The import probe: a function that runs each chapter's import statements and returns, as
#: JSON, {chapter: [failures]} and, under "<where>", the gflow_lib modules loaded from anywhere
#: but the install. Run in the Colab chapter's kernel (run_like_colab) or in a fresh process
#: (import_failures).
IMPORT_PROBE = """
def _gflow_import_probe(site, imports):
    import json, pathlib, sys
    site = pathlib.Path(site).resolve()
    report = {}
    for chapter, lines in imports.items():
        for line in lines:
            try:
                exec(line, {})
            except Exception as exc:
                report.setdefault(chapter, []).append(f"{line}: {type(exc).__name__}: {exc}")
    where = {name: getattr(mod, "__file__", None) for name, mod in list(sys.modules.items())
             if name.split(".")[0] == "gflow_lib"}
    outside = sorted(f"{name} from {path}" for name, path in where.items()
                     if site not in pathlib.Path(path or "/").resolve().parents)
    if outside:
        report["<where>"] = outside
    return json.dumps(report)
"""


def probe_report(nb) -> dict:
    """The report that the import probe, the last cell of ``nb``, printed."""
    text = "".join(out.get("text", "") for out in nb.cells[-1].outputs
                   if out.get("output_type") == "stream" and out.get("name") == "stdout")
    return json.loads(text.strip().splitlines()[-1])


def import_failures(imports: dict[str, list[str]], site: Path, workdir: Path) -> dict:
    """Run the import statements of each chapter in one fresh process in ``workdir`` with
    only ``site`` on the path. Returns {chapter: [failures]} and, under ``"<where>"``, the
    gflow_lib modules loaded from anywhere but ``site``."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = _colab_env(site)
    env["MPLBACKEND"] = "Agg"
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE + "import json, sys\n"
         "print(_gflow_import_probe(sys.argv[1], json.loads(sys.argv[2])))",
         str(site), json.dumps(imports)],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_installed_copy_holds_every_module(colab_site):
    """Every module, and the live explorer's JavaScript and stylesheet (package data)."""
    def modules(root):
        return {p.relative_to(root).as_posix() for pattern in ("*.py", "*.js", "*.css")
                for p in root.rglob(pattern) if "__pycache__" not in p.parts}

    assert "widgets/explorer.js" in modules(ROOT / "gflow_lib")
    missing = modules(ROOT / "gflow_lib") - modules(colab_site / "gflow_lib")
    assert not missing, (f"the installed package lacks {sorted(missing)} (pyproject packages "
                         "and package-data?)")


def test_every_chapter_imports_from_the_installed_package(colab_run):
    """The probe ran in the Colab chapter's kernel (or, when the chapter failed, in a fresh
    process in such a folder)."""
    assert sum(any("gflow_lib" in line for line in v) for v in colab_run.imports.values()) >= 3
    failures = colab_run.import_failures
    assert not failures, (
        "chapter imports that fail with only the installed gflow_lib (as on Colab):\n"
        + json.dumps(failures, indent=1)
    )


def test_import_check_can_fail(colab_site, tmp_path):
    """A name the package lacks is reported, and so is a gflow_lib found anywhere but in the
    install: here a stray gflow_lib folder beside the notebook, which Python finds first."""
    workdir = tmp_path / "stray"
    (workdir / "gflow_lib").mkdir(parents=True)
    (workdir / "gflow_lib" / "__init__.py").write_text("")
    (workdir / "gflow_lib" / "data.py").write_text("")
    failures = import_failures({"x": ["from gflow_lib.data import no_such_name"]}, colab_site,
                               workdir)
    assert len(failures["x"]) == 1 and "no_such_name" in failures["x"][0], failures
    assert any(str(workdir) in line for line in failures["<where>"]), failures


def _gflow_modules(path: Path) -> set[str]:
    found = set()
    for line in chapter_imports(path):
        node = ast.parse(line).body[0]
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
            a.name for a in node.names]
        found |= {n for n in names if n.split(".")[0] == "gflow_lib"}
    return found


@pytest.fixture(scope="session")
def colab_chapter():
    """The chapter executed like on Colab: the one that imports the most gflow_lib modules
    (found when a test needs it, not when the module is imported)."""
    chapter = max(NOTEBOOKS, key=lambda p: (len(_gflow_modules(p)), p.stem), default=None)
    assert chapter is not None, "no chapter notebooks"
    return chapter


@pytest.fixture(scope="session")
def colab_run(colab_chapter, colab_site, tmp_path_factory):
    """The Colab chapter executed like on Colab, then the import probe of every chapter's
    imports in its kernel (one kernel for both: a process started for the probe alone cost
    1.5 s of CPU). ``error`` is the chapter's CellExecutionError or None; when the chapter
    failed, the probe runs in a fresh process in a folder beside it instead."""
    workdir = tmp_path_factory.mktemp("colab-run") / "colab-run"
    imports = {p.stem: chapter_imports(p) for p in NOTEBOOKS}
    try:
        nb = run_like_colab(colab_chapter, colab_site, workdir, imports=imports)
    except CellExecutionError as exc:
        error = exc
        failures = import_failures(imports, colab_site, workdir.parent / "colab-imports")
    else:
        error, failures = None, probe_report(nb)
    return SimpleNamespace(chapter=colab_chapter, workdir=workdir, error=error,
                           imports=imports, import_failures=failures)


@pytest.mark.notebooks  # the one chapter executed a second time per run: see the docstring
def test_a_chapter_runs_from_the_installed_package(colab_run):
    if colab_run.error is not None:
        pytest.fail(
            f"{colab_run.chapter.name} fails when run like on Colab (outside the repository, "
            f"with only the installed gflow_lib):\n{str(colab_run.error)[-3000:]}",
            pytrace=False,
        )
    assert ROOT not in colab_run.workdir.resolve().parents
