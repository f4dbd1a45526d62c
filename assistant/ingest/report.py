"""The import report: what each file became, and every character accounted for.

All counts are of one unit, letters and digits (``visible_chars``), measured on one text
per file: the file's own text (.txt, .md, with the front matter), a web page's visible
text, or a PDF's text layer. Markup, spaces and punctuation are not counted, so Markdown
that cleaning adds (``## ``, ``- ``) cannot make "kept" larger than "read", and
read = kept + removed, the removals itemised by reason.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..types import ImportResult

UNIT_NOTE = ("Counts are letters and digits (spaces, punctuation and Markdown markup are not "
             "counted) of the text named on each file's line; read = kept + removed.")
_INDENT = " " * 10
_NOT_ALNUM = re.compile(r"[\W_]+")  # \w is letters, digits and "_" (Unicode-aware)


def visible_chars(text: str) -> int:
    """The report's unit: letters and digits in ``text``."""
    return len(_NOT_ALNUM.sub("", text))


def format_report(results: list[ImportResult]) -> str:
    """The import report: per file, what was read, kept and removed, and why."""
    lines: list[str] = []
    for r in results:
        if r.status == "added":
            lines.extend(_added(r))
        else:
            lines.append(f"{r.status.upper():9} {r.message}")
        lines.extend(f"{_INDENT}WARNING {w}" for w in r.warnings)
    added = sum(r.status == "added" for r in results)
    lines.append(f"{added} added, {len(results) - added} not added")
    if added:
        lines.append(UNIT_NOTE)
    return "\n".join(lines)


def source_name(path: str) -> str:
    """A file's name, or a URL as given."""
    return path if path.startswith(("http://", "https://")) else Path(path).name


def _added(r: ImportResult) -> list[str]:
    about = [f'"{r.title}"' if r.title else "", r.publisher or "publisher unknown",
             r.published or "", r.url or ""]
    lines = [
        f"ADDED     {source_name(r.path)} -> {r.article_path}",
        f"{_INDENT}{' | '.join(a for a in about if a)}",
        f"{_INDENT}read {r.chars_in:,} chars of {r.measured_on or 'the text'}: kept "
        f"{r.chars_kept:,}, removed {r.chars_removed:,}",
    ]
    for why, chars in r.removed.items():
        count = r.markers.get(why)
        markers = f" ({count} marker{'s' * (count != 1)})" if count else ""
        lines.append(f"{_INDENT}  removed {chars:,}: {why}{markers}")
    for why, text in r.dropped:
        snippet = text if len(text) <= 90 else text[:87] + "..."
        lines.append(f"{_INDENT}dropped [{why}] {snippet!r}")
    return lines
