"""Numbers for the prose: a cell calls ``glue("gap", gap, ".4f")``; the text pastes it with
the MyST role ``glue:text`` and the name ``gap``.

The output has ``myst_nb.glue``'s form (``scrapbook`` metadata, the ``papermill.record``
prefix): the book pastes the value, nbval checks it each run, and its plain text
(``gap = 0.0254``) shows in Jupyter and Colab, where myst_nb is not installed."""

from __future__ import annotations

import numbers
import re

__all__ = ["GLUE_PREFIX", "glue"]

#: The MIME prefix under which MyST-NB finds a glued value (and hides the output).
GLUE_PREFIX = "application/papermill.record/"
_NAME = re.compile(r"^[A-Za-z_][\w-]*$")


def glue(name, value, fmt=""):
    """Show ``value`` under ``name`` for the chapter's text to paste.
    Introduced in the chapter on data; every chapter uses it.

    Parameters
    ----------
    name : str
        The key the text uses (letters, digits, ``_``, ``-``), unique in the book.
    value : real number or str
        Written as ``format(value, fmt)``.
    fmt : str
        A format spec such as ``".4f"``.

    Returns
    -------
    None
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name must be a word such as 'gap_max' (letters, digits, _ or -); "
                         f"got {name!r}")
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        raise TypeError(f"value must be a real number or a str; got complex {value!r}")
    if not isinstance(value, (numbers.Real, str)) and not hasattr(value, "__float__"):
        raise TypeError(f"value must be a real number or a str; got {type(value).__name__}")
    if not isinstance(value, (numbers.Real, str)):
        value = float(value)  # a 0-d array
    text = format(value, fmt)
    shown = f"{name} = {text}"
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is there wherever a notebook runs
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(shown)
        return None
    bundle = {"text/plain": shown, GLUE_PREFIX + "text/plain": text}
    display(bundle, raw=True,
            metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}})
    return None
