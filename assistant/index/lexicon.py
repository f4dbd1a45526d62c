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

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ..textutil import content_words, normalize, stem, stems
from ..types import Chunk
from .tables import cached

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
    article_id: str = ""


@dataclass
class LexiconData:
    """What a build saves of the library's words (``lexicon.json``): surface word counts, the
    term bridges with their articles, and the sum of the sentence vectors. Kept up to date
    by adding the new passages and taking away the removed ones, never by re-reading all."""

    words: Counter[str] = field(default_factory=Counter)
    bridges: list[Bridge] = field(default_factory=list)
    sentence_sum: np.ndarray | None = None
    sentences: int = 0

    def add(self, chunks: Iterable[Chunk], sign: int = 1) -> None:
        """Count ``chunks``' words in (or, with ``sign=-1``, out); new bridges are added."""
        for chunk in chunks:
            for word in normalize(chunk.embed_text).split():
                self.words[word] += sign
            if sign > 0:
                self.bridges += [replace(b, article_id=chunk.article_id)
                                 for b in find_bridges(chunk.text)]
        self.words = +self.words  # drop words counted down to nothing

    def drop_articles(self, article_ids: set[str]) -> None:
        self.bridges = [b for b in self.bridges if b.article_id not in article_ids]

    def add_vectors(self, vectors: np.ndarray, sign: int = 1) -> None:
        total = np.asarray(vectors, dtype=np.float64).sum(axis=0) if len(vectors) else 0.0
        base = self.sentence_sum if self.sentence_sum is not None else 0.0
        self.sentence_sum = np.asarray(base + sign * total, dtype=np.float64)
        self.sentences += sign * len(vectors)

    def save(self, path: Path) -> None:
        unique = {(b.term, b.gloss, b.article_id): b for b in self.bridges}
        data = {"words": dict(self.words), "sentences": self.sentences,
                "sentence_sum": [] if self.sentence_sum is None else
                [float(x) for x in np.atleast_1d(self.sentence_sum)],
                "bridges": [[b.article_id, b.text, sorted(b.term), sorted(b.gloss)]
                            for b in unique.values()]}
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LexiconData:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(Counter(data["words"]),
                   [Bridge(frozenset(t), frozenset(g), text, a)
                    for a, text, t, g in data["bridges"]],
                   np.asarray(data["sentence_sum"], dtype=np.float64) if data["sentence_sum"]
                   else None, int(data["sentences"]))


class Lexicon:
    """Word statistics and term bridges of one library; read-only once built. How many
    passages hold a stem comes from the keyword index (``doc_freq``)."""

    def __init__(self, data: LexiconData, doc_freq: Callable[[str], int], passages: int,
                 dimension: int) -> None:
        self.words = data.words
        self.df = doc_freq
        self.passages = max(passages, 1)
        self.bridges = tuple(data.bridges)
        self.mean_sentence = (data.sentence_sum / max(data.sentences, 1)).astype(np.float32) \
            if data.sentence_sum is not None and data.sentences else np.zeros(dimension, np.float32)
        self._by_stem: dict[str, list[Bridge]] = {}
        for bridge in self.bridges:
            for stem_ in bridge.term | bridge.gloss:
                self._by_stem.setdefault(stem_, []).append(bridge)
        self._speller: Any = None
        self._common: dict[str, bool] = {}

    @classmethod
    def from_texts(cls, texts: Sequence[str], dimension: int = 384) -> Lexicon:
        """A lexicon of a few texts held in memory (no index), each text one passage."""
        data = LexiconData()
        df: Counter[str] = Counter()
        for i, text in enumerate(texts):
            data.add([Chunk(f"c{i}", f"a{i}", "", "", text, 0, len(text), "")])
            df.update(set(content_words(text)))
        return cls(data, lambda s: df.get(s, 0), len(texts), dimension)

    def knows(self, stem: str) -> bool:
        return self.df(stem) > 0

    def is_common(self, stem: str) -> bool:
        """Used by more than a quarter of the passages ("cramp" in a cramp library)."""
        common = self._common.get(stem)
        if common is None:  # asked for the same few hundred stems over and over
            common = self._common[stem] = self.df(stem) > self.passages * 0.25
        return common

    def idf(self, stem: str) -> float:
        """Rarity of a stem in this library (BM25's idf); unknown stems are the rarest."""
        df = self.df(stem)
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

    def near(self, word: str) -> bool:
        """``word`` is one edit from a word of the library or a stop word ("crams",
        "wat"): most likely a misspelling of it, however short."""
        from symspellpy import Verbosity

        return bool(self.speller().lookup(word, Verbosity.TOP, max_edit_distance=1)) or \
            bool(_stopword_speller().lookup(word, Verbosity.TOP, max_edit_distance=1))

    def speller(self) -> Any:
        """symspellpy over the library's words, made on the first misspelt question."""
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

    def rare(self, stem: str) -> bool:
        """In at most one passage in ten (two at least): a word that names something."""
        return self.df(stem) <= max(2, self.passages // 10)

    def bridged(self, stems: set[str]) -> list[Bridge]:
        """Bridges named in ``stems`` by one of their rare words, on either side.

        A rare word is in at most one passage in ten (two at least): "cause" in
        "identifiable cause (secondary leg cramps)" is everywhere in a cramps library and
        names nothing, "statins" or "cholesterol" name their bridge.
        """
        named = [s for s in stems if s in self._by_stem and self.rare(s)]
        return list(dict.fromkeys(b for s in named for b in self._by_stem[s]))


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
def _stopword_speller() -> Any:
    from symspellpy import SymSpell

    from ..textutil import stopwords

    speller = SymSpell(max_dictionary_edit_distance=1, prefix_length=7)
    for word in stopwords():
        speller.create_dictionary_entry(word, 1)
    return speller


@cache
def _english() -> tuple[str, ...]:
    """English words by falling frequency, from symspellpy's frequency list."""
    def build() -> list[str]:
        from importlib.resources import files

        data = (files("symspellpy") / "frequency_dictionary_en_82_765.txt").read_text("utf-8")
        return [line.split(" ", 1)[0] for line in data.splitlines() if line]
    return tuple(cached("english", ("symspellpy",), build))


@cache
def english_words() -> frozenset[str]:
    """English words, to tell a typo from a real word the library lacks."""
    return frozenset(_english())


@cache
def _stem_ranks() -> tuple[dict[str, int], int]:
    """Each stem's rank in English (its commonest word's), and the list's size."""
    def build() -> dict[str, Any]:
        english = _english()
        ranks: dict[str, int] = {}
        for rank, word_stem in enumerate(stems(english), 1):  # 82k words stemmed in one call
            ranks.setdefault(word_stem, rank)
        return {"ranks": ranks, "size": len(english)}
    table = cached("stem-ranks", ("symspellpy", "PyStemmer"), build)
    return table["ranks"], table["size"]


def specificity(word_stem: str, everyday: int = 1) -> float:
    """How specific a word is in English, 0 to 1, by the log of its frequency rank: 0 for
    the ``everyday`` commonest words and above, 1 for words rarer than any in the list."""
    ranks, size = _stem_ranks()
    rank = ranks.get(word_stem, size)
    return max(0.0, math.log(rank / everyday) / math.log(size / everyday))
