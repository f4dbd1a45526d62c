"""The web app without a browser: the library service, the HTML it renders, and the `/ask`
API of a real server (driven by gradio_client). Browser tests: test_app_browser.py."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from assistant.app.library import Library, NotAllowed
from assistant.app.render import answer_html, article_html, sources_html
from assistant.errors import AssistantError
from assistant.settings import Settings
from assistant.types import Answer, Article, Citation
from tests.app_server import ADMIN, Server, free_port, start_app, stop

XSS_BODY = ("# Hand Cramps in Violin Players\n\nViolin players often get hand cramps after long "
            "rehearsals because the small muscles of the hand tire.\n\n"
            "<script>window.__pwned = 1</script>\n\n"
            "<img src=x onerror=\"window.__pwned = 2\">\n\n"
            "Resting the bow arm between pieces and warming the fingers before playing helps "
            "violinists avoid hand cramps during concerts.\n")
LIST_PASSAGE = "Try these:\n- Stretch the calf gently.\n- Massage the muscle.\n- Apply heat."


def citation(n: int, title: str, passage: str = LIST_PASSAGE, used: str = "Massage the muscle.",
             **extra: Any) -> Citation:
    start = passage.index(used)
    return Citation(n=n, title=title, source=f"corpus/{title.lower().replace(' ', '-')}.md",
                    section="Relief", chunk_id=f"c{n}", passage=passage, quote=used,
                    start=100 + start, end=100 + start + len(used),
                    spans=((100 + start, 100 + start + len(used)),), passage_start=100,
                    score=1.0, **extra)


# -- fast: the service and the HTML, no server ---------------------------------------------

def test_library_changes_need_the_admin_password(workspace: Settings) -> None:
    closed = Library(workspace)
    assert not closed.admin_enabled
    with pytest.raises(NotAllowed, match="CRAMP_ADMIN_PASSWORD"):
        closed.remove("anything", "guess")
    open_ = Library(workspace.model_copy(update={"admin_password": SecretStr(ADMIN),
                                                 "admin_failure_delay_seconds": 0}))
    article_id = open_.articles()[0].article_id
    with pytest.raises(NotAllowed, match="Enter the admin password"):
        open_.remove(article_id, "")
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
    doc = Article("violin", "T <b>", XSS_BODY, "corpus/violin.md", "h")
    page = article_html(doc, [(60, 80)])
    assert "<script>" not in page.split("<main>")[1].split("</main>")[0]
    assert "&lt;script&gt;" in page and "<img" not in page and "&lt;img" in page
    assert page.count('<mark id="cited">') == 1
    c = citation(1, "<i>t</i>", passage="<script>x()</script> cramps", used="cramps")
    panel = sources_html([c])
    assert "<script>" not in panel and "<i>" not in panel and "<mark>cramps</mark>" in panel
    assert "?spans=121-127&amp;from=chat#cited" in panel


def test_answer_links_each_marker_and_names_the_agreeing_articles() -> None:
    cites = (citation(1, "Calf Care"), citation(2, "Night Cramps"), citation(3, "Heat Tips"))
    body = ("The articles suggest:\n- Massage the muscle. [1][2][3] — 3 of the 5 articles say "
            "this\n- Apply heat. [3]")
    answer = Answer(question="q", text=body + "\n\n**Sources**\n[1] Calf Care", body=body,
                    citations=cites, abstained=False, searched_for="q")
    shown = answer_html(answer)
    links = re.findall(r'<a class="cramp-cite" href="([^"]+)"[^>]*>\[(\d)\]</a>', shown)
    assert [n for _, n in links] == ["1", "2", "3", "3"]
    start = 100 + LIST_PASSAGE.index("Massage the muscle.")
    assert links[0][0] == f"/article/calf-care?spans={start}-{start + 19}&amp;from=chat#cited"
    agree = re.search(r'<span class="cramp-agree" title="([^"]+)">— 3 of the 5 articles say '
                      r"this</span>", shown)
    assert agree and agree.group(1) == "Said by: Calf Care; Night Cramps; Heat Tips"
    assert "**Sources**" not in shown and shown.count("Sources (3)") == 1  # one source list
    assert "cramp-done" in shown and "cramp-done" not in answer_html(answer, lines=1)
    assert "\n\n" not in shown  # one HTML block: the chat's Markdown never sees article text


def test_sources_keep_lists_and_show_where_each_came_from() -> None:
    good = citation(1, "Calf Care", publisher="NHS", url="https://www.nhs.uk/calf",
                    published="2023-03-12")
    bad = citation(2, "Odd Links", publisher="Somebody", url="javascript:alert(1)")
    panel = sources_html([good, bad])
    assert "<li><mark>Massage the muscle.</mark></li>" in panel  # the list survives
    assert "- Massage" not in panel
    assert "NHS · 12 March 2023 · Relief" in panel
    assert ('<a href="https://www.nhs.uk/calf" target="_blank" rel="noopener noreferrer"'
            in panel) and "Original at www.nhs.uk" in panel
    assert "javascript:" not in panel and "Somebody" in panel


def test_article_page_header_and_a_highlight_that_starts_at_a_bullet() -> None:
    body = ("# Calf Care\n\n## Relief\n\nTry these:\n\n- Stretch the calf gently.\n"
            "- Massage the muscle.\n- Apply heat.\n\n![chart](http://tracker.example/p.gif) "
            "See [the guide](https://guide.example.org/a) or [this](javascript:alert(1)).\n")
    start = body.index("- Massage")
    doc = Article("calf-care", "Calf Care", body, "corpus/calf-care.md", "h", publisher="NHS",
                  url="https://www.nhs.uk/calf", published="2023-03-12")
    page = article_html(doc, [(start, start + len("- Massage the muscle."))])
    assert '<li><mark id="cited">Massage the muscle.</mark></li>' in page
    assert "<li>Stretch the calf gently.</li>" in page  # not merged into the one before
    header = page.split("<header>")[1].split("</header>")[0]
    assert '<a href="/" id="back">← Back to the chat</a>' in header
    assert "NHS · 12 March 2023" in header and "Original at www.nhs.uk" in header
    assert "<img" not in page and "tracker.example" not in page  # the image is inert text
    assert "[image: chart]" in page
    assert ('<a href="https://guide.example.org/a" target="_blank" rel="noopener noreferrer">'
            "the guide</a>") in page
    assert 'href="javascript' not in page


def test_launch_brings_a_stale_index_up_to_date(workspace: Settings, embedder: Any) -> None:
    next(workspace.corpus_dir.glob("*.md")).unlink()
    library = Library(workspace, embedder=embedder)
    built = library.prepare()
    assert built and "4 articles" in built
    state = library.status()
    assert state.freshness is not None and state.freshness.fresh
    assert library.prepare() is None  # fresh: nothing to build
    assert library.assistant().ask("What causes leg cramps?").citations


def test_cramp_variables_win_over_gradios(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7000")
    assert (Settings().host, Settings().port) == ("0.0.0.0", 7000)
    monkeypatch.setenv("CRAMP_HOST", "127.0.0.1")
    monkeypatch.setenv("CRAMP_PORT", "7001")
    assert (Settings().host, Settings().port) == ("127.0.0.1", 7001)
    assert Settings(port=7002).port == 7002


# -- slow: a real server ------------------------------------------------------------------

@pytest.mark.slow
def test_api_returns_a_cited_answer_with_provenance_and_follows_up(server: Server) -> None:
    from gradio_client import Client

    client = Client(server.url + "/", verbose=False)
    first = client.predict("What causes inner thigh cramps?", [], api_name="/ask")
    assert "[1]" in first["text"] and first["citations"] and not first["abstained"]
    assert first["citations"][0]["passage"] and first["build_id"]
    cited = first["citations"][0]
    assert cited["publisher"] and cited["url"].startswith("https://health.example.org/")
    assert cited["published"].startswith("2023-03-")
    follow = client.predict("How do I stop one when it happens?",
                            [["What causes inner thigh cramps?", first["text"]]], api_name="/ask")
    assert "inner thigh" in follow["searched_for"] and follow["citations"]


@pytest.mark.slow
def test_app_listens_on_gradio_server_port(built: Settings, tmp_path: Path) -> None:
    """Hugging Face Spaces (and Gradio users) set GRADIO_SERVER_NAME/PORT, not CRAMP_*."""
    port = free_port()
    env = {"CRAMP_PORT": "", "CRAMP_HOST": "", "GRADIO_SERVER_NAME": "127.0.0.1",
           "GRADIO_SERVER_PORT": str(port)}
    running = start_app(built, tmp_path, env=env, port=port)
    try:
        assert running.url.endswith(f":{port}")
        reply = urllib.request.urlopen(running.url + "/healthz", timeout=10).read()
        assert b'"ok":true' in reply
    finally:
        stop(running)
