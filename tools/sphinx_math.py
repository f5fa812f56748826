"""Math rendered at build time: every equation becomes HTML and MathML in the built page, and
no page loads math JavaScript.

The HTML math renderer ``katex_gflow`` (``html_math_renderer`` in ``_config.yml``) replaces
sphinx.ext.mathjax: each ``math`` and ``math_block`` node of every page (chapters, notebook
outputs, the API page's docstrings) is sent to one Node.js process running
``tools/katex_render.js`` (KaTeX, installed from ``package.json`` by ``npm ci``: ``make book``
does it). KaTeX writes the visible HTML (``aria-hidden``) and MathML beside it for screen
readers. The pages load ``_static/katex/katex.min.css`` and KaTeX's woff2 fonts (copied from
``node_modules/katex/dist``), only where they have math.

Equation numbers and their links stay Sphinx's (``span.eqno`` before the equation, as with
MathJax), and so does the layout of a display equation with several parts (separated by a
blank line: one ``aligned`` block) or with line breaks (``split``, here ``aligned``). amsmath
environments that would number themselves (``align``, ``equation``, ...) are rendered starred:
numbers come from labels only, as they did with MathJax.

A TeX error (an unknown command, a missing brace, anything KaTeX's strict mode refuses) stops
the build with the page, the line and the TeX: nothing is ever drawn in red on a page.
Display equations wider than the screen scroll inside their own box (``book/site/gflow.css``).
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import subprocess
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "katex_render.js"
KATEX_DIST = ROOT / "node_modules" / "katex" / "dist"
#: Where the stylesheet and fonts go under the built site's ``_static/``.
STATIC = "katex"
INSTALL_HINT = "run `make book` (it runs `npm ci` for package.json) or `npm ci` yourself"

#: amsmath environments that KaTeX numbers by itself; MathJax (tags: none) did not.
NUMBERED_ENVS = re.compile(r"\\(begin|end)\{(equation|align|alignat|gather|multline)\}")


class MathError(ExtensionError):
    """TeX that KaTeX cannot render, or KaTeX that cannot run."""


class KaTeX:
    """One ``node tools/katex_render.js`` process, started on first use, asked line by line."""

    def __init__(self, script: Path = SCRIPT):
        self.script = script
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise MathError("the book's math is rendered by KaTeX on Node.js: `node` is not "
                            "installed (Debian: apt-get install -y nodejs npm); then "
                            + INSTALL_HINT)
        if not (KATEX_DIST / "katex.min.css").is_file():
            raise MathError(f"KaTeX is not installed in {KATEX_DIST.parent}: {INSTALL_HINT}")
        self.proc = subprocess.Popen([node, str(self.script)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, encoding="utf-8",
                                     cwd=str(ROOT), bufsize=1)
        atexit.register(self.close)

    def render(self, tex: str, display: bool, scope: str) -> str:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        request = json.dumps({"tex": tex, "display": display, "scope": scope})
        try:
            self.proc.stdin.write(request + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except OSError as exc:
            raise MathError(f"KaTeX's process failed: {exc}") from exc
        if not line:
            raise MathError(f"KaTeX's process ended (exit {self.proc.poll()}) on {tex!r}")
        answer = json.loads(line)
        if "error" in answer:
            raise MathError(answer["error"])
        return answer["html"]

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None


KATEX = KaTeX()


def display_tex(node: nodes.math_block) -> str:
    """The TeX of a display block as sphinx.ext.mathjax lays it out: parts separated by a
    blank line go in one ``aligned`` block, a part with line breaks in ``split``; a block
    written as raw amsmath (``nowrap``) is kept, its numbered environments starred."""
    text = node.astext()
    if node.get("nowrap"):
        return NUMBERED_ENVS.sub(lambda m: f"\\{m.group(1)}{{{m.group(2)}*}}", text)
    parts = [rf"\begin{{split}}{p}\end{{split}}" if r"\\" in p else p
             for p in text.split("\n\n") if p.strip()]
    if len(parts) > 1:
        return r"\begin{aligned}" + r"\\".join(parts) + r"\end{aligned}"
    return parts[0] if parts else ""


def _render(self, node, tex: str, display: bool) -> str:
    try:
        return KATEX.render(tex, display, self.builder.current_docname)
    except MathError as exc:
        where = f"{node.source or self.builder.current_docname}:{node.line or '?'}"
        raise MathError(f"{where}: the equation cannot be rendered: {exc}\n  TeX: {tex}") from None


def visit_math(self, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(_render(self, node, node.astext(), display=False))
    self.body.append("</span>")
    raise nodes.SkipNode


def visit_displaymath(self, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node.get("number") and not node.get("nowrap"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    # The box that scrolls sideways when the equation is wider than the screen; focusable, so
    # that a keyboard can scroll it too (book/site/gflow.css).
    self.body.append('<div class="gflow-math-scroll" tabindex="0">')
    self.body.append(_render(self, node, display_tex(node), display=True))
    self.body.append("</div></div>\n")
    raise nodes.SkipNode


def page_has_math(app, pagename, doctree) -> bool:
    if doctree is None:
        return False
    return any(True for _ in doctree.findall(lambda n: isinstance(n, (nodes.math,
                                                                        nodes.math_block))))


def add_stylesheet(app, pagename, templatename, context, doctree):
    """KaTeX's stylesheet on the pages that have math (the API page's docstrings included)."""
    if app.builder.format != "html" or app.builder.math_renderer_name != "katex_gflow":
        return
    if app.registry.html_assets_policy == "always" or page_has_math(app, pagename, doctree):
        app.builder.add_css_file(f"{STATIC}/katex.min.css", priority=400)


def _renders_here(app) -> bool:
    return app.builder.format == "html" and app.builder.math_renderer_name == "katex_gflow"


def copy_katex(app):
    """KaTeX's stylesheet and its woff2 fonts (the only format the stylesheet's browsers
    need first; all browsers of the last years read woff2) into ``_static/katex/``, before
    any page is written: Sphinx versions a page's link to a stylesheet that is in place
    (``?v=`` and its checksum), so a first build and a later one write the same pages."""
    if not _renders_here(app):
        return
    if not (KATEX_DIST / "katex.min.css").is_file():
        raise MathError(f"KaTeX is not installed in {KATEX_DIST.parent}: {INSTALL_HINT}")
    dest = Path(app.outdir) / "_static" / STATIC
    (dest / "fonts").mkdir(parents=True, exist_ok=True)
    shutil.copy2(KATEX_DIST / "katex.min.css", dest / "katex.min.css")
    for font in (KATEX_DIST / "fonts").glob("*.woff2"):
        shutil.copy2(font, dest / "fonts" / font.name)


def finish(app, exception):
    """The KaTeX process ends with the build; MathJax's files go from the site."""
    KATEX.close()
    if exception is not None or not _renders_here(app):
        return
    # Sphinx never deletes a static file: MathJax (24 MB) left by a build from before the math
    # was rendered here would stay in the site.
    shutil.rmtree(Path(app.outdir) / "_static" / "mathjax", ignore_errors=True)


def setup(app):
    app.add_html_math_renderer("katex_gflow", (visit_math, None), (visit_displaymath, None))
    app.connect("html-page-context", add_stylesheet)
    app.connect("builder-inited", copy_katex)
    app.connect("build-finished", finish)
    # One KaTeX process per Sphinx process: pages written in parallel would each start one,
    # which works too (rendering is per equation), so writing stays parallel-safe.
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
