"""What the install tests share: the library's sources copied out of the repository."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_package(dest: Path) -> Path:
    """Copy what a build of ``gflow_lib`` needs (pyproject.toml, README.md, LICENSE and the
    package without caches) into ``dest``, so that a build leaves nothing in the repository
    and an install cannot point back into it; ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "gflow_lib", dest / "gflow_lib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest
