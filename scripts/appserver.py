"""A throwaway app server for the scripts in this folder: 127.0.0.1 only, a private copy of
the shipped corpus and index, stopped on exit. Also raw calls of Gradio's `/ask` and of the
JSON `POST /api/v1/ask` (no client library: the figures measure the server, not a client's
start-up)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "script-admin-password"


@contextmanager
def running_app(workdir: Path, code: Path = ROOT, env: dict[str, str] | None = None,
                extra_articles: dict[str, str] | None = None) -> Iterator[str]:
    """Serve ``code``'s app.py on a copy of ROOT's corpus and index; yields its URL.

    ``code`` may be another checkout (e.g. `git archive main`) to measure it the same way.
    ``extra_articles`` (file name -> Markdown) are added to the corpus copy first; the app
    indexes them at start.
    """
    shutil.copytree(ROOT / "corpus", workdir / "corpus")
    shutil.copytree(ROOT / "index", workdir / "index")
    for name, text in (extra_articles or {}).items():
        (workdir / "corpus" / name).write_text(text, encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    full_env = {**os.environ, "CRAMP_CORPUS_DIR": str(workdir / "corpus"),
                "CRAMP_INDEX_DIR": str(workdir / "index"), "CRAMP_PORT": str(port),
                "CRAMP_HOST": "127.0.0.1", "CRAMP_ADMIN_PASSWORD": ADMIN,
                "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", **(env or {})}
    with (workdir / "app.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, str(code / "app.py")], env=full_env,
                                cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/healthz", proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float = 600) -> float:
    """Seconds until ``url`` answers (the app's health check), polling; fails if the app
    exits or ``seconds`` pass first."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return time.monotonic() - started
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def wait_ready(url: str, proc: subprocess.Popen[bytes] | None = None,
               seconds: float = 600) -> float:
    """Seconds until the app's health check says it is ready (loaded); an app whose health
    check has no ``ready`` is ready when it answers."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}")
        try:
            if json.loads(urllib.request.urlopen(url + "/healthz", timeout=2).read()).get(
                    "ready", True):
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(url)


def gradio_body(question: Any, history: Any = ()) -> bytes:
    return json.dumps({"data": [question, list(history) if isinstance(history, tuple)
                                else history]}).encode()


def json_body(question: Any, history: Any = ()) -> bytes:
    return json.dumps({"question": question, "history": list(history)
                       if isinstance(history, tuple) else history}).encode()


def ask(url: str, question: Any, history: Any = (), timeout: float = 120) -> tuple[str, Any]:
    """One Gradio `/ask` call: ("complete", answer dict), ("busy", message) for a 503,
    ("refused", message) for a 4xx, or ("error", message)."""
    return ask_gradio(url, gradio_body(question, history), timeout)


def ask_json(url: str, body: bytes, timeout: float = 120) -> tuple[str, Any]:
    """One `POST /api/v1/ask` with a ready-made body: ("complete", answer dict), ("busy",
    message) for a 503, ("refused", message) for a 4xx, ("error", message) otherwise."""
    request = urllib.request.Request(url + "/api/v1/ask", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return "complete", json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return _refusal(exc)
    except OSError as exc:  # a refused body can be cut off while it is still being sent
        return "error", str(exc)


def _refusal(exc: urllib.error.HTTPError) -> tuple[str, str]:
    """("busy", message) for a 503, ("refused", message) for a 4xx, else ("error", ...)."""
    kind = "busy" if exc.code == 503 else "refused" if exc.code < 500 else "error"
    return kind, exc.read().decode(errors="replace")


def ask_gradio(url: str, body: bytes, timeout: float = 120) -> tuple[str, Any]:
    """One Gradio `/ask` call with a ready-made body (see :func:`ask`)."""
    request = urllib.request.Request(url + "/gradio_api/call/ask", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        event = json.loads(urllib.request.urlopen(request, timeout=timeout).read())["event_id"]
    except urllib.error.HTTPError as exc:
        return _refusal(exc)
    except OSError as exc:  # a refused body can be cut off while it is still being sent
        return "error", str(exc)
    kind, data = "error", "the stream ended without a result"
    with urllib.request.urlopen(f"{url}/gradio_api/call/ask/{event}", timeout=timeout) as reply:
        for raw in reply:
            line = raw.decode(errors="replace").rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind in ("complete", "error"):
                data = json.loads(line[6:])
                break
    if kind == "complete" and isinstance(data, list):
        return kind, data[0]
    return "error", data
