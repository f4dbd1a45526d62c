"""Shared state on a real PostgreSQL (started by the tests) and on SQLite, through the same
code: the versioned schema, feedback that survives the database going away, admin lockouts
and sessions seen by every process, and the build lock across replicas."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import inspect, select, text

from assistant.app.feedback import FeedbackStore
from assistant.app.guard import AdminGuard, NotAllowed
from assistant.database import SCHEMA_VERSION, Database, schema_version
from assistant.errors import AssistantError, BuildLockedError, DatabaseUnavailable
from assistant.index.build import build_index
from assistant.settings import Settings
from assistant.types import Answer
from tests.postgres import Postgres

ADMIN = "database-admin"
TABLES = {"admin_failures", "admin_sessions", "feedback", "schema_version"}


def _answer(question: str) -> Answer:
    return Answer(question=question, text="Our articles don't cover that.", body="",
                  citations=(), abstained=True, searched_for=question, build_id="b1")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite3'}"
    return str(request.getfixturevalue("database_url"))


def test_the_schema_is_created_once_and_versioned(url: str) -> None:
    first, second = Database(url), Database(url)  # two processes starting together
    for db in (first, second):
        assert set(inspect(db.engine()).get_table_names()) == TABLES
    version = first.run(lambda c: c.execute(select(schema_version.c.version)).scalars().all())
    assert version == [SCHEMA_VERSION]
    first.run(lambda c: c.execute(schema_version.update().values(version=SCHEMA_VERSION + 1)))
    with pytest.raises(AssistantError, match="newer than this app's.*upgrade the app"):
        Database(url).engine()
    first.dispose()
    second.dispose()


def test_an_old_sqlite_feedback_file_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as db:  # the schema before this version: feedback alone
        db.executescript("""CREATE TABLE feedback (id INTEGER PRIMARY KEY, at TEXT NOT NULL,
            kind TEXT NOT NULL, question TEXT NOT NULL, searched_for TEXT NOT NULL,
            answer TEXT NOT NULL, citations TEXT NOT NULL, build_id TEXT NOT NULL);
            INSERT INTO feedback VALUES (1, 't', 'down', 'old question', 'q', 'a', '[]', 'b0');""")
    store = FeedbackStore(Database(f"sqlite:///{path}"), Settings())
    store.record("up", _answer("new question"))
    assert [q for _, _, q in store.rows()] == ["new question", "old question"]
    assert set(inspect(store.database.engine()).get_table_names()) == TABLES


def test_feedback_waits_while_postgres_is_down_and_nothing_is_lost(
        postgres: Postgres, database_url: str) -> None:
    settings = Settings(feedback_retry_seconds=0.2, database_timeout_seconds=2)
    store = FeedbackStore(Database(database_url, timeout=2), settings)
    store.record("down", _answer("before the outage"))
    postgres.stop()
    try:
        with pytest.raises(DatabaseUnavailable, match="not answering.*CRAMP_DATABASE_URL"):
            store.record("down", _answer("direct write"))
        started = time.perf_counter()
        for i in range(5):
            store.submit("abstained", _answer(f"asked during the outage {i}"))
        submitted = time.perf_counter() - started
        assert not store.flush(0.5)  # still waiting: the database is down
    finally:
        postgres.start()
    assert store.flush(30), "the records that waited were not written once it was back"
    questions = {q for _, _, q in store.rows()}
    assert {f"asked during the outage {i}" for i in range(5)} <= questions
    print(f"\n[figure] 5 feedback records submitted during an outage in {submitted * 1000:.1f} ms")
    assert submitted < 0.5
    store.close()


def _guard(url: str, now: list[float]) -> AdminGuard:
    settings = Settings(admin_password=SecretStr(ADMIN), admin_max_failures=3,
                        admin_lockout_seconds=300, admin_account_max_failures=5,
                        admin_account_lockout_seconds=60)
    return AdminGuard(settings, Database(url), clock=lambda: now[0], sleep=lambda s: None)


def test_lockouts_and_sessions_are_shared_and_counted_per_account(url: str) -> None:
    now = [1_000_000.0]
    a, b = _guard(url, now), _guard(url, now)  # two processes over one database
    for _ in range(3):
        with pytest.raises(NotAllowed, match="Wrong admin password"):
            a.check("guess", "203.0.113.1")
    with pytest.raises(NotAllowed, match="from this connection: try again in 5 minutes"):
        b.check(ADMIN, "203.0.113.1")  # the lockout on one holds on the other
    token = b.sign_in(ADMIN, "203.0.113.2")  # another address is not punished
    assert a.session_ok(token) and not a.session_ok("forged")
    for _ in range(2):  # five wrong in all, from two addresses: the account pauses
        with pytest.raises(NotAllowed):
            b.check("guess", "203.0.113.3")
    with pytest.raises(NotAllowed, match="sign-in is paused; try again in 1 minute"):
        a.check(ADMIN, "203.0.113.4")
    now[0] += 61  # after the pause the real admin signs in from a fresh address
    a.check(ADMIN, "203.0.113.4")
    with pytest.raises(NotAllowed, match="from this connection"):
        a.check(ADMIN, "203.0.113.1")  # the first address is still locked out
    now[0] += 3600
    assert not a.session_ok(token)  # sessions expire on every process


def test_the_build_lock_is_held_across_replicas(database_url: str, workspace: Settings,
                                                embedder: Any) -> None:
    one, two = Database(database_url), Database(database_url)
    with (one.build_lock(), pytest.raises(BuildLockedError, match="another replica"),
          two.build_lock()):
        pass
    with one.build_lock():
        settings = workspace.model_copy(update={"database_url": database_url})
        with pytest.raises(BuildLockedError):  # a build elsewhere waits its turn
            build_index(settings, embedder)
    assert "built index" in build_index(settings, embedder).summary()  # released
    held = two.run(lambda c: c.execute(text("SELECT count(*) FROM pg_locks WHERE "
                                            "locktype = 'advisory'")).scalar())
    assert held == 0
