"""Figures for the web app, measured on this machine in one run.

Usage: python scripts/bench_app.py [--questions N] [--starts N] [--startup-only]
                                   [--index-present-only] [--code DIR]
1. start-up: seconds from `python app.py` until the page and /healthz answer and until the
   first API question is answered, with the shipped index present and with it missing (the
   app builds it first);
2. browser: time from clicking Ask to the first streamed text and to the whole answer
   (Debian's chromium through playwright), medians;
3. rebuild: a full rebuild of the shipped corpus started from the Library tab, while a
   client keeps asking questions through the API: how long it took, how many were answered.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from appserver import ask

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "bench-admin"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
QUESTIONS = ["What causes inner thigh cramps?", "How do I stop a thigh cramp?",
             "When should I see a doctor about leg cramps?", "What foods help prevent cramps?",
             "What is a muscle cramp?"]


def start(workdir: Path, with_index: bool, code: Path = ROOT,
          ) -> tuple[subprocess.Popen[bytes], str, dict[str, float]]:
    """Start ``code``'s app; return it, its URL and the seconds from the start until the page,
    /healthz and the first answered question (Gradio's /ask, as a raw HTTP call made as soon
    as /healthz answers: no client library's start-up is counted)."""
    shutil.copytree(ROOT / "corpus", workdir / "corpus")
    if with_index:
        shutil.copytree(ROOT / "index", workdir / "index")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CRAMP_CORPUS_DIR": str(workdir / "corpus"),
           "CRAMP_INDEX_DIR": str(workdir / "index"), "CRAMP_PORT": str(port),
           "CRAMP_ADMIN_PASSWORD": ADMIN, "GRADIO_ANALYTICS_ENABLED": "False"}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(code / "app.py")], env=env, cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    seen: dict[str, float] = {}
    while len(seen) < 2:
        for name, path in (("page", "/"), ("healthz", "/healthz")):
            try:
                if name not in seen:
                    urllib.request.urlopen(url + path, timeout=1).read()
                    seen[name] = time.monotonic() - started
            except OSError:
                if proc.poll() is not None or time.monotonic() - started > 300:
                    raise RuntimeError("the app did not start") from None
        time.sleep(0.05)
    kind, answer = ask(url, QUESTIONS[0])
    if kind != "complete":
        raise RuntimeError(f"the first question failed: {answer}")
    seen["first answer"] = time.monotonic() - started
    return proc, url, seen


def browser_figures(url: str, rounds: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    first, whole = [], []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = chromium.new_page()
        page.goto(url)
        page.wait_for_selector("#question textarea")
        for i in range(rounds):
            rows = page.locator("#chat .message-row").count()
            page.fill("#question textarea", QUESTIONS[i % len(QUESTIONS)])
            t = time.monotonic()
            page.click("#ask")
            page.wait_for_function(
                "n => document.querySelectorAll('#chat .message-row').length >= n + 2", arg=rows)
            first.append(time.monotonic() - t)
            page.wait_for_function(
                "() => { const b = document.querySelectorAll('#chat .bot'); const x = "
                "b[b.length - 1].innerText; return x.includes('Not medical advice') "
                "|| x.includes('Please type'); }")
            whole.append(time.monotonic() - t)
        chromium.close()
    return first, whole


def rebuild_figures(url: str) -> tuple[float, int, str]:
    from gradio_client import Client
    from playwright.sync_api import sync_playwright

    answered, done = [0], threading.Event()

    def keep_asking() -> None:
        client = Client(url + "/", verbose=False)
        while not done.is_set():
            if client.predict(QUESTIONS[answered[0] % len(QUESTIONS)], [], api_name="/ask"):
                answered[0] += 1

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = chromium.new_page()
        page.goto(url)
        page.get_by_role("tab", name="Library").click()
        page.fill("#password input", ADMIN)
        page.check("#full input")
        asker = threading.Thread(target=keep_asking)
        asker.start()
        before = answered[0]
        t = time.monotonic()
        page.click("#rebuild")
        page.wait_for_function("() => document.querySelector('#log textarea').value"
                               ".includes('Index rebuilt')", timeout=600_000)
        seconds = time.monotonic() - t
        during = answered[0] - before
        summary = page.locator("#log textarea").input_value()
        done.set()
        asker.join()
        chromium.close()
    return seconds, during, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose app.py to run "
                        "(e.g. `git archive main | tar -x -C DIR`), on this corpus and index")
    parser.add_argument("--starts", type=int, default=1,
                        help="start-ups with the index present (medians are printed)")
    parser.add_argument("--startup-only", action="store_true",
                        help="only the start-up figures (no browser, no rebuild)")
    parser.add_argument("--index-present-only", action="store_true",
                        help="skip the start with the index missing")
    args = parser.parse_args()
    for with_index in (True,) if args.index_present_only else (True, False):
        label = "index present" if with_index else "index missing"
        runs = []
        for i in range(args.starts if with_index else 1):
            with tempfile.TemporaryDirectory() as tmp:
                proc, url, seen = start(Path(tmp), with_index, args.code)
                runs.append(seen)
                if with_index and i == 0 and not args.startup_only:
                    browser_and_rebuild(url, args.questions)
                proc.terminate()
                proc.wait()
        figures = ", ".join(f"{name} {statistics.median(r[name] for r in runs):.1f} s"
                            for name in runs[0])
        print(f"start-up ({label}, {args.code}, median of {len(runs)}): {figures}", flush=True)


def browser_and_rebuild(url: str, questions: int) -> None:
    first, whole = browser_figures(url, questions)
    print(f"browser, {questions} questions: first streamed text median "
          f"{statistics.median(first) * 1000:.0f} ms, whole answer median "
          f"{statistics.median(whole) * 1000:.0f} ms")
    seconds, during, summary = rebuild_figures(url)
    print(f"full rebuild from the Library tab: {seconds:.1f} s, {during} API "
          f"questions answered meanwhile\n  {summary.strip()}")


if __name__ == "__main__":
    main()
