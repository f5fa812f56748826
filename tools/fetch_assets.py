"""Fetch the JavaScript the built book needs, so that no page loads anything from a CDN.

Jupyter Book 1 loads the ipywidgets manager (require.js + embed-amd.js) from CDNs by default,
and matplotlib's JavaScript animations link Font Awesome 4.4.0 from one. (The math needs no
script: ``tools/sphinx_math.py`` renders it at build time with KaTeX, which ``npm ci`` installs
from ``package.json``.)
``make book`` runs this script first: it fetches pinned npm tarballs with ``npm pack
NAME@VERSION``, checks each tarball's SHA-512 against the pin below, and unpacks only the
files the pages use into ``_vendor/`` (git-ignored). ``_config.yml`` points
``html_static_path`` at that folder and ``nb_ipywidgets_js`` at the copies,
so they are served from ``_static/`` of the built site (``tools/sphinx_gflow.py`` rewrites
the Font Awesome link).

The folder is deliberately *not* named ``_static``: Jupyter Book 1 injects every ``.js`` and
``.css`` found under a ``_static`` folder into every page.

Any failure (npm missing, unknown version, checksum mismatch, a file missing or too small
after unpacking) exits with status 1 and a message saying what went wrong: the build must
never silently produce pages that depend on the network.

Usage::

    python -m tools.fetch_assets          # fetch what is missing, verify everything
    python -m tools.fetch_assets --force  # fetch and unpack again
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "_vendor"
CACHE = ROOT / ".cache" / "npm-tarballs"


@dataclass(frozen=True)
class Asset:
    """One pinned npm package and the parts of it the site serves."""

    name: str  # npm package name
    version: str
    integrity: str  # the npm registry's "sha512-<base64>" of the tarball
    dest: str  # folder under _vendor/
    members: tuple[str, ...]  # path prefixes inside the tarball's package/ folder
    required: tuple[tuple[str, int], ...]  # (file under dest, minimum size in bytes)

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def tarball(self) -> str:
        """The file name ``npm pack`` writes (scoped names lose the @ and the slash)."""
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


ASSETS = (
    Asset(
        name="requirejs",
        version="2.3.4",
        integrity="sha512-qPD5gRrj6kGQ0ZySAJgqbArkaDqPMbQIT0zSZDkIv1mfA17w/tR2Faq5l2qqRf2CdQx6FWln9nUrgd2UDzb19A==",
        dest="requirejs",
        members=("require.js",),
        required=(("require.js", 50_000),),
    ),
    Asset(
        name="@jupyter-widgets/html-manager",
        version="1.0.6",
        integrity="sha512-+Mn+Ra8wyIHrYaUpfmf9A3dsLkt/NuwzPQN8sthdxBD35VV5cOJbpmgMhNR27n/rmP3mKyEe0PWCJrtZrXTXDQ==",
        dest="html-manager",
        # embed-amd.js and the chunks and fonts it loads relative to itself (no source maps).
        members=("dist/",),
        required=(("dist/embed-amd.js", 1_000_000),),
    ),
    Asset(
        name="font-awesome",
        version="4.4.0",
        integrity="sha512-h45v/TF2b9d6JiBnyluFrjZRyJXXkRjWbTKxb0ygTScxdP8gWdgMBaghbDuSLQFHNkj3M0eNrLxfTEiQo93ARQ==",
        dest="font-awesome",
        # The icons of matplotlib's JavaScript animations (Animation.to_jshtml links this
        # version from a CDN; tools/sphinx_gflow.py rewrites the link to this copy).
        members=("css/font-awesome.min.css", "fonts/"),
        required=(
            ("css/font-awesome.min.css", 20_000),
            ("fonts/fontawesome-webfont.woff2", 50_000),
        ),
    ),
)


class AssetError(RuntimeError):
    """An asset could not be fetched or failed verification."""


def sri(data: bytes) -> str:
    """The ``sha512-<base64>`` subresource-integrity string of ``data`` (npm's format)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def npm_pack(asset: Asset, cache: Path) -> Path:
    """Download the tarball of ``asset`` into ``cache`` with ``npm pack``; return its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            f"cannot fetch {asset.spec}: `npm` is not installed "
            "(Debian: apt-get install -y npm)"
        )
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        proc = subprocess.run(
            [npm, "pack", asset.spec, "--json", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            cwd=tmp,
        )
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-6:])
            raise AssetError(f"`npm pack {asset.spec}` failed (exit {proc.returncode}):\n{tail}")
        try:
            info = json.loads(proc.stdout)[0]
            produced = Path(tmp) / info["filename"]
        except (ValueError, LookupError) as exc:
            raise AssetError(f"`npm pack {asset.spec}` printed no usable JSON: {exc}") from exc
        if not produced.is_file():
            raise AssetError(f"`npm pack {asset.spec}` did not write {produced.name}")
        target = cache / asset.tarball
        produced.replace(target)
    return target


def verify_tarball(asset: Asset, path: Path) -> None:
    """Raise unless the tarball's SHA-512 equals the pinned integrity."""
    got = sri(path.read_bytes())
    if got != asset.integrity:
        raise AssetError(
            f"checksum mismatch for {asset.spec} ({path}):\n"
            f"  expected {asset.integrity}\n  got      {got}"
        )


def unpack(asset: Asset, tarball: Path, vendor: Path) -> Path:
    """Extract the wanted members of ``tarball`` into ``vendor/<dest>`` (replacing it)."""
    dest = vendor / asset.dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith("package/"):
                continue
            rel = member.name[len("package/") :]
            if rel.endswith(".map") or not any(rel.startswith(p) for p in asset.members):
                continue
            out = dest / rel
            if dest.resolve() not in out.resolve().parents:
                raise AssetError(f"{asset.spec}: refusing to unpack {member.name!r}")
            out.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(member)
            out.write_bytes(src.read())
    return dest


def verify_unpacked(asset: Asset, vendor: Path) -> None:
    """Raise unless every required file exists under ``vendor/<dest>`` with its minimum size."""
    for rel, min_size in asset.required:
        path = vendor / asset.dest / rel
        if not path.is_file():
            raise AssetError(f"{asset.spec}: {path.relative_to(vendor.parent)} is missing")
        size = path.stat().st_size
        if size < min_size:
            raise AssetError(
                f"{asset.spec}: {path.relative_to(vendor.parent)} has {size} bytes, "
                f"expected at least {min_size}"
            )


def stamp_of(asset: Asset) -> str:
    return f"{asset.spec} {asset.integrity}"


def fetch(asset: Asset, vendor: Path = VENDOR, cache: Path = CACHE, force: bool = False) -> str:
    """Make ``vendor/<dest>`` hold the verified files of ``asset``; return what was done."""
    stamp = vendor / asset.dest / ".stamp"
    if not force and stamp.is_file() and stamp.read_text().strip() == stamp_of(asset):
        verify_unpacked(asset, vendor)
        return "up to date"
    tarball = cache / asset.tarball
    fetched = False
    if force or not tarball.is_file():
        tarball = npm_pack(asset, cache)
        fetched = True
    try:
        verify_tarball(asset, tarball)
    except AssetError:
        if fetched:
            raise
        tarball = npm_pack(asset, cache)  # a stale or damaged cached copy: fetch once more
        fetched = True
        verify_tarball(asset, tarball)
    unpack(asset, tarball, vendor)
    verify_unpacked(asset, vendor)
    stamp.write_text(stamp_of(asset) + "\n")
    return "fetched and verified" if fetched else "unpacked from cache and verified"


def prune(vendor: Path, assets=ASSETS) -> list[str]:
    """Remove folders of ``vendor`` that no asset fills any more (MathJax, before the math
    was rendered at build time): everything in it is copied into the built site."""
    keep = {asset.dest for asset in assets}
    removed = []
    for folder in sorted(vendor.iterdir()) if vendor.is_dir() else ():
        if folder.is_dir() and folder.name not in keep:
            shutil.rmtree(folder)
            removed.append(folder.name)
    return removed


def main(argv=None, assets=ASSETS, vendor: Path = VENDOR, cache: Path = CACHE) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="fetch and unpack again")
    args = parser.parse_args(argv)
    vendor.mkdir(parents=True, exist_ok=True)
    for name in prune(vendor, assets):
        print(f"removed _vendor/{name}: no asset uses it")
    for asset in assets:
        try:
            what = fetch(asset, vendor, cache, force=args.force)
        except (AssetError, OSError, tarfile.TarError) as exc:
            print(f"ERROR: book asset {asset.spec} is not available: {exc}", file=sys.stderr)
            print(
                "The book is not built: without this file its pages would load it from the "
                "network.",
                file=sys.stderr,
            )
            return 1
        print(f"asset {asset.spec}: {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
