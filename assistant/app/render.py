"""HTML for people: sources with the quoted sentences highlighted, and whole articles.

Everything that came from an article or a user is escaped: HTML in an article is shown as
text and never runs. Highlights are placed by character offsets, not by searching text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from ..types import Citation

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use sentinels that survive Markdown rendering
_BLOCK_MARKER = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+|#{1,6}\s+)")


def article_url(citation: Citation) -> str:
    spans = ",".join(f"{s}-{e}" for s, e in citation.spans)
    return f"/article/{quote(Path(citation.source).stem)}?spans={spans}#cited"


def sources_html(citations: Sequence[Citation]) -> str:
    """The collapsible 'Sources' panel under an answer: one entry per cited passage."""
    entries = []
    for c in citations:
        where = " · ".join(html.escape(x) for x in (c.publisher, c.section) if x)
        local = [(s - c.passage_start, e - c.passage_start) for s, e in c.spans]
        passage = _mark(c.passage, local).replace("\n", "<br>")
        entries.append(
            f'<div class="cramp-source"><b>[{c.n}] {html.escape(c.title)}</b>'
            + (f" — {where}" if where else "")
            + f"<blockquote>{passage}</blockquote>"
            + f'<a href="{html.escape(article_url(c))}" target="_blank" rel="noopener">'
            + "Open the article</a></div>")
    return "".join(entries)


def _mark(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Escape ``text`` and wrap each (start, end) span in <mark>."""
    out, pos = [], 0
    for start, end in sorted(spans):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out += [html.escape(text[pos:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def article_html(title: str, body: str, spans: Sequence[tuple[int, int]]) -> str:
    """A whole article as a page, the cited spans highlighted and the first one in view."""
    from markdown_it import MarkdownIt

    marked = _insert_sentinels(body, spans)
    rendered = MarkdownIt("commonmark", {"html": False}).render(marked)  # raw HTML -> text
    rendered = rendered.replace(_OPEN, '<mark id="cited">', 1)
    rendered = rendered.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
    return _PAGE.format(title=html.escape(title), body=rendered)


def _insert_sentinels(body: str, spans: Sequence[tuple[int, int]]) -> str:
    """Put open/close sentinels around each span, line by line, so blocks stay intact."""
    cuts: list[tuple[int, str]] = []
    for start, end in spans:
        start, end = max(0, start), min(len(body), end)
        pos = start
        while pos < end:
            line_end = body.find("\n", pos)
            seg_end = end if line_end == -1 or line_end >= end else line_end
            line_start = body.rfind("\n", 0, pos) + 1
            marker = _BLOCK_MARKER.match(body, line_start)
            seg_start = max(pos, marker.end()) if marker and pos <= marker.end() else pos
            if seg_start < seg_end:
                cuts += [(seg_start, _OPEN), (seg_end, _CLOSE)]
            pos = seg_end + 1
    for offset, sentinel in sorted(cuts, key=lambda c: c[0], reverse=True):
        body = body[:offset] + sentinel + body[offset:]
    return body


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.55; color: #1f2328; }}
mark {{ background: #ffe58a; padding: 0 .1em; }}
.notice {{ font-size: .9em; color: #57606a; border-top: 1px solid #d0d7de; margin-top: 2rem;
           padding-top: .5rem; }}
</style></head>
<body><main>{body}</main>
<p class="notice">Highlighted: the passage an answer cited. Not medical advice.</p>
</body></html>
"""
