"""Pin the chapters' Colab install cell to a release of gflow_lib, and bump the version.

Every chapter starts with the same install cell (CONTRIBUTING.md). On Colab it installs
``gflow_lib`` from the book's repository at the tag ``v<version>``, the release the notebook
was written for, so that a notebook keeps working when ``main`` moves on; until that tag is
published it falls back to ``main``. The tag is ``"v" + gflow_lib.__version__`` (the version
of the package too: pyproject.toml reads it from ``gflow_lib/__init__.py``).

Usage::

    python -m tools.release 0.3.0   # set __version__, rewrite the install cell everywhere

It rewrites ``gflow_lib/__init__.py`` and the install cell of every ``book/md/*.md`` source
and ``book/*.ipynb`` notebook (the cell's source only: it has no output, so no chapter needs
to be executed again), then prints the git commands that publish the tag.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIRST_LINE = "# Colab: install gflow_lib when it is not importable (does nothing elsewhere)."
INSTALL_CELL = '''\
# Colab: install gflow_lib when it is not importable (does nothing elsewhere).
import importlib.util, subprocess, sys
if importlib.util.find_spec("gflow_lib") is None:
    url = "git+{url}"
    # The release this notebook was written for; main until it is tagged.
    for ref in ("@{tag}", ""):
        cmd = ["pip", "install", "-q", f"gflow_lib @ {{url}}{{ref}}"]
        if subprocess.run([sys.executable, "-m", *cmd]).returncode == 0:
            break
    else:
        raise RuntimeError(f"could not install gflow_lib from {{url}}")'''
_VERSION = re.compile(r'^__version__ = "(?P<version>[^"]+)"$', re.MULTILINE)
_MD_CELL = re.compile(r"(```\{code-cell\}[^\n]*\n(?::[^\n]*\n)*\n?)(?P<body>"
                      + re.escape(FIRST_LINE) + r".*?)(\n```)", re.DOTALL)


def version() -> str:
    """``gflow_lib.__version__``, read from the source (not from an installed copy)."""
    return _VERSION.search((ROOT / "gflow_lib" / "__init__.py").read_text()).group("version")


def repository_url() -> str:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


def install_cell(url: str | None = None, release: str | None = None) -> str:
    """The install cell for a release (default: the current version and repository)."""
    return INSTALL_CELL.format(url=url or repository_url(), tag=f"v{release or version()}")


def set_version(new: str) -> None:
    if not re.fullmatch(r"\d+\.\d+\.\d+", new):
        raise SystemExit(f"version must look like 1.2.3; got {new!r}")
    path = ROOT / "gflow_lib" / "__init__.py"
    path.write_text(_VERSION.sub(f'__version__ = "{new}"', path.read_text(), count=1))


def rewrite_markdown(text: str, cell: str) -> str:
    """A MyST chapter with its install cell replaced (unchanged when it has none)."""
    return _MD_CELL.sub(lambda m: m.group(1) + cell + m.group(3), text, count=1)


def rewrite_notebook(nb, cell: str) -> bool:
    """Replace the install cell of a notebook in place; True when it had one."""
    for c in nb.cells:
        if c.cell_type == "code" and c.source.startswith(FIRST_LINE):
            c.source = cell
            return True
    return False


def rewrite_chapters(cell: str | None = None) -> list[Path]:
    """Write the install cell into every chapter source and notebook; the files changed."""
    cell = cell or install_cell()
    changed = []
    for path in sorted((ROOT / "book" / "md").glob("*.md")):
        text = path.read_text()
        new = rewrite_markdown(text, cell)
        if new != text:
            path.write_text(new)
            changed.append(path)
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        before = [c.source for c in nb.cells]
        if rewrite_notebook(nb, cell) and before != [c.source for c in nb.cells]:
            nbformat.write(nb, path)
            changed.append(path)
    return changed


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m tools.release VERSION   (for example 0.3.0)")
    set_version(argv[0])
    changed = rewrite_chapters()
    print(f"gflow_lib {version()}: install cell rewritten in {len(changed)} files.")
    print("Next: make test, then commit, tag and push the tag (see CONTRIBUTING.md):")
    print(f'  git commit -m "Release {version()}" gflow_lib/__init__.py book && '
          f"git tag v{version()} && "
          f"git push origin main v{version()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
