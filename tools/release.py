"""Make a release of the book and its library: ``make release VERSION=x.y.z``.

A release is a commit tagged ``v<version>``. The version lives in one place,
``gflow_lib.__version__`` (``pyproject.toml`` reads it from ``gflow_lib/__init__.py``), and
every chapter's Colab install cell names the tag of the release it was written for, so a
notebook opened next year installs the library it was written against. Until that tag is
pushed, the cell installs ``main`` instead; it asks the repository first (``git ls-remote``),
so pip never tries a missing tag and no error reaches the reader.

``python -m tools.release VERSION`` (what ``make release VERSION=x.y.z`` runs):

1. checks VERSION: a semantic version ``MAJOR.MINOR.PATCH`` greater than the current one;
2. checks that the working tree is clean and that the tag does not exist yet;
3. sets ``__version__``, rewrites the install cell of every ``book/md/*.md`` source and
   ``book/*.ipynb`` notebook (the cell's source only: it has no output, so no chapter is
   executed again) and turns the ``Unreleased`` section of ``CHANGELOG.md`` into the new
   version's section, dated, under a fresh empty ``Unreleased``;
4. runs the README's two commands, ``make test`` and ``make book`` (``--skip-checks`` leaves
   them out: only for the tests of this command, ``tests/test_release.py``); when one fails,
   the files are put back as they were;
5. commits the release (those files only) and tags it ``v<version>`` locally, then prints the
   command that pushes the tag. It never pushes: the tag's workflow,
   ``.github/workflows/release.yml``, builds and attaches the release's files on GitHub.

Other modes::

    python -m tools.release --cells          # rewrite every install cell for the current version
    python -m tools.release --check-tag v0.3.0   # fail unless the tag is v + __version__
    python -m tools.release --notes          # CHANGELOG.md's section for the current version

Errors are :class:`ReleaseError` subclasses (``VersionError``, ``TreeError``,
``ChangelogError``, ``CheckError``), each saying what was expected and what was found.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
INIT = Path("gflow_lib") / "__init__.py"
CHANGELOG = Path("CHANGELOG.md")
FIRST_LINE = "# Colab: install gflow_lib when it is not importable (does nothing elsewhere)."
INSTALL_CELL = '''\
# Colab: install gflow_lib when it is not importable (does nothing elsewhere).
import importlib.metadata, importlib.util, subprocess, sys
if importlib.util.find_spec("gflow_lib") is None:
    url = "{url}"
    tag = "{tag}"  # the release this notebook was written for
    # The tag if it is published, else {branch}: pip never tries a missing ref.
    found = subprocess.run(["git", "ls-remote", url, f"refs/tags/{{tag}}"],
                           capture_output=True, text=True).stdout.strip()
    ref = tag if found else "{branch}"
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    if subprocess.run([*pip, f"gflow_lib @ git+{{url}}@{{ref}}"]).returncode:
        raise RuntimeError(f"could not install gflow_lib from {{url}}@{{ref}}")
    print("Installed gflow_lib", importlib.metadata.version("gflow_lib"),
          "from", ref if found else f"{{ref}} ({{tag}} is not published yet)")'''
_VERSION = re.compile(r'^__version__ = "(?P<version>[^"]+)"$', re.MULTILINE)
_MD_CELL = re.compile(r"(```\{code-cell\}[^\n]*\n(?::[^\n]*\n)*\n?)(?P<body>"
                      + re.escape(FIRST_LINE) + r".*?)(\n```)", re.DOTALL)
#: A semantic version without pre-release or build parts (pip and the tag spell it alike).
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
#: The sub-headings of a version's section in CHANGELOG.md, in order.
CHANGELOG_KINDS = ("Chapters added", "Library changes", "Fixes")
UNRELEASED = "## Unreleased"


class ReleaseError(Exception):
    """A release cannot be made as asked; the message says what to do."""


class VersionError(ReleaseError):
    """VERSION is not a semantic version greater than the current one, or a tag differs."""


class TreeError(ReleaseError):
    """The working tree is not clean, or the tag exists already."""


class ChangelogError(ReleaseError):
    """CHANGELOG.md has no Unreleased section to release, or it is empty."""


class CheckError(ReleaseError):
    """``make test`` or ``make book`` failed."""


# ------------------------------------------------------------------ version and cell
def version(root: Path = ROOT) -> str:
    """``gflow_lib.__version__``, read from the source (not from an installed copy)."""
    return _VERSION.search((root / INIT).read_text()).group("version")


def _config(root: Path = ROOT) -> dict:
    return yaml.safe_load((root / "_config.yml").read_text())


def repository_url(root: Path = ROOT) -> str:
    return _config(root)["repository"]["url"]


def repository_branch(root: Path = ROOT) -> str:
    return _config(root)["repository"].get("branch", "main")


def install_cell(url: str | None = None, release: str | None = None,
                 branch: str | None = None) -> str:
    """The install cell for a release (default: the current version, the book's repository
    and branch of ``_config.yml``)."""
    return INSTALL_CELL.format(url=url or repository_url(), tag=f"v{release or version()}",
                               branch=branch or repository_branch())


def parse_version(text: str, name: str = "VERSION") -> tuple[int, int, int]:
    """``"1.2.3"`` -> ``(1, 2, 3)``; a :class:`VersionError` naming ``name`` otherwise."""
    match = SEMVER.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise VersionError(
            f"{name} must be a semantic version MAJOR.MINOR.PATCH such as 0.3.0 (numbers "
            f"without leading zeros, no 'v', no pre-release part); got {text!r}")
    return tuple(int(part) for part in match.groups())


def check_newer(new: str, current: str) -> None:
    """A :class:`VersionError` unless ``new`` is greater than ``current``."""
    if parse_version(new) <= parse_version(current, "the current version"):
        raise VersionError(f"VERSION must be greater than the current version {current} "
                           f"(gflow_lib/__init__.py); got {new!r}")


def check_tag(tag: str, root: Path = ROOT) -> None:
    """A :class:`VersionError` unless ``tag`` is ``v`` + ``__version__`` (the workflow's
    first step: a tag that is not the library's version releases nothing)."""
    want = f"v{version(root)}"
    if tag != want:
        raise VersionError(f"the pushed tag must be v + gflow_lib.__version__, {want}; "
                           f"got {tag!r}")


def set_version(new: str, root: Path = ROOT) -> None:
    parse_version(new)
    path = root / INIT
    path.write_text(_VERSION.sub(f'__version__ = "{new}"', path.read_text(), count=1))


CITATION = Path("CITATION.cff")
INTRO = (Path("book") / "md" / "intro.md", Path("book") / "intro.ipynb")
_CFF_VERSION = re.compile(r'^version: "[^"]*"$', re.MULTILINE)
_BIBTEX_VERSION = re.compile(r"(version = \{)[^}]*(\},)")


def set_citations(new: str, root: Path = ROOT) -> list[Path]:
    """The version in ``CITATION.cff`` and in the introduction's "Cite this book" BibTeX
    entry (source and notebook); the files changed."""
    changed = []
    for path, pattern, repl in [(root / CITATION, _CFF_VERSION, f'version: "{new}"'),
                                *((root / p, _BIBTEX_VERSION, rf"\g<1>{new}\g<2>")
                                  for p in INTRO)]:
        text = path.read_text()
        updated, n = pattern.subn(repl, text, count=1)
        if n != 1:
            raise ReleaseError(f"{path} must state the version once ({pattern.pattern}); "
                               "found no such line")
        if updated != text:
            path.write_text(updated)
            changed.append(path)
    return changed


def rewrite_markdown(text: str, cell: str) -> str:
    """A MyST chapter with its install cell replaced (unchanged when it has none)."""
    return _MD_CELL.sub(lambda m: m.group(1) + cell + m.group(3), text, count=1)


def rewrite_notebook(nb, cell: str) -> bool:
    """Replace the install cell of a notebook in place; True when it had one."""
    for c in nb.cells:
        if c.cell_type == "code" and c.source.startswith(FIRST_LINE):
            c.source = cell
            return True
    return False


def rewrite_chapters(cell: str | None = None, root: Path = ROOT) -> list[Path]:
    """Write the install cell into every chapter source and notebook; the files changed."""
    cell = cell or install_cell(repository_url(root), version(root), repository_branch(root))
    import nbformat  # here: make release's refusals and --notes/--check-tag never need it

    changed = []
    for path in sorted((root / "book" / "md").glob("*.md")):
        text = path.read_text()
        new = rewrite_markdown(text, cell)
        if new != text:
            path.write_text(new)
            changed.append(path)
    for path in sorted((root / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        before = [c.source for c in nb.cells]
        if rewrite_notebook(nb, cell) and before != [c.source for c in nb.cells]:
            nbformat.write(nb, path)
            changed.append(path)
    return changed


# ------------------------------------------------------------------------- changelog
def empty_unreleased() -> str:
    """The Unreleased section a release leaves behind: its sub-headings, nothing under them."""
    return "\n\n".join([UNRELEASED, *(f"### {kind}" for kind in CHANGELOG_KINDS)]) + "\n"


def release_changelog(text: str, new: str, date: str) -> str:
    """CHANGELOG.md with its Unreleased section turned into ``## [new] - date`` (empty
    sub-headings dropped) under a fresh empty Unreleased section."""
    if re.search(rf"^## \[{re.escape(new)}\]", text, re.MULTILINE):
        raise ChangelogError(f"CHANGELOG.md has a section for {new} already")
    start = text.find(UNRELEASED + "\n")
    if start < 0:
        raise ChangelogError(f"CHANGELOG.md must have a '{UNRELEASED}' section saying what "
                             f"changed since the last release; found none")
    after = text.find("\n## ", start + len(UNRELEASED))
    end = len(text) if after < 0 else after + 1
    body = text[start + len(UNRELEASED) + 1:end]
    # Keep the sub-headings that have entries under them; a line of text counts as one.
    parts = re.split(r"^(### .*)$", body, flags=re.MULTILINE)
    kept = [parts[0].strip()] if parts[0].strip() else []
    for heading, entries in zip(parts[1::2], parts[2::2], strict=True):
        if entries.strip():
            kept.append(f"{heading}\n\n{entries.strip()}")
    if not kept:
        raise ChangelogError(
            f"CHANGELOG.md's '{UNRELEASED}' section is empty: say what changed since the last "
            "release (chapters added, library changes, fixes, each with its issue) first")
    section = f"## [{new}] - {date}\n\n" + "\n\n".join(kept) + "\n"
    rest = text[end:]  # the earlier versions' sections, newest first
    return text[:start] + empty_unreleased() + "\n" + section + ("\n" + rest if rest else "")


def changelog_section(text: str, release: str) -> str:
    """The body of CHANGELOG.md's section for ``release`` (the GitHub release's notes)."""
    match = re.search(rf"^## \[{re.escape(release)}\][^\n]*\n(?P<body>.*?)(?=^## |\Z)", text,
                      re.MULTILINE | re.DOTALL)
    if match is None or not match.group("body").strip():
        raise ChangelogError(f"CHANGELOG.md must have a section '## [{release}] - DATE' with "
                             "what changed; found none")
    return match.group("body").strip() + "\n"


# ------------------------------------------------------------------------ git, make
def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)


def check_clean(root: Path = ROOT) -> None:
    """A :class:`TreeError` unless ``root`` is a git working tree with nothing to commit
    (no change, no untracked file outside .gitignore)."""
    proc = _git(root, "status", "--porcelain")
    if proc.returncode:
        raise TreeError(f"{root} must be a git working tree; git status says: "
                        f"{proc.stderr.strip()}")
    if proc.stdout.strip():
        lines = proc.stdout.rstrip().splitlines()
        shown = "\n  ".join(lines[:20]) + ("\n  ..." if len(lines) > 20 else "")
        raise TreeError("the working tree must be clean (a release commits only what was "
                        f"checked); commit or remove these first:\n  {shown}")


def check_no_tag(tag: str, root: Path = ROOT) -> None:
    if _git(root, "rev-parse", "-q", "--verify", f"refs/tags/{tag}").returncode == 0:
        raise TreeError(f"the tag {tag} exists already: a released version is never made "
                        "again; choose a greater VERSION")


def run_checks(root: Path = ROOT) -> None:
    """The README's two commands; a :class:`CheckError` naming the first that fails."""
    for target in ("test", "book"):
        print(f"release: make {target}", flush=True)
        code = subprocess.run(["make", target], cwd=root).returncode
        if code:
            raise CheckError(f"make {target} failed (exit status {code}): the release is "
                             "not made and the files are as they were")


def release(new: str, skip_checks: bool = False, root: Path = ROOT,
            date: str | None = None) -> str:
    """Make release ``new`` in ``root`` (see the module's docstring); the tag to push."""
    current = version(root)
    check_newer(new, current)
    tag = f"v{new}"
    check_clean(root)
    check_no_tag(tag, root)
    date = date or _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    changelog = root / CHANGELOG
    if not changelog.is_file():
        raise ChangelogError(f"{changelog} must exist, with a '{UNRELEASED}' section; "
                             "found no file")
    new_changelog = release_changelog(changelog.read_text(), new, date)

    # Everything the release may write, as it was, to put back when a check fails.
    paths = [root / INIT, changelog, root / CITATION, *sorted((root / "book" / "md").glob("*.md")),
             *sorted((root / "book").glob("*.ipynb"))]
    before = {path: path.read_bytes() for path in paths}
    try:
        set_version(new, root)
        changelog.write_text(new_changelog)
        rewrite_chapters(root=root)
        set_citations(new, root)
        if not skip_checks:
            run_checks(root)
        changed = [str(path.relative_to(root)) for path in paths
                   if path.read_bytes() != before[path]]
        # The checks may leave only ignored files behind: anything else would go unreleased.
        stray = [line for line in _git(root, "status", "--porcelain").stdout.splitlines()
                 if line[3:] not in changed]
        if stray:
            raise TreeError("the checks left files that are neither ignored nor part of the "
                            "release (the release's files are put back):\n  "
                            + "\n  ".join(stray))
    except BaseException:
        for path, data in before.items():
            path.write_bytes(data)
        raise
    for args in (["add", "--", *changed],
                 ["commit", "-q", "-m", f"Release {new}", "--", *changed],
                 ["tag", "-a", tag, "-m", f"Gradient Flow {new}"]):
        proc = _git(root, *args)
        if proc.returncode:
            raise ReleaseError(f"git {' '.join(args[:2])} failed: {proc.stderr.strip()}")
    return tag


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.release",
        description="Make a release: version, install cells, CHANGELOG.md, checks, commit "
                    "and tag (never pushed).")
    parser.add_argument("version", nargs="?", metavar="VERSION",
                        help="the new version, MAJOR.MINOR.PATCH, greater than the current")
    parser.add_argument("--skip-checks", action="store_true",
                        help="do not run make test and make book (only for the tests of "
                             "this command; a real release runs them)")
    parser.add_argument("--cells", action="store_true",
                        help="only rewrite every install cell for the current version")
    parser.add_argument("--check-tag", metavar="TAG",
                        help="only check that TAG is v + gflow_lib.__version__")
    parser.add_argument("--notes", action="store_true",
                        help="only print CHANGELOG.md's section for the current version")
    args = parser.parse_args(argv)
    try:
        if args.cells:
            changed = rewrite_chapters()
            print(f"install cell for v{version()} rewritten in {len(changed)} files")
            return 0
        if args.check_tag is not None:
            check_tag(args.check_tag)
            print(f"{args.check_tag} is gflow_lib {version()}")
            return 0
        if args.notes:
            print(changelog_section((ROOT / CHANGELOG).read_text(), version()), end="")
            return 0
        if args.version is None:
            parser.error("VERSION is required, for example: make release VERSION=0.3.0")
        tag = release(args.version, skip_checks=args.skip_checks)
    except ReleaseError as exc:
        print(f"release: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(f"Released gflow_lib {args.version}: committed and tagged {tag} locally "
          f"(checks {'SKIPPED' if args.skip_checks else 'passed'}).")
    print(f"Push the tag to publish it: git push origin {repository_branch()} {tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
