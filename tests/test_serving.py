"""Serving (issue 17): the page and /healthz before the library is loaded, questions that
wait for it, the JSON API beside Gradio's, and an app that never imports torch."""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from assistant.app.gate import too_large
from assistant.app.library import STARTING, Library
from assistant.inputs import EMPTY, HISTORY_SHAPE
from assistant.settings import Settings
from tests.app_server import Server, start_app, stop

from .conftest import EVAL

HEAVY = ("torch", "transformers", "sklearn", "sentence_transformers")


def call(url: str, body: Any = None, raw: bytes | None = None,
         timeout: float = 300) -> tuple[int, Any, Message]:
    """(status, decoded JSON, headers) of a GET (no body) or a JSON POST."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, json.loads(reply.read()), reply.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), exc.headers


def test_questions_asked_while_it_starts_wait_for_it(workspace: Settings, embedder: Any) -> None:
    """The index is missing: start() builds it in the background; a question asked at once
    waits and is answered from it (no second build, no error)."""
    shutil.rmtree(workspace.index_dir)
    library = Library(workspace, embedder=embedder)
    assert not library.ready
    library.start()
    answer = library.ask("What causes inner thigh cramps?")
    assert answer.citations and library.ready and library.status().usable
    library.start()  # once only
    assert library.search("night cramps", k=2)


# -- slow: a real server -----------------------------------------------------------------

@pytest.mark.slow
def test_json_api_gives_gradios_answer_record(server: Server) -> None:
    from gradio_client import Client

    gradio = Client(server.url + "/", verbose=False)
    for question, history in [("What causes inner thigh cramps?", []),
                              ("How do I stop one?", [["What causes inner thigh cramps?", "x"]])]:
        status, answer, _ = call(server.url + "/api/v1/ask", {"question": question,
                                                              "history": history})
        assert status == 200 and answer["citations"] and answer["build_id"]
        assert answer == gradio.predict(question, history, api_name="/ask")
    status, found, _ = call(server.url + "/api/v1/search?q=night+cramps&k=3")
    assert status == 200 and len(found["hits"]) == 3 and found["hits"][0]["rank"] == 1
    assert {"text", "title", "source", "chunk_id", "start", "end"} <= set(found["hits"][0])


@pytest.mark.slow
def test_json_api_refuses_what_it_cannot_use_in_words(server: Server) -> None:
    url = server.url + "/api/v1/ask"
    assert call(url, {"question": "  \x00 "})[:2] == (400, {"detail": EMPTY})
    status, reply, _ = call(url, {"question": "How do I stop one?", "history": [["only"]]})
    assert status == 400 and reply["detail"].startswith(HISTORY_SHAPE)
    assert call(url, raw=b"{not json")[0] == 422
    assert call(url, {"history": []})[0] == 422  # no question
    limit, pause = Settings().max_request_bytes, Settings().refusal_pause_seconds
    for door, body in ((url, {"question": "Why?", "history": [["x" * limit, "y"]]}),
                       (server.url + "/gradio_api/call/ask", {"data": ["Why?", [["x" * limit,
                                                                                  "y"]]]})):
        started = time.monotonic()
        status, reply, _ = call(door, body)  # refused unread, after the pause
        assert (status, reply) == (413, {"detail": too_large(limit)}), door
        assert time.monotonic() - started >= pause
    assert call(server.url + "/api/v1/search?q=cramps&k=0")[0] == 422
    spec = call(server.url + "/api/v1/openapi.json")[1]
    assert {"/api/v1/ask", "/api/v1/search"} <= set(spec["paths"])
    with urllib.request.urlopen(server.url + "/api/v1/docs", timeout=30) as page:
        assert b"swagger" in page.read().lower()


@pytest.mark.slow
def test_the_page_and_health_come_first_and_the_app_never_imports_torch(
        built: Settings, tmp_path: Path, browser: Any) -> None:
    """A start with no index (the app builds one from ten articles): the page and /healthz
    answer while it builds, a question asked meanwhile waits with a "starting up" line and is
    then answered, through the chat and the JSON API. The app logs every import it makes
    (PYTHONPROFILEIMPORTTIME): torch, transformers and scikit-learn are never among them."""
    (tmp_path / "index").mkdir()
    shutil.copytree(built.corpus_dir, tmp_path / "corpus")
    for article in (EVAL / "articles").glob("*.md"):
        shutil.copy(article, tmp_path / "corpus" / article.name)
    running = start_app(built.model_copy(update={"corpus_dir": tmp_path / "corpus",
                                                 "index_dir": tmp_path / "index"}), tmp_path,
                        env={"PYTHONPROFILEIMPORTTIME": "1"})
    try:
        status, health, _ = call(running.url + "/healthz")
        assert status == 200 and health["ok"] and not health["ready"], health
        page = browser.new_page()
        page.goto(running.url)
        page.fill("#question textarea", "What causes inner thigh cramps?")
        page.click("#ask")
        page.get_by_text(STARTING.split(":")[0]).wait_for(timeout=120_000)
        status, answer, _ = call(running.url + "/api/v1/ask",
                                 {"question": "How do I stop a thigh cramp?"})
        assert status == 200 and answer["citations"]
        page.get_by_text("Not medical advice").last.wait_for(timeout=120_000)
        page.close()
        assert call(running.url + "/healthz")[1]["ready"]
    finally:
        stop(running)
    imported = {line.split("|")[-1].strip().split(".")[0]
                for line in running.log().splitlines() if line.startswith("import time:")}
    assert {"gradio", "onnxruntime", "faiss"} <= imported  # the log is the app's imports
    assert not imported & set(HEAVY), imported & set(HEAVY)
