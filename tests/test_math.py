"""Math rendered at build time (tools/sphinx_math.py, tools/katex_render.js, issue 19).

Quick tests check how a display block's TeX is laid out (as sphinx.ext.mathjax did) and the
configuration; the others run KaTeX on Node.js (``npm ci`` of package.json, which ``make book``
runs): the HTML carries MathML for screen readers, a TeX error is an error (never red text),
a ``\\newcommand`` lasts for its page only, and a real Sphinx build with a bad equation fails
naming the file. The built book's pages are checked in tests/test_browser.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from docutils import nodes

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tools/ is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))
from tools import sphinx_math as sm  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def _block(text, nowrap=False):
    node = nodes.math_block(text, text)
    node["nowrap"] = nowrap
    return node


def test_display_blocks_are_laid_out_as_sphinx_did_for_mathjax():
    assert sm.display_tex(_block("a = b")) == "a = b"
    # a part with line breaks: split (a column of equations, no number of its own)
    assert sm.display_tex(_block(r"a &= b\\ c &= d")) == r"\begin{split}a &= b\\ c &= d\end{split}"
    # parts separated by a blank line: one aligned block, one line each
    assert sm.display_tex(_block("a = b\n\nc = d")) == r"\begin{aligned}a = b\\c = d\end{aligned}"
    # raw amsmath keeps its environment, but never numbers itself (numbers come from labels)
    raw = r"\begin{align}a &= b\end{align}"
    assert sm.display_tex(_block(raw, nowrap=True)) == r"\begin{align*}a &= b\end{align*}"
    assert sm.display_tex(_block(r"\begin{equation*}x\end{equation*}", nowrap=True)) == (
        r"\begin{equation*}x\end{equation*}")


def test_the_book_renders_math_with_katex_and_loads_no_mathjax():
    sphinx = CONFIG["sphinx"]["config"]
    assert sphinx["html_math_renderer"] == "katex_gflow"
    assert not any(key.startswith("mathjax") for key in sphinx), "a MathJax setting is left"
    assert "node_modules" in CONFIG["exclude_patterns"]


def test_katex_is_pinned_exactly_and_locked_with_integrity():
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    version = package["dependencies"]["katex"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"katex is not pinned exactly: {version}"
    entry = lock["packages"]["node_modules/katex"]
    assert entry["version"] == version
    assert all(p.get("integrity", "").startswith("sha512-")
               for name, p in lock["packages"].items() if name), "a locked package has no hash"
    assert "node_modules/" in (ROOT / ".gitignore").read_text().split()


# ---------------------------------------------------------------- KaTeX on Node.js
needs_katex = pytest.mark.e2e  # node and node_modules/katex (npm ci; make book runs it)


@pytest.fixture(scope="module")
def katex():
    if shutil.which("node") is None or not (sm.KATEX_DIST / "katex.min.css").is_file():
        pytest.fail(f"KaTeX is not installed: {sm.INSTALL_HINT}", pytrace=False)
    renderer = sm.KaTeX()
    yield renderer
    renderer.close()


@needs_katex
def test_katex_writes_html_for_the_eye_and_mathml_for_screen_readers(katex):
    html = katex.render(r"\operatorname{tr}(K) = \sum_i \lambda_i", False, "page")
    assert '<span class="katex-html" aria-hidden="true">' in html
    assert "<math" in html and "<annotation encoding=\"application/x-tex\">" in html
    display = katex.render(r"\begin{aligned}a &= b \tag{7}\end{aligned}", True, "page")
    assert 'class="katex-display"' in display and "display=\"block\"" in display


@needs_katex
@pytest.mark.parametrize("tex", [r"\frac{1}{", r"\undefinedmacro x", r"x^",
                                 "\\text{é}^{\\unknown}"])
def test_a_tex_error_is_an_error_not_red_text(katex, tex):
    with pytest.raises(sm.MathError, match="KaTeX parse error"):
        katex.render(tex, True, "page")


@needs_katex
def test_a_new_command_lasts_for_its_page_only(katex):
    katex.render(r"\newcommand{\Kt}{K_t}", False, "book/a")
    assert "K" in katex.render(r"\Kt", False, "book/a")
    with pytest.raises(sm.MathError, match="Undefined control sequence"):
        katex.render(r"\Kt", False, "book/b")


@needs_katex
def test_a_sphinx_build_with_a_bad_equation_fails_naming_the_file(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'tools')!r})\n"
        "extensions = ['sphinx_math']\n"
        "html_math_renderer = 'katex_gflow'\n"
    )
    (src / "index.rst").write_text(
        "Title\n=====\n\nGood :math:`a^2`.\n\n.. math::\n\n   \\frac{1}{\n")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", str(src),
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "index.rst" in proc.stderr and "cannot be rendered" in proc.stderr, proc.stderr
    # and the same page with the equation fixed builds, with KaTeX's stylesheet
    (src / "index.rst").write_text("Title\n=====\n\n.. math::\n\n   \\frac{1}{2}\n")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", str(src),
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "out" / "index.html").read_text()
    assert 'class="katex-display"' in page and "_static/katex/katex.min.css" in page
    # versioned (?v=, Sphinx's checksum of the file as it writes the page) on a first build as
    # on later ones: the stylesheet is in place before the pages are written
    assert re.search(r'_static/katex/katex\.min\.css\?v=[0-9a-f]+"', page), page[:2000]
    assert (tmp_path / "out" / "_static" / "katex" / "fonts" / "KaTeX_Main-Regular.woff2").is_file()
    assert "mathjax" not in page.lower()
