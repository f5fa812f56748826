"""The book as a PDF (``make pdf``, tools/pdf.py; issue 19 item 5).

``make pdf`` prints the whole book and checks it itself (a failed check fails the target); it
is not run by ``make test``. Here the same code makes the PDF of one chapter and the
references (a table of contents of its own, the same sources and extensions; its links to
the chapters left out are only warned about), end to end:
single-page build, headless Chromium, and the PDF read back with pypdf: the chapter's title,
every figure, equation number, exercise and reference in its text, cross-references as links
inside the PDF, an outline. Then the check is shown to fail on what the PDF does not hold.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from browsers import require_chrome

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tools/ is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))
from tools import pdf, sphinx_gflow  # noqa: E402

PART = """format: jb-book
root: book/data
chapters:
  - file: book/references
"""


@pytest.fixture(scope="module")
def part(tmp_path_factory):
    """The PDF of the first chapter and the references, and the page it was printed from."""
    require_chrome()
    tmp = tmp_path_factory.mktemp("pdf")
    toc = tmp / "_toc.yml"
    toc.write_text(PART)
    out = tmp / "part.pdf"
    # Not strict: the chapter's links to chapters left out are warnings (make pdf is strict).
    facts = pdf.make(toc, out=out, work=tmp / "work", strict=False)
    return out, pdf.single_page(tmp / "work"), facts


@pytest.mark.e2e
def test_the_pdf_holds_the_chapter_its_figures_equations_exercises_and_references(part):
    out, page, facts = part
    want = pdf.contents(page)
    assert want.chapters[0] == "The data and the model" and "References" in want.chapters
    assert want.figures and want.equations and want.exercises and want.references, want
    got = pdf.read_pdf(out)
    assert got == facts  # what make read and checked is the PDF's
    assert pdf.check(out, page, got, want) == []
    assert facts.pages >= 3 and facts.size > 50_000
    assert facts.internal_links >= 1 and not facts.file_links and facts.outline >= 1
    assert "Summary" in facts.outline_titles  # a heading once (Chromium wrote some twice)
    assert "The data and the model" in facts.text and "References" in facts.text


@pytest.mark.e2e
def test_the_check_fails_on_what_the_pdf_lacks(part, monkeypatch):
    """On the PDF's facts as make read them (the test above shows they are the PDF's): each
    check reads the PDF once, 0.4-0.6 s of CPU."""
    out, page, facts = part
    real = pdf.contents(page)
    for field, value in (("chapters", "A chapter that is not there"),
                         ("figures", "Fig. 99.1"), ("equations", "(99.9)"),
                         ("exercises", "Exercise 99.1 (Missing)"),
                         ("references", "Nobody, A paper never written")):
        more = dataclasses.replace(real, **{field: [*getattr(real, field), value]})
        monkeypatch.setattr(pdf, "contents", lambda _page, more=more: more)
        problems = pdf.check(out, page, facts)
        assert problems and value in " ".join(problems), (field, problems)
    links = dataclasses.replace(real, internal_links=5)
    monkeypatch.setattr(pdf, "read_pdf", lambda _p: dataclasses.replace(
        pdf.PdfFacts(1, 1, "", 0, ["file:///x.html"], 0)))
    monkeypatch.setattr(pdf, "contents", lambda _page: links)
    problems = " ".join(pdf.check(out, page))
    assert "no link inside the PDF" in problems and "file:///x.html" in problems
    assert "no outline" in problems


def test_the_site_links_the_pdf_that_make_pdf_puts_there():
    assert pdf.SITE_NAME == sphinx_gflow.PDF_NAME
    assert pdf.OUT == ROOT / "_build" / "pdf" / "book.pdf"  # what release.yml attaches


def test_outline_entries_get_their_headings_text_once(tmp_path):
    """Chromium wrote a heading at the top of a printed page twice in the outline, and lost
    the space where a heading wrapped; fix_outline names each entry by its heading, and
    check() fails while one is left."""
    from pypdf import PdfReader, PdfWriter

    page = tmp_path / "print.html"
    page.write_text('<article class="bd-article"><h1>The data and the model<a class="headerlink"'
                    ' href="#a">#</a></h1><h2>1. Three points</h2><h2>3. The loss</h2>'
                    "<h2>Wide networks and the neural tangent kernel</h2><h2>Summary</h2>"
                    "</article>")
    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(200, 200)
    top = writer.add_outline_item("The data and the model", 0)
    for title in ("1. Three points", "3. The loss3. The loss",
                  "Wide networks and the neural tangentkernel", "SummarySummary",
                  "Not a heading"):
        writer.add_outline_item(title, 1, parent=top)
    out = tmp_path / "book.pdf"
    with open(out, "wb") as f:
        writer.write(f)

    problems = " ".join(pdf.check(out, page))
    assert "3 outline entries" in problems and "SummarySummary" in problems, problems
    assert pdf.fix_outline(out, page) == 3
    titles = [item.title for item in PdfReader(out).outline[1]]
    assert titles == ["1. Three points", "3. The loss",
                      "Wide networks and the neural tangent kernel", "Summary", "Not a heading"]
    assert "outline" not in " ".join(pdf.check(out, page))
    assert pdf.fix_outline(out, page) == 0  # nothing left to change
