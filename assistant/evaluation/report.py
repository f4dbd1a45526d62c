"""Figures from judged questions: per library scenario and per half, printed side by side."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .items import HALVES, EvalItem
from .judge import AnswerResult, Judged, RetrievalResult

Metrics = dict[str, float]


def retrieval_metrics(results: list[RetrievalResult]) -> Metrics:
    scored = [r for r in results if r.item.quotes]
    n = len(scored)
    if not n:
        return {"questions with evidence": 0.0}
    return {
        "questions with evidence": float(n),
        "hit@1": sum(r.first_rank == 1 for r in scored) / n,
        "hit@5": sum(r.first_rank is not None and r.first_rank <= 5 for r in scored) / n,
        "mrr@10": sum(1 / r.first_rank for r in scored if r.first_rank) / n,
        "evidence_recall@10": sum(r.found / len(r.item.quotes) for r in scored) / n,
    }


def answer_metrics(results: list[AnswerResult]) -> Metrics:
    if not results:
        return {"questions": 0.0}
    answerable = [r for r in results if not r.item.should_abstain]
    sentences = sum(r.sentences for r in results)
    precise = [p for r in results if (p := r.precision) is not None]
    shown = [len(r.shown) for r in answerable if not r.answer.abstained]
    times = sorted(r.seconds * 1000 for r in results)
    return {
        "questions": float(len(results)),
        "key_point_coverage": (sum(r.coverage for r in answerable) / len(answerable)
                               if answerable else 1.0),
        "abstention_accuracy": sum(r.answer.abstained == r.item.should_abstain
                                   for r in results) / len(results),
        "false_abstention": (sum(r.answer.abstained for r in answerable) / len(answerable)
                             if answerable else 0.0),
        "line_precision": sum(precise) / len(precise) if precise else float("nan"),
        "lines_per_answer": sum(shown) / len(shown) if shown else 0.0,
        "grounded_rate": sum(r.grounded for r in results) / sentences if sentences else 1.0,
        "dangling_markers": float(sum(len(r.dangling) for r in results)),
        "ask_p50_ms": statistics.median(times),
        "ask_p95_ms": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
    }


def metrics(judged: Judged) -> Metrics:
    return {**retrieval_metrics(judged.retrieval), **answer_metrics(judged.answers)}


def by_category(judged: Judged) -> dict[str, Metrics]:
    groups: dict[str, Judged] = defaultdict(Judged)
    for r in judged.retrieval:
        groups[r.item.category].retrieval.append(r)
    for a in judged.answers:
        groups[a.item.category].answers.append(a)
    return {cat: metrics(g) for cat, g in sorted(groups.items())}


def _halves(judged: Judged) -> dict[str, Judged]:
    parts = {h: judged.where(_in_half(h)) for h in HALVES}
    return {**parts, "all": judged}


def _in_half(half: str) -> Callable[[EvalItem], bool]:
    return lambda item: item.half == half


@dataclass
class EvalReport:
    """Judged questions per library scenario (name -> results)."""

    scenarios: dict[str, Judged]

    def table(self) -> dict[str, dict[str, Metrics]]:
        """scenario -> half ("tune", "check", "all") -> metrics."""
        return {name: {h: metrics(j) for h, j in _halves(judged).items()}
                for name, judged in self.scenarios.items()}

    def to_dict(self) -> dict[str, Any]:
        return {name: {"halves": halves,
                       "by_category": by_category(self.scenarios[name]),
                       "retrieval_misses": [r.to_dict() for r in _misses(self.scenarios[name])],
                       "answer_failures": [a.to_dict() for a in self.scenarios[name].answers
                                           if a.failed]}
                for name, halves in self.table().items()}

    def format(self, details: bool = False) -> str:
        table = self.table()
        columns = [(name, half) for name in table for half in (*HALVES, "all")]
        names = list(dict.fromkeys(m for s in table.values() for h in s.values() for m in h))
        lines = [_header(columns), *(_row(m, table, columns) for m in names)]
        if details:
            for name, judged in self.scenarios.items():
                lines += ["", f"== {name}: by category (all halves)"]
                lines += _category_lines(by_category(judged))
                lines += _failure_lines(judged)
        return "\n".join(lines)


def _misses(judged: Judged) -> list[RetrievalResult]:
    return [r for r in judged.retrieval if r.item.quotes and r.first_rank != 1]


def _header(columns: list[tuple[str, str]]) -> str:
    scenarios = list(dict.fromkeys(name for name, _ in columns))
    top = f"{'':<24}" + "".join(f"{name[:29]:<30}" for name in scenarios)
    return top + "\n" + f"{'metric':<24}" + "".join(f"{half:>10}" for _, half in columns)


def _row(metric: str, table: dict[str, dict[str, Metrics]],
         columns: list[tuple[str, str]]) -> str:
    cells = []
    for name, half in columns:
        value = table[name][half].get(metric)
        cells.append(f"{'-':>10}" if value is None else f"{_fmt(metric, value):>10}")
    return f"{metric:<24}" + "".join(cells)


def _fmt(metric: str, value: float) -> str:
    if value != value:  # NaN: no labelled, answered question
        return "-"
    if metric.startswith("questions") or metric == "dangling_markers":
        return f"{value:.0f}"
    return f"{value:.1f}" if metric.endswith("_ms") else f"{value:.3f}"


def _category_lines(groups: dict[str, Metrics]) -> list[str]:
    shown = ("hit@1", "hit@5", "key_point_coverage", "line_precision", "lines_per_answer",
             "abstention_accuracy", "false_abstention")
    lines = [f"{'category':<14}{'n':>4}" + "".join(f"{m[:18]:>20}" for m in shown)]
    for cat, m in groups.items():
        n = m.get("questions", 0.0)
        lines.append(f"{cat:<14}{n:>4.0f}" + "".join(
            f"{m[k]:>20.3f}" if k in m else f"{'-':>20}" for k in shown))
    return lines


def _failure_lines(judged: Judged) -> list[str]:
    lines = ["not at rank 1 (first rank holding evidence):"]
    lines += [f"  {r.item.id} ({r.item.half}) [{r.first_rank or '-'}] {r.item.question}"
              for r in _misses(judged)]
    lines.append("answers not fully right:")
    for a in judged.answers:
        if a.failed:
            d = a.to_dict()
            lines.append(f"  {a.item.id} ({a.item.half}) abstained={d['abstained']} "
                         f"missed={d['key_points_missed']} ungrounded={d['ungrounded']} "
                         f"dangling={d['dangling']}: {a.item.question}")
            if a.precision is not None:
                lines += [f"      not relevant: {line}" for line in a.irrelevant]
    return lines

