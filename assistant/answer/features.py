"""What is known about one candidate statement for one question: the line scorer's inputs.

Each feature is a number the pipeline already has or gets cheaply, with a plain meaning; the
weights that turn them into "does this line answer the question?" are learnt
(:mod:`.scorer`), never chosen by hand. Every feature is computed from the question, the
statement, its passage and the library itself, so it means the same for an article nobody
has read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..index.embedding import Embedder
from ..index.lexicon import Lexicon, english_words
from ..index.tables import cached
from ..textutil import content_words, is_stopword, stem, words
from .retrieval import Retriever, Scored
from .statements import AMOUNT
from .understand import Kind, Query, kind_words

if TYPE_CHECKING:
    from .scorer import LineModel

#: The features, in the order the line model's weights are stored.
FEATURES: tuple[str, ...] = (
    "cosine",  # best cosine of the statement's sentences with the question
    "cosine_gap",  # that cosine less the best of any candidate's: how far behind the best
    "part_cosine",  # best cosine with any part of a several-part question (else cosine)
    "specific_cosine",  # cosine once the library's mean sentence is taken from both
    "passage_behind",  # its passage's search score less the best passage's
    "passage_rank",  # log(1 + its passage's rank in search)
    "generic",  # mean cosine with every sentence of the library (high: says little)
    "subject_named",  # share of the question's subject (rarity-weighted) it names
    "subject_in_heading",  # share of the subject its article title and heading name
    "subject_unknown",  # share of the subject the library never uses (the same for all lines)
    "heading_cosine",  # cosine of the question with the statement's section heading
    "heading_kind",  # how much more its heading reads as the kind asked than as others
    "in_introduction",  # it comes before the article's first heading (introductions say little)
    "question_words",  # share of the question's words it uses
    "informative",  # mean rarity (idf) in the library of its words beyond the question's
    "kind_match",  # how much more it reads as an answer to the kind asked than to others
    "kind_learned",  # the kind head's chance that it answers a question of the kind asked
    # The chance that it gives the kind of answer the question asks for, both read by the
    # learnt heads (sentence kinds against question kinds): no wording rule needed, so it
    # also speaks for the questions no rule gives a kind ("Is a banana a day enough?").
    "kind_fit",
    "agreeing_articles",  # other articles with a candidate saying much the same
    "length",  # log of its number of words
    "gives_amount",  # the question asks how much/long/often and it gives an amount
    # Of the question, the same for all its lines: how many lines a good answer has varies
    # with what is asked ("what are the causes" has many, "is heat good" has one or two).
    "asks_yes_no",
    "asks_for_list",  # it asks for causes, treatment, prevention or symptoms
    "close_candidates",  # log(1 + candidates whose cosine is at least the best less 0.1)
)

# Questions of each kind, in their plainest form: a statement that reads as an answer to
# the asked kind more than to the others speaks to what was asked (a cause for "why", a
# step for "what do I do"). They name no subject, so they hold for any library.
KIND_QUESTIONS: dict[Kind, str] = {
    Kind.CAUSES: "What causes it?",
    Kind.TREATMENT: "What should I do to relieve it?",
    Kind.PREVENTION: "How can I prevent it?",
    Kind.SYMPTOMS: "What are the symptoms and what does it feel like?",
    Kind.SEE_DOCTOR: "When should I see a doctor?",
    Kind.DEFINITION: "What is it?",
}
# The same kinds as an article's section headings name them.
KIND_HEADINGS: dict[Kind, str] = {
    Kind.CAUSES: "Causes",
    Kind.TREATMENT: "Treatment and remedies",
    Kind.PREVENTION: "Prevention",
    Kind.SYMPTOMS: "Symptoms",
    Kind.SEE_DOCTOR: "When to see a doctor",
    Kind.DEFINITION: "What it is",
}
LIST_KINDS = frozenset({Kind.CAUSES, Kind.TREATMENT, Kind.PREVENTION, Kind.SYMPTOMS})
# Statements this close (cosine) in different articles say much the same.
AGREEMENT = 0.75


@dataclass(frozen=True)
class Sample:
    """One candidate statement as the scorer sees it."""

    rows: tuple[int, ...]  # its sentence rows
    row: int  # the sentence that speaks for it (best cosine with the question)
    passage_slot: int  # its passage's slot in the search results
    article_id: str
    text: str
    words: frozenset[str]
    heading_words: frozenset[str]
    heading: str  # its section's heading path, or the article title before the first heading
    in_introduction: bool
    cosine: float
    part_cosine: float
    parts: tuple[float, ...] = ()  # best cosine with each part of the question


class Vectors:
    """Embedded fixed texts (the kinds) and headings, each embedded once and remembered
    (at most ``limit`` headings, the most recently used)."""

    def __init__(self, embedder: Embedder, limit: int = 20_000) -> None:
        self.embedder = embedder
        self.limit = limit
        self._kinds: dict[str, dict[Kind, np.ndarray]] = {}
        self._texts: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def kinds(self, texts: dict[Kind, str]) -> dict[Kind, np.ndarray]:
        key = "\n".join(texts.values())
        if key not in self._kinds:
            vecs = self.of(list(texts.values()))
            self._kinds[key] = dict(zip(texts, vecs, strict=True))
        return self._kinds[key]

    def of(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            todo = [t for t in dict.fromkeys(texts) if t not in self._texts]
        if todo:
            vecs = np.asarray(self.embedder.embed(todo), np.float32)
            with self._lock:
                self._texts.update(zip(todo, vecs, strict=True))
                while len(self._texts) > self.limit:
                    self._texts.popitem(last=False)
        with self._lock:
            for t in texts:
                self._texts.move_to_end(t)
            return np.vstack([self._texts[t] for t in texts])


def feature_matrix(samples: Sequence[Sample], scored: Scored, retriever: Retriever,
                   vectors: Vectors, model: LineModel) -> tuple[np.ndarray, np.ndarray]:
    """For one question's candidates: their features, (len(samples), len(FEATURES)), and
    their pair products with the question, (len(samples), dimension)."""
    dim = int(scored.qvec.shape[-1])
    if not samples:
        return np.zeros((0, len(FEATURES)), np.float32), np.zeros((0, dim), np.float32)
    index, lexicon, query = retriever.index, retriever.lexicon, scored.query
    kinds = model.kinds
    sentences = np.asarray(index.sentence_vectors[[s.row for s in samples]], dtype=np.float32)
    headings = vectors.of([s.heading for s in samples])
    cosine = np.array([s.cosine for s in samples], np.float32)
    mean = lexicon.mean_sentence
    specific = _unit(sentences - mean) @ _unit(scored.qvec - mean)
    order = scored.order()
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    slots = np.array([s.passage_slot for s in samples])
    behind = scored.scores[slots] - scored.scores[order[0]]
    weights = subject_weights(query, lexicon)
    asked = set(content_words(query.search))
    wants_amount = query.wants_amount
    columns = {
        "cosine": cosine, "cosine_gap": cosine - cosine.max(),
        "part_cosine": np.array([s.part_cosine for s in samples], np.float32),
        "specific_cosine": specific, "passage_behind": behind,
        "passage_rank": np.log1p(rank[slots]),
        "generic": sentences @ mean,
        "subject_named": np.array([_share(weights, s.words) for s in samples]),
        "subject_in_heading": np.array([_share(weights, s.heading_words) for s in samples]),
        "subject_unknown": np.full(len(samples), _share(
            weights, frozenset(w for w in weights if not lexicon.knows(w)))),
        "question_words": np.array([len(asked & s.words) / max(len(asked), 1)
                                    for s in samples]),
        "informative": np.array([_informative(s.words - asked, lexicon) for s in samples]),
        "heading_cosine": headings @ scored.qvec,
        "heading_kind": _kind_match(headings, vectors.kinds(KIND_HEADINGS).get(query.kind),
                                    vectors.kinds(KIND_HEADINGS)),
        "in_introduction": np.array([float(s.in_introduction) for s in samples]),
        "kind_match": _kind_match(sentences, vectors.kinds(KIND_QUESTIONS).get(query.kind),
                                  vectors.kinds(KIND_QUESTIONS)),
        "kind_learned": kinds.chance(sentences, query.kind.value) if kinds else
        np.zeros(len(samples), np.float32),
        "kind_fit": _kind_fit(sentences, scored.qvec, model),
        "agreeing_articles": _agreeing(sentences, [s.article_id for s in samples]),
        "length": np.log([max(len(s.text.split()), 1) for s in samples]),
        "gives_amount": np.array([float(wants_amount and bool(AMOUNT.search(s.text)))
                                  for s in samples]),
        "asks_yes_no": np.full(len(samples), float(query.yes_no)),
        "asks_for_list": np.full(len(samples), float(query.kind in LIST_KINDS)),
        "close_candidates": np.full(len(samples), np.log1p(
            float((cosine >= cosine.max() - 0.1).sum()))),
    }
    x = np.column_stack([np.asarray(columns[f], np.float32) for f in FEATURES])
    return x, np.asarray(sentences * np.asarray(scored.qvec, np.float32)[None, :], np.float32)


def _kind_fit(sentences: np.ndarray, qvec: np.ndarray, model: LineModel) -> np.ndarray:
    """Per sentence, the chance that its kind of answer is the kind the question asks for."""
    if model.kinds is None or model.asks is None:
        return np.zeros(len(sentences), np.float32)
    asked = model.asks.distribution(np.asarray(qvec, np.float32)[None, :])[0]
    return np.asarray(model.kinds.distribution(sentences) @ asked, np.float32)


def subject_weights(query: Query, lexicon: Lexicon) -> dict[str, float]:
    """The question's words beyond its kind, each weighed by its rarity in the library (idf),
    and by half when it cannot be a noun: nouns name what a question is about ("night",
    "desk"); verbs and adverbs ("happen", "enough") mostly do not."""
    kind = set(content_words(" ".join(kind_words(query.search))))
    out = {}
    for word in dict.fromkeys(words(query.search)):
        s = stem(word)
        if is_stopword(word) or s in kind or s in out or s.isdigit():
            continue
        out[s] = lexicon.idf(s) * (1.0 if can_be_noun(word) else 0.5)
    return out


@lru_cache(maxsize=50_000)
def can_be_noun(word: str) -> bool:
    """lemminflect knows ``word`` as a noun, or does not know it at all (a drug's name):
    told by a table of the English words it knows only as other parts of speech, made once
    (loading lemminflect costs a one-question process more than the question)."""
    return word not in _never_nouns()


def _noun_or_unknown(word: str) -> bool:
    from lemminflect import getAllLemmas

    forms = getAllLemmas(word)
    return not forms or "NOUN" in forms or "PROPN" in forms


@cache
def _never_nouns() -> frozenset[str]:
    return frozenset(cached("never-nouns", ("symspellpy", "lemminflect"), lambda: sorted(
        w for w in english_words() if not _noun_or_unknown(w))))


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.asarray(x / np.maximum(norm, 1e-9), np.float32)


def _informative(new: frozenset[str], lexicon: Lexicon) -> float:
    """How much a statement says beyond the question: "Taking proactive steps can help"
    uses words every passage uses; "rub the cramped muscle gently" does not."""
    return float(np.mean([lexicon.idf(w) for w in new])) if new else 0.0


def _share(weights: dict[str, float], words: frozenset[str]) -> float:
    total = sum(weights.values())
    return sum(v for w, v in weights.items() if w in words) / total if total else 0.0


def _kind_match(vectors: np.ndarray, asked: np.ndarray | None,
                by_kind: dict[Kind, np.ndarray]) -> np.ndarray:
    """Cosine with the asked kind less the mean cosine with every kind (0: no kind asked)."""
    if asked is None:
        return np.zeros(len(vectors), np.float32)
    sims = vectors @ np.vstack(list(by_kind.values())).T
    return np.asarray(vectors @ asked - sims.mean(axis=1), np.float32)


def _agreeing(vectors: np.ndarray, articles: list[str]) -> np.ndarray:
    """Per candidate, how many other articles have a candidate close to it (capped at 3)."""
    ids = np.unique(np.asarray(articles), return_inverse=True)[1]
    close = ((vectors @ vectors.T) >= AGREEMENT) & (ids[:, None] != ids[None, :])
    seen = np.zeros((len(articles), int(ids.max()) + 1), bool)
    rows, cols = np.nonzero(close)
    seen[rows, ids[cols]] = True
    return np.minimum(seen.sum(axis=1), 3).astype(np.float32)
