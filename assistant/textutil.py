"""Small text helpers shared by keyword search, de-duplication, answering and evaluation."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")

STOPWORDS = frozenset(
    """a about after again all also am an and any are as at be because been before being
    but by can could did do does doing don down during each even few for from further get
    gets getting had has have having he her here hers him his how i if in into is it its
    just let me more most my no nor not now of off on once one only or other our out over
    own really same she should so some such than that the their them then there these they
    this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours s t ve ll re d m""".split()
)


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation, fold white space: for matching quotes."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_WORD.findall(text.lower()))


@functools.lru_cache(maxsize=1 << 16)  # a library's words repeat: stem each once
def stem(word: str) -> str:
    """A light suffix stripper: enough to match cramp/cramps/cramping, stretch/stretching."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("edly", ""), ("ed", ""), ("es", ""),
                         ("s", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                return word
            if suffix == "es" and not word.endswith(("ches", "shes", "sses", "xes")):
                word = word[:-1]  # "electrolytes" -> "electrolyte", then the e-rule below
                break
            word = word[: len(word) - len(suffix)] + keep
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # "stopp" (from stopping) -> "stop"
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]  # "muscle"/"muscles" and "hydrate"/"hydrated" meet
    return word


#: Names what ``content_words`` does; the saved keyword index records it, and an index made
#: with other words is refused. Change it whenever ``content_words``' output can change.
TOKENIZER_ID = "content-words-1"


def content_words(text: str) -> list[str]:
    """Stemmed words of a text, without stop words: the unit of keyword matching."""
    return [stem(w) for w in normalize(text).split() if w not in STOPWORDS]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shingles(text: str, size: int = 5) -> set[str]:
    """Overlapping word n-grams, for near-duplicate detection."""
    words = normalize(text).split()
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"'“‘(]?[A-Z0-9])")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences and list items in ``text``, in order."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        cursor = 0
        for match in _SENTENCE_END.finditer(line):
            spans.append((line_start + cursor, line_start + match.start()))
            cursor = match.end()
        spans.append((line_start + cursor, line_start + len(line)))
    return [(s, e) for s, e in (_trim(text, s, e) for s, e in spans) if e > s]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
