"""Hybrid retrieval: dense (FAISS) and keyword (BM25) rankings fused by reciprocal rank.

Dense vectors catch meaning ("not drinking enough" ~ "dehydration"); BM25 catches exact
terms the small model blurs ("quinine", "potassium", "mercury"). Rank fusion needs no score
calibration between the two, so it keeps working as the library grows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .embedding import Embedder
from .settings import Settings
from .store import LoadedIndex
from .textutil import content_words
from .types import Hit


class KeywordIndex:
    """BM25 over stemmed content words of each chunk (heading included)."""

    def __init__(self, texts: list[str]) -> None:
        import bm25s

        self._bm25: Any = bm25s.BM25()
        tokens = [content_words(t) or ["_empty_"] for t in texts]
        self._bm25.index(tokens, show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)
        self._size = len(texts)

    def scores(self, query: str) -> np.ndarray:
        words = [w for w in content_words(query) if w in self._vocab]
        if not words:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(words), dtype=np.float32)


class Retriever:
    """Searches one loaded index; cheap to call from many threads at once."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.keywords = KeywordIndex([c.embed_text for c in index.chunks])

    def search(self, query: str, k: int) -> list[Hit]:
        n = len(self.index.chunks)
        if n == 0 or not query.strip():
            return []
        qvec = self.embedder.embed([query])
        depth = min(self.settings.candidates, n)
        sims, ids = self.index.faiss_index.search(qvec, depth)
        dense_rank = [int(i) for i in ids[0] if i >= 0]
        similarity = {int(i): float(s) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0}
        bm25 = self.keywords.scores(query)
        keyword_rank = [int(i) for i in np.argsort(-bm25)[:depth] if bm25[i] > 0]
        fused = self._fuse(dense_rank, keyword_rank)
        top = sorted(fused, key=lambda i: -fused[i])[:k]
        return [Hit(chunk=self.index.chunks[i], score=fused[i],
                    similarity=similarity.get(i, self._cosine(qvec[0], i)), rank=r + 1)
                for r, i in enumerate(top)]

    def _fuse(self, dense: list[int], keyword: list[int]) -> dict[int, float]:
        k, weight = self.settings.rrf_k, self.settings.bm25_weight
        fused: dict[int, float] = {}
        for rank, i in enumerate(dense):
            fused[i] = fused.get(i, 0.0) + 1.0 / (k + rank + 1)
        for rank, i in enumerate(keyword):
            fused[i] = fused.get(i, 0.0) + weight / (k + rank + 1)
        return fused

    def _cosine(self, qvec: np.ndarray, i: int) -> float:
        return float(np.dot(qvec, self.index.faiss_index.reconstruct(i)))
