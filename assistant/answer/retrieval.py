"""Hybrid retrieval over one loaded index, for one understood :class:`Query`.

A passage's score blends four signals: the cosine of the question with the whole passage,
the best cosine with any one of its sentences (MiniLM was trained on sentence pairs, and a
passage's one answering sentence is diluted in the passage vector), BM25 over stemmed
words, which catches exact terms the small model blurs ("quinine", "mercury"), and the
share of the question's subject the passage names (each word weighed by its rarity in the
library and how specific it is in English). What is searched comes from
:mod:`.understand`: typos corrected, the library's term bridges added; the parts of a
several-part question are searched too, so each finds its passages. Work is proportional
to the candidates: FAISS and the keyword index each propose ``candidates`` passages, and
only those are scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..index.embedding import Embedder
from ..index.lexicon import Lexicon
from ..index.store import LoadedIndex
from ..settings import Settings
from ..textutil import content_words
from .understand import Query


@dataclass
class Scored:
    """Every signal for every candidate chunk of one query (also used to compose answers)."""

    query: Query
    qvec: np.ndarray  # the question's vector
    part_vecs: np.ndarray  # one row per part of the question (may be empty)
    chunk_ids: np.ndarray  # candidate chunk positions, ascending
    scores: np.ndarray  # fused score per candidate
    similarity: np.ndarray  # passage cosine
    best_sentence: np.ndarray  # best cosine of any one of the passage's sentences
    keyword: np.ndarray  # BM25, scaled to the query's best match (0..1)

    def order(self) -> np.ndarray:
        """Candidate slots, best first."""
        return np.argsort(-self.scores, kind="stable")


class Retriever:
    """Searches one loaded index; safe to call from many threads at once."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.keywords = index.keywords
        self.lexicon: Lexicon = index.lexicon
        self.words = lru_cache(maxsize=20_000)(self._passage_words)  # remembered per passage

    def score(self, query: Query) -> Scored:
        index, n = self.index, len(self.index.chunks)
        vecs = self.embedder.embed([query.search, *query.parts])
        qvec, part_vecs = vecs[0], vecs[1:]
        if n == 0:
            empty = np.zeros(0)
            return Scored(query, qvec, part_vecs, empty.astype(int), empty, empty, empty, empty)
        depth = min(self.settings.candidates, n)
        _, dense_ids = index.faiss_index.search(vecs, depth)
        keyword_ids, top = self.keywords.top(query.keywords, depth)
        ids = np.unique(np.concatenate([dense_ids[dense_ids >= 0].ravel(), keyword_ids]))
        passage = (np.asarray(index.vectors[ids], dtype=np.float32) @ vecs.T).max(axis=1)
        best = np.max([index.best_sentence(v, ids) for v in vecs], axis=0)
        best_sentence = np.where(np.isfinite(best), best, passage)
        keyword = self.keywords.scores_for(query.keywords, ids) / (float(top[0]) if len(top)
                                                                    else 1.0)
        s = self.settings
        scores = ((1 - s.sentence_weight) * passage + s.sentence_weight * best_sentence
                  + s.bm25_weight * keyword)
        if s.subject_weight:
            scores = scores + s.subject_weight * self._names(query, ids)
        return Scored(query, qvec, part_vecs, ids, scores, passage, best_sentence, keyword)

    def _names(self, query: Query, ids: np.ndarray) -> np.ndarray:
        """Per candidate, the share of the question's subject (by weight) its text names."""
        weights = {w: self.lexicon.weight(w) for w in query.subject}
        total = sum(weights.values())
        if not total:
            return np.zeros(len(ids))
        out = np.zeros(len(ids))
        for slot, pos in enumerate(ids):
            words = self.words(int(pos))
            out[slot] = sum(v for w, v in weights.items() if w in words) / total
        return out

    def _passage_words(self, pos: int) -> frozenset[str]:
        """The content stems of a passage with its title and heading."""
        return frozenset(content_words(self.index.chunks[pos].embed_text))

    def sentence_cosines(self, rows: list[int], queries: np.ndarray) -> np.ndarray:
        """(len(rows), len(queries)) cosines of stored sentence vectors with ``queries``."""
        return np.asarray(self.index.sentence_vectors[rows], dtype=np.float32) @ queries.T

    def hubness(self, row: int) -> float:
        """A sentence's mean cosine with all the library's sentences: high for generic ones
        ("Cramps often affect the calf") that sit close to every question."""
        vector = np.asarray(self.index.sentence_vectors[[row]], dtype=np.float32)[0]
        return float(vector @ self.lexicon.mean_sentence)
