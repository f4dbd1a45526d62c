"""The article library: clean Markdown files with YAML front matter in ``corpus/``."""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import AssistantError, DuplicateArticle, ImportFailed
from ..settings import Settings
from ..textutil import jaccard, sha256_text, shingles
from ..types import Article, ImportResult
from .frontmatter import dump_front_matter, split_front_matter
from .importer import SHINGLE_WORDS, Prepared, is_url, prepare
from .readers import read_article, read_document
from .report import format_report, source_name

__all__ = ["add_articles", "format_report", "load_corpus", "read_corpus_file",
           "remove_article", "slugify"]

_Seen = tuple[str, str, set[str]]  # corpus file, body hash, body shingles


def load_corpus(corpus_dir: Path) -> list[Article]:
    """Every article in ``corpus_dir``, sorted by id. Hashes are computed from the bodies."""
    if not corpus_dir.is_dir():
        raise AssistantError(f"corpus folder {corpus_dir} does not exist: add articles with "
                             "`cramp-assistant add FILE...` or set CRAMP_CORPUS_DIR")
    return [read_corpus_file(p) for p in sorted(corpus_dir.glob("*.md"))]


def read_corpus_file(path: Path) -> Article:
    front = split_front_matter(path.read_text(encoding="utf-8"), str(path))
    meta, body = front.meta, front.body
    heading = re.match(r"#\s+(.+)", body)
    title = meta.get("title") or (heading.group(1).strip() if heading else path.stem)
    return Article(
        article_id=path.stem, title=str(title), body=body,
        source=f"{path.parent.name}/{path.name}", content_hash=sha256_text(body),
        publisher=meta.get("publisher"), author=meta.get("author"),
        original_file=meta.get("original_file"), added=str(meta.get("added") or "") or None,
        url=meta.get("url"), published=str(meta.get("published") or "") or None,
        licence=meta.get("licence"),
    )


def add_articles(sources: Iterable[Path | str], settings: Settings) -> list[ImportResult]:
    """Import files and http(s) URLs into the corpus, each with its own result.

    Each article is written atomically on its own. A source that fails — unreadable, a
    reader crash such as a PDF decompression bomb, a failed download, a duplicate, mostly
    repetition — gets an "error" or "duplicate" result, changes nothing in the corpus and
    never stops the sources after it, so every source's outcome is in the report.
    """
    corpus_dir = settings.corpus_dir
    corpus_dir.mkdir(parents=True, exist_ok=True)
    seen: list[_Seen] = [(a.source, a.content_hash, shingles(a.body, SHINGLE_WORDS))
                         for a in load_corpus(corpus_dir)]
    results = []
    for source in sources:
        try:
            prepared = _prepare(source, settings)
            _refuse_duplicates(prepared, seen, settings.near_duplicate_threshold)
            prepared.result.article_path = _write(prepared, corpus_dir)
        except ImportFailed as exc:
            status = "duplicate" if isinstance(exc, DuplicateArticle) else "error"
            results.append(ImportResult(path=str(source), status=status, message=str(exc)))
            continue
        seen.append((prepared.result.article_path or "", sha256_text(prepared.body),
                     prepared.grams))
        results.append(prepared.result)
    return results


def _prepare(source: Path | str, settings: Settings) -> Prepared:
    if isinstance(source, str) and is_url(source):
        from .fetch import fetch_url

        page = fetch_url(source, settings)
        raw = read_document(source, page.data, page.kind, settings.max_article_bytes, page.url)
        if raw.meta.url is None:  # the page names no canonical address: where it was found
            raw = dataclasses.replace(raw, meta=dataclasses.replace(raw.meta, url=page.url))
        return prepare(source, raw, settings)
    path = Path(source)
    return prepare(path.name, read_article(path, settings.max_article_bytes), settings)


def _refuse_duplicates(prepared: Prepared, seen: list[_Seen], threshold: float) -> None:
    name = source_name(prepared.result.path)
    digest = sha256_text(prepared.body)
    for source, other_hash, other_grams in seen:
        if other_hash == digest:
            raise DuplicateArticle(f"{name}: already in the corpus as {source}; not added")
        similarity = jaccard(prepared.grams, other_grams)
        if similarity >= threshold:
            raise DuplicateArticle(f"{name}: {similarity:.0%} the same as {source} "
                                   "(near-duplicate); not added")


def _write(prepared: Prepared, corpus_dir: Path) -> str:
    """Write the article under a name from its title; returns its corpus path."""
    meta = {**prepared.meta, "content_hash": sha256_text(prepared.body)}
    target = _free_name(corpus_dir, str(meta["title"]))
    try:
        _write_atomic(target, dump_front_matter(meta) + prepared.body)
    except OSError as exc:
        raise ImportFailed(f"{source_name(prepared.result.path)}: could not be written to "
                           f"{corpus_dir} ({exc.strerror or exc}); nothing added") from exc
    return f"{target.parent.name}/{target.name}"


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:60].rstrip("-") or "article"


def _free_name(folder: Path, title: str) -> Path:
    """A file name from the title, inside ``folder`` whatever the title holds."""
    base = slugify(title)
    candidate, n = folder / f"{base}.md", 2
    while candidate.exists():
        candidate, n = folder / f"{base}-{n}.md", n + 1
    return candidate


def _write_atomic(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".md")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_article(article_id: str, corpus_dir: Path) -> Path:
    """Delete one article by id (its file stem); the id may not point outside the corpus."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", article_id):
        raise AssistantError(f"{article_id!r} is not an article id; see `cramp-assistant list`")
    path = corpus_dir / f"{article_id}.md"
    if not path.is_file():
        raise AssistantError(f"no article {article_id!r} in {corpus_dir}")
    path.unlink()
    return path
