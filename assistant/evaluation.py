"""Measure retrieval (and, where the assistant can answer, answers) on a question set.

Input lines follow ``tests/data/dev.jsonl``: question, category, history, evidence quotes,
key points, should_abstain. A quote counts as found in a passage after normalizing case,
punctuation and white space, since imported articles are cleaned.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AssistantError
from .textutil import normalize
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
                                 "tests/data/dev.jsonl for the expected fields") from exc
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
class EvalReport:
    retrieval: list[RetrievalResult]

    def to_dict(self) -> dict[str, Any]:
        overall = retrieval_scores(self.retrieval)
        return {
            "retrieval": {"overall": overall.values, "count": overall.count,
                          "by_category": {c: s.values for c, s in
                                          by_category(self.retrieval, retrieval_scores).items()},
                          "misses": [r.to_dict() for r in self.retrieval
                                     if r.item.quotes and r.first_rank != 1]},
        }

    def format(self) -> str:
        overall = retrieval_scores(self.retrieval)
        lines = [format_table("retrieval", overall,
                              by_category(self.retrieval, retrieval_scores))]
        misses = [r for r in self.retrieval if r.item.quotes and r.first_rank != 1]
        if misses:
            lines.append("\nnot at rank 1 (first rank holding evidence):")
            lines += [f"  {r.item.id} [{r.first_rank or '-'}] {r.item.question}" for r in misses]
        return "\n".join(lines)


def evaluate(assistant: Any, items: list[EvalItem]) -> EvalReport:
    """Run every item through ``assistant.search`` and judge the passages."""
    results = []
    for item in items:
        history = [(q, "") for q in item.history]
        results.append(judge_retrieval(item, assistant.search(item.question, k=10,
                                                               history=history)))
    return EvalReport(retrieval=results)
