"""Maintainer tools (not part of the library)."""
