"""Measure retrieval (and, where the assistant can answer, answers) on a question set.

Input lines follow ``tests/data/eval/dev.jsonl``: question, category, history, evidence quotes,
key points, should_abstain. A quote counts as found in a passage after normalizing case,
punctuation and white space, since imported articles are cleaned.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AssistantError
from .textutil import content_words, normalize
from .types import Hit


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    category: str
    history: list[str]
    quotes: list[str]
    key_points: list[str]
    should_abstain: bool


def read_items(path: Path) -> list[EvalItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            items.append(EvalItem(
                id=str(d["id"]), question=d["question"], category=d.get("category", "other"),
                history=list(d.get("history") or []),
                quotes=[e["quote"] for e in d.get("evidence") or []],
                key_points=list(d.get("key_points") or []),
                should_abstain=bool(d.get("should_abstain", False)),
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise AssistantError(f"{path}:{n}: not a question record ({exc}); see "
                                 "tests/data/eval/dev.jsonl for the expected fields") from exc
    return items


@dataclass
class RetrievalResult:
    item: EvalItem
    first_rank: int | None  # 1-based rank of the first passage holding any quote
    found: int  # evidence quotes found in the top 10

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.item.id, "category": self.item.category,
                "question": self.item.question, "first_rank": self.first_rank,
                "evidence_found": self.found, "evidence": len(self.item.quotes)}


def judge_retrieval(item: EvalItem, hits: list[Hit]) -> RetrievalResult:
    passages = [normalize(h.text) for h in hits[:10]]
    quotes = [normalize(q) for q in item.quotes]
    first = next((r for r, p in enumerate(passages, 1) if any(q in p for q in quotes)), None)
    found = sum(any(q in p for p in passages) for q in quotes)
    return RetrievalResult(item, first, found)


@dataclass
class Scores:
    """Metric name -> value, for a group of results."""

    values: dict[str, float] = field(default_factory=dict)
    count: int = 0


def retrieval_scores(results: list[RetrievalResult]) -> Scores:
    scored = [r for r in results if r.item.quotes]
    if not scored:
        return Scores(count=0)
    n = len(scored)
    return Scores(count=n, values={
        "hit@1": sum(r.first_rank == 1 for r in scored) / n,
        "hit@5": sum(r.first_rank is not None and r.first_rank <= 5 for r in scored) / n,
        "mrr@10": sum(1 / r.first_rank for r in scored if r.first_rank) / n,
        "evidence_recall@10": sum(r.found / len(r.item.quotes) for r in scored) / n,
    })


def by_category(results: list[Any], score: Callable[[list[Any]], Scores]) -> dict[str, Scores]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for r in results:
        groups[r.item.category].append(r)
    return {cat: score(rs) for cat, rs in sorted(groups.items())}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def format_table(title: str, overall: Scores, groups: dict[str, Scores]) -> str:
    names = list(overall.values)
    header = f"{title:<14}{'n':>4}" + "".join(f"{m:>20}" for m in names)
    rows = [header, _row("overall", overall, names)]
    rows += [_row(cat, s, names) for cat, s in groups.items() if s.count]
    return "\n".join(rows)


def _row(label: str, s: Scores, names: list[str]) -> str:
    return f"{label:<14}{s.count:>4}" + "".join(f"{s.values.get(m, 0.0):>20.3f}" for m in names)


@dataclass
class AnswerResult:
    item: EvalItem
    answer: Any  # types.Answer
    seconds: float
    key_points_found: list[str]
    sentences: int
    grounded: int
    dangling: list[int]

    @property
    def coverage(self) -> float:
        points = self.item.key_points
        return len(self.key_points_found) / len(points) if points else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.item.id, "category": self.item.category,
                "question": self.item.question, "abstained": self.answer.abstained,
                "should_abstain": self.item.should_abstain,
                "key_points_missed": [k for k in self.item.key_points
                                      if k not in self.key_points_found],
                "ungrounded": self.sentences - self.grounded, "dangling": self.dangling,
                "seconds": round(self.seconds, 4)}


_MARKER = re.compile(r"\[(\d+)\]")
_AGREEMENT = re.compile(r" — \d+ of the \d+ articles say this")


def key_point_found(point: str, answer_words: set[str]) -> bool:
    """A key point counts when most of its (lightly stemmed) content words are in the answer."""
    words = set(content_words(point))
    return not words or len(words & answer_words) / len(words) >= 0.6


def judge_answer(item: EvalItem, answer: Any, seconds: float,
                 fixed_lines: frozenset[str]) -> AnswerResult:
    body = answer.body
    words = set(content_words(body))
    found = [k for k in item.key_points if key_point_found(k, words)]
    passages = {c.n: c.passage for c in answer.citations}
    sentences = grounded = 0
    dangling: list[int] = []
    for line in body.splitlines():
        line = re.sub(r"^\s*[-*]\s+", "", line).strip()
        if not line or line in fixed_lines or line.startswith(("**See a doctor**", "**⚠")):
            continue
        sentences += 1
        marks = [int(n) for n in _MARKER.findall(line)]
        dangling += [n for n in marks if n not in passages]
        cited = " ".join(passages.get(n, "") for n in marks)
        statement = _MARKER.sub("", _AGREEMENT.sub("", line))
        if marks and set(content_words(statement)) <= set(content_words(cited)):
            grounded += 1
    return AnswerResult(item, answer, seconds, found, sentences, grounded, dangling)


def answer_scores(results: list[AnswerResult]) -> Scores:
    if not results:
        return Scores()
    answerable = [r for r in results if not r.item.should_abstain]
    sentences = sum(r.sentences for r in results)
    values = {
        "key_point_coverage": (sum(r.coverage for r in answerable) / len(answerable)
                               if answerable else 1.0),
        "abstention_accuracy": sum(r.answer.abstained == r.item.should_abstain
                                   for r in results) / len(results),
        "false_abstention": (sum(r.answer.abstained for r in answerable) / len(answerable)
                             if answerable else 0.0),
        "grounded_rate": sum(r.grounded for r in results) / sentences if sentences else 1.0,
        "dangling_markers": float(sum(len(r.dangling) for r in results)),
    }
    return Scores(values=values, count=len(results))


@dataclass
class EvalReport:
    retrieval: list[RetrievalResult]
    answers: list[AnswerResult] = field(default_factory=list)

    def latency(self) -> dict[str, float]:
        times = [r.seconds * 1000 for r in self.answers]
        return {"ask_p50_ms": median(times), "ask_p95_ms": percentile(times, 0.95)}

    def _failures(self) -> list[AnswerResult]:
        return [r for r in self.answers if r.coverage < 1 or r.dangling
                or r.grounded < r.sentences or r.answer.abstained != r.item.should_abstain]

    def _misses(self) -> list[RetrievalResult]:
        return [r for r in self.retrieval if r.item.quotes and r.first_rank != 1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "retrieval": {**_section(self.retrieval, retrieval_scores),
                          "misses": [r.to_dict() for r in self._misses()]},
            "answers": {**_section(self.answers, answer_scores), "latency": self.latency(),
                        "failures": [r.to_dict() for r in self._failures()]},
        }

    def format(self) -> str:
        lines = [format_table("retrieval", retrieval_scores(self.retrieval),
                              by_category(self.retrieval, retrieval_scores))]
        misses = self._misses()
        if misses:
            lines.append("\nnot at rank 1 (first rank holding evidence):")
            lines += [f"  {r.item.id} [{r.first_rank or '-'}] {r.item.question}" for r in misses]
        if self.answers:
            lines += ["", format_table("answers", answer_scores(self.answers),
                                       by_category(self.answers, answer_scores))]
            lat = self.latency()
            lines.append(f"ask latency: p50 {lat['ask_p50_ms']:.1f} ms, "
                         f"p95 {lat['ask_p95_ms']:.1f} ms")
            for r in self._failures():
                d = r.to_dict()
                lines.append(f"  {r.item.id} abstained={d['abstained']} "
                             f"missed={d['key_points_missed']} ungrounded={d['ungrounded']} "
                             f"dangling={d['dangling']}: {r.item.question}")
        return "\n".join(lines)


def _section(results: list[Any], score: Callable[[list[Any]], Scores]) -> dict[str, Any]:
    overall = score(results)
    return {"overall": overall.values, "count": overall.count,
            "by_category": {c: s.values for c, s in by_category(results, score).items()}}


def evaluate(assistant: Any, items: list[EvalItem], answers: bool = True) -> EvalReport:
    """Run every item through ``assistant.search`` (and ``ask``) and judge the results."""
    from .answer.compose import FIXED_LINES

    report = EvalReport(retrieval=[])
    for item in items:
        history = [(q, "") for q in item.history]
        hits = assistant.search(item.question, k=10, history=history)
        report.retrieval.append(judge_retrieval(item, hits))
        if answers:
            started = time.perf_counter()
            answer = assistant.ask(item.question, history=history)
            report.answers.append(judge_answer(item, answer, time.perf_counter() - started,
                                               FIXED_LINES))
    return report
