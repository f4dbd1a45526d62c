"""Small text helpers shared by keyword search, de-duplication, answering and evaluation."""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

_WORD = re.compile(r"[a-z0-9]+")

#: Names what ``content_words`` does; the saved keyword index records it, and an index made
#: with other words is refused. Change it whenever ``content_words``' output can change.
TOKENIZER_ID = "snowball-english+bm25s-en-plus/1"


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _unless_combining(match: re.Match[str]) -> str:
    return "" if unicodedata.combining(match.group()) else match.group()


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation, fold white space: for matching quotes."""
    if not text.isascii():  # ASCII has no accents to strip (and this is the slow part)
        # Only non-ASCII characters can be combining marks: the rest is never looked at.
        text = _NON_ASCII.sub(_unless_combining, unicodedata.normalize("NFKD", text))
    return " ".join(_WORD.findall(text.lower()))


def words(text: str) -> list[str]:
    """The normalized words of a text, stop words included."""
    return normalize(text).split()


def content_words(text: str) -> list[str]:
    """Stemmed words of a text without stop words: the unit of keyword matching.

    Snowball's English stemmer (PyStemmer) and the bm25s English stop-word list.
    """
    stops = stopwords()
    return [stem(w) for w in words(text) if w not in stops]


def is_stopword(word: str) -> bool:
    return word in stopwords()


@cache
def stopwords() -> frozenset[str]:
    """bm25s's English list. Its module is read on its own: importing it through the bm25s
    package would import scipy too (a tenth of a second a question's process never needs)."""
    import importlib.util

    spec = importlib.util.find_spec("bm25s")  # finds the package without running it
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("bm25s is not installed: pip install bm25s")
    path = Path(spec.origin).with_name("stopwords.py")
    loaded = importlib.util.spec_from_file_location("_bm25s_stopwords", path)
    if loaded is None or loaded.loader is None:
        raise ModuleNotFoundError(f"cannot read bm25s's stop words from {path}")
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return frozenset(module.STOPWORDS_EN_PLUS)


_STEM_LOCK = threading.Lock()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball English stem of one lower-case word (cached; PyStemmer is not thread-safe)."""
    with _STEM_LOCK:
        return str(_stemmer().stemWord(word))


def stems(words: Sequence[str]) -> list[str]:
    """The stems of many words in one call (as :func:`stem` gives them, without its cache)."""
    with _STEM_LOCK:
        return [str(s) for s in _stemmer().stemWords(list(words))]


@cache
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shingles(text: str, size: int = 5) -> set[str]:
    """Overlapping word n-grams, for near-duplicate detection."""
    return word_shingles(normalize(text).split(), size)


def word_shingles(words: list[str], size: int = 5) -> set[str]:
    """The distinct ``size``-word sequences of already normalised ``words``."""
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


#: Names the sentence splitter; recorded with the chunking settings in the index manifest, so
#: an index whose sentences were cut another way is rebuilt. Change it with ``split_sentences``.
SENTENCE_SPLITTER_ID = "syntok/1"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences and list items in ``text``, in order.

    Each line is a unit of its own (headings, list items); inside a line syntok's segmenter
    finds the sentence ends, so abbreviations ("Dr.", "e.g.", "approx."), decimals and
    closing quotes or brackets stay with their sentence.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        spans += [(pos + s, pos + e) for s, e in _line_sentences(line)]
        pos += len(line) + 1
    return [(s, e) for s, e in (_trim(text, s, e) for s, e in spans) if e > s]


def _line_sentences(line: str) -> list[tuple[int, int]]:
    if not line.strip():
        return []
    from syntok.segmenter import split
    from syntok.tokenizer import Tokenizer

    tokens = Tokenizer().tokenize(line)
    sentences = split(iter(tokens))
    starts = [sentence[0].offset for sentence in sentences if sentence]
    return [(start, end) for start, end in zip(starts, [*starts[1:], len(line)], strict=True)]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
