"""Figures for the web app, measured on this machine in one run.

Usage: python scripts/bench_app.py [--questions N]
1. start-up: seconds from `python app.py` to the first answered API question, with the
   shipped index present and with it missing (the app builds it first);
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

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "bench-admin"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
QUESTIONS = ["What causes inner thigh cramps?", "How do I stop a thigh cramp?",
             "When should I see a doctor about leg cramps?", "What foods help prevent cramps?",
             "What is a muscle cramp?"]


def start(workdir: Path, with_index: bool) -> tuple[subprocess.Popen[bytes], str, float]:
    """Start the app; return it, its URL and seconds until it answered a question."""
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
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() - started > 300:
                raise RuntimeError("the app did not start") from None
            time.sleep(0.1)
    from gradio_client import Client

    Client(url + "/", verbose=False).predict(QUESTIONS[0], [], api_name="/ask")
    return proc, url, time.monotonic() - started


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
    args = parser.parse_args()
    for with_index in (True, False):
        with tempfile.TemporaryDirectory() as tmp:
            proc, url, seconds = start(Path(tmp), with_index)
            label = "index present" if with_index else "index missing"
            print(f"start-up to first answer ({label}): {seconds:.1f} s")
            if with_index:
                first, whole = browser_figures(url, args.questions)
                print(f"browser, {args.questions} questions: first streamed text median "
                      f"{statistics.median(first) * 1000:.0f} ms, whole answer median "
                      f"{statistics.median(whole) * 1000:.0f} ms")
                seconds, during, summary = rebuild_figures(url)
                print(f"full rebuild from the Library tab: {seconds:.1f} s, {during} API "
                      f"questions answered meanwhile\n  {summary.strip()}")
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
