"""Read an article file of any supported kind into raw text plus metadata hints."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ImportFailed

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")


@dataclass(frozen=True)
class RawArticle:
    """Text before cleaning, with what the file itself says about its origin."""

    text: str
    title: str | None = None
    author: str | None = None
    publisher: str | None = None


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
    if not data.strip():
        raise ImportFailed(f"{path.name}: the file is empty")
    if len(data) > max_bytes:
        raise ImportFailed(f"{path.name}: {len(data):,} bytes is over the {max_bytes:,}-byte "
                           "limit (CRAMP_MAX_ARTICLE_BYTES)")
    if suffix == ".pdf":
        return _read_pdf(path, data)
    text = _decode(path, data)
    if suffix in (".html", ".htm"):
        return _read_html(path, text)
    return RawArticle(text=text)


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise ImportFailed(f"{path.name}: looks like a binary file, not text; "
                           "export the article as .txt, .md, .html or .pdf")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path.name}: is not UTF-8 text (byte {exc.start}); "
                           "re-save it as UTF-8 and add it again") from exc


def _read_html(path: Path, html: str) -> RawArticle:
    """Main-content extraction with trafilatura: drops menus, footers, comments and ads."""
    import trafilatura

    doc: Any = trafilatura.bare_extraction(
        html, output_format="python", include_comments=False, include_tables=True,
        include_images=False, include_links=False, with_metadata=True, favor_precision=True,
    )
    if doc is None or not getattr(doc, "text", None):
        raise ImportFailed(f"{path.name}: no article text found in the HTML")
    text = trafilatura.extract(
        html, output_format="markdown", include_comments=False, include_tables=True,
        include_images=False, include_links=False, include_formatting=True,
        favor_precision=True,
    ) or doc.text
    return RawArticle(text=text, title=doc.title, author=doc.author, publisher=doc.sitename)


def _read_pdf(path: Path, data: bytes) -> RawArticle:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    from .cleaning import unwrap_pdf_lines

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise ImportFailed(f"{path.name}: is not a readable PDF ({exc})") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise ImportFailed(f"{path.name}: the PDF has no text layer (a scan?); "
                           "run OCR on it or add the article as text")
    title = (meta.title if meta and meta.title else None)
    author = (meta.author if meta and meta.author else None)
    return RawArticle(text=unwrap_pdf_lines(text), title=title, author=author)
