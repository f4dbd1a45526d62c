"""The article library: clean Markdown files with YAML front matter in ``corpus/``."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from ..errors import AssistantError, DuplicateArticle, ImportFailed
from ..settings import Settings
from ..textutil import jaccard, sha256_text, shingles
from ..types import Article, ImportResult
from .cleaning import clean_text
from .readers import read_article

_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def load_corpus(corpus_dir: Path) -> list[Article]:
    """Every article in ``corpus_dir``, sorted by id. Hashes are computed from the bodies."""
    if not corpus_dir.is_dir():
        raise AssistantError(f"corpus folder {corpus_dir} does not exist: add articles with "
                             "`cramp-assistant add FILE...` or set CRAMP_CORPUS_DIR")
    return [read_corpus_file(p) for p in sorted(corpus_dir.glob("*.md"))]


def read_corpus_file(path: Path) -> Article:
    text = path.read_text(encoding="utf-8")
    match = _FRONT.match(text)
    meta = yaml.safe_load(match.group(1)) if match else {}
    body = text[match.end():] if match else text
    if not isinstance(meta, dict):
        raise AssistantError(f"{path}: front matter is not a YAML mapping; fix or remove it")
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


def add_articles(paths: Iterable[Path], settings: Settings) -> list[ImportResult]:
    """Import files into the corpus; each result says what happened. Never raises per file."""
    corpus_dir = settings.corpus_dir
    corpus_dir.mkdir(parents=True, exist_ok=True)
    existing = load_corpus(corpus_dir)
    seen = [(a.source, a.content_hash, shingles(a.body)) for a in existing]
    results = []
    for path in paths:
        try:
            result, body = _import_one(Path(path), settings, seen)
        except ImportFailed as exc:
            status = "duplicate" if isinstance(exc, DuplicateArticle) else "error"
            results.append(ImportResult(path=str(path), status=status, message=str(exc)))
            continue
        seen.append((result.article_path or "", sha256_text(body), shingles(body)))
        results.append(result)
    return results


def _import_one(
    path: Path, settings: Settings, seen: list[tuple[str, str, set[str]]]
) -> tuple[ImportResult, str]:
    raw = read_article(path, settings.max_article_bytes)
    cleaned = clean_text(raw.text, title_hint=raw.title, author_hint=raw.author)
    body = cleaned.markdown
    if len(body) < settings.min_article_chars:
        raise ImportFailed(f"{path.name}: only {len(body)} characters of article text are left "
                           f"after cleaning (minimum {settings.min_article_chars}); nothing added")
    digest = sha256_text(body)
    grams = shingles(body)
    for source, other_hash, other_grams in seen:
        if other_hash == digest:
            raise DuplicateArticle(f"{path.name}: already in the corpus as {source}; not added")
        similarity = jaccard(grams, other_grams)
        if similarity >= settings.near_duplicate_threshold:
            raise DuplicateArticle(f"{path.name}: {similarity:.0%} the same as {source} "
                                   "(near-duplicate); not added")
    meta = {
        "title": cleaned.title, "author": cleaned.author, "publisher": raw.publisher,
        "original_file": path.name, "added": dt.date.today().isoformat(),
        "content_hash": digest,
    }
    target = _free_name(settings.corpus_dir, cleaned.title)
    _write_atomic(target, _front_matter(meta) + body)
    return ImportResult(
        path=str(path), status="added", article_path=f"{target.parent.name}/{target.name}",
        chars_in=len(raw.text), chars_kept=len(body), dropped=cleaned.dropped,
    ), body


def _front_matter(meta: Mapping[str, object]) -> str:
    clean = {k: v for k, v in meta.items() if v is not None}
    return "---\n" + yaml.safe_dump(clean, sort_keys=False, allow_unicode=True) + "---\n"


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


def format_report(results: list[ImportResult]) -> str:
    """The import report: per file, characters kept and removed and each dropped block."""
    lines = []
    for r in results:
        if r.status != "added":
            lines.append(f"{r.status.upper():9} {r.message}")
            continue
        lines.append(f"ADDED     {Path(r.path).name} -> {r.article_path}: kept {r.chars_kept:,} "
                     f"chars, removed {r.chars_removed:,} of {r.chars_in:,}")
        for why, text in r.dropped:
            snippet = text if len(text) <= 90 else text[:87] + "..."
            lines.append(f"            dropped [{why}] {snippet!r}")
    added = sum(r.status == "added" for r in results)
    lines.append(f"{added} added, {len(results) - added} not added")
    return "\n".join(lines)
