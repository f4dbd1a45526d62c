"""The keyword side of search: BM25 over the stemmed content words of each chunk, on disk.

The index is a term-major sparse matrix (scipy CSC: one posting list per word) holding each
(word, chunk) pair's term count and BM25 weight, saved as ``.npy`` files and memory-mapped
on load, so loading does not grow with the library and a question touches only the posting
lists of its own words. Weights follow bm25s's default ("lucene") formula, and a test checks
they equal bm25s's scores; bm25s itself cannot add documents to a saved index, and an
incremental build must: it keeps the counts of unchanged chunks and recomputes the weights
(N, document frequencies and the mean length change with every document) in a few
vectorised passes instead of re-tokenising the whole library.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..textutil import content_words

K1, B = 1.5, 0.75  # bm25s's defaults
_ARRAYS = ("indptr", "docs", "counts", "weights", "lengths")


@dataclass
class KeywordIndex:
    """Posting lists over ``len(lengths)`` chunks; ``vocab`` maps a stemmed word to its list."""

    vocab: dict[str, int]
    indptr: np.ndarray  # word id -> start of its postings (len(vocab) + 1 entries)
    docs: np.ndarray  # chunk positions, ascending within each word's postings
    counts: np.ndarray  # times the word occurs in that chunk
    weights: np.ndarray  # its BM25 weight there
    lengths: np.ndarray  # content words per chunk

    @property
    def size(self) -> int:
        return len(self.lengths)

    def doc_freq(self, word: str) -> int:
        """How many chunks contain ``word`` (a stem, as ``content_words`` gives it)."""
        t = self.vocab.get(word)
        # item() reads the memory map in C; indexing it goes through numpy's Python code.
        return 0 if t is None else int(self.indptr.item(t + 1) - self.indptr.item(t))

    def __post_init__(self) -> None:
        # A question asks for its top chunks, then for its candidates' scores: sum once.
        self._summed = lru_cache(maxsize=16)(self._sum)

    def _sum(self, query: str) -> np.ndarray:
        """Every chunk's BM25 score for ``query``; a repeated query word counts again, as in
        bm25s. Summed with bincount, not by sorting postings: a common word's postings run to
        millions at a million chunks."""
        terms = [self.vocab[w] for w in content_words(query) if w in self.vocab]
        if not terms:
            return np.zeros(self.size, np.float32)
        docs = np.concatenate([self.docs[self.indptr[t]:self.indptr[t + 1]] for t in terms])
        weights = np.concatenate([self.weights[self.indptr[t]:self.indptr[t + 1]]
                                  for t in terms])
        return np.bincount(docs, weights, minlength=self.size).astype(np.float32)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk (zero where no query word occurs)."""
        return self._summed(query).copy()

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best-scoring chunks that share a word with ``query``, best first, without
        sorting the others: (positions, scores)."""
        summed = self._summed(query)
        ids = np.argpartition(-summed, k - 1)[:k] if 0 < k < len(summed) else \
            np.arange(len(summed))
        ids = ids[summed[ids] > 0]  # BM25 weights are positive: zero means no shared word
        ids = ids[np.argsort(-summed[ids], kind="stable")]
        return ids.astype(np.int64), summed[ids]

    def scores_for(self, query: str, ids: np.ndarray) -> np.ndarray:
        """BM25 scores of the chunks at positions ``ids``."""
        return self._summed(query)[np.asarray(ids, dtype=np.int64)]

    # -- building and saving ---------------------------------------------------------------

    def save(self, folder: Path) -> list[str]:
        """Write the index into ``folder``; returns the file names written."""
        folder.mkdir(parents=True, exist_ok=True)
        words = sorted(self.vocab, key=self.vocab.__getitem__)
        (folder / "vocab.json").write_text(json.dumps(words, ensure_ascii=False),
                                           encoding="utf-8")
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)
        return ["vocab.json", *(f"{name}.npy" for name in _ARRAYS)]

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        """Memory-map a saved index: only the vocabulary is read into memory."""
        words = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        arrays = {n: np.load(folder / f"{n}.npy", mmap_mode="r", allow_pickle=False)
                  for n in _ARRAYS}
        return cls(vocab={w: i for i, w in enumerate(words)}, **arrays)

    @classmethod
    def build(cls, texts: Iterable[str], base: KeywordIndex | None = None,
              keep: np.ndarray | None = None) -> KeywordIndex:
        """An index of ``base``'s chunks at positions ``keep`` (in that order), then ``texts``."""
        import scipy.sparse as sp

        vocab = dict(base.vocab) if base is not None else {}
        matrix = _count_terms(texts, vocab)
        if base is not None and keep is None:
            matrix = base._append(matrix)  # the common case, done without a full conversion
        elif base is not None:
            matrix = sp.vstack([base.matrix(len(vocab))[keep], matrix], format="csr")
        return cls.from_counts(vocab, matrix)

    def _append(self, new: Any) -> Any:
        """This index's counts with the rows of ``new`` (CSR, maybe wider) after them, as CSC:
        each word's new postings go after its old ones, which only shift to make room."""
        import scipy.sparse as sp

        width = new.shape[1]
        old_ptr = np.concatenate([self.indptr, np.full(width + 1 - len(self.indptr),
                                                       self.indptr[-1])]).astype(np.int64)
        old_len, fresh = np.diff(old_ptr), new.tocsc()
        new_len = np.diff(fresh.indptr)
        indptr = old_ptr + np.concatenate([[0], np.cumsum(new_len)])
        docs = np.empty(int(indptr[-1]), np.int32)
        counts = np.empty(int(indptr[-1]), np.float32)
        at_old = np.arange(len(self.docs)) + np.repeat(indptr[:-1] - old_ptr[:-1], old_len)
        docs[at_old], counts[at_old] = self.docs, self.counts
        at_new = np.repeat(indptr[:-1] + old_len - fresh.indptr[:-1], new_len) + \
            np.arange(fresh.nnz)
        docs[at_new], counts[at_new] = fresh.indices + self.size, fresh.data
        return sp.csc_matrix((counts, docs, indptr), shape=(self.size + new.shape[0], width))

    def matrix(self, width: int | None = None) -> Any:
        """The (chunks x words) term-count matrix, CSR."""
        import scipy.sparse as sp

        shape = (self.size, width or len(self.vocab))
        pad = np.full(shape[1] - len(self.vocab), self.indptr[-1], self.indptr.dtype)
        csc = sp.csc_matrix((np.asarray(self.counts), np.asarray(self.docs),
                             np.concatenate([self.indptr, pad])), shape=shape)
        return csc.tocsr()

    @classmethod
    def from_counts(cls, vocab: dict[str, int], matrix: Any) -> KeywordIndex:
        """BM25 weights (bm25s's lucene variant) from a (chunks x words) count matrix."""
        csc = matrix.tocsc()
        csc.sort_indices()
        n = csc.shape[0]
        lengths = np.asarray(csc.sum(axis=1)).ravel().astype(np.float32)
        df = np.diff(csc.indptr)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        tf = csc.data.astype(np.float32)
        dl = lengths[csc.indices]
        mean = float(lengths.mean()) if n else 1.0
        tfc = tf / (K1 * ((1 - B) + B * dl / (mean or 1.0)) + tf)
        weights = (np.repeat(idf, df) * tfc).astype(np.float32)
        return cls(vocab=vocab, indptr=csc.indptr.astype(np.int64),
                   docs=csc.indices.astype(np.int32), counts=tf.astype(np.uint16),
                   weights=weights, lengths=lengths)


def _count_terms(texts: Iterable[str], vocab: dict[str, int]) -> Any:
    """The texts' (rows x words) content-word count matrix, CSR; ``vocab`` grows as needed."""
    import scipy.sparse as sp

    # Compact integer arrays, not lists: a million chunks hold some 60 million (word, chunk)
    # pairs.
    indptr, terms, counts = array("q", [0]), array("q"), array("q")
    for text in texts:
        seen: dict[int, int] = {}
        for word in content_words(text):
            t = vocab.setdefault(word, len(vocab))
            seen[t] = seen.get(t, 0) + 1
        terms.extend(seen)
        counts.extend(seen.values())
        indptr.append(len(terms))
    return sp.csr_matrix((np.frombuffer(counts, np.int64).astype(np.float32),
                          np.frombuffer(terms, np.int64), np.frombuffer(indptr, np.int64)),
                         shape=(len(indptr) - 1, len(vocab)))
