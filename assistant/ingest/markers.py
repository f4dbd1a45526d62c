"""Reference markers: the citation numbers, editorial notes and footnote markers an article
brings from its source ("cramps.[3]", "[citation needed]", "salt¹").

They point into the source's own reference list, which the library does not keep, and in
an answer they would stand next to the answer's own ``[n]`` citations. So they are removed
as a general rule, each kind counted for the import report. Bracketed words that are part
of the text ("[sic]", "[the patient]") and ordinary Markdown links are left alone.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field

from .report import visible_chars

# "3", "1, 2", "1–3", "4-6, 9"
_NUMS = r"\d{1,3}(?:\s*[,–—-]\s*\d{1,3})*"
# Wikipedia-style editorial notes; "... needed" covers citation, clarification, page...
_NOTES = (r"(?:[a-z][a-z -]{0,30}needed|who\?|when\?|where\?|which\?|why\?|by whom\?|"
          r"according to whom\?|dubious(?: [–—-] discuss)?|disputed(?: [–—-] discuss)?|"
          r"failed verification|not in (?:citation|source) given|unreliable (?:medical )?"
          r"source\??|original research\??|improper synthesis\??|dead link|"
          r"self-published source\??|better source)")
_LINK_TARGET = r"(?:\([^)\s]*\))"
# Only a space after a word or punctuation goes with a marker, never a bullet's.
_GAP = r"(?:(?<=[\w.,;:!?)”\"’'*])[ \t]+)?"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # [^1] (Markdown footnote), ^1 / ^[2] glued to text, a lone [a] note letter
    ("footnote marker", re.compile(
        rf"{_GAP}\[\^[^\]\s]{{1,20}}\](?!:)|(?<=\S)\^\[?\d{{1,3}}\]?(?!\d)|"
        r"(?<=[\w.,;:)”\"’'])\[[a-z]\](?![(:])")),
    # [[3]](#cite_note-3), [3](#ref), \[3\], [1, 2], [1–3]
    ("citation number", re.compile(
        rf"{_GAP}\[\\?\[?{_NUMS}\\?\]?\]{_LINK_TARGET}|{_GAP}\\?\[{_NUMS}\\?\](?![(:])")),
    ("editorial note", re.compile(
        rf"{_GAP}\\?\[\\?\[?[*_]*{_NOTES}[*_]*\\?\]?\\?\]{_LINK_TARGET}?", re.I)),
]
# Superscript digits glued to a word are footnote markers, except after a unit (m², cm³).
_SUPERSCRIPT = re.compile(r"(?<=[^\s\d⁰¹²³⁴⁵⁶⁷⁸⁹])[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_UNIT_BEFORE = re.compile(r"(?:^|[^A-Za-z])(?:m|cm|mm|km|ft|in|mi|yd|kg/m|m/s)$")
# Definitions that belong to a reference list: "[^1]: Smith 2010", "[3]: https://..."
_DEFINITION = re.compile(r"^[ \t]*\[(?:\^[^\]\s]{1,20}|\d{1,3})\]:.*$", re.M)


@dataclass
class Stripped:
    """Text without reference markers, and what was taken out."""

    text: str
    counts: Counter[str] = field(default_factory=Counter)  # markers per kind
    chars: Counter[str] = field(default_factory=Counter)  # report characters per kind
    dropped: list[tuple[str, str]] = field(default_factory=list)  # whole reference lines


def strip_markers(text: str) -> Stripped:
    """Remove reference markers from ``text`` (plain text or Markdown)."""
    out = Stripped(text)
    for line in _DEFINITION.findall(text):
        out.dropped.append(("reference list", line.strip()))
        out.chars["reference list"] += visible_chars(line)
    out.text = _DEFINITION.sub("", text)
    if "[" in out.text or "^" in out.text:  # every pattern needs one (a fast way out)
        for kind, pattern in _PATTERNS:
            out.text = pattern.sub(functools.partial(_take, out, kind), out.text)
    out.text = _SUPERSCRIPT.sub(lambda m: _superscript(out, m), out.text)
    return out


def _take(out: Stripped, kind: str, match: re.Match[str]) -> str:
    out.counts[kind] += 1
    out.chars[kind] += visible_chars(match.group())
    return ""


def _superscript(out: Stripped, match: re.Match[str]) -> str:
    before = match.string[max(match.start() - 5, 0): match.start()]
    if _UNIT_BEFORE.search(before):
        return match.group()
    return _take(out, "footnote marker", match)
