"""Hybrid retrieval over one loaded index, for one understood :class:`Query`.

A passage's score blends three signals: the cosine of the question with the whole passage,
the best cosine with any one of its sentences (MiniLM was trained on sentence pairs, and a
passage's one answering sentence is diluted in the passage vector), and BM25 over stemmed
words, which catches exact terms the small model blurs ("quinine", "mercury"). What is
searched comes from :mod:`.understand`: typos corrected, the library's term bridges added.
The halves of an either/or question are searched too, so each half finds its passages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..index.embedding import Embedder
from ..index.keywords import KeywordIndex
from ..index.lexicon import Lexicon
from ..index.store import LoadedIndex
from ..settings import Settings
from ..types import Hit
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
        self.keywords = KeywordIndex([c.embed_text for c in index.chunks])
        self.lexicon = Lexicon.from_texts(c.embed_text for c in index.chunks)

    def search(self, query: Query, k: int) -> list[Hit]:
        scored = self.score(query)
        order = scored.order()[:k]
        return [Hit(chunk=self.index.chunks[int(scored.chunk_ids[j])],
                    score=float(scored.scores[j]), similarity=float(scored.similarity[j]),
                    rank=r + 1) for r, j in enumerate(order)]

    def score(self, query: Query) -> Scored:
        n = len(self.index.chunks)
        vecs = self.embedder.embed([query.search, *query.parts])
        qvec, part_vecs = vecs[0], vecs[1:]
        if n == 0:
            empty = np.zeros(0)
            return Scored(query, qvec, part_vecs, empty.astype(int), empty, empty, empty, empty)
        depth = min(self.settings.candidates, n)
        _, dense_ids = self.index.faiss_index.search(vecs, depth)
        bm25 = self.keywords.scores(query.keywords)
        keyword_ids = np.argsort(-bm25)[:depth]
        ids = np.unique(np.concatenate([dense_ids[dense_ids >= 0].ravel(), keyword_ids]))
        passage = np.asarray(self.index.vectors[ids] @ vecs.T).max(axis=1)
        best_sentence = self._best_sentence(vecs, ids, passage)
        keyword = bm25[ids] / (float(bm25.max()) or 1.0)
        s = self.settings
        scores = ((1 - s.sentence_weight) * passage + s.sentence_weight * best_sentence
                  + s.bm25_weight * keyword)
        return Scored(query, qvec, part_vecs, ids, scores, passage, best_sentence, keyword)

    def _best_sentence(self, vecs: np.ndarray, ids: np.ndarray,
                       fallback: np.ndarray) -> np.ndarray:
        """Per candidate chunk, the best cosine of any of its sentences with the question or
        any of its parts (else the passage's own)."""
        index = self.index
        rows = np.flatnonzero(np.isin(index.sentence_owner, ids))
        best = np.full(len(ids), -np.inf)
        # ids is sorted (np.unique), so searchsorted maps a sentence's chunk to its slot.
        slots = np.searchsorted(ids, index.sentence_owner[rows])
        np.maximum.at(best, slots, (index.sentence_vectors[rows] @ vecs.T).max(axis=1))
        return np.where(np.isfinite(best), best, fallback)
