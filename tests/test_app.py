"""The web app: library service and rendering (fast), then a real server driven by
gradio_client and by Debian's chromium through playwright (slow)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from assistant.app.library import Library, NotAllowed
from assistant.app.render import article_html, sources_html
from assistant.app.ui import _pairs
from assistant.errors import AssistantError
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
ADMIN = "test-admin-secret"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
XSS_BODY = ("# Hand Cramps in Violin Players\n\nViolin players often get hand cramps after long "
            "rehearsals because the small muscles of the hand tire.\n\n"
            "<script>window.__pwned = 1</script>\n\n"
            "<img src=x onerror=\"window.__pwned = 2\">\n\n"
            "Resting the bow arm between pieces and warming the fingers before playing helps "
            "violinists avoid hand cramps during concerts.\n")


# -- fast: the service and the HTML, no server ---------------------------------------------

def test_library_changes_need_the_admin_password(workspace: Settings) -> None:
    closed = Library(workspace)
    assert not closed.admin_enabled
    with pytest.raises(NotAllowed, match="CRAMP_ADMIN_PASSWORD"):
        closed.remove("anything", "guess")
    open_ = Library(workspace.model_copy(update={"admin_password": SecretStr(ADMIN)}))
    article_id = open_.articles()[0].article_id
    with pytest.raises(NotAllowed, match="Wrong admin password"):
        open_.remove(article_id, "guess")
    assert "Removed" in open_.remove(article_id, ADMIN)
    assert article_id not in {r.article_id for r in open_.articles()}


def test_library_refuses_oversized_uploads_and_bad_ids(workspace: Settings,
                                                      tmp_path: Path) -> None:
    lib = Library(workspace.model_copy(update={"admin_password": SecretStr(ADMIN),
                                                 "max_upload_bytes": 100}))
    big = tmp_path / "big.txt"
    big.write_text("Cramps. " * 100)
    with pytest.raises(AssistantError, match="upload limit"):
        lib.add([big], ADMIN)
    for bad in ("../../etc/passwd", "x/y", ".hidden", "A B"):
        with pytest.raises(AssistantError, match="not an article id"):
            lib.article(bad)


def test_html_in_articles_is_escaped_everywhere() -> None:
    page = article_html("T <b>", XSS_BODY, [(60, 80)])
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<img" not in page and "&lt;img" in page
    assert page.count('<mark id="cited">') == 1
    from assistant.types import Citation
    c = Citation(n=1, title="<i>t</i>", source="corpus/x.md", section="s", chunk_id="c",
                 passage="<script>x()</script> cramps", quote="cramps", start=21, end=27,
                 spans=((21, 27),), passage_start=0, score=1.0)
    panel = sources_html([c])
    assert "<script>" not in panel and "<i>" not in panel and "<mark>cramps</mark>" in panel
    assert 'href="/article/x?spans=21-27#cited"' in panel


def test_chat_history_becomes_question_answer_pairs() -> None:
    history = [{"role": "user", "content": "What causes &lt;cramps&gt;?"},
               {"role": "assistant", "content": "Dehydration [1]"},
               {"role": "assistant", "content": "<div>src</div>",
                "metadata": {"title": "Sources (1)"}},
               {"role": "user", "content": [{"type": "text", "text": "and at night?"}]}]
    assert _pairs(history) == [("What causes <cramps>?", "Dehydration [1]"),
                               ("and at night?", "")]


# -- slow: a real server ------------------------------------------------------------------

@dataclass
class Server:
    url: str
    corpus: Path
    index: Path
    proc: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float = 120) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return time.monotonic() - started
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(url)


@pytest.fixture(scope="module")
def server(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("app")
    shutil.copytree(built.corpus_dir, root / "corpus")
    shutil.copytree(built.index_dir, root / "index")
    port = _free_port()
    env = {**os.environ, "CRAMP_CORPUS_DIR": str(root / "corpus"),
           "CRAMP_INDEX_DIR": str(root / "index"), "CRAMP_PORT": str(port),
           "CRAMP_HOST": "127.0.0.1", "CRAMP_ADMIN_PASSWORD": ADMIN,
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    log = (root / "app.log").open("wb")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, cwd=root,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        seconds = _wait_for(url + "/healthz", proc)
        print(f"\n[figure] app answering /healthz {seconds:.1f}s after start (index present)")
        yield Server(url, root / "corpus", root / "index", proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.slow
def test_api_returns_a_cited_answer_and_follows_up(server: Server) -> None:
    from gradio_client import Client

    client = Client(server.url + "/", verbose=False)
    first = client.predict("What causes inner thigh cramps?", [], api_name="/ask")
    assert "[1]" in first["text"] and first["citations"] and not first["abstained"]
    assert first["citations"][0]["passage"] and first["build_id"]
    follow = client.predict("How do I stop one when it happens?",
                            [["What causes inner thigh cramps?", first["text"]]], api_name="/ask")
    assert "inner thigh" in follow["searched_for"] and follow["citations"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                                     headless=True)
        yield chromium
        chromium.close()


def _ask(page: Any, question: str) -> float:
    """Type and send a question; returns seconds to the first streamed text of the answer."""
    count = page.locator("#chat .message-row").count()
    page.fill("#question textarea", question)
    started = time.monotonic()
    page.click("#ask")
    page.wait_for_function(
        "n => document.querySelectorAll('#chat .message-row').length >= n + 2", arg=count)
    return time.monotonic() - started


def _last_answer(page: Any, timeout: float = 60_000) -> str:
    page.wait_for_function(
        "() => { const b = document.querySelectorAll('#chat .bot'); const t = b.length ? "
        "b[b.length - 1].innerText : ''; return t && !t.includes('Searching the articles'); }",
        timeout=timeout)
    page.wait_for_timeout(300)  # let the stream finish
    return str(page.locator("#chat").inner_text())


@pytest.mark.slow
def test_browser_cited_answer_sources_and_article(server: Server, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.goto(server.url)
    page.wait_for_selector("#question textarea")
    first_text = _ask(page, "How do I stop a thigh cramp when it happens?")
    text = _last_answer(page)
    print(f"\n[figure] first streamed text {first_text * 1000:.0f} ms after clicking Ask")
    assert "[1]" in text and "Not medical advice" in text
    page.click("#chat :text('Sources (')")
    marks = page.locator("#chat mark")
    marks.first.wait_for()
    assert marks.count() >= 1 and marks.first.inner_text().strip()
    page.screenshot(path=str(ARTIFACTS / "answer.png"), full_page=True)
    with page.expect_popup() as popup:
        page.locator("#chat a:has-text('Open the article')").first.click()
    article = popup.value
    article.wait_for_load_state()
    top, height, cited = article.evaluate(
        "() => { const m = document.querySelector('mark#cited'); "
        "return [m.getBoundingClientRect().top, window.innerHeight, m.innerText]; }")
    assert 0 <= top < height and cited.strip()
    article.screenshot(path=str(ARTIFACTS / "article.png"))
    assert not outside, outside  # nothing fetched from outside this machine


@pytest.mark.slow
def test_browser_bad_questions(server: Server, browser: Any) -> None:
    page = browser.new_page()
    page.goto(server.url)
    page.wait_for_selector("#question textarea")
    page.click("#ask")
    page.wait_for_selector("#chat :text('Please type a question')")
    _ask(page, '<img src=x onerror="window.__pwned = 1">what causes cramps?')
    text = _last_answer(page)
    assert '<img src=x onerror="window.__pwned = 1">' in text  # shown as text
    assert page.evaluate("() => window.__pwned") is None
    _ask(page, "How do I change a car tyre?")
    assert "don't cover" in _last_answer(page)


def _library(page: Any) -> None:
    page.get_by_role("tab", name="Library").click()
    page.wait_for_selector("#upload input[type=file]", state="attached")


def _log(page: Any, contains: str, timeout: float = 120_000) -> str:
    page.wait_for_function(
        "s => { const t = document.querySelector('#log textarea'); return t && "
        "t.value.includes(s); }", arg=contains, timeout=timeout)
    return str(page.locator("#log textarea").input_value())


def _build_id(server: Server) -> str:
    return str(json.loads((server.index / "manifest.json").read_text())["build_id"])


@pytest.mark.slow
def test_library_changes_refused_without_password(server: Server, browser: Any,
                                                  tmp_path: Path) -> None:
    before = sorted(p.name for p in server.corpus.glob("*.md"))
    build = _build_id(server)
    upload = tmp_path / "violin.md"
    upload.write_text(XSS_BODY)
    adding = browser.new_page()  # a fresh page each, so the report starts empty
    adding.goto(server.url)
    _library(adding)
    adding.set_input_files("#upload input[type=file]", str(upload))
    adding.fill("#password input", "not-the-password")
    adding.click("#add")
    assert "Wrong admin password" in _log(adding, "Wrong admin password")
    rebuilding = browser.new_page()
    rebuilding.goto(server.url)
    _library(rebuilding)
    rebuilding.fill("#password input", "not-the-password")
    rebuilding.check("#full input")
    rebuilding.click("#rebuild")
    assert "Wrong admin password" in _log(rebuilding, "Wrong admin password")
    assert sorted(p.name for p in server.corpus.glob("*.md")) == before
    assert _build_id(server) == build


def _swimming_article(path: Path) -> None:
    """An article on a topic the shipped corpus lacks, long enough that rebuilding takes a while."""
    facts = ["Cold water makes the calf muscles of swimmers contract hard, so cramps are common "
             "in open water below fifteen degrees.",
             "A swimmer with a calf cramp should float on the back and pull the toes toward the "
             "shin until the muscle lets go."]
    filler = [f"Open-water swimmer note {i}: lap {i % 7} in lake {i % 5} took {40 + i} strokes "
              f"and the water was {10 + i % 9} degrees." for i in range(500)]
    sections = [f"## Swim log part {k}\n\n" + "\n\n".join(filler[k * 25:(k + 1) * 25])
                for k in range(20)]
    path.write_text("# Cramps in Cold-Water Swimmers\n\n" + "\n\n".join(facts) + "\n\n"
                    + "\n\n".join(sections) + "\n")


@pytest.mark.slow
def test_admin_upload_rebuild_while_chatting(server: Server, browser: Any,
                                             tmp_path: Path) -> None:
    admin = browser.new_page()
    admin.goto(server.url)
    chat = browser.new_page()
    chat.goto(server.url)
    chat.wait_for_selector("#question textarea")
    question = "What should a swimmer do about a calf cramp in cold open water?"
    _ask(chat, question)
    assert "Cramps in Cold-Water Swimmers" not in _last_answer(chat)

    swim, violin = tmp_path / "swimmers.md", tmp_path / "violin.md"
    _swimming_article(swim)
    violin.write_text(XSS_BODY)
    _library(admin)
    admin.set_input_files("#upload input[type=file]", [str(swim), str(violin)])
    admin.fill("#password input", ADMIN)
    admin.click("#add")
    report = _log(admin, "added")
    assert "2 added" in report, report

    started = time.monotonic()
    admin.click("#rebuild")
    answered = 0
    while time.monotonic() - started < 120:  # chats keep being answered during the rebuild
        _ask(chat, "What causes leg cramps?")
        assert "[1]" in _last_answer(chat)
        answered += 1
        if "built index" in admin.locator("#log textarea").input_value():
            break
    report = _log(admin, "built index")
    print(f"\n[figure] rebuild with 2 new articles took {time.monotonic() - started:.1f}s; "
          f"{answered} chats answered meanwhile")
    assert answered >= 1
    assert "7 articles" in report

    _ask(chat, question)
    text = _last_answer(chat)
    sources = text.split("Sources")[-2]  # the source list under the latest answer
    assert "Cramps in Cold-Water Swimmers" in sources, text

    _ask(chat, "What causes hand cramps in violin players?")
    text = _last_answer(chat)
    assert "Hand Cramps in Violin Players" in text
    chat.click("#chat .message-row >> nth=-1 >> :text('Sources (')")
    with chat.expect_popup() as popup:
        chat.locator("#chat a:has-text('Open the article')").last.click()
    page = popup.value
    page.wait_for_load_state()
    assert "<script>window.__pwned = 1</script>" in page.locator("main").inner_text()
    assert page.evaluate("() => window.__pwned") is None
    assert chat.evaluate("() => window.__pwned") is None


def test_launch_brings_a_stale_index_up_to_date(workspace: Settings, embedder: Any) -> None:
    next(workspace.corpus_dir.glob("*.md")).unlink()
    library = Library(workspace, embedder=embedder)
    built = library.prepare()
    assert built and "4 articles" in built
    state = library.status()
    assert state.freshness is not None and state.freshness.fresh
    assert library.prepare() is None  # fresh: nothing to build
    assert library.assistant().ask("What causes leg cramps?").citations
