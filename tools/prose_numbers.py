"""Typed numbers in a chapter's prose that the chapter computes (issue 18).

A number that a chapter computes reaches its text through ``gflow_lib.prose.glue`` and the
``{glue:text}`` role, so that nbval checks the sentence each time it checks the cell. This
tool finds the numbers that were typed instead: every decimal in the prose (markdown cells,
math included, and figure captions) with at least two significant digits that equals, at the
precision it is written with, a number the executed notebook printed or glued. Inputs are
exempt: a decimal that is a literal in the chapter's code (``lr = 0.4``), or one in
``ALLOWED`` (the running example's data and constants quoted from papers).

Usage::

    python -m tools.prose_numbers            # every chapter
    python -m tools.prose_numbers data ntk   # some chapters
"""

from __future__ import annotations

import ast
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"

#: Typed decimals allowed in any chapter's prose although an output shows them: the running
#: example's data and start (gflow_lib.data), and constants quoted as their sources print them.
ALLOWED = {
    "0.15": "a target of the running example (gflow_lib.data)",
    "-0.05": "the slope of the running example's start phi0",
    "1.6862": "Ali, Kolter and Tibshirani's printed constant (the chapter computes 1.6859)",
}

_NUMBER = re.compile(r"(?<![\w.^{])[-−]?\d+\.\d+(?:[eE][-+]?\d+)?(?!\w|\.\d)"
                     r"(?:\s*\\times\s*10\^\{?(?P<exp>[-−]?\d+)\}?)?")
_OUT_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_CODE_FENCE = re.compile(r"^(```+|~~~+)(?!\s*\{)[^\n]*\n.*?^\1\s*$", re.M | re.S)
_ROLE = re.compile(r"\{[\w:.-]+\}`[^`]*`")
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_OPTION = re.compile(r"^\s*:[\w-]+:.*$", re.M)
_URL = re.compile(r"https?://\S+")
# "Fig. 2.3", "section 5.2", "(2.1)" equation numbers, "version 1.4": not quantities.
_NOT_A_VALUE = re.compile(r"(?:Fig\.|[Ff]igure|[Ss]ection|[Cc]hapter|[Ee]q\.|[Vv]ersion|v)\s*$")


@dataclass(frozen=True)
class Typed:
    """A typed decimal in the prose that a computed output also shows."""

    chapter: str
    text: str
    output: str
    context: str

    def __str__(self):
        return (f"{self.chapter}: {self.text!r} typed in the prose equals the computed "
                f"{self.output!r}; glue it ({self.context!r})")


def _significant(token: str) -> int:
    mantissa = re.split(r"[eE\\]", token)[0].strip().lstrip("-−").replace(".", "").lstrip("0")
    return len(mantissa)


def _value(token: str) -> float:
    """The value of a decimal as written in text or code (``1.7e-4``, ``1.7 \\times 10^{-4}``)."""
    m = re.match(r"([-−]?[\d.]+(?:[eE][-+]?\d+)?)(?:\s*\\times\s*10\^\{?([-−]?\d+)\}?)?$", token)
    scale = 10.0 ** int(m.group(2).replace("−", "-")) if m.group(2) else 1.0
    return float(m.group(1).replace("−", "-")) * scale


def _half_unit(token: str) -> float:
    """Half a unit in the last written digit: how far a rounded value can be from it."""
    mantissa = re.split(r"[eE\\]", token)[0].strip()
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 0.5 * 10.0 ** -decimals * abs(_value(token) / float(mantissa.replace("−", "-")))


def prose(markdown: str) -> str:
    """The prose of a markdown cell: no code blocks, code spans, roles, options or URLs."""
    for pattern in (_CODE_FENCE, _ROLE, _CODE_SPAN, _OPTION, _URL):
        markdown = pattern.sub(" ", markdown)
    return markdown


def literals(source: str) -> set[float]:
    """The numeric literals of a code cell (its inputs and constants)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {float(m) for m in _OUT_NUMBER.findall(source)}
    return {abs(float(n.value)) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, (int, float))
            and not isinstance(n.value, bool)}


def _output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    data = output.get("data", {})
    return "\n".join("".join(v) for k, v in data.items() if k.endswith("text/plain"))


def chapter_parts(nb: dict) -> tuple[list[str], list[str], set[float]]:
    """``(prose texts, output texts, code literals)`` of an executed notebook."""
    texts, outputs, consts = [], [], set()
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            texts.append(prose(source))
        elif cell["cell_type"] == "code":
            consts |= literals(source)
            outputs.extend(_output_text(o) for o in cell.get("outputs", []))
            caption = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
            if caption.get("caption"):
                texts.append(prose(caption["caption"]))
    return texts, outputs, consts


def typed_numbers(chapter: str, nb: dict | None = None) -> list[Typed]:
    """Typed decimals in the prose of ``book/<chapter>.ipynb`` that equal a computed value."""
    if nb is None:
        nb = json.loads((BOOK / f"{chapter}.ipynb").read_text())
    texts, outputs, consts = chapter_parts(nb)
    computed = [(m, float(m)) for text in outputs for m in _OUT_NUMBER.findall(text)]
    found = []
    for text in texts:
        for m in _NUMBER.finditer(text):
            token = m.group(0)
            if (_significant(token) < 2 or token.replace("−", "-") in ALLOWED
                    or _NOT_A_VALUE.search(text[max(0, m.start() - 9):m.start()])):
                continue
            value = _value(token)
            if abs(value) in consts:
                continue
            half = _half_unit(token)
            hit = next((s for s, v in computed if abs(v - value) <= half * (1 + 1e-9)), None)
            if hit is not None:
                context = " ".join(text[max(0, m.start() - 40):m.end() + 20].split())
                found.append(Typed(chapter, token, hit, context))
    return found


def main(argv: list[str]) -> int:
    chapters = argv or sorted(p.stem for p in (BOOK / "md").glob("*.md"))
    found = [t for c in chapters for t in typed_numbers(c)]
    for t in found:
        print(t)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
