"""Load on a real app's two APIs, Gradio's `/ask` and the JSON `POST /api/v1/ask`: latency
under concurrency, and what one abusive crowd does to a normal user. Bounded (a fixed number
of requests, each with a timeout) and on 127.0.0.1 only; it starts and stops its own server.

Usage: python scripts/bench_load.py [--rounds N] [--repeats N] [--api both|gradio|json]
                                    [--code DIR]
  --code DIR   serve another checkout's app.py (e.g. `git archive main | tar -x -C DIR`)
               on the same corpus and index, to compare before and after (an app without
               the JSON API is measured on Gradio's only).

Per API: p50/p95 seconds per answered request and answers/s for 1, 5, 10 and 20 clients each
asking ``rounds`` questions in a row, then a normal user's p50/p95 alone and next to 5
clients sending the costliest requests in a loop: a follow-up question after a 2 MB history
(refused unread: over CRAMP_MAX_REQUEST_BYTES), after a history that makes the body just
fit that limit (accepted and answered), and the longest question accepted (the most work
for the model). The normal user asks 2 x ``rounds`` questions alone and then next to each
crowd, ``repeats`` times (the machine is shared and noisy: one ratio is one sample).
Request bodies are encoded once, before the clock starts; each abusive client is a process
of its own.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from appserver import ROOT, ask_gradio, ask_json, gradio_body, json_body, running_app, wait_ready

sys.path.insert(0, str(ROOT))
from assistant.settings import Settings  # noqa: E402

QUESTIONS = ["What causes inner thigh cramps?", "How do I stop a thigh cramp?",
             "When should I see a doctor about leg cramps?", "What foods help prevent cramps?",
             "What is a muscle cramp?"]
FOLLOW_UP = "And how do I stop one?"
EARLIER = "What causes inner thigh cramps? "
HUGE_HISTORY = [["x" * 20_000, "y" * 20_000]] * 25 + [[EARLIER * 33_000, "z" * 20_000]]  # ~2 MB
Call = Callable[[str, bytes], tuple[str, Any]]
Encode = Callable[[Any, Any], bytes]
APIS: dict[str, tuple[Call, Encode]] = {"gradio": (ask_gradio, gradio_body),
                                        "json": (ask_json, json_body)}


def percentiles(seconds: list[float]) -> str:
    if not seconds:
        return "no answers"
    return f"p50 {statistics.median(seconds):.3f} s, p95 {p95(seconds):.3f} s"


def p95(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def clients(url: str, call: Call, bodies: list[bytes], count: int,
            rounds: int) -> tuple[list[float], Counter[str], float]:
    """``count`` clients each sending ``rounds`` of ``bodies`` in a row."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def client(k: int) -> list[float]:
        times = []
        for i in range(rounds):
            started = time.perf_counter()
            kind, _ = call(url, bodies[(k + i) % len(bodies)])
            with lock:
                outcomes[kind] += 1
            if kind == "complete":
                times.append(time.perf_counter() - started)
        return times

    started = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        results = list(pool.map(client, range(count)))
    return [t for r in results for t in r], outcomes, time.perf_counter() - started


def _abuse(call: Call, url: str, body: bytes, stop: Any, seen: Any) -> None:
    """One abusive client: ``body`` again and again until ``stop``; counts the outcomes."""
    kinds = ("complete", "busy", "refused", "error")
    while not stop.is_set():
        kind = call(url, body)[0]
        with seen.get_lock():
            seen[kinds.index(kind) if kind in kinds else 3] += 1


def next_to_abusers(url: str, call: Call, bodies: list[bytes], abusive: bytes,
                    rounds: int, abusers: int = 5) -> tuple[list[float], dict[str, int]]:
    """A normal user's answered-request seconds while ``abusers`` loop on ``abusive``. Each
    abuser is its own process, as another machine would be: the normal user's client does not
    share an interpreter (and its lock) with them."""
    context = multiprocessing.get_context("fork")
    stop, seen = context.Event(), context.Array("i", 4)
    crowd = [context.Process(target=_abuse, args=(call, url, abusive, stop, seen))
             for _ in range(abusers)]
    for p in crowd:
        p.start()
    time.sleep(1.0)  # let the abusive requests fill the line first
    try:
        return clients(url, call, bodies, 1, rounds)[0], dict(zip(
            ("complete", "busy", "refused", "error"), seen[:], strict=True))
    finally:
        stop.set()
        for p in crowd:
            p.join(timeout=330)
            if p.is_alive():
                p.kill()


def largest_accepted(encode: Encode, limit: int) -> bytes:
    """A follow-up after a history that makes the body just fit ``limit`` bytes."""
    body = encode(FOLLOW_UP, [[EARLIER, "z"]])
    repeat = (limit - len(body)) // len(EARLIER)
    return encode(FOLLOW_UP, [[EARLIER * repeat, "z"]])


def has_json_api(url: str) -> bool:
    try:
        urllib.request.urlopen(url + "/api/v1/openapi.json", timeout=10).read()
        return True
    except urllib.error.HTTPError:
        return False


def measure(url: str, api: str, rounds: int, repeats: int) -> None:
    call, encode = APIS[api]
    bodies = [encode(q, []) for q in QUESTIONS]
    clients(url, call, bodies, 2, 2)  # warm up
    print(f"-- {api} API")
    for count in (1, 5, 10, 20):
        times, outcomes, wall = clients(url, call, bodies, count, rounds)
        print(f"{count:2} clients: {percentiles(times)}, {len(times) / wall:.1f} answers/s"
              f" ({dict(outcomes)})")
    settings = Settings()
    limit, longest = settings.max_request_bytes, settings.max_question_chars
    abusive = {"2 MB": encode(FOLLOW_UP, HUGE_HISTORY),
               f"{limit // 1000} kB (the most accepted)": largest_accepted(encode, limit),
               f"the longest question ({longest} characters)":
                   encode((EARLIER * longest)[:longest], [])}
    for size, body in abusive.items():
        ratios = []
        for _ in range(repeats):  # alone, then next to the crowd, each time
            alone = clients(url, call, bodies, 1, 2 * rounds)[0]
            times, seen = next_to_abusers(url, call, bodies, body, 2 * rounds)
            ratios.append(p95(times) / p95(alone) if times else float("nan"))
            print(f"normal user alone: {percentiles(alone)}; next to 5 clients sending {size} "
                  f"requests: {percentiles(times)}, p95 {ratios[-1]:.1f}x alone (their "
                  f"requests: {dict(seen)})", flush=True)
        if repeats > 1:
            print(f"  {size}: p95 ratio median {statistics.median(ratios):.1f}x, "
                  f"{min(ratios):.1f}-{max(ratios):.1f}x over {repeats} repeats")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="questions per client")
    parser.add_argument("--repeats", type=int, default=1, help="times each crowd is measured "
                        "(a normal user alone, then next to it): the p95 ratio's median and "
                        "range are printed")
    parser.add_argument("--api", choices=["both", "gradio", "json"], default="both")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose app.py to serve")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp), args.code) as url:
        wait_ready(url)
        print(f"serving {args.code} at {url}; {args.rounds} questions per client")
        for api in ("gradio", "json") if args.api == "both" else (args.api,):
            if api == "json" and not has_json_api(url):
                print("-- json API: not served by this checkout")
                continue
            measure(url, api, args.rounds, args.repeats)


if __name__ == "__main__":
    main()
