"""The library's own vocabulary: which words it uses, how rarely, and how it explains its terms.

Everything here is learnt from the articles, so it works for an article nobody has read:

- word counts, to correct a misspelt question word to the word the library uses
  ("needels" -> "needles"), but only when the word is neither the library's nor English;
- passage frequencies of stems, so a word's weight is its rarity in this library;
- term bridges: places where an article explains one of its terms in the same breath,
  "peripheral artery disease (PAD)", "statins (medicines that help lower cholesterol)",
  "... for no apparent reason, known as idiopathic leg cramps". A question in the
  explanation's words finds the term, and one using the term finds its explanation.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..textutil import content_words, normalize, stem

# "term (gloss)" and "gloss (term)": a parenthesis of at most eight words after a word.
_PAREN = re.compile(r"(?P<before>[\w’'-]+(?:\s+[\w’'-]+){0,5})\s+\((?P<inside>[^()\n]{2,80})\)")
# "..., known as X" / "also called X" / "also known as X": the name an article gives.
_CALLED = re.compile(r"(?P<before>[^.,;:\n]{3,80}),?\s+(?:also\s+)?(?:known as|called|"
                     r"referred to as)\s+(?P<name>[\w’'-]+(?:\s+[\w’'-]+){0,3})", re.I)
_MAX_GLOSS_WORDS = 8


@dataclass(frozen=True)
class Bridge:
    """An article's term and the words it explains it with, as stems."""

    term: frozenset[str]
    gloss: frozenset[str]
    text: str  # the term and gloss as written, for the search text


class Lexicon:
    """Word statistics and term bridges of one library; read-only once built."""

    def __init__(self, words: Counter[str], stem_df: Counter[str], passages: int,
                 bridges: Sequence[Bridge]) -> None:
        self.words = words
        self.stem_df = stem_df
        self.passages = max(passages, 1)
        self.bridges = tuple(bridges)
        self._speller: Any = None

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Lexicon:
        words: Counter[str] = Counter()
        stem_df: Counter[str] = Counter()
        bridges: dict[tuple[frozenset[str], frozenset[str]], Bridge] = {}
        n = 0
        for text in texts:
            n += 1
            words.update(normalize(text).split())
            stem_df.update(set(content_words(text)))
            for bridge in find_bridges(text):
                bridges.setdefault((bridge.term, bridge.gloss), bridge)
        return cls(words, stem_df, n, list(bridges.values()))

    def knows(self, stem: str) -> bool:
        return stem in self.stem_df

    def idf(self, stem: str) -> float:
        """Rarity of a stem in this library (BM25's idf); unknown stems are the rarest."""
        df = self.stem_df.get(stem, 0)
        return math.log(1 + (self.passages - df + 0.5) / (df + 0.5))

    def weight(self, stem: str) -> float:
        """How much a word says about what a question asks: rare in this library (idf) and
        specific in English at large ("get", "really" are neither)."""
        return self.idf(stem) * specificity(stem)

    def correct(self, word: str) -> str | None:
        """The library word a misspelt ``word`` stands for, or None.

        Only a word of five letters or more that is neither in the library nor an English
        word is corrected, to the most frequent library word within one edit (two for
        words of eight letters or more), so real words the library lacks ("migraines")
        stay as they are and short words, where one edit is another word, are left alone.
        """
        if len(word) < 5 or not word.isalpha() or word in self.words or \
                word in english_words():
            return None
        from symspellpy import Verbosity

        limit = 2 if len(word) >= 8 else 1
        found = self.speller().lookup(word, Verbosity.TOP, max_edit_distance=limit)
        return str(found[0].term) if found else None

    def speller(self) -> Any:
        if self._speller is None:
            from symspellpy import SymSpell

            speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
            for word, count in self.words.items():
                if len(word) >= 3 and word.isalpha():
                    speller.create_dictionary_entry(word, count)
            self._speller = speller
        return self._speller

    def variants(self, word: str) -> list[str]:
        """Library words of the same family as ``word``, which the library does not use
        ("pregnant" -> "pregnancy", "diabetic" -> "diabetes"): the same first six letters
        of a word of seven or more, most used first."""
        if len(word) < 7 or not word.isalpha() or self.knows(stem(word)):
            return []
        prefix = word[:6]
        found = [w for w in self.words if w.startswith(prefix) and w.isalpha()]
        return sorted(found, key=lambda w: -self.words[w])[:3]

    def bridged(self, stems: set[str]) -> list[Bridge]:
        """Bridges named in ``stems`` by one of their rare words, on either side.

        A rare word is in at most one passage in ten (two at least): "cause" in
        "identifiable cause (secondary leg cramps)" is everywhere in a cramps library and
        names nothing, "statins" or "cholesterol" name their bridge.
        """
        rare = max(2, self.passages // 10)
        return [b for b in self.bridges
                if any(s in stems and self.stem_df.get(s, 0) <= rare for s in b.term | b.gloss)]


def find_bridges(text: str) -> list[Bridge]:
    """Term bridges in one passage (see the module docstring)."""
    out = []
    for match in _PAREN.finditer(text):
        inside = match.group("inside").strip()
        if len(inside.split()) > _MAX_GLOSS_WORDS or re.search(r"\d|https?:|www\.", inside):
            continue
        before = match.group("before")
        if re.fullmatch(r"[A-Z]{2,6}s?", inside):  # an abbreviation: the words it stands for
            before = " ".join(before.split()[-len(inside.rstrip("s")):])
            out.append(_bridge(inside, before))
        elif len(inside.split()) == 1:  # "unknown (idiopathic)": the last word and its name
            out.append(_bridge(inside, before.split()[-1]))
        else:  # "statins (medicines that help lower cholesterol levels)"
            out.append(_bridge(before.split()[-1], inside))
    for match in _CALLED.finditer(text):
        out.append(_bridge(match.group("name"), " ".join(match.group("before").split()[-6:])))
    return [b for b in out if b.term and b.gloss and not b.term & b.gloss]


def _bridge(term: str, gloss: str) -> Bridge:
    return Bridge(frozenset(content_words(term)), frozenset(content_words(gloss)),
                  f"{term.strip()} ({gloss.strip()})")


@cache
def _english() -> tuple[str, ...]:
    """English words by falling frequency, from symspellpy's frequency list."""
    from importlib.resources import files

    data = (files("symspellpy") / "frequency_dictionary_en_82_765.txt").read_text("utf-8")
    return tuple(line.split(" ", 1)[0] for line in data.splitlines() if line)


@cache
def english_words() -> frozenset[str]:
    """English words, to tell a typo from a real word the library lacks."""
    return frozenset(_english())


@cache
def _stem_ranks() -> dict[str, int]:
    ranks: dict[str, int] = {}
    for rank, word in enumerate(_english(), 1):
        ranks.setdefault(stem(word), rank)
    return ranks


def specificity(word_stem: str, everyday: int = 1) -> float:
    """How specific a word is in English, 0 to 1, by the log of its frequency rank: 0 for
    the ``everyday`` commonest words and above, 1 for words rarer than any in the list."""
    size = len(_english())
    rank = _stem_ranks().get(word_stem, size)
    return max(0.0, math.log(rank / everyday) / math.log(size / everyday))
