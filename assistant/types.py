"""Typed objects passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field

from .textutil import sha256_text


@dataclass(frozen=True)
class Article:
    """A cleaned article in the corpus: Markdown body plus front-matter metadata."""

    article_id: str  # corpus file stem, stable
    title: str
    body: str
    source: str  # corpus file path, relative to the corpus parent
    content_hash: str
    publisher: str | None = None
    author: str | None = None
    original_file: str | None = None
    added: str | None = None
    url: str | None = None  # where the original was published (http/https only)
    published: str | None = None  # the original's date, as the source gives it (ISO when known)
    licence: str | None = None

    @property
    def index_hash(self) -> str:
        """Hash of everything an index takes from the article: its body and the provenance
        its passages carry, so a changed publisher, link or date is a change to re-index."""
        return sha256_text("\n".join([self.body, self.title, self.publisher or "",
                                       self.url or "", self.published or ""]))


@dataclass(frozen=True)
class Chunk:
    """A citable passage: ``text`` is exactly ``article.body[start:end]``."""

    chunk_id: str
    article_id: str
    title: str
    section: str
    text: str
    start: int
    end: int
    source: str
    publisher: str | None = None
    url: str | None = None
    published: str | None = None
    #: (start, end) of each sentence or list item, relative to ``text``.
    sentences: tuple[tuple[int, int], ...] = ()

    def sentence_texts(self) -> list[str]:
        return [self.text[s:e] for s, e in self.sentences]

    @property
    def embed_text(self) -> str:
        """What is embedded and keyword-indexed: the heading gives the passage its topic."""
        heading = f"{self.title} — {self.section}" if self.section else self.title
        return f"{heading}\n{self.text}"


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with its fused score and its dense (cosine) similarity."""

    chunk: Chunk
    score: float
    similarity: float
    rank: int

    # Flat accessors: the public search API promised in the README.
    @property
    def text(self) -> str:
        return self.chunk.text

    @property
    def title(self) -> str:
        return self.chunk.title

    @property
    def source(self) -> str:
        return self.chunk.source

    @property
    def section(self) -> str:
        return self.chunk.section

    @property
    def chunk_id(self) -> str:
        return self.chunk.chunk_id

    @property
    def start(self) -> int:
        return self.chunk.start

    @property
    def end(self) -> int:
        return self.chunk.end

    def to_dict(self) -> dict[str, object]:
        return {
            "rank": self.rank, "score": round(self.score, 6),
            "similarity": round(self.similarity, 6), "chunk_id": self.chunk_id,
            "title": self.title, "section": self.section, "source": self.source,
            "start": self.start, "end": self.end, "text": self.text,
        }


@dataclass
class ImportResult:
    """What happened to one input file during ``add``."""

    path: str
    status: str  # "added", "duplicate", "error"
    message: str = ""
    article_path: str | None = None
    chars_in: int = 0
    chars_kept: int = 0
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (reason, text snippet)
    #: Problems that did not stop the import (no title found, a link that was not kept).
    warnings: list[str] = field(default_factory=list)
    url: str | None = None  # where the article came from (http/https only)
    title: str | None = None
    publisher: str | None = None
    published: str | None = None
    #: Report characters removed per reason; they add up to ``chars_removed``.
    removed: dict[str, int] = field(default_factory=dict)
    markers: dict[str, int] = field(default_factory=dict)  # reference markers removed, per kind
    measured_on: str = ""  # which text the character counts are of ("the file's text"...)

    @property
    def chars_removed(self) -> int:
        return max(self.chars_in - self.chars_kept, 0)


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: a passage and the exact sentences used from it."""

    n: int
    title: str
    source: str
    section: str
    chunk_id: str
    passage: str  # the whole chunk text
    quote: str  # the sentences used, as they stand in the passage
    start: int  # article offsets of the quote (first used sentence to last)
    end: int
    spans: tuple[tuple[int, int], ...]  # article offsets of each used sentence
    passage_start: int
    score: float
    publisher: str | None = None
    url: str | None = None
    published: str | None = None

    @property
    def article_id(self) -> str:
        """The corpus id of the cited article (its file stem)."""
        return self.source.rsplit("/", 1)[-1].removesuffix(".md")

    def to_dict(self) -> dict[str, object]:
        return {
            "n": self.n, "title": self.title, "publisher": self.publisher, "url": self.url,
            "published": self.published, "article_id": self.article_id,
            "source": self.source, "section": self.section, "chunk_id": self.chunk_id,
            "passage": self.passage, "quote": self.quote, "start": self.start,
            "end": self.end, "spans": [list(s) for s in self.spans],
            "passage_start": self.passage_start, "score": round(self.score, 6),
        }


@dataclass(frozen=True)
class Answer:
    """A composed answer: Markdown ``text`` with ``[n]`` markers and the citations behind them."""

    question: str
    text: str  # the whole answer as Markdown: body, source list and notice (CLI, API)
    citations: tuple[Citation, ...]
    abstained: bool
    searched_for: str
    warnings: tuple[str, ...] = ()
    intent: str = "other"
    notes: tuple[str, ...] = ()  # e.g. "your question was shortened"
    build_id: str = ""
    #: The answer proper, without the source list and notice: for a UI that lists the
    #: sources itself. ``[n]`` markers in it are always the answer's own citations.
    body: str = ""

    def preface(self) -> list[str]:
        """Notes shown above the answer: a shortened question, a rewritten follow-up."""
        lines = list(self.notes)
        if self.searched_for != self.question:
            lines.append(f"Searched for: {self.searched_for}")
        return lines

    def to_dict(self) -> dict[str, object]:
        """JSON-ready audit record of the answer."""
        return {
            "question": self.question, "text": self.text, "body": self.body,
            "abstained": self.abstained,
            "searched_for": self.searched_for, "warnings": list(self.warnings),
            "intent": self.intent, "notes": list(self.notes), "build_id": self.build_id,
            "citations": [c.to_dict() for c in self.citations],
        }
