"""Probe a real app for issue 11's findings R2-R6, R8 and R9; prints one figure per line.

Usage: python scripts/probe_hardening.py [--code DIR]
  --code DIR   probe another checkout's app.py (e.g. `git archive main | tar -x -C DIR`)
               on the same corpus and index, to compare before and after.

127.0.0.1 only; it starts and stops its own server. Each probe is bounded.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from appserver import ROOT, ask, running_app

IMAGE_ARTICLE = ("---\ntitle: Cramps in Rowers\n---\n# Cramps in Rowers\n\n"
                 "![stroke chart](http://tracker.example/pixel.gif) Rowers get forearm and calf "
                 "cramps late in long races, when sweat has carried away salt and water. "
                 "Drinking an electrolyte mix between pieces and stretching the calves after "
                 "each session helps rowers avoid these cramps on race day.\n" * 3)


def get(url: str, timeout: float = 120) -> tuple[int, str, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status, reply.read().decode(errors="replace"), \
                time.perf_counter() - started
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace"), time.perf_counter() - started


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    try:
        return urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers),
                                      timeout=60).status
    except urllib.error.HTTPError as exc:
        return exc.code


def probe_spans(url: str) -> None:
    longest = max((ROOT / "corpus").glob("*.md"), key=lambda p: p.stat().st_size)
    article = f"{url}/article/{longest.stem}"
    size = len(longest.read_text(encoding="utf-8"))
    for count in (50, 500, 4000):
        spans = ",".join(f"{i % 7}-{size}" for i in range(count))  # each over the whole article
        code, _, seconds = get(f"{article}?spans={spans}")
        print(f"R2  article page with {count} spans: HTTP {code} in {seconds:.2f} s")
    for label, spans in (("'²-5'", "%C2%B2-5"), ("a 4,300-digit number", "9" * 4300 + "-1")):
        code, body, _ = get(f"{article}?spans={spans}")
        print(f"R6  spans={label}: HTTP {code} {body[:70]!r}")


def probe_questions(url: str) -> None:
    kind, data = ask(url, "What causes \ud800 thigh cramps?\x07")
    print(f"R4  lone surrogate in a question: {kind}: {_short(data)}")
    for label, history in (("5", 5), ("[{...}]", [{"q": 1}]), ("[null]", [None])):
        kind, data = ask(url, "How do I stop one?", history)
        print(f"R5  history={label}: {kind}: {_short(data)}")
    started = time.perf_counter()
    kind, data = ask(url, "How do I stop one?",
                     [["What causes inner thigh cramps? " * 33_000, "x" * 1_000_000]])
    echo = len(data.get("searched_for", "")) if isinstance(data, dict) else 0
    print(f"R3  a 2 MB history: {kind} in {time.perf_counter() - started:.2f} s, "
          f"searched_for {echo:,} characters")


def probe_images(url: str) -> None:
    _, page, _ = get(f"{url}/article/rowers")
    outside = re.findall(r"<img[^>]+src=\"(https?://[^\"]+)\"", page)
    print(f"R8  article page: {len(outside)} image(s) loaded from another host {outside[:1]}")


# Guessing goes through the library's password check (the Library tab's buttons call it).
GUESS = """
import sys, time
from pydantic import SecretStr
from assistant.app.library import Library
from assistant.settings import Settings
lib = Library(Settings(admin_password=SecretStr("right-one")))
started, refused = time.perf_counter(), 0
for i in range(20):
    try:
        lib.check_admin(f"guess-{i}")
    except Exception:
        refused += 1
try:
    lib.check_admin("right-one")
    after = "accepted"
except Exception as exc:
    after = f"refused ({exc})"
print(f"{refused} of 20 refused in {time.perf_counter() - started:.1f} s; then the right "
      f"password {after}")
"""


def probe_admin(url: str, code: Path) -> None:
    guessed = subprocess.run([sys.executable, "-c", GUESS], cwd=code, capture_output=True,
                             text=True, timeout=600, check=True).stdout.strip()
    print(f"R9  20 wrong admin passwords from one client: {guessed}")
    body = (b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"x.txt\"\r\n"
            b"Content-Type: text/plain\r\n\r\n" + b"x" * 1_000_000 + b"\r\n--b--\r\n")
    status = post(f"{url}/gradio_api/upload", body,
                  {"Content-Type": "multipart/form-data; boundary=b"})
    print(f"R9  a 1 MB upload with no admin session: HTTP {status}")


def _short(data: object) -> str:
    if isinstance(data, dict):
        return ("answered, notes " + json.dumps(data.get("notes"))) if "text" in data \
            else json.dumps(data.get("error"))[:110]
    return json.dumps(data)[:110]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose app.py to probe")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, \
            running_app(Path(tmp), args.code, extra_articles={"rowers.md": IMAGE_ARTICLE}) as url:
        print(f"probing {args.code} at {url}")
        probe_spans(url)
        probe_questions(url)
        probe_images(url)
        probe_admin(url, args.code)


if __name__ == "__main__":
    main()
