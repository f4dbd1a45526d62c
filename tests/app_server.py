"""A real app server and a real browser for the end-to-end tests (imported by test modules).

The server is `python app.py` on 127.0.0.1 with a private copy of the seed corpus and
index; every wait is on the app's own signals (its health endpoint, a page selector).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.index.build import build_index
from assistant.settings import Settings
from scripts.appserver import wait_for

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
ADMIN = "test-admin-secret"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STARTUP_SECONDS = 300  # a loaded CI machine imports Gradio slowly; the health check says when


@dataclass
class Server:
    url: str
    root: Path
    proc: subprocess.Popen[bytes]
    name: str = "app"  # its log is root/<name>.log (several apps can share one library)

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def index(self) -> Path:
        return self.root / "index"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback.sqlite3"

    def log(self) -> str:
        return (self.root / f"{self.name}.log").read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_provenance(built: Settings, root: Path, embedder: Any) -> Settings:
    """A copy of ``built`` whose articles carry a publisher, a link and a date in their front
    matter, re-indexed (every vector reused: the bodies are unchanged)."""
    settings = built.model_copy(update={"corpus_dir": root / "corpus",
                                        "index_dir": root / "index"})
    shutil.copytree(built.corpus_dir, settings.corpus_dir)
    shutil.copytree(built.index_dir, settings.index_dir)
    for day, path in enumerate(sorted(settings.corpus_dir.glob("*.md")), start=1):
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(front)
        meta.update(publisher=meta.get("publisher") or "Example Health Library",
                    url=f"https://health.example.org/{path.stem}", published=f"2023-03-{day:02d}")
        path.write_text("---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n" + body,
                        encoding="utf-8")
    build_index(settings, embedder)
    return settings


def start_app(source: Settings, root: Path, env: dict[str, str] | None = None,
              port: int | None = None, name: str = "app") -> Server:
    """Start the app on a copy of ``source`` (or on ``source`` itself when it is already
    under ``root``); returns once /healthz answers."""
    if source.corpus_dir.resolve() != (root / "corpus").resolve():
        shutil.copytree(source.corpus_dir, root / "corpus")
        shutil.copytree(source.index_dir, root / "index")
    port = port or free_port()
    full_env = {**os.environ, "CRAMP_CORPUS_DIR": str(root / "corpus"),
                "CRAMP_INDEX_DIR": str(root / "index"), "CRAMP_PORT": str(port),
                "CRAMP_HOST": "127.0.0.1", "CRAMP_ADMIN_PASSWORD": ADMIN,
                "CRAMP_ADMIN_FAILURE_DELAY_SECONDS": "0.05",
                "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", **(env or {})}
    full_env = {k: v for k, v in full_env.items() if v}  # "" removes a variable
    log = (root / f"{name}.log").open("wb")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=full_env, cwd=root,
                            stdout=log, stderr=subprocess.STDOUT)
    log.close()
    server = Server(f"http://127.0.0.1:{port}", root, proc, name)
    try:
        seconds = wait_for(server.url + "/healthz", proc, STARTUP_SECONDS)
    except BaseException:
        stop(server)
        raise
    print(f"\n[figure] app answering /healthz {seconds:.1f}s after start (index present)")
    return server


def get_json(url: str) -> Any:
    """GET ``url`` and parse its JSON."""
    with urllib.request.urlopen(url, timeout=30) as reply:
        return json.loads(reply.read())


def admin_login(url: str, password: str, forwarded_for: str) -> tuple[int, str]:
    """POST /admin/login as if through a proxy for ``forwarded_for``: (status, message)."""
    request = urllib.request.Request(url + "/admin/login", method="POST",
                                     data=json.dumps({"password": password}).encode(),
                                     headers={"Content-Type": "application/json",
                                              "X-Forwarded-For": forwarded_for})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())["message"]
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())["message"]


def run_cli(settings: Settings, *args: str) -> str:
    """`cramp-assistant ARGS` on ``settings``' corpus, index and database; its output."""
    env = {**os.environ, "CRAMP_CORPUS_DIR": str(settings.corpus_dir),
           "CRAMP_INDEX_DIR": str(settings.index_dir), "HF_HUB_OFFLINE": "1",
           "CRAMP_DATABASE_URL": settings.database_url or ""}
    env = {k: v for k, v in env.items() if v}
    done = subprocess.run([sys.executable, "-m", "assistant", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def stop(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


@pytest.fixture(scope="session")
def server(built: Settings, embedder: Any,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One app for the session's end-to-end tests, its articles with publisher, link and
    date (the tests leave the library as they found it, or say what they add)."""
    root = tmp_path_factory.mktemp("app")
    running = start_app(with_provenance(built, root, embedder), root)
    yield running
    stop(running)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                                     headless=True)
        yield chromium
        chromium.close()
