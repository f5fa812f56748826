"""The whole book as one PDF (``make pdf`` writes ``_build/pdf/book.pdf``).

How: Jupyter Book builds the book as a single HTML page (Sphinx's ``singlehtml`` builder, the
same sources, configuration and extensions as the site: the math is already HTML and MathML,
rendered at build time by tools/sphinx_math.py), and headless Chromium prints that page to
PDF through the DevTools protocol (``Page.printToPDF``: A4, page numbers in the footer, the
headings as the PDF's outline, links inside the page as links inside the PDF). Every folded
solution is opened before printing. Why not LaTeX: Debian's TeX Live is about 1 GB more to
install, and a LaTeX build of notebook outputs (HTML tables, the explorer's SVG) would need
its own styling of everything; Chromium is already what the tests use, so the PDF looks like
the site and needs nothing new. Print styles: ``book/site/gflow.css`` (``@media print``).

Chromium names an outline entry (a bookmark) by the text it laid out for the heading, and a
heading at the top of a printed page came out twice (seen on every such heading): its entry
read "3. The loss3. The loss"; and a heading that wraps lost the space at the break
("neural tangentkernel"). :func:`fix_outline` gives every entry its heading's text, as the
page has it, in an incremental update of the file (the printed pages are not rewritten).

Then the PDF is read back (:func:`check`): every chapter's title, every figure's caption
number, every equation's number, every exercise's title and every reference must be in its
text, no outline entry may be its heading written twice or without a space, and the links
between its parts must point inside it (no ``file://`` link). A failed check fails
``make pdf``.

Usage::

    python -m tools.pdf                      # build, print and check _build/pdf/book.pdf
    python -m tools.pdf --toc T --out F.pdf  # a book of the files of another _toc.yml
    python -m tools.pdf --check-only F.pdf --html H  # check a PDF against its single page
"""

from __future__ import annotations

import argparse
import base64
import io
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_build" / "pdf" / "book.pdf"
WORK = ROOT / "_build" / "pdf-html"  # the single-page build (git-ignored under _build/)
#: The PDF's name inside the built site, which links to it (tools/sphinx_gflow.py).
SITE_NAME = "gradient-flow.pdf"

#: Sent to Chromium's ``Page.printToPDF``: A4, margins for the page number, backgrounds (the
#: exercise boxes) printed, the document's headings as the PDF's outline (bookmarks).
PRINT_OPTIONS = {
    "paperWidth": 8.27,
    "paperHeight": 11.69,
    "marginTop": 0.6,
    "marginBottom": 0.7,
    "marginLeft": 0.6,
    "marginRight": 0.6,
    "printBackground": True,
    "displayHeaderFooter": True,
    "headerTemplate": "<div></div>",
    "footerTemplate": (
        '<div style="font-size:8px;width:100%;text-align:center;color:#555">'
        '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
    ),
    "generateDocumentOutline": True,
    "generateTaggedPDF": True,
}

PRINT_TIMEOUT_S = 1200
#: The printed text's width in CSS pixels (A4 less the margins, 96 px an inch): the window's,
#: so that the page is laid out as it prints.
TEXT_WIDTH_PX = round((8.27 - 0.6 - 0.6) * 96)

#: Before printing: every folded solution and dropdown opened, every image loaded (the site's
#: figures after the first load only near the window, ``loading="lazy"``: made eager here, or
#: the pages printed far below the window would have none), then wait for the fonts.
PREPARE = """
const done = arguments[arguments.length - 1];
document.querySelectorAll('img[loading="lazy"]').forEach(i => { i.loading = 'eager'; });
document.querySelectorAll('details').forEach(d => { d.open = true; });
document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
document.querySelectorAll('.toggle-details__summary, button.toggle-button')
    .forEach(e => e.setAttribute('aria-expanded', 'true'));
const images = () => Array.from(document.images).every(i => i.complete);
(async () => {
  const start = Date.now();
  while (!images() && Date.now() - start < 30000) { await new Promise(r => setTimeout(r, 50)); }
  await document.fonts.ready;
  // The window is as wide as the printed text: an equation wider than the page is set in a
  // smaller size until it fits (on the site it scrolls in its box; on paper it cannot).
  let fitted = 0;
  document.querySelectorAll('div.math > .gflow-math-scroll').forEach(box => {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.style.fontSize = Math.max(0.5, 0.98 * box.clientWidth / box.scrollWidth) + 'em';
      fitted += 1;
    }
  });
  done({broken: Array.from(document.images).filter(i => !i.naturalWidth).map(i => i.src),
        fitted: fitted});
})();
"""


class PdfError(RuntimeError):
    """The PDF could not be made, or it lacks part of the book."""


# ---------------------------------------------------------------- build and print
def build_single_page(toc: Path | None = None, work: Path = WORK, strict: bool = True) -> Path:
    """Build the book as one HTML page and return that page. ``strict``: a warning fails the
    build (as in make book); a part of the book (``toc``) may need ``strict=False``, since
    its cross-references to chapters left out are warnings."""
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(ROOT), "--builder", "singlehtml", "--keep-going",
           "--path-output", str(work), *(["-W"] if strict else [])]
    if toc is not None:
        cmd += ["--toc", str(toc)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    page = single_page(work)
    if proc.returncode != 0 or page is None:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise PdfError(f"the single-page build failed (exit {proc.returncode}):\n{tail}")
    return page


def single_page(work: Path = WORK) -> Path | None:
    """The page to print, made from a single-page build: Sphinx writes the book to the root
    document's path (``book/intro.html``, which ``index.html`` redirects to) with links to
    images and styles relative to the top folder, and cross-references as links to that
    file. Copied to the top folder as ``print.html`` with its cross-references made links
    inside the page (``#target``), it shows every image and its links stay in the PDF."""
    out = work / "_build" / "singlehtml"
    index = out / "index.html"
    if not index.is_file():
        return None
    match = re.search(r'url=([^"]+\.html)"', index.read_text(encoding="utf-8"))
    root = out / match.group(1) if match else index
    if not root.is_file():
        return None
    text = root.read_text(encoding="utf-8")
    if match:
        text = text.replace(f'href="{match.group(1)}#', 'href="#')
    page = out / "print.html"
    page.write_text(text, encoding="utf-8")
    return page


def _chrome():
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from browsers import HINT, find_chrome
    finally:
        sys.path.remove(str(ROOT / "tests"))
    chrome, driver = find_chrome()
    if chrome is None or driver is None:
        raise PdfError(f"make pdf prints with headless Chromium: {HINT}")
    return chrome, driver


def print_pdf(page: Path, out: Path) -> Path:
    """Print ``page`` (opened from disk, offline) to ``out`` with headless Chromium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chrome, chromedriver = _chrome()
    profile = tempfile.mkdtemp(prefix="gflow-pdf-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(chrome)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", f"--window-size={TEXT_WIDTH_PX},1400",
                 "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(chromedriver)), options=options)
    # Printing a few hundred pages takes minutes on two busy cores: wait for it.
    driver.command_executor.client_config.timeout = PRINT_TIMEOUT_S
    try:
        driver.set_page_load_timeout(PRINT_TIMEOUT_S)
        driver.set_script_timeout(PRINT_TIMEOUT_S)
        driver.get(page.as_uri())
        prepared = driver.execute_async_script(PREPARE)
        if prepared["broken"]:
            raise PdfError(f"images that did not load: {prepared['broken'][:5]}")
        if prepared["fitted"]:
            print(f"{prepared['fitted']} equations wider than the page set smaller to fit")
        data = driver.execute_cdp_cmd("Page.printToPDF", dict(PRINT_OPTIONS))["data"]
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(data))
    return out


# ---------------------------------------------------------------- what the book holds
def _norm(text: str) -> str:
    """Text compared between the page and the PDF: NFKC (ligatures), no soft hyphens, one
    space for any run of white space, no space before punctuation."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = re.sub(r"\s+", " ", text)
    return re.sub(r" ([,.;:)])", r"\1", text).strip()


@dataclass
class Contents:
    """What the single page holds, for comparison with the PDF."""

    chapters: list[str] = field(default_factory=list)  # page titles (h1), in order
    figures: list[str] = field(default_factory=list)  # caption numbers, "Fig. 2.1"
    equations: list[str] = field(default_factory=list)  # "(2.4)"
    exercises: list[str] = field(default_factory=list)  # exercise titles
    references: list[str] = field(default_factory=list)  # start of each bibliography entry
    internal_links: int = 0
    headings: list[str] = field(default_factory=list)  # every h1-h6, as the outline names it


def contents(page: Path) -> Contents:
    """Titles, numbers and references of the single page, as text a reader sees (math left
    out: KaTeX's layout comes out of a PDF in another order; equations are found by their
    numbers)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    main = soup.select_one("article.bd-article") or soup
    got = Contents()
    got.internal_links = len(main.select('a.reference.internal[href^="#"]'))
    for hidden in main.select("a.headerlink"):
        hidden.decompose()
    got.headings = [_norm(h.get_text()) for h in main.find_all(re.compile(r"^h[1-6]$"))]
    for hidden in main.select(".katex"):
        hidden.decompose()
    # The root document's title, then each included document's (singlehtml nests them).
    first = main.find("h1")
    got.chapters = [_norm(first.get_text())] if first else []
    for mark in main.select('span[id^="document-"]'):
        section = mark.find_next_sibling("section")
        title = section.find(re.compile(r"^h[1-6]$")) if section else None
        if title is not None:
            got.chapters.append(_norm(title.get_text()))
    got.figures = [_norm(s.get_text()) for s in main.select("figcaption .caption-number")]
    got.equations = [_norm(s.get_text()) for s in main.select("div.math span.eqno")]
    got.exercises = [_norm(t.get_text()) for t in main.select(".exercise .admonition-title")]
    got.references = [_norm(c.get_text())[:40] for c in main.select(".citation > p")]
    return got


# ---------------------------------------------------------------- reading the PDF back
@dataclass
class PdfFacts:
    pages: int
    size: int
    text: str
    internal_links: int
    file_links: list[str]
    outline: int
    outline_titles: list[str] = field(default_factory=list)


def read_pdf(path: Path) -> PdfFacts:
    from pypdf import PdfReader

    data = Path(path).read_bytes()
    reader = PdfReader(io.BytesIO(data))
    texts, internal, files = [], 0, []
    for pdf_page in reader.pages:
        texts.append(pdf_page.extract_text() or "")
        for annot in pdf_page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A")
            action = action.get_object() if action is not None else {}
            uri = str(action.get("/URI", ""))
            if "/Dest" in annot or action.get("/S") == "/GoTo":
                internal += 1
            elif uri.startswith("file:"):
                files.append(uri)
    titles = [_norm(str(node["/Title"])) for node in _outline_nodes(reader.trailer["/Root"])]
    return PdfFacts(pages=len(reader.pages), size=len(data), text=_norm(" ".join(texts)),
                    internal_links=internal, file_links=files, outline=len(reader.outline),
                    outline_titles=titles)


# ---------------------------------------------------------------- the outline
def _outline_nodes(root) -> list:
    """The outline's entries (dictionaries with ``/Title``) in document order."""
    outlines = root.get("/Outlines")
    found, stack = [], []
    node = outlines.get_object().get("/First") if outlines is not None else None
    while node is not None or stack:
        if node is None:
            node = stack.pop()
            continue
        node = node.get_object()
        found.append(node)
        if "/First" in node:
            stack.append(node.get("/Next"))
            node = node["/First"]
        else:
            node = node.get("/Next")
    return found


def heading_title(title: str, headings: dict[str, str]) -> str:
    """The text of the heading an outline entry stands for: ``headings`` maps each heading's
    text without spaces to the text. An entry written twice ("SummarySummary") or that lost
    a space where its heading wrapped is found by its letters; one that is no heading keeps
    its text (once, if it was written twice)."""
    text = _norm(title)
    key = text.replace(" ", "")
    half = len(key) // 2
    if key not in headings and len(key) % 2 == 0 and key[:half] == key[half:]:
        key = key[:half]
        doubled = text[:len(text) // 2] if text[:len(text) // 2] == text[len(text) // 2:] \
            else text
        text = _norm(doubled)
    return headings.get(key, text)


def fix_outline(pdf: Path, page: Path, want: Contents | None = None) -> int:
    """Give every outline entry of ``pdf`` the text of its heading in ``page`` (the single
    page it was printed from; ``want``: its :func:`contents` when read already); returns how
    many entries changed. Written as an incremental update: only the changed entries are
    appended to the file."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    want = want if want is not None else contents(page)
    headings = {h.replace(" ", ""): h for h in reversed(want.headings)}
    writer = PdfWriter(str(pdf), incremental=True)
    changed = 0
    for node in _outline_nodes(writer._root_object):
        title = str(node["/Title"])
        new = heading_title(title, headings)
        if new != title:
            node[NameObject("/Title")] = TextStringObject(new)
            changed += 1
    if changed:
        with open(pdf, "wb") as out:
            writer.write(out)
    return changed


def check(pdf: Path, page: Path, got: PdfFacts | None = None,
          want: Contents | None = None) -> list[str]:
    """What the PDF lacks of the single page it was printed from ([] when nothing). ``got``
    and ``want``: the PDF's facts (:func:`read_pdf` of ``pdf``) and the page's
    (:func:`contents` of ``page``) when they have been read already."""
    want = want if want is not None else contents(page)
    got = got if got is not None else read_pdf(pdf)
    squeezed = got.text.replace(" ", "")
    problems = []

    def missing(items, what):
        lost = [item for item in items if item.replace(" ", "") not in squeezed]
        if lost:
            problems.append(f"{len(lost)} of {len(items)} {what} are not in the PDF's text: "
                            f"{lost[:5]}")

    if not want.chapters:
        problems.append(f"no chapter title (h1) found in {page}")
    missing(want.chapters, "chapter titles")
    missing(want.figures, "figure numbers")
    missing(want.equations, "equation numbers")
    missing(want.exercises, "exercise titles")
    missing(want.references, "references")
    figures_in_pdf = set(re.findall(r"Fig\. ?\d+(?:\.\d+)?", got.text))
    if len({f.replace(" ", "") for f in figures_in_pdf}) < len(set(want.figures)):
        problems.append(f"the PDF names {len(figures_in_pdf)} figures, the book has "
                        f"{len(set(want.figures))}")
    if want.internal_links and got.internal_links == 0:
        problems.append(f"no link inside the PDF (the page has {want.internal_links} "
                        "cross-references)")
    if got.file_links:
        problems.append(f"links to files of the build machine: {got.file_links[:3]}")
    if want.chapters and got.outline == 0:
        problems.append("the PDF has no outline (bookmarks)")
    headings = {h.replace(" ", ""): h for h in reversed(want.headings)}
    strange = [title for title in got.outline_titles
               if heading_title(title, headings) != title]
    if strange:
        problems.append(f"{len(strange)} outline entries are not their heading's text "
                        f"(written twice, a space lost): {strange[:5]}")
    return problems


def make(toc: Path | None = None, out: Path = OUT, work: Path = WORK,
         strict: bool = True) -> PdfFacts:
    """Build, print and check; copy the PDF into the built site when there is one."""
    started = time.monotonic()
    page = build_single_page(toc, work, strict)
    print_pdf(page, out)
    want = contents(page)
    fixed = fix_outline(out, page, want)
    facts = read_pdf(out)
    problems = check(out, page, facts, want)
    if problems:
        raise PdfError(f"{out} is incomplete:\n  " + "\n  ".join(problems))
    site = ROOT / "_build" / "html"
    if toc is None and out == OUT and (site / "index.html").is_file():
        shutil.copy2(out, site / SITE_NAME)
    print(f"{out}: {facts.pages} pages, {facts.size / 2**20:.1f} MB, "
          f"{facts.internal_links} internal links, {len(facts.outline_titles)} outline "
          f"entries ({fixed} named anew from their headings) "
          f"({time.monotonic() - started:.0f} s)")
    return facts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toc", type=Path, help="another _toc.yml (a part of the book)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--work", type=Path, default=WORK, help="where to build the page")
    parser.add_argument("--check-only", type=Path, metavar="PDF")
    parser.add_argument("--html", type=Path, help="the single page a --check-only PDF is of")
    args = parser.parse_args(argv)
    try:
        if args.check_only:
            page = args.html or single_page(args.work)
            problems = check(args.check_only, page)
            if problems:
                raise PdfError("\n  ".join(problems))
        else:
            make(args.toc, args.out, args.work)
    except PdfError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
