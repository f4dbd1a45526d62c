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
        self.keywords = KeywordIndex([c.embed_text for c in index.chunks])
        self.lexicon = Lexicon.from_texts(c.embed_text for c in index.chunks)
        self.passages = Space(index.vectors, settings.center_vectors)
        self.sentences = Space(index.sentence_vectors, settings.center_vectors)

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
        passage = self.passages.cosines(ids, vecs).max(axis=1)
        best_sentence = self._best_sentence(vecs, ids, passage)
        keyword = bm25[ids] / (float(bm25.max()) or 1.0)
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
            words = set(content_words(self.index.chunks[int(pos)].embed_text))
            out[slot] = sum(v for w, v in weights.items() if w in words) / total
        return out

    def _best_sentence(self, vecs: np.ndarray, ids: np.ndarray,
                       fallback: np.ndarray) -> np.ndarray:
        """Per candidate chunk, the best cosine of any of its sentences with the question or
        any of its parts (else the passage's own)."""
        index = self.index
        rows = np.flatnonzero(np.isin(index.sentence_owner, ids))
        best = np.full(len(ids), -np.inf)
        # ids is sorted (np.unique), so searchsorted maps a sentence's chunk to its slot.
        slots = np.searchsorted(ids, index.sentence_owner[rows])
        np.maximum.at(best, slots, self.sentences.cosines(rows, vecs).max(axis=1))
        return np.where(np.isfinite(best), best, fallback)


class Space:
    """Cosines between stored vectors and query vectors, optionally centred on the library.

    Centring subtracts the mean of the library's vectors from both sides: in a cramp
    library every sentence shares a "cramps" direction, which makes short generic sentences
    ("Cramps often affect the calf") look close to every question. Without it, what a
    sentence says beyond the library's common topic decides less.
    """

    def __init__(self, vectors: np.ndarray, center: bool) -> None:
        self.vectors = vectors
        self.average = np.asarray(vectors, dtype=np.float32).mean(axis=0) if len(vectors) \
            else np.zeros(vectors.shape[1], np.float32)
        self.mean = self.average if center else None

    def hubness(self, row: int) -> float:
        """A vector's mean cosine with all the library's vectors: high for generic sentences
        ("Cramps often affect the calf") that sit close to every question."""
        return float(np.asarray(self.vectors[row], dtype=np.float32) @ self.average)

    def cosines(self, rows: np.ndarray | list[int], queries: np.ndarray) -> np.ndarray:
        """(len(rows), len(queries)) cosines."""
        stored = np.asarray(self.vectors[rows], dtype=np.float32)
        if self.mean is None:
            return stored @ queries.T
        return _unit(stored - self.mean) @ _unit(queries - self.mean).T


def _unit(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-9)
