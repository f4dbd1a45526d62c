"""Load on the `/ask` API of a real app: latency under concurrency, and what one abusive
crowd does to a normal user. Bounded (a fixed number of requests, each with a timeout) and
on 127.0.0.1 only; it starts and stops its own server.

Usage: python scripts/bench_load.py [--rounds N] [--code DIR]
  --code DIR   serve another checkout's app.py (e.g. `git archive main | tar -x -C DIR`)
               on the same corpus and index, to compare before and after.

Prints p50/p95 seconds per request for 1, 5, 10 and 20 clients each asking ``rounds``
questions in a row, then a normal user's p50/p95 alone and next to 5 clients sending
maximum-size requests (a follow-up question after a 2 MB history, whose earlier question
the follow-up is rewritten from).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from appserver import ROOT, ask, running_app

QUESTIONS = ["What causes inner thigh cramps?", "How do I stop a thigh cramp?",
             "When should I see a doctor about leg cramps?", "What foods help prevent cramps?",
             "What is a muscle cramp?"]
FOLLOW_UP = "And how do I stop one?"
HUGE_HISTORY = [["x" * 20_000, "y" * 20_000]] * 25 + [["What causes inner thigh cramps? " * 33_000,
                                                        "z" * 20_000]]  # ~2 MB


def percentiles(seconds: list[float]) -> str:
    if not seconds:
        return "no answers"
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):.2f} s, p95 {p95:.2f} s"


def clients(url: str, count: int, rounds: int) -> tuple[list[float], Counter[str], float]:
    """``count`` clients each asking ``rounds`` questions in a row."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def client(k: int) -> list[float]:
        times = []
        for i in range(rounds):
            started = time.perf_counter()
            kind, _ = ask(url, QUESTIONS[(k + i) % len(QUESTIONS)])
            with lock:
                outcomes[kind] += 1
            if kind == "complete":
                times.append(time.perf_counter() - started)
        return times

    started = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        results = list(pool.map(client, range(count)))
    return [t for r in results for t in r], outcomes, time.perf_counter() - started


def normal_user_next_to_abusers(url: str, rounds: int, abusers: int) -> list[float]:
    stop = threading.Event()

    def abuse() -> None:
        while not stop.is_set():
            ask(url, FOLLOW_UP, HUGE_HISTORY, timeout=300)

    threads = [threading.Thread(target=abuse) for _ in range(abusers)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # let the abusive requests fill the line first
    try:
        return clients(url, 1, rounds)[0]
    finally:
        stop.set()
        for t in threads:
            t.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="questions per client")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose app.py to serve")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp), args.code) as url:
        print(f"serving {args.code} at {url}; {args.rounds} questions per client")
        clients(url, 2, 2)  # warm up
        for count in (1, 5, 10, 20):
            times, outcomes, wall = clients(url, count, args.rounds)
            print(f"{count:2} clients: {percentiles(times)}, {len(times) / wall:.1f} answers/s"
                  f" ({dict(outcomes)})")
        print(f"normal user alone:           {percentiles(clients(url, 1, args.rounds)[0])}")
        print("normal user next to 5 clients sending maximum-size requests: "
              f"{percentiles(normal_user_next_to_abusers(url, args.rounds, 5))}")


if __name__ == "__main__":
    main()
