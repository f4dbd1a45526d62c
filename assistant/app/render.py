"""HTML for people: answers with clickable citations, their sources, whole articles.

Everything that came from an article or a reader is escaped or rendered inertly
(:mod:`.markdown`). Highlights are placed by character offsets, not by searching text.
Every source shows where it came from: publisher, date and a link to the original.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from ..answer.compose import NOTICE
from ..types import Answer, Article, Citation
from .markdown import NEW_TAB, link, render, safe_url

UNKNOWN_URL = "Original address unknown"
# The answer's own markers, and the agreement phrase compose puts after them.
_MARKERS = re.compile(r"((?:\[[0-9]{1,3}\])+)( — ([0-9]+) of the ([0-9]+) articles say this)?")


def article_url(citation: Citation) -> str:
    """The article page with this citation's sentences highlighted and scrolled to; opened
    from the chat (in a tab of its own), which its "Back to the chat" link returns to."""
    spans = ",".join(f"{s}-{e}" for s, e in citation.spans)
    return f"/article/{quote(citation.article_id)}?spans={spans}&from=chat#cited"


def answer_html(answer: Answer, lines: int | None = None, sources: bool = True) -> str:
    """One chat message: notes, the answer body (its first ``lines`` while streaming) with
    each ``[n]`` a link to its passage, the notice, and the collapsible Sources panel."""
    body = answer.body if lines is None else "\n".join(answer.body.split("\n")[:lines])
    parts = [f'<p class="cramp-note">{html.escape(line)}</p>' for line in answer.preface()]
    parts.append(_link_citations(render(body), answer.citations))
    parts.append(f'<div class="cramp-notice">{render(NOTICE)}</div>')
    if sources and answer.citations:
        parts.append(sources_html(answer.citations))
    # The whole answer is in: a signal for tests, and the only message that gets thumbs.
    done = " cramp-done cramp-rated" if lines is None else ""
    return _one_block(f'<div class="cramp-answer{done}">' + "".join(parts) + "</div>")


def message_html(text: str, done: bool = True) -> str:
    """A plain message (a prompt, an error, a reader's question) as escaped HTML."""
    css = "cramp-answer cramp-done" if done else "cramp-answer"
    return _one_block(f'<div class="{css}"><p>{html.escape(text)}</p></div>')


def _one_block(fragment: str) -> str:
    # The chat renders Markdown around HTML blocks; a blank line would end the block and
    # let Markdown loose on article text inside it.
    return re.sub(r"\n\s*\n", "\n", fragment)


def _link_citations(body: str, citations: Sequence[Citation]) -> str:
    by_n = {c.n: c for c in citations}

    def replace(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.findall(r"[0-9]+", match.group(1))]
        marks = "".join(_cite_link(by_n[n]) if n in by_n else f"[{n}]" for n in numbers)
        if not match.group(2):
            return marks
        titles = list(dict.fromkeys(by_n[n].title for n in numbers if n in by_n))
        said_by = html.escape("Said by: " + "; ".join(titles), quote=True)
        return f'{marks} <span class="cramp-agree" title="{said_by}">{match.group(2)[1:]}</span>'

    return _MARKERS.sub(replace, body)


def _cite_link(c: Citation) -> str:
    where = ", ".join(x for x in (c.title, c.publisher) if x)
    return (f'<a class="cramp-cite" href="{html.escape(article_url(c))}" {NEW_TAB} '
            f'title="Source {c.n}: {html.escape(where)}">'
            f"[{c.n}]</a>")


def sources_html(citations: Sequence[Citation]) -> str:
    """The collapsible Sources panel: each cited passage with its provenance, the quoted
    sentences highlighted and the list structure kept."""
    entries = []
    for c in citations:
        local = [(s - c.passage_start, e - c.passage_start) for s, e in c.spans]
        links = [f'<a href="{html.escape(article_url(c))}" {NEW_TAB}>Open the article at this '
                 "passage</a>", _original_link(c.url) or UNKNOWN_URL]
        entries.append(
            f'<li class="cramp-source"><p class="cramp-source-title">[{c.n}] '
            f"<b>{html.escape(c.title)}</b></p>"
            + _provenance(c.publisher, c.published, c.section)
            + f"<blockquote>{render(c.passage, local)}</blockquote>"
            + f'<p class="cramp-links">{" · ".join(links)}</p></li>')
    return (f'<details class="cramp-sources"><summary>Sources ({len(citations)})</summary>'
            f'<ol class="cramp-source-list">{"".join(entries)}</ol></details>')


def _provenance(publisher: str | None, published: str | None, section: str = "") -> str:
    """Publisher, date and section; what the article does not say is said to be unknown."""
    parts = [publisher or "Publisher unknown", display_date(published) or "date unknown",
             section]
    return f'<p class="cramp-prov">{" · ".join(html.escape(x) for x in parts if x)}</p>'


def _original_link(url: str | None) -> str | None:
    good = safe_url(url)
    if not good:
        return None
    host = urlsplit(good).hostname or good
    return link(good, f"Original at {host}", f"Original at {host} (opens in a new tab)")


def display_date(published: str | None) -> str | None:
    """An ISO date as "12 March 2023"; any other date as the source wrote it."""
    if not published:
        return None
    try:
        day = dt.date.fromisoformat(published[:10])
    except ValueError:
        return published
    return f"{day.day} {day:%B %Y}"


def article_html(article: Article, spans: Sequence[tuple[int, int]]) -> str:
    """A whole article as a page: a header with where it came from and a way back to the
    chat, the cited spans highlighted, and the first one scrolled into view with its
    section heading and a line of context above it."""
    body = render(article.body, spans, anchor=True)
    if not body.lstrip().startswith("<h1>"):
        body = f"<h1>{html.escape(article.title)}</h1>\n{body}"
    header = (_provenance(article.publisher, article.published)
              + f'<p class="meta">{_original_link(article.url) or UNKNOWN_URL}</p>')
    return _PAGE.format(title=html.escape(article.title), header=header, body=body,
                        script=SCROLL_JS)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 0 auto;
       padding: 0 1rem 2rem; line-height: 1.55; color: #1f2328; background: #fff; }}
header {{ border-bottom: 1px solid #d0d7de; padding: .75rem 0 .5rem; }}
header p {{ margin: .25rem 0; }}
.cramp-prov, .meta {{ color: #404750; }}
a {{ color: #0a58ca; }}
mark {{ background: #ffe58a; color: #1f2328; padding: 0 .1em; }}
mark#cited {{ scroll-margin-top: 4.5em; }}
.notice {{ font-size: .95em; color: #404750; border-top: 1px solid #d0d7de; margin-top: 2rem;
           padding-top: .5rem; }}
</style></head>
<body>
<header><nav><a href="/" id="back">← Back to the chat</a></nav>{header}</header>
<main>{body}</main>
<footer><p class="notice">Highlighted: the passage an answer cited. Not medical advice.</p>
</footer>
<script>{script}</script>
</body></html>
"""

# Show the first highlight with its section heading (when near) and a line above it.
# "Back to the chat": a citation opens its article in a tab of its own, and the reader's chat
# is still open in the tab it came from, so that tab is closed (a link to "/" would start a
# new, empty chat). Reached any other way, the link goes back, or to the chat's address.
SCROLL_JS = """
document.getElementById("back").addEventListener("click", e => {
  if (history.length > 1) {
    e.preventDefault();
    history.back();
  } else if (new URLSearchParams(location.search).get("from") === "chat") {
    e.preventDefault();
    close();
    setTimeout(() => { location.href = "/"; }, 500);  // a browser that keeps the tab open
  }
});
window.addEventListener("load", () => requestAnimationFrame(() => {
  const mark = document.getElementById("cited");
  if (!mark) return;
  const line = parseFloat(getComputedStyle(mark.parentElement).lineHeight) || 24;
  const top = mark.getBoundingClientRect().top + scrollY;
  let target = top - 2 * line;
  const heads = [...document.querySelectorAll("main h1, main h2, main h3, main h4")]
    .filter(h => h.compareDocumentPosition(mark) & Node.DOCUMENT_POSITION_FOLLOWING);
  const head = heads[heads.length - 1];
  if (head) {
    const headTop = head.getBoundingClientRect().top + scrollY - line / 2;
    if (top - headTop < innerHeight * 0.6) target = Math.min(target, headTop);
  }
  scrollTo(0, Math.max(0, target));
  document.body.dataset.scrolled = "1";
}));
"""
