"""The live explorer: gradient flow of a line through points, computed in the reader's browser.
Introduced in the chapter on exploring the flow (``book/explorer.ipynb``). One JavaScript file,
``explorer.js`` beside this module, is the whole front end: the flow of the two-parameter model
in closed form (2 x 2 eigendecomposition, no time stepping) with descent or heavy ball beside
it, four linked panels in plain SVG.
It serves Jupyter and Colab (:class:`Explorer`, an anywidget whose state syncs both ways), the
static page (:meth:`Explorer.static_html`, which runs with no kernel, offline), and the tests
(``window.gflowLive.params(X, y, phi0, t)`` against :class:`gflow_lib.LinearFlow`,
``window.gflowLive.heavyBall(X, y, phi0, lr, beta, k)`` against :class:`gflow_lib.HeavyBall`).
After editing ``explorer.js`` or ``explorer.css``, regenerate the chapter
(``python -m tools.notebooks explorer``); nbval fails until then."""

from __future__ import annotations

import html
import json
from pathlib import Path

import anywidget
import numpy as np
import traitlets as tl

from .. import _docs
from ..flow import LinearFlow
from ..momentum import HeavyBall
from ..spectrum import Spectrum

__all__ = ["Explorer", "explorer_css", "explorer_js"]

_HERE = Path(__file__).resolve().parent

#: Defaults of the explorer: the book's three points and start, plain descent (beta = 0), and a
#: crowd of random starts N(phi0, sigma_sq_p I) around the start, small enough to read on the
#: panels (the book's prior N(0, 2 I) would not fit them: see the explorer chapter).
DEFAULTS = {"t": 0.3, "lr": 0.1, "beta": 0.0, "sigma_sq_p": 0.04, "show_descent": True}


def explorer_js() -> str:
    """The explorer's JavaScript (``explorer.js``), a classic script defining ``gflowLive``."""
    return (_HERE / "explorer.js").read_text(encoding="utf-8")


def explorer_css() -> str:
    """The explorer's stylesheet (``explorer.css``)."""
    return (_HERE / "explorer.css").read_text(encoding="utf-8")


def _palette() -> dict:
    """The book's colours for the explorer, read from :mod:`gflow_lib.plotting.style`."""
    from matplotlib.colors import to_hex

    from ..plotting import style

    levels = [to_hex(style.BOOK_CMAP(float(q))) for q in np.linspace(0.05, 0.95, 10)]
    COLORS = style.COLORS
    markers = list(getattr(style, "MARKERS", ["o"]))
    return {"points": list(COLORS["points"]), "markers": markers, "flow": COLORS["flow"],
            "descent": COLORS["descent"], "band": COLORS["band"], "levels": levels}


def _line_problem(X, y, phi0):
    """Check a line-through-points problem; return the points as [[x, y], ...] and phi0."""
    flow = LinearFlow(X, y, phi0)  # checks shapes and finiteness, names the arguments
    if flow.D != 2:
        raise ValueError(f"X must have 2 rows (the inputs, then a row of ones); got shape "
                         f"{flow.X.shape}")
    if not np.all(flow.X[1] == 1.0):
        raise ValueError("X's second row must be all ones (the intercept's input); got "
                         f"{np.array2string(flow.X[1], precision=3, threshold=6)}")
    points = [[float(a), float(b)] for a, b in zip(flow.X[0], flow.y, strict=True)]
    return points, [float(p) for p in flow.phi0]


@_docs.fill
class Explorer(anywidget.AnyWidget):
    r"""The live explorer as a widget for Jupyter and Colab, and as HTML for the static page.
    Introduced in the chapter on exploring the flow. The reader drags the start and the data
    points, sets the time, the learning rate and the variance of random starts; four linked
    panels show the state

    .. math:: \phi(t) = e^{-At}\phi_0 + \Big(\int_0^t e^{-As}\,ds\Big) X y, \qquad A = XX^T,

    on the loss landscape, as the fitted line, as residuals over time, and as predictions with
    the band :math:`m \pm 2\sqrt{v}` over starts :math:`N(\phi_0, \sigma_p^2 I)`; the
    iterates (:math:`k \le t/lr`) of gradient descent, or of heavy ball
    (:class:`gflow_lib.HeavyBall`) when ``beta > 0``, are overlaid.

    Parameters
    ----------
    X : array_like, shape (2, I), optional
        Inputs, then ones (default: the book's three points).
    y : array_like, shape (I,), optional
    phi0 : array_like, shape (2,), optional
        Start (slope, intercept).
    t, lr, beta, sigma_sq_p : float
        Time (0 to 1000), learning rate of gradient descent (0.001 to 10), momentum of heavy
        ball (in [0, 1), 0: plain descent), variance of each entry of a random start (0.001 to 10).
    show_descent : bool
        Overlay gradient descent.

    Attributes
    ----------
    points, phi0, t, lr, beta, sigma_sq_p, show_descent
        The state, synced with the page: ``points`` a list of [x, y], ``phi0`` of 2 floats.

    Examples
    --------
    >>> ex = Explorer()                # doctest: +SKIP
    >>> ex.flow().params(ex.t)         # what the reader set  # doctest: +SKIP
    """

    _esm = explorer_js() + "\nexport default gflowLive.widget;\n"
    _css = explorer_css()

    points = tl.List(tl.List(tl.Float())).tag(sync=True)
    phi0 = tl.List(tl.Float()).tag(sync=True)
    t = tl.Float(DEFAULTS["t"]).tag(sync=True)
    lr = tl.Float(DEFAULTS["lr"]).tag(sync=True)
    beta = tl.Float(DEFAULTS["beta"]).tag(sync=True)
    sigma_sq_p = tl.Float(DEFAULTS["sigma_sq_p"]).tag(sync=True)
    show_descent = tl.Bool(DEFAULTS["show_descent"]).tag(sync=True)
    palette = tl.Dict().tag(sync=True)

    def __init__(self, X=None, y=None, phi0=None, t=DEFAULTS["t"], lr=DEFAULTS["lr"],
                 beta=DEFAULTS["beta"], sigma_sq_p=DEFAULTS["sigma_sq_p"],
                 show_descent=DEFAULTS["show_descent"], **kwargs):
        if X is None and y is None:
            from ..data import running_example

            X, y, start = running_example()
            phi0 = start if phi0 is None else phi0
        elif X is None or y is None:
            raise TypeError("give both X and y, or neither (the book's three points)")
        if phi0 is None:
            phi0 = np.zeros(2)
        points, start = _line_problem(X, y, phi0)
        super().__init__(points=points, phi0=start, t=t, lr=lr, beta=beta, sigma_sq_p=sigma_sq_p,
                         show_descent=show_descent, palette=_palette(), **kwargs)

    # ------------------------------------------------------------ checks of what is set
    @tl.validate("points")
    def _check_points(self, proposal):
        pts = proposal["value"]
        if len(pts) < 1:
            raise tl.TraitError("points must hold at least one [x, y] pair; got none")
        for i, p in enumerate(pts):
            if len(p) != 2 or not all(np.isfinite(p)):
                raise tl.TraitError(f"points[{i}] must be a pair of finite numbers [x, y]; "
                                    f"got {p!r}")
        return pts

    @tl.validate("phi0")
    def _check_phi0(self, proposal):
        p = proposal["value"]
        if len(p) != 2 or not all(np.isfinite(p)):
            raise tl.TraitError(f"phi0 must be two finite numbers (slope, intercept); got {p!r}")
        return p

    @tl.validate("t")
    def _check_t(self, proposal):
        return self._in_range(proposal, "t", 0.0, 1000.0)

    @tl.validate("lr")
    def _check_lr(self, proposal):
        return self._in_range(proposal, "lr", 0.001, 10.0)

    @tl.validate("beta")
    def _check_beta(self, proposal):
        value = proposal["value"]
        if not (np.isfinite(value) and 0.0 <= value < 1.0):
            raise tl.TraitError(f"beta must be a number in [0, 1) (momentum); got {value!r}")
        return value

    @tl.validate("sigma_sq_p")
    def _check_sigma_sq_p(self, proposal):
        return self._in_range(proposal, "sigma_sq_p", 0.001, 10.0)

    @staticmethod
    def _in_range(proposal, name, lo, hi):
        value = proposal["value"]
        if not (np.isfinite(value) and lo <= value <= hi):
            raise tl.TraitError(f"{name} must be a number from {lo:g} to {hi:g}; got {value!r}")
        return value

    # ------------------------------------------------------------ reading the state
    @property
    def X(self) -> np.ndarray:
        """The data matrix of the current points, shape (2, I): inputs, then ones."""
        x = np.array([p[0] for p in self.points], dtype=float)
        return np.vstack([x, np.ones_like(x)])

    @property
    def y(self) -> np.ndarray:
        """The targets of the current points, shape (I,)."""
        return np.array([p[1] for p in self.points], dtype=float)

    def flow(self) -> LinearFlow:
        """The flow the explorer shows now, as a :class:`gflow_lib.LinearFlow`."""
        return LinearFlow(self.X, self.y, np.asarray(self.phi0, dtype=float))

    def iterates(self, k) -> np.ndarray:
        """The orange iterates the explorer shows, phi_k for steps ``k``, shape (len(k), 2):
        heavy ball with ``lr`` and ``beta`` from rest (descent at ``beta = 0``)."""
        path = Spectrum(self.X, self.y).path(HeavyBall(self.lr, self.beta),
                                             np.asarray(self.phi0, dtype=float))
        return path.params(np.atleast_1d(k))

    def set_data(self, X, y, phi0=None):
        """Replace the points (and optionally the start) in one update of the page."""
        points, start = _line_problem(X, y, self.phi0 if phi0 is None else phi0)
        with self.hold_sync():
            self.points = points
            self.phi0 = start

    # ------------------------------------------------------------ display
    def state(self) -> dict:
        """The synced state as plain Python values (what the page starts from)."""
        return {"points": [list(p) for p in self.points], "phi0": list(self.phi0),
                "t": self.t, "lr": self.lr, "beta": self.beta, "sigma_sq_p": self.sigma_sq_p,
                "show_descent": self.show_descent, "palette": dict(self.palette)}

    def static_html(self) -> str:
        """Self-contained HTML of the explorer in its current state, for a page with no kernel:
        the state is a JSON attribute of a ``div`` mounted by the inline stylesheet and script;
        nothing is loaded from elsewhere; the same state gives the same text (nbval compares it)."""
        state = html.escape(json.dumps(self.state(), sort_keys=True, separators=(",", ":")))
        fallback = ("The live explorer needs JavaScript. It shows the loss landscape with the "
                    "path of gradient flow, the fitted line with its residuals, the residuals "
                    "over time and the predictions over random starts, all computed in the "
                    "browser.")
        return (f'<div class="gflow-live-static" data-gflow-live="{state}">'
                f"<noscript><p>{fallback}</p></noscript></div>\n"
                f"<style>{explorer_css()}</style>\n"
                f"<script>{explorer_js()}\ngflowLive.mountBefore(document.currentScript);"
                "</script>\n")

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data)
        data["text/html"] = self.static_html()
        return data, metadata

    def __repr__(self) -> str:
        return (f"Explorer(I={len(self.points)}, phi0=[{self.phi0[0]:.4g}, {self.phi0[1]:.4g}], "
                f"t={self.t:.4g}, lr={self.lr:.4g}, beta={self.beta:.4g}, "
                f"sigma_sq_p={self.sigma_sq_p:.4g})")
