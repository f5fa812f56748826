"""Numbers for the prose: a cell calls ``glue("gap", gap, ".4f")``; the text pastes it with
the MyST role ``glue:text`` and the name ``gap``. A difference that only shows that two
methods agree is printed and pasted as a bound (``bound(gap, 1e-10)``): its own digits depend
on the BLAS and the CPU, the bound does not.

The output has ``myst_nb.glue``'s form (``scrapbook`` metadata, the ``papermill.record``
prefix): the book pastes the value, nbval checks it each run, and its plain text
(``gap = 0.0254``) shows in Jupyter and Colab, where myst_nb is not installed."""

from __future__ import annotations

import numbers
import re

from . import _validation as v

__all__ = ["GLUE_PREFIX", "bound", "glue"]

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


def bound(value, limit):
    """The text of ``limit`` (``"1e-10"``) for a number known to lie below it.
    For differences whose digits are rounding or solver error, which change with the BLAS
    and the CPU: a chapter prints and pastes the bound, the same on every machine, and fails
    where the number is not below it. Introduced in the chapter on training wide networks in
    closed form.

    Parameters
    ----------
    value : real number
        The measured size, such as a largest absolute difference; 0 or more.
    limit : real number
        The bound, positive and finite, such as ``1e-10``.

    Returns
    -------
    str
        ``limit`` in the shortest scientific form, ``"1e-10"`` or ``"5e-9"``.

    Raises
    ------
    ValueError
        Where ``value`` is not below ``limit``, naming both; where ``value`` is negative or
        not finite, or ``limit`` is not positive and finite.
    TypeError
        Where either is not a real number.
    """
    value = v.non_negative_scalar(value, "value")
    limit = v.positive_scalar(limit, "limit")
    if not value < limit:
        raise ValueError(f"value {value:.3g} is not below the bound {limit:g}: the claim "
                         "the text makes does not hold here")
    mantissa, exponent = format(limit, ".0e").split("e")
    return f"{mantissa}e{int(exponent)}"

