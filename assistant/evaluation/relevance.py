"""Line precision: how much of what an answer shows speaks to the question.

Computed exactly as ``tests/data/eval/README.md`` (the shared evaluation data) defines it:

- a *statement* is each run of answer text that ends in one or more ``[n]`` markers, line by
  line; lines without a marker and the source list are not statements;
- texts are compared lower-cased with every run of non-alphanumeric characters made one
  space; a statement is *relevant* when some labelled quote of its question lies mostly
  inside it or it lies mostly inside a labelled quote: one is a substring of the other, or at
  least 60% of one's 3-word shingles occur in the other. A quote under three words counts
  only as a whole-word substring of the statement.

The labels (``relevant/<set>.jsonl``) list every sentence of the articles that answers each
question; this module is the yardstick, and nothing in the product reads it.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

_RUN = re.compile(r"(.*?(?:\[\d+\])+)")
_MARKERS = re.compile(r"\[\d+\]")
_NON_ALNUM = re.compile(r"[\W_]+")
SHARE = 0.6


def normalize(text: str) -> str:
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def statements(body: str) -> list[str]:
    """The cited statements of an answer body, markers removed, in order."""
    out = []
    for line in body.splitlines():
        for run in _RUN.findall(line):
            text = _MARKERS.sub("", run).strip(" -*")
            if text:
                out.append(text)
    return out


@lru_cache(maxsize=20_000)
def _shingles(normalized: str) -> frozenset[str]:
    w = normalized.split()
    return frozenset(" ".join(w[i:i + 3]) for i in range(len(w) - 2))


def _inside(a: str, b: str) -> bool:
    """Normalized ``a`` lies mostly inside normalized ``b``."""
    if len(a.split()) < 3:
        return f" {a} " in f" {b} "
    if a in b:
        return True
    mine = _shingles(a)
    return bool(mine) and len(mine & _shingles(b)) / len(mine) >= SHARE


def is_relevant(statement: str, quotes: tuple[str, ...]) -> bool:
    s = normalize(statement)
    for quote in quotes:
        q = normalize(quote)
        if not q:
            continue
        if _inside(q, s) or (len(q.split()) >= 3 and _inside(s, q)):
            return True
    return False


def read_labels(question_file: Path) -> dict[str, tuple[str, ...]]:
    """id -> relevant quotes, from ``relevant/<name>.jsonl`` beside a question file ({} when
    the set has no labels)."""
    path = question_file.parent / "relevant" / question_file.name
    if not path.is_file():
        return {}
    labels = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            labels[str(record["id"])] = tuple(q["quote"] for q in record.get("relevant", []))
    return labels
