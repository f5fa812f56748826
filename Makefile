# Two commands do all the set-up: `make test` and `make book`.
# Both create .venv from requirements.txt when it is missing or older than the pins.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# npm ci of package.json (KaTeX for the build): see the target below.
NODE_STAMP := node_modules/.installed

.PHONY: test quick book bench notebooks freeze lint clean assets chromium

# requirements.txt is the whole toolchain, so it is installed exactly as written (--no-deps) and
# then checked for consistency (pip check). That leaves out rfc3987-syntax (and lark, its only
# user), which jupyter-events' jsonschema[format-nongpl] would pull in: at import it builds a
# Lark parser, 3.6 s of CPU in every process that imports jsonschema (nbformat, nbval, every
# pytest worker, the grader, JupyterLab), for jsonschema's 'iri' format check, which nothing
# here uses. The uninstall clears it from venvs made before.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.txt
	$(BIN)/python -m pip uninstall --quiet --yes rfc3987-syntax lark 2>/dev/null || true
	$(BIN)/python -m pip check
	@touch $@

# The tests import the library, the tools and the test modules in many processes (each
# pytest worker, a kernel per chapter, the grader's kernels, fresh interpreters): Python keeps
# their bytecode in __pycache__ (ignored by git) even where PYTHONDONTWRITEBYTECODE is set,
# else each process compiles them again and pytest rewrites every test module again (the
# collection of the tests took 10.0 s of CPU per process instead of 5.8 s).
KEEP_BYTECODE := PYTHONDONTWRITEBYTECODE=

# Two tiers (CONTRIBUTING.md, "Test tiers"). `make test` runs everything: the library tests,
# nbval on every chapter (each chapter executed once), the built pages in headless Chromium,
# one end-to-end grading. The tests read the built pages and never build them, so it builds the
# book first and makes sure headless Chromium is there. Parallel over files (pytest-xdist,
# --dist loadfile: the cells of one notebook stay in order in one worker), the longest files
# first (--no-loadscope-reorder keeps the order of tests/conftest.py); PYTEST_ARGS passes
# options, e.g. make test PYTEST_ARGS="-n 0" for one process.
test: $(STAMP) book chromium
	$(KEEP_BYTECODE) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15 $(PYTEST_ARGS)

# make test's workers: one per core. A worker more filled the suite's waits (a kernel or a
# browser starting, the grader's time limits) while they were long; with fewer waits it costs
# more than it fills: each worker collects every test (about 5 s of CPU) and starts its own
# kernel zygote and Chromium, and three busy processes on two cores do the same work in more
# CPU time. On the 2-core machine, idle, one run after the other (6 December 2026, evening):
# 2 workers 153.1, 148.0 and 149.3 s of pytest (293, 282 and 285 s of CPU in all), 3 workers
# 156.4 and 156.1 s (319 and 317 s of CPU). In the afternoon, before the last changes, three
# had been faster (153.3 and 153.6 s against 165.7 s). On 7 December the machine had a faster
# CPU (AMD EPYC with AVX-512; about 180 s of CPU per run): 2 workers 118.9, 116.4, 126.4 and
# 138.8 s, 3 workers 126.2 s. TEST_WORKERS=3 picks another number.
CORES := $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 1)
TEST_WORKERS ?= $(CORES)

# The edit loop: the unit and property tests, without notebooks, kernels, browsers, the built
# book or end-to-end runs (everything marked slow), in parallel. A new test is in it unless
# marked; tests over 2 s are named at the end (mark them).
quick: $(STAMP)
	$(KEEP_BYTECODE) $(BIN)/python -m pytest tests -m "not slow" -n auto -q $(PYTEST_ARGS)

# The stamp tells the built-book tests that _build/html is as fresh as its sources.
book: $(STAMP) assets $(NODE_STAMP)
	$(BIN)/jupyter-book build . -W --keep-going
	@touch _build/.book-built

# KaTeX, which renders the math at build time (tools/sphinx_math.py): npm ci installs exactly
# what package-lock.json pins, integrity-checked, into node_modules/ (the build's, not the
# pages'); Lighthouse (a devDependency, for make bench) is left out here.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "make book needs Node.js and npm (Debian: apt-get install -y npm)"; exit 1; }
	npm ci --omit=dev --no-audit --no-fund
	@touch $@

# The widget manager and Font Awesome, fetched with npm pack into _vendor/ and
# checksum-verified: the site loads nothing from a CDN. Fails loudly when an asset cannot be fetched.
assets: $(STAMP)
	$(BIN)/python -m tools.fetch_assets

# Headless Chromium and its driver for the browser test. Nothing to do when tests/browsers.py
# finds Chrome or Chromium and chromedriver (Linux, macOS, or CHROME and CHROMEDRIVER); else
# Debian's packages through apt-get (as root, about a minute once), or a hint elsewhere.
chromium:
	@if $(BIN)/python -c "import sys; sys.path.insert(0, 'tests'); from browsers import find_chrome; sys.exit(not all(find_chrome()))" 2>/dev/null; then \
	  :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing the Debian packages chromium and chromium-driver for tests/test_browser.py"; \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; } \
	  || echo "WARNING: could not install chromium (apt-get install chromium chromium-driver); the browser test will fail in CI and skip elsewhere"; \
	else \
	  echo "WARNING: no Chrome or Chromium with chromedriver found: install them (macOS: brew install --cask chromium chromedriver) or set CHROME and CHROMEDRIVER; the browser test skips without them (fails in CI)"; \
	fi

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# The whole book as one PDF, _build/pdf/book.pdf (tools/pdf.py): the book built as a single
# HTML page (same sources and extensions, warnings fail), printed by headless Chromium, then
# read back (every chapter title, figure, equation number, exercise and reference must be in
# it, and its cross-references must be links inside it). When _build/html exists the PDF is
# also copied there as gradient-flow.pdf, which every page's footer links to. A few minutes.
.PHONY: pdf
pdf: $(STAMP) assets $(NODE_STAMP) chromium
	$(BIN)/python -m tools.pdf

# Regenerate every chapter notebook from its MyST source and execute it in order.
notebooks: $(STAMP)
	$(BIN)/python -m tools.notebooks

lint: $(STAMP)
	$(BIN)/ruff check gflow_lib tests tools benchmarks
	$(BIN)/ruff check book/*.ipynb --extend-ignore=E401,E402,F401,I001

freeze: $(STAMP)
	{ echo "# The whole toolchain, pinned exactly (Python 3.11). Regenerate with: make freeze"; \
	  $(BIN)/python -m pip freeze --all --exclude-editable | grep -v '^-e' | grep -v '^pip=='; echo "-e ."; } > requirements.txt.new
	mv requirements.txt.new requirements.txt

clean:
	rm -rf _build

# Student copies of every chapter (solutions removed, code to write stubbed, outputs cleared),
# generated from the MyST sources into _build/student/ (git-ignored). See book/instructors.md.
.PHONY: student
student: $(STAMP)
	$(BIN)/python -m tools.student --out _build/student

# A learner's setup: JupyterLab on the chapter notebooks in book/, from .venv (created from the
# pins when missing). It builds no book and needs no Chromium. LAB_ARGS passes options, e.g.
# make lab LAB_ARGS="--no-browser --port=8899". As root (a container), it passes --allow-root.
# The file browser lists the notebooks, not book/md/ (their MyST sources) nor book/site/ (the
# site's styles); only .ipynb files open as notebooks (jupytext would open any .md as one).
LAB_HIDE := "['__pycache__', '*.pyc', '*.pyo', '.DS_Store', '*~', 'md', 'site']"
.PHONY: lab
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=book --ContentsManager.hide_globs=$(LAB_HIDE) \
	  --ContentsManager.notebook_extensions=ipynb \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# Make a release (tools/release.py; CONTRIBUTING.md, Releases): checks that VERSION is x.y.z and
# greater than gflow_lib.__version__ and that the tree is clean; sets the version, pins every
# chapter's Colab install cell to tag vVERSION, dates CHANGELOG.md's Unreleased section; runs
# make test and make book; commits and tags vVERSION locally and prints the push command (it
# never pushes). SKIP_CHECKS=1 leaves out make test and make book: only for the tests of this
# command itself (tests/test_release.py), never for a real release.
.PHONY: release
release: $(STAMP)
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z [SKIP_CHECKS=1]"; exit 2; }
	$(BIN)/python -m tools.release "$(VERSION)" $(if $(SKIP_CHECKS),--skip-checks)

# Grade a folder of submitted notebooks (completed student copies, or the book's own chapters):
# each runs in a kernel of its own, the verdict is computed outside it. Writes
# SUBMISSIONS/grades.csv, gradebook.csv, summary.csv and feedback/. SEED=N (required, private)
# draws the hidden test problems. See tools/grade.py and book/instructors.md.
.PHONY: grade
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=DIR SEED=N"; exit 2; }
	@test -n "$(SEED)" || { echo "make grade needs SEED=N, a private random integer kept for the \
course; choose one with: python -c \"import secrets; print(secrets.randbelow(10**9))\""; exit 2; }
	$(BIN)/python -m tools.grade "$(SUBMISSIONS)" --seed "$(SEED)"
