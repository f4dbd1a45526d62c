"""Every process follows the library: a build made anywhere (the CLI, another process, a
deploy) is picked up between questions, and status, /healthz, the Library tab and answers
name the same build. Thread failures are fatal here as everywhere (pyproject filterwarnings).
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.app.library import Library
from assistant.index.build import build_index
from assistant.index.store import read_manifest
from assistant.ingest.corpus import add_articles
from assistant.settings import Settings
from scripts.appserver import ask
from tests.app_server import ROOT, admin_login, get_json, run_cli, start_app, stop

ARTICLES = ROOT / "tests" / "data" / "eval" / "articles"
NHS = ARTICLES / "nhsinform_leg_cramps.md"
HEAT = ARTICLES / "cdc_heat_cramps.md"
QUESTIONS = ["What causes leg cramps?", "How do I stop a cramp from heat at work?",
             "How do I change a car tyre?"]


def _articles_of(settings: Settings) -> tuple[str, set[str]]:
    manifest = read_manifest(settings.index_dir)
    return manifest["build_id"], set(manifest["articles"])


def test_answers_follow_builds_made_elsewhere_and_never_mix_them(
        workspace: Settings, embedder: Any) -> None:
    """Four threads ask and read the status while six builds add and remove an article
    beside them: no call fails, and every answer cites only articles of the build it names."""
    library = Library(workspace.model_copy(update={"follow_interval_seconds": 0}), embedder)
    builds = dict([_articles_of(workspace)])
    seen: list[tuple[str, set[str]]] = []
    stop_event = threading.Event()

    def chat(turn: int) -> None:
        while not stop_event.is_set():
            answer = library.ask(QUESTIONS[turn % len(QUESTIONS)])
            seen.append((answer.build_id, {c.article_id for c in answer.citations}))
            assert library.status().built
            turn += 1

    threads = [threading.Thread(target=chat, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    added: list[Path] = []
    try:
        for i in range(6):
            if i % 2 == 0:
                added = [workspace.corpus_dir / Path(r.article_path).name
                         for r in add_articles([HEAT], workspace)
                         if r.article_path]
                assert added, "the article was not added"
            else:
                added.pop().unlink()
            build_id = build_index(workspace, embedder).build_id
            builds[build_id] = _articles_of(workspace)[1]
            deadline = time.monotonic() + 30
            while library.assistant().index.build_id != build_id:  # picked up by a question
                assert time.monotonic() < deadline and all(t.is_alive() for t in threads)
                time.sleep(0.05)
    finally:
        stop_event.set()
        for t in threads:
            t.join()
    assert len(seen) > 12 and len({b for b, _ in seen}) >= 4, "the chats did not overlap"
    for answered_from, cited in seen:
        assert cited <= builds[answered_from], (answered_from, cited)
    assert library.status().build_id == library.assistant().index.build_id == build_id


@pytest.mark.slow
def test_a_cli_build_beside_the_running_app_is_answered_within_5_seconds(
        built: Settings, tmp_path: Path, browser: Any) -> None:
    root = tmp_path / "lib"
    shutil.copytree(built.corpus_dir, root / "corpus")
    shutil.copytree(built.index_dir, root / "index")
    settings = built.model_copy(update={"corpus_dir": root / "corpus",
                                        "index_dir": root / "index"})
    app = start_app(settings, root, env={"CRAMP_ADMIN_MAX_FAILURES": "3"})
    try:
        before = ask(app.url, QUESTIONS[0])[1]["build_id"]
        run_cli(settings, "add", str(NHS), str(HEAT))
        run_cli(settings, "build")
        swapped = time.monotonic()
        new = read_manifest(settings.index_dir)["build_id"]
        assert new != before
        while (answer := ask(app.url, QUESTIONS[0]))[1]["build_id"] != new:
            assert answer[0] == "complete" and time.monotonic() - swapped < 30, answer
        waited = time.monotonic() - swapped
        print(f"\n[figure] CLI build {new} answered by the running app {waited:.2f}s after "
              "the build finished")
        assert waited < 5
        health = get_json(app.url + "/healthz")
        assert health["build_id"] == new and health["articles"] == 7
        assert f"(build {new})" in run_cli(settings, "status")
        page = browser.new_page()
        page.goto(app.url)
        page.get_by_role("tab", name="Library").click()
        page.wait_for_selector(f"#index-status :text('{new}')", timeout=120_000)
        assert "7 articles" in page.locator("#index-status").inner_text()
        page.close()
        _x_forwarded_for_is_ignored_without_trusted_proxies(app.url)
    finally:
        stop(app)


def _x_forwarded_for_is_ignored_without_trusted_proxies(url: str) -> None:
    for i in range(3):  # each from a "different" forwarded address: all are 127.0.0.1
        assert admin_login(url, "wrong", f"203.0.113.{i}")[0] == 403
    code, message = admin_login(url, "test-admin-secret", "203.0.113.99")
    assert code == 403 and "from this connection" in message, message
