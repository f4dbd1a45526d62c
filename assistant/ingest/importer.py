"""From raw text to the article that will be written: reference markers out, cleaning,
the refusal of text that is mostly repetition, and the report's character accounting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from ..errors import ImportFailed
from ..settings import Settings
from ..textutil import normalize, word_shingles
from ..types import ImportResult
from .cleaning import Cleaned, clean_text
from .markers import Stripped, strip_markers
from .readers import RawArticle
from .report import visible_chars

OTHER = "other characters (bullet symbols, stray markup)"
#: Words per shingle when measuring repetition (the near-duplicate check uses the same).
SHINGLE_WORDS = 5


@dataclass
class Prepared:
    """An article ready to be written, and its report entry (``status`` still "added")."""

    body: str
    meta: dict[str, object]
    result: ImportResult
    grams: set[str] = field(default_factory=set)


def prepare(name: str, raw: RawArticle, settings: Settings) -> Prepared:
    """Clean ``raw`` into a corpus article; raise :class:`ImportFailed` when it is refused."""
    stripped = strip_markers(raw.text)
    cleaned = clean_text(stripped.text, title_hint=raw.meta.title, author_hint=raw.meta.author,
                         markdown=raw.markdown, fallback_title=fallback_title(name))
    body = cleaned.markdown
    if len(body) < settings.min_article_chars:
        raise ImportFailed(f"{name}: only {len(body)} characters of article text are left "
                           f"after cleaning (minimum {settings.min_article_chars}); nothing added")
    share, grams = _repetition(body)
    _refuse_repetition(name, share, settings.max_repeated_share)
    result = ImportResult(path=name, status="added", url=raw.meta.url, title=cleaned.title,
                          publisher=raw.meta.publisher, published=raw.meta.published,
                          measured_on=raw.measured_on,
                          markers=dict(stripped.counts), warnings=list(raw.warnings))
    result.dropped = stripped.dropped + cleaned.dropped
    result.chars_in = raw.read_chars
    result.chars_kept, result.removed = _account(raw, stripped, cleaned)
    if cleaned.title_from == "fallback":
        result.warnings.append(f'no title found (no front-matter title, heading or page title): '
                               f'named "{cleaned.title}" after the file; add a title and '
                               "import it again")
    meta: dict[str, object] = {
        "title": cleaned.title, "author": cleaned.author, "publisher": raw.meta.publisher,
        "url": raw.meta.url, "published": raw.meta.published, "licence": raw.meta.licence,
        "original_file": None if is_url(name) else name, "added": dt.date.today().isoformat(),
    }
    return Prepared(body=body, meta=meta, result=result, grams=grams)


def _account(raw: RawArticle, stripped: Stripped, cleaned: Cleaned) -> tuple[int, dict[str, int]]:
    """Characters kept, and removed per reason, all counted on the text ``raw`` was read
    from; what no rule claims is reported as "other", so read = kept + removed."""
    removed = dict(raw.removed)
    for why, chars in list(stripped.chars.items()) + [
            (why, visible_chars(text)) for why, text in cleaned.dropped]:
        removed[why] = removed.get(why, 0) + chars
    # A title taken from metadata is written as the first line but was never read.
    title_added = visible_chars(cleaned.title) if cleaned.title_from != "text" else 0
    kept = visible_chars(cleaned.markdown) - title_added
    other = raw.read_chars - kept - sum(removed.values())
    if other > 0:
        removed[OTHER] = other
    return min(kept, raw.read_chars - sum(removed.values())), removed


def repeated_share(text: str) -> float:
    """Share of the text's 5-word sequences that repeat an earlier one (0 for no repeats)."""
    return _repetition(text)[0]


def _repetition(text: str) -> tuple[float, set[str]]:
    """The repeated share and the distinct shingles (kept for the near-duplicate check)."""
    words = normalize(text).split()
    grams = word_shingles(words, SHINGLE_WORDS)
    sequences = len(words) - SHINGLE_WORDS + 1
    return (1 - len(grams) / sequences if sequences > 0 else 0.0), grams


def _refuse_repetition(name: str, share: float, limit: float) -> None:
    """Refuse text that mostly repeats itself: it would be embedded again and again."""
    if share > limit:
        raise ImportFailed(f"{name}: {share:.0%} of its {SHINGLE_WORDS}-word sequences repeat "
                           f"earlier ones (limit {limit:.0%}, CRAMP_MAX_REPEATED_SHARE); it is "
                           "mostly repetition, so nothing was added")


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def fallback_title(name: str) -> str:
    """A title from a file name or URL path ("night-cramps.txt" -> "Night cramps")."""
    path = urlsplit(name).path if is_url(name) else name
    stem = PurePosixPath(path.rstrip("/")).stem or (urlsplit(name).hostname or "")
    words = stem.replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize() or "Untitled article"
