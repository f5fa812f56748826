"""Benchmark W1 (``make bench``): how fast and how heavy every page of the built book is.

Each page of ``_build/html`` (every document of ``_toc.yml``, the index, the module index and
the search page) is served on 127.0.0.1 and measured by Lighthouse 12 (a devDependency in
``package.json``; installed by ``npm ci`` when missing) in its default mobile simulation
(a mid-range phone on a slow 4G connection, simulated throttling) with headless Chromium
(``CHROME_PATH``, else the browser tests/browsers.py finds). The server compresses HTML,
CSS, JavaScript and SVG with gzip, as GitHub Pages does for the published site, so the
weights are what a reader downloads.

Per page: Lighthouse's performance and accessibility scores, the bytes transferred (its
``total-byte-weight``), the largest contentful paint and the total blocking time, whether
the page has figures, and the machine's load (1-minute average) when its run started.
Targets (issue 19): performance >= 0.90 on every page, accessibility 1.00, a page without
figures <= 600 KB, a page with figures (a chapter) <= 1.5 MB.

Usage::

    python -m benchmarks.pages                 # every page of _build/html
    python -m benchmarks.pages --html DIR --pages book/intro book/api --json out.json

A benchmark, not a test: scores move with the machine's load (the simulation is of the
network and CPU, but Lighthouse's own run still shares the cores); run it on an idle machine.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from tools.myst import toc_documents

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
OUT = ROOT / "_build" / "bench" / "pages.json"
EXTRA_PAGES = ("genindex", "py-modindex", "search")
KB = 1024
#: Issue 19's targets.
MIN_PERFORMANCE = 0.90
MIN_ACCESSIBILITY = 1.00
MAX_BYTES_NO_FIGURES = 600 * KB
MAX_BYTES_FIGURES = 1536 * KB
COMPRESSED = (".html", ".css", ".js", ".svg", ".json", ".txt", ".xml", ".map")
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                "--disable-background-networking --disable-component-update --disable-sync "
                "--disable-dev-shm-usage")


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, text types gzip-compressed when the client accepts it (as GitHub Pages
    serves them)."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.is_file() and path.suffix in COMPRESSED):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def serve(site: Path):
    handler = functools.partial(GzipHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def pages_of_the_book(site: Path) -> list[str]:
    docs = toc_documents(ROOT / "_toc.yml")
    return [d for d in [*docs, *EXTRA_PAGES] if (site / f"{d}.html").is_file()]


def has_figures(page: Path) -> bool:
    """A page with figures: a figure, or an image or a drawing in a notebook output."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(encoding="utf-8", errors="replace"), "html.parser")
    return bool(soup.select("figure, .cell_output img, .cell_output svg"))


def chrome_path() -> str:
    if os.environ.get("CHROME_PATH"):
        return os.environ["CHROME_PATH"]
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from browsers import find_chrome
    finally:
        sys.path.remove(str(ROOT / "tests"))
    chrome, _ = find_chrome()
    if chrome is None:
        raise SystemExit("no Chrome or Chromium found (make chromium), or set CHROME_PATH")
    return str(chrome)


def ensure_lighthouse() -> Path:
    """Lighthouse from package.json's devDependencies (npm ci, which installs KaTeX too), or
    the one the ``LIGHTHOUSE`` variable names."""
    if os.environ.get("LIGHTHOUSE"):
        return Path(os.environ["LIGHTHOUSE"])
    if LIGHTHOUSE.is_file():
        return LIGHTHOUSE
    if shutil.which("npm") is None:
        raise SystemExit("the page benchmark needs npm (Debian: apt-get install -y npm)")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
    (ROOT / "node_modules" / ".installed").touch()  # what make book's npm ci would install
    return LIGHTHOUSE


def lighthouse(url: str, lh: Path, chrome: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="gflow-lh-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [str(lh), url, "--only-categories=performance,accessibility", "--output=json",
               f"--output-path={report}", "--quiet", "--max-wait-for-load=60000",
               f"--chrome-flags={CHROME_FLAGS} --user-data-dir={tmp}/profile"]
        env = dict(os.environ, CHROME_PATH=chrome)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        if proc.returncode != 0 or not report.is_file():
            raise RuntimeError(f"lighthouse failed on {url}: {proc.stderr[-800:]}")
        data = json.loads(report.read_text())
    audits, cats = data["audits"], data["categories"]
    return {
        "performance": cats["performance"]["score"],
        "accessibility": cats["accessibility"]["score"],
        "bytes": audits["total-byte-weight"]["numericValue"],
        "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "requests": len(audits["network-requests"]["details"]["items"]),
    }


def measure(site: Path = HTML, pages=None) -> list[dict]:
    if not (site / "index.html").is_file():
        raise SystemExit(f"no built book in {site}: run `make book` first")
    lh, chrome = ensure_lighthouse(), chrome_path()
    httpd, base = serve(site)
    rows = []
    try:
        for doc in pages or pages_of_the_book(site):
            row = {"page": doc, "figures": has_figures(site / f"{doc}.html"),
                   "load": os.getloadavg()[0]}
            row.update(lighthouse(f"{base}/{doc}.html", lh, chrome))
            row["limit"] = MAX_BYTES_FIGURES if row["figures"] else MAX_BYTES_NO_FIGURES
            print(line(row), flush=True)
            rows.append(row)
    finally:
        httpd.shutdown()
        httpd.server_close()
    return rows


def line(r: dict) -> str:
    return (f"W1 {r['page']:<26} performance={r['performance']:.2f} "
            f"accessibility={r['accessibility']:.2f} KB={r['bytes'] / KB:7.0f} "
            f"(limit {r['limit'] // KB}) LCP={r['lcp_s']:.1f}s TBT={r['tbt_ms']:.0f}ms "
            f"requests={r['requests']} figures={'yes' if r['figures'] else 'no'}"
            + (f" load={r['load']:.1f}" if "load" in r else ""))


def verdicts(rows: list[dict]) -> list[tuple[str, bool]]:
    slow = [r["page"] for r in rows if r["performance"] < MIN_PERFORMANCE]
    inaccessible = [r["page"] for r in rows if r["accessibility"] < MIN_ACCESSIBILITY]
    heavy = [r["page"] for r in rows if r["bytes"] > r["limit"]]
    return [
        (f"W1 performance >= {MIN_PERFORMANCE} on every page {slow or ''}", not slow),
        (f"W1 accessibility = 1.00 on every page {inaccessible or ''}", not inaccessible),
        (f"W1 <= 600 KB without figures, <= 1.5 MB with {heavy or ''}", not heavy),
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", type=Path, default=HTML, help="the built site (_build/html)")
    ap.add_argument("--pages", nargs="*", help="documents to measure (default: all)")
    ap.add_argument("--json", type=Path, default=OUT, help="where to write the numbers")
    args = ap.parse_args(argv)
    rows = measure(args.html, args.pages)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=1))
    results = verdicts(rows)
    for name, ok in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
