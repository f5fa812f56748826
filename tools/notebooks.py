"""Regenerate chapter notebooks from their MyST sources and execute them in order.

The MyST text in ``book/md/NAME.md`` is the source of truth; ``book/NAME.ipynb`` is generated
from it and executed from a fresh kernel with the pinned environment (``jupyter execute
--inplace``), so nbval can compare every stored output.

Usage::

    python -m tools.notebooks            # every chapter
    python -m tools.notebooks data       # only book/md/data.md
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jupytext

from gflow_lib.plotting.style import PHONE_SWITCH

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "book" / "md"
OUT = ROOT / "book"


def sources(names=None, folder: Path = SRC) -> list[Path]:
    """The chapter MyST sources in ``folder``, optionally only the given stems."""
    paths = sorted(p for p in Path(folder).glob("*.md") if p.name != "README.md")
    if names:
        wanted = set(names)
        paths = [p for p in paths if p.stem in wanted]
        missing = wanted - {p.stem for p in paths}
        if missing:
            raise SystemExit(f"no MyST source for: {', '.join(sorted(missing))}")
    return paths


def convert(md_path: Path) -> Path:
    """Write ``book/<stem>.ipynb`` from the MyST source (outputs are dropped)."""
    nb = jupytext.read(md_path, fmt="md:myst")
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    out = OUT / f"{md_path.stem}.ipynb"
    jupytext.write(nb, out, fmt="ipynb")
    return out


def execute(nb_path: Path) -> None:
    """Execute a notebook in place from a fresh kernel, in order."""
    subprocess.run(
        [str(Path(sys.executable).parent / "jupyter"), "execute", "--inplace", str(nb_path)],
        check=True,
        cwd=nb_path.parent,
        # the stored outputs carry phone renderings of wide figures (gflow_lib.plotting.phone)
        env={**os.environ, PHONE_SWITCH: "1"},
    )


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def drop_static_widget_state(nb_path: Path) -> None:
    """Drop the stored state of anywidget models (the live explorer) and of the models they
    reference (their layout). Their output carries its own ``text/html``, which the book
    renders; stored widget state would only make the page load the ipywidgets manager."""
    import json

    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state")
    if not state:
        return
    drop = {k for k, m in state.items() if m.get("model_module") == "anywidget"}
    for key in list(drop):
        text = json.dumps(state[key].get("state", {}))
        drop |= {k for k in state if f"IPY_MODEL_{k}" in text}
    if not drop:
        return
    for key in drop:
        del state[key]
    if not state:
        del nb.metadata["widgets"]
    nbformat.write(nb, nb_path)


def main(argv=None):
    names = (argv if argv is not None else sys.argv[1:]) or None
    for md in sources(names):
        nb = convert(md)
        execute(nb)
        drop_static_widget_state(nb)
        print(f"executed {nb.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
