"""Releases: ``make release`` (tools/release.py), the Colab install cell that installs a release,
the release workflow (.github/workflows/release.yml) and the site's footer.

Quick tier (in process): the version rules and their errors, the changelog's rewrite, the
install cell's shape, the workflow's structure against a JSON schema written here (actionlint
is not installable from PyPI or npm without a download from GitHub, nor is Go here), and the
footer's version and date.

``e2e`` (subprocesses): the release command run through ``make release`` on a throwaway clone
of this repository (with ``SKIP_CHECKS=1``: ``make test`` and ``make book`` are what this test
run is part of), and the install cell run in a fresh virtual environment against a local bare
repository, with and without the tag.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import nbformat
import pytest
import tomllib
import yaml
from install_support import copy_package

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tools/ is not installed: import it from the repository
    sys.path.insert(0, str(ROOT))
from tools import release, sphinx_gflow  # noqa: E402

GIT_ENV = {"GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.org"}
TODAY = dt.datetime.now(dt.timezone.utc).date().isoformat()


def _git(repo, *args, check=True) -> str:
    proc = subprocess.run(["git", "-c", "init.defaultBranch=main", *args], cwd=repo,
                          env={**os.environ, **GIT_ENV}, capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def _show(repo, rev: str, paths) -> dict[str, str]:
    """{path: the text of ``rev:path``}, as ``git show`` gives it, read by one git process
    (``git cat-file --batch``: one ``git show`` per file was a hundred processes)."""
    paths = list(paths)
    proc = subprocess.run(["git", "cat-file", "--batch"], cwd=repo, capture_output=True,
                          input="".join(f"{rev}:{p}\n" for p in paths).encode())
    assert proc.returncode == 0, proc.stderr.decode()
    out, at, texts = proc.stdout, 0, {}
    for path in paths:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        assert header[1:2] == [b"blob"], f"git cat-file {rev}:{path}: {header}"
        size = int(header[2])
        texts[path] = out[end + 1:end + 1 + size].decode().replace("\r\n", "\n")
        at = end + 1 + size + 1
    return texts


def _next_minor(version: str) -> str:
    major, minor, _ = release.parse_version(version)
    return f"{major}.{minor + 1}.0"


# ======================================================================= quick: the rules
@pytest.mark.parametrize("bad", ["1.2", "v1.2.3", "1.2.3rc1", "1.2.3-rc.1", "01.2.3", "1.2.3 ",
                                 "", "1.2.x", None])
def test_a_version_that_is_not_semantic_is_refused_by_name(bad):
    with pytest.raises(release.VersionError, match=r"VERSION must be a semantic version "
                       r"MAJOR\.MINOR\.PATCH .*; got " + re.escape(repr(bad))):
        release.parse_version(bad)


@pytest.mark.parametrize("new", ["0.2.0", "0.1.9", "0.0.1"])
def test_a_version_not_greater_than_the_current_is_refused(new):
    with pytest.raises(release.VersionError, match=r"greater than the current version 0\.2\.0 "
                       r"\(gflow_lib/__init__\.py\); got '" + re.escape(new)):
        release.check_newer(new, "0.2.0")


@pytest.mark.parametrize("new", ["0.2.1", "0.3.0", "1.0.0", "0.10.0"])
def test_greater_versions_pass(new):
    release.check_newer(new, "0.2.0")  # 0.10.0 > 0.2.0: numbers, not strings


def test_the_pushed_tag_must_be_the_version():
    release.check_tag(f"v{release.version()}")
    with pytest.raises(release.VersionError, match=r"v \+ gflow_lib.__version__, v"):
        release.check_tag(release.version())  # no v
    with pytest.raises(release.VersionError):
        release.check_tag("v9.9.9")


def test_the_command_line_reports_errors_by_name(capsys):
    assert release.main(["--check-tag", "v0.0.0"]) == 2
    assert "release: VersionError: the pushed tag must be" in capsys.readouterr().err
    assert release.main(["0.1"]) == 2
    assert "VersionError: VERSION must be a semantic version" in capsys.readouterr().err
    assert release.main(["--notes"]) == 0
    notes = capsys.readouterr().out
    assert notes == release.changelog_section((ROOT / "CHANGELOG.md").read_text(),
                                              release.version())


# ================================================================== quick: the changelog
CHANGELOG = """# Changelog

Intro.

## Unreleased

### Chapters added

- A chapter (issue 30).

### Library changes

### Fixes

- A fix (issue 31).

## [0.2.0] - 2026-11-30

### Fixes

- Older (issue 8).
"""


def test_the_unreleased_section_becomes_the_release():
    new = release.release_changelog(CHANGELOG, "0.3.0", "2026-12-06")
    assert new.startswith("# Changelog\n\nIntro.\n\n" + release.empty_unreleased())
    section = release.changelog_section(new, "0.3.0")
    assert section == ("### Chapters added\n\n- A chapter (issue 30).\n\n"
                       "### Fixes\n\n- A fix (issue 31).\n")  # the empty part is dropped
    assert "## [0.3.0] - 2026-12-06\n" in new
    assert new.endswith("## [0.2.0] - 2026-11-30\n\n### Fixes\n\n- Older (issue 8).\n")
    assert release.changelog_section(new, "0.2.0") == "### Fixes\n\n- Older (issue 8).\n"


def test_a_changelog_that_cannot_be_released_is_refused():
    empty = release.release_changelog(CHANGELOG, "0.3.0", "2026-12-06")
    with pytest.raises(release.ChangelogError, match="Unreleased' section is empty"):
        release.release_changelog(empty, "0.4.0", "2026-12-07")
    with pytest.raises(release.ChangelogError, match="has a section for 0.2.0 already"):
        release.release_changelog(CHANGELOG, "0.2.0", "2026-12-06")
    with pytest.raises(release.ChangelogError, match="found none"):
        release.release_changelog(CHANGELOG.replace("## Unreleased", "## Next"), "0.3.0", "x")
    with pytest.raises(release.ChangelogError, match=r"section '## \[0.9.0\] - DATE'"):
        release.changelog_section(CHANGELOG, "0.9.0")


def test_the_changelog_has_a_section_per_version_each_entry_with_its_issue():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert release.UNRELEASED + "\n" in text
    assert release.changelog_section(text, release.version()).strip()
    headings = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})", text, re.MULTILINE)
    versions = [release.parse_version(v) for v, _ in headings]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    assert [d for _, d in headings] == sorted((d for _, d in headings), reverse=True)
    kinds = set(re.findall(r"^### (.*)$", text, re.MULTILINE))
    assert kinds <= set(release.CHANGELOG_KINDS), kinds
    entries = re.split(r"^- ", text, flags=re.MULTILINE)[1:]
    assert entries and all(re.search(r"issues? \d+", e) for e in entries), [
        e[:60] for e in entries if not re.search(r"issues? \d+", e)]


# ================================================================= quick: the install cell
def test_the_cell_names_the_tag_of_the_version_and_fits_the_page():
    cell = release.install_cell()
    assert f'tag = "v{release.version()}"' in cell
    assert f'url = "{release.repository_url()}"' in cell
    assert f'else "{release.repository_branch()}"' in cell
    assert cell.startswith(release.FIRST_LINE)
    assert all(len(line) <= 80 for line in cell.splitlines())
    compile(cell, "install cell", "exec")


def test_the_tag_is_the_packages_version():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in pyproject["project"]["dynamic"]
    attr = pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "gflow_lib.__version__"


def test_rewriting_a_chapter_changes_only_its_install_cell():
    text = (ROOT / "book" / "md" / "data.md").read_text()
    cell = release.install_cell()
    once = release.rewrite_markdown(text, cell)
    assert cell in once and release.rewrite_markdown(once, cell) == once
    other = release.rewrite_markdown(once, release.install_cell(release="7.0.0"))
    changed = [(a, b) for a, b in zip(once.splitlines(), other.splitlines(), strict=True)
               if a != b]
    assert [b for _, b in changed] == [
        '    tag = "v7.0.0"  # the release this notebook was written for']


def test_contributing_gives_the_release_steps():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    assert "make release VERSION=" in text and "SKIP_CHECKS" in text
    assert "git push origin" in text and "CHANGELOG.md" in text


# ================================================================= quick: the workflow
#: The parts of a GitHub Actions workflow that this repository uses, as a JSON schema: keys
#: outside it are typos (additionalProperties false), steps are a `uses` or a `run`.
WORKFLOW_SCHEMA = {
    "type": "object",
    "required": ["name", "on", "jobs"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "on": {"type": "object", "minProperties": 1, "additionalProperties": False,
               "properties": {
                   "push": {"type": "object", "additionalProperties": False, "properties": {
                       "branches": {"type": "array", "items": {"type": "string"}},
                       "tags": {"type": "array", "items": {"type": "string"},
                                "minItems": 1}}},
                   "pull_request": {"type": ["object", "null"]},
                   "workflow_dispatch": {"type": ["object", "null"]}}},
        "permissions": {"$ref": "#/$defs/permissions"},
        "concurrency": {"type": "object", "required": ["group"], "additionalProperties": False,
                        "properties": {"group": {"type": "string"},
                                       "cancel-in-progress": {"type": "boolean"}}},
        "env": {"$ref": "#/$defs/env"},
        "jobs": {"type": "object", "minProperties": 1,
                 "additionalProperties": {"$ref": "#/$defs/job"}},
    },
    "$defs": {
        "env": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
        "permissions": {"type": "object", "additionalProperties": {
            "enum": ["read", "write", "none"]}},
        "job": {
            "type": "object", "required": ["runs-on"], "additionalProperties": False,
            "properties": {
                "runs-on": {"type": "string"},
                "container": {"type": "string"},
                "if": {"type": "string"},
                "needs": {"type": ["string", "array"]},
                "permissions": {"$ref": "#/$defs/permissions"},
                "environment": {"type": "object"},
                "env": {"$ref": "#/$defs/env"},
                "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}},
            },
        },
        "step": {
            "type": "object", "additionalProperties": False,
            "oneOf": [{"required": ["uses"], "not": {"required": ["run"]}},
                      {"required": ["run"], "not": {"required": ["uses"]}}],
            "properties": {
                "name": {"type": "string"}, "id": {"type": "string"},
                "if": {"type": "string"},
                "uses": {"type": "string", "pattern": r"^[\w.-]+/[\w./-]+@v\d+$"},
                "with": {"type": "object",
                         "additionalProperties": {"type": ["string", "number", "boolean"]}},
                "run": {"type": "string", "minLength": 1},
                "env": {"$ref": "#/$defs/env"},
                "shell": {"type": "string"},
            },
        },
    },
}


def _workflow(name: str) -> dict:
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    if True in wf:  # YAML 1.1 reads the key `on` as the boolean true
        wf["on"] = wf.pop(True)
    return wf


def _script(wf: dict) -> str:
    """Every run command of every job, in order."""
    return "\n".join(step.get("run", "") for job in wf["jobs"].values()
                     for step in job["steps"])


@pytest.mark.parametrize("name", ["release.yml", "book.yml"])
def test_workflows_match_the_schema(name):
    jsonschema.validate(_workflow(name), WORKFLOW_SCHEMA)


def test_the_schema_catches_mistakes():
    wf = _workflow("release.yml")
    broken = [
        {**wf, "on": {"push": {"tag": ["v*"]}}},  # tag for tags
        {**wf, "jobs": {"release": {**wf["jobs"]["release"], "step": []}}},
        {**wf, "jobs": {"release": {**wf["jobs"]["release"], "steps": [
            {"name": "both", "uses": "actions/checkout@v4", "run": "make"}]}}},
        {**wf, "jobs": {"release": {**wf["jobs"]["release"], "steps": [
            {"uses": "actions/checkout"}]}}},  # no version
        {**wf, "permissions": {"contents": "writ"}},
    ]
    for doc in broken:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(doc, WORKFLOW_SCHEMA)


def test_the_release_workflow_builds_and_attaches_every_file_on_a_tag():
    wf = _workflow("release.yml")
    assert wf["on"] == {"push": {"tags": ["v*"]}}
    assert wf["permissions"] == {"contents": "write"}
    (job,) = wf["jobs"].values()
    steps = job["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    script = _script(wf)
    order = ["--check-tag", "SOURCE_DATE_EPOCH=", "make book", "-site.zip", "make -n pdf",
             "python -m build --outdir release-files", "make student", "-student.zip",
             "--notes"]
    where = [script.find(needle) for needle in order]
    assert -1 not in where and where == sorted(where), dict(zip(order, where, strict=True))
    # The PDF is built only when the Makefile has a pdf target.
    assert re.search(r"if make -n pdf [^\n]*; then\n\s*make pdf\n", script)
    attach = steps[-1]
    assert attach["uses"].startswith("softprops/action-gh-release@")
    assert attach["with"]["files"] == "release-files/*"
    assert attach["with"]["body_path"] == "release-notes.md"
    assert attach["with"]["fail_on_unmatched_files"] is True
    # Every file goes into release-files/, which the last step attaches.
    for needle in ("-site.zip", "-student.zip", ".pdf"):
        line = next(ln for ln in script.splitlines() if needle in ln and "release-files/" in ln)
        assert line


# ================================================================= quick: the footer
def test_the_footer_shows_the_version_and_the_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764979200")  # 2025-12-06 00:00:00 UTC
    options = {"extra_footer": "<p>Gradient Flow {version}, built on {date}.</p><p>Licence</p>"}
    config = SimpleNamespace(html_theme_options=options, version="", release="", today="")
    sphinx_gflow.footer_version(SimpleNamespace(confdir=str(ROOT)), config)
    want = f"<p>Gradient Flow {release.version()}, built on 2025-12-06.</p><p>Licence</p>"
    assert options["extra_footer"] == want
    assert config.version == config.release == release.version()
    assert config.today == "2025-12-06"


def test_the_config_footer_has_the_placeholders():
    footer = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["extra_footer"]
    assert "{version}" in footer and "{date}" in footer


def test_without_source_date_epoch_the_date_is_the_last_commits(monkeypatch, tmp_path):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "a").write_text("a")
    _git(repo, "add", "a")
    env = {"GIT_COMMITTER_DATE": "2024-02-29T23:30:00-05:00"}  # 2024-03-01 in UTC
    subprocess.run(["git", "commit", "-q", "-m", "a"], cwd=repo, check=True,
                   env={**os.environ, **GIT_ENV, **env})
    assert sphinx_gflow.build_date(repo) == "2024-03-01"
    assert sphinx_gflow.build_date(tmp_path) == TODAY  # no git checkout: today


def test_a_bad_source_date_epoch_is_refused(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(Exception, match="SOURCE_DATE_EPOCH must be a number .*'yesterday'"):
        sphinx_gflow.build_date(ROOT)


def test_the_built_footer_shows_the_version(built_book):
    page = (built_book / "book" / "intro.html").read_text()
    footer = re.search(r'<div class="extra_footer">(.*?)</div>', page, re.DOTALL).group(1)
    match = re.search(r"Gradient Flow (\S+), built on (\d{4}-\d{2}-\d{2})\.", footer)
    assert match and match.group(1) == release.version(), footer


# ========================================================== e2e: make release on a clone
def _clone(tmp: Path) -> Path:
    """A clone of this repository's last commit, with the working tree's release command
    (tools/release.py, the Makefile) committed on top when they differ, and an entry under
    CHANGELOG.md's Unreleased."""
    clone = tmp / "clone"
    _git(tmp, "clone", "-q", str(ROOT), str(clone))
    for name in ("tools/release.py", "Makefile"):
        shutil.copy2(ROOT / name, clone / name)
    log = clone / "CHANGELOG.md"
    log.write_text(log.read_text().replace(
        "### Fixes\n", "### Fixes\n\n- A test entry (tests/test_release.py, issue 23).\n", 1))
    _git(clone, "commit", "-q", "-m", "test: the working tree's release command", "--",
         "tools/release.py", "Makefile", "CHANGELOG.md")
    assert _git(clone, "status", "--porcelain") == ""
    return clone


def _make_release(clone: Path, version: str) -> subprocess.CompletedProcess:
    """``make release VERSION=... SKIP_CHECKS=1`` in the clone with this interpreter's
    environment (VENV=sys.prefix; -o: the clone's own .venv is not made)."""
    venv = Path(sys.prefix)
    return subprocess.run(
        ["make", "-o", str(venv / ".installed"), "release", f"VERSION={version}",
         "SKIP_CHECKS=1", f"VENV={venv}"],
        cwd=clone, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, timeout=300)


def _run_tool(clone: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.release", *args], cwd=clone,
                          env={**os.environ, **GIT_ENV}, capture_output=True, text=True,
                          timeout=300)


def _notebook(text: str):
    """A notebook's (nbformat 4) text as nbformat's nodes, not validated: nbformat.reads
    validates it against the schema (3 ms a chapter, 0.5 without); the release wrote it with
    nbformat.write, which validates."""
    return nbformat.v4.reads(text)


def _without_install_cell(path: Path, text: str) -> str:
    """A chapter's text with its install cell's source blanked."""
    if path.suffix == ".md":
        return release.rewrite_markdown(text, "INSTALL CELL")
    nb = _notebook(text)
    release.rewrite_notebook(nb, "INSTALL CELL")
    return json.dumps(nb, sort_keys=True)


def _install_cell_of(path: Path, text: str) -> str:
    if path.suffix == ".md":
        match = release._MD_CELL.search(text)
        return match.group("body") if match else ""
    nb = _notebook(text)
    return next((c.source for c in nb.cells if c.cell_type == "code"
                 and c.source.startswith(release.FIRST_LINE)), "")


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    clone = _clone(tmp_path_factory.mktemp("release"))
    before = release.version(clone)
    new = _next_minor(before)
    proc = _make_release(clone, new)
    return SimpleNamespace(clone=clone, before=before, new=new, proc=proc)


@pytest.mark.e2e
def test_make_release_commits_tags_and_prints_the_tag_to_push(released):
    proc, new = released.proc, released.new
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"git push origin main v{new}" in proc.stdout
    assert "checks SKIPPED" in proc.stdout
    clone = released.clone
    assert _git(clone, "status", "--porcelain") == ""
    assert _git(clone, "log", "-1", "--format=%s").strip() == f"Release {new}"
    assert _git(clone, "rev-parse", f"v{new}^{{commit}}") == _git(clone, "rev-parse", "HEAD")
    assert _git(clone, "cat-file", "-t", f"v{new}").strip() == "tag"  # annotated
    assert _git(clone, "tag", "--list").split() == [f"v{new}"]  # nothing pushed, one tag made


@pytest.mark.e2e
def test_the_release_changes_the_version_changelog_and_install_cells_only(released):
    clone, new = released.clone, released.new
    assert released.proc.returncode == 0, released.proc.stderr
    stat = _git(clone, "diff", "--stat", "HEAD~1", "HEAD")
    changed = set(_git(clone, "diff", "--name-only", "HEAD~1", "HEAD").split())
    book = [p for p in _git(clone, "ls-files", "book").split() if p.endswith((".md", ".ipynb"))]
    olds = _show(clone, "HEAD~1", book)
    chapters = {p for p in book if release.FIRST_LINE in olds[p]}
    assert len(chapters) >= 2 * 9, chapters  # sources and notebooks of the chapters
    cell = release.install_cell(release.repository_url(clone), new,
                                release.repository_branch(clone))
    # Every chapter changes: its cell names the new tag.
    assert changed == {"gflow_lib/__init__.py", "CHANGELOG.md", "CITATION.cff"} | chapters, stat
    # The citation: CITATION.cff's version line and the intro's BibTeX version, nothing else.
    news = _show(clone, "HEAD", [*sorted(chapters), "CITATION.cff", "gflow_lib/__init__.py"])
    olds.update(_show(clone, "HEAD~1", ["CITATION.cff", "gflow_lib/__init__.py"]))
    cff = [(a, b) for a, b in zip(olds["CITATION.cff"].splitlines(),
                                  news["CITATION.cff"].splitlines(), strict=True) if a != b]
    assert cff == [(f'version: "{released.before}"', f'version: "{new}"')]
    # The version: one line.
    old_init, new_init = olds["gflow_lib/__init__.py"], news["gflow_lib/__init__.py"]
    diff = [(a, b) for a, b in zip(old_init.splitlines(), new_init.splitlines(), strict=True)
            if a != b]
    assert diff == [(f'__version__ = "{released.before}"', f'__version__ = "{new}"')]
    assert release.version(clone) == new
    # Each chapter: its install cell is the new release's, and nothing else changed.
    for name in sorted(chapters):
        path = Path(name)
        old, now = olds[name], news[name]
        assert _install_cell_of(path, now) == cell, name
        if path.stem == "intro":  # its "Cite this book" entry names the version
            assert f"version = {{{new}}}," in now and f"version = {{{new}}}," not in old
            old = old.replace(f"version = {{{released.before}}},", f"version = {{{new}}},")
        assert _without_install_cell(path, now) == _without_install_cell(path, old), name


@pytest.mark.e2e
def test_the_release_dates_the_changelog_entry(released):
    assert released.proc.returncode == 0, released.proc.stderr
    text = (released.clone / "CHANGELOG.md").read_text()
    section = release.changelog_section(text, released.new)
    assert f"## [{released.new}] - {TODAY}\n" in text
    assert "- A test entry (tests/test_release.py, issue 23)." in section
    assert "(issue 23)" in section  # the entries written on main came along
    top = text[text.index(release.UNRELEASED):text.index(f"## [{released.new}]")]
    assert top.strip() == release.empty_unreleased().strip()


@pytest.fixture(scope="module")
def _one_clone(tmp_path_factory):
    clone = _clone(tmp_path_factory.mktemp("clone"))
    return clone, _git(clone, "rev-parse", "HEAD").strip()


@pytest.fixture
def fresh_clone(_one_clone):
    """A clone as :func:`_clone` makes it, for a test that releases nothing: the module's one
    clone (a clone cost 0.25 s of CPU), put back to its first state before each test (no
    later commit, no tag, no untracked file)."""
    clone, head = _one_clone
    _git(clone, "reset", "-q", "--hard", head)
    _git(clone, "clean", "-q", "-fdx")
    for tag in _git(clone, "tag", "--list").split():
        _git(clone, "tag", "-d", tag)
    assert _git(clone, "status", "--porcelain") == "" and _git(clone, "tag", "--list") == ""
    return clone


@pytest.mark.e2e
def test_make_release_refuses_without_leaving_a_trace(fresh_clone):
    clone = fresh_clone
    current = release.version(clone)
    head = _git(clone, "rev-parse", "HEAD")
    cases = [
        ([], "usage: make release VERSION=x.y.z"),
        (["VERSION=1.2"], "VersionError: VERSION must be a semantic version"),
        ([f"VERSION={current}"], "VersionError: VERSION must be greater than the current"),
    ]
    venv = Path(sys.prefix)
    for args, message in cases:
        proc = subprocess.run(["make", "-o", str(venv / ".installed"), "release", *args,
                               "SKIP_CHECKS=1", f"VENV={venv}"], cwd=clone,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode != 0 and message in proc.stdout + proc.stderr, (args, proc)
    (clone / "stray.txt").write_text("not committed")
    proc = _run_tool(clone, _next_minor(current), "--skip-checks")
    assert proc.returncode == 2 and "TreeError: the working tree must be clean" in proc.stderr
    assert "stray.txt" in proc.stderr
    (clone / "stray.txt").unlink()
    _git(clone, "tag", f"v{_next_minor(current)}")
    proc = _run_tool(clone, _next_minor(current), "--skip-checks")
    assert proc.returncode == 2 and "exists already" in proc.stderr
    _git(clone, "tag", "-d", f"v{_next_minor(current)}")
    log = clone / "CHANGELOG.md"
    log.write_text(release.release_changelog(log.read_text(), "99.0.0", TODAY))
    _git(clone, "commit", "-q", "-am", "the Unreleased section is empty")
    proc = _run_tool(clone, "100.0.0", "--skip-checks")
    assert proc.returncode == 2 and "ChangelogError" in proc.stderr and "empty" in proc.stderr
    # None of these wrote anything.
    assert _git(clone, "status", "--porcelain") == ""
    assert release.version(clone) == current and _git(clone, "tag", "--list") == ""
    assert _git(clone, "rev-parse", "HEAD~1") == head


@pytest.mark.e2e
def test_a_failed_check_puts_every_file_back(fresh_clone, monkeypatch):
    clone = fresh_clone
    current = release.version(clone)
    seen = []

    def failing_checks(root):
        seen.append((release.version(root), root))  # the files were rewritten when it ran
        raise release.CheckError("make test failed (exit status 2)")

    monkeypatch.setattr(release, "run_checks", failing_checks)
    with pytest.raises(release.CheckError):
        release.release(_next_minor(current), root=clone)
    assert seen == [(_next_minor(current), clone)]
    assert _git(clone, "status", "--porcelain") == ""
    assert release.version(clone) == current and _git(clone, "tag", "--list") == ""


@pytest.mark.e2e
def test_a_file_left_by_the_checks_stops_the_release(fresh_clone, monkeypatch):
    clone = fresh_clone
    current = release.version(clone)
    monkeypatch.setattr(release, "run_checks",
                        lambda root: (root / "coverage.xml").write_text("left by a check"))
    with pytest.raises(release.TreeError, match=r"neither ignored nor part of the release"
                       r"[^\n]*\n  \?\? coverage\.xml"):
        release.release(_next_minor(current), root=clone)
    assert _git(clone, "status", "--porcelain") == "?? coverage.xml\n"
    assert release.version(clone) == current and _git(clone, "tag", "--list") == ""


# ================================================= e2e: the install cell, in a fresh venv
def _build_tools(folder: Path) -> Path:
    """A folder of links to this interpreter's pip: the fresh environment (made without pip)
    borrows it through a .pth file and sees nothing else of this environment (no gflow_lib)."""
    folder.mkdir()
    for name in ("pip",):
        dist = importlib.metadata.distribution(name)
        tops = {Path(f).parts[0] for f in dist.files or ()}
        for top in sorted(tops - {"..", "__pycache__"}):
            source = Path(dist.locate_file(top))
            if source.exists() and not (folder / top).exists():
                (folder / top).symlink_to(source)
    return folder


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    base = tmp_path_factory.mktemp("venv")
    venv = base / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    tools = _build_tools(base / "build-tools")
    python = venv / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path("
                                "'purelib'))"], capture_output=True, text=True,
                               check=True).stdout.strip())
    (site / "build-tools.pth").write_text(f"{tools}\n")
    probe = subprocess.run([python, "-c", "import importlib.util as u, pip; "
                            "print(u.find_spec('gflow_lib'))"], capture_output=True, text=True,
                           cwd=base)
    assert probe.returncode == 0 and probe.stdout.strip() == "None", probe
    return SimpleNamespace(python=python, site=site)


def _bare_repository(tmp: Path, tag: bool) -> Path:
    """A bare repository holding the package at the current version, tagged v<version> (an
    annotated tag, as make release makes) or not, then a later commit on main that calls
    itself 9.9.9."""
    work = copy_package(tmp / "work")
    _git(work, "init", "-q")
    _git(work, "add", ".")
    _git(work, "commit", "-q", "-m", "release")
    if tag:
        _git(work, "tag", "-a", f"v{release.version()}", "-m", "release")
    init = work / "gflow_lib" / "__init__.py"
    init.write_text(re.sub(r'__version__ = "[^"]+"', '__version__ = "9.9.9"', init.read_text()))
    _git(work, "commit", "-q", "-am", "main moves on")
    bare = tmp / "gradient-flow.git"
    _git(tmp, "clone", "-q", "--bare", str(work), str(bare))
    return bare


def _run_cell(venv, url: str, workdir: Path) -> subprocess.CompletedProcess:
    """The install cell of the current version with ``url``, run by the fresh environment's
    Python in ``workdir``. pip builds the package as on Colab, in an isolated environment
    whose back end (pyproject.toml's build-system) comes from the package index that pip is
    configured with; the library's own dependencies are not installed (PIP_NO_DEPS)."""
    code = release.install_cell(url=url, release=release.version())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PIP_NO_DEPS="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run([str(venv.python), "-c", code], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=300)


def _installed_version(venv) -> str:
    (info,) = venv.site.glob("gflow_lib-*.dist-info")
    shutil.rmtree(venv.site / "gflow_lib")  # the next test starts without it
    version = info.name.removeprefix("gflow_lib-").removesuffix(".dist-info")
    shutil.rmtree(info)
    return version


@pytest.mark.e2e
def test_the_cell_installs_the_published_tag_without_error_text(fresh_venv, tmp_path):
    bare = _bare_repository(tmp_path, tag=True)
    proc = _run_cell(fresh_venv, bare.as_uri(), tmp_path)
    tag = f"v{release.version()}"
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr == "", proc.stderr  # nothing but the one line below
    assert proc.stdout == f"Installed gflow_lib {release.version()} from {tag}\n"
    assert _installed_version(fresh_venv) == release.version()


@pytest.mark.e2e
def test_before_the_tag_the_cell_installs_main_without_error_text(fresh_venv, tmp_path):
    bare = _bare_repository(tmp_path, tag=False)
    proc = _run_cell(fresh_venv, bare.as_uri(), tmp_path)
    tag = f"v{release.version()}"
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr == "", proc.stderr
    assert proc.stdout == f"Installed gflow_lib 9.9.9 from main ({tag} is not published yet)\n"
    assert _installed_version(fresh_venv) == "9.9.9"


@pytest.mark.e2e
def test_an_unreachable_repository_is_an_error(fresh_venv, tmp_path):
    proc = _run_cell(fresh_venv, (tmp_path / "missing.git").as_uri(), tmp_path)
    assert proc.returncode == 1
    assert "RuntimeError: could not install gflow_lib from file://" in proc.stderr
    assert not list(fresh_venv.site.glob("gflow_lib*"))


def test_set_citations_writes_the_version_in_the_citation_file_and_the_intro(tmp_path):
    """CITATION.cff and the intro's BibTeX entry (source and notebook) follow the release;
    a file that lost its version line stops the release by name."""
    for rel in (release.CITATION, *release.INTRO):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text((ROOT / rel).read_text())
    current = release.version()
    changed = release.set_citations("98.7.6", tmp_path)
    assert sorted(changed) == sorted(tmp_path / rel for rel in (release.CITATION,
                                                                 *release.INTRO))
    cff = (tmp_path / release.CITATION).read_text()
    assert 'version: "98.7.6"' in cff and f'version: "{current}"' not in cff
    for rel in release.INTRO:
        text = (tmp_path / rel).read_text()
        assert "version = {98.7.6}," in text and f"version = {{{current}}}," not in text
    (tmp_path / release.CITATION).write_text("cff-version: 1.2.0\n")
    with pytest.raises(release.ReleaseError, match="CITATION.cff must state the version"):
        release.set_citations("98.7.7", tmp_path)
