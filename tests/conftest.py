"""Shared set-up for the library tests: the test tiers, a reproducible hypothesis profile, the
seed data, and reference implementations that share no code with :mod:`gflow_lib`.

Tiers (CONTRIBUTING.md, "Test tiers"): ``make quick`` runs ``pytest tests -m "not slow"``, the
unit and property tests; ``make test`` runs everything, nbval on every chapter included. A test
marked ``notebooks`` (starts a Jupyter kernel), ``browser`` (Chromium or JupyterLab), ``book``
(reads the built pages in ``_build/html``) or ``e2e`` (a tool run end to end in subprocesses)
is also marked ``slow`` here, and so is a test that uses one of :data:`HEAVY_FIXTURES`; an
unmarked test is in the quick tier.

The references are independent methods: a numerical ODE solve of the gradient flow, the exact
matrix exponential of an augmented system (``scipy.linalg.expm``), and small-step gradient
descent written out here. They are exposed as session-scoped fixtures so that hypothesis tests
can use them too.
"""

from __future__ import annotations

import functools
import os
import platform
import sys
from pathlib import Path
from types import SimpleNamespace

import kernel_fork
import numpy as np
import pytest
import scipy.linalg
from hypothesis import HealthCheck, settings
from scipy.integrate import solve_ivp

# Reproducible and quick: the same examples on every run, no deadline (a 2-core machine shared
# by many processes has noisy timings), at most 50 examples per property.
settings.register_profile(
    "gflow",
    derandomize=True,
    deadline=None,
    max_examples=50,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("gflow")

# The kernels of this run (nbval's chapters, the student copies, the grader's) inherit this:
# under the inline backend each figure is drawn once, when shown, not also by pyplot's
# after-cell hook (gflow_lib.plotting.style.apply_style; a drawing error still fails its cell,
# tests/test_notebooks.py shows it). `make notebooks` stores outputs drawn as in a reader's
# kernel. GFLOW_DRAW_ONCE=0 in the environment runs the tests with both drawings.
os.environ.setdefault("GFLOW_DRAW_ONCE", "1")

# The kernels and subprocesses of this run (nbval's chapters above all) use OpenBLAS's
# Sandybridge kernels (AVX, no FMA) on x86-64 Linux, where the stored outputs come from the
# machine's own (`make notebooks`: AVX2 or AVX-512 on the machines this book is made on). So
# `make test` fails wherever a stored output depends on the BLAS kernel, as it would on a
# reader's machine or on another CI machine (six cells did, found on 7 December 2026;
# tests/test_notebooks.py shows the failure). Set in pytest_configure, after this process has
# loaded numpy, and not in xdist's controller, whose workers would inherit it: the library's
# tests keep the machine's kernels (the older ones cost the quick tier 10 % more CPU).
# OPENBLAS_CORETYPE in the environment picks another.
def _blas_core_for_tests() -> str | None:
    """Sandybridge where OpenBLAS can run it (x86-64 Linux with AVX), else None."""
    if not sys.platform.startswith("linux") or platform.machine() != "x86_64":
        return None
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines()
                  if line.startswith("flags")), [])
    return "Sandybridge" if "avx" in flags else None


def pytest_configure(config):
    controller = not hasattr(config, "workerinput") and config.getoption("numprocesses", None)
    core = _blas_core_for_tests()
    if not controller and core and "OPENBLAS_CORETYPE" not in os.environ:
        os.environ["OPENBLAS_CORETYPE"] = core


# The kernels of nbval (every chapter) and of tests/test_student.py are forked from one process
# per pytest worker that has imported ipykernel, numpy, scipy, matplotlib and gflow_lib once
# (tests/kernel_fork.py, which says what a forked kernel keeps of a fresh one and the CPU it
# saves; tests/test_kernel_fork.py checks it); tests/test_colab.py keeps a fresh kernel.
# GFLOW_FORK_KERNELS=0 starts every kernel on its own.
kernel_fork.install()


def pytest_unconfigure(config):
    kernel_fork.stop()  # the zygote ends with the run, and its kernels with it


# ----------------------------------------------------------------------------- tiers
ROOT = Path(__file__).resolve().parent.parent
# GFLOW_BOOK_ROOT points the built-book tests at another copy of the book (a scratch build).
BOOK_ROOT = Path(os.environ.get("GFLOW_BOOK_ROOT") or ROOT)
HTML = BOOK_ROOT / "_build" / "html"
# Written by `make book` after a successful build (see the Makefile).
BOOK_STAMP = BOOK_ROOT / "_build" / ".book-built"
# Markers that take a test out of the quick tier (each implies `slow`).
TIER_MARKERS = ("notebooks", "browser", "book", "e2e")
# Fixtures whose users belong to a tier: tests in files this conftest does not edit are placed
# by the fixture they use (the fixture is where the cost is).
HEAVY_FIXTURES = {
    "built_book": "book",  # below: the pages of `make book`
    "site": "book",  # tests/test_browser.py: the built pages
    "server": "browser",  # tests/test_browser.py: an http.server for Chromium
    "browser": "browser",  # tests/test_browser.py: headless Chromium
    "lab": "browser",  # tests/test_widget.py: JupyterLab
    "chrome": "browser",  # tests/test_widget.py: Chromium on JupyterLab
    "colab_site": "e2e",  # tests/test_colab.py: pip install of the library
    "graded": "e2e",  # tests/test_grade_attacks.py, test_grade.py: a class graded end to end
}
# Slow tests of files that other work owns, by "file::test" (every parameter), with why; a
# marker written in the test file itself does the same. Measured with --durations on a 2-core
# machine (seconds for all parameters together, under load).
SLOW_TESTS = {
    # fresh interpreters importing gflow_lib module pairs (14 s)
    "tests/test_layering.py::test_modules_import_fresh_in_either_order": "slow",
    "tests/test_layering.py::test_the_numbers_and_the_widget_load_no_drawing_layer": "slow",
    # every hidden problem of every seed, three variants of each answer (12 s)
    "tests/test_hidden.py::test_a_correct_variant_passes_every_problem_of_every_seed": "slow",
    # Monte Carlo over network weights (6 s)
    "tests/test_kernels.py::test_kernels_match_high_precision_monte_carlo_over_weights": "slow",
    # stiff ODE solves (Radau) as the reference (6 s)
    "tests/test_numerics.py::test_matches_matrix_exponential": "slow",
    # every feedback of every table on many answers (5 s)
    "tests/test_checks_harness.py::test_feedback_never_shows_an_expected_number": "slow",
    # children with a capped address space on 50,000 x 50 data (8 s)
    "tests/test_accuracy.py::test_eigen_coordinates_wide_X": "slow",
    "tests/test_accuracy.py::test_flow_risk_and_ridge_risk_wide_X": "slow",
    "tests/test_accuracy.py::test_prediction_distribution_memory": "slow",
    # the grader over every chapter's checks, and `make grade` in a subprocess (9 s)
    "tests/test_grade.py::test_every_coding_exercise_with_a_check_is_graded": "slow",
    "tests/test_grade.py::test_grade_refuses_a_missing_folder_and_make_has_the_target": "e2e",
    "tests/test_grade.py::test_the_autograder_holds_one_otter_test_file_per_exercise": "slow",
    "tests/test_grade.py::test_grade_needs_a_seed_and_a_folder": "e2e",  # make grade (8 s)
}
# The files that take longest in `make test`, longest first: each one's span in a full run on
# two idle workers (per-test wall times summed per file, 6 December 2026, 172 s run): 57 s
# (browser), 26, 14, 13, 13, 13, 12, 11, 10, 10, 9 and 8 s; the chapters take 2-7 s each and the
# other files under 4 s. They start first (pytest_collection_modifyitems), longest first, so
# that the short files fill the end and neither worker finishes long after the other (a file
# of 12 s started last left one worker alone for 6 s).
LONGEST_FILES = ("tests/test_browser.py", "tests/test_phone_figures.py",
                 "tests/test_grade_attacks.py", "tests/test_pdf.py", "tests/test_plotting.py",
                 "tests/test_widget.py", "tests/test_student.py", "tests/test_release.py",
                 "tests/test_colab.py", "tests/test_hidden.py", "tests/test_explorer_browser.py",
                 "tests/test_layering.py")
# A quick-tier test slower than this is named at the end of the run: mark it.
QUICK_LIMIT_S = 2.0


@functools.lru_cache(maxsize=None)
def _relative(path: Path) -> str:
    """``path`` relative to the repository, "" outside it (resolved once per file: 3,000
    tests in 90 files, and each pytest worker collects them all)."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return ""


def _test_key(item) -> str:
    """"tests/test_x.py::test_name" (no parameters), whatever the rootdir of the run."""
    path = _relative(item.path)
    if not path:
        return ""
    return f"{path}::{getattr(item, 'originalname', None) or item.name.split('[')[0]}"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix == ".ipynb":  # nbval's cells: a kernel runs the chapter
            item.add_marker("notebooks")
        for name in getattr(item, "fixturenames", ()):
            if name in HEAVY_FIXTURES:
                item.add_marker(HEAVY_FIXTURES[name])
        marker = SLOW_TESTS.get(_test_key(item))
        if marker:
            item.add_marker(marker)
        if any(item.get_closest_marker(m) for m in TIER_MARKERS):
            item.add_marker("slow")
    # The longest files first (LONGEST_FILES, in that order), then the other files with
    # end-to-end runs or browsers, then the chapters, then the rest: under `--dist loadfile
    # --no-loadscope-reorder` (the Makefile) the workers take files in this order, so the long
    # ones start at once instead of last. (Without --no-loadscope-reorder, pytest-xdist 3
    # starts the files with the most tests first.) Stable: every file's tests, and a
    # notebook's cells, keep their order.
    rank = {}
    for item in items:
        key = str(item.path)
        weight = (0 if item.get_closest_marker("e2e") or item.get_closest_marker("browser")
                  else 1 if item.path.suffix == ".ipynb" else 2)
        try:
            weight = LONGEST_FILES.index(_relative(item.path)) - len(LONGEST_FILES)
        except ValueError:  # not one of them, or outside the repository
            pass
        rank[key] = min(rank.get(key, 2), weight)
    items.sort(key=lambda item: rank[str(item.path)])


def _book_sources():
    """What the built pages are made from (what `make book` reads)."""
    paths = [BOOK_ROOT / "_config.yml", BOOK_ROOT / "_toc.yml", BOOK_ROOT / "package-lock.json"]
    tools = BOOK_ROOT / "tools"  # the Sphinx extensions and the math renderer they call
    paths += [*tools.glob("sphinx_*.py"), *tools.glob("*.js")]
    book = BOOK_ROOT / "book"
    for pattern in ("*.ipynb", "*.md", "*.bib", "site/*"):
        paths += book.glob(pattern)
    paths += (BOOK_ROOT / "gflow_lib").rglob("*.py")
    return [p for p in paths if p.is_file()]


def built_book_problem():
    """Why the built book cannot be tested ('' when it can): missing, or older than a source."""
    if not (HTML / "index.html").is_file() or not BOOK_STAMP.is_file():
        return (f"the built book is missing ({HTML}): run `make book` first (`make test` "
                "does); tests never build it")
    built = BOOK_STAMP.stat().st_mtime
    newer = sorted(str(p.relative_to(BOOK_ROOT)) for p in _book_sources()
                   if p.stat().st_mtime > built)
    if newer:
        return (f"the built book in {HTML} is older than {', '.join(newer[:5])}"
                f"{' ...' if len(newer) > 5 else ''}: run `make book` again (`make test` does)")
    return ""


_book_state = {}


def pytest_sessionstart(session):
    # Judged once, when the run starts (`make test` has just built the book): a source edited
    # while the tests run does not turn the pages stale half-way through.
    _book_state["problem"] = built_book_problem()


def _require_built_book():
    problem = _book_state.get("problem")
    if problem is None:
        problem = _book_state["problem"] = built_book_problem()
    if problem:
        pytest.fail(problem, pytrace=False)


def pytest_runtest_setup(item):
    """A test of the built pages fails, with what to do, when they are missing or stale: it
    never builds the book and never skips (CI must check the pages)."""
    if item.get_closest_marker("book"):
        _require_built_book()


@pytest.fixture(scope="session")
def built_book() -> Path:
    """The folder of the built HTML book (``_build/html``), built by ``make book``."""
    _require_built_book()
    return HTML


_slow_quick_tests = []


def pytest_runtest_logreport(report):
    if report.when == "call" and report.duration > QUICK_LIMIT_S and "slow" not in \
            report.keywords:
        _slow_quick_tests.append((report.duration, report.nodeid))


def pytest_terminal_summary(terminalreporter):
    if _slow_quick_tests:
        terminalreporter.write_sep("-", f"quick-tier tests slower than {QUICK_LIMIT_S:g} s "
                                   "(mark them slow, see CONTRIBUTING.md)")
        for duration, nodeid in sorted(_slow_quick_tests, reverse=True):
            terminalreporter.write_line(f"{duration:6.2f}s {nodeid}")


# ----------------------------------------------------------------------------- data
@pytest.fixture(scope="session")
def seed():
    """The seed notebook's data: X (2, 3) with rows (x, 1), y (3,), phi0 (2,) = (slope,
    intercept).

    Written out here rather than taken from gflow_lib.data, so that the reference numbers the
    tests derive from this data (and that the seed notebook printed) are checked against the
    data itself, not against whatever gflow_lib.data returns."""
    x = np.array([0.2, 0.4, 0.8])
    X = np.vstack([x, np.ones(3)])
    y = np.array([-0.1, 0.15, 0.3])
    phi0 = np.array([-0.05, -0.4])
    return X, y, phi0


# ------------------------------------------------------------------------ references
def ode_params(X, y, phi0, ts, rtol=1e-12, atol=1e-14, method="DOP853"):
    """phi(t) at the times ``ts`` (ascending, shape (T,)) by integrating
    d phi / dt = -X (X^T phi - y) with solve_ivp. Returns shape (T, D)."""
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    A = X @ X.T
    b = X @ y
    ts = np.asarray(ts, float)

    def rhs(_t, p):
        return b - A @ p

    extra = {"jac": lambda _t, _p: -A} if method in ("Radau", "BDF", "LSODA") else {}
    sol = solve_ivp(
        rhs, (0.0, float(ts[-1])), np.asarray(phi0, float), t_eval=ts, method=method,
        rtol=rtol, atol=atol, **extra,
    )
    assert sol.success, sol.message
    return sol.y.T


def expm_affine(X, y, t):
    """(E, c) with phi(t) = E phi0 + c exactly: E = expm(-A t) and c the last column of
    expm(t [[-A, b], [0, 0]]). Works for singular A (no division by eigenvalues)."""
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    D = X.shape[0]
    M = np.zeros((D + 1, D + 1))
    M[:D, :D] = -X @ X.T
    M[:D, D] = X @ y
    big = scipy.linalg.expm(t * M)
    return big[:D, :D], big[:D, D]


def expm_params(X, y, phi0, ts):
    """phi(t) for each t in ``ts`` through :func:`expm_affine`. Returns shape (T, D)."""
    out = []
    for t in np.atleast_1d(ts):
        E, c = expm_affine(X, y, float(t))
        out.append(E @ np.asarray(phi0, float) + c)
    return np.array(out)


def small_step_descent(X, y, phi0, h, n_steps):
    """Plain gradient descent written out independently; returns the last iterate."""
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    phi = np.array(phi0, float)
    for _ in range(n_steps):
        phi = phi - h * (X @ (X.T @ phi - y))
    return phi


def min_norm_limit(X, y, phi0, rcond=1e-10):
    """Minimum-norm least squares (np.linalg.pinv) plus the projection of phi0 on the null
    space of X^T: the t -> infinity limit of the flow."""
    X = np.asarray(X, float)
    P = np.linalg.pinv(X.T, rcond=rcond)  # (D, I)
    null_proj = np.eye(X.shape[0]) - P @ X.T
    return P @ np.asarray(y, float) + null_proj @ np.asarray(phi0, float)


@pytest.fixture(scope="session")
def ref():
    """The independent reference implementations, as a namespace."""
    return SimpleNamespace(
        ode_params=ode_params,
        expm_affine=expm_affine,
        expm_params=expm_params,
        small_step_descent=small_step_descent,
        min_norm_limit=min_norm_limit,
    )


@pytest.fixture
def rng():
    """A seeded generator, fresh for each test."""
    return np.random.default_rng(20240129)
