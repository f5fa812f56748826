"""The page benchmark's own code (benchmarks/pages.py): the server compresses as GitHub Pages
does, figures are told from their absence, and the verdicts flag a slow, an inaccessible and a
heavy page. Lighthouse itself runs only in ``make bench``."""

from __future__ import annotations

import gzip
import urllib.request

from benchmarks import pages


def test_the_server_gzips_text_as_github_pages_does(tmp_path):
    (tmp_path / "a.html").write_text("<p>" + "flow " * 2000 + "</p>")
    (tmp_path / "b.png").write_bytes(b"\x89PNG" + bytes(3000))
    httpd, base = pages.serve(tmp_path)
    try:
        ask = {"Accept-Encoding": "gzip"}
        with urllib.request.urlopen(urllib.request.Request(f"{base}/a.html", headers=ask)) as r:
            assert r.headers["Content-Encoding"] == "gzip"
            body = r.read()
        assert len(body) < 1000 and gzip.decompress(body).startswith(b"<p>flow")
        with urllib.request.urlopen(urllib.request.Request(f"{base}/b.png", headers=ask)) as r:
            assert r.headers["Content-Encoding"] is None and len(r.read()) == 3004
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_pages_with_figures_are_told_apart(tmp_path):
    (tmp_path / "fig.html").write_text('<div class="cell_output"><img src="x.png"></div>')
    (tmp_path / "text.html").write_text('<p>No figure.</p><img src="logo.png">')
    assert pages.has_figures(tmp_path / "fig.html")
    assert not pages.has_figures(tmp_path / "text.html")


def test_verdicts_flag_slow_inaccessible_and_heavy_pages():
    good = {"page": "a", "performance": 0.95, "accessibility": 1.0, "bytes": 100_000,
            "limit": pages.MAX_BYTES_NO_FIGURES}
    assert all(ok for _, ok in pages.verdicts([good]))
    for change, word in (({"performance": 0.89}, "performance"),
                         ({"accessibility": 0.98}, "accessibility"),
                         ({"bytes": pages.MAX_BYTES_NO_FIGURES + 1}, "600 KB")):
        failed = [name for name, ok in pages.verdicts([good, {**good, "page": "b", **change}])
                  if not ok]
        assert len(failed) == 1 and word in failed[0] and "'b'" in failed[0], failed


def test_a_row_says_the_load_it_was_measured_at():
    row = {"page": "book/api", "performance": 0.5, "accessibility": 1.0, "bytes": 2048,
           "limit": pages.MAX_BYTES_NO_FIGURES, "lcp_s": 2.0, "tbt_ms": 10.0, "requests": 9,
           "figures": False}
    assert "load=" not in pages.line(row)
    assert pages.line({**row, "load": 3.25}).endswith(" load=3.2")
