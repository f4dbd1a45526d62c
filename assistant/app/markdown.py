"""Article Markdown as inert HTML, with cited spans highlighted.

Everything a reader's browser gets from an article is inert: raw HTML is shown as text,
images become their alt text (an image URL would be a request to a third party from every
reader), and only http/https links are made, opening in a new tab without a referrer.
Highlights are placed by character offsets, in time linear in the article.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use sentinels that survive Markdown rendering
# What opens a Markdown block at the start of a line: a highlight starts after it, or the
# sentinel would turn "- item" into a lazy continuation of the line before.
_BLOCK_MARKER = re.compile(r"[ \t]*(?:(?:[-*+]|[0-9]{1,9}[.)])[ \t]+|#{1,6}[ \t]+|>[ \t]?)*")
_SPAN = re.compile(r"([0-9]{1,9})-([0-9]{1,9})")  # ASCII digits only: "²" is not a number here
NEW_TAB = 'target="_blank" rel="noopener noreferrer"'


class SpansError(ValueError):
    """A ``spans`` parameter that is not a short list of ``start-end`` offsets."""


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http or https address, else None (never rendered)."""
    if not url or any(c.isspace() for c in url.strip()):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def link(url: str, text: str, label: str | None = None) -> str:
    """An escaped link to an outside page, opened in a new tab without a referrer."""
    aria = f' aria-label="{html.escape(label)}"' if label else ""
    return f'<a href="{html.escape(url)}" {NEW_TAB}{aria}>{html.escape(text)}</a>'


def parse_spans(text: str, max_spans: int, max_chars: int) -> list[tuple[int, int]]:
    """``"12-40,55-80"`` as offset pairs; anything else raises :class:`SpansError`."""
    if not text:
        return []
    if len(text) > max_chars:
        raise SpansError(f"spans is {len(text):,} characters long; at most {max_chars:,}")
    parts = text.split(",")
    if len(parts) > max_spans:
        raise SpansError(f"{len(parts):,} spans given; at most {max_spans}")
    spans = []
    for part in parts:
        match = _SPAN.fullmatch(part)
        if not match or int(match.group(1)) >= int(match.group(2)):
            raise SpansError("spans must be start-end character offsets in ASCII digits, "
                             "start before end, separated by commas: 120-180,200-260")
        spans.append((int(match.group(1)), int(match.group(2))))
    return spans


def render(text: str, spans: Sequence[tuple[int, int]] = (), anchor: bool = False) -> str:
    """``text`` (Markdown) as inert HTML, each span a ``<mark>`` (the first one
    ``id="cited"`` when ``anchor``, for a page that scrolls to it)."""
    text = text.replace(_OPEN, "\ufffd").replace(_CLOSE, "\ufffd")
    rendered = _markdown().render(_insert_sentinels(text, spans))
    if anchor:
        rendered = rendered.replace(_OPEN, '<mark id="cited">', 1)
    return rendered.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _merge(spans: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Spans clipped to the text, sorted, overlaps joined: their total is at most ``length``."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _insert_sentinels(body: str, spans: Sequence[tuple[int, int]]) -> str:
    """Open/close sentinels around each span, line by line, after any block marker, so
    lists and headings keep their shape. One pass over the body: linear in its length."""
    cuts: list[tuple[int, str]] = []
    line_start = scanned = 0  # spans are in order: the search for line starts never goes back
    for start, end in _merge(spans, len(body)):
        pos = start
        while pos < end:
            line_start = max(line_start, body.rfind("\n", scanned, pos) + 1)
            scanned = pos
            line_end = body.find("\n", pos, end)
            seg_end = end if line_end == -1 else line_end
            marker_end = _BLOCK_MARKER.match(body, line_start, seg_end)
            seg_start = max(pos, marker_end.end()) if marker_end else pos
            if seg_start < seg_end:
                cuts += [(seg_start, _OPEN), (seg_end, _CLOSE)]
            pos = seg_end + 1
    out, last = [], 0
    for offset, sentinel in cuts:  # already in order: merged spans, lines left to right
        out += [body[last:offset], sentinel]
        last = offset
    out.append(body[last:])
    return "".join(out)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})  # raw HTML in an article stays text
    md.validateLink = lambda url: safe_url(url) is not None  # type: ignore[method-assign]
    md.add_render_rule("image", _image_as_text)
    md.add_render_rule("link_open", _link_open)
    return md


def _image_as_text(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    alt = self.renderInlineAsText(tokens[idx].children or [], options, env)
    return f'<span class="cramp-img">[image{": " + html.escape(alt) if alt else ""}]</span>'


def _link_open(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("target", "_blank")
    tokens[idx].attrSet("rel", "noopener noreferrer")
    return str(self.renderToken(tokens, idx, options, env))
