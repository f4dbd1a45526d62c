"""Judge one question: did retrieval find the evidence, and is the answer right and grounded?

A quote counts as found in a passage after normalizing case, punctuation and white space,
since imported articles are cleaned. A key point counts as covered when most of its
(stemmed) content words are in the answer body.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..answer.compose import FIXED_LINES, FIXED_OPENINGS
from ..textutil import normalize
from ..types import Answer, Hit
from .items import EvalItem
from .relevance import is_relevant, statements
from .yardstick import content_words

_MARKER = re.compile(r"\[(\d+)\]")
_AGREEMENT = re.compile(r" — \d+ of the \d+ articles say this")


@dataclass
class RetrievalResult:
    item: EvalItem
    first_rank: int | None  # 1-based rank of the first passage holding any quote
    found: int  # evidence quotes found in the top 10

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.item.id, "category": self.item.category, "half": self.item.half,
                "question": self.item.question, "first_rank": self.first_rank,
                "evidence_found": self.found, "evidence": len(self.item.quotes)}


def judge_retrieval(item: EvalItem, hits: list[Hit]) -> RetrievalResult:
    passages = [normalize(h.text) for h in hits[:10]]
    quotes = [normalize(q) for q in item.quotes]
    first = next((r for r, p in enumerate(passages, 1) if any(q in p for q in quotes)), None)
    found = sum(any(q in p for p in passages) for q in quotes)
    return RetrievalResult(item, first, found)


@dataclass
class AnswerResult:
    item: EvalItem
    answer: Answer
    seconds: float
    key_points_found: list[str]
    sentences: int
    grounded: int
    dangling: list[int]
    shown: list[str] = field(default_factory=list)  # the answer's cited statements
    irrelevant: list[str] = field(default_factory=list)  # those no label speaks for

    @property
    def precision(self) -> float | None:
        """Line precision of an answered, in-scope, labelled question (else None)."""
        if (self.answer.abstained or self.item.should_abstain or self.item.relevant is None
                or not self.shown):
            return None
        return 1 - len(self.irrelevant) / len(self.shown)

    @property
    def coverage(self) -> float:
        points = self.item.key_points
        return len(self.key_points_found) / len(points) if points else 1.0

    @property
    def failed(self) -> bool:
        return (self.coverage < 1 or bool(self.dangling) or self.grounded < self.sentences
                or self.answer.abstained != self.item.should_abstain
                or bool(self.precision is not None and self.irrelevant))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.item.id, "category": self.item.category, "half": self.item.half,
                "question": self.item.question, "abstained": self.answer.abstained,
                "should_abstain": self.item.should_abstain,
                "key_points_missed": [k for k in self.item.key_points
                                      if k not in self.key_points_found],
                "ungrounded": self.sentences - self.grounded, "dangling": self.dangling,
                "lines": len(self.shown), "irrelevant_lines": self.irrelevant,
                "seconds": round(self.seconds, 4)}


def key_point_found(point: str, answer_words: set[str]) -> bool:
    """A key point counts when most of its (lightly stemmed) content words are in the answer."""
    words = set(content_words(point))
    return not words or len(words & answer_words) / len(words) >= 0.6


def judge_answer(item: EvalItem, answer: Answer, seconds: float) -> AnswerResult:
    """Key points covered; every non-fixed line cited, and its words all in what it cites."""
    words = set(content_words(answer.body))
    found = [k for k in item.key_points if key_point_found(k, words)]
    passages = {c.n: c.passage for c in answer.citations}
    sentences = grounded = 0
    dangling: list[int] = []
    for line in answer.body.splitlines():
        line = re.sub(r"^\s*[-*]\s+", "", line).strip()
        if not line or line in FIXED_LINES or line.startswith(FIXED_OPENINGS):
            continue
        sentences += 1
        marks = [int(n) for n in _MARKER.findall(line)]
        dangling += [n for n in marks if n not in passages]
        cited = " ".join(passages.get(n, "") for n in marks)
        statement = _MARKER.sub("", _AGREEMENT.sub("", line))
        if marks and set(content_words(statement)) <= set(content_words(cited)):
            grounded += 1
    shown = statements(answer.body)
    irrelevant = [s for s in shown if not is_relevant(s, item.relevant or ())]
    return AnswerResult(item, answer, seconds, found, sentences, grounded, dangling, shown,
                        irrelevant)


@dataclass
class Judged:
    """Every item's retrieval and (optionally) answer result, for one library."""

    retrieval: list[RetrievalResult] = field(default_factory=list)
    answers: list[AnswerResult] = field(default_factory=list)

    def where(self, keep: Callable[[EvalItem], bool]) -> Judged:
        return Judged([r for r in self.retrieval if keep(r.item)],
                      [r for r in self.answers if keep(r.item)])


def evaluate(assistant: Any, items: Iterable[EvalItem], answers: bool = True) -> Judged:
    """Run every item through ``assistant.search`` (and ``ask``) and judge the results."""
    judged = Judged()
    for item in items:
        history = [(q, "") for q in item.history]
        hits = assistant.search(item.question, k=10, history=history)
        judged.retrieval.append(judge_retrieval(item, hits))
        if answers:
            started = time.perf_counter()
            answer = assistant.ask(item.question, history=history)
            judged.answers.append(judge_answer(item, answer, time.perf_counter() - started))
    return judged
