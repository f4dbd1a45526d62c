"""Two app processes on two ports over one corpus, one index and one PostgreSQL (started
by the tests): a rebuild on one is answered by the other, feedback and lockouts are shared,
a replica killed mid-rebuild leaves the other answering, and a PostgreSQL restart costs no
answer. Every wait ends on a signal: /healthz, an answer's build id, a file, a page."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from assistant.index.store import read_manifest
from assistant.settings import Settings
from scripts.appserver import ask
from tests.app_server import ADMIN, Server, admin_login, get_json, run_cli, start_app, stop
from tests.postgres import Postgres
from tests.test_follow import HEAT, NHS

pytestmark = pytest.mark.slow
WAIT_MS = 180_000
QUESTION = "What causes leg cramps?"


@dataclass
class Pair:
    a: Server
    b: Server
    settings: Settings  # the shared corpus and index
    database_url: str


@pytest.fixture(scope="module")
def pair(built: Settings, postgres: Postgres,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("replicas")
    url = postgres.create_database("replicas")
    settings = built.model_copy(update={"corpus_dir": root / "corpus",
                                        "index_dir": root / "index", "database_url": url})
    shutil.copytree(built.corpus_dir, settings.corpus_dir)
    shutil.copytree(built.index_dir, settings.index_dir)
    env = {"CRAMP_DATABASE_URL": url, "CRAMP_TRUSTED_PROXIES": "127.0.0.1",
           "CRAMP_ADMIN_MAX_FAILURES": "3", "CRAMP_ADMIN_ACCOUNT_MAX_FAILURES": "6",
           "CRAMP_ADMIN_ACCOUNT_LOCKOUT_SECONDS": "3", "CRAMP_FEEDBACK_RETRY_SECONDS": "0.5"}
    with ThreadPoolExecutor(2) as pool:  # both start at once, as replicas do
        started = [pool.submit(start_app, settings, root, env, None, name) for name in "ab"]
        a, b = (f.result() for f in started)
    yield Pair(a, b, settings, url)
    for server in (a, b):
        if server.proc.poll() is None:
            stop(server)


def _answer(server: Server, question: str = QUESTION) -> dict[str, Any]:
    kind, answer = ask(server.url, question)
    assert kind == "complete", (kind, answer, server.log()[-2000:])
    return dict(answer)


def _rebuild_in_browser(browser: Any, server: Server, full: bool = False) -> Any:
    """Press Rebuild on the server's Library tab; returns the page (the rebuild runs on)."""
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(server.url)
    page.get_by_role("tab", name="Library").click()
    page.fill("#password input", ADMIN)
    if full:
        page.check("#full input")
    page.click("#rebuild")
    return page


def test_a_lockout_on_a_holds_on_b_per_address_and_per_account(pair: Pair) -> None:
    for _ in range(3):  # through the trusted proxy (127.0.0.1), as 203.0.113.1
        assert admin_login(pair.a.url, "guess", "203.0.113.1")[0] == 403
    code, message = admin_login(pair.b.url, ADMIN, "203.0.113.1")
    assert code == 403 and "from this connection" in message, message
    assert admin_login(pair.b.url, ADMIN, "203.0.113.2")[0] == 200  # another visitor is not
    for _ in range(3):  # six wrong in all: the account pauses, on both
        admin_login(pair.b.url, "guess", "203.0.113.3")
    code, message = admin_login(pair.a.url, ADMIN, "203.0.113.4")
    assert code == 403 and "sign-in is paused" in message, message
    deadline = time.monotonic() + 30
    while (reply := admin_login(pair.a.url, ADMIN, "203.0.113.4"))[0] != 200:  # after the pause
        assert "paused" in reply[1] and time.monotonic() < deadline, reply
        time.sleep(0.2)


def test_a_rebuild_on_a_is_answered_by_b_within_seconds(pair: Pair, browser: Any) -> None:
    before = _answer(pair.b)["build_id"]
    run_cli(pair.settings, "add", str(NHS), str(HEAT))
    page = _rebuild_in_browser(browser, pair.a)
    deadline = time.monotonic() + 300
    while (new := read_manifest(pair.settings.index_dir)["build_id"]) == before:
        assert time.monotonic() < deadline and pair.a.proc.poll() is None, pair.a.log()
        time.sleep(0.02)
    swapped = time.monotonic()
    while (answer := _answer(pair.b))["build_id"] != new:
        assert time.monotonic() - swapped < 30, answer
    waited = time.monotonic() - swapped
    print(f"\n[figure] rebuild on A ({new}) answered by B {waited:.2f}s after A's swap")
    assert waited < 5
    assert get_json(pair.b.url + "/healthz")["build_id"] == new
    page.wait_for_function("() => document.querySelector('#log textarea').value"
                           ".includes('Index rebuilt')")
    assert _answer(pair.a)["build_id"] == new
    page.close()


def test_a_thumbs_down_on_b_is_in_as_gap_list(pair: Pair, browser: Any) -> None:
    question = "Can pickle juice stop a night cramp in the calf?"
    chat = browser.new_page()
    chat.set_default_timeout(WAIT_MS)
    chat.goto(pair.b.url)
    chat.fill("#question textarea", question)
    chat.click("#ask")
    chat.wait_for_selector("#chat .bot .cramp-done")
    chat.locator("#chat button[aria-label='Dislike']").last.click()
    admin = browser.new_page()
    admin.set_default_timeout(WAIT_MS)
    admin.goto(pair.a.url)
    admin.get_by_role("tab", name="Library").click()
    admin.fill("#password input", ADMIN)
    deadline = time.monotonic() + 60
    while question not in admin.locator("#gaps").inner_text():  # written in the background
        assert time.monotonic() < deadline, "B's thumbs-down never reached A's gap list"
        admin.click("#show-gaps")
        admin.wait_for_selector("#gaps table, #gaps p")
        time.sleep(0.5)
    chat.close()
    admin.close()


def test_postgres_restarted_while_10_clients_chat_loses_no_answer(
        pair: Pair, postgres: Postgres) -> None:
    """Ten clients on both replicas, half their questions abstaining (so each is a feedback
    write), through a fast restart of PostgreSQL: every answer arrives and every abstention
    is in the database afterwards."""
    stop_event, restarted = threading.Event(), threading.Event()
    counts, failures, asked = [0] * 10, [], []
    lock = threading.Lock()

    def client(n: int) -> None:
        server = (pair.a, pair.b)[n % 2]
        for turn in range(200):  # bounded: stops on the signal, or after 200 questions
            if stop_event.is_set():
                return
            question = QUESTION if turn % 2 else f"How do I change a car tyre? ({n}-{turn})"
            kind, answer = ask(server.url, question, timeout=60)
            with lock:
                if kind != "complete" or not answer.get("text"):
                    failures.append((n, turn, kind, str(answer)[:200]))
                counts[n] += 1
                if turn % 2 == 0:
                    asked.append(question)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    try:
        _wait(lambda: min(counts) >= 2, 120, "the clients did not start chatting")
        at_restart = sum(counts)
        started = time.monotonic()
        postgres.restart()
        restart_seconds = time.monotonic() - started
        restarted.set()
        during = sum(counts) - at_restart
        mark = list(counts)
        _wait(lambda: all(c >= m + 3 for c, m in zip(counts, mark, strict=True)), 120,
              "the clients stopped getting answers after the restart")
    finally:
        stop_event.set()
        for t in threads:
            t.join()
    total = sum(counts)
    print(f"\n[figure] PostgreSQL restart ({restart_seconds:.1f}s) under 10 clients: {total} "
          f"answers, {during} during the restart, {len(failures)} failed")
    assert not failures, failures[:5]
    _wait(lambda: _stored(pair.database_url, asked) == len(set(asked)), 60,
          "abstentions asked around the restart were not all stored")


def _stored(url: str, questions: list[str]) -> int:
    with psycopg.connect(url) as db:
        rows = db.execute("SELECT DISTINCT question FROM feedback WHERE kind = 'abstained' "
                          "AND question = ANY(%s)", (list(set(questions)),)).fetchall()
    return len(rows)


def _wait(done: Any, seconds: float, why: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, why
        time.sleep(0.1)


def test_kill_9_of_a_during_its_rebuild_leaves_b_on_the_last_complete_build(
        pair: Pair, browser: Any, tmp_path: Path) -> None:
    """Runs last: it kills A."""
    last = _answer(pair.b)["build_id"]
    _slow_article(tmp_path / "cold-water-swimmers.txt")
    run_cli(pair.settings, "add", str(tmp_path / "cold-water-swimmers.txt"))
    page = _rebuild_in_browser(browser, pair.a, full=True)
    mine = f".index.tmp-*-{pair.a.proc.pid}"
    _wait(lambda: any(pair.settings.index_dir.parent.glob(mine)), 120,
          "A's rebuild did not start")
    os.kill(pair.a.proc.pid, signal.SIGKILL)
    pair.a.proc.wait()
    page.close()
    for _ in range(5):
        assert _answer(pair.b)["build_id"] == last
    health = get_json(pair.b.url + "/healthz")
    assert health["ok"] and health["build_id"] == last
    # The advisory lock died with A's session: the next build (the CLI's) runs, clears A's
    # leftovers, and B answers from it.
    run_cli(pair.settings, "build")
    new = read_manifest(pair.settings.index_dir)["build_id"]
    assert not list(pair.settings.index_dir.parent.glob(mine))
    _wait(lambda: _answer(pair.b)["build_id"] == new, 30, "B did not follow the CLI build")


def _slow_article(path: Path) -> None:
    """A long article, so a full rebuild runs long enough to be interrupted."""
    filler = [f"Open-water swimmer note {i}: lap {i % 7} in lake {i % 5} took {40 + i} strokes "
              f"and the water was {10 + i % 9} degrees." for i in range(800)]
    sections = [f"## Swim log part {k}\n\n" + "\n\n".join(filler[k * 40:(k + 1) * 40])
                for k in range(20)]
    path.write_text("# Cramps in Cold-Water Swimmers\n\nCold water makes the calf muscles of "
                    "swimmers contract hard, so cramps are common in open water.\n\n"
                    + "\n\n".join(sections) + "\n", encoding="utf-8")
