"""Draw the README's picture with the library: the flow on the loss landscape (the figure of
the chapter on the loss landscape) beside the fitted lines over time.

Usage: ``python -m tools.readme_figure [PATH]`` writes ``docs/readme-figure.png`` (or PATH).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gflow_lib import LinearFlow, gram_eigen  # noqa: E402
from gflow_lib.data import running_example  # noqa: E402
from gflow_lib.frames import loss_surface  # noqa: E402
from gflow_lib.plotting import (  # noqa: E402
    COLORS,
    WIDE_WIDTH,
    apply_style,
    plot_eigen_directions,
    plot_fits,
    plot_landscape,
    plot_path,
)

OUT = Path(__file__).resolve().parent.parent / "docs" / "readme-figure.png"


def main(out=None):
    out = OUT if out is None else Path(out)
    apply_style()
    X, y, phi0 = running_example()
    flow = LinearFlow(X, y, phi0)
    t = np.concatenate([[0.0], np.geomspace(1e-3, 60.0, 500)])
    # the book's widest figure: two panels, text that reads on a phone (issue 19)
    fig, (a, b) = plt.subplots(1, 2, figsize=(WIDE_WIDTH, 3.9), layout="constrained",
                             gridspec_kw={"width_ratios": [1.2, 1]})
    plot_landscape(loss_surface(X, y), ax=a)
    plot_path(flow.params(t), a, color=COLORS["flow"], label="gradient flow", lw=2.5)
    lam, vecs = gram_eigen(X, outer=True)
    plot_eigen_directions(lam, vecs, flow.limit(), a, away=phi0, length=0.25)
    a.set_title("the flow on the loss landscape")
    plot_fits(flow, [0.0, 0.1, 0.3, 2.0, 20.0], ax=b, limit=True)
    b.set_title("the fitted line over time")
    out.parent.mkdir(exist_ok=True)
    fig.savefig(out, dpi=130)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
