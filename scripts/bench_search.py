"""Warm search and ask latency against one single-query embedding call, in one process.

Usage: python scripts/bench_search.py [--index DIR] [--rounds N]
Prints medians (ms) and the ratios the targets are stated in.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from assistant.core import Assistant
from assistant.evaluation import read_items

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval" / "dev.jsonl"


def timed(calls: dict[str, Callable[[str], object]], questions: list[str],
          rounds: int) -> dict[str, list[float]]:
    """Milliseconds per call. The call types take turns on each question, so a busy moment
    on this shared machine slows all of them alike instead of skewing their ratio."""
    out: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for q in questions:
            for name, fn in calls.items():
                t = time.perf_counter()
                fn(q)
                out[name].append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    a = Assistant.load(args.index)
    questions = [i.question for i in read_items(QUESTIONS)]
    a.warm_up()
    for q in questions:  # warm every path once
        a.search(q)
    results = timed({"embed (1 query)": lambda q: a.embedder.embed([q]),
                     "search k=5": lambda q: a.search(q, k=5), "ask": a.ask},
                    questions, args.rounds)
    base = statistics.median(results["embed (1 query)"])
    print(f"{len(questions)} questions x {args.rounds} rounds, call types interleaved")
    for name, values in results.items():
        p50 = statistics.median(values)
        p95 = sorted(values)[int(0.95 * (len(values) - 1))]
        print(f"{name:16} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  "
              f"p50 ratio to embed {p50 / base:5.2f}")


if __name__ == "__main__":
    main()
