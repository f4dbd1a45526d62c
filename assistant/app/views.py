"""The Library tab in plain words: the article table, the index state, rebuild progress
and report, and the list of questions the library could not answer."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from ..core import Status
from ..index.build import BuildReport
from .feedback import Gap
from .library import ArticleRow
from .render import display_date

UNKNOWN = "unknown"  # what an article's own page does not say, said plainly

# The build's stages as an admin would say them. There is no language model: "embedding"
# is the small search model turning each new passage and sentence into numbers.
STAGES = {"embedding": "embedding new passages and sentences for search",
          "chunking": "splitting articles into passages", "writing": "saving the index"}


def status_text(s: Status) -> str:
    if not s.built:
        return f"**Index:** none yet — {s.corpus_articles} articles in the library."
    state = "up to date" if s.freshness and s.freshness.fresh else s.state
    return (f"**Index:** {s.indexed_articles} articles in {s.chunks} passages, built "
            f"{_when(s.built_at)} (build `{s.build_id}`) · **{state}**")


def _when(stamp: str | None) -> str:
    """An ISO time as "21 November 2026, 11:24 UTC"; anything else as it is."""
    try:
        t = dt.datetime.fromisoformat(stamp or "")
    except ValueError:
        return stamp or "at an unknown time"
    zone = " UTC" if t.utcoffset() == dt.timedelta(0) else ""
    return f"{t.day} {t:%B %Y, %H:%M}{zone}"


def articles_html(rows: Sequence[ArticleRow]) -> str:
    """The articles as a table that wraps on a desktop and becomes cards on a phone."""
    if not rows:
        return "<p>No articles yet.</p>"
    body = "".join(
        "<tr>" + _cell("Title", r.title) + _cell("Publisher", r.publisher or UNKNOWN)
        + _cell("Published", display_date(r.published) or UNKNOWN)
        + _cell("Added", display_date(r.added) or UNKNOWN) + _cell("Passages", str(r.chunks))
        + _cell("Id", r.article_id, "cramp-id") + "</tr>" for r in rows)
    head = "".join(f'<th scope="col">{h}</th>' for h in
                   ("Title", "Publisher", "Published", "Added", "Passages", "Id"))
    return (f'<table class="cramp-table"><caption>{len(rows)} articles in the library'
            f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _cell(label: str, text: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<td data-label="{label}"{cls}>{html.escape(text)}</td>'


def gaps_html(gaps: Sequence[Gap]) -> str:
    if not gaps:
        return ("<p>No unanswered or disliked questions recorded yet.</p>")
    rows = "".join(
        "<tr>" + _cell("Question", g.question)
        + f'<td data-label="Asked">{g.count}</td>'
        + _cell("Why", _why(g))
        + _cell("Last asked", g.last_asked.replace("T", " ")[:16])
        + _cell("Also asked as", "; ".join(g.wordings[:5]) or "—") + "</tr>" for g in gaps)
    head = "".join(f'<th scope="col">{h}</th>' for h in
                   ("Question", "Asked", "Why", "Last asked", "Also asked as"))
    return (f'<table class="cramp-table cramp-gaps"><caption>{len(gaps)} questions the library '
            f"could not answer, most frequent first</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _why(g: Gap) -> str:
    parts = ([f"not answered {g.abstained}×"] if g.abstained else []) + (
        [f"thumbs down {g.thumbs_down}×"] if g.thumbs_down else [])
    return ", ".join(parts)


def rebuild_started(articles: int) -> str:
    return (f"Rebuilding from {articles} articles — finding the new and changed passages… "
            "(questions are answered from the current index meanwhile)")


def progress_text(stage: str, done: int, total: int, articles: int) -> str:
    """Rebuild progress as a person would say it."""
    what = STAGES.get(stage, stage)
    then = "; then saving the index and switching to it" if done >= total else ""
    return f"Rebuilding from {articles} articles — {what}: {done:,} of {total:,} done{then}"


def rebuild_text(report: BuildReport) -> str:
    """The rebuild report without internals."""
    new = (f"{report.embedded:,} new or changed passages and sentences were embedded for "
           f"search; the rest was kept from the last build." if report.reused else
           "Every passage and sentence was embedded again.")
    return (f"Index rebuilt: {report.articles} articles in {report.chunks:,} passages, "
            f"in {report.seconds:.0f} seconds. {new} Questions are now answered from it "
            f"(build {report.build_id}).")
