"""Hybrid retrieval over one loaded index.

A chunk's score blends three signals: the cosine of the question with the whole passage,
the best cosine with any one of its sentences (MiniLM was trained on sentence pairs, and
a passage's one answering sentence is diluted in the passage vector), and BM25 over
stemmed words, which catches exact terms the small model blurs ("quinine", "mercury").
The question is expanded with words of its intent and the articles' words for its lay
terms before scoring.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches

import numpy as np

from ..index.embedding import Embedder
from ..index.store import LoadedIndex
from ..settings import Settings
from ..textutil import STOPWORDS, content_words
from ..types import Hit
from .intent import Intent, detect_intent, intent_words
from .safety import check
from .statements import CUES
from .vocabulary import article_terms

# Words the articles use when they speak to each intent.
_INTENT_WORDS = {
    Intent.TREATMENT: "treat relieve relief",
    Intent.PREVENTION: "prevent prevention avoid",
    Intent.SEE_DOCTOR: "seek medical attention doctor",
    Intent.SYMPTOMS: "symptoms",
    Intent.CAUSES: "causes",
    Intent.DEFINITION: "refers to",
    Intent.OTHER: "",
}


# Words every question about this library may use without naming a new subject.
_GENERIC = ("cramp cramps cramping leg legs thigh thighs muscle muscles spasm spasms pain get "
            "getting take taking make good best common usual usually really actually happen "
            "happens help thing things stuff way ways know")


@dataclass(frozen=True)
class Query:
    text: str  # the question as asked (after follow-up rewriting)
    intent: Intent
    dense: str  # what is embedded
    keywords: str  # what BM25 scores


def make_query(question: str) -> Query:
    intent = detect_intent(question)
    if check(question).strong:  # swelling, redness...: the doctor's guidance is the answer
        intent = Intent.SEE_DOCTOR
    dense = f"{question} {_INTENT_WORDS[intent]}".strip()
    return Query(question, intent, dense, f"{dense} {article_terms(question)}")


@dataclass
class Scored:
    """Every signal for every candidate chunk of one query (also used to compose answers)."""

    query: Query
    qvec: np.ndarray
    chunk_ids: np.ndarray
    scores: np.ndarray
    similarity: np.ndarray  # passage cosine
    best_sentence: np.ndarray  # best cosine of any one of the passage's sentences


class Retriever:
    """Searches one loaded index; safe to call from many threads at once."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.keywords = index.keywords

    def search(self, question: str, k: int) -> list[Hit]:
        scored = self.score(make_query(question))
        order = np.argsort(-scored.scores)[:k]
        return [Hit(chunk=self.index.chunks[int(scored.chunk_ids[j])],
                    score=float(scored.scores[j]), similarity=float(scored.similarity[j]),
                    rank=r + 1) for r, j in enumerate(order)]

    def topic_words(self, question: str) -> list[str]:
        """The question's own subject words: no stop words, intent words or 'cramp'/'leg'."""
        generic = set(content_words(" ".join(intent_words(question)) + " " + _GENERIC))
        return [w for w in dict.fromkeys(content_words(question)) if w not in generic
                and not get_close_matches(w, STOPWORDS, n=1, cutoff=0.85)]  # "wich"

    def knows(self, word: str) -> bool:
        """Whether the library speaks of ``word`` (a stem): as is, misspelt, or in lay terms."""
        vocab = self.keywords.vocab
        if word in vocab or any(w in vocab for w in content_words(article_terms(word))):
            return True
        return len(word) >= 5 and self.keywords.has_close_word(word, cutoff=0.8)

    def score(self, query: Query) -> Scored:
        index, n = self.index, len(self.index.chunks)
        qvec = self.embedder.embed([query.dense])[0] if n else np.zeros(0, np.float32)
        if n == 0:
            empty = np.zeros(0)
            return Scored(query, qvec, empty.astype(int), empty, empty, empty)
        depth = min(self.settings.candidates, n)
        _, dense_ids = index.faiss_index.search(qvec[None, :], depth)
        keyword_ids, top = self.keywords.top(query.keywords, depth)
        ids = np.unique(np.concatenate([dense_ids[0][dense_ids[0] >= 0], keyword_ids]))
        passage = index.vectors[ids] @ qvec
        best_sentence = self._best_sentence(qvec, ids, passage)
        top_bm25 = float(top[0]) if len(top) else 1.0
        s = self.settings
        scores = ((1 - s.sentence_weight) * passage + s.sentence_weight * best_sentence
                  + s.bm25_weight * self.keywords.scores_for(query.keywords, ids) / top_bm25)
        cue = CUES.get(query.intent)
        if cue is not None:  # passages that say the kind of thing asked for
            says = [bool(cue.search(index.chunks[int(i)].text)) for i in ids]
            scores = scores + s.intent_weight * np.array(says)
        return Scored(query, qvec, ids, scores, passage, best_sentence)

    def _best_sentence(self, qvec: np.ndarray, ids: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        """Per candidate chunk, the best cosine of any of its sentences (else the passage's)."""
        best = self.index.best_sentence(qvec, ids)
        return np.where(np.isfinite(best), best, fallback)
