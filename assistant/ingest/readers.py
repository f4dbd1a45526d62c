"""Read an article of any supported kind into raw text, what the source says about itself,
and the first entries of its import report (what format extraction removed)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ImportFailed
from .frontmatter import SourceMeta, as_text, source_meta, split_front_matter
from .report import visible_chars

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
MARKDOWN = (".md", ".markdown")


@dataclass
class RawArticle:
    """Text before cleaning, with the source's metadata and the report's first entries."""

    text: str
    meta: SourceMeta = field(default_factory=SourceMeta)
    markdown: bool = False  # headings and lists are marked up (Markdown, extracted HTML)
    read_chars: int = 0  # report characters of the text named by ``measured_on``
    measured_on: str = "the file's text"
    removed: dict[str, int] = field(default_factory=dict)  # report characters, per reason
    warnings: list[str] = field(default_factory=list)


def read_article(path: Path, max_bytes: int) -> RawArticle:
    """Read ``path``; raise :class:`ImportFailed` naming the file when it cannot be used."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ImportFailed(f"{path.name}: unsupported file type {suffix or '(none)'}; "
                           f"use one of {', '.join(SUPPORTED)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"{path.name}: cannot be read ({exc.strerror})") from exc
    if len(data) > max_bytes:
        raise ImportFailed(f"{path.name}: {len(data):,} bytes is over the {max_bytes:,}-byte "
                           "limit (CRAMP_MAX_ARTICLE_BYTES)")
    return read_document(path.name, data, suffix, max_bytes)


def read_document(name: str, data: bytes, kind: str, max_bytes: int,
                  url: str | None = None) -> RawArticle:
    """Read the bytes of one article of ``kind`` (a file suffix such as ".html").

    Whatever a reader library raises becomes an :class:`ImportFailed` for this article
    alone, so one bad file (a PDF decompression bomb, a parser bug) never stops a batch.
    """
    if not data.strip():
        raise ImportFailed(f"{name}: the file is empty")
    try:
        if kind == ".pdf":
            return _read_pdf(name, data, max_bytes)
        text = _decode(name, data)
        if kind in (".html", ".htm"):
            from .web import read_html

            return read_html(name, text, url)
        if kind in MARKDOWN:
            return _read_markdown(name, text)
        return RawArticle(text=text, read_chars=visible_chars(text))
    except ImportFailed:
        raise
    except Exception as exc:  # any reader failure is this file's error, not the batch's
        raise ImportFailed(f"{name}: could not be read ({type(exc).__name__}: {exc}); "
                           "nothing added from it") from exc


def _decode(name: str, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise ImportFailed(f"{name}: looks like a binary file, not text; "
                           "export the article as .txt, .md, .html or .pdf")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{name}: is not UTF-8 text (byte {exc.start}); "
                           "re-save it as UTF-8 and add it again") from exc


def _read_markdown(name: str, text: str) -> RawArticle:
    """Markdown: the front matter is metadata, recorded apart; only the body is article."""
    front = split_front_matter(text, name)
    meta = source_meta(front.meta)
    removed = {}
    if front.block:
        ignored = [str(k) for k in front.meta if k not in meta.used]
        what = f"front matter (metadata: {', '.join(meta.used) or 'none'} kept as the " \
            "article's own" + (f"; {', '.join(ignored)} not kept" if ignored else "") + ")"
        removed[what] = visible_chars(front.block)
    return RawArticle(text=front.body, meta=meta, markdown=True, read_chars=visible_chars(text),
                      removed=removed, warnings=list(meta.warnings))


def _read_pdf(name: str, data: bytes, max_bytes: int) -> RawArticle:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages, size = [], 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            size += len(pages[-1])
            if size > max_bytes:
                raise ImportFailed(f"{name}: the PDF's text is over the {max_bytes:,}-character "
                                   "limit (CRAMP_MAX_ARTICLE_BYTES); nothing added from it")
        meta = _pdf_meta(reader)
    except LimitReachedError as exc:
        raise ImportFailed(f"{name}: the PDF goes past a pypdf safety limit ({exc}); it may be "
                           "a decompression bomb or a damaged file, so nothing was added from it"
                           ) from exc
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise ImportFailed(f"{name}: is not a readable PDF ({exc})") from exc
    text = unwrap_pdf_lines("\n".join(pages))
    if not text.strip():
        raise ImportFailed(f"{name}: the PDF has no text layer (a scan?); "
                           "run OCR on it or add the article as text")
    return RawArticle(text=text, meta=meta, read_chars=visible_chars(text),
                      measured_on="the PDF's text layer")


def _pdf_meta(reader: Any) -> SourceMeta:
    """Title, author, creation date and (XMP) publisher from the PDF's own metadata."""
    info = reader.metadata
    created = info.creation_date if info and info.get("/CreationDate") else None
    xmp = reader.xmp_metadata
    publisher = ", ".join(xmp.dc_publisher) if xmp and xmp.dc_publisher else None
    return SourceMeta(
        title=as_text(info.title) if info else None,
        author=as_text(info.author) if info else None,
        publisher=as_text(publisher), published=created.date().isoformat() if created else None,
    )


def unwrap_pdf_lines(text: str) -> str:
    """PDF text breaks lines mid-sentence; join a line to the next when it runs on."""
    out: list[str] = []
    for line in text.replace("\r", "").split("\n"):
        stripped = line.strip()
        if out and out[-1] and stripped and out[-1][-1] not in ".!?:" and stripped[0].islower():
            out[-1] = out[-1].rstrip("-") + ("" if out[-1].endswith("-") else " ") + stripped
        else:
            out.append(stripped)
    return "\n".join(out)
