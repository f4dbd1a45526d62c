"""The admin's side without a browser: what a refused gap list says, the admin log (who,
what, result, no reader data), the rebuild's progress in words, and provenance the shipped
articles do not have said to be unknown. Browser checks: test_app_admin_browser.py."""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from assistant.app.library import ArticleRow, Library, NotAllowed
from assistant.app.library_tab import _latest
from assistant.app.render import article_html, sources_html
from assistant.app.views import articles_html, progress_text, rebuild_started
from assistant.index.build import build_index
from assistant.settings import Settings
from assistant.types import Article
from tests.app_server import ADMIN
from tests.test_app import citation

ARTICLE = ("# Cramps in Cyclists\n\nCyclists often get cramps in the calf during long climbs "
           "because the muscle tires and loses salt through sweat.\n\nStretching the calf at a "
           "stop and drinking water with salts helps a cyclist's cramp pass more quickly.\n")


def _admin_library(settings: Settings, embedder: Any = None) -> Library:
    return Library(settings.model_copy(update={"admin_password": SecretStr(ADMIN),
                                               "admin_failure_delay_seconds": 0}), embedder)


def test_a_refused_gap_list_does_not_say_nothing_was_changed(workspace: Settings) -> None:
    library = _admin_library(workspace)
    for password, start in (("", "Enter the admin password"), ("guess", "Wrong admin password")):
        with pytest.raises(NotAllowed) as refused:
            library.gaps(password, "10.0.0.9")
        assert str(refused.value).startswith(f"{start}: the list is shown to admins only")
        assert "nothing was changed" not in str(refused.value)
    with pytest.raises(NotAllowed, match="Wrong admin password: nothing was changed"):
        library.remove("anything", "guess")  # a change still says so


def test_admin_actions_are_logged_with_who_what_and_result(
        workspace: Settings, embedder: Any, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    library = _admin_library(workspace, embedder)
    question = "Do cyclists get calf cramps on long climbs?"
    upload = tmp_path / "cyclists.md"
    upload.write_text(ARTICLE, encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="assistant.app"):
        library.ask(question)  # a reader: not an admin action
        library.add([upload], ADMIN, who="admin session 1a2b3c")
        library.add([upload], ADMIN, who="admin session 1a2b3c")  # a duplicate
        library.rebuild(ADMIN, who="page session 4d5e6f")
        with pytest.raises(NotAllowed):
            library.remove("cramps-in-cyclists", "guess", who="page session 777")
        library.remove("cramps-in-cyclists", ADMIN, who="page session 4d5e6f")
        library.gaps(ADMIN, who="admin session 1a2b3c")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("admin ")]
    assert lines[0] == ("admin add files by admin session 1a2b3c: 1 added "
                        "(corpus/cramps-in-cyclists.md)"), lines
    assert lines[1] == "admin add files by admin session 1a2b3c: 1 duplicate"
    assert lines[2].startswith("admin rebuild by page session 4d5e6f: build ")
    assert lines[2].endswith(" passages") and ", 6 articles, " in lines[2]
    assert lines[3].startswith("admin remove by page session 777: refused: Wrong admin")
    assert lines[4] == "admin remove by page session 4d5e6f: removed cramps-in-cyclists.md"
    assert lines[5].startswith("admin gap list by admin session 1a2b3c: ")
    assert len(lines) == 6
    assert not any(question in r.getMessage() for r in caplog.records)  # no reader data


def test_rebuild_progress_is_in_words_without_a_language_model() -> None:
    assert rebuild_started(7).startswith("Rebuilding from 7 articles — ")
    line = progress_text("embedding", 320, 960, 7)
    assert line == ("Rebuilding from 7 articles — embedding new passages and sentences for "
                    "search: 320 of 960 done")
    assert "language model" not in line
    assert progress_text("embedding", 960, 960, 7).endswith(
        "960 of 960 done; then saving the index and switching to it")


def test_progress_lines_are_thinned_and_the_result_always_shown() -> None:
    lines: queue.Queue[str | None] = queue.Queue()

    def build() -> None:
        for i in range(5000):
            lines.put(f"line {i}")
        lines.put("Index rebuilt")
        lines.put(None)
    threading.Thread(target=build).start()
    shown = list(_latest(lines))
    assert shown[-1] == "Index rebuilt" and len(shown) < 100, shown


def test_a_lone_progress_line_is_shown_before_the_result() -> None:
    lines: queue.Queue[str | None] = queue.Queue()
    for line in ("Rebuilding from 6 articles — embedding …: 90 of 90 done", "Index rebuilt", None):
        lines.put(line)
    assert list(_latest(lines)) == ["Rebuilding from 6 articles — embedding …: 90 of 90 done",
                                    "Index rebuilt"]


def test_a_small_rebuild_reports_progress_while_it_embeds(workspace: Settings,
                                                          embedder: Any) -> None:
    """A few new articles fit one embedding window: progress still comes every few batches."""
    settings = workspace.model_copy(update={"embedding_batch_size": 4})
    sentences = " ".join(f"Cyclist {i} had a calf cramp on climb {i} and stretched it out."
                         for i in range(40))
    (settings.corpus_dir / "cyclists.md").write_text(
        f"---\ntitle: Cyclists\n---\n# Cyclists\n\n{ARTICLE}\n\n{sentences}\n",
        encoding="utf-8")
    steps: list[tuple[int, int]] = []
    build_index(settings, embedder, lambda stage, done, total: steps.append((done, total)))
    assert len(steps) >= 2 and steps == sorted(steps), steps
    assert steps[-1][0] == steps[-1][1]  # all done at the end


def test_provenance_an_article_does_not_give_is_said_to_be_unknown() -> None:
    row = ArticleRow("leg-cramps", "Leg Cramps", "", "2026-11-21", 8)
    table = articles_html([row])
    assert '<th scope="col">Published</th><th scope="col">Added</th>' in table
    assert ('<td data-label="Publisher">unknown</td><td data-label="Published">unknown</td>'
            '<td data-label="Added">21 November 2026</td>') in table
    assert "—" not in table
    panel = sources_html([citation(1, "Leg Cramps")])
    assert "Publisher unknown · date unknown · Relief" in panel
    assert "Original address unknown" in panel
    page = article_html(Article("leg-cramps", "Leg Cramps", "# Leg Cramps\n\nText.",
                                "corpus/leg-cramps.md", "h"), [])
    assert "Publisher unknown · date unknown" in page and "Original address unknown" in page
    known = sources_html([citation(1, "Calf Care", publisher="NHS", published="2023-03-12",
                                   url="https://www.nhs.uk/calf")])
    assert "NHS · 12 March 2023 · Relief" in known and "unknown" not in known
