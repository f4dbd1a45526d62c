"""The shared-state layer measured: SQLAlchemy Core (what the app uses) against the bare
driver (sqlite3, psycopg 3) doing the same work, on SQLite and on a real PostgreSQL that
this script starts in a temporary folder (127.0.0.1 only) and stops.

Usage: python scripts/bench_state.py [--rows N]

Prints, per database, the median time of one feedback insert (one transaction each, as the
background writer does when records trickle in) and of one wrong-password count (the
upsert of the lockout), both ways, and the import time of SQLAlchemy.
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROW = {"at": "2026-01-01T00:00:00+00:00", "kind": "down", "question": "q", "searched_for": "q",
       "answer": "a", "citations": "[]", "build_id": "b"}
INSERT = ("INSERT INTO feedback (at, kind, question, searched_for, answer, citations, build_id) "
          "VALUES ({0}, {0}, {0}, {0}, {0}, {0}, {0})")


def median_ms(work: Callable[[int], None], rows: int) -> float:
    times = []
    for i in range(rows):
        started = time.perf_counter()
        work(i)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(url: str, raw: Callable[[], object], mark: str, rows: int) -> dict[str, float]:
    from pydantic import SecretStr

    from assistant.app.guard import AdminGuard
    from assistant.database import Database, feedback
    from assistant.settings import Settings

    database = Database(url)
    guard = AdminGuard(Settings(admin_password=SecretStr("x"), admin_max_failures=10**9,
                                admin_account_max_failures=10**9), database,
                       sleep=lambda s: None)
    figures = {"sqlalchemy insert": median_ms(
        lambda i: database.run(lambda db: db.execute(feedback.insert(), [ROW])), rows),
        "sqlalchemy lockout count": median_ms(lambda i: guard._fail(f"10.0.{i % 250}.1"), rows)}
    conn = raw()
    values = tuple(ROW.values())

    def raw_insert(i: int) -> None:
        conn.execute(INSERT.format(mark), values)  # type: ignore[attr-defined]
        conn.commit()  # type: ignore[attr-defined]

    figures["driver insert"] = median_ms(raw_insert, rows)
    database.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the lockout counts log every wrong password
    started = time.perf_counter()
    import sqlalchemy  # noqa: F401

    print(f"import sqlalchemy: {(time.perf_counter() - started) * 1000:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.sqlite3"
        report = {"sqlite": measure(f"sqlite:///{path}", lambda: sqlite3.connect(path), "?",
                                    args.rows)}
        report["postgresql"] = _with_postgres(args.rows)
    print(json.dumps(report, indent=2))


def _with_postgres(rows: int) -> dict[str, float]:
    import psycopg

    from tests.postgres import new_cluster

    server = new_cluster()
    try:
        url = server.create_database("bench")
        return measure(url, lambda: psycopg.connect(url), "%s", rows)
    finally:
        server.remove()


if __name__ == "__main__":
    main()
