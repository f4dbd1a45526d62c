"""The keyword side of search: BM25 (bm25s) over the stemmed content words of each chunk."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..textutil import content_words


class KeywordIndex:
    """BM25 over stemmed content words of each chunk (heading included)."""

    def __init__(self, texts: list[str]) -> None:
        import bm25s

        self._bm25: Any = bm25s.BM25()
        tokens = [content_words(t) or ["_empty_"] for t in texts]
        self._bm25.index(tokens, show_progress=False)
        self.vocab = frozenset(self._bm25.vocab_dict)
        self._size = len(texts)

    def scores(self, query: str) -> np.ndarray:
        words = [w for w in content_words(query) if w in self.vocab]
        if not words:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(words), dtype=np.float32)
