"""Split articles into short, citable passages that keep their heading.

Sections come from the Markdown headings; inside a section langchain's
RecursiveCharacterTextSplitter cuts at paragraph, then line, then sentence ends.
Every chunk's text is exactly ``article.body[start:end]``, so a UI can highlight it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ..textutil import sha256_text, split_sentences
from ..types import Article, Chunk

if TYPE_CHECKING:  # imported when chunking: it brings langchain-core, which only builds need
    from langchain_text_splitters import RecursiveCharacterTextSplitter

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$", re.M)
_SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


def chunk_articles(articles: Sequence[Article], chunk_size: int, overlap: int) -> list[Chunk]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size, chunk_overlap=overlap, separators=_SEPARATORS,
        keep_separator="end", add_start_index=True, strip_whitespace=True,
    )
    return [c for a in articles for c in _chunk_article(a, splitter)]


def _chunk_article(article: Article, splitter: RecursiveCharacterTextSplitter) -> Iterator[Chunk]:
    for label, start, end in _sections(article.body):
        section_text = article.body[start:end]
        if not section_text.strip():
            continue
        for doc in splitter.create_documents([section_text]):
            offset = start + int(doc.metadata["start_index"])
            text = doc.page_content
            if article.body[offset : offset + len(text)] != text:  # splitter contract check
                offset = article.body.find(text, start)
            yield Chunk(
                chunk_id=sha256_text(f"{article.article_id}\n{label}\n{text}")[:16],
                article_id=article.article_id, title=article.title, section=label,
                text=text, start=offset, end=offset + len(text), source=article.source,
                publisher=article.publisher, url=article.url,
                published=article.published, sentences=tuple(split_sentences(text)),
            )


def _sections(body: str) -> Iterator[tuple[str, int, int]]:
    """(heading path, start, end) of the text under each heading; the title is skipped."""
    marks = list(_HEADING.finditer(body))
    path: dict[int, str] = {}
    label, start = "", 0
    for match in marks:
        yield label, start, match.start()
        level, heading = len(match.group(1)), match.group(2)
        if level == 1:
            path.clear()
            label = ""
        else:
            path = {lvl: h for lvl, h in path.items() if lvl < level}
            path[level] = heading
            label = " › ".join(path[lvl] for lvl in sorted(path))
        start = match.end() + 1
    yield label, min(start, len(body)), len(body)
