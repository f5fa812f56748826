"""Figures wider than a phone show their phone rendering on narrow screens.

A chapter's figure output with panels side by side, or wider than a phone, carries, besides
its PNG, a phone rendering 3.5 inches wide with the panels stacked one per row
(``gflow_lib.plotting.phone``: the output's ``image/png`` metadata holds it under
``gflow_phone``). MyST-NB writes each image output to a file named by the
SHA-256 of its bytes; this extension reads the chapter notebooks, maps that hash to the phone
PNG, writes the phone PNG beside the figure in ``_images/`` (``<hash>-phone.png``) and wraps
the figure's ``<img>`` in a ``<picture>`` whose ``<source>`` serves the phone PNG to screens
at most :data:`MEDIA_MAX_PX` CSS pixels wide::

    <picture><source media="(max-width: 540px)" srcset="../_images/<hash>-phone.png"
      type="image/png"><img alt="..." src="../_images/<hash>.png"></picture>

The ``<img>`` is Sphinx's own (its alt text and attributes unchanged), so wider screens, and
browsers without ``<picture>``, show the desktop figure. The ``<source>`` gives no width and
height: they would set the image's height in CSS pixels (the theme sets no ``height: auto``),
and a phone column narrower than the phone PNG would then squeeze it (seen in Chromium: 361 x
738 shown 327 x 738). The single-page build that
tools/pdf.py prints is left alone: the PDF shows the desktop figures.

Why 540 pixels: a 631-pixel-wide figure (two columns of panels) is shown in a column about 63
pixels narrower than the window, so below a 517-pixel window its 11-point text (15 pixels at
100 dpi) falls under 11 pixels (a 531-pixel one-panel figure: below 445); the phone
rendering, about 360 pixels wide, fits any window up to there at its natural size.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import struct
from html import escape
from pathlib import Path

from docutils import nodes

#: Screens at most this many CSS pixels wide get the phone renderings.
MEDIA_MAX_PX = 540
#: The key of the phone PNG in an output's image/png metadata (gflow_lib.plotting.phone).
METADATA_KEY = "gflow_phone"
#: Builders whose pages get ``<picture>``: the site's (not singlehtml, which the PDF prints).
BUILDERS = ("html", "dirhtml")


class phone_picture(nodes.General, nodes.Element):  # noqa: N801 - docutils' node naming
    """An image (its only child) with a phone rendering: ``<picture>`` in HTML."""


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's header; ValueError for bytes that are not a
    PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("data must be a PNG image (its header is not PNG's)")
    return struct.unpack(">II", data[16:24])


def phone_images(notebooks) -> dict[str, bytes]:
    """``{sha256 hex of an output's PNG: the phone PNG}`` over the outputs of ``notebooks``
    (paths of ``.ipynb`` files) that carry a phone rendering."""
    found = {}
    for path in notebooks:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            for output in cell.get("outputs", []):
                phone = output.get("metadata", {}).get("image/png", {}).get(METADATA_KEY)
                png = output.get("data", {}).get("image/png")
                if phone and png:
                    digest = hashlib.sha256(base64.b64decode(png)).hexdigest()
                    found[digest] = base64.b64decode(phone)
    return found


def _phones(app) -> dict[str, bytes]:
    """The map of :func:`phone_images` over the book's notebooks, read once per build (kept
    on the application, not in the pickled environment)."""
    if getattr(app, "_gflow_phones", None) is None:
        paths = [app.env.doc2path(doc) for doc in sorted(app.env.found_docs)]
        app._gflow_phones = phone_images(p for p in paths if str(p).endswith(".ipynb"))
    return app._gflow_phones


def add_pictures(app, doctree, docname) -> None:
    """Wrap every image that has a phone rendering in a :class:`phone_picture` and write the
    phone PNG to the site's image folder."""
    if app.builder.name not in BUILDERS:
        return
    phones = _phones(app)
    if not phones:
        return
    folder = Path(app.outdir) / app.builder.imagedir
    for image in list(doctree.findall(nodes.image)):
        stem, dot, ext = posixpath.basename(image["uri"]).rpartition(".")
        if ext != "png" or stem not in phones:
            continue
        data = phones[stem]
        name = f"{stem}-phone.png"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
        png_size(data)  # a PNG, or a ValueError that names the data
        picture = phone_picture(phone=name)
        image.replace_self(picture)
        picture += image


def visit_picture(self, node) -> None:
    src = posixpath.join(self.builder.imgpath, node["phone"])
    self.body.append(
        f'<picture><source media="(max-width: {MEDIA_MAX_PX}px)" srcset="{escape(src)}" '
        'type="image/png">')


def depart_picture(self, node) -> None:
    self.body.append("</picture>")


def setup(app):
    # only HTML builders ever see the node (add_pictures)
    app.add_node(phone_picture, html=(visit_picture, depart_picture))
    app.connect("doctree-resolved", add_pictures)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
