"""Feedback and gaps: thumbs and abstentions in SQLite, grouped by meaning for the admin."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from assistant.app.feedback import FeedbackStore, find_gaps, gaps_csv
from assistant.app.library import Library, NotAllowed
from assistant.database import Database, sqlite_path
from assistant.settings import Settings
from assistant.types import Answer

ADMIN = "feedback-admin"


def _answer(question: str, abstained: bool = True) -> Answer:
    return Answer(question=question, text="Our articles don't cover that.", body="",
                  citations=(), abstained=abstained, searched_for=question, build_id="b1")


def _store(path: Path) -> FeedbackStore:
    return FeedbackStore(Database(f"sqlite:///{path}"), Settings())


def test_store_keeps_the_answer_and_nothing_about_the_reader(tmp_path: Path) -> None:
    store = _store(tmp_path / "f.sqlite3")
    store.record("down", _answer("What causes migraines?"))
    with sqlite3.connect(store.path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(feedback)")]
        row = db.execute("SELECT kind, question, answer, citations, build_id "
                         "FROM feedback").fetchone()
    assert columns == ["id", "at", "kind", "question", "searched_for", "answer", "citations",
                       "build_id"]
    assert row == ("down", "What causes migraines?", "Our articles don't cover that.", "[]",
                   "b1")
    assert store.rows(("down",)) and not store.rows(("up",))


def test_gaps_group_wordings_by_meaning_most_frequent_first(embedder: Any) -> None:
    rows = [(f"2026-01-0{i}", kind, q) for i, (kind, q) in enumerate([
        ("abstained", "How do I change a car tyre?"), ("down", "how do i change a car tire"),
        ("abstained", "How can I change the tyre on my car?"),
        ("abstained", "How do I change a car tyre?"),
        ("abstained", "What causes migraines?"), ("down", "why do I get migraines"),
        ("abstained", "Do cramps mean I have cancer?")], start=1)]
    gaps = find_gaps(rows, embedder, threshold=0.75)
    assert [g.count for g in gaps] == [4, 2, 1]
    tyre = gaps[0]
    assert tyre.question == "How do I change a car tyre?"  # the most frequent wording leads
    assert (tyre.abstained, tyre.thumbs_down, tyre.last_asked) == (3, 1, "2026-01-04")
    assert set(tyre.wordings) == {"how do i change a car tire",
                                  "How can I change the tyre on my car?"}
    assert "migraines" in gaps[1].question and len(gaps[1].wordings) == 1
    table = list(csv.reader(io.StringIO(gaps_csv(gaps))))
    assert table[0][:3] == ["question", "times_asked", "not_answered"] and len(table) == 4


def test_csv_cells_never_run_as_formulas(embedder: Any) -> None:
    gaps = find_gaps([("t", "down", "=HYPERLINK(\"x\")")], embedder, 0.75)
    assert "'=HYPERLINK" in gaps_csv(gaps)


def test_library_logs_abstentions_and_ratings_and_shows_gaps_to_admins(
        workspace: Settings, embedder: Any) -> None:
    settings = workspace.model_copy(update={"admin_password": SecretStr(ADMIN),
                                            "admin_failure_delay_seconds": 0})
    library = Library(settings, embedder=embedder)
    assert library.feedback and library.feedback.path == sqlite_path(settings)
    assert library.feedback.path.parent == settings.index_dir.resolve().parent
    off_topic = library.ask("How do I change a car tyre?")
    assert off_topic.abstained
    answered = library.ask("What causes leg cramps?")
    library.rate("down", answered)
    library.rate("up", answered)
    with pytest.raises(NotAllowed):
        library.gaps("not the password")
    gaps = library.gaps(ADMIN)
    assert {g.question for g in gaps} == {"How do I change a car tyre?", "What causes leg cramps?"}
    with sqlite3.connect(library.feedback.path) as db:
        kinds = [k for (k,) in db.execute("SELECT kind FROM feedback ORDER BY id")]
        cited = json.loads(db.execute("SELECT citations FROM feedback WHERE kind='down'")
                           .fetchone()[0])
    assert kinds == ["abstained", "down", "up"]
    assert cited and {"n", "title", "url", "quote"} <= set(cited[0])


def test_feedback_can_be_switched_off(workspace: Settings, embedder: Any) -> None:
    library = Library(workspace.model_copy(update={"feedback_enabled": False}),
                      embedder=embedder)
    assert library.feedback is None
    library.ask("How do I change a car tyre?")
    assert not sqlite_path(workspace).exists()
