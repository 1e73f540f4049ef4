"""Colour for the text report: lines of (text, style) segments, painted with ANSI codes or left plain.

Whether to colour is decided once, at the edge (`wants_colour`): a terminal, unless `NO_COLOR` is set
(no-color.org); `FORCE_COLOR` asks for colour where there is no terminal (a CI log that shows ANSI).
"""

from __future__ import annotations

import os
from functools import cache
from typing import TextIO

from rich.color import ColorSystem
from rich.style import Style

Line = list[tuple[str, str]]  # (text, style name); "" is unstyled

_STYLES = {
    "project": "bold",
    "bold": "bold",
    "dim": "dim",
    "+": "green",
    "-": "red",
    "~": "yellow",
    "±": "magenta",
    "…": "cyan",
    "?": "blue",
    "∉": "bold yellow",
    "○": "dim",
    "∅": "dim",
    "!": "bold red",
    "diff+": "green",
    "diff-": "red",
}


def wants_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return os.environ.get("TERM") != "dumb" and stream.isatty()


@cache
def _style(name: str) -> Style:
    return Style.parse(_STYLES[name])


def paint(lines: list[Line], colour: bool) -> str:
    out = []
    for line in lines:
        out.append(
            "".join(
                _style(style).render(text, color_system=ColorSystem.STANDARD)
                if colour and style in _STYLES and text
                else text
                for text, style in line
            )
        )
    return "\n".join(out) + "\n"
