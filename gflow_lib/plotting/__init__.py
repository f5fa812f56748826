"""Every figure's drawing code, the book's colour map and its style.

Drawing functions take an optional ``ax`` and return the ``Axes`` (or ``Figure``) they drew
on, so chapters can compose panels. Submodules group figures by chapter; this package
re-exports them.
"""

from .style import BOOK_CMAP, COLORS, apply_style, book_cmap, new_axes

__all__ = ["BOOK_CMAP", "COLORS", "apply_style", "book_cmap", "new_axes"]
