"""Rebuilds that survive readers (issue 11, R1) and damage reported as damage (R10)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from assistant.app.library import Library
from assistant.cli import cli
from assistant.core import index_status
from assistant.index import files
from assistant.index.build import build_index
from assistant.index.embedding import Embedder
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_rebuilds_succeed_while_status_and_health_are_hammered(
    workspace: Settings, embedder: Embedder,
) -> None:
    """Status and health checks run while a build writes beside the index: 20 of 20 rebuilds
    must succeed (before, each check deleted the build's folder under it)."""
    library = Library(workspace, embedder)
    stop = threading.Event()
    readers_ran = [0]

    def hammer() -> None:
        while not stop.is_set():
            index_status(workspace)
            library.status()  # what /healthz and every page load call
            readers_ran[0] += 1

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    failures = []
    try:
        for _ in range(20):
            try:
                build_index(workspace, embedder)
            except Exception as exc:  # noqa: BLE001 - every failure is counted, not raised
                failures.append(repr(exc))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert readers_ran[0] > 20, "the status threads did not run alongside the builds"
    assert not failures, f"{len(failures)} of 20 rebuilds failed: {failures[:3]}"
    assert index_status(workspace).state == "fresh"
    assert not list(workspace.index_dir.parent.glob(".index.tmp-*"))


@pytest.mark.slow
def test_rebuilds_from_the_app_succeed_while_healthz_is_polled(
    workspace: Settings, embedder: Embedder,
) -> None:
    """The same through HTTP: the real app's /healthz polled by 4 clients during 20 rebuilds
    started through the library service, as the Library tab starts them."""
    import uvicorn

    from assistant.app.server import create_app
    from assistant.app.ui import build_demo

    settings = workspace.model_copy(update={"admin_password": SecretStr("pw")})
    library = Library(settings, embedder)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(library, build_demo(library)),
                                           host="127.0.0.1", port=port, log_level="warning"))
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    stop, polls, failures = threading.Event(), [0], []

    def poll() -> None:
        while not stop.is_set():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as r:
                assert r.status == 200
            polls[0] += 1

    try:
        deadline = time.monotonic() + 120
        while not server.started:  # uvicorn's own signal that it listens
            assert serving.is_alive() and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.05)
        pollers = [threading.Thread(target=poll, daemon=True) for _ in range(4)]
        for t in pollers:
            t.start()
        for _ in range(20):
            try:
                library.rebuild("pw")
            except Exception as exc:  # noqa: BLE001 - every failure is counted, not raised
                failures.append(repr(exc))
        stop.set()
        for t in pollers:
            t.join()
    finally:
        stop.set()
        server.should_exit = True
        serving.join(timeout=30)
    assert polls[0] > 20, "the health checks did not run alongside the rebuilds"
    assert not failures, f"{len(failures)} of 20 rebuilds failed: {failures[:3]}"


def test_leftovers_of_a_dead_build_are_cleared_only_under_the_lock(
    workspace: Settings, embedder: Embedder,
) -> None:
    parent = workspace.index_dir.parent
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    leftover = parent / f".index.tmp-20260101-000000-abcdef-{dead}"
    live = parent / f".index.tmp-20260101-000001-abcdef-{os.getppid()}"  # a live process
    for folder in (leftover, live):
        folder.mkdir()
        (folder / "chunks.jsonl").write_text("{}\n")
    index_status(workspace)
    assert leftover.is_dir() and live.is_dir(), "status must only read"
    build_index(workspace, embedder)
    assert not leftover.exists(), "a dead build's folder is cleared by the next build"
    assert live.is_dir(), "a folder whose owner still runs is left alone"


def _truncate_faiss(settings: Settings) -> None:
    with (settings.index_dir / "faiss.index").open("r+b") as fh:
        fh.truncate(1000)  # as `truncate -s 1000 index/faiss.index`


def test_damage_is_reported_and_repaired_by_build_if_needed(workspace: Settings) -> None:
    _truncate_faiss(workspace)
    args = ["--corpus", str(workspace.corpus_dir), "--index", str(workspace.index_dir)]
    runner = CliRunner()
    status = runner.invoke(cli, ["status", *args])
    assert "damaged: rebuild" in status.output and "faiss.index" in status.output, status.output
    built = runner.invoke(cli, ["build", "--if-needed", *args])
    assert built.exit_code == 0 and "built index" in built.output, built.output
    assert "damaged" in built.output
    assert "state:    fresh" in runner.invoke(cli, ["status", *args]).output


def test_damage_inside_a_large_file_is_found_by_verify(
    workspace: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(files, "SMALL", 1 << 16)  # the seed index is small: sample it too
    path = workspace.index_dir / "sentences.npy"
    data = bytearray(path.read_bytes())
    assert len(data) > 2 << 16, "too small to leave a middle outside the sampled ends"
    middle = len(data) // 2
    data[middle] ^= 0xFF  # one flipped byte: same size, same first and last 64 KiB
    path.write_bytes(bytes(data))
    assert index_status(workspace).damage is None  # the cheap check samples the ends
    verified = index_status(workspace, verify=True)
    assert verified.damage and "sentences.npy" in verified.damage


def test_library_prepare_rebuilds_a_damaged_index_and_says_so(
    workspace: Settings, embedder: Embedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _truncate_faiss(workspace)
    library = Library(workspace, embedder)
    with caplog.at_level("WARNING"):
        built = library.prepare()
    assert built and "built index" in built
    assert any("damaged: rebuild" in r.getMessage() for r in caplog.records), caplog.text
    answer = library.assistant().ask("What causes inner thigh cramps?")
    assert answer.citations and not answer.abstained


@pytest.mark.slow
def test_app_starts_on_a_damaged_index_and_answers(workspace: Settings) -> None:
    _truncate_faiss(workspace)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CRAMP_CORPUS_DIR": str(workspace.corpus_dir),
           "CRAMP_INDEX_DIR": str(workspace.index_dir), "CRAMP_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while True:  # the app's own signal: its health endpoint answers
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).read()
                break
            except OSError:
                assert proc.poll() is None, "the app exited on a damaged index"
                assert time.monotonic() < deadline, "the app did not come up"
                time.sleep(0.2)
        from gradio_client import Client

        answer = Client(url + "/", verbose=False).predict("What causes inner thigh cramps?", [],
                                                         api_name="/ask")
        assert answer["citations"], answer
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "damaged: rebuild" in out and "built index" in out, out
