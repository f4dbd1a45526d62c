"""Answers for a terminal: rendered with rich (bold, italics, bullets, wrapped to the window)
when the output is a terminal, plain text otherwise (no ``**`` or ``_`` markers; lines kept
as they are, for pipes and files)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TextIO

# Each line of an answer is its own line (a source, a list item): a Markdown soft break
# would run them together, so lines that do not start a list item become hard breaks.
_SOFT_BREAK = re.compile(r"(?<!\n)\n(?!\n|[ \t]*(?:[-*+]|\d+[.)])[ \t])")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])")


def plain(text: str) -> str:
    """The answer without Markdown's emphasis markers."""
    return _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text))


def print_answer(text: str, notes: Sequence[str], out: TextIO, tty: bool | None = None) -> None:
    """Print an answer's notes ("Searched for: …") and its text to ``out``; ``tty`` (default:
    whether ``out`` is a terminal) chooses rich rendering over plain text."""
    from rich.console import Console

    console = Console(file=out, force_terminal=tty, soft_wrap=False, highlight=False)
    if not console.is_terminal:
        out.write("".join(f"({note})\n" for note in notes) + plain(text) + "\n")
        return
    from rich.markdown import Markdown  # a tenth of a second to import: only for a terminal

    for note in notes:
        console.print(f"({note})", style="dim", markup=False)
    console.print(Markdown(_SOFT_BREAK.sub("  \n", text), hyperlinks=False))
