"""Glued numbers keep the digits the chapter printed them with.

``gflow_lib.prose.glue`` glues a number already written with its format (``"-0.40"``,
``"1.7e-04"``). MyST-NB's ``{glue:text}`` role passes the glued text through
``ast.literal_eval`` and ``str`` to drop the quotes of a glued string, which turns ``-0.40``
into ``-0.4`` and ``1.7e-04`` into ``0.00017``: the page would show other digits than the
notebook and nbval. This extension keeps a glued text that is not a quoted literal as it is;
quoted strings and format specs (``{glue:text}`name:.2f```) go through MyST-NB as before.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.
"""

from __future__ import annotations


def keep_digits(format_plain_text):
    """``format_plain_text`` that returns an unquoted glued text unchanged (no format spec of
    its own: the role passes ``"s"``)."""

    def format_kept(text: str, fmt_spec: str) -> str:
        # the role passes "s" when the name has no format spec of its own
        if fmt_spec in ("", "s") and text.strip()[:1] not in ("'", '"'):
            return text
        return format_plain_text(text, fmt_spec)

    format_kept.__wrapped__ = format_plain_text
    return format_kept


def _patch():
    from myst_nb.ext.glue import crossref, roles

    for module in (roles, crossref):  # the role, and its form for another page's glue
        if not hasattr(module.format_plain_text, "__wrapped__"):
            module.format_plain_text = keep_digits(module.format_plain_text)


def setup(app):
    _patch()
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
